//! The sign-in screen (A1).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::session::SignIn;
use crate::i18n::use_i18n;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .unwrap_or_else(|| "/dialogs".to_owned())
    };

    // A full page load after sign-in, so every part of the app starts as this user.
    Effect::new(move |_| {
        if let Some(Ok(next)) = action.value().get() {
            let _ = window().location().set_href(&next);
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| i18n.t(e.key()))
            .unwrap_or_default()
    };

    view! {
        <main class="dlg-login">
            <ActionForm action=action attr:class="dlg-login__form">
                <h1 class="dlg-login__title">{move || i18n.t("login.title")}</h1>
                <p class="dlg-login__subtitle">{move || i18n.t("login.subtitle")}</p>
                <input type="hidden" name="next" prop:value=next />
                <label class="dlg-field">
                    <span class="dlg-field__label">{move || i18n.t("login.email")}</span>
                    <input
                        class="dlg-input"
                        type="email"
                        name="email"
                        autocomplete="username"
                        required
                        autofocus
                    />
                </label>
                <label class="dlg-field">
                    <span class="dlg-field__label">{move || i18n.t("login.password")}</span>
                    <input
                        class="dlg-input"
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                    />
                </label>
                {move || {
                    let message = error();
                    (!message.is_empty())
                        .then(|| view! { <p class="dlg-login__error" role="alert">{message}</p> })
                }}
                <button
                    class="dlg-button dlg-button--primary"
                    type="submit"
                    disabled=move || action.pending().get()
                >
                    {move || {
                        if action.pending().get() {
                            i18n.t("login.submitting")
                        } else {
                            i18n.t("login.submit")
                        }
                    }}
                </button>
            </ActionForm>
        </main>
    }
}
