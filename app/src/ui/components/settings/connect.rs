//! Connecting a WhatsApp Cloud API number, a mailbox (SMTP out, webhook in) or an API
//! integration to a line (B2); then where to point the provider and the secret, shown once.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::settings::connect_channel;
use crate::domain::LineId;
use crate::domain::settings::{ChannelForm, ConnectedChannel, LineSettings};
use crate::error::AppError;
use crate::i18n::use_i18n;

/// The form. `outcome` and `version` are the page's (a message, and "reload the lists");
/// `connected` lives above the page's lists so the instructions survive their reload.
#[component]
pub fn ConnectChannel(
    lines: Vec<LineSettings>,
    outcome: RwSignal<Option<(String, bool)>>,
    version: RwSignal<u64>,
    connected: RwSignal<Option<ConnectedChannel>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let first = lines.iter().find_map(|l| l.id);
    let form = RwSignal::new(ChannelForm {
        kind: "whatsapp".into(),
        line_id: first,
        ..Default::default()
    });
    let invalid = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let kind = move || form.with(|f| f.kind.clone());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sent = form.get_untracked();
        pending.set(true);
        spawn_local(async move {
            let result = connect_channel(sent).await;
            pending.set(false);
            match result {
                Ok(done) => {
                    invalid.set(None);
                    connected.set(Some(done));
                    form.update(|f| {
                        *f = ChannelForm {
                            kind: f.kind.clone(),
                            line_id: f.line_id,
                            ..Default::default()
                        }
                    });
                    outcome.set(Some(("settings.saved".into(), false)));
                    version.update(|v| *v += 1);
                }
                Err(AppError::Validation { field, message }) => {
                    invalid.set(Some(field));
                    outcome.set(Some((message, true)));
                }
                Err(e) => outcome.set(Some((e.key().to_owned(), true))),
            }
        });
    };

    // One text input bound to a field of the form.
    let input = move |field: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      placeholder: &'static str,
                      get: fn(&ChannelForm) -> &String,
                      set: fn(&mut ChannelForm, String)| {
        view! {
            <label class="dlg-field dlg-connect__field">
                <span class="dlg-field__label">{move || i18n.t(label)}</span>
                <input
                    class="dlg-input"
                    name=field
                    type=kind
                    autocomplete="off"
                    placeholder=placeholder
                    aria-invalid=move || (invalid.get().as_deref() == Some(field)).to_string()
                    prop:value=move || form.with(|f| get(f).clone())
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| set(f, value));
                    }
                />
            </label>
        }
    };

    // Encryption of a mail connection: the default first, then the other, then none.
    let tls_select = move |field: &'static str,
                           label: &'static str,
                           order: [&'static str; 2],
                           set: fn(&mut ChannelForm, String)| {
        let option = |value: &'static str| {
            let text = if value == "tls" { "TLS" } else { "STARTTLS" };
            view! { <option value=value>{text}</option> }
        };
        view! {
            <label class="dlg-field dlg-connect__field">
                <span class="dlg-field__label">{move || i18n.t(label)}</span>
                <select
                    class="dlg-input"
                    name=field
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        form.update(|f| set(f, value));
                    }
                >
                    {option(order[0])}
                    {option(order[1])}
                    <option value="none">{move || i18n.t("settings.email.no_tls")}</option>
                </select>
            </label>
        }
    };

    let whatsapp = move || {
        view! {
            {input("phone_number_id", "settings.wa.phone_number_id", "text", "1065550001", |f| &f.phone_number_id, |f, v| f.phone_number_id = v)}
            {input("business_account_id", "settings.wa.business_account_id", "text", "2065550002", |f| &f.business_account_id, |f, v| f.business_account_id = v)}
            {input("access_token", "settings.wa.access_token", "password", "", |f| &f.access_token, |f, v| f.access_token = v)}
            {input("app_secret", "settings.wa.app_secret", "password", "", |f| &f.app_secret, |f, v| f.app_secret = v)}
        }
        .into_any()
    };
    let email = move || {
        view! {
            {input("from_address", "settings.email.from_address", "email", "support@shop.example", |f| &f.from_address, |f, v| f.from_address = v)}
            {input("from_name", "settings.email.from_name", "text", "Shop support", |f| &f.from_name, |f, v| f.from_name = v)}
            {input("smtp_host", "settings.email.smtp_host", "text", "smtp.example.com", |f| &f.smtp_host, |f, v| f.smtp_host = v)}
            {input("smtp_port", "settings.email.smtp_port", "text", "587", |f| &f.smtp_port, |f, v| f.smtp_port = v)}
            {tls_select("smtp_tls", "settings.email.smtp_tls", ["starttls", "tls"], |f, v| f.smtp_tls = v)}
            {input("smtp_username", "settings.email.smtp_username", "text", "", |f| &f.smtp_username, |f, v| f.smtp_username = v)}
            {input("smtp_password", "settings.email.smtp_password", "password", "", |f| &f.smtp_password, |f, v| f.smtp_password = v)}
            {input("default_subject", "settings.email.default_subject", "text", "", |f| &f.default_subject, |f, v| f.default_subject = v)}
            <p class="dlg-field__hint dlg-connect__note">{move || i18n.t("settings.email.imap_hint")}</p>
            {input("imap_host", "settings.email.imap_host", "text", "imap.example.com", |f| &f.imap_host, |f, v| f.imap_host = v)}
            {input("imap_port", "settings.email.imap_port", "text", "993", |f| &f.imap_port, |f, v| f.imap_port = v)}
            {tls_select("imap_tls", "settings.email.imap_tls", ["tls", "starttls"], |f, v| f.imap_tls = v)}
            {input("imap_username", "settings.email.imap_username", "text", "", |f| &f.imap_username, |f, v| f.imap_username = v)}
            {input("imap_password", "settings.email.imap_password", "password", "", |f| &f.imap_password, |f, v| f.imap_password = v)}
            {input("imap_folder", "settings.email.imap_folder", "text", "INBOX", |f| &f.imap_folder, |f, v| f.imap_folder = v)}
            {input("poll_seconds", "settings.email.poll_seconds", "text", "60", |f| &f.poll_seconds, |f, v| f.poll_seconds = v)}
        }
        .into_any()
    };
    let api = move || {
        view! {
            {input("url", "settings.api.url", "url", "https://bots.example.com/dialogs", |f| &f.url, |f, v| f.url = v)}
        }
        .into_any()
    };

    let instructions = move || {
        connected.get().map(|done| {
            let origin = window().location().origin().unwrap_or_default();
            let url = format!("{origin}{}", done.webhook_path);
            let hint = format!("settings.connected.{}", done.kind.as_str());
            view! {
                <div class="dlg-settings__connected" role="status">
                    <p>{i18n.t(&hint)}</p>
                    <dl class="dlg-connect__secret">
                        <dt>{i18n.t("settings.webhook_url")}</dt>
                        <dd><code class="dlg-settings__code">{url}</code></dd>
                        <dt>{i18n.t(&done.secret_label)}</dt>
                        <dd><code class="dlg-settings__code">{done.secret.clone()}</code></dd>
                    </dl>
                </div>
            }
        })
    };

    view! {
        <section class="dlg-settings__section">
            <h2>{move || i18n.t("settings.connect_channel")}</h2>
            <form class="dlg-connect" on:submit=submit novalidate>
                <div class="dlg-connect__row">
                    <label class="dlg-field dlg-connect__field">
                        <span class="dlg-field__label">{move || i18n.t("settings.kind")}</span>
                        <select
                            class="dlg-input"
                            name="kind"
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                invalid.set(None);
                                form.update(|f| f.kind = value);
                            }
                        >
                            <option value="whatsapp">"WhatsApp (Cloud API)"</option>
                            <option value="email">"Email"</option>
                            <option value="webhook">{move || i18n.t("settings.kind.api")}</option>
                        </select>
                    </label>
                    <label class="dlg-field dlg-connect__field">
                        <span class="dlg-field__label">{move || i18n.t("settings.line")}</span>
                        <select
                            class="dlg-input"
                            name="line_id"
                            on:change=move |ev| {
                                let id = event_target_value(&ev).parse::<i64>().ok().map(LineId);
                                form.update(|f| f.line_id = id);
                            }
                        >
                            {lines
                                .iter()
                                .filter_map(|l| {
                                    l.id.map(|id| view! { <option value=id.0.to_string()>{l.name.clone()}</option> })
                                })
                                .collect_view()}
                        </select>
                    </label>
                    {input("channel_name", "settings.channel_name", "text", "", |f| &f.name, |f, v| f.name = v)}
                </div>
                <div class="dlg-connect__row">
                    {move || match kind().as_str() {
                        "email" => email(),
                        "webhook" => api(),
                        _ => whatsapp(),
                    }}
                </div>
                <button type="submit" class="dlg-button dlg-button--primary" disabled=move || pending.get()>
                    {move || i18n.t("settings.connect")}
                </button>
            </form>
            {instructions}
        </section>
    }
    .into_any()
}
