//! The dialog menu of the list (C6): opened by a right-click on a row (at the pointer) or
//! by the row's "⋯" button (under it); open in a new tab, read / unread, pin, hide system
//! messages, block the client.

use leptos::portal::Portal;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::dialog_menu::{get_dialog_menu, mark_unread, set_client_blocked, set_pinned};
use crate::api::dialogs::{mark_read, set_hide_system};
use crate::domain::{DialogId, DialogRow, MessageId};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::realtime::use_realtime;
use crate::ui::components::common::close_on_escape;

/// Which dialog the menu is open for, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuTarget {
    pub row: DialogRow,
    pub at: MenuAnchor,
}

/// Where the menu opens, in viewport pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MenuAnchor {
    /// At the pointer of a right-click: the menu's top left corner.
    Pointer { x: f64, y: f64 },
    /// Under a button: its right edge, top and bottom.
    Below { right: f64, top: f64, bottom: f64 },
}

/// The open menu (one for the whole list), shared by the rows.
#[derive(Clone, Copy)]
pub struct MenuState(pub RwSignal<Option<MenuTarget>>);

/// The data attribute the "⋯" buttons carry, to give them the focus back on closing.
pub const TRIGGER_ATTR: &str = "data-menu-for";

/// Space kept between the menu and the viewport's edges.
const MARGIN: f64 = 8.0;

/// What the menu does.
#[derive(Debug, Clone, Copy)]
enum Act {
    Read,
    Unread,
    Pin(bool),
    HideSystem(bool),
    Block(bool),
}

/// The menu, when open. Rendered once, beside the list, so a refreshing list leaves it be.
#[component]
pub fn DialogMenu(state: MenuState) -> impl IntoView {
    // In the page's body: the list's container queries would make it the frame of a fixed
    // element, and its scrolling would cut the menu off.
    view! {
        <Portal>
            {move || state.0.get().map(|target| view! { <MenuBody target state /> })}
        </Portal>
    }
}

#[component]
fn MenuBody(target: MenuTarget, state: MenuState) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_realtime();
    let row = target.row.clone();
    let id = row.id;
    let marks = LocalResource::new(move || get_dialog_menu(id));
    let confirm = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let menu_ref = NodeRef::<leptos::html::Div>::new();
    let (start_x, start_y) = match target.at {
        MenuAnchor::Pointer { x, y } => (x, y),
        MenuAnchor::Below { right, bottom, .. } => (right, bottom),
    };
    let place = RwSignal::new((start_x, start_y));

    let close = Callback::new(move |_: ()| {
        state.0.set(None);
        focus_trigger(id);
    });
    close_on_escape(close);

    // Once drawn, and again when the items that need the server arrive: keep it inside the
    // viewport. The first item gets the focus once.
    Effect::new(move |focused: Option<bool>| {
        marks.track();
        let Some(menu) = menu_ref.get() else {
            return false;
        };
        place.set(fit(&menu, target.at));
        if focused != Some(true) {
            focus_item(&menu, Step::First);
        }
        true
    });

    let unread = move || {
        marks
            .get()
            .and_then(Result::ok)
            .map_or(row.unread, |m| m.unread)
    };
    let pinned = move || {
        marks
            .get()
            .and_then(Result::ok)
            .map_or(row.pinned, |m| m.pinned)
    };
    let loaded = move || marks.get().and_then(Result::ok);

    let run = move |act: Act| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result: Result<(), AppError> = match act {
                Act::Read => mark_read(id, MessageId(i64::MAX)).await,
                Act::Unread => mark_unread(id).await,
                Act::Pin(pin) => set_pinned(id, pin).await,
                Act::HideSystem(hide) => set_hide_system(id, hide).await,
                Act::Block(block) => set_client_blocked(id, block).await,
            };
            busy.set(false);
            match result {
                Ok(()) => {
                    if matches!(act, Act::HideSystem(_)) {
                        // The open dialog shows its messages again without them (or with).
                        live.last_dialog.set(Some(id));
                        live.version.update(|v| *v += 1);
                    }
                    live.changed_here(Some(id));
                    close.run(());
                }
                Err(err) => error.set(Some(err.key().to_owned())),
            }
        });
    };

    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(menu) = menu_ref.get_untracked() else {
            return;
        };
        let step = match ev.key().as_str() {
            "ArrowDown" => Step::Next,
            "ArrowUp" => Step::Previous,
            "Home" => Step::First,
            "End" => Step::Last,
            "Tab" => {
                ev.prevent_default();
                close.run(());
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        focus_item(&menu, step);
    };

    let name = row.title.clone().unwrap_or_else(|| row.client_name.clone());
    let confirm_text = {
        let name = name.clone();
        move || i18n.t_with("dialog_menu.block_confirm", &[("name", &name)])
    };
    let label_id = format!("dlg-ctx-label-{id}");
    let labelled_by = label_id.clone();

    view! {
        <div
            class="dlg-ctx-backdrop"
            on:click=move |_| close.run(())
            on:contextmenu=move |ev| {
                ev.prevent_default();
                close.run(());
            }
        ></div>
        <div
            class="dlg-ctx"
            class:dlg-ctx--busy=move || busy.get()
            role="menu"
            aria-labelledby=labelled_by
            data-menu-dialog=id.0
            node_ref=menu_ref
            style:left=move || format!("{}px", place.get().0)
            style:top=move || format!("{}px", place.get().1)
            on:keydown=on_keydown
        >
            <div class="dlg-ctx__title" id=label_id role="presentation">
                {name}
            </div>
            <Show
                when=move || confirm.get()
                fallback=move || {
                    view! {
                        <a
                            class="dlg-ctx__item"
                            role="menuitem"
                            tabindex="-1"
                            href=format!("/dialogs/{id}")
                            target="_blank"
                            rel="noopener"
                            on:click=move |_| close.run(())
                        >
                            {move || i18n.t("dialog_menu.open_tab")}
                        </a>
                        <button
                            type="button"
                            class="dlg-ctx__item"
                            role="menuitem"
                            tabindex="-1"
                            data-act="read"
                            on:click=move |_| run(if unread() { Act::Read } else { Act::Unread })
                        >
                            {move || {
                                if unread() {
                                    i18n.t("dialog_menu.mark_read")
                                } else {
                                    i18n.t("dialog_menu.mark_unread")
                                }
                            }}
                        </button>
                        <button
                            type="button"
                            class="dlg-ctx__item"
                            role="menuitem"
                            tabindex="-1"
                            data-act="pin"
                            on:click=move |_| run(Act::Pin(!pinned()))
                        >
                            {move || {
                                if pinned() {
                                    i18n.t("dialog_menu.unpin")
                                } else {
                                    i18n.t("dialog_menu.pin")
                                }
                            }}
                        </button>
                        {move || {
                            loaded()
                                .map(|m| {
                                    view! {
                                        <button
                                            type="button"
                                            class="dlg-ctx__item"
                                            role="menuitem"
                                            tabindex="-1"
                                            data-act="system"
                                            on:click=move |_| run(Act::HideSystem(!m.hide_system))
                                        >
                                            {move || {
                                                if m.hide_system {
                                                    i18n.t("dialog_menu.show_system")
                                                } else {
                                                    i18n.t("dialog_menu.hide_system")
                                                }
                                            }}
                                        </button>
                                        <Show when=move || m.can_block>
                                            <button
                                                type="button"
                                                class="dlg-ctx__item dlg-ctx__item--danger"
                                                role="menuitem"
                                                tabindex="-1"
                                                data-act="block"
                                                on:click=move |_| {
                                                    if m.client_blocked {
                                                        run(Act::Block(false));
                                                    } else {
                                                        confirm.set(true);
                                                        if let Some(menu) = menu_ref.get_untracked() {
                                                            focus_later(menu);
                                                        }
                                                    }
                                                }
                                            >
                                                {move || {
                                                    if m.client_blocked {
                                                        i18n.t("dialog_menu.unblock")
                                                    } else {
                                                        i18n.t("dialog_menu.block")
                                                    }
                                                }}
                                            </button>
                                        </Show>
                                    }
                                })
                        }}
                    }
                }
            >
                <p class="dlg-ctx__confirm" role="presentation">
                    {confirm_text.clone()}
                </p>
                <button
                    type="button"
                    class="dlg-ctx__item dlg-ctx__item--danger"
                    role="menuitem"
                    tabindex="-1"
                    data-act="block-confirm"
                    on:click=move |_| run(Act::Block(true))
                >
                    {move || i18n.t("dialog_menu.block_yes")}
                </button>
                <button
                    type="button"
                    class="dlg-ctx__item"
                    role="menuitem"
                    tabindex="-1"
                    on:click=move |_| close.run(())
                >
                    {move || i18n.t("dialog_menu.cancel")}
                </button>
            </Show>
            {move || {
                error
                    .get()
                    .map(|key| {
                        view! {
                            <p class="dlg-ctx__error" role="alert">
                                {move || i18n.t(&key)}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// Which item gets the focus.
#[derive(Debug, Clone, Copy)]
enum Step {
    First,
    Last,
    Next,
    Previous,
}

/// Moves the focus among the menu's items (wrapping around).
fn focus_item(menu: &web_sys::HtmlDivElement, step: Step) {
    use wasm_bindgen::JsCast;

    let mut items: Vec<web_sys::HtmlElement> = Vec::new();
    let mut child = menu.first_element_child();
    while let Some(el) = child {
        child = el.next_element_sibling();
        if el.get_attribute("role").as_deref() == Some("menuitem")
            && let Ok(item) = el.dyn_into::<web_sys::HtmlElement>()
        {
            items.push(item);
        }
    }
    if items.is_empty() {
        return;
    }
    let active = document().active_element();
    let current = items
        .iter()
        .position(|i| active.as_ref() == Some(i.unchecked_ref::<web_sys::Element>()));
    let last = items.len() - 1;
    let index = match (step, current) {
        (Step::First, _) | (Step::Next, None) => 0,
        (Step::Last, _) | (Step::Previous, None) => last,
        (Step::Next, Some(i)) => (i + 1) % items.len(),
        (Step::Previous, Some(i)) => i.checked_sub(1).unwrap_or(last),
    };
    let _ = items[index].focus();
}

/// Focuses the first item after the menu's items were swapped (the confirm step).
fn focus_later(menu: web_sys::HtmlDivElement) {
    request_animation_frame(move || focus_item(&menu, Step::First));
}

/// Gives the focus back to the "⋯" button of the dialog's row, if it is still there.
fn focus_trigger(id: DialogId) {
    use wasm_bindgen::JsCast;

    if let Ok(Some(el)) = document().query_selector(&format!("[{TRIGGER_ATTR}=\"{}\"]", id.0))
        && let Ok(button) = el.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = button.focus();
    }
}

/// The menu's top left corner for an anchor, kept inside the viewport: flipped above the
/// pointer or the button when there is no room below, pushed left from the right edge.
fn fit(menu: &web_sys::HtmlDivElement, at: MenuAnchor) -> (f64, f64) {
    let width = f64::from(menu.offset_width());
    let height = f64::from(menu.offset_height());
    let window = window();
    let view_w = window
        .inner_width()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::MAX);
    let view_h = window
        .inner_height()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::MAX);
    let (left, below, above) = match at {
        MenuAnchor::Pointer { x, y } => (x, y, y - height),
        MenuAnchor::Below { right, top, bottom } => {
            (right - width, bottom + 4.0, top - height - 4.0)
        }
    };
    let top = if below + height <= view_h - MARGIN {
        below
    } else {
        above
    };
    (
        left.min(view_w - width - MARGIN).max(MARGIN),
        top.min(view_h - height - MARGIN).max(MARGIN),
    )
}

/// An element's right edge, top and bottom in viewport pixels.
pub fn button_anchor(el: &web_sys::Element) -> MenuAnchor {
    use wasm_bindgen::{JsCast, JsValue};

    // `getBoundingClientRect`, read through JS so no extra web-sys feature is needed.
    let rect = js_sys::Reflect::get(el, &JsValue::from_str("getBoundingClientRect"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(el).ok());
    let side = |name: &str| {
        rect.as_ref()
            .and_then(|r| js_sys::Reflect::get(r, &JsValue::from_str(name)).ok())
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    MenuAnchor::Below {
        right: side("right"),
        top: side("top"),
        bottom: side("bottom"),
    }
}
