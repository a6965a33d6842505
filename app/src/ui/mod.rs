//! The user interface: the HTML shell, the routes, pages and components.

pub mod components;
pub mod format;
pub mod pages;
pub mod prefs;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::i18n::provide_i18n;
use pages::{
    ChatPage, EmptyChat, ImportantPage, InboxPage, LoginPage, NotFound, ReportsPage, SettingsPage,
};
use prefs::{PagePrefs, ThemeState};

/// Sets the time-zone cookie so the server formats times as the browser would.
const TZ_SCRIPT: &str = "document.cookie='dlg_tz='+(-new Date().getTimezoneOffset())+';path=/;max-age=31536000;samesite=lax'";

/// The whole HTML document, rendered on the server. Theme, language and time zone are
/// decided here from the user's settings (or cookies), so the first paint is already right.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let prefs = PagePrefs::from_request();
    view! {
        <!DOCTYPE html>
        <html
            lang=prefs.locale.as_str()
            data-theme=prefs.theme.map(|t| t.as_str())
            data-tz=prefs.tz_offset_minutes.to_string()
            data-list-width=prefs.list_width.map(|w| w.to_string())
        >
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="stylesheet" id="leptos" href="/pkg/dialogs.css" />
                <link rel="icon" href="/favicon.ico" />
                <script>{TZ_SCRIPT}</script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: preferences, language and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let prefs = PagePrefs::current();
    provide_i18n(prefs.locale);
    provide_context(ThemeState::new(prefs.theme));
    provide_context(prefs);
    // Marks the page as interactive (tests and scripts wait for it).
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title text="Dialogs" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                <Route path=path!("/reports") view=ReportsPage ssr=SsrMode::Async />
                <Route path=path!("/important") view=ImportantPage ssr=SsrMode::Async />
                <Route path=path!("/") view=|| view! { <Redirect path="/dialogs" /> } />
                <ParentRoute path=path!("/dialogs") view=InboxPage ssr=SsrMode::Async>
                    <Route path=path!("") view=EmptyChat />
                    <Route path=path!(":id") view=ChatPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
