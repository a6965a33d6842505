//! Keeps each WhatsApp channel's approved templates as Meta lists them (E6): a job per
//! channel, queued every hour and whenever an operator asks for a refresh.

use std::time::Duration;

use anyhow::Context;
use app::domain::{ChannelId, ChannelKind};
use app::store::{inbound, jobs, templates};
use sqlx::PgPool;

use super::files::Failure;
use crate::channels::{Channels, SendError};

/// How often every WhatsApp channel's templates are refreshed.
pub const REFRESH_EVERY: Duration = Duration::from_secs(3600);

/// Refreshes the templates of the channel a `SYNC_JOB` names.
pub(super) async fn sync(
    pool: &PgPool,
    channels: &Channels,
    job: &jobs::Job,
) -> Result<(), Failure> {
    let id = job
        .id_named("channel_id")
        .map(ChannelId)
        .ok_or_else(|| Failure::Permanent("the job names no channel".into()))?;
    let Some(channel) = inbound::channel(pool, id)
        .await
        .context("loading the channel")?
        .filter(|c| c.account_id == job.account_id && c.kind == ChannelKind::Whatsapp)
    else {
        return Ok(()); // Deleted meanwhile.
    };
    let listed = channels
        .whatsapp()
        .list_templates(&channel)
        .await
        .map_err(|e| match e {
            SendError::Permanent(r) => Failure::Permanent(r),
            SendError::Retry { reason, .. } | SendError::Unclear(reason) => Failure::Retry(reason),
        })?;
    let mut tx = pool.begin().await.context("starting a transaction")?;
    templates::replace(&mut tx, channel.account_id, channel.id, &listed)
        .await
        .context("storing the templates")?;
    tx.commit().await.context("committing the templates")?;
    tracing::info!(channel = %channel.id, templates = listed.len(), "WhatsApp templates refreshed");
    Ok(())
}

/// Queues a refresh of every WhatsApp channel with a business account id now and then
/// every `REFRESH_EVERY`; ends with the process.
pub fn spawn(pool: PgPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        loop {
            tick.tick().await;
            match queue_all(&pool).await {
                Ok(()) => {}
                Err(err) if matches!(err.downcast_ref(), Some(sqlx::Error::PoolClosed)) => break,
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), "queueing template refreshes")
                }
            }
        }
    });
}

async fn queue_all(pool: &PgPool) -> anyhow::Result<()> {
    let due: Vec<(app::domain::AccountId, ChannelId)> = sqlx::query_as(
        "SELECT account_id, id FROM channels
          WHERE kind = 'whatsapp' AND enabled AND settings ? 'business_account_id'",
    )
    .fetch_all(pool)
    .await
    .context("listing WhatsApp channels")?;
    for (account, channel) in due {
        let mut tx = pool.begin().await?;
        jobs::enqueue_once(
            &mut tx,
            account,
            templates::SYNC_JOB,
            &serde_json::json!({ "channel_id": channel }),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
