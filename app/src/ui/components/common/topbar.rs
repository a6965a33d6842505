//! The bar across the top: brand, the user, theme and language switches, sign-out.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::session::{SignOut, get_me, set_preferences};
use crate::domain::{Locale, Theme};
use crate::i18n::use_i18n;
use crate::ui::prefs::{ThemeState, apply_locale};

fn save_preferences(theme: Option<Theme>, locale: Locale) {
    let theme = theme.map(Theme::as_str).unwrap_or("system").to_owned();
    spawn_local(async move {
        if let Err(err) = set_preferences(theme, locale.as_str().to_owned()).await {
            leptos::logging::warn!("saving preferences failed: {err}");
        }
    });
}

#[component]
pub fn Topbar() -> impl IntoView {
    let i18n = use_i18n();
    let theme = expect_context::<ThemeState>();
    let me = Resource::new(|| (), |_| get_me());
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            crate::ui::components::composer::clear_stored_drafts();
            let _ = window().location().set_href("/login");
        }
    });

    let toggle_theme = move |_| {
        let next = match theme.effective() {
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::Dark,
        };
        theme.apply(next);
        save_preferences(Some(next), i18n.locale.get_untracked());
    };
    let toggle_locale = move |_| {
        let next = match i18n.locale.get_untracked() {
            Locale::En => Locale::Ru,
            Locale::Ru => Locale::En,
        };
        i18n.locale.set(next);
        apply_locale(next);
        save_preferences(theme.0.get_untracked(), next);
    };
    let theme_label = move || {
        // The label names the theme the button switches to.
        match theme.0.get() {
            Some(Theme::Dark) => i18n.t("topbar.theme_light"),
            _ => i18n.t("topbar.theme_dark"),
        }
    };

    view! {
        <header class="dlg-topbar">
            <a class="dlg-topbar__brand" href="/dialogs">
                {move || i18n.t("app.name")}
            </a>
            <span class="dlg-topbar__spacer"></span>
            <span class="dlg-topbar__user">
                <Transition>
                    {move || Suspend::new(async move {
                        me.await.map(|me| format!("{} · {}", me.display_name, me.account_name)).unwrap_or_default()
                    })}
                </Transition>
            </span>
            <Transition>
                {move || Suspend::new(async move {
                    let role = me.await.ok().map(|me| me.role);
                    let reports = role.is_some_and(|r| r.sees_everything()).then(|| view! {
                        <a class="dlg-button dlg-button--ghost dlg-topbar__reports" href="/reports">
                            {move || i18n.t("nav.report")}
                        </a>
                    });
                    let settings = role.is_some_and(|r| r.is_admin()).then(|| view! {
                        <a class="dlg-button dlg-button--ghost dlg-topbar__settings" href="/settings">
                            {move || i18n.t("settings.link")}
                        </a>
                    });
                    let important = role.is_some().then(|| view! {
                        <a
                            class="dlg-button dlg-button--ghost dlg-topbar__important"
                            href="/important"
                            title=move || i18n.t("important.title")
                        >
                            <span aria-hidden="true">"★ "</span>
                            <span class="dlg-topbar__label">{move || i18n.t("important.title")}</span>
                        </a>
                    });
                    view! { {important} {reports} {settings} }
                })}
            </Transition>
            <button
                type="button"
                class="dlg-button dlg-button--ghost dlg-button--icon dlg-topbar__theme"
                aria-label=theme_label
                title=theme_label
                on:click=toggle_theme
            >
                <span aria-hidden="true" class="dlg-topbar__theme-icon">
                    {move || if theme.0.get() == Some(Theme::Dark) { "☀" } else { "☾" }}
                </span>
            </button>
            <button
                type="button"
                class="dlg-button dlg-button--ghost dlg-topbar__locale"
                aria-label=move || i18n.t("topbar.locale_label")
                on:click=toggle_locale
            >
                {move || i18n.t("topbar.locale")}
            </button>
            <ActionForm action=sign_out attr:class="dlg-topbar__signout-form">
                <button type="submit" class="dlg-button dlg-button--ghost dlg-topbar__signout">
                    {move || i18n.t("topbar.sign_out")}
                </button>
            </ActionForm>
        </header>
    }
}
