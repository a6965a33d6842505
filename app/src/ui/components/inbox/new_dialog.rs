//! "New dialog" (C7): write first to a client — line, channel, assignee, who (phone,
//! email and subject, chat id or @username), the first message or a WhatsApp template.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::dialogs::{start_dialog, start_options};
use crate::domain::start::{NewDialog, RecipientKind, StartOptions};
use crate::domain::{ChannelId, ChannelKind, LineId, UserId};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::realtime::use_realtime;
use crate::ui::components::composer::{
    AttachButton, ComposerFiles, EmojiPicker, FileChips, TemplateFields, TemplateForm,
};

/// The button that opens the form.
#[component]
pub fn NewDialogButton() -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="dlg-button dlg-button--primary dlg-new-dialog"
            on:click=move |_| open.set(true)
        >
            {move || i18n.t("start.button")}
        </button>
        <Show when=move || open.get()>
            <NewDialogForm close=Callback::new(move |()| open.set(false)) />
        </Show>
    }
    .into_any()
}

/// The form, in a modal over the inbox. Escape or the backdrop closes it.
#[component]
fn NewDialogForm(close: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let options = Resource::new(|| (), |_| start_options());
    // Escape closes the form wherever the focus is (a button that was just disabled drops
    // it to the page).
    crate::ui::components::common::close_on_escape(close);
    view! {
        <div class="dlg-modal">
            <div class="dlg-modal__backdrop" on:click=move |_| close.run(())></div>
            <div
                class="dlg-modal__panel"
                role="dialog"
                aria-modal="true"
                aria-labelledby="dlg-new-dialog-title"
            >
                <header class="dlg-modal__head">
                    <h2 id="dlg-new-dialog-title">{move || i18n.t("start.title")}</h2>
                    <button
                        type="button"
                        class="dlg-icon-button"
                        aria-label=move || i18n.t("start.close")
                        on:click=move |_| close.run(())
                    >
                        "×"
                    </button>
                </header>
                <Suspense fallback=move || view! { <p>{move || i18n.t("inbox.loading")}</p> }>
                    {move || Suspend::new(async move {
                        match options.await {
                            Ok(o) if o.lines.is_empty() => {
                                view! { <p class="dlg-modal__empty">{move || i18n.t("start.no_lines")}</p> }
                                    .into_any()
                            }
                            Ok(o) => view! { <StartForm options=o close /> }.into_any(),
                            Err(e) => {
                                let key = e.key().to_owned();
                                view! { <p class="dlg-composer__error">{i18n.t(&key)}</p> }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn StartForm(options: StartOptions, close: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let live = use_realtime();
    let options = StoredValue::new(options);
    let first_line = options.with_value(|o| o.lines.first().map(|l| l.id));
    let line = RwSignal::new(first_line);
    let channel = RwSignal::new(options.with_value(|o| {
        o.lines
            .first()
            .and_then(|l| l.channels.first())
            .map(|c| c.id)
    }));
    let assignee = RwSignal::new(Some(options.with_value(|o| o.me)));
    let recipient = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let text_input = NodeRef::<leptos::html::Textarea>::new();
    let template = TemplateForm::new();
    let error = RwSignal::new(None::<(String, String)>);
    let pending = RwSignal::new(false);
    let files = ComposerFiles::new();

    let channels = move || {
        options.with_value(|o| {
            o.lines
                .iter()
                .find(|l| Some(l.id) == line.get())
                .map(|l| l.channels.clone())
                .unwrap_or_default()
        })
    };
    let current = move || {
        let id = channel.get();
        channels().into_iter().find(|c| Some(c.id) == id)
    };
    let kind = move || current().map(|c| c.kind);
    let recipient_kind = move || current().map(|c| c.recipient);
    let field_error = move |field: &'static str| {
        move || {
            error
                .get()
                .filter(|(f, _)| f == field)
                .map(|(_, key)| view! { <span class="dlg-field__error" role="alert">{i18n.t(&key)}</span> })
        }
    };
    let invalid =
        move |field: &'static str| move || error.get().is_some_and(|(f, _)| f == field).to_string();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(line_id), Some(channel_id)) = (line.get_untracked(), channel.get_untracked())
        else {
            error.set(Some((
                "channel_id".into(),
                "start.error.channel_kind".into(),
            )));
            return;
        };
        let is_email = kind() == Some(ChannelKind::Email);
        let input = NewDialog {
            line_id,
            channel_id,
            assignee_id: assignee.get_untracked(),
            recipient: recipient.get_untracked(),
            subject: is_email.then(|| subject.get_untracked()),
            text: text.get_untracked(),
            template: template.choice(),
            // A template goes alone.
            files: if template.chosen.get_untracked().is_some() {
                Vec::new()
            } else {
                files.ready()
            },
        };
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = start_dialog(input).await;
            pending.set(false);
            match result {
                Ok(id) => {
                    live.changed_here(Some(id));
                    close.run(());
                    navigate(&format!("/dialogs/{id}"), Default::default());
                }
                Err(AppError::Validation { field, message }) => {
                    error.set(Some((field, message)));
                }
                Err(e) => error.set(Some((String::new(), e.key().to_owned()))),
            }
        });
    };

    let line_field = view! {
            <label class="dlg-field">
                <span class="dlg-field__label">{move || i18n.t("start.line")}</span>
                <select
                    class="dlg-input"
                    name="line_id"
                    prop:value=move || line.get().map(|l| l.0.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        let id = event_target_value(&ev).parse::<i64>().ok().map(LineId);
                        line.set(id);
                        channel.set(channels().first().map(|c| c.id));
                        template.clear();
                    }
                >
                    {options
                        .with_value(|o| {
                            o.lines
                                .iter()
                                .map(|l| view! { <option value=l.id.0.to_string()>{l.name.clone()}</option> })
                                .collect_view()
                        })}
                </select>
            </label>
    }
    .into_any();
    let channel_field = view! {
            <label class="dlg-field">
                <span class="dlg-field__label">{move || i18n.t("start.channel")}</span>
                <select
                    class="dlg-input"
                    name="channel_id"
                    aria-invalid=invalid("channel_id")
                    prop:value=move || channel.get().map(|c| c.0.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        channel.set(event_target_value(&ev).parse::<i64>().ok().map(ChannelId));
                        template.clear();
                    }
                >
                    {move || {
                        channels()
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <option value=c.id.0.to_string()>
                                        {format!("{} · {}", c.name, c.kind.label())}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
                {field_error("channel_id")}
            </label>
    }
    .into_any();
    let assignee_field = view! {
            <label class="dlg-field">
                <span class="dlg-field__label">{move || i18n.t("start.assignee")}</span>
                <select
                    class="dlg-input"
                    name="assignee_id"
                    aria-invalid=invalid("assignee_id")
                    prop:value=move || assignee.get().map(|u| u.0.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        assignee.set(event_target_value(&ev).parse::<i64>().ok().map(UserId));
                    }
                >
                    {options
                        .with_value(|o| {
                            o.users
                                .iter()
                                .map(|u| view! { <option value=u.id.0.to_string()>{u.name.clone()}</option> })
                                .collect_view()
                        })}
                </select>
                {field_error("assignee_id")}
            </label>
    }
    .into_any();
    let recipient_field = view! {
            <label class="dlg-field">
                <span class="dlg-field__label">
                    {move || i18n.t(recipient_kind().map(RecipientKind::label_key).unwrap_or("start.recipient.chat"))}
                </span>
                <input
                    class="dlg-input"
                    name="recipient"
                    autocomplete="off"
                    required
                    aria-invalid=invalid("recipient")
                    inputmode=move || match recipient_kind() {
                        Some(RecipientKind::Phone) => "tel",
                        Some(RecipientKind::Email) => "email",
                        _ => "text",
                    }
                    placeholder=move || match recipient_kind() {
                        Some(RecipientKind::Phone) => "+7 916 123-45-67",
                        Some(RecipientKind::Email) => "client@example.com",
                        Some(RecipientKind::ChatOrUsername) => "@username",
                        _ => "",
                    }
                    prop:value=move || recipient.get()
                    on:input=move |ev| recipient.set(event_target_value(&ev))
                />
                {field_error("recipient")}
                <Show when=move || recipient_kind() == Some(RecipientKind::ChatOrUsername)>
                    <span class="dlg-field__hint">{move || i18n.t("start.telegram_hint")}</span>
                </Show>
            </label>
    }
    .into_any();
    let subject_field = view! {
            <Show when=move || kind() == Some(ChannelKind::Email)>
                <label class="dlg-field">
                    <span class="dlg-field__label">{move || i18n.t("start.subject")}</span>
                    <input
                        class="dlg-input"
                        name="subject"
                        maxlength="500"
                        aria-invalid=invalid("subject")
                        prop:value=move || subject.get()
                        on:input=move |ev| subject.set(event_target_value(&ev))
                    />
                    {field_error("subject")}
                </label>
            </Show>
    }
    .into_any();
    let template_field = view! {
            {move || {
                current()
                    .filter(|c| c.kind == ChannelKind::Whatsapp)
                    .map(|c| {
                        view! {
                            <div class="dlg-start__template">
                                <p class="dlg-field__hint">{move || i18n.t("template.hint")}</p>
                                <TemplateFields templates=c.templates form=template optional=true />
                                {field_error("template")}
                                {field_error("header")}
                                {field_error("variables")}
                                {field_error("buttons")}
                            </div>
                        }
                    })
            }}
    }
    .into_any();
    let text_field = view! {
            <Show when=move || template.chosen.get().is_none()>
                <label class="dlg-field">
                    <span class="dlg-field__label">{move || i18n.t("start.message")}</span>
                    <textarea
                        class="dlg-input dlg-start__text"
                        name="text"
                        rows="4"
                        node_ref=text_input
                        aria-invalid=invalid("text")
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                    {field_error("text")}
                </label>
                <div class="dlg-start__files">
                    <AttachButton files />
                    <EmojiPicker field=text_input text />
                    <FileChips files />
                </div>
                {field_error("files")}
            </Show>
    }
    .into_any();
    let form_error = view! {
            {move || {
                error
                    .get()
                    .filter(|(f, _)| f.is_empty())
                    .map(|(_, key)| view! { <p class="dlg-composer__error" role="alert">{i18n.t(&key)}</p> })
            }}
    }
    .into_any();
    let actions = view! {
            <div class="dlg-start__actions">
                <button type="button" class="dlg-button" on:click=move |_| close.run(())>
                    {move || i18n.t("start.cancel")}
                </button>
                <button
                    type="submit"
                    class="dlg-button dlg-button--primary"
                    disabled=move || pending.get() || files.uploading()
                >
                    {move || i18n.t("start.submit")}
                </button>
            </div>
    }
    .into_any();

    view! {
        <form class="dlg-start" on:submit=submit novalidate>
            {line_field}
            {channel_field}
            {assignee_field}
            {recipient_field}
            {subject_field}
            {template_field}
            {text_field}
            {form_error}
            {actions}
        </form>
    }
    .into_any()
}
