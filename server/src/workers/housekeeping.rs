//! Keeps the live event stream from growing without end. Browsers replay at most the last
//! 1,000 events after a reconnect and refetch everything otherwise, so old events are only
//! history nobody reads, except an event a webhook delivery still waits to post: it stays
//! until that delivery ends. Finished deliveries (the webhook delivery log), expired
//! sessions and old sign-in failures go too.

use std::time::Duration;

use sqlx::PgPool;

/// Events older than this are deleted.
pub const EVENT_RETENTION_HOURS: i32 = 48;
/// Sign-in failures older than this no longer count and are deleted.
pub const FAILURE_RETENTION_HOURS: i32 = 24;
/// Finished webhook deliveries stay in the delivery log this long.
pub const DELIVERY_LOG_RETENTION_DAYS: i32 = 30;

/// What one pass deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub events: u64,
    pub sessions: u64,
    pub failures: u64,
    pub deliveries: u64,
}

/// One pass. Safe to run from several app servers at once.
pub async fn sweep(pool: &PgPool) -> sqlx::Result<Swept> {
    let events = sqlx::query(
        "DELETE FROM events e WHERE e.created_at < now() - make_interval(hours => $1)
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries w
                             WHERE w.event_id = e.id AND w.next_attempt_at IS NOT NULL)",
    )
    .bind(EVENT_RETENTION_HOURS)
    .execute(pool)
    .await?
    .rows_affected();
    let deliveries = sqlx::query(
        "DELETE FROM webhook_deliveries
          WHERE next_attempt_at IS NULL AND created_at < now() - make_interval(days => $1)",
    )
    .bind(DELIVERY_LOG_RETENTION_DAYS)
    .execute(pool)
    .await?
    .rows_affected();
    // Dead letters are for investigating a refused event; they go with the delivery log.
    sqlx::query("DELETE FROM dead_letters WHERE created_at < now() - make_interval(days => $1)")
        .bind(DELIVERY_LOG_RETENTION_DAYS)
        .execute(pool)
        .await?;
    // Sending-pace keys whose moment passed long ago.
    app::store::pace::sweep(pool).await?;
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < now()")
        .execute(pool)
        .await?
        .rows_affected();
    let failures =
        sqlx::query("DELETE FROM sign_in_failures WHERE at < now() - make_interval(hours => $1)")
            .bind(FAILURE_RETENTION_HOURS)
            .execute(pool)
            .await?
            .rows_affected();
    Ok(Swept {
        events,
        sessions,
        failures,
        deliveries,
    })
}

/// Forgets uploads no message took within a day, and deletes their files.
pub async fn sweep_uploads(
    pool: &PgPool,
    files: &crate::files::FileStore,
) -> anyhow::Result<usize> {
    let keys = app::store::uploads::prune(pool).await?;
    for key in &keys {
        files.delete(key).await?;
    }
    Ok(keys.len())
}

/// Runs `sweep` every `every`, logging failures; ends with the process.
pub fn spawn(pool: PgPool, every: Duration, files: crate::files::FileStore) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match sweep_uploads(&pool, &files).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(uploads = n, "unsent uploads removed"),
                Err(err) => tracing::warn!(error = format!("{err:#}"), "removing unsent uploads"),
            }
            match sweep(&pool).await {
                Ok(swept) if swept != Swept::default() => tracing::info!(?swept, "housekeeping"),
                Ok(_) => {}
                Err(sqlx::Error::PoolClosed) => break,
                Err(err) => tracing::error!(error = %err, "housekeeping failed"),
            }
        }
    });
}
