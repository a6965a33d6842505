//! The browser side of live updates (C9): one WebSocket per inbox, reconnecting with
//! back-off. Events bump version signals that the list, the counters and the open dialog
//! are keyed on, so they refetch what changed; after a reconnect everything refetches, so
//! nothing missed while offline stays missing.

use leptos::prelude::*;

use crate::domain::DialogId;

#[derive(Clone, Copy)]
pub struct RealtimeContext {
    /// Bumped on every event from the server and after every reconnect.
    pub version: RwSignal<u64>,
    /// The dialog the newest event was about; `None` after a reconnect (everything).
    pub last_dialog: RwSignal<Option<DialogId>>,
    /// Bumped by this browser's own changes (read positions) to refresh list and counters.
    pub local: RwSignal<u64>,
    /// Whether the socket is open.
    pub connected: RwSignal<bool>,
}

impl RealtimeContext {
    /// A value that changes when something about `dialog` (or everything) changed.
    pub fn dialog_version(&self, dialog: Memo<Option<DialogId>>) -> Memo<u64> {
        let ctx = *self;
        Memo::new(move |prev: Option<&u64>| {
            let version = ctx.version.get();
            match (prev, ctx.last_dialog.get()) {
                (Some(prev), Some(touched)) if Some(touched) != dialog.get() => *prev,
                _ => version,
            }
        })
    }
}

pub fn provide_realtime() -> RealtimeContext {
    let ctx = RealtimeContext {
        version: RwSignal::new(0),
        last_dialog: RwSignal::new(None),
        local: RwSignal::new(0),
        connected: RwSignal::new(true),
    };
    provide_context(ctx);
    #[cfg(feature = "hydrate")]
    socket::start(ctx);
    ctx
}

pub fn use_realtime() -> RealtimeContext {
    expect_context::<RealtimeContext>()
}

#[cfg(feature = "hydrate")]
mod socket {
    use std::cell::{Cell, RefCell};
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::RealtimeContext;
    use crate::domain::LiveEvent;

    thread_local! {
        static SOCKET: RefCell<Option<WebSocket>> = const { RefCell::new(None) };
        static LAST_EVENT: Cell<i64> = const { Cell::new(0) };
        static FAILURES: Cell<u32> = const { Cell::new(0) };
        static STOPPED: Cell<bool> = const { Cell::new(false) };
    }

    pub fn start(ctx: RealtimeContext) {
        STOPPED.with(|s| s.set(false));
        connect(ctx);
        on_cleanup(|| {
            STOPPED.with(|s| s.set(true));
            SOCKET.with(|s| {
                if let Some(ws) = s.borrow_mut().take() {
                    let _ = ws.close();
                }
            });
        });
    }

    fn url() -> Option<String> {
        let location = window().location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().ok()?;
        let after = LAST_EVENT.with(Cell::get);
        Some(format!("{scheme}://{host}/ws?after={after}"))
    }

    fn connect(ctx: RealtimeContext) {
        if STOPPED.with(Cell::get) {
            return;
        }
        let Some(url) = url() else { return };
        let Ok(ws) = WebSocket::new(&url) else {
            schedule_reconnect(ctx);
            return;
        };

        let on_open = Closure::<dyn FnMut()>::new(move || {
            FAILURES.with(|f| f.set(0));
            ctx.connected.set(true);
            // Catch up on whatever happened while the socket was down, or between the
            // server rendering this page and the socket opening.
            ctx.last_dialog.set(None);
            ctx.version.update(|v| *v += 1);
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(text) = ev.data().as_string() else {
                return;
            };
            // A frame is an array of events in id order.
            let Ok(events) = serde_json::from_str::<Vec<LiveEvent>>(&text) else {
                leptos::logging::warn!("ignoring a live frame that does not parse");
                return;
            };
            let Some(newest) = events.last() else { return };
            LAST_EVENT.with(|last| last.set(last.get().max(newest.id.0)));
            // One event names its dialog; several may touch several, so everything refreshes.
            let touched = match events.as_slice() {
                [only] => Some(only.event.dialog_id()),
                _ => None,
            };
            ctx.last_dialog.set(touched);
            ctx.version.update(|v| *v += 1);
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();

        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_ev: CloseEvent| {
            ctx.connected.set(false);
            schedule_reconnect(ctx);
        });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();

        SOCKET.with(|s| *s.borrow_mut() = Some(ws));
    }

    fn schedule_reconnect(ctx: RealtimeContext) {
        if STOPPED.with(Cell::get) {
            return;
        }
        let failures = FAILURES.with(|f| {
            f.set(f.get().saturating_add(1));
            f.get()
        });
        // 0.5 s, 1 s, 2 s, ... up to 10 s.
        let delay = (250u64 << failures.min(6)).min(10_000);
        set_timeout(move || connect(ctx), Duration::from_millis(delay));
    }
}
