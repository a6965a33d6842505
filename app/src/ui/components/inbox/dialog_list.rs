//! The left pane: sections, filter, and the list of dialogs (C2, C3), live (C9).

use chrono::Utc;
use leptos::prelude::*;

use super::Sections;
use super::dialog_menu::{DialogMenu, MenuAnchor, MenuState, MenuTarget, button_anchor};
use super::search::{SearchBox, SearchResults, SearchState};
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
    let menu = MenuState(RwSignal::new(None));
    provide_context(menu);
    let search = SearchState::provide();
    let prefs = expect_context::<PagePrefs>();
    let tz = prefs.tz_offset_minutes;
    // The filter as the server reads it; a new one starts from the first page again.
    let query = Memo::new(move |_| inbox.filter.read().to_query());
    Effect::new(move |_| {
        query.track();
        limit.set(PAGE);
    });

    let counters = Resource::new(
        move || (query.get(), live.version.get(), live.local.get()),
        move |(query, _, _)| get_counters(query, tz),
    );
    let list = Resource::new(
        move || {
            (
                query.get(),
                limit.get(),
                live.version.get(),
                live.local.get(),
            )
        },
        move |(query, limit, _, _)| list_dialogs(query, tz, None, limit),
    );

    view! {
        <aside class="dlg-list" aria-label=move || i18n.t("inbox.list_label")>
            <Show when=move || !live.connected.get()>
                <div class="dlg-conn dlg-conn--offline" role="status">
                    {move || i18n.t("inbox.offline")}
                </div>
            </Show>
            <SearchBox />
            <Show when=move || search.active()>
                <SearchResults />
            </Show>
            <div class="dlg-list__main" class:dlg-list__main--hidden=move || search.active()>
            <Sections counters />
            <Transition fallback=move || {
                view! { <p class="dlg-list__empty">{move || i18n.t("inbox.loading")}</p> }
            }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(page) if page.rows.is_empty() => {
                            let key = if inbox.filter.with_untracked(|f| f.narrows()) {
                                "inbox.empty_filtered"
                            } else {
                                "inbox.empty"
                            };
                            view! { <p class="dlg-list__empty">{move || i18n.t(key)}</p> }
                                .into_any()
                        }
                        Ok(page) => {
                            let more = page.next.is_some();
                            // The user's pinned dialogs come first (C6 Favorites).
                            let (pinned, rest): (Vec<DialogRow>, Vec<DialogRow>) = page
                                .rows
                                .into_iter()
                                .partition(|r| r.pinned);
                            let favorites = !pinned.is_empty();
                            let others = favorites && !rest.is_empty();
                            view! {
                                <ul class="dlg-list__items">
                                    <Show when=move || favorites>
                                        <li class="dlg-ctx-heading" role="presentation" data-group="favorites">
                                            {move || i18n.t("inbox.favorites")}
                                        </li>
                                    </Show>
                                    {pinned.into_iter().map(|row| view! { <DialogRowItem row /> }).collect_view()}
                                    <Show when=move || others>
                                        <li class="dlg-ctx-heading" role="presentation" data-group="others">
                                            {move || i18n.t("inbox.other_dialogs")}
                                        </li>
                                    </Show>
                                    {rest.into_iter().map(|row| view! { <DialogRowItem row /> }).collect_view()}
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
            </div>
            <DialogMenu state=menu />
        </aside>
    }
}

/// One dialog in the list.
#[component]
fn DialogRowItem(row: DialogRow) -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let prefs = expect_context::<PagePrefs>();
    let menu = expect_context::<MenuState>();
    let id = row.id;
    let href = move || format!("/dialogs/{}{}", id, inbox.search.get());
    let class = move || {
        let mut class = String::from("dlg-row");
        if row.unread {
            class.push_str(" dlg-row--unread");
        }
        if row.new_helper {
            class.push_str(" dlg-row--new-helper");
        }
        if inbox.open_id.get() == Some(id) {
            class.push_str(" dlg-row--active");
        }
        class
    };
    let name = row.title.clone().unwrap_or_else(|| row.client_name.clone());
    let time = list_time(row.last_message_at, Utc::now(), prefs.tz_offset_minutes);
    let is_note = row.last_message_kind == MessageKind::Note;
    let open_here = move || menu.0.with(|m| m.as_ref().is_some_and(|t| t.row.id == id));
    let on_context = {
        let row = row.clone();
        move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            menu.0.set(Some(MenuTarget {
                row: row.clone(),
                at: MenuAnchor::Pointer {
                    x: f64::from(ev.client_x()),
                    y: f64::from(ev.client_y()),
                },
            }));
        }
    };
    let on_button = {
        let row = row.clone();
        move |ev: leptos::ev::MouseEvent| {
            use wasm_bindgen::JsCast;

            if open_here() {
                menu.0.set(None);
                return;
            }
            let Some(button) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            menu.0.set(Some(MenuTarget {
                row: row.clone(),
                at: button_anchor(&button),
            }));
        }
    };
    let button_label = {
        let name = name.clone();
        Signal::derive(move || i18n.t_with("dialog_menu.button", &[("name", &name)]))
    };
    view! {
        <li class="dlg-ctx-row">
            <a
                class=class
                href=href
                data-dialog-id=id.0
                aria-current=move || (inbox.open_id.get() == Some(id)).then_some("page")
                on:contextmenu=on_context
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
                    {row.client_blocked.then(|| view! {
                        <span class="dlg-row__blocked">{move || i18n.t("inbox.blocked")}</span>
                    })}
                    {row.new_helper.then(|| view! {
                        <span class="dlg-row__helper">{move || i18n.t("inbox.new_helper")}</span>
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
            <button
                type="button"
                class="dlg-ctx-trigger"
                class:dlg-ctx-trigger--open=open_here
                aria-haspopup="menu"
                aria-expanded=move || if open_here() { "true" } else { "false" }
                aria-label=button_label
                title=button_label
                data-menu-for=id.0
                on:click=on_button
            >
                "⋯"
            </button>
        </li>
    }
}
