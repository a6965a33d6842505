//! `POST /webhooks/{kind}/{channel_id}`: verify, store idempotently, answer. Slow work
//! (fetching files) is queued as jobs in the same transaction and done after the answer.
//! `GET` on the same path answers the subscription handshake of providers that make one.
//!
//! Answers: 200 stored (or already stored); 400 malformed; 401 wrong secret or signature;
//! 404 unknown channel; 413 too large; 503 not connected to a line, or the database is
//! unavailable — the provider keeps the update and retries, so nothing is lost. An event the
//! database refuses for good (a value no retry can fix) is kept in `dead_letters` with its
//! body and reason and answered 200, so it cannot block the events after it.

use std::collections::HashMap;

use anyhow::Context;
use app::domain::inbound::InboundEvent;
use app::domain::{ChannelId, LineId, ServerEvent};
use app::store::inbound::{ChannelRecord, MessageChange, Stored};
use app::store::{events, inbound, jobs};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::PgPool;

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
    let channel = match inbound::channel(&state.pool, ChannelId(id)).await {
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
    let mut stored = 0;
    let mut repeated = 0;
    let mut dead = 0;
    for (index, event) in events.iter().enumerate() {
        match ingest(&state.pool, &channel, line, event).await {
            Ok(true) => stored += 1,
            Ok(false) => repeated += 1,
            Err(err) if refused_for_good(&err) => {
                // Retrying cannot help: keep it aside and let the events after it through.
                tracing::error!(
                    error = format!("{err:#}"),
                    index,
                    "a webhook event the database refuses, kept as a dead letter"
                );
                if let Err(err) = dead_letter(&state.pool, &channel, index, &body, &err).await {
                    tracing::error!(error = format!("{err:#}"), "keeping a dead letter");
                    return refuse(StatusCode::SERVICE_UNAVAILABLE, "Please retry shortly.");
                }
                dead += 1;
            }
            Err(err) => {
                tracing::error!(error = format!("{err:#}"), "storing a webhook event");
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "Please retry shortly.");
            }
        }
    }
    Json(json!({ "ok": true, "stored": stored, "repeated": repeated, "dead_lettered": dead }))
        .into_response()
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
    let channel = match inbound::channel(&state.pool, ChannelId(id)).await {
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
    let changed = match event {
        InboundEvent::Message(message) => store_new(&mut tx, channel, line, message).await?,
        InboundEvent::Edited(message) => {
            let body = message.body();
            match inbound::update_message(
                &mut tx,
                channel,
                &message.external_id,
                MessageChange::Edited { body: &body },
            )
            .await
            .context("storing an edit")?
            {
                Some(changed) => {
                    publish_updated(&mut tx, channel, changed).await?;
                    true
                }
                // An edit of a message we never got: keep it as a new message.
                None => store_new(&mut tx, channel, line, message).await?,
            }
        }
        InboundEvent::Deleted { message_ids } => {
            let mut any = false;
            for id in message_ids {
                if let Some(changed) =
                    inbound::update_message(&mut tx, channel, id, MessageChange::Deleted)
                        .await
                        .context("storing a deletion")?
                {
                    publish_updated(&mut tx, channel, changed).await?;
                    any = true;
                }
            }
            any
        }
        InboundEvent::Status {
            message_id,
            state,
            error,
        } => {
            match inbound::update_message(
                &mut tx,
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
                    publish_updated(&mut tx, channel, changed).await?;
                    true
                }
                None => false,
            }
        }
    };
    tx.commit().await.context("committing a webhook event")?;
    Ok(changed)
}

/// Tells the browsers that a message changed.
async fn publish_updated(
    tx: &mut sqlx::PgConnection,
    channel: &ChannelRecord,
    (message, facts): (app::domain::MessageView, app::domain::event::DialogFacts),
) -> anyhow::Result<()> {
    let dialog = message.dialog_id;
    events::publish(
        tx,
        channel.account_id,
        dialog,
        &facts,
        &ServerEvent::MessageUpdated { message },
    )
    .await
    .context("publishing a message change")?;
    Ok(())
}

async fn store_new(
    tx: &mut sqlx::PgConnection,
    channel: &ChannelRecord,
    line: LineId,
    message: &app::domain::inbound::InboundMessage,
) -> anyhow::Result<bool> {
    match inbound::store_message(tx, channel, line, message)
        .await
        .context("storing an inbound message")?
    {
        Stored::Duplicate => Ok(false),
        Stored::Created {
            message,
            facts,
            new_dialog,
            attachments,
        } => {
            let dialog = message.dialog_id;
            let message_id = message.id;
            events::publish(
                tx,
                channel.account_id,
                dialog,
                &facts,
                &ServerEvent::MessageCreated { message },
            )
            .await?;
            for (attachment, _) in &attachments {
                jobs::enqueue(
                    tx,
                    channel.account_id,
                    FETCH_FILE_JOB,
                    &json!({ "attachment_id": attachment }),
                )
                .await?;
            }
            tracing::info!(dialog = %dialog, message = %message_id, new_dialog, "inbound message stored");
            Ok(true)
        }
    }
}
