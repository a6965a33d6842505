//! The New / In work / All tabs with their unread counters (C2), and the filter bar.

use leptos::prelude::*;

use super::FilterBar;
use crate::domain::{Counters, Section};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::ui::pages::inbox::use_inbox;

/// The tabs. `counters` is the resource of unread counts within the active filters.
#[component]
pub fn Sections(counters: Resource<Result<Counters, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();

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
                                href=move || inbox.href_tracked(&inbox.filter.get().with_section(section))
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
                                    {move || Counters::label(counts.get(section))}
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
            <FilterBar />
        </div>
    }
}
