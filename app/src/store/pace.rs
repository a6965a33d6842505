//! Sending pace shared by every app server (Telegram: one message a second per chat and
//! about thirty per bot; WhatsApp: 80 a second per number). Each key (a chat, a channel) has
//! the next moment a send may go; reserving one moves it on by the interval, atomically, so
//! several servers sending for one bot keep its pace together.

use std::time::Duration;

use sqlx::PgExecutor;

/// Reserves the earliest moment `key` allows a send and moves its next moment on by
/// `interval`; returns how long to wait for the reserved moment.
pub async fn reserve(
    db: impl PgExecutor<'_>,
    key: &str,
    interval: Duration,
) -> sqlx::Result<Duration> {
    let micros = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX);
    let wait: f64 = sqlx::query_scalar(
        "INSERT INTO send_pace (key, next_at)
         VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8 / 1e6))
         ON CONFLICT (key) DO UPDATE
            SET next_at = greatest(send_pace.next_at, clock_timestamp())
                          + make_interval(secs => $2::float8 / 1e6)
         RETURNING greatest(extract(epoch FROM next_at - clock_timestamp())::float8
                            - $2::float8 / 1e6, 0)",
    )
    .bind(key)
    .bind(micros)
    .fetch_one(db)
    .await?;
    Ok(Duration::from_secs_f64(wait.max(0.0)))
}

/// Holds a key for `wait` (the provider asked us to pause): no send for it before then.
pub async fn hold(db: impl PgExecutor<'_>, key: &str, wait: Duration) -> sqlx::Result<()> {
    let micros = i64::try_from(wait.as_micros()).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO send_pace (key, next_at)
         VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8 / 1e6))
         ON CONFLICT (key) DO UPDATE
            SET next_at = greatest(send_pace.next_at,
                                   clock_timestamp() + make_interval(secs => $2::float8 / 1e6))",
    )
    .bind(key)
    .bind(micros)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets keys whose moment passed long ago (housekeeping).
pub async fn sweep(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM send_pace WHERE next_at < now() - interval '1 hour'")
            .execute(db)
            .await?
            .rows_affected(),
    )
}
