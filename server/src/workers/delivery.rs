//! Sends outgoing messages (E11). A message and its outbox row were written in one
//! transaction; this worker claims due rows, paces them to the provider's limits, sends, and
//! records the outcome with a live event, so the operator sees sending → sent (or failed
//! with the reason, and may retry from the message's menu).
//!
//! Never twice: a send is retried only when the provider did not take it (refused
//! connection, 429, 5xx), or when the provider deduplicates on our idempotency key. A send
//! whose fate is unknown (a timeout, a server killed mid-send) is marked failed with that
//! explanation rather than repeated blindly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use app::domain::ServerEvent;
use app::store::outbox::{self, Delivery, OutboxFile};
use app::store::{events, inbound, messages};
use sqlx::PgPool;
use tokio::time::Instant;

use super::backoff;
use crate::channels::{Channels, FileSending, Outgoing, OutgoingFile, SendError};
use crate::files::FileStore;

/// How long a claimed delivery stays claimed; longer than any send takes.
const LEASE: Duration = Duration::from_secs(120);
/// Attempts before a message that keeps meeting temporary errors is marked failed.
pub const MAX_ATTEMPTS: i32 = 16;
/// The longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Sends in flight per server.
const IN_FLIGHT: usize = 64;

/// Starts the worker; it ends when the pool is closed.
pub fn spawn(pool: PgPool, channels: Channels, files: FileStore) {
    let pacer = Arc::new(Pacer::default());
    let worker_pool = pool.clone();
    super::run_queue(
        pool,
        messages::OUTBOX_CHANNEL,
        IN_FLIGHT,
        |pool, limit| async move { outbox::claim(&pool, limit, LEASE).await },
        move |delivery: Delivery| {
            let (pool, channels, pacer, files) = (
                worker_pool.clone(),
                channels.clone(),
                pacer.clone(),
                files.clone(),
            );
            async move {
                let message = delivery.message_id;
                if let Err(err) = deliver(&pool, &channels, &pacer, &files, delivery).await {
                    // The lease runs out and the delivery is claimed again.
                    tracing::error!(message = %message, error = format!("{err:#}"), "delivery");
                }
            }
        },
    );
}

/// One attempt at one message.
async fn deliver(
    pool: &PgPool,
    channels: &Channels,
    pacer: &Pacer,
    files: &FileStore,
    delivery: Delivery,
) -> anyhow::Result<()> {
    let channel = inbound::channel(pool, delivery.channel_id)
        .await
        .context("loading the channel")?
        .context("the channel is gone")?;
    let Some(adapter) = channels.adapter(channel.kind) else {
        return fail(
            pool,
            &delivery,
            &format!("Sending to {} is not supported yet", channel.kind.label()),
        )
        .await;
    };
    if delivery.interrupted && !adapter.deduplicates_sends() {
        return fail(
            pool,
            &delivery,
            "The server stopped while sending: the message may or may not have reached the client. Check before retrying.",
        )
        .await;
    }
    if !channel.enabled {
        return fail(pool, &delivery, "The channel is switched off").await;
    }
    let Some(chat) = delivery.chat_external_id.clone() else {
        return fail(pool, &delivery, "The client has no address on this channel").await;
    };

    // The chat's turn first, then the channel's: the channel's slots are taken in the
    // order sends really go, so one slow chat never holds the others.
    let limits = adapter.limits();
    let chat_key = format!("{}/{chat}", channel.id);
    tokio::time::sleep_until(pacer.reserve(&chat_key, limits.per_chat, Instant::now())).await;
    let channel_key = channel.id.to_string();
    tokio::time::sleep_until(pacer.reserve(&channel_key, limits.per_channel, Instant::now())).await;

    let base = Outgoing {
        chat,
        text: delivery.body.clone(),
        reply_to: delivery.reply_to_external_id.clone(),
        thread: delivery.thread_external_id.clone(),
        idempotency_key: format!("dialogs-message-{}", delivery.message_id),
        subject: delivery.subject.clone().or_else(|| {
            delivery
                .thread_subject
                .as_deref()
                .map(crate::channels::email::reply_subject)
        }),
        template: delivery.template.as_ref().map(|t| t.0.clone()),
        files: Vec::new(),
    };
    let parts = plan(&delivery, adapter.file_sending());
    let mut first_id = delivery
        .sent_external_id
        .clone()
        .or_else(|| delivery.files.0.iter().find_map(|f| f.external_id.clone()));
    let mut outcome = Ok(None);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // Every part is a message to the chat: the chat's pace holds between them.
            tokio::time::sleep_until(pacer.reserve(&chat_key, limits.per_chat, Instant::now()))
                .await;
        }
        let mut outgoing = base.clone();
        outgoing.text = part.text.clone();
        if i > 0 {
            outgoing.reply_to = None;
        }
        for file in &part.files {
            match load(files, file).await {
                Ok(loaded) => outgoing.files.push(loaded),
                Err(reason) => return fail(pool, &delivery, &reason).await,
            }
        }
        outcome = adapter.send(&channel, &outgoing).await;
        match &outcome {
            Ok(id) if !delivery.files.0.is_empty() => {
                if let Some(id) = id {
                    let file = part
                        .files
                        .first()
                        .filter(|_| part.files.len() == 1)
                        .map(|f| f.id);
                    outbox::part_sent(pool, &delivery, file, id)
                        .await
                        .context("recording a sent part")?;
                    first_id.get_or_insert_with(|| id.clone());
                }
            }
            Ok(id) => {
                if first_id.is_none() {
                    first_id.clone_from(id);
                }
            }
            Err(_) => break,
        }
    }
    tracing::debug!(message = %delivery.message_id, parts = parts.len(), ok = outcome.is_ok(), "send attempt");
    match outcome.map(|_| first_id) {
        Ok(external_id) => {
            let mut tx = pool.begin().await.context("starting a transaction")?;
            outbox::sent(&mut tx, &delivery, external_id.as_deref())
                .await
                .context("recording a sent message")?;
            publish_update(&mut tx, &delivery).await?;
            tx.commit().await.context("committing a sent message")?;
            Ok(())
        }
        Err(SendError::Permanent(reason)) => fail(pool, &delivery, &reason).await,
        Err(SendError::Unclear(reason)) if !adapter.deduplicates_sends() => {
            fail(pool, &delivery, &reason).await
        }
        Err(SendError::Retry { after, reason }) if after.is_some() => {
            // The provider said when: that wait does not count against the message.
            let wait = after.unwrap_or_default().max(Duration::from_millis(100));
            pacer.hold(&channel.id.to_string(), Instant::now() + wait);
            outbox::retry_later(pool, &delivery, wait, &reason)
                .await
                .context("rescheduling a delivery")
        }
        Err(SendError::Retry { reason, .. }) | Err(SendError::Unclear(reason)) => {
            if delivery.attempts >= MAX_ATTEMPTS {
                return fail(pool, &delivery, &reason).await;
            }
            outbox::retry_later(
                pool,
                &delivery,
                backoff(delivery.attempts, MAX_BACKOFF),
                &reason,
            )
            .await
            .context("rescheduling a delivery")
        }
    }
}

/// One provider message of an outgoing message: its text (maybe empty) and files.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    text: String,
    files: Vec<OutboxFile>,
}

/// Splits a message into what the provider takes in one go, leaving out the parts an
/// earlier attempt already delivered (so a retry never sends one twice).
fn plan(delivery: &Delivery, sending: FileSending) -> Vec<Part> {
    let text = delivery.body.clone();
    let files = &delivery.files.0;
    if files.is_empty() {
        return vec![Part {
            text,
            files: Vec::new(),
        }];
    }
    match sending {
        FileSending::Together => vec![Part {
            text,
            files: files.clone(),
        }],
        FileSending::OneByOne { caption_max } => {
            let mut parts = Vec::new();
            let separate_text = !text.trim().is_empty() && text.chars().count() > caption_max;
            if separate_text && delivery.sent_external_id.is_none() {
                parts.push(Part {
                    text: text.clone(),
                    files: Vec::new(),
                });
            }
            for (i, file) in files.iter().enumerate() {
                if file.external_id.is_some() {
                    continue;
                }
                let caption = if i == 0 && !separate_text {
                    text.clone()
                } else {
                    String::new()
                };
                parts.push(Part {
                    text: caption,
                    files: vec![file.clone()],
                });
            }
            parts
        }
    }
}

/// A file's bytes from the file store; Err is the reason the message fails.
async fn load(files: &FileStore, file: &OutboxFile) -> Result<OutgoingFile, String> {
    let key = file
        .storage_key
        .as_deref()
        .ok_or_else(|| format!("The file {} is not stored", file.file_name))?;
    let bytes = files
        .get(key)
        .await
        .map_err(|e| format!("The file {} could not be read: {e:#}", file.file_name))?;
    Ok(OutgoingFile {
        attachment_id: file.id,
        kind: file.kind.clone(),
        file_name: file.file_name.clone(),
        mime_type: file.mime_type.clone(),
        bytes,
    })
}

async fn fail(pool: &PgPool, delivery: &Delivery, reason: &str) -> anyhow::Result<()> {
    tracing::warn!(message = %delivery.message_id, reason, "delivery failed");
    let mut tx = pool.begin().await.context("starting a transaction")?;
    outbox::failed(&mut tx, delivery, reason)
        .await
        .context("recording a failed delivery")?;
    publish_update(&mut tx, delivery).await?;
    tx.commit().await.context("committing a failed delivery")?;
    Ok(())
}

async fn publish_update(tx: &mut sqlx::PgConnection, delivery: &Delivery) -> anyhow::Result<()> {
    let message = messages::view(&mut *tx, delivery.message_id)
        .await
        .context("reading the message")?;
    let facts = inbound::facts(&mut *tx, delivery.account_id, delivery.dialog_id)
        .await
        .context("reading the dialog")?;
    events::publish(
        tx,
        delivery.account_id,
        delivery.dialog_id,
        &facts,
        &ServerEvent::MessageUpdated { message },
    )
    .await
    .context("publishing a delivery update")?;
    Ok(())
}

/// Spaces sends out to the providers' limits: each key (a channel, a chat) has the earliest
/// time its next send may go. In-process: each server keeps its own pace.
#[derive(Default)]
pub struct Pacer {
    next: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    /// Reserves the earliest moment `key` allows a send, and moves its next moment on by
    /// `interval`.
    pub fn reserve(&self, key: &str, interval: Duration, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if next.len() > 50_000 {
            next.retain(|_, at| *at > now);
        }
        let at = next.get(key).copied().unwrap_or(now).max(now);
        next.insert(key.to_owned(), at + interval);
        at
    }

    /// Holds a key until `until` (the provider asked us to wait).
    pub fn hold(&self, key: &str, until: Instant) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let entry = next.entry(key.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_to_one_key_are_spaced_by_its_interval_and_other_keys_are_not_held() {
        let pacer = Pacer::default();
        let now = Instant::now();
        let second = Duration::from_secs(1);
        assert_eq!(pacer.reserve("ch/a", second, now), now);
        assert_eq!(pacer.reserve("ch/a", second, now), now + second);
        assert_eq!(pacer.reserve("ch/a", second, now), now + 2 * second);
        assert_eq!(pacer.reserve("ch/b", second, now), now);
        // A key whose time has passed is free at once.
        let later = now + 10 * second;
        assert_eq!(pacer.reserve("ch/a", second, later), later);
        pacer.hold("ch", now + 5 * second);
        assert_eq!(pacer.reserve("ch", second, now), now + 5 * second);
    }
}
