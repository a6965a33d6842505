//! The emoji picker (E4): a button beside a text field that opens the user's recent emoji,
//! the popular set by group, and a search in English and Russian. The set and its rules
//! live in `domain::emoji`; the recent list is kept per user on the server.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api::emoji::{recent_emoji, use_emoji};
use crate::domain::emoji::{self, Category, Emoji};
use crate::i18n::use_i18n;

/// Columns of the emoji grid (the stylesheet draws the same), for moving with the arrows.
const COLUMNS: usize = 8;

/// The emoji button and its popover for the text field `field`, whose text is `text`.
/// A chosen emoji goes in at the caret (or over the selection), the caret stays after it
/// and the field gets the focus back.
#[component]
pub fn EmojiPicker(
    field: NodeRef<leptos::html::Textarea>,
    text: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let recent = RwSignal::new(Vec::<String>::new());
    let root = NodeRef::<leptos::html::Div>::new();
    let toggle = NodeRef::<leptos::html::Button>::new();
    // Only the answer to the latest request is shown: an older list arriving late would
    // hide an emoji just used.
    let latest = StoredValue::new(0u32);
    let fetch_recent = move |request: Option<String>| {
        let id = latest.get_value().wrapping_add(1);
        latest.set_value(id);
        spawn_local(async move {
            let answer = match request {
                Some(used) => use_emoji(used).await,
                None => recent_emoji().await,
            };
            if let Ok(list) = answer
                // The picker may be gone by then (another dialog opened).
                && latest.try_get_value() == Some(id)
            {
                recent.set(list);
            }
        });
    };

    let close = Callback::new(move |refocus: bool| {
        open.set(false);
        if refocus && let Some(button) = toggle.get_untracked() {
            let _ = button.focus();
        }
    });
    let show = move || {
        open.set(true);
        // Another tab may have used some since: ask every time.
        fetch_recent(None);
    };
    let insert = Callback::new(move |chosen: String| {
        if let Some(el) = field.get_untracked() {
            let value = el.value();
            let length = value.encode_utf16().count() as u32;
            let start = el.selection_start().ok().flatten().unwrap_or(length);
            let end = el.selection_end().ok().flatten().unwrap_or(start);
            let _ = el.set_range_text_with_start_and_end(&chosen, start, end);
            text.set(el.value());
            let _ = el.focus();
            let caret = start + chosen.encode_utf16().count() as u32;
            let _ = el.set_selection_range(caret, caret);
        } else {
            text.update(|t| t.push_str(&chosen));
        }
        open.set(false);
        recent.update(|list| *list = emoji::remember(list, &chosen));
        fetch_recent(Some(chosen));
    });

    view! {
        <div
            class="dlg-emoji"
            node_ref=root
            // Escape closes the picker only, not a form around it.
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" && open.get_untracked() {
                    ev.prevent_default();
                    ev.stop_propagation();
                    close.run(true);
                }
            }
        >
            <button
                type="button"
                class="dlg-button dlg-button--ghost dlg-button--icon dlg-emoji__toggle"
                node_ref=toggle
                aria-haspopup="dialog"
                aria-expanded=move || open.get().to_string()
                aria-label=move || i18n.t("emoji.open")
                title=move || i18n.t("emoji.open")
                on:click=move |_| if open.get_untracked() { close.run(false) } else { show() }
            >
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2" />
                    <path d="M8 14.5c1 1.3 2.3 2 4 2s3-.7 4-2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                    <circle cx="9" cy="10" r="1.3" fill="currentColor" />
                    <circle cx="15" cy="10" r="1.3" fill="currentColor" />
                </svg>
            </button>
            <Show when=move || open.get()>
                <EmojiPanel root recent insert close />
            </Show>
        </div>
    }
}

/// The open picker: search, recent emoji, the set by group (or what the search found).
#[component]
fn EmojiPanel(
    root: NodeRef<leptos::html::Div>,
    recent: RwSignal<Vec<String>>,
    insert: Callback<String>,
    close: Callback<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = RwSignal::new(String::new());
    let panel = NodeRef::<leptos::html::Div>::new();
    let search = NodeRef::<leptos::html::Input>::new();
    let found = Memo::new(move |_| query.with(|q| emoji::search(q).collect::<Vec<Emoji>>()));

    // Escape with the focus elsewhere on the page; a press or tap outside the picker.
    crate::ui::components::common::close_on_escape(Callback::new(move |()| close.run(false)));
    let outside = window_event_listener(leptos::ev::pointerdown, move |ev| {
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let inside = root
            .get_untracked()
            .is_some_and(|r| r.contains(target.as_ref()));
        if !inside {
            close.run(false);
        }
    });
    on_cleanup(move || outside.remove());

    // The search gets the focus where there is a keyboard; on a touch screen the on-screen
    // keyboard would cover the emoji.
    Effect::new(move |_| {
        let fine_pointer = window()
            .match_media("(pointer: fine)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches());
        if fine_pointer && let Some(input) = search.get() {
            let _ = input.focus();
        }
    });

    // Arrows move between emoji; Down from the search enters the grid.
    let focus_item = move |index: usize| {
        let item = panel
            .get_untracked()
            .and_then(|p| {
                p.query_selector(&format!("[data-i=\"{index}\"]"))
                    .ok()
                    .flatten()
            })
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(item) = item {
            let _ = item.focus();
        }
    };
    let on_grid_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(current) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.get_attribute("data-i"))
            .and_then(|i| i.parse::<usize>().ok())
        else {
            return;
        };
        let next = match ev.key().as_str() {
            "ArrowRight" => current.checked_add(1),
            "ArrowLeft" => current.checked_sub(1),
            "ArrowDown" => current.checked_add(COLUMNS),
            "ArrowUp" => current.checked_sub(COLUMNS),
            _ => return,
        };
        ev.prevent_default();
        match next {
            Some(i) => focus_item(i),
            None => {
                if let Some(input) = search.get_untracked() {
                    let _ = input.focus();
                }
            }
        }
    };
    let on_search_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        // Enter takes the first match; it must not send the form around the composer.
        "Enter" => {
            ev.prevent_default();
            let first = if query.with_untracked(|q| q.trim().is_empty()) {
                None
            } else {
                found.with_untracked(|f| f.first().map(|e| e.emoji.to_owned()))
            };
            if let Some(first) = first {
                insert.run(first);
            }
        }
        "ArrowDown" => {
            ev.prevent_default();
            focus_item(0);
        }
        _ => {}
    };

    let item = move |emoji: String, label: String, index: usize| {
        let chosen = emoji.clone();
        view! {
            <button
                type="button"
                class="dlg-emoji__item"
                data-i=index.to_string()
                aria-label=label.clone()
                title=label
                on:click=move |_| insert.run(chosen.clone())
            >
                {emoji}
            </button>
        }
    };
    let section = move |title: String, items: Vec<AnyView>| {
        view! {
            <section class="dlg-emoji__group" aria-label=title.clone()>
                <h3 class="dlg-emoji__title">{title.clone()}</h3>
                <div class="dlg-emoji__grid">{items}</div>
            </section>
        }
    };
    let body = move || {
        let locale = i18n.locale.get();
        let searching = query.with(|q| !q.trim().is_empty());
        let mut index = 0;
        let mut next = || {
            index += 1;
            index - 1
        };
        let mut sections = Vec::new();
        if searching {
            let items: Vec<AnyView> = found.with(|list| {
                list.iter()
                    .map(|e| item(e.emoji.to_owned(), e.name(locale).to_owned(), next()).into_any())
                    .collect()
            });
            if items.is_empty() {
                return view! { <p class="dlg-emoji__empty">{i18n.t("emoji.nothing")}</p> }
                    .into_any();
            }
            sections.push(section(i18n.t("emoji.results"), items).into_any());
        } else {
            let mine: Vec<AnyView> = recent.with(|list| {
                list.iter()
                    .map(|e| {
                        let label =
                            emoji::find(e).map_or_else(|| e.clone(), |k| k.name(locale).to_owned());
                        item(e.clone(), label, next()).into_any()
                    })
                    .collect()
            });
            if !mine.is_empty() {
                sections.push(
                    view! {
                        <section class="dlg-emoji__group dlg-emoji__group--recent" aria-label=i18n.t("emoji.recent")>
                            <h3 class="dlg-emoji__title">{i18n.t("emoji.recent")}</h3>
                            <div class="dlg-emoji__grid">{mine}</div>
                        </section>
                    }
                    .into_any(),
                );
            }
            found.with(|list| {
                for category in Category::ALL {
                    let items: Vec<AnyView> = list
                        .iter()
                        .filter(|e| e.category == category)
                        .map(|e| {
                            item(e.emoji.to_owned(), e.name(locale).to_owned(), next()).into_any()
                        })
                        .collect();
                    sections.push(section(i18n.t(category.label_key()), items).into_any());
                }
            });
        }
        sections.into_any()
    };

    view! {
        <div
            class="dlg-emoji__panel"
            role="dialog"
            aria-label=move || i18n.t("emoji.picker")
            node_ref=panel
        >
            <input
                class="dlg-input dlg-emoji__search"
                type="search"
                autocomplete="off"
                enterkeyhint="done"
                node_ref=search
                aria-label=move || i18n.t("emoji.search")
                placeholder=move || i18n.t("emoji.search")
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=on_search_keydown
            />
            <div class="dlg-emoji__body" on:keydown=on_grid_keydown>
                {body}
            </div>
        </div>
    }
}
