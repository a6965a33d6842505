//! Fetches clients' files from the messengers after their webhooks were answered, keeps them
//! in the file store, and tells the browsers (the message's attachment turns from "loading"
//! into a link).

use std::time::Duration;

use anyhow::Context;
use app::domain::{AttachmentId, ServerEvent};
use app::store::{attachments, events, inbound, jobs, messages};
use sqlx::PgPool;

use super::{Wakeup, backoff};
use crate::channels::ingest::FETCH_FILE_JOB;
use crate::channels::{Channels, SendError};
use crate::files::FileStore;

const LEASE: Duration = Duration::from_secs(300);
const MAX_ATTEMPTS: i32 = 10;
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// Starts the worker; it ends when the pool is closed.
pub fn spawn(pool: PgPool, channels: Channels, files: FileStore) {
    tokio::spawn(async move {
        let mut wakeup = Wakeup::new(pool.clone(), jobs::JOBS_CHANNEL, Duration::from_secs(2));
        loop {
            let batch = match jobs::claim(&pool, 8, LEASE).await {
                Ok(batch) => batch,
                Err(sqlx::Error::PoolClosed) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "claiming jobs");
                    Vec::new()
                }
            };
            let idle = batch.is_empty();
            let runs = batch.into_iter().map(|job| {
                let (pool, channels, files) = (pool.clone(), channels.clone(), files.clone());
                async move {
                    let outcome = match job.kind.as_str() {
                        FETCH_FILE_JOB => fetch(&pool, &channels, &files, &job).await,
                        app::store::templates::SYNC_JOB => {
                            super::templates::sync(&pool, &channels, &job).await
                        }
                        app::store::dead_letters::REPLAY_JOB => {
                            super::replay::replay(&pool, &channels, &job).await
                        }
                        app::store::messages::DELETE_AT_CLIENT_JOB => {
                            super::deletions::delete(&pool, &channels, &job).await
                        }
                        other => Err(Failure::Permanent(format!("unknown job kind {other}"))),
                    };
                    let recorded = match outcome {
                        Ok(()) => jobs::done(&pool, job.id).await,
                        Err(Failure::Retry(reason)) if job.attempts < MAX_ATTEMPTS => {
                            jobs::retry_later(
                                &pool,
                                job.id,
                                backoff(job.attempts, MAX_BACKOFF),
                                &reason,
                            )
                            .await
                        }
                        Err(Failure::Retry(reason)) | Err(Failure::Permanent(reason)) => {
                            tracing::warn!(job = job.id, reason, "job given up");
                            give_up(&pool, &channels, &job, &reason).await
                        }
                    };
                    if let Err(err) = recorded {
                        tracing::error!(job = job.id, error = %err, "recording a job's outcome");
                    }
                }
            });
            futures::future::join_all(runs).await;
            if idle {
                wakeup.wait().await;
            }
        }
    });
}

/// How a job failed: worth another try later, or not.
pub(super) enum Failure {
    Retry(String),
    Permanent(String),
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Failure::Retry(format!("{err:#}"))
    }
}

fn attachment_of(job: &jobs::Job) -> Result<AttachmentId, Failure> {
    job.id_named("attachment_id")
        .map(AttachmentId)
        .ok_or_else(|| Failure::Permanent("the job names no attachment".into()))
}

async fn fetch(
    pool: &PgPool,
    channels: &Channels,
    files: &FileStore,
    job: &jobs::Job,
) -> Result<(), Failure> {
    let id = attachment_of(job)?;
    let Some(file) = attachments::pending_file(pool, job.account_id, id)
        .await
        .context("loading an attachment")?
    else {
        return Ok(()); // The message was deleted meanwhile.
    };
    if file.state == "stored" {
        return Ok(());
    }
    let channel_id = file
        .channel_id
        .ok_or_else(|| Failure::Permanent("the message has no channel".into()))?;
    let channel = inbound::channel(pool, channel_id)
        .await
        .context("loading the channel")?
        .ok_or_else(|| Failure::Permanent("the channel is gone".into()))?;
    let adapter = channels
        .adapter(channel.kind)
        .ok_or_else(|| Failure::Permanent("this messenger is not supported".into()))?;
    let source = file
        .source
        .as_deref()
        .ok_or_else(|| Failure::Permanent("the file has no source".into()))?;
    let fetched = adapter
        .fetch_file(&channel, source)
        .await
        .map_err(|e| match e {
            SendError::Permanent(r) => Failure::Permanent(r),
            SendError::Retry { reason, .. } | SendError::Unclear(reason) => Failure::Retry(reason),
        })?;
    let key = format!("{}/{}", file.account_id, file.id);
    files.put(&key, &fetched.bytes).await?;
    let mut tx = pool.begin().await.context("starting a transaction")?;
    attachments::file_fetched(
        &mut *tx,
        file.id,
        Ok((
            &key,
            fetched.bytes.len() as i64,
            fetched.mime_type.as_deref(),
        )),
    )
    .await
    .context("recording a stored file")?;
    publish(&mut tx, file.account_id, file.message_id).await?;
    tx.commit().await.context("committing a stored file")?;
    release(pool, channels, &channel, source).await;
    Ok(())
}

/// A raw email kept for its attachments is deleted once none of them waits any more; a
/// failure only leaves the email behind, so it is logged, not retried.
async fn release(
    pool: &PgPool,
    channels: &Channels,
    channel: &app::store::inbound::ChannelRecord,
    source: &str,
) {
    if channel.kind != app::domain::ChannelKind::Email {
        return;
    }
    if let Err(err) = channels.email().release_kept(pool, channel, source).await {
        tracing::warn!(error = format!("{err:#}"), channel = %channel.id, "deleting a kept email");
    }
}

async fn give_up(
    pool: &PgPool,
    channels: &Channels,
    job: &jobs::Job,
    reason: &str,
) -> sqlx::Result<()> {
    if job.kind == FETCH_FILE_JOB
        && let Ok(id) = attachment_of(job)
        && let Some(file) = attachments::pending_file(pool, job.account_id, id).await?
    {
        let mut tx = pool.begin().await?;
        attachments::file_fetched(&mut *tx, id, Err(reason)).await?;
        if let Err(err) = publish(&mut tx, file.account_id, file.message_id).await {
            tracing::error!(error = format!("{err:#}"), "publishing a failed file");
        }
        tx.commit().await?;
        if let (Some(channel_id), Some(source)) = (file.channel_id, file.source.as_deref())
            && let Some(channel) = inbound::channel(pool, channel_id).await?
        {
            release(pool, channels, &channel, source).await;
        }
    }
    if job.kind == app::store::messages::DELETE_AT_CLIENT_JOB
        && let Some(id) = job.id_named("message_id")
        && let Err(Failure::Retry(err) | Failure::Permanent(err)) =
            super::deletions::refused(pool, job, app::domain::MessageId(id), reason).await
    {
        tracing::error!(error = err, "recording a refused deletion");
    }
    jobs::done(pool, job.id).await
}

pub(super) async fn publish(
    tx: &mut sqlx::PgConnection,
    account: app::domain::AccountId,
    message: app::domain::MessageId,
) -> anyhow::Result<()> {
    let message = messages::view(&mut *tx, message)
        .await
        .context("reading the message")?;
    let dialog = message.dialog_id;
    let facts = inbound::facts(&mut *tx, account, dialog)
        .await
        .context("reading the dialog")?;
    events::publish(
        tx,
        account,
        dialog,
        &facts,
        &ServerEvent::MessageUpdated { message },
    )
    .await
    .context("publishing a file update")?;
    Ok(())
}
