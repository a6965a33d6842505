//! Live events (C9), server side. One PostgreSQL listener per app server turns NOTIFYs into
//! `events` rows and broadcasts them in-process; every WebSocket forwards what its user may
//! see. Several app servers sharing one database each run their own listener, so a message
//! written through one reaches browsers connected to any other.
//!
//! Presence (who else has a dialog open, who is typing) rides on the same sockets and the
//! same listener but is never stored: a browser's report becomes a NOTIFY on
//! `dialogs_presence` carrying the dialog's facts, and every app server passes it on to
//! the sockets of those who may see the dialog.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::auth::{Access, MaybeUser};
use app::domain::event::DialogFacts;
use app::domain::presence::{
    MAX_REPORT_BYTES, PresenceFrame, PresenceReport, PresenceState, PresenceUpdate,
};
use app::domain::{AccountId, DialogId, EventId, LiveEvent};
use app::store::events::{self, NOTIFY_CHANNEL, StoredEvent};
use axum::Extension;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use crate::startup::AppState;

/// Ticks buffered per process before a slow socket is dropped (it reconnects and catches
/// up): about five seconds of a busy stream.
const BUFFER: usize = 256;
/// Most events replayed to a browser that reconnects; beyond that it refetches everything.
const REPLAY_LIMIT: i64 = 1000;
/// Most events in one WebSocket frame.
const EVENTS_PER_FRAME: usize = 256;
/// While events keep coming, they go out at most once per window, together: a socket sends
/// one frame per window however many events there are (a thousand sockets at 500 events a
/// second would otherwise be half a million frames a second). The first event after a
/// quiet window goes out at once.
const FRAME_WINDOW: Duration = Duration::from_millis(20);
/// Distinct frames one tick keeps for reuse: sockets that may see the same events share
/// one encoded frame.
const SHARED_FRAMES: usize = 64;
/// The NOTIFY channel of presence reports, shared by every app server on the database.
pub const PRESENCE_CHANNEL: &str = "dialogs_presence";
/// Presence notices buffered per process; a socket that falls behind skips some (the next
/// heartbeat repeats them).
const PRESENCE_BUFFER: usize = 256;
/// Presence reports a socket may send at once, and how fast that allowance comes back: a
/// browser sends a heartbeat every 10 s and a typing report at most every 3 s.
const REPORT_BURST: u32 = 10;
const REPORT_REFILL: Duration = Duration::from_secs(1);

/// An event ready to go out: who may see it, and its JSON, serialized once for every socket
/// (serializing per socket cost more CPU than everything else at a few hundred events a
/// second with a thousand sockets).
pub struct Frame {
    pub id: EventId,
    account_id: app::domain::AccountId,
    facts: app::domain::event::DialogFacts,
    text: String,
}

impl Frame {
    fn new(event: StoredEvent) -> Option<Frame> {
        let text = serde_json::to_string(&LiveEvent {
            id: event.id,
            event: event.payload.0,
        })
        .ok()?;
        Some(Frame {
            id: event.id,
            account_id: event.account_id,
            facts: event.facts.0,
            text,
        })
    }

    fn visible_to(&self, access: &Access) -> bool {
        self.account_id == access.account_id && access.can_see_event(&self.facts)
    }
}

/// Events as one text frame: a JSON array in id order.
#[derive(Default)]
struct Batch {
    json: String,
    count: usize,
}

impl Batch {
    fn push(&mut self, frame: &Frame) {
        self.json.push(if self.count == 0 { '[' } else { ',' });
        self.json.push_str(&frame.text);
        self.count += 1;
    }

    fn len(&self) -> usize {
        self.count
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn take_frame(&mut self) -> Message {
        self.json.push(']');
        self.count = 0;
        Message::Text(std::mem::take(&mut self.json).into())
    }
}

/// The events of one window, broadcast to every socket of this server. Each socket picks
/// what its user may see; sockets that may see exactly the same events get the same
/// encoded frame, built once (most operators of a line see the same new dialogs).
pub struct Tick {
    frames: Vec<Arc<Frame>>,
    /// Encoded frames by which of `frames` they hold (a bit per event).
    shared: std::sync::Mutex<Vec<(Vec<u64>, Message)>>,
}

impl Tick {
    fn new(frames: Vec<Arc<Frame>>) -> Tick {
        Tick {
            frames,
            shared: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The frame for a socket whose user has `access` and that already sent every event up
    /// to `sent`; None when nothing in this tick is for it.
    fn frame_for(&self, access: &Access, sent: &mut EventId) -> Option<Message> {
        let mut picked = vec![0u64; self.frames.len().div_ceil(64)];
        let mut any = false;
        for (i, frame) in self.frames.iter().enumerate() {
            if frame.id > *sent && frame.visible_to(access) {
                picked[i / 64] |= 1 << (i % 64);
                any = true;
            }
        }
        *sent = self.frames.last().map_or(*sent, |f| (*sent).max(f.id));
        if !any {
            return None;
        }
        let cached = |shared: &Vec<(Vec<u64>, Message)>| {
            shared
                .iter()
                .find(|(key, _)| *key == picked)
                .map(|(_, frame)| frame.clone())
        };
        if let Some(frame) = self.shared.lock().ok().and_then(|s| cached(&s)) {
            return Some(frame);
        }
        let mut batch = Batch::default();
        for (i, frame) in self.frames.iter().enumerate() {
            if picked[i / 64] & (1 << (i % 64)) != 0 {
                batch.push(frame);
            }
        }
        let frame = batch.take_frame();
        if let Ok(mut shared) = self.shared.lock()
            && shared.len() < SHARED_FRAMES
        {
            shared.push((picked, frame.clone()));
        }
        Some(frame)
    }
}

/// A presence report as it travels between app servers: whom it is about, who may see it
/// and what to tell them.
#[derive(Serialize, Deserialize)]
struct PresenceNotice {
    account_id: AccountId,
    facts: DialogFacts,
    update: PresenceUpdate,
}

/// A presence notice ready to go out, encoded once for every socket.
pub struct Presence {
    account_id: AccountId,
    facts: DialogFacts,
    user: app::domain::UserId,
    text: Utf8Bytes,
}

impl Presence {
    fn from_payload(payload: &str) -> Option<Presence> {
        let notice: PresenceNotice = serde_json::from_str(payload).ok()?;
        let user = notice.update.user;
        let text = serde_json::to_string(&PresenceFrame {
            presence: notice.update,
        })
        .ok()?;
        Some(Presence {
            account_id: notice.account_id,
            facts: notice.facts,
            user,
            text: text.into(),
        })
    }

    /// Others of the account who may see the dialog; a user is not told about themselves.
    fn visible_to(&self, access: &Access) -> bool {
        self.account_id == access.account_id
            && self.user != access.user_id
            && access.can_see_event(&self.facts)
    }
}

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Tick>>,
    presence: broadcast::Sender<Arc<Presence>>,
    /// Events read from the database, waiting for the next tick.
    pending: Arc<std::sync::Mutex<Vec<Arc<Frame>>>>,
    arrived: Arc<tokio::sync::Notify>,
}

impl Hub {
    /// A hub with its ticking task (needs a Tokio runtime).
    pub fn new() -> Hub {
        let (tx, _) = broadcast::channel(BUFFER);
        let (presence, _) = broadcast::channel(PRESENCE_BUFFER);
        let hub = Hub {
            tx,
            presence,
            pending: Default::default(),
            arrived: Default::default(),
        };
        tokio::spawn(hub.clone().tick());
        hub
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Tick>> {
        self.tx.subscribe()
    }

    pub fn subscribe_presence(&self) -> broadcast::Receiver<Arc<Presence>> {
        self.presence.subscribe()
    }

    fn pass_on_presence(&self, payload: &str) {
        match Presence::from_payload(payload) {
            // No receivers is fine: nobody is connected to this server.
            Some(presence) => {
                let _ = self.presence.send(Arc::new(presence));
            }
            None => tracing::warn!("ignoring a presence notice that does not parse"),
        }
    }

    /// Sends what waits at once, then once per window while more keeps coming.
    async fn tick(self) {
        loop {
            self.arrived.notified().await;
            while self.flush() {
                tokio::time::sleep(FRAME_WINDOW).await;
            }
        }
    }

    /// Broadcasts the waiting events as ticks of at most a frame's worth; false when none
    /// waited.
    fn flush(&self) -> bool {
        let waiting = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return false,
        };
        if waiting.is_empty() {
            return false;
        }
        let mut waiting = waiting.into_iter().peekable();
        while waiting.peek().is_some() {
            let frames: Vec<Arc<Frame>> = waiting.by_ref().take(EVENTS_PER_FRAME).collect();
            // No receivers is fine: nobody is connected to this server.
            let _ = self.tx.send(Arc::new(Tick::new(frames)));
        }
        true
    }

    /// Starts the listener task. It runs until the process ends, reconnecting as needed.
    pub async fn listen(&self, pool: PgPool) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(&pool)
            .await
            .context("connecting the event listener")?;
        listener
            .listen_all([NOTIFY_CHANNEL, PRESENCE_CHANNEL])
            .await
            .context("listening for events and presence")?;
        let mut last = events::latest_id(&pool)
            .await
            .context("reading the newest event id")?;
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(first)) => {
                        // Take every notification already here, then fetch the events in
                        // one query; presence goes out as it is.
                        let mut ids: Vec<i64> = Vec::new();
                        let mut next = Some(first);
                        while let Some(notification) = next {
                            if notification.channel() == PRESENCE_CHANNEL {
                                hub.pass_on_presence(notification.payload());
                            } else {
                                ids.extend(events::announced_ids(notification.payload()));
                            }
                            next = listener.next_buffered();
                        }
                        if !ids.is_empty() {
                            match events::by_ids(&pool, &ids).await {
                                Ok(batch) => hub.fan_out(batch, &mut last),
                                Err(err) => {
                                    tracing::error!(error = %err, "reading announced events")
                                }
                            }
                        }
                    }
                    Ok(None) => {
                        // The connection dropped; the next try_recv reconnects. Whatever was
                        // announced meanwhile is read from the table.
                        tracing::warn!("event listener reconnecting");
                        match events::since(&pool, None, last, 10_000).await {
                            Ok(batch) => hub.fan_out(batch, &mut last),
                            Err(err) => tracing::error!(error = %err, "catching up on events"),
                        }
                    }
                    // Shutting down: let go of the connection.
                    Err(sqlx::Error::PoolClosed) => break,
                    Err(err) => {
                        tracing::error!(error = %err, "event listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(())
    }

    fn fan_out(&self, batch: Vec<StoredEvent>, last: &mut EventId) {
        let frames: Vec<Arc<Frame>> = batch
            .into_iter()
            .filter_map(|event| {
                *last = (*last).max(event.id);
                Frame::new(event).map(Arc::new)
            })
            .collect();
        if frames.is_empty() {
            return;
        }
        if let Ok(mut pending) = self.pending.lock() {
            pending.extend(frames);
        }
        self.arrived.notify_one();
    }
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

#[derive(Deserialize)]
pub struct SocketQuery {
    /// The last event id the browser saw; events after it are replayed.
    #[serde(default)]
    after: i64,
}

/// `GET /ws`: the live event stream of the signed-in user.
pub async fn ws_handler(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Extension(MaybeUser(user)): Extension<MaybeUser>,
    Query(query): Query<SocketQuery>,
) -> Response {
    let Some(user) = user else {
        return (StatusCode::UNAUTHORIZED, "sign-in required").into_response();
    };
    let access = match Access::load(&state.pool, &user).await {
        Ok(access) => access,
        Err(err) => {
            tracing::error!(error = %err, "loading rights for a socket");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    ws.read_buffer_size(4 * 1024)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| {
            serve_socket(
                socket,
                state,
                access,
                user.display_name,
                EventId(query.after),
            )
        })
}

/// How many presence reports a socket may still send; refills over time.
struct Allowance {
    left: u32,
    since: tokio::time::Instant,
}

impl Allowance {
    fn new() -> Allowance {
        Allowance {
            left: REPORT_BURST,
            since: tokio::time::Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        let earned = (now.duration_since(self.since).as_millis() / REPORT_REFILL.as_millis())
            .min(u128::from(REPORT_BURST)) as u32;
        if earned > 0 {
            self.left = (self.left + earned).min(REPORT_BURST);
            self.since = now;
        }
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }
}

/// What one socket reports about its user: the dialog it has open, with the facts that
/// decide who may be told.
struct Reporter<'a> {
    state: &'a AppState,
    access: &'a Access,
    name: String,
    viewing: Option<(DialogId, DialogFacts)>,
    allowance: Allowance,
}

impl Reporter<'_> {
    /// A text frame from the browser: a presence report, or something to ignore.
    async fn receive(&mut self, text: &str) {
        if text.len() > MAX_REPORT_BYTES || !self.allowance.take() {
            return;
        }
        let Some(report) = PresenceReport::parse(text) else {
            return;
        };
        let Some(dialog) = report.presence.dialog else {
            self.leave().await;
            return;
        };
        // Scoped by the account: another account's dialog id is simply not found.
        let facts = match app::store::inbound::facts(
            &self.state.pool,
            self.access.account_id,
            dialog,
        )
        .await
        {
            Ok(facts) => facts,
            Err(sqlx::Error::RowNotFound) => return,
            Err(err) => {
                tracing::error!(error = %err, "reading a dialog's facts for presence");
                return;
            }
        };
        if !self.access.can_view(&facts) {
            return;
        }
        if self
            .viewing
            .as_ref()
            .is_some_and(|(open, _)| *open != dialog)
        {
            self.leave().await;
        }
        let state = if report.presence.typing {
            PresenceState::Typing
        } else {
            PresenceState::Viewing
        };
        self.notify(dialog, facts.clone(), state).await;
        self.viewing = Some((dialog, facts));
    }

    /// The user left the dialog they had open (or closed the socket).
    async fn leave(&mut self) {
        if let Some((dialog, facts)) = self.viewing.take() {
            self.notify(dialog, facts, PresenceState::Left).await;
        }
    }

    async fn notify(&self, dialog: DialogId, facts: DialogFacts, state: PresenceState) {
        let notice = PresenceNotice {
            account_id: self.access.account_id,
            facts,
            update: PresenceUpdate {
                dialog,
                user: self.access.user_id,
                name: self.name.clone(),
                state,
            },
        };
        let sent = async {
            let payload = serde_json::to_string(&notice).context("encoding a presence notice")?;
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(PRESENCE_CHANNEL)
                .bind(payload)
                .execute(&self.state.pool)
                .await
                .context("announcing presence")?;
            anyhow::Ok(())
        };
        if let Err(err) = sent.await {
            tracing::error!(error = %err, "presence not announced");
        }
    }
}

async fn serve_socket(
    socket: WebSocket,
    state: AppState,
    access: Access,
    name: String,
    after: EventId,
) {
    // Subscribe before replaying, so nothing falls between the two.
    let mut rx = state.hub.subscribe();
    let mut presence = state.hub.subscribe_presence();
    let (mut sender, mut receiver) = socket.split();
    let mut sent = after;

    if after.0 > 0 {
        match events::since(&state.pool, Some(access.account_id), after, REPLAY_LIMIT).await {
            Ok(missed) => {
                let mut batch = Batch::default();
                for event in missed.into_iter().filter_map(Frame::new) {
                    sent = sent.max(event.id);
                    if event.visible_to(&access) {
                        batch.push(&event);
                    }
                    if batch.len() == EVENTS_PER_FRAME
                        && sender.send(batch.take_frame()).await.is_err()
                    {
                        return;
                    }
                }
                if !batch.is_empty() && sender.send(batch.take_frame()).await.is_err() {
                    return;
                }
            }
            Err(err) => tracing::error!(error = %err, "replaying events"),
        }
    }

    let send_task = async {
        let mut ping = tokio::time::interval(Duration::from_secs(25));
        loop {
            tokio::select! {
                received = rx.recv() => {
                    // Lagged: too slow to keep up; close, the browser reconnects and refetches.
                    let Ok(tick) = received else { break };
                    if let Some(frame) = tick.frame_for(&access, &mut sent)
                        && sender.send(frame).await.is_err()
                    {
                        break;
                    }
                }
                received = presence.recv() => {
                    let presence = match received {
                        Ok(presence) => presence,
                        // Presence is ephemeral: what was skipped comes again with the
                        // next heartbeat.
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    if presence.visible_to(&access)
                        && sender.send(Message::Text(presence.text.clone())).await.is_err()
                    {
                        break;
                    }
                }
                _ = ping.tick() => {
                    if sender.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sender.close().await;
    };
    let mut reporter = Reporter {
        state: &state,
        access: &access,
        name,
        viewing: None,
        allowance: Allowance::new(),
    };
    let receive_task = async {
        while let Some(Ok(message)) = receiver.next().await {
            match message {
                Message::Close(_) => break,
                Message::Text(text) => reporter.receive(text.as_str()).await,
                _ => {}
            }
        }
    };
    tokio::select! {
        _ = send_task => {}
        _ = receive_task => {}
    }
    // Whoever saw this user in a dialog learns at once that they left.
    reporter.leave().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::auth::access::LineRights;
    use app::domain::event::DialogFacts;
    use app::domain::{AccountId, AccountRole, DialogStatus, LineId, UserId};

    fn frame(id: i64, line: i64, status: DialogStatus, assignee: Option<i64>) -> Arc<Frame> {
        Arc::new(Frame {
            id: EventId(id),
            account_id: AccountId(1),
            facts: DialogFacts {
                line_id: LineId(line),
                status,
                assignee_id: assignee.map(UserId),
                participant_ids: Vec::new(),
                queue_user_id: None,
                queue_group_id: None,
                before: None,
            },
            text: format!("{{\"id\":{id}}}"),
        })
    }

    fn operator(user: i64, line: i64) -> Access {
        Access {
            account_id: AccountId(1),
            user_id: UserId(user),
            role: AccountRole::Operator,
            lines: [(
                LineId(line),
                LineRights {
                    view: true,
                    send: true,
                    admin: false,
                },
            )]
            .into(),
            public_lines: Vec::new(),
            groups: Vec::new(),
        }
    }

    fn text(message: Option<Message>) -> Option<String> {
        match message? {
            Message::Text(text) => Some(text.to_string()),
            _ => None,
        }
    }

    #[test]
    fn each_socket_gets_what_its_user_may_see_and_equal_views_share_one_frame() {
        let tick = Tick::new(vec![
            frame(1, 10, DialogStatus::New, None),
            frame(2, 20, DialogStatus::New, None),
            frame(3, 10, DialogStatus::InWork, Some(7)),
        ]);
        let (ann, ann_again, boris) = (operator(7, 10), operator(8, 10), operator(9, 20));
        let (mut a, mut a2, mut b) = (EventId(0), EventId(0), EventId(0));
        let first = tick.frame_for(&ann, &mut a);
        assert_eq!(
            text(first.clone()).as_deref(),
            Some(r#"[{"id":1},{"id":3}]"#)
        );
        // Another operator of line 10 sees only the new dialog: a frame of its own.
        assert_eq!(
            text(tick.frame_for(&ann_again, &mut a2)).as_deref(),
            Some(r#"[{"id":1}]"#)
        );
        assert_eq!(
            text(tick.frame_for(&boris, &mut b)).as_deref(),
            Some(r#"[{"id":2}]"#)
        );
        assert_eq!(a, EventId(3));
        // A second socket of the same view gets the very same bytes, not a copy.
        let (Some(Message::Text(one)), Some(Message::Text(two))) =
            (first, tick.frame_for(&ann, &mut EventId(0)))
        else {
            panic!("text frames expected");
        };
        assert_eq!(one.as_str().as_ptr(), two.as_str().as_ptr());
        // Events a socket already sent (a replay) are not sent again; none left is no frame.
        assert_eq!(
            text(tick.frame_for(&ann, &mut EventId(1))).as_deref(),
            Some(r#"[{"id":3}]"#)
        );
        assert!(tick.frame_for(&ann, &mut EventId(3)).is_none());
        let other_account = Access {
            account_id: AccountId(2),
            role: AccountRole::Owner,
            ..operator(7, 10)
        };
        assert!(tick.frame_for(&other_account, &mut EventId(0)).is_none());
    }
}
