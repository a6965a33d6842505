//! Slow work done after a request was answered (fetching a client's files, ...): a queue in
//! PostgreSQL, claimed with `FOR UPDATE SKIP LOCKED`, retried with back-off.

use std::time::Duration;

use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::AccountId;

/// The PostgreSQL channel that wakes job workers.
pub const JOBS_CHANNEL: &str = "dialogs_jobs";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub account_id: AccountId,
    pub kind: String,
    pub payload: Json<Value>,
    pub attempts: i32,
}

impl Job {
    /// The id its payload names under `key` (`{"attachment_id": 7}`), if any.
    pub fn id_named(&self, key: &str) -> Option<i64> {
        self.payload.0.get(key).and_then(Value::as_i64)
    }
}

/// Queues a job inside the caller's transaction.
pub async fn enqueue(
    conn: &mut PgConnection,
    account: AccountId,
    kind: &str,
    payload: &Value,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO jobs (account_id, kind, payload) VALUES ($1, $2, $3)")
        .bind(account)
        .bind(kind)
        .bind(Json(payload))
        .execute(&mut *conn)
        .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(JOBS_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Queues a job unless the same one (kind and payload) is already waiting and not yet
/// running: pressing "refresh" ten times makes one job.
pub async fn enqueue_once(
    conn: &mut PgConnection,
    account: AccountId,
    kind: &str,
    payload: &Value,
) -> sqlx::Result<()> {
    let waiting: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE account_id = $1 AND kind = $2 AND payload = $3
                          AND locked_until IS NULL AND run_at <= now() + interval '1 minute')",
    )
    .bind(account)
    .bind(kind)
    .bind(Json(payload))
    .fetch_one(&mut *conn)
    .await?;
    if waiting {
        return Ok(());
    }
    enqueue(conn, account, kind, payload).await
}

/// Claims up to `limit` due jobs for `lease`.
pub async fn claim(db: impl PgExecutor<'_>, limit: i64, lease: Duration) -> sqlx::Result<Vec<Job>> {
    sqlx::query_as(
        "UPDATE jobs j SET locked_until = now() + make_interval(secs => $2), attempts = j.attempts + 1
          WHERE j.id IN (SELECT id FROM jobs
                          WHERE run_at <= now() AND (locked_until IS NULL OR locked_until < now())
                          ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING j.id, j.account_id, j.kind, j.payload, j.attempts",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(db)
    .await
}

pub async fn done(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn retry_later(
    db: impl PgExecutor<'_>,
    id: i64,
    delay: Duration,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET locked_until = NULL, last_error = $2,
                run_at = now() + make_interval(secs => $3)
          WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(delay.as_secs_f64())
    .execute(db)
    .await?;
    Ok(())
}
