//! Deletes messages at the client's side (E8) after an operator deleted them in the chat.
//! The message is already marked deleted; here the messenger is asked to remove it. A
//! message still being sent waits for its send to end; one that never reached the client
//! needs nothing. A refusal is kept on the message and shown to the operator: the client
//! may still see it.

use anyhow::Context;
use app::domain::{DeliveryState, MessageId};
use app::store::{inbound, jobs, messages};
use sqlx::PgPool;

use super::files::Failure;
use crate::channels::{Channels, SendError};

/// Runs one deletion job.
pub(super) async fn delete(
    pool: &PgPool,
    channels: &Channels,
    job: &jobs::Job,
) -> Result<(), Failure> {
    let id = job
        .id_named("message_id")
        .map(MessageId)
        .ok_or_else(|| Failure::Permanent("the job names no message".into()))?;
    let Some(copy) = messages::sent_copy(pool, job.account_id, id)
        .await
        .context("loading the message")?
    else {
        return Ok(()); // The dialog is gone.
    };
    if copy.delivery == Some(DeliveryState::Sending) {
        return Err(Failure::Retry("the message is still being sent".into()));
    }
    let (Some(channel_id), Some(chat), Some(external_id)) = (
        copy.channel_id,
        copy.chat.as_deref(),
        copy.external_id.as_deref(),
    ) else {
        return Ok(()); // It never reached the client.
    };
    let channel = inbound::channel(pool, channel_id)
        .await
        .context("loading the channel")?
        .ok_or_else(|| Failure::Permanent("the channel is gone".into()))?;
    let Some(adapter) = channels.adapter(channel.kind) else {
        return refused(
            pool,
            job,
            id,
            "This messenger does not let Dialogs delete messages",
        )
        .await;
    };
    match adapter.delete(&channel, chat, external_id).await {
        Ok(()) => {
            tracing::info!(message = %id, "message deleted at the client's side");
            Ok(())
        }
        Err(SendError::Permanent(reason)) => refused(pool, job, id, &reason).await,
        Err(SendError::Retry { reason, .. } | SendError::Unclear(reason)) => {
            Err(Failure::Retry(reason))
        }
    }
}

/// Keeps the messenger's refusal on the message and tells the browsers.
pub(super) async fn refused(
    pool: &PgPool,
    job: &jobs::Job,
    id: MessageId,
    reason: &str,
) -> Result<(), Failure> {
    tracing::warn!(message = %id, reason, "the messenger kept a deleted message");
    let mut tx = pool.begin().await.context("starting a transaction")?;
    messages::delete_failed(&mut *tx, job.account_id, id, reason)
        .await
        .context("recording the refusal")?;
    super::files::publish(&mut tx, job.account_id, id).await?;
    tx.commit().await.context("committing the refusal")?;
    Ok(())
}
