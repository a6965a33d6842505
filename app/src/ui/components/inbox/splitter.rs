//! The draggable divider between the list and the dialog (C1). The width is remembered in a
//! cookie, so the server draws the list at that width on the next visit (no jump while the
//! page hydrates). Arrow keys move it too, Home and End go to the narrowest and widest.

use leptos::prelude::*;

use crate::ui::prefs::{LIST_WIDTH_MAX as MAX, LIST_WIDTH_MIN as MIN};

/// How far one arrow key press moves the divider.
const STEP: i32 = 20;

/// Remembers the width for the next pages of this browser.
fn remember(width: i32) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;

        if let Some(doc) = document().dyn_ref::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&format!(
                "{}={width};path=/;max-age=31536000;samesite=lax",
                crate::ui::prefs::LIST_WIDTH_COOKIE
            ));
        }
    }
    let _ = width;
}

#[component]
pub fn Splitter(width: RwSignal<i32>) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let node = NodeRef::<leptos::html::Div>::new();

    #[cfg(feature = "hydrate")]
    {
        use leptos::ev;

        // The list starts where the divider's container starts, not at the window's edge.
        let left_edge = move || {
            node.get_untracked()
                .and_then(|el| el.parent_element())
                .map(|parent| parent.get_bounding_client_rect().left() as i32)
                .unwrap_or(0)
        };
        let on_move = window_event_listener(ev::pointermove, move |ev| {
            if dragging.get_untracked() {
                width.set((ev.client_x() - left_edge()).clamp(MIN, MAX));
            }
        });
        let on_up = window_event_listener(ev::pointerup, move |_| {
            if dragging.get_untracked() {
                dragging.set(false);
                remember(width.get_untracked());
            }
        });
        on_cleanup(move || {
            on_move.remove();
            on_up.remove();
        });
    }

    let nudge = move |ev: leptos::ev::KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowLeft" => width.get_untracked() - STEP,
            "ArrowRight" => width.get_untracked() + STEP,
            "Home" => MIN,
            "End" => MAX,
            _ => return,
        };
        ev.prevent_default();
        width.set(next.clamp(MIN, MAX));
        remember(width.get_untracked());
    };

    view! {
        <div
            node_ref=node
            class=move || {
                if dragging.get() { "dlg-splitter dlg-splitter--dragging" } else { "dlg-splitter" }
            }
            role="separator"
            aria-orientation="vertical"
            aria-valuemin=MIN
            aria-valuemax=MAX
            aria-valuenow=move || width.get()
            tabindex="0"
            on:pointerdown=move |ev| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:keydown=nudge
        ></div>
    }
}
