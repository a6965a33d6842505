//! Outbound webhooks: an account's subscriptions, and the deliveries of its events to them
//! (a queue claimed with `FOR UPDATE SKIP LOCKED`, kept afterwards as the delivery log).
//! Deliveries are queued by `events::publish` in the transaction of the event itself.

use std::time::Duration;

use serde_json::Value;
use sqlx::PgExecutor;
use sqlx::types::Json;

use crate::domain::{AccountId, EventId, UserId};

/// The PostgreSQL channel that wakes the webhook workers when deliveries are queued.
pub const WEBHOOKS_CHANNEL: &str = "dialogs_webhooks";

/// The most deliveries one page of the log returns.
pub const MAX_LOG_PAGE: i64 = 200;

/// A subscription as stored, without its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    pub url: String,
    /// Event types wanted; empty means all.
    pub events: Vec<String>,
    pub active: bool,
    pub created_by: Option<UserId>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const SUBSCRIPTION_COLUMNS: &str = "id, url, events, active, created_by, created_at";

/// Creates a subscription.
pub async fn create(
    db: impl PgExecutor<'_>,
    account: AccountId,
    url: &str,
    secret: &str,
    events: &[String],
    created_by: UserId,
) -> sqlx::Result<Subscription> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_subscriptions (account_id, url, secret, events, created_by)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING {SUBSCRIPTION_COLUMNS}"
    )))
    .bind(account)
    .bind(url)
    .bind(secret)
    .bind(events)
    .bind(created_by)
    .fetch_one(db)
    .await
}

/// The account's subscriptions, oldest first.
pub async fn list(db: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
          WHERE account_id = $1 ORDER BY id"
    )))
    .bind(account)
    .fetch_all(db)
    .await
}

/// One subscription of this account, or None (unknown and another account's alike).
pub async fn get(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: i64,
) -> sqlx::Result<Option<Subscription>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
          WHERE account_id = $1 AND id = $2"
    )))
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Deletes a subscription with its pending deliveries and log; false when it is not this
/// account's.
pub async fn delete(db: impl PgExecutor<'_>, account: AccountId, id: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM webhook_subscriptions WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// One delivery in the log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: i64,
    pub event_id: EventId,
    pub event_type: String,
    pub attempts: i32,
    /// Set while more attempts are ahead.
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The newest deliveries of a subscription (the caller has checked it is the account's).
pub async fn deliveries(
    db: impl PgExecutor<'_>,
    account: AccountId,
    subscription: i64,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRecord>> {
    sqlx::query_as(
        "SELECT id, event_id, event_type, attempts, next_attempt_at, last_status, last_error,
                delivered_at, created_at
           FROM webhook_deliveries
          WHERE account_id = $1 AND subscription_id = $2
          ORDER BY id DESC LIMIT $3",
    )
    .bind(account)
    .bind(subscription)
    .bind(limit.clamp(1, MAX_LOG_PAGE))
    .fetch_all(db)
    .await
}

/// A claimed delivery with what the worker needs to post it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueDelivery {
    pub id: i64,
    pub account_id: AccountId,
    pub subscription_id: i64,
    pub event_id: EventId,
    pub event_type: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
    pub url: String,
    pub secret: String,
    pub active: bool,
    /// None when the event is gone from the stream (it should not be while pending).
    pub event_created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub payload: Option<Json<Value>>,
}

/// Claims up to `limit` due deliveries for `lease`. The event is joined on the delivery's
/// account as well as its id, so a delivery can only ever carry its own account's event.
pub async fn claim(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease: Duration,
) -> sqlx::Result<Vec<DueDelivery>> {
    sqlx::query_as(
        "WITH due AS (
            SELECT w.id FROM webhook_deliveries w
             WHERE w.next_attempt_at <= now()
               AND (w.locked_until IS NULL OR w.locked_until < now())
             ORDER BY w.next_attempt_at, w.id
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         ), claimed AS (
            UPDATE webhook_deliveries w
               SET locked_until = now() + make_interval(secs => $2), attempts = w.attempts + 1
              FROM due WHERE w.id = due.id
            RETURNING w.id, w.account_id, w.subscription_id, w.event_id, w.event_type, w.attempts
         )
         SELECT c.id, c.account_id, c.subscription_id, c.event_id, c.event_type, c.attempts,
                s.url, s.secret, s.active, e.created_at AS event_created_at, e.payload
           FROM claimed c
           JOIN webhook_subscriptions s ON s.id = c.subscription_id AND s.account_id = c.account_id
           LEFT JOIN events e ON e.id = c.event_id AND e.account_id = c.account_id",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(db)
    .await
}

/// The receiver took the delivery.
pub async fn delivered(db: impl PgExecutor<'_>, id: i64, status: u16) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries
            SET delivered_at = now(), next_attempt_at = NULL, locked_until = NULL,
                last_status = $2, last_error = NULL
          WHERE id = $1",
    )
    .bind(id)
    .bind(i32::from(status))
    .execute(db)
    .await?;
    Ok(())
}

/// The attempt failed: try again after `delay`, or (None) give up.
pub async fn failed(
    db: impl PgExecutor<'_>,
    id: i64,
    status: Option<u16>,
    error: &str,
    delay: Option<Duration>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries
            SET locked_until = NULL, last_status = $2, last_error = $3,
                next_attempt_at = CASE WHEN $4::float8 IS NULL THEN NULL
                                       ELSE now() + make_interval(secs => $4) END
          WHERE id = $1",
    )
    .bind(id)
    .bind(status.map(i32::from))
    .bind(error)
    .bind(delay.map(|d| d.as_secs_f64()))
    .execute(db)
    .await?;
    Ok(())
}
