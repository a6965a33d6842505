//! The left pane: sections, filter, and the list of dialogs (C2, C3), live (C9).

use chrono::Utc;
use leptos::prelude::*;

use super::dialog_menu::{DialogMenu, MenuAnchor, MenuState, MenuTarget, button_anchor};
use super::search::{SearchBox, SearchResults, SearchState};
use super::{FolderBar, NewDialogButton, Sections};
use crate::api::dialogs::{dialog_rows, get_counters, list_dialogs};
use crate::domain::list::LoadedList;
use crate::domain::{DialogId, DialogRow, DialogStatus, MessageKind};
use crate::i18n::use_i18n;
use crate::realtime::use_realtime;
use crate::ui::components::common::{Avatar, StatusBadge};
use crate::ui::format::list_time;
use crate::ui::pages::inbox::use_inbox;
use crate::ui::prefs::PagePrefs;

/// Rows of the first page.
const PAGE: i64 = 50;

#[component]
pub fn DialogList() -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let live = use_realtime();
    let menu = MenuState(RwSignal::new(None));
    provide_context(menu);
    let search = SearchState::provide();
    let prefs = expect_context::<PagePrefs>();
    let tz = prefs.tz_offset_minutes;
    // The filter as the server reads it.
    let query = Memo::new(move |_| inbox.filter.read().to_query());
    // The first page loads again for a new filter and after a reconnect (events may have
    // been missed); otherwise live events patch the rows held.
    let reconnects = RwSignal::new(0u32);
    Effect::new(move |prev: Option<()>| {
        live.version.track();
        if prev.is_some() && live.touched.with_untracked(Option::is_none) {
            reconnects.update(|r| *r += 1);
        }
    });

    let counters = Resource::new(
        move || (query.get(), live.version.get(), live.local.get()),
        move |(query, _, _)| get_counters(query, tz),
    );
    let first = Resource::new(
        move || (query.get(), reconnects.get()),
        move |(query, _)| list_dialogs(query, tz, None, PAGE),
    );

    view! {
        <aside class="dlg-list" aria-label=move || i18n.t("inbox.list_label")>
            <Show when=move || !live.connected.get()>
                <div class="dlg-conn dlg-conn--offline" role="status">
                    {move || i18n.t("inbox.offline")}
                </div>
            </Show>
            <div class="dlg-list__top">
                <SearchBox />
                <NewDialogButton />
            </div>
            <Show when=move || search.active()>
                <SearchResults />
            </Show>
            <div class="dlg-list__main" class:dlg-list__main--hidden=move || search.active()>
            <FolderBar />
            <Sections counters />
            <Transition fallback=move || {
                view! { <p class="dlg-list__empty">{move || i18n.t("inbox.loading")}</p> }
            }>
                {move || Suspend::new(async move {
                    match first.await {
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
                            let query = query.get_untracked();
                            view! { <Rows initial=LoadedList::first(page) query tz /> }.into_any()
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

/// Rows fetched as the reader nears the end of the loaded part.
const MORE: i64 = 100;
/// A row's height before one is measured, in pixels.
const ROW_HEIGHT: f64 = 66.0;
/// Rows drawn beyond the visible ones, above and below.
const OVERSCAN: usize = 12;
/// The list's height before it is measured (the server's render).
const VIEWPORT: f64 = 900.0;

/// What tells one drawn row from another: a row is drawn again when any of it changes.
type RowKey = (
    DialogId,
    i64,
    bool,
    bool,
    DialogStatus,
    bool,
    bool,
    i64,
    Option<String>,
    String,
);

fn row_key(r: &DialogRow) -> RowKey {
    (
        r.id,
        r.last_message_at.timestamp_micros(),
        r.unread,
        r.pinned,
        r.status,
        r.new_helper,
        r.client_blocked,
        r.client_dialogs,
        r.title.clone(),
        r.last_message_snippet.clone(),
    )
}

/// The loaded list: pinned dialogs first (all of them), then the rest, of which only the
/// rows in sight are in the page (however many thousands are loaded). Nearing the end loads
/// the next page; live events and this browser's own changes patch the rows they touch.
#[component]
fn Rows(initial: LoadedList, query: String, tz: i32) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_realtime();
    let list = RwSignal::new(initial);
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(VIEWPORT);
    let row_height = RwSignal::new(ROW_HEIGHT);
    let rest_top = RwSignal::new(0.0f64);
    let loading = RwSignal::new(false);
    let container = NodeRef::<leptos::html::Ul>::new();
    let spacer = NodeRef::<leptos::html::Li>::new();
    let query = StoredValue::new(query);

    // Where the rest starts in the scrolled content, and how tall a row and the list are.
    let measure = move || {
        let (Some(ul), Some(top)) = (container.get_untracked(), spacer.get_untracked()) else {
            return;
        };
        viewport.set(f64::from(ul.client_height()).max(1.0));
        rest_top.set(f64::from(top.offset_top()));
        if let Some(h) = ul
            .query_selector("li.dlg-ctx-row")
            .ok()
            .flatten()
            .and_then(|li| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(li).ok())
            .map(|li| f64::from(li.offset_height()))
            .filter(|h| *h > 0.0)
            && (h - row_height.get_untracked()).abs() > 0.5
        {
            row_height.set(h);
        }
    };
    Effect::new(move |_| measure());
    let on_scroll = move |_| {
        if let Some(ul) = container.get_untracked() {
            scroll_top.set(f64::from(ul.scroll_top()));
        }
        measure();
    };

    let rest_len = Memo::new(move |_| list.with(|l| l.split().1.len()));
    let range = Memo::new(move |_| {
        let n = rest_len.get();
        let h = row_height.get();
        let top = (scroll_top.get() - rest_top.get()).max(0.0);
        let start = ((top / h) as usize).saturating_sub(OVERSCAN).min(n);
        let end = (((top + viewport.get()) / h).ceil() as usize + OVERSCAN).min(n);
        (start, end.max(start))
    });

    // The next page, when the rows in sight come near the end of those loaded.
    Effect::new(move |_| {
        let (_, end) = range.get();
        let Some(after) = list.with(|l| l.next) else {
            return;
        };
        if end + OVERSCAN < rest_len.get() || loading.get_untracked() {
            return;
        }
        loading.set(true);
        let query = query.get_value();
        leptos::task::spawn_local(async move {
            if let Ok(page) = list_dialogs(query, tz, Some(after), MORE).await {
                list.update(|l| {
                    // Only if nothing reloaded the list meanwhile.
                    if l.next == Some(after) {
                        l.append(page);
                    }
                });
            }
            loading.set(false);
        });
    });

    // Patches: what live events and this browser's own changes touched.
    let patch = move |ids: Vec<DialogId>| {
        if ids.is_empty() {
            return;
        }
        let query = query.get_value();
        leptos::task::spawn_local(async move {
            for chunk in ids.chunks(crate::api::dialogs::MAX_ROWS_AMONG) {
                if let Ok(rows) = dialog_rows(query.clone(), tz, chunk.to_vec()).await {
                    list.update(|l| l.patch(chunk, rows));
                }
            }
        });
    };
    Effect::new(move |prev: Option<()>| {
        live.version.track();
        if prev.is_some()
            && let Some(ids) = live.touched.get_untracked()
        {
            patch(ids);
        }
    });
    Effect::new(move |prev: Option<()>| {
        live.local.track();
        if prev.is_some() {
            let ids = live
                .local_touched
                .try_update_value(std::mem::take)
                .unwrap_or_default();
            patch(ids);
        }
    });

    let pinned = move || list.with(|l| l.split().0.to_vec());
    let visible = move || {
        let (start, end) = range.get();
        list.with(|l| l.split().1[start..end].to_vec())
    };
    let favorites = move || list.with(|l| !l.split().0.is_empty());
    let others = move || list.with(|l| !l.split().0.is_empty() && !l.split().1.is_empty());
    view! {
        <ul class="dlg-list__items" node_ref=container on:scroll=on_scroll>
            <Show when=favorites>
                <li class="dlg-ctx-heading" role="presentation" data-group="favorites">
                    {move || i18n.t("inbox.favorites")}
                </li>
            </Show>
            <For each=pinned key=row_key let:row>
                <DialogRowItem row />
            </For>
            <Show when=others>
                <li class="dlg-ctx-heading" role="presentation" data-group="others">
                    {move || i18n.t("inbox.other_dialogs")}
                </li>
            </Show>
            <li
                class="dlg-list__spacer"
                aria-hidden="true"
                node_ref=spacer
                style=move || format!("height:{}px", range.get().0 as f64 * row_height.get())
            ></li>
            <For each=visible key=row_key let:row>
                <DialogRowItem row />
            </For>
            <li
                class="dlg-list__spacer"
                aria-hidden="true"
                style=move || {
                    let (_, end) = range.get();
                    format!("height:{}px", (rest_len.get() - end) as f64 * row_height.get())
                }
            ></li>
            <Show when=move || loading.get()>
                <li class="dlg-list__loading" role="status">{move || i18n.t("inbox.loading")}</li>
            </Show>
        </ul>
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
