//! "Try again" on an event a channel kept aside (`dead_letters`): once its cause is fixed,
//! the kept webhook body goes through the channel's own parser and the one ingest path
//! again. Stored: the kept event is forgotten. Refused for good again: it stays, with the
//! new reason, and the job ends. Anything else (database trouble, a channel switched off)
//! is retried later by the job queue.

use anyhow::Context;
use app::store::{dead_letters, inbound, jobs};
use sqlx::PgPool;

use super::files::Failure;
use crate::channels::Channels;
use crate::channels::ingest::{ingest, refused_for_good};

pub(super) async fn replay(
    pool: &PgPool,
    channels: &Channels,
    job: &jobs::Job,
) -> Result<(), Failure> {
    let id = job
        .id_named("dead_letter_id")
        .ok_or_else(|| Failure::Permanent("the job names no kept event".into()))?;
    let Some(kept) = dead_letters::kept(pool, job.account_id, id)
        .await
        .context("loading the kept event")?
    else {
        return Ok(()); // Dismissed meanwhile.
    };
    let channel = inbound::channel(pool, kept.channel_id)
        .await
        .context("loading the channel")?
        .filter(|c| c.account_id == job.account_id)
        .ok_or_else(|| Failure::Permanent("the channel is gone".into()))?;
    let line = match (channel.enabled, channel.line_id) {
        (true, Some(line)) => line,
        _ => {
            return Err(Failure::Retry(
                "the channel is switched off or on no line".into(),
            ));
        }
    };
    let adapter = channels
        .adapter(channel.kind)
        .ok_or_else(|| Failure::Permanent("this messenger is not supported".into()))?;
    let refused = |reason: String| async move {
        dead_letters::refused_again(pool, job.account_id, id, &reason)
            .await
            .context("recording the new reason")?;
        Err::<(), Failure>(Failure::Permanent(reason))
    };
    let events = match adapter.parse(&kept.body) {
        Ok(events) => events,
        Err(err) => return refused(format!("Tried again: {err}")).await,
    };
    let index = usize::try_from(kept.event_index).unwrap_or(usize::MAX);
    let Some(event) = events.get(index) else {
        return refused(format!(
            "Tried again: the body has {} events, not event {}",
            events.len(),
            kept.event_index
        ))
        .await;
    };
    adapter
        .keep_payload(&channel, &kept.body, std::slice::from_ref(event))
        .await
        .context("keeping the event's files")?;
    match ingest(pool, &channel, line, event).await {
        Ok(_) => {
            dead_letters::dismiss(pool, job.account_id, channel.id, id)
                .await
                .context("forgetting the stored event")?;
            tracing::info!(dead_letter = id, channel = %channel.id, "kept event stored on replay");
            Ok(())
        }
        Err(err) if refused_for_good(&err) => refused(format!("Tried again: {err:#}")).await,
        Err(err) => Err(err.into()),
    }
}
