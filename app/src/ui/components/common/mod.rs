mod status;
mod topbar;

pub use status::{Avatar, StatusBadge};
pub use topbar::Topbar;

/// Runs `close` when Escape is pressed anywhere on the page, for as long as the calling
/// component lives (modals: the focus may be on a button that was just disabled).
pub fn close_on_escape(close: leptos::prelude::Callback<()>) {
    use leptos::prelude::*;
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            close.run(());
        }
    });
    on_cleanup(move || escape.remove());
}
