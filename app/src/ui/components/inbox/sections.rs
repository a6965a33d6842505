//! The New / In work / All tabs with their unread counters (C2), and the closed filter.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::NewDialogButton;
use crate::domain::{Counters, Section};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::ui::pages::inbox::use_inbox;

/// The query string for a section and filter.
pub fn section_href(section: Section, include_closed: bool) -> String {
    let mut href = format!("/dialogs?section={}", section.as_str());
    if include_closed {
        href.push_str("&closed=1");
    }
    href
}

/// The tabs. `counters` is the resource of unread counts within the active filters.
#[component]
pub fn Sections(counters: Resource<Result<Counters, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let navigate = use_navigate();
    let toggle_closed = move |_| {
        navigate(
            &section_href(
                inbox.section.get_untracked(),
                !inbox.include_closed.get_untracked(),
            ),
            Default::default(),
        );
    };

    let nav = move |counts: Counters| {
        view! {
            <nav class="dlg-sections" aria-label=move || i18n.t("inbox.sections_label")>
                {Section::ALL
                    .into_iter()
                    .map(|section| {
                        let key = format!("inbox.section.{}", section.as_str());
                        let active = move || inbox.section.get() == section;
                        view! {
                            <a
                                class=move || {
                                    if active() { "dlg-section dlg-section--active" } else { "dlg-section" }
                                }
                                href=move || section_href(section, inbox.include_closed.get())
                                aria-current=move || active().then_some("page")
                                data-section=section.as_str()
                            >
                                <span class="dlg-section__label">{move || i18n.t(&key)}</span>
                                <span
                                    class=move || {
                                        if counts.get(section) == 0 {
                                            "dlg-section__count dlg-badge dlg-badge--zero"
                                        } else {
                                            "dlg-section__count dlg-badge"
                                        }
                                    }
                                    title=move || i18n.t("inbox.unread_count")
                                >
                                    {move || counts.get(section)}
                                </span>
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
        }
    };

    view! {
        <Transition fallback=move || nav(Counters::default())>
            {move || Suspend::new(async move { nav(counters.await.unwrap_or_default()) })}
        </Transition>
        <div class="dlg-list__filters">
            <label class="dlg-check">
                <input
                    type="checkbox"
                    prop:checked=move || inbox.include_closed.get()
                    on:change=toggle_closed
                />
                <span>{move || i18n.t("inbox.include_closed")}</span>
            </label>
            <NewDialogButton />
        </div>
    }
}
