//! Theme, language and time zone of the page. The server decides them from the user (or
//! cookies) and writes them on `<html>`; the browser reads them back from there while
//! hydrating, so both render the same.

use leptos::prelude::*;

use crate::domain::{Locale, Theme};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PagePrefs {
    pub theme: Option<Theme>,
    pub locale: Locale,
    /// Minutes east of UTC, as the browser reported.
    pub tz_offset_minutes: i32,
}

impl PagePrefs {
    /// During SSR: the signed-in user's settings, else cookies, else the browser's language.
    #[cfg(feature = "ssr")]
    pub fn from_request() -> PagePrefs {
        use crate::auth::session::{LOCALE_COOKIE, THEME_COOKIE};
        use axum_extra::extract::CookieJar;

        let Some(parts) = use_context::<http::request::Parts>() else {
            return PagePrefs::default();
        };
        let jar = CookieJar::from_headers(&parts.headers);
        let tz_offset_minutes = jar
            .get("dlg_tz")
            .and_then(|c| c.value().parse::<i32>().ok())
            .filter(|m| m.abs() <= 14 * 60)
            .unwrap_or(0);
        if let Some(user) = crate::auth::current_user() {
            return PagePrefs {
                theme: user.theme,
                locale: user.locale,
                tz_offset_minutes,
            };
        }
        let theme = jar.get(THEME_COOKIE).and_then(|c| Theme::parse(c.value()));
        let locale = jar
            .get(LOCALE_COOKIE)
            .and_then(|c| Locale::parse(c.value()))
            .unwrap_or_else(|| {
                parts
                    .headers
                    .get(http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .map(Locale::from_accept_language)
                    .unwrap_or_default()
            });
        PagePrefs {
            theme,
            locale,
            tz_offset_minutes,
        }
    }

    #[cfg(not(feature = "ssr"))]
    pub fn from_request() -> PagePrefs {
        PagePrefs::default()
    }

    /// The preferences of this page, on either side.
    pub fn current() -> PagePrefs {
        #[cfg(feature = "ssr")]
        {
            PagePrefs::from_request()
        }
        #[cfg(not(feature = "ssr"))]
        {
            PagePrefs::from_document()
        }
    }

    #[cfg(not(feature = "ssr"))]
    fn from_document() -> PagePrefs {
        let Some(root) = document().document_element() else {
            return PagePrefs::default();
        };
        PagePrefs {
            theme: root
                .get_attribute("data-theme")
                .as_deref()
                .and_then(Theme::parse),
            locale: root
                .get_attribute("lang")
                .as_deref()
                .and_then(Locale::parse)
                .unwrap_or_default(),
            tz_offset_minutes: root
                .get_attribute("data-tz")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        }
    }
}

impl Default for PagePrefs {
    fn default() -> Self {
        PagePrefs {
            theme: None,
            locale: Locale::En,
            tz_offset_minutes: 0,
        }
    }
}

/// The chosen theme; `None` follows the system.
#[derive(Clone, Copy)]
pub struct ThemeState(pub RwSignal<Option<Theme>>);

impl ThemeState {
    pub fn new(theme: Option<Theme>) -> Self {
        ThemeState(RwSignal::new(theme))
    }

    /// The theme actually shown: the choice, or the system's.
    pub fn effective(&self) -> Theme {
        if let Some(theme) = self.0.get() {
            return theme;
        }
        #[cfg(not(feature = "ssr"))]
        {
            let dark = window()
                .match_media("(prefers-color-scheme: dark)")
                .ok()
                .flatten()
                .map(|m| m.matches())
                .unwrap_or(false);
            if dark {
                return Theme::Dark;
            }
        }
        Theme::Light
    }

    /// Shows `theme` at once by setting `<html data-theme>`.
    pub fn apply(&self, theme: Theme) {
        self.0.set(Some(theme));
        #[cfg(not(feature = "ssr"))]
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", theme.as_str());
        }
    }
}

/// Shows `locale` at once by setting `<html lang>`.
pub fn apply_locale(locale: Locale) {
    #[cfg(not(feature = "ssr"))]
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", locale.as_str());
    }
    let _ = locale;
}
