//! Live events (C9), server side. One PostgreSQL listener per app server turns NOTIFYs into
//! `events` rows and broadcasts them in-process; every WebSocket forwards what its user may
//! see. Several app servers sharing one database each run their own listener, so a message
//! written through one reaches browsers connected to any other.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::auth::{Access, MaybeUser};
use app::domain::{EventId, LiveEvent};
use app::store::events::{self, NOTIFY_CHANNEL, StoredEvent};
use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use crate::startup::AppState;

/// Events buffered per process before a slow socket is dropped (it reconnects and catches up).
const BUFFER: usize = 4096;
/// Most events replayed to a browser that reconnects; beyond that it refetches everything.
const REPLAY_LIMIT: i64 = 1000;
/// Most events in one WebSocket frame.
const EVENTS_PER_FRAME: usize = 256;
/// How long a socket gathers events after the first before sending them as one frame.
const FRAME_WINDOW: Duration = Duration::from_millis(20);

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

    /// The event's JSON, if this user may see it.
    fn visible_to(&self, access: &Access) -> Option<&str> {
        (self.account_id == access.account_id && access.can_view(&self.facts))
            .then_some(self.text.as_str())
    }
}

/// Events on their way to one socket, sent as one text frame: a JSON array in id order.
#[derive(Default)]
struct Batch {
    json: String,
    count: usize,
}

impl Batch {
    fn push(&mut self, frame: &Frame, access: &Access) {
        if let Some(text) = frame.visible_to(access) {
            self.json.push(if self.count == 0 { '[' } else { ',' });
            self.json.push_str(text);
            self.count += 1;
        }
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

    fn into_frame(mut self) -> Message {
        self.take_frame()
    }
}

/// `first` and whatever else already waits for this socket (up to a frame's worth), skipping
/// events it already sent; None when the socket fell too far behind or the hub closed.
fn gather(
    rx: &mut broadcast::Receiver<Arc<Frame>>,
    first: Arc<Frame>,
    sent: &mut EventId,
    access: &Access,
) -> Option<Batch> {
    let mut batch = Batch::default();
    let mut next = first;
    loop {
        if next.id > *sent {
            *sent = next.id;
            batch.push(&next, access);
        }
        if batch.len() == EVENTS_PER_FRAME {
            return Some(batch);
        }
        next = match rx.try_recv() {
            Ok(event) => event,
            Err(broadcast::error::TryRecvError::Empty) => return Some(batch),
            Err(_) => return None,
        };
    }
}

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Frame>>,
}

impl Hub {
    pub fn new() -> Hub {
        let (tx, _) = broadcast::channel(BUFFER);
        Hub { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Frame>> {
        self.tx.subscribe()
    }

    /// Starts the listener task. It runs until the process ends, reconnecting as needed.
    pub async fn listen(&self, pool: PgPool) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(&pool)
            .await
            .context("connecting the event listener")?;
        listener
            .listen(NOTIFY_CHANNEL)
            .await
            .context("listening for events")?;
        let mut last = events::latest_id(&pool)
            .await
            .context("reading the newest event id")?;
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(first)) => {
                        // Take every notification already here, then fetch them in one query.
                        let mut ids: Vec<i64> = events::announced_ids(first.payload()).collect();
                        while let Some(more) = listener.next_buffered() {
                            ids.extend(events::announced_ids(more.payload()));
                        }
                        match events::by_ids(&pool, &ids).await {
                            Ok(batch) => hub.fan_out(batch, &mut last),
                            Err(err) => tracing::error!(error = %err, "reading announced events"),
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
        for event in batch {
            *last = (*last).max(event.id);
            // No receivers is fine: nobody is connected to this server.
            if let Some(frame) = Frame::new(event) {
                let _ = self.tx.send(Arc::new(frame));
            }
        }
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
        .on_upgrade(move |socket| serve_socket(socket, state, access, EventId(query.after)))
}

async fn serve_socket(socket: WebSocket, state: AppState, access: Access, after: EventId) {
    // Subscribe before replaying, so nothing falls between the two.
    let mut rx = state.hub.subscribe();
    let (mut sender, mut receiver) = socket.split();
    let mut sent = after;

    if after.0 > 0 {
        match events::since(&state.pool, Some(access.account_id), after, REPLAY_LIMIT).await {
            Ok(missed) => {
                let mut batch = Batch::default();
                for event in missed.into_iter().filter_map(Frame::new) {
                    sent = sent.max(event.id);
                    batch.push(&event, &access);
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

    let send_task = async move {
        let mut ping = tokio::time::interval(Duration::from_secs(25));
        loop {
            tokio::select! {
                received = rx.recv() => {
                    // Lagged: too slow to keep up; close, the browser reconnects and refetches.
                    let Ok(first) = received else { break };
                    // What arrives within a short window goes out in one frame: a socket
                    // sends at most one frame per window however many events there are (a
                    // thousand sockets at 500 events a second would otherwise be half a
                    // million frames a second), for a delay nobody notices.
                    tokio::time::sleep(FRAME_WINDOW).await;
                    let Some(batch) = gather(&mut rx, first, &mut sent, &access) else { break };
                    if !batch.is_empty() && sender.send(batch.into_frame()).await.is_err() {
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
    let receive_task = async move {
        while let Some(Ok(message)) = receiver.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    };
    tokio::select! {
        _ = send_task => {}
        _ = receive_task => {}
    }
}
