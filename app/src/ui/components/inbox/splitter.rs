//! The draggable divider between the list and the dialog (C1). The width is remembered in
//! the browser's local storage.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
const STORAGE_KEY: &str = "dlg.listWidth";
const MIN: i32 = 260;
const MAX: i32 = 720;

#[component]
pub fn Splitter(width: RwSignal<i32>) -> impl IntoView {
    let dragging = RwSignal::new(false);

    #[cfg(feature = "hydrate")]
    {
        use leptos::ev;

        let storage = move || window().local_storage().ok().flatten();
        Effect::new(move |_| {
            if let Some(saved) = storage()
                .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
                .and_then(|v| v.parse::<i32>().ok())
            {
                width.set(saved.clamp(MIN, MAX));
            }
        });
        let on_move = window_event_listener(ev::pointermove, move |ev| {
            if dragging.get_untracked() {
                width.set((ev.client_x()).clamp(MIN, MAX));
            }
        });
        let on_up = window_event_listener(ev::pointerup, move |_| {
            if dragging.get_untracked() {
                dragging.set(false);
                if let Some(s) = storage() {
                    let _ = s.set_item(STORAGE_KEY, &width.get_untracked().to_string());
                }
            }
        });
        on_cleanup(move || {
            on_move.remove();
            on_up.remove();
        });
    }

    let nudge = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowLeft" => width.update(|w| *w = (*w - 20).clamp(MIN, MAX)),
        "ArrowRight" => width.update(|w| *w = (*w + 20).clamp(MIN, MAX)),
        _ => {}
    };

    view! {
        <div
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
