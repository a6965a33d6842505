//! `POST /webhooks/{kind}/{channel_id}`: verify, store idempotently, answer. Slow work
//! (fetching files) is queued as jobs in the same transaction and done after the answer.
//! `GET` on the same path answers the subscription handshake of providers that make one.
//!
//! Storing is group-committed: verified webhooks wait in a queue, and a few writer tasks
//! each take everything waiting (up to `MAX_BATCH_EVENTS` events) and store it in one
//! transaction, set-based where it can be (`inbound::store_messages`), with one
//! notification per batch. A webhook is answered only after its batch committed, so an
//! answered webhook is never lost. When a batch fails, each of its webhooks is stored again
//! on its own, event by event, so one bad event costs only itself (a dead letter).
//!
//! Answers: 200 stored (or already stored); 400 malformed; 401 wrong secret or signature;
//! 404 unknown channel; 413 too large; 503 not connected to a line, or the database is
//! unavailable — the provider keeps the update and retries, so nothing is lost. An event the
//! database refuses for good (a value no retry can fix) is kept in `dead_letters` with its
//! body and reason and answered 200, so it cannot block the events after it.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use app::domain::inbound::InboundEvent;
use app::domain::{AccountId, ChannelId, LineId, ServerEvent};
use app::store::events::NewEvent;
use app::store::inbound::{ChannelRecord, MessageChange, Stored};
use app::store::{events, inbound, jobs};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::WebhookError;
use crate::startup::AppState;

/// The job that fetches a client's file from the messenger.
pub const FETCH_FILE_JOB: &str = "fetch_file";

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "ok": false, "error": message.into() })),
    )
        .into_response()
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let status = match self {
            WebhookError::UnknownChannel => StatusCode::NOT_FOUND,
            WebhookError::BadSignature => StatusCode::UNAUTHORIZED,
            WebhookError::Malformed(_) => StatusCode::BAD_REQUEST,
            WebhookError::NotConnected => StatusCode::SERVICE_UNAVAILABLE,
        };
        refuse(status, self.to_string())
    }
}

#[tracing::instrument(skip_all, fields(kind = %kind, channel = %channel_id))]
pub async fn webhook(
    State(state): State<AppState>,
    Path((kind, channel_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(adapter) = state.channels.by_path_name(&kind) else {
        return WebhookError::UnknownChannel.into_response();
    };
    let Ok(id) = channel_id.parse::<i64>() else {
        return WebhookError::UnknownChannel.into_response();
    };
    let channel = match state.directory.get(&state.pool, ChannelId(id)).await {
        Ok(Some(channel)) if channel.kind == adapter.kind() => channel,
        Ok(_) => return WebhookError::UnknownChannel.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "loading a channel for a webhook");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "Please retry shortly.");
        }
    };
    if let Err(err) = adapter.verify(&channel, &headers, &body) {
        tracing::warn!(error = %err, "webhook refused");
        return err.into_response();
    }
    let events = match adapter.parse(&body) {
        Ok(events) => events,
        Err(err) => {
            tracing::warn!(error = %err, "webhook refused");
            return err.into_response();
        }
    };
    let line = match (channel.enabled, channel.line_id) {
        (true, Some(line)) => line,
        _ => return WebhookError::NotConnected.into_response(),
    };
    if let Err(err) = adapter.keep_payload(&channel, &body, &events).await {
        tracing::error!(error = format!("{err:#}"), "keeping a webhook's files");
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "Please retry shortly.");
    }
    match state.ingestor.submit(channel, line, events, body).await {
        Ok(outcome) => Json(json!({
            "ok": true,
            "stored": outcome.stored,
            "repeated": outcome.repeated,
            "dead_lettered": outcome.dead_lettered,
        }))
        .into_response(),
        Err(Unavailable) => refuse(StatusCode::SERVICE_UNAVAILABLE, "Please retry shortly."),
    }
}

/// What storing a webhook's events did, as its answer reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub stored: usize,
    pub repeated: usize,
    pub dead_lettered: usize,
}

/// The webhook could not be stored now (the database is unavailable): the provider should
/// retry. Whatever of it was stored already is recognised as repeated then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// Most events one batch transaction stores.
pub const MAX_BATCH_EVENTS: usize = 256;
/// Writer tasks storing batches side by side, each holding one connection while it writes
/// (`DIALOGS_INGEST_WRITERS`, 2 by default). More writers take more webhooks at once but
/// make smaller batches that wait on each other's chat locks; one writer alone would let a
/// batch stuck on a lock hold up every other chat.
fn writers() -> usize {
    std::env::var("DIALOGS_INGEST_WRITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(2)
}
/// Webhooks that may wait for a writer; beyond it, handlers wait for room.
const QUEUE: usize = 8192;

/// One verified webhook waiting to be stored.
struct Submission {
    channel: Arc<ChannelRecord>,
    line: LineId,
    events: Vec<InboundEvent>,
    body: Bytes,
    answer: oneshot::Sender<Result<Outcome, Unavailable>>,
}

/// The queue in front of the writer tasks (see the module's documentation).
#[derive(Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<Submission>,
}

impl Ingestor {
    /// Starts the writer tasks; they end when every `Ingestor` clone is dropped.
    pub fn spawn(pool: PgPool) -> Ingestor {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..writers() {
            tokio::spawn(write_batches(pool.clone(), waiting.clone()));
        }
        Ingestor { queue }
    }

    /// Stores a verified webhook's events; answers once they are committed.
    pub async fn submit(
        &self,
        channel: Arc<ChannelRecord>,
        line: LineId,
        events: Vec<InboundEvent>,
        body: Bytes,
    ) -> Result<Outcome, Unavailable> {
        let (answer, answered) = oneshot::channel();
        let submission = Submission {
            channel,
            line,
            events,
            body,
            answer,
        };
        if self.queue.send(submission).await.is_err() {
            tracing::error!("the webhook writers have stopped");
            return Err(Unavailable);
        }
        answered.await.unwrap_or(Err(Unavailable))
    }
}

/// A writer: takes everything waiting (one batch), stores it, answers, repeats.
async fn write_batches(pool: PgPool, waiting: Arc<Mutex<mpsc::Receiver<Submission>>>) {
    loop {
        let batch = {
            let mut waiting = waiting.lock().await;
            let Some(first) = waiting.recv().await else {
                return;
            };
            let mut events = first.events.len();
            let mut batch = vec![first];
            while events < MAX_BATCH_EVENTS {
                match waiting.try_recv() {
                    Ok(next) => {
                        events += next.events.len();
                        batch.push(next);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        let webhooks: Vec<Webhook<'_>> = batch
            .iter()
            .map(|s| Webhook {
                channel: &s.channel,
                line: s.line,
                events: &s.events,
            })
            .collect();
        match store_batch(&pool, &webhooks).await {
            Ok(outcomes) => {
                drop(webhooks);
                for (submission, outcome) in batch.into_iter().zip(outcomes) {
                    // A provider that hung up retries; storing again is a no-op.
                    let _ = submission.answer.send(Ok(outcome));
                }
            }
            Err(err) => {
                drop(webhooks);
                tracing::warn!(
                    error = format!("{err:#}"),
                    webhooks = batch.len(),
                    "a batch of webhooks failed; storing them one by one"
                );
                for submission in batch {
                    let outcome = store_webhook(
                        &pool,
                        &submission.channel,
                        submission.line,
                        &submission.events,
                        &submission.body,
                    )
                    .await;
                    let _ = submission.answer.send(outcome);
                }
            }
        }
    }
}

/// One webhook's events, as a batch stores them.
pub struct Webhook<'a> {
    pub channel: &'a ChannelRecord,
    pub line: LineId,
    pub events: &'a [InboundEvent],
}

/// Stores several webhooks' events in one transaction: the chats they write to are locked
/// in one sorted statement, new messages are stored together, other events (edits,
/// deletions, delivery states) one by one after them, and every live event is published in
/// one statement. Any error rolls back the whole batch.
pub async fn store_batch(pool: &PgPool, webhooks: &[Webhook<'_>]) -> anyhow::Result<Vec<Outcome>> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    // The batch's statements take arrays whose sizes change every time: planning them
    // anew for each batch cost more than running them (a quarter of the ingest rate).
    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan")
        .execute(&mut *tx)
        .await
        .context("choosing generic plans")?;
    let mut chats: Vec<(ChannelId, &str)> = Vec::new();
    let mut messages: Vec<(usize, inbound::Incoming<'_>)> = Vec::new();
    let mut others: Vec<(usize, &ChannelRecord, LineId, &InboundEvent)> = Vec::new();
    for (w, webhook) in webhooks.iter().enumerate() {
        for event in webhook.events {
            match event {
                InboundEvent::Message(message) => {
                    chats.push((webhook.channel.id, &message.chat.external_id));
                    messages.push((
                        w,
                        inbound::Incoming {
                            channel: webhook.channel,
                            line: webhook.line,
                            message,
                        },
                    ));
                }
                other => {
                    if let InboundEvent::Edited(message) = other {
                        chats.push((webhook.channel.id, &message.chat.external_id));
                    }
                    others.push((w, webhook.channel, webhook.line, other));
                }
            }
        }
    }
    inbound::lock_chats(&mut tx, &chats)
        .await
        .context("locking the batch's chats")?;

    let mut outcomes = vec![Outcome::default(); webhooks.len()];
    let mut effects = Effects::default();
    let incoming: Vec<inbound::Incoming<'_>> = messages.iter().map(|(_, m)| *m).collect();
    let stored = inbound::store_messages(&mut tx, &incoming)
        .await
        .context("storing inbound messages")?;
    for ((w, item), stored) in messages.iter().zip(stored) {
        if effects.created(item.channel, stored) {
            outcomes[*w].stored += 1;
        } else {
            outcomes[*w].repeated += 1;
        }
    }
    for (w, channel, line, event) in others {
        if apply(&mut tx, channel, line, event, &mut effects).await? {
            outcomes[w].stored += 1;
        } else {
            outcomes[w].repeated += 1;
        }
    }
    effects.write(&mut tx).await?;
    tx.commit()
        .await
        .context("committing a batch of webhooks")?;
    Ok(outcomes)
}

/// Stores one webhook event by event, each in its own transaction: an event the database
/// refuses for good is kept as a dead letter and the others go on.
pub async fn store_webhook(
    pool: &PgPool,
    channel: &ChannelRecord,
    line: LineId,
    events: &[InboundEvent],
    body: &[u8],
) -> Result<Outcome, Unavailable> {
    let mut outcome = Outcome::default();
    for (index, event) in events.iter().enumerate() {
        match ingest(pool, channel, line, event).await {
            Ok(true) => outcome.stored += 1,
            Ok(false) => outcome.repeated += 1,
            Err(err) if refused_for_good(&err) => {
                // Retrying cannot help: keep it aside and let the events after it through.
                tracing::error!(
                    error = format!("{err:#}"),
                    index,
                    "a webhook event the database refuses, kept as a dead letter"
                );
                if let Err(err) = dead_letter(pool, channel, index, body, &err).await {
                    tracing::error!(error = format!("{err:#}"), "keeping a dead letter");
                    return Err(Unavailable);
                }
                outcome.dead_lettered += 1;
            }
            Err(err) => {
                tracing::error!(error = format!("{err:#}"), "storing a webhook event");
                return Err(Unavailable);
            }
        }
    }
    Ok(outcome)
}

/// True when the database refused the data itself (SQLSTATE class 22, data exception, or
/// 23, integrity constraint violation): the same event would be refused on every retry.
/// Connection trouble, timeouts and serialization failures stay retryable.
pub fn refused_for_good(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .and_then(|e| e.code())
            .is_some_and(|code| code.starts_with("22") || code.starts_with("23"))
    })
}

/// Keeps a refused event's webhook body and the reason.
pub async fn dead_letter(
    pool: &PgPool,
    channel: &ChannelRecord,
    index: usize,
    body: &[u8],
    err: &anyhow::Error,
) -> anyhow::Result<()> {
    app::store::dead_letters::record(
        pool,
        channel.account_id,
        channel.id,
        i32::try_from(index).unwrap_or(i32::MAX),
        body,
        &format!("{err:#}"),
    )
    .await
    .context("inserting a dead letter")
}

/// `GET /webhooks/{kind}/{channel_id}`: the provider checks the URL is ours before sending
/// to it (WhatsApp's `hub.mode=subscribe`). Answers the challenge as plain text; 403 for a
/// wrong verify token, as Meta expects.
#[tracing::instrument(skip_all, fields(kind = %kind, channel = %channel_id))]
pub async fn handshake(
    State(state): State<AppState>,
    Path((kind, channel_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(adapter) = state.channels.by_path_name(&kind) else {
        return WebhookError::UnknownChannel.into_response();
    };
    let Ok(id) = channel_id.parse::<i64>() else {
        return WebhookError::UnknownChannel.into_response();
    };
    let channel = match state.directory.get(&state.pool, ChannelId(id)).await {
        Ok(Some(channel)) if channel.kind == adapter.kind() => channel,
        Ok(_) => return WebhookError::UnknownChannel.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "loading a channel for a handshake");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "Please retry shortly.");
        }
    };
    match adapter.handshake(&channel, &query) {
        Ok(answer) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            answer,
        )
            .into_response(),
        Err(WebhookError::BadSignature) => {
            tracing::warn!("webhook handshake with a wrong verify token");
            refuse(StatusCode::FORBIDDEN, "the verify token does not match")
        }
        Err(err) => {
            tracing::warn!(error = %err, "webhook handshake refused");
            err.into_response()
        }
    }
}

/// Stores one event in its own transaction, with its live event. False when it changed
/// nothing (a repeated webhook, or a change to a message we never had).
pub async fn ingest(
    pool: &PgPool,
    channel: &ChannelRecord,
    line: LineId,
    event: &InboundEvent,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let mut effects = Effects::default();
    let changed = apply(&mut tx, channel, line, event, &mut effects).await?;
    effects.write(&mut tx).await?;
    tx.commit().await.context("committing a webhook event")?;
    Ok(changed)
}

/// What storing events leads to, written at the end of their transaction in one go: live
/// events (with their webhook deliveries) and jobs fetching files.
#[derive(Default)]
struct Effects {
    events: Vec<NewEvent>,
    files: Vec<(AccountId, i64)>,
}

impl Effects {
    /// Records what a stored message leads to; true when it was new.
    fn created(&mut self, channel: &ChannelRecord, stored: Stored) -> bool {
        let Stored::Created {
            message,
            facts,
            new_dialog,
            attachments,
            quiet,
        } = stored
        else {
            return false;
        };
        tracing::info!(dialog = %message.dialog_id, message = %message.id, new_dialog, quiet, "inbound message stored");
        self.files
            .extend(attachments.iter().map(|(id, _)| (channel.account_id, *id)));
        if quiet {
            // A blocked client (C6): kept, but nobody is told.
            return true;
        }
        self.events.push(NewEvent {
            account: channel.account_id,
            dialog: message.dialog_id,
            facts,
            event: ServerEvent::MessageCreated { message },
        });
        true
    }

    /// Records that a message changed.
    fn updated(
        &mut self,
        channel: &ChannelRecord,
        (message, facts): (app::domain::MessageView, app::domain::event::DialogFacts),
    ) {
        self.events.push(NewEvent {
            account: channel.account_id,
            dialog: message.dialog_id,
            facts,
            event: ServerEvent::MessageUpdated { message },
        });
    }

    async fn write(self, conn: &mut sqlx::PgConnection) -> anyhow::Result<()> {
        events::publish_many(conn, &self.events)
            .await
            .context("publishing live events")?;
        for (account, attachment) in self.files {
            jobs::enqueue(
                conn,
                account,
                FETCH_FILE_JOB,
                &json!({ "attachment_id": attachment }),
            )
            .await
            .context("queueing a file fetch")?;
        }
        Ok(())
    }
}

/// Stores one event inside the caller's transaction (which holds the chat's lock for a
/// new or edited message when it stores several). False when it changed nothing.
async fn apply(
    tx: &mut sqlx::PgConnection,
    channel: &ChannelRecord,
    line: LineId,
    event: &InboundEvent,
    effects: &mut Effects,
) -> anyhow::Result<bool> {
    let changed = match event {
        InboundEvent::Message(message) => store_new(tx, channel, line, message, effects).await?,
        InboundEvent::Edited(message) => {
            let body = message.body();
            match inbound::update_message(
                tx,
                channel,
                &message.external_id,
                MessageChange::Edited { body: &body },
            )
            .await
            .context("storing an edit")?
            {
                Some(changed) => {
                    effects.updated(channel, changed);
                    true
                }
                // An edit of a message we never got: keep it as a new message.
                None => store_new(tx, channel, line, message, effects).await?,
            }
        }
        InboundEvent::Deleted { message_ids } => {
            let mut any = false;
            for id in message_ids {
                if let Some(changed) =
                    inbound::update_message(tx, channel, id, MessageChange::Deleted)
                        .await
                        .context("storing a deletion")?
                {
                    effects.updated(channel, changed);
                    any = true;
                }
            }
            any
        }
        InboundEvent::TemplatesChanged => {
            jobs::enqueue_once(
                tx,
                channel.account_id,
                app::store::templates::SYNC_JOB,
                &json!({ "channel_id": channel.id }),
            )
            .await
            .context("queueing a template refresh")?;
            true
        }
        InboundEvent::Status {
            message_id,
            state,
            error,
        } => {
            match inbound::update_message(
                tx,
                channel,
                message_id,
                MessageChange::Delivery {
                    state: *state,
                    error: error.as_deref(),
                },
            )
            .await
            .context("storing a delivery status")?
            {
                Some(changed) => {
                    effects.updated(channel, changed);
                    true
                }
                None => false,
            }
        }
    };
    Ok(changed)
}

async fn store_new(
    tx: &mut sqlx::PgConnection,
    channel: &ChannelRecord,
    line: LineId,
    message: &app::domain::inbound::InboundMessage,
    effects: &mut Effects,
) -> anyhow::Result<bool> {
    let stored = inbound::store_message(tx, channel, line, message)
        .await
        .context("storing an inbound message")?;
    Ok(effects.created(channel, stored))
}
