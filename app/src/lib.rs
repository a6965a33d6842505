//! Dialogs: the Leptos application, rendered on the server and hydrated in the browser.

#![recursion_limit = "512"]

pub mod api;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod realtime;
pub mod ui;

// Server-only modules, gated once here.
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod store;

pub use ui::{App, shell};

/// Browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
