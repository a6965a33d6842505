//! Where each email channel's IMAP mailbox was read up to (B5).

use sqlx::{PgConnection, PgExecutor};

use crate::domain::settings::MailStatus;
use crate::domain::{AccountId, ChannelId};

/// The PostgreSQL channel that wakes the mail pollers ("Receive messages now").
pub const MAIL_CHANNEL: &str = "dialogs_mail";

/// A mailbox claimed for one poll.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub channel_id: ChannelId,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    pub failures: i32,
}

/// Makes sure every email channel with an IMAP mailbox has its sync row.
pub async fn track_new(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mail_sync (account_id, channel_id)
         SELECT account_id, id FROM channels
          WHERE kind = 'email' AND coalesce(settings->>'imap_host', '') <> ''
         ON CONFLICT (channel_id) DO NOTHING",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Claims up to `limit` mailboxes due for a poll, for `lease` seconds: only switched-on
/// channels on a line (others keep their mail in the mailbox until they are connected).
pub async fn claim(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease_secs: f64,
) -> sqlx::Result<Vec<Claimed>> {
    sqlx::query_as(
        "UPDATE mail_sync s SET locked_until = now() + make_interval(secs => $2)
           FROM (SELECT m.channel_id FROM mail_sync m JOIN channels c ON c.id = m.channel_id
                  WHERE m.next_poll_at <= now()
                    AND (m.locked_until IS NULL OR m.locked_until < now())
                    AND c.enabled AND c.line_id IS NOT NULL
                    AND coalesce(c.settings->>'imap_host', '') <> ''
                  ORDER BY m.next_poll_at LIMIT $1
                  FOR UPDATE OF m SKIP LOCKED) due
          WHERE s.channel_id = due.channel_id
      RETURNING s.channel_id, s.uid_validity, s.last_uid, s.failures",
    )
    .bind(limit)
    .bind(lease_secs)
    .fetch_all(db)
    .await
}

/// Records that the mailbox was read up to `uid` (after that email was stored).
pub async fn advance(
    db: impl PgExecutor<'_>,
    channel: ChannelId,
    uid_validity: i64,
    uid: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE mail_sync SET uid_validity = $2, last_uid = $3 WHERE channel_id = $1")
        .bind(channel)
        .bind(uid_validity)
        .bind(uid)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends a poll: releases the claim, records the outcome and when to poll next.
pub async fn finish(
    db: impl PgExecutor<'_>,
    channel: ChannelId,
    error: Option<&str>,
    next_in_secs: f64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE mail_sync SET locked_until = NULL, last_polled_at = now(), last_error = $2,
                failures = CASE WHEN $2::text IS NULL THEN 0 ELSE failures + 1 END,
                next_poll_at = now() + make_interval(secs => $3)
          WHERE channel_id = $1",
    )
    .bind(channel)
    .bind(error)
    .bind(next_in_secs)
    .execute(db)
    .await?;
    Ok(())
}

/// What "Receive messages now" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollNow {
    /// The mailbox is due at once and the pollers were woken.
    Queued,
    /// The channel is not this account's email channel with an IMAP mailbox.
    NoMailbox,
    /// The channel is switched off or on no line: its mail waits in the mailbox.
    NotConnected,
}

/// "Receive messages now" (B5): the channel's mailbox is due at once and the pollers are
/// woken.
pub async fn poll_now(
    conn: &mut PgConnection,
    account: AccountId,
    channel: ChannelId,
) -> sqlx::Result<PollNow> {
    let connected: Option<bool> = sqlx::query_scalar(
        "SELECT enabled AND line_id IS NOT NULL FROM channels
          WHERE account_id = $1 AND id = $2 AND kind = 'email'
            AND coalesce(settings->>'imap_host', '') <> ''",
    )
    .bind(account)
    .bind(channel)
    .fetch_optional(&mut *conn)
    .await?;
    match connected {
        None => return Ok(PollNow::NoMailbox),
        Some(false) => return Ok(PollNow::NotConnected),
        Some(true) => {}
    }
    sqlx::query(
        "INSERT INTO mail_sync (account_id, channel_id) VALUES ($1, $2)
         ON CONFLICT (channel_id) DO UPDATE SET next_poll_at = now()",
    )
    .bind(account)
    .bind(channel)
    .execute(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(MAIL_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(PollNow::Queued)
}

type StatusRow = (
    ChannelId,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<String>,
    bool,
);

/// How the account's mailboxes were last read.
pub async fn statuses(
    db: impl PgExecutor<'_>,
    account: AccountId,
) -> sqlx::Result<Vec<(ChannelId, MailStatus)>> {
    let rows: Vec<StatusRow> = sqlx::query_as(
        "SELECT m.channel_id, m.last_polled_at, m.last_error,
                (m.locked_until IS NOT NULL AND m.locked_until > now())
                OR (m.next_poll_at <= now() AND c.enabled AND c.line_id IS NOT NULL)
           FROM mail_sync m JOIN channels c ON c.id = m.channel_id
          WHERE m.account_id = $1",
    )
    .bind(account)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, last_polled_at, last_error, busy)| {
            (
                id,
                MailStatus {
                    last_polled_at,
                    last_error,
                    busy,
                },
            )
        })
        .collect())
}
