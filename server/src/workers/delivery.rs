//! Sends outgoing messages (E11). A message and its outbox row were written in one
//! transaction; this worker claims due rows, paces them to the provider's limits, sends, and
//! records the outcome with a live event, so the operator sees sending → sent (or failed
//! with the reason, and may retry from the message's menu).
//!
//! Never twice: a send is retried only when the provider did not take it (refused
//! connection, 429, 5xx), or when the provider deduplicates on our idempotency key. A send
//! whose fate is unknown (a timeout, a server killed mid-send) is marked failed with that
//! explanation rather than repeated blindly.

use std::time::Duration;

use anyhow::Context;
use app::domain::ServerEvent;
use app::store::outbox::{self, Delivery, OutboxFile, SentPart};
use app::store::{events, inbound, messages, pace};
use sqlx::PgPool;

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
    let worker_pool = pool.clone();
    super::run_queue(
        pool,
        messages::OUTBOX_CHANNEL,
        IN_FLIGHT,
        |pool, limit| async move { outbox::claim(&pool, limit, LEASE).await },
        move |delivery: Delivery| {
            let (pool, channels, files) = (worker_pool.clone(), channels.clone(), files.clone());
            async move {
                let message = delivery.message_id;
                if let Err(err) = deliver(&pool, &channels, &files, delivery).await {
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
    // The pace is kept in the database, so every app server sending for one bot keeps it.
    let limits = adapter.limits();
    let chat_key = format!("{}/{chat}", channel.id);
    take_turn(pool, &chat_key, limits.per_chat).await?;
    let channel_key = channel.id.to_string();
    take_turn(pool, &channel_key, limits.per_channel).await?;

    let base = Outgoing {
        chat,
        text: String::new(),
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
        buttons: Vec::new(),
    };
    // The operator's formatting in the messenger's own form (E2).
    let mut delivery = delivery;
    delivery.body = app::domain::formatting::for_channel(channel.kind, &delivery.body);
    let parts = plan(&delivery, adapter.file_sending(), adapter.max_text_chars());
    // One provider message and nothing before it: nothing to resume, nothing to record.
    let in_parts = parts.len() > 1 || !delivery.files.0.is_empty() || delivery.text_parts_sent > 0;
    let mut first_id = delivery
        .sent_external_id
        .clone()
        .or_else(|| delivery.files.0.iter().find_map(|f| f.external_id.clone()));
    let mut outcome = Ok(None);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // Every part is a message to the chat: the chat's pace holds between them.
            take_turn(pool, &chat_key, limits.per_chat).await?;
        }
        let mut outgoing = base.clone();
        outgoing.text = part.text.clone();
        if i > 0 {
            outgoing.reply_to = None;
        }
        // Buttons go under the last piece, so they stay where the client reads last.
        if i + 1 == parts.len() {
            outgoing.buttons = delivery.buttons.clone();
        }
        for file in &part.files {
            match load(files, file).await {
                Ok(loaded) => outgoing.files.push(loaded),
                Err(reason) => return fail(pool, &delivery, &reason).await,
            }
        }
        outcome = adapter.send(&channel, &outgoing).await;
        match &outcome {
            Ok(id) if in_parts => {
                let id = id.clone().unwrap_or_default();
                outbox::part_sent(pool, &delivery, part.done, &id)
                    .await
                    .context("recording a sent part")?;
                if !id.is_empty() {
                    first_id.get_or_insert(id);
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
            pace::hold(pool, &channel.id.to_string(), wait)
                .await
                .context("holding the channel's pace")?;
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

/// One provider message of an outgoing message: a piece of its text, or files (with the
/// text as a caption), and what to record once the provider took it.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    text: String,
    files: Vec<OutboxFile>,
    done: SentPart,
}

/// Splits a message into what the provider takes in one go — a text over `max_text`
/// characters in pieces, files one by one or together — leaving out the parts an earlier
/// attempt already delivered, so a retry never sends one twice.
fn plan(delivery: &Delivery, sending: FileSending, max_text: Option<usize>) -> Vec<Part> {
    let text = delivery.body.clone();
    let files = &delivery.files.0;
    let pieces = match max_text {
        Some(max) if text.chars().count() > max => split_text(&text, max),
        _ => vec![text.clone()],
    };
    let taken = usize::try_from(delivery.text_parts_sent).unwrap_or(0);
    let text_parts = |pieces: Vec<String>| -> Vec<Part> {
        pieces
            .into_iter()
            .enumerate()
            .skip(taken)
            .map(|(i, piece)| Part {
                text: piece,
                files: Vec::new(),
                done: SentPart::Text(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            })
            .collect()
    };
    if files.is_empty() {
        return text_parts(pieces);
    }
    match sending {
        FileSending::Together => vec![Part {
            text,
            files: files.clone(),
            done: SentPart::Files,
        }],
        FileSending::OneByOne { caption_max } => {
            let as_caption = pieces.len() == 1 && text.chars().count() <= caption_max;
            let mut parts = if as_caption || text.trim().is_empty() {
                Vec::new()
            } else {
                text_parts(pieces)
            };
            for (i, file) in files.iter().enumerate() {
                if file.external_id.is_some() {
                    continue;
                }
                parts.push(Part {
                    text: if i == 0 && as_caption {
                        text.clone()
                    } else {
                        String::new()
                    },
                    files: vec![file.clone()],
                    done: SentPart::File(file.id),
                });
            }
            parts
        }
    }
}

/// Cuts a text into pieces of at most `max` characters, at a line break or a space in the
/// second half of a piece where there is one.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > max {
        let end = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let head = &rest[..end];
        let at = head
            .rfind('\n')
            .or_else(|| head.rfind(char::is_whitespace))
            .filter(|&i| i > end / 2)
            .unwrap_or(end);
        pieces.push(rest[..at].trim_end().to_owned());
        rest = rest[at..].trim_start();
    }
    if !rest.is_empty() {
        pieces.push(rest.to_owned());
    }
    pieces
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

/// Waits for `key`'s next turn (`app::store::pace`, shared by every app server).
async fn take_turn(pool: &PgPool, key: &str, interval: Duration) -> anyhow::Result<()> {
    if interval.is_zero() {
        return Ok(());
    }
    let wait = pace::reserve(pool, key, interval)
        .await
        .context("taking a turn in the sending pace")?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_at_line_breaks_or_spaces_and_nothing_is_lost() {
        let text = format!(
            "{}\n{} {}",
            "a".repeat(3000),
            "b".repeat(2500),
            "c".repeat(3000)
        );
        let pieces = split_text(&text, 4096);
        assert_eq!(
            pieces,
            vec!["a".repeat(3000), "b".repeat(2500), "c".repeat(3000)]
        );
        // No space at all: cut hard, still within the limit, in order.
        let word = "я".repeat(9000);
        let pieces = split_text(&word, 4096);
        assert_eq!(
            pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            vec![4096, 4096, 808]
        );
        assert_eq!(pieces.concat(), word);
        assert_eq!(split_text("short", 4096), vec!["short".to_owned()]);
    }
}
