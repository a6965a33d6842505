//! REST API tokens (F3) for owners and admins: who each token acts as and when it was last
//! used; make one (shown once, only its hash is kept) or revoke one.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::settings::{create_api_token, list_api_tokens, revoke_api_token};
use crate::domain::UserId;
use crate::i18n::use_i18n;

#[component]
pub fn ApiTokensSection() -> impl IntoView {
    let i18n = use_i18n();
    let version = RwSignal::new(0u64);
    let tokens = Resource::new(move || version.get(), |_| list_api_tokens());
    // The token just made, shown until the page is left.
    let created = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let user = RwSignal::new(None::<UserId>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(acts_as) = user.get_untracked() else {
            failed.set(Some("settings.error.token_user".into()));
            return;
        };
        spawn_local(async move {
            match create_api_token(acts_as, name.get_untracked()).await {
                Ok(token) => {
                    created.set(Some(token));
                    name.set(String::new());
                    failed.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => failed.set(Some(e.key().to_owned())),
            }
        });
    };
    let revoke = move |id: i64| {
        spawn_local(async move {
            match revoke_api_token(id).await {
                Ok(()) => {
                    failed.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => failed.set(Some(e.key().to_owned())),
            }
        });
    };
    let offset = use_context::<crate::ui::prefs::PagePrefs>()
        .map(|p| p.tz_offset_minutes)
        .unwrap_or(0);
    let when = move |at: chrono::DateTime<chrono::Utc>| {
        crate::ui::format::list_time(at, chrono::Utc::now(), offset)
    };
    view! {
        <section class="dlg-settings__section dlg-tokens">
            <h2>{move || i18n.t("settings.tokens.title")}</h2>
            <p class="dlg-settings__hint">{move || i18n.t("settings.tokens.hint")}</p>
            <Transition>
                {move || {
                    tokens
                        .get()
                        .and_then(Result::ok)
                        .map(|list| {
                            let rows = list
                                .tokens
                                .into_iter()
                                .map(|token| {
                                    let id = token.id;
                                    let used = token
                                        .last_used_at
                                        .map(when)
                                        .unwrap_or_else(|| i18n.t("settings.tokens.never"));
                                    view! {
                                        <div class="dlg-settings__item dlg-tokens__item" data-token=id>
                                            <strong>{token.name}</strong>
                                            <span>{i18n.t_with("settings.tokens.acts_as", &[("name", &token.user_name)])}</span>
                                            <span class="dlg-tokens__dates">
                                                {i18n.t_with("settings.tokens.dates", &[("created", &when(token.created_at)), ("used", &used)])}
                                            </span>
                                            <button
                                                type="button"
                                                class="dlg-button dlg-button--ghost"
                                                on:click=move |_| revoke(id)
                                            >
                                                {move || i18n.t("settings.tokens.revoke")}
                                            </button>
                                        </div>
                                    }
                                })
                                .collect_view();
                            let users = list
                                .users
                                .into_iter()
                                .map(|u| view! { <option value=u.id.0.to_string()>{u.name}</option> })
                                .collect_view();
                            view! {
                                <div class="dlg-settings__list">{rows}</div>
                                <form class="dlg-settings__item" on:submit=create>
                                    <select
                                        class="dlg-input"
                                        name="user_id"
                                        aria-label=move || i18n.t("settings.tokens.user")
                                        on:change=move |ev| {
                                            user.set(event_target_value(&ev).parse().ok().map(UserId))
                                        }
                                    >
                                        <option value="" selected=move || user.get().is_none()>
                                            {move || i18n.t("settings.tokens.choose_user")}
                                        </option>
                                        {users}
                                    </select>
                                    <input
                                        class="dlg-input"
                                        name="token_name"
                                        maxlength="200"
                                        aria-label=move || i18n.t("settings.tokens.name")
                                        placeholder=move || i18n.t("settings.tokens.name")
                                        prop:value=name
                                        on:input=move |ev| name.set(event_target_value(&ev))
                                    />
                                    <button type="submit" class="dlg-button dlg-button--primary">
                                        {move || i18n.t("settings.tokens.create")}
                                    </button>
                                </form>
                            }
                        })
                }}
            </Transition>
            {move || failed.get().map(|key| view! { <p class="dlg-settings__error">{i18n.t(&key)}</p> })}
            {move || {
                created
                    .get()
                    .map(|token| {
                        view! {
                            <div class="dlg-settings__connected" role="status">
                                <p>{i18n.t("settings.tokens.created")}</p>
                                <code class="dlg-settings__code dlg-tokens__new">{token}</code>
                            </div>
                        }
                    })
            }}
        </section>
    }
}
