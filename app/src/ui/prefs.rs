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
    /// The width of the dialog list the user dragged the divider to (C1), if any.
    pub list_width: Option<i32>,
}

/// The cookie that remembers the dialog list's width, so the server draws it at once.
pub const LIST_WIDTH_COOKIE: &str = "dlg_list_width";
/// The narrowest and widest the dialog list may be, in CSS pixels.
pub const LIST_WIDTH_MIN: i32 = 260;
pub const LIST_WIDTH_MAX: i32 = 720;
/// The list's width until the user drags the divider.
pub const LIST_WIDTH_DEFAULT: i32 = 360;

/// A remembered list width, if it is a number; clamped to the allowed range.
pub fn parse_list_width(value: &str) -> Option<i32> {
    value
        .trim()
        .parse::<i32>()
        .ok()
        .map(|w| w.clamp(LIST_WIDTH_MIN, LIST_WIDTH_MAX))
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
        let list_width = jar
            .get(LIST_WIDTH_COOKIE)
            .and_then(|c| parse_list_width(c.value()));
        if let Some(user) = crate::auth::current_user() {
            return PagePrefs {
                theme: user.theme,
                locale: user.locale,
                tz_offset_minutes,
                list_width,
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
            list_width,
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
            list_width: root
                .get_attribute("data-list-width")
                .as_deref()
                .and_then(parse_list_width),
        }
    }
}

impl Default for PagePrefs {
    fn default() -> Self {
        PagePrefs {
            theme: None,
            locale: Locale::En,
            tz_offset_minutes: 0,
            list_width: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_list_width_is_clamped_and_garbage_is_ignored() {
        assert_eq!(parse_list_width("420"), Some(420));
        assert_eq!(parse_list_width(" 420 "), Some(420));
        assert_eq!(parse_list_width("10"), Some(LIST_WIDTH_MIN));
        assert_eq!(parse_list_width("99999"), Some(LIST_WIDTH_MAX));
        assert_eq!(parse_list_width("-5"), Some(LIST_WIDTH_MIN));
        assert_eq!(parse_list_width("wide"), None);
        assert_eq!(parse_list_width(""), None);
        assert_eq!(parse_list_width("1e9"), None);
    }
}
