//! The left pane: sections, filter, and the list of dialogs (C2, C3), live (C9).

use chrono::Utc;
use leptos::prelude::*;

use super::Sections;
use crate::api::dialogs::{get_counters, list_dialogs};
use crate::domain::{DialogRow, MessageKind};
use crate::i18n::use_i18n;
use crate::realtime::use_realtime;
use crate::ui::components::common::{Avatar, StatusBadge};
use crate::ui::format::list_time;
use crate::ui::pages::inbox::use_inbox;
use crate::ui::prefs::PagePrefs;

/// Rows fetched at first and added by "Show more".
const PAGE: i64 = 50;

#[component]
pub fn DialogList() -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let live = use_realtime();
    let limit = RwSignal::new(PAGE);
    // A new section or filter starts from the first page again.
    Effect::new(move |_| {
        inbox.section.track();
        inbox.include_closed.track();
        limit.set(PAGE);
    });

    let counters = Resource::new(
        move || {
            (
                inbox.include_closed.get(),
                live.version.get(),
                live.local.get(),
            )
        },
        |(closed, _, _)| get_counters(closed),
    );
    let list = Resource::new(
        move || {
            (
                inbox.section.get(),
                inbox.include_closed.get(),
                limit.get(),
                live.version.get(),
                live.local.get(),
            )
        },
        |(section, closed, limit, _, _)| list_dialogs(section, closed, None, limit),
    );

    view! {
        <aside class="dlg-list" aria-label=move || i18n.t("inbox.list_label")>
            <Show when=move || !live.connected.get()>
                <div class="dlg-conn dlg-conn--offline" role="status">
                    {move || i18n.t("inbox.offline")}
                </div>
            </Show>
            <Sections counters />
            <Transition fallback=move || {
                view! { <p class="dlg-list__empty">{move || i18n.t("inbox.loading")}</p> }
            }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(page) if page.rows.is_empty() => {
                            view! { <p class="dlg-list__empty">{move || i18n.t("inbox.empty")}</p> }
                                .into_any()
                        }
                        Ok(page) => {
                            let more = page.next.is_some();
                            view! {
                                <ul class="dlg-list__items">
                                    {page.rows.into_iter().map(|row| view! { <DialogRowItem row /> }).collect_view()}
                                    <Show when=move || more>
                                        <li>
                                            <button
                                                type="button"
                                                class="dlg-button dlg-button--ghost dlg-list__more"
                                                on:click=move |_| limit.update(|l| *l += PAGE)
                                            >
                                                {move || i18n.t("inbox.more")}
                                            </button>
                                        </li>
                                    </Show>
                                </ul>
                            }
                                .into_any()
                        }
                        Err(err) => {
                            let key = err.key().to_owned();
                            view! {
                                <p class="dlg-list__empty" role="alert">{move || i18n.t(&key)}</p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </aside>
    }
}

/// One dialog in the list.
#[component]
fn DialogRowItem(row: DialogRow) -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let prefs = expect_context::<PagePrefs>();
    let id = row.id;
    let href = move || format!("/dialogs/{}{}", id, inbox.search.get());
    let class = move || {
        let mut class = String::from("dlg-row");
        if row.unread {
            class.push_str(" dlg-row--unread");
        }
        if inbox.open_id.get() == Some(id) {
            class.push_str(" dlg-row--active");
        }
        class
    };
    let name = row.title.clone().unwrap_or_else(|| row.client_name.clone());
    let time = list_time(row.last_message_at, Utc::now(), prefs.tz_offset_minutes);
    let is_note = row.last_message_kind == MessageKind::Note;
    view! {
        <li>
            <a
                class=class
                href=href
                data-dialog-id=id.0
                aria-current=move || (inbox.open_id.get() == Some(id)).then_some("page")
            >
                <Avatar name=row.client_name.clone() id=row.client_id.0 />
                <span class="dlg-row__name">
                    {name}
                    {(row.client_dialogs > 1)
                        .then(|| {
                            let n = row.client_dialogs.to_string();
                            let title = i18n.t_with("inbox.client_dialogs", &[("n", &n)]);
                            view! {
                                <span class="dlg-row__count" title=title.clone() aria-label=title>
                                    {n.clone()}
                                </span>
                            }
                        })}
                </span>
                <time class="dlg-row__time" datetime=row.last_message_at.to_rfc3339()>
                    {time}
                </time>
                <span class="dlg-row__channel">
                    <span
                        class=format!("dlg-channel-icon dlg-channel-icon--{}", row.channel_kind.as_str())
                        title=row.channel_kind.label()
                    ></span>
                    {row.channel_name.clone()}
                </span>
                <StatusBadge status=row.status />
                <span class="dlg-row__snippet">
                    <Show when=move || is_note>
                        <span class="dlg-row__snippet-note">
                            {move || i18n.t("inbox.note_prefix")} " "
                        </span>
                    </Show>
                    {row.last_message_snippet.clone()}
                </span>
            </a>
        </li>
    }
}
