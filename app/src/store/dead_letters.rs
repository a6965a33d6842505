//! Webhook events the database refused for good, kept with their body and the reason so the
//! provider's retries stop and the events after them get through (`channels::ingest`).
//! Administrators read them in Settings and dismiss them; they go after 30 days anyway.

use sqlx::PgExecutor;

use crate::domain::settings::DeadLetterView;
use crate::domain::{AccountId, ChannelId};

/// The job that stores a kept event again ("Try again"): payload `{"dead_letter_id": id}`.
pub const REPLAY_JOB: &str = "replay_dead_letter";

/// The most characters of a body shown.
const EXCERPT_CHARS: usize = 2000;

/// Keeps a refused event, once: a repeat of the same webhook adds nothing.
pub async fn record(
    db: impl PgExecutor<'_>,
    account: AccountId,
    channel: ChannelId,
    event_index: i32,
    body: &[u8],
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dead_letters (account_id, channel_id, event_index, body, error)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (channel_id, event_index, md5(body)) DO NOTHING",
    )
    .bind(account)
    .bind(channel)
    .bind(event_index)
    .bind(body)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// How many events each channel of the account kept aside.
pub async fn counts(
    db: impl PgExecutor<'_>,
    account: AccountId,
) -> sqlx::Result<Vec<(ChannelId, i64)>> {
    sqlx::query_as(
        "SELECT channel_id, count(*) FROM dead_letters WHERE account_id = $1 GROUP BY channel_id",
    )
    .bind(account)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    event_index: i32,
    error: String,
    body: Vec<u8>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The newest `limit` of a channel's kept events.
pub async fn list(
    db: impl PgExecutor<'_>,
    account: AccountId,
    channel: ChannelId,
    limit: i64,
) -> sqlx::Result<Vec<DeadLetterView>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, event_index, error, substring(body FROM 1 FOR $4) AS body, created_at
           FROM dead_letters WHERE account_id = $1 AND channel_id = $2
          ORDER BY id DESC LIMIT $3",
    )
    .bind(account)
    .bind(channel)
    .bind(limit)
    .bind(i32::try_from(EXCERPT_CHARS * 4).unwrap_or(i32::MAX))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeadLetterView {
            id: r.id,
            event_index: r.event_index,
            error: r.error,
            excerpt: crate::domain::inbound::cut(&String::from_utf8_lossy(&r.body), EXCERPT_CHARS),
            created_at: r.created_at,
        })
        .collect())
}

/// Forgets one kept event of a channel; false when there is no such one.
pub async fn dismiss(
    db: impl PgExecutor<'_>,
    account: AccountId,
    channel: ChannelId,
    id: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "DELETE FROM dead_letters WHERE account_id = $1 AND channel_id = $2 AND id = $3",
    )
    .bind(account)
    .bind(channel)
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// A kept event as a replay needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Kept {
    pub id: i64,
    pub channel_id: ChannelId,
    pub event_index: i32,
    pub body: Vec<u8>,
}

/// One kept event of the account, or None (unknown, dismissed, another account's).
pub async fn kept(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: i64,
) -> sqlx::Result<Option<Kept>> {
    sqlx::query_as(
        "SELECT id, channel_id, event_index, body FROM dead_letters
          WHERE account_id = $1 AND id = $2",
    )
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A replay was refused again: the new reason replaces the old one.
pub async fn refused_again(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: i64,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE dead_letters SET error = $3 WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}
