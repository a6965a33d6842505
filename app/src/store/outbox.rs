//! The delivery queue of outgoing messages (E11): claimed by workers with
//! `FOR UPDATE SKIP LOCKED`, one message per dialog at a time so a chat gets them in order.

use std::time::Duration;

use sqlx::{PgConnection, PgExecutor};

use crate::domain::{AccountId, ChannelId, DialogId, MessageId};

/// One claimed delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    pub outbox_id: i64,
    pub account_id: AccountId,
    pub message_id: MessageId,
    pub dialog_id: DialogId,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// The previous attempt was in flight when its server stopped: the messenger may have
    /// received the message.
    pub interrupted: bool,
    pub channel_id: ChannelId,
    /// Where to send: the client's id on the channel (chat id, phone, address).
    pub chat_external_id: Option<String>,
    pub body: String,
    /// The messenger's id of the message this one answers.
    pub reply_to_external_id: Option<String>,
    /// The messenger's id of the client's newest message in the dialog.
    pub thread_external_id: Option<String>,
    /// This message's own email subject (the first message of a dialog started by email).
    pub subject: Option<String>,
    /// The dialog's first subject, which later emails answer ("Re: …").
    pub thread_subject: Option<String>,
    /// The approved WhatsApp template this message is sent as.
    pub template: Option<sqlx::types::Json<crate::domain::template::SentTemplate>>,
    /// The message's files, in order, with what the provider already took of them.
    pub files: sqlx::types::Json<Vec<OutboxFile>>,
    /// The provider's id of the message's text, when an earlier attempt already sent it
    /// (a message with files goes out in parts).
    pub sent_external_id: Option<String>,
    /// Pieces of a long text an earlier attempt already sent.
    pub text_parts_sent: i32,
    /// Buttons under the message (E10); they go with its last piece.
    pub buttons: Vec<String>,
}

/// A file of an outgoing message.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct OutboxFile {
    pub id: crate::domain::AttachmentId,
    pub kind: String,
    pub file_name: String,
    pub mime_type: String,
    pub storage_key: Option<String>,
    /// Set once the provider took the part carrying this file.
    pub external_id: Option<String>,
}

/// Claims up to `limit` due deliveries for `lease`: the oldest waiting message of each
/// dialog whose turn has come.
pub async fn claim(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease: Duration,
) -> sqlx::Result<Vec<Delivery>> {
    sqlx::query_as(
        "WITH due AS (
            SELECT o.id, o.locked_until IS NOT NULL AS interrupted
              FROM outbox o
             WHERE o.next_attempt_at <= now()
               AND (o.locked_until IS NULL OR o.locked_until < now())
               AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.dialog_id = o.dialog_id AND e.id < o.id)
             ORDER BY o.next_attempt_at, o.id
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         ), claimed AS (
            UPDATE outbox o
               SET locked_until = now() + make_interval(secs => $2), attempts = o.attempts + 1
              FROM due WHERE o.id = due.id
            RETURNING o.id, o.account_id, o.message_id, o.dialog_id, o.attempts, due.interrupted
         )
         SELECT c.id AS outbox_id, c.account_id, c.message_id, c.dialog_id, c.attempts,
                c.interrupted, d.channel_id,
                (SELECT i.external_id FROM client_identities i
                  WHERE i.client_id = d.client_id AND i.channel_id = d.channel_id
                  ORDER BY i.id LIMIT 1) AS chat_external_id,
                m.body,
                (SELECT r.external_id FROM messages r WHERE r.id = m.reply_to_id)
                    AS reply_to_external_id,
                (SELECT t.external_id FROM messages t
                  WHERE t.dialog_id = c.dialog_id AND t.direction = 'in' AND t.id < c.message_id
                    AND t.external_id IS NOT NULL
                  ORDER BY t.id DESC LIMIT 1) AS thread_external_id,
                m.subject, m.template, m.external_id AS sent_external_id, m.text_parts_sent,
                coalesce(m.buttons, '{}') AS buttons,
                coalesce((SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind,
                            'file_name', a.file_name, 'mime_type', a.mime_type,
                            'storage_key', a.storage_key, 'external_id', a.external_id)
                            ORDER BY a.id)
                           FROM attachments a WHERE a.message_id = m.id), '[]') AS files,
                (SELECT s.subject FROM messages s
                  WHERE s.dialog_id = c.dialog_id AND s.subject IS NOT NULL
                  ORDER BY s.id LIMIT 1) AS thread_subject
           FROM claimed c
           JOIN messages m ON m.id = c.message_id
           JOIN dialogs d ON d.id = c.dialog_id",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(db)
    .await
}

/// What a part of a message carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentPart {
    /// Pieces of the text, this many taken so far.
    Text(i32),
    /// One file (maybe with the text as its caption).
    File(crate::domain::AttachmentId),
    /// Several files with the text, in one message (email, the API channel).
    Files,
}

/// One part of a message sent in several was taken by the messenger. A retry resumes
/// after it.
pub async fn part_sent(
    db: impl PgExecutor<'_>,
    delivery: &Delivery,
    part: SentPart,
    external_id: &str,
) -> sqlx::Result<()> {
    match part {
        SentPart::Text(pieces) => sqlx::query(
            "UPDATE messages SET channel_id = $2, external_id = coalesce(external_id, $3),
                    text_parts_sent = greatest(text_parts_sent, $4)
              WHERE id = $1",
        )
        .bind(delivery.message_id)
        .bind(delivery.channel_id)
        .bind(external_id)
        .bind(pieces),
        SentPart::Files => sqlx::query(
            "UPDATE messages SET channel_id = $2, external_id = coalesce(external_id, $3)
              WHERE id = $1",
        )
        .bind(delivery.message_id)
        .bind(delivery.channel_id)
        .bind(external_id),
        SentPart::File(file) => {
            sqlx::query("UPDATE attachments SET external_id = $3 WHERE message_id = $1 AND id = $2")
                .bind(delivery.message_id)
                .bind(file)
                .bind(external_id)
        }
    }
    .execute(db)
    .await?;
    Ok(())
}

/// The messenger accepted the message: record its id and drop it from the queue.
pub async fn sent(
    conn: &mut PgConnection,
    delivery: &Delivery,
    external_id: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE messages SET delivery = 'sent', delivery_error = NULL,
                channel_id = $2, external_id = coalesce(external_id, $3)
          WHERE id = $1 AND delivery IN ('sending', 'failed')",
    )
    .bind(delivery.message_id)
    .bind(delivery.channel_id)
    .bind(external_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM outbox WHERE id = $1")
        .bind(delivery.outbox_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The message cannot be delivered: it shows as failed with the reason, and leaves the
/// queue (the operator may retry it from its menu).
pub async fn failed(
    conn: &mut PgConnection,
    delivery: &Delivery,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE messages SET delivery = 'failed', delivery_error = $2 WHERE id = $1")
        .bind(delivery.message_id)
        .bind(reason)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM outbox WHERE id = $1")
        .bind(delivery.outbox_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Try again after `delay` (back-off, or what the messenger asked for).
pub async fn retry_later(
    db: impl PgExecutor<'_>,
    delivery: &Delivery,
    delay: Duration,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET locked_until = NULL, last_error = $2,
                next_attempt_at = now() + make_interval(secs => $3)
          WHERE id = $1",
    )
    .bind(delivery.outbox_id)
    .bind(reason)
    .bind(delay.as_secs_f64())
    .execute(db)
    .await?;
    Ok(())
}

/// Puts a failed outgoing message back in the queue (the operator's "Retry"). False when
/// the message is not a failed outgoing message of this account.
pub async fn requeue(
    conn: &mut PgConnection,
    account: AccountId,
    message: MessageId,
) -> sqlx::Result<bool> {
    let dialog: Option<DialogId> = sqlx::query_scalar(
        "UPDATE messages SET delivery = 'sending', delivery_error = NULL
          WHERE account_id = $1 AND id = $2 AND direction = 'out' AND delivery = 'failed'
          RETURNING dialog_id",
    )
    .bind(account)
    .bind(message)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(dialog) = dialog else {
        return Ok(false);
    };
    sqlx::query(
        "INSERT INTO outbox (account_id, message_id, dialog_id) VALUES ($1, $2, $3)
         ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(account)
    .bind(message)
    .bind(dialog)
    .execute(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(super::messages::OUTBOX_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
