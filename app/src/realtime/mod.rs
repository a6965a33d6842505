//! The browser side of live updates (C9): one WebSocket per inbox, reconnecting with
//! back-off. Events bump version signals that the list, the counters and the open dialog
//! are keyed on, so they refetch what changed; after a reconnect everything refetches, so
//! nothing missed while offline stays missing.
//!
//! The same socket carries presence: this browser reports the dialog it has open (again
//! every few seconds while it stays open, and while the composer's text changes), and
//! learns who else has a dialog open or is typing in it. Presence is never stored; an
//! entry not repeated within `VIEWING_FOR_MS` is gone, typing within `TYPING_FOR_MS`.

use leptos::prelude::*;

use crate::domain::{DialogId, UserId};

/// How long another user counts as viewing without a heartbeat (browsers send one every
/// `HEARTBEAT_MS`).
pub const VIEWING_FOR_MS: f64 = 25_000.0;
/// How long another user counts as typing after their last report (sent at most every
/// `TYPING_EVERY_MS` while they type).
pub const TYPING_FOR_MS: f64 = 5_000.0;
pub const HEARTBEAT_MS: u64 = 10_000;
pub const TYPING_EVERY_MS: f64 = 3_000.0;

/// Another user in a dialog, as last reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Viewer {
    pub dialog: DialogId,
    pub user: UserId,
    pub name: String,
    /// Browser clock (ms) of their last report, and of their last typing report while it
    /// counts (cleared once it went quiet).
    pub seen: f64,
    pub typed: Option<f64>,
}

#[derive(Clone, Copy)]
pub struct RealtimeContext {
    /// Bumped on every event from the server and after every reconnect.
    pub version: RwSignal<u64>,
    /// The dialog the newest event was about; `None` after a reconnect (everything).
    pub last_dialog: RwSignal<Option<DialogId>>,
    /// Every dialog the newest frame of events was about; `None` after a reconnect
    /// (everything may have changed).
    pub touched: RwSignal<Option<Vec<DialogId>>>,
    /// Bumped by this browser's own changes (read positions) to refresh list and counters.
    pub local: RwSignal<u64>,
    /// The dialogs this browser changed since the list last looked (`changed_here`).
    pub local_touched: StoredValue<Vec<DialogId>>,
    /// Whether the socket is open.
    pub connected: RwSignal<bool>,
    /// Other users viewing or typing in dialogs this user may see.
    pub presence: RwSignal<Vec<Viewer>>,
}

impl RealtimeContext {
    /// This browser changed `dialog` (read it, pinned it, wrote in it…): the list patches
    /// its row and the counters refresh, even without a live connection.
    pub fn changed_here(&self, dialog: Option<DialogId>) {
        if let Some(dialog) = dialog {
            self.local_touched.update_value(|t| t.push(dialog));
        }
        self.local.update(|v| *v += 1);
    }

    /// A value that changes when something about `dialog`, one of `also` (the other
    /// dialogs of a single-window history), or everything changed.
    pub fn dialog_version(
        &self,
        dialog: Memo<Option<DialogId>>,
        also: Signal<Vec<DialogId>>,
    ) -> Memo<u64> {
        let ctx = *self;
        Memo::new(move |prev: Option<&u64>| {
            let version = ctx.version.get();
            match (prev, ctx.last_dialog.get()) {
                (Some(prev), Some(touched))
                    if Some(touched) != dialog.get() && !also.with(|a| a.contains(&touched)) =>
                {
                    *prev
                }
                _ => version,
            }
        })
    }
}

pub fn provide_realtime() -> RealtimeContext {
    let ctx = RealtimeContext {
        version: RwSignal::new(0),
        last_dialog: RwSignal::new(None),
        touched: RwSignal::new(None),
        local: RwSignal::new(0),
        local_touched: StoredValue::new(Vec::new()),
        connected: RwSignal::new(true),
        presence: RwSignal::new(Vec::new()),
    };
    provide_context(ctx);
    #[cfg(feature = "hydrate")]
    socket::start(ctx);
    ctx
}

pub fn use_realtime() -> RealtimeContext {
    expect_context::<RealtimeContext>()
}

/// This browser has `dialog` open (a chat pane mounted): tell the others.
pub fn open_dialog(dialog: DialogId) {
    #[cfg(feature = "hydrate")]
    socket::open_dialog(dialog);
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
}

/// The chat pane of `dialog` went away; unless another one for it takes its place at once
/// (the pane is rebuilt when the dialog refreshes), the others learn this user left.
pub fn close_dialog(dialog: DialogId) {
    #[cfg(feature = "hydrate")]
    socket::close_dialog(dialog);
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
}

/// The composer's text of `dialog` changed: the others see this user typing.
pub fn typing(dialog: Option<DialogId>) {
    #[cfg(feature = "hydrate")]
    socket::typing(dialog);
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
}

#[cfg(feature = "hydrate")]
mod socket {
    use std::cell::{Cell, RefCell};
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::{
        HEARTBEAT_MS, RealtimeContext, TYPING_EVERY_MS, TYPING_FOR_MS, VIEWING_FOR_MS, Viewer,
    };
    use crate::domain::presence::{PresenceFrame, PresenceReport, PresenceState};
    use crate::domain::{DialogId, LiveEvent};

    thread_local! {
        /// The dialog this browser reports as open, and the chat panes mounted for dialogs.
        static VIEWING: Cell<Option<DialogId>> = const { Cell::new(None) };
        static MOUNTED: RefCell<Vec<DialogId>> = const { RefCell::new(Vec::new()) };
        /// Browser clock (ms) of the last typing report.
        static TYPED: Cell<f64> = const { Cell::new(0.0) };
        static SOCKET: RefCell<Option<WebSocket>> = const { RefCell::new(None) };
        static LAST_EVENT: Cell<i64> = const { Cell::new(0) };
        static FAILURES: Cell<u32> = const { Cell::new(0) };
        static STOPPED: Cell<bool> = const { Cell::new(false) };
    }

    pub fn start(ctx: RealtimeContext) {
        STOPPED.with(|s| s.set(false));
        connect(ctx);
        // Once a second: drop who went quiet; every `HEARTBEAT_MS`: say this user is still here.
        let ticks = Cell::new(0u64);
        let clock = set_interval_with_handle(
            move || {
                expire(ctx);
                ticks.set(ticks.get() + 1);
                if ticks.get().is_multiple_of(HEARTBEAT_MS / 1000)
                    && let Some(dialog) = VIEWING.with(Cell::get)
                {
                    report(Some(dialog), false);
                }
            },
            Duration::from_secs(1),
        )
        .ok();
        on_cleanup(move || {
            if let Some(clock) = clock {
                clock.clear();
            }
            STOPPED.with(|s| s.set(true));
            SOCKET.with(|s| {
                if let Some(ws) = s.borrow_mut().take() {
                    let _ = ws.close();
                }
            });
        });
    }

    fn now() -> f64 {
        js_sys::Date::now()
    }

    /// Sends a presence report if the socket is open; otherwise the next open repeats it.
    fn report(dialog: Option<DialogId>, typing: bool) {
        let Ok(text) = serde_json::to_string(&PresenceReport::new(dialog, typing)) else {
            return;
        };
        SOCKET.with(|s| {
            if let Some(ws) = s.borrow().as_ref()
                && ws.ready_state() == WebSocket::OPEN
            {
                let _ = ws.send_with_str(&text);
            }
        });
    }

    pub fn open_dialog(dialog: DialogId) {
        MOUNTED.with(|m| m.borrow_mut().push(dialog));
        if VIEWING.with(Cell::get) != Some(dialog) {
            VIEWING.with(|v| v.set(Some(dialog)));
            TYPED.with(|t| t.set(0.0));
            // The server tells the others this user left the previous dialog.
            report(Some(dialog), false);
        }
    }

    pub fn close_dialog(dialog: DialogId) {
        MOUNTED.with(|m| {
            let mut mounted = m.borrow_mut();
            if let Some(i) = mounted.iter().position(|d| *d == dialog) {
                mounted.remove(i);
            }
        });
        set_timeout(
            move || {
                let still_open = MOUNTED.with(|m| m.borrow().contains(&dialog));
                if !still_open && VIEWING.with(Cell::get) == Some(dialog) {
                    VIEWING.with(|v| v.set(None));
                    report(None, false);
                }
            },
            Duration::from_millis(500),
        );
    }

    pub fn typing(dialog: Option<DialogId>) {
        if dialog.is_none() || dialog != VIEWING.with(Cell::get) {
            return;
        }
        let now = now();
        if now - TYPED.with(Cell::get) < TYPING_EVERY_MS {
            return;
        }
        TYPED.with(|t| t.set(now));
        report(dialog, true);
    }

    /// A presence frame from the server patches the list of others.
    fn receive_presence(ctx: RealtimeContext, frame: PresenceFrame) {
        let update = frame.presence;
        let now = now();
        ctx.presence.update(|all| {
            let at = all
                .iter()
                .position(|v| v.dialog == update.dialog && v.user == update.user);
            match (update.state, at) {
                (PresenceState::Left, Some(i)) => {
                    all.remove(i);
                }
                (PresenceState::Left, None) => {}
                (state, Some(i)) => {
                    let viewer = &mut all[i];
                    viewer.seen = now;
                    viewer.name = update.name;
                    if state == PresenceState::Typing {
                        viewer.typed = Some(now);
                    }
                }
                (state, None) => all.push(Viewer {
                    dialog: update.dialog,
                    user: update.user,
                    name: update.name,
                    seen: now,
                    typed: (state == PresenceState::Typing).then_some(now),
                }),
            }
        });
    }

    /// Drops those not heard from for a while and ends typing that went quiet.
    fn expire(ctx: RealtimeContext) {
        let now = now();
        let stale = |v: &Viewer| {
            now - v.seen >= VIEWING_FOR_MS || v.typed.is_some_and(|t| now - t >= TYPING_FOR_MS)
        };
        if !ctx.presence.with_untracked(|all| all.iter().any(stale)) {
            return;
        }
        ctx.presence.update(|all| {
            all.retain(|v| now - v.seen < VIEWING_FOR_MS);
            for v in all.iter_mut() {
                if v.typed.is_some_and(|t| now - t >= TYPING_FOR_MS) {
                    v.typed = None;
                }
            }
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
            ctx.touched.set(None);
            ctx.version.update(|v| *v += 1);
            // Whoever sees this dialog learns again that this user has it open.
            if let Some(dialog) = VIEWING.with(Cell::get) {
                report(Some(dialog), false);
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(text) = ev.data().as_string() else {
                return;
            };
            // Events come as arrays; presence as one object.
            if text.starts_with('{') {
                match serde_json::from_str::<PresenceFrame>(&text) {
                    Ok(frame) => receive_presence(ctx, frame),
                    Err(_) => {
                        leptos::logging::warn!("ignoring a presence frame that does not parse")
                    }
                }
                return;
            }
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
            let mut all: Vec<DialogId> = events.iter().map(|e| e.event.dialog_id()).collect();
            all.sort_by_key(|d| d.0);
            all.dedup();
            ctx.touched.set(Some(all));
            ctx.version.update(|v| *v += 1);
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();

        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_ev: CloseEvent| {
            ctx.connected.set(false);
            // Offline, nobody's presence can be vouched for; heartbeats refill it.
            ctx.presence.set(Vec::new());
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
