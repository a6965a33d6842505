//! English and Russian UI strings (A4). The strings live in `app/locales/*.json`; this module
//! looks them up and holds the current language as a signal, so switching re-renders text.

use std::collections::HashMap;
use std::sync::OnceLock;

use leptos::prelude::*;

use crate::domain::Locale;

type Table = HashMap<String, String>;

fn parse(source: &str) -> Table {
    // The files are part of the build and checked by a unit test; a broken one shows keys.
    serde_json::from_str(source).unwrap_or_default()
}

fn table(locale: Locale) -> &'static Table {
    static EN: OnceLock<Table> = OnceLock::new();
    static RU: OnceLock<Table> = OnceLock::new();
    match locale {
        Locale::En => EN.get_or_init(|| parse(include_str!("../../locales/en.json"))),
        Locale::Ru => RU.get_or_init(|| parse(include_str!("../../locales/ru.json"))),
    }
}

/// The string for `key` in `locale`, falling back to English, then to the key itself.
pub fn translate(locale: Locale, key: &str) -> String {
    table(locale)
        .get(key)
        .or_else(|| table(Locale::En).get(key))
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// The current language, provided once at the root of the app.
#[derive(Clone, Copy)]
pub struct I18n {
    pub locale: RwSignal<Locale>,
}

impl I18n {
    /// Reactive lookup: call it inside a closure in views so text follows a switch.
    pub fn t(&self, key: &str) -> String {
        translate(self.locale.get(), key)
    }

    /// `t` with `{name}` placeholders filled in.
    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key);
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

pub fn provide_i18n(locale: Locale) -> I18n {
    let i18n = I18n {
        locale: RwSignal::new(locale),
    };
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_russian_have_the_same_keys() {
        let en = parse(include_str!("../../locales/en.json"));
        let ru = parse(include_str!("../../locales/ru.json"));
        assert!(en.len() > 20, "en.json failed to parse or is nearly empty");
        let mut missing_ru: Vec<_> = en.keys().filter(|k| !ru.contains_key(*k)).collect();
        let mut missing_en: Vec<_> = ru.keys().filter(|k| !en.contains_key(*k)).collect();
        missing_ru.sort();
        missing_en.sort();
        assert!(missing_ru.is_empty(), "missing in ru.json: {missing_ru:?}");
        assert!(missing_en.is_empty(), "missing in en.json: {missing_en:?}");
    }

    #[test]
    fn unknown_keys_fall_back_to_the_key() {
        assert_eq!(translate(Locale::Ru, "no.such.key"), "no.such.key");
        assert_eq!(translate(Locale::Ru, "inbox.section.new"), "Новые");
    }
}
