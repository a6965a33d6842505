//! Polls email channels' IMAP mailboxes (B5): every `poll_seconds` (60 by default), and at
//! once on "Receive messages now". Each new email goes through the same parse and store as
//! the inbound-mail webhook, then the mailbox's position moves past it — so a crash in
//! between reads it again, and the unique Message-ID keeps it stored once.

use std::time::Duration;

use anyhow::Context;
use app::domain::ChannelKind;
use app::store::{inbound, mail};
use sqlx::PgPool;

use super::{Wakeup, backoff};
use crate::channels::imap::{self, Found, Mailbox};
use crate::channels::ingest::{dead_letter, ingest, refused_for_good};
use crate::channels::{ChannelAdapter, Channels};

/// How long one poll may hold its mailbox before another server may take it.
const LEASE_SECS: f64 = 600.0;
const DEFAULT_POLL_SECS: u64 = 60;
const MIN_POLL_SECS: u64 = 10;
const MAX_BACKOFF: Duration = Duration::from_secs(900);

/// Starts the poller; it ends when the pool is closed.
pub fn spawn(pool: PgPool, channels: Channels, max_bytes: u64) {
    tokio::spawn(async move {
        let mut wakeup = Wakeup::new(pool.clone(), mail::MAIL_CHANNEL, Duration::from_secs(5));
        loop {
            if let Err(err) = mail::track_new(&pool).await {
                if matches!(err, sqlx::Error::PoolClosed) {
                    break;
                }
                tracing::warn!(error = %err, "finding IMAP mailboxes");
            }
            let due = match mail::claim(&pool, 4, LEASE_SECS).await {
                Ok(due) => due,
                Err(sqlx::Error::PoolClosed) => break,
                Err(err) => {
                    tracing::warn!(error = %err, "claiming IMAP mailboxes");
                    Vec::new()
                }
            };
            let idle = due.is_empty();
            let polls = due.into_iter().map(|claimed| {
                let (pool, channels) = (pool.clone(), channels.clone());
                async move {
                    let (error, next) = match poll(&pool, &channels, &claimed, max_bytes).await {
                        Ok((notice, every)) => (notice, every.as_secs_f64()),
                        Err(err) => {
                            let reason = format!("{err:#}");
                            tracing::warn!(channel = %claimed.channel_id, error = reason, "IMAP poll failed");
                            let wait = backoff(claimed.failures + 1, MAX_BACKOFF).as_secs_f64();
                            (Some(reason), wait.max(MIN_POLL_SECS as f64))
                        }
                    };
                    if let Err(err) =
                        mail::finish(&pool, claimed.channel_id, error.as_deref(), next).await
                    {
                        tracing::error!(channel = %claimed.channel_id, error = %err, "recording an IMAP poll");
                    }
                }
            });
            futures::future::join_all(polls).await;
            if idle {
                wakeup.wait().await;
            }
        }
    });
}

/// One poll of one mailbox. Ok carries a notice for administrators (a skipped email) and
/// when to poll next.
async fn poll(
    pool: &PgPool,
    channels: &Channels,
    claimed: &mail::Claimed,
    max_bytes: u64,
) -> anyhow::Result<(Option<String>, Duration)> {
    let channel = inbound::channel(pool, claimed.channel_id)
        .await
        .context("loading the channel")?
        .filter(|c| c.kind == ChannelKind::Email)
        .context("the channel is gone")?;
    let every = Duration::from_secs(
        channel
            .settings
            .0
            .get("poll_seconds")
            .and_then(|v| v.as_u64())
            .unwrap_or(DEFAULT_POLL_SECS)
            .max(MIN_POLL_SECS),
    );
    let (Some(line), true) = (channel.line_id, channel.enabled) else {
        return Ok((None, every));
    };
    let Some(mailbox) = Mailbox::of(&channel) else {
        return Ok((None, every));
    };
    let mailbox = mailbox?;
    let adapter = channels
        .adapter(ChannelKind::Email)
        .context("no email adapter")?;
    let known = claimed.uid_validity.and_then(|v| u32::try_from(v).ok());
    let last = u32::try_from(claimed.last_uid).unwrap_or(0);
    let polled = imap::poll(&mailbox, known, last, max_bytes).await?;
    let validity = i64::from(polled.uid_validity);
    let mut notice = None;
    let mut stored = 0usize;
    for found in polled.found {
        let uid = match found {
            Found::TooLarge { uid, size } => {
                let text = format!(
                    "Skipped the email with UID {uid}: {:.1} MB, over the limit of {:.1} MB (DIALOGS_MAX_BODY_BYTES)",
                    size as f64 / 1_048_576.0,
                    max_bytes as f64 / 1_048_576.0
                );
                tracing::warn!(channel = %channel.id, "{text}");
                // Kept where refused webhook events are, so it outlives the next poll.
                dead_letter(pool, &channel, 0, b"", &anyhow::anyhow!("{text}")).await?;
                notice = Some(text);
                uid
            }
            Found::Mail { uid, raw } => {
                store_email(pool, adapter, &channel, line, &raw, uid).await?;
                stored += 1;
                uid
            }
        };
        mail::advance(pool, channel.id, validity, i64::from(uid))
            .await
            .context("recording the mailbox position")?;
    }
    if stored > 0 {
        tracing::info!(channel = %channel.id, stored, "emails received over IMAP");
    }
    Ok((notice, every))
}

/// Parses and stores one email like the inbound-mail webhook does. An email that cannot be
/// parsed or stored for good is kept as a dead letter, so it cannot hold up the mailbox.
async fn store_email(
    pool: &PgPool,
    adapter: &dyn ChannelAdapter,
    channel: &app::store::inbound::ChannelRecord,
    line: app::domain::LineId,
    raw: &[u8],
    uid: u32,
) -> anyhow::Result<()> {
    let events = match adapter.parse(raw) {
        Ok(events) => events,
        Err(err) => {
            let err = anyhow::anyhow!("UID {uid}: {err}");
            tracing::warn!(channel = %channel.id, error = %err, "an email that cannot be read, kept as a dead letter");
            return dead_letter(pool, channel, 0, raw, &err).await;
        }
    };
    adapter
        .keep_payload(channel, raw, &events)
        .await
        .context("keeping the email's files")?;
    for (index, event) in events.iter().enumerate() {
        match ingest(pool, channel, line, event).await {
            Ok(_) => {}
            Err(err) if refused_for_good(&err) => {
                dead_letter(pool, channel, index, raw, &err).await?;
            }
            Err(err) => return Err(err.context(format!("storing the email with UID {uid}"))),
        }
    }
    Ok(())
}
