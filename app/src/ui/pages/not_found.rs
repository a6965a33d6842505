//! What unknown pages and dialogs the user may not see look like. Both answer 404, and a
//! dialog of another account looks exactly like one that does not exist.

use leptos::prelude::*;

use crate::i18n::use_i18n;

fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

/// A whole page for unknown addresses.
#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    let i18n = use_i18n();
    view! {
        <main class="dlg-notfound">
            <h1>{move || i18n.t("notfound.title")}</h1>
            <p>{move || i18n.t("notfound.text")}</p>
            <a class="dlg-button dlg-button--primary" href="/dialogs">
                {move || i18n.t("notfound.back")}
            </a>
        </main>
    }
}

/// The chat pane's version, for `/dialogs/{id}` that the user cannot see.
#[component]
pub fn NotFoundPane() -> impl IntoView {
    set_not_found_status();
    let i18n = use_i18n();
    view! {
        <div class="dlg-chat__empty dlg-notfound" role="alert">
            <h1>{move || i18n.t("notfound.title")}</h1>
            <p>{move || i18n.t("notfound.text")}</p>
            <a class="dlg-button" href="/dialogs">
                {move || i18n.t("notfound.back")}
            </a>
        </div>
    }
}
