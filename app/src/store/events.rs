//! The live event stream: written inside the transaction of the change it reports, read by
//! every app server's listener and by browsers catching up after a reconnect.

use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::event::DialogFacts;
use crate::domain::{AccountId, DialogId, EventId, ServerEvent};
use crate::store::webhooks::WEBHOOKS_CHANNEL;

/// The PostgreSQL channel that carries new event ids to every app server.
pub const NOTIFY_CHANNEL: &str = "dialogs_events";

/// An event as stored, with who may see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: EventId,
    pub account_id: AccountId,
    pub facts: Json<DialogFacts>,
    pub payload: Json<ServerEvent>,
}

/// Records an event and notifies the app servers when the transaction commits. In the same
/// statement, queues a webhook delivery of it for every active subscription of the account
/// that wants its type (the payload's `type` tag), so no committed event misses its
/// webhooks and no rolled-back one is sent.
pub async fn publish(
    conn: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    facts: &DialogFacts,
    event: &ServerEvent,
) -> sqlx::Result<EventId> {
    // One round trip: the event, its webhook deliveries and the notifications (sent by
    // PostgreSQL when the transaction commits).
    let (id, _queued): (EventId, i64) = sqlx::query_as(
        "WITH e AS (
            INSERT INTO events (account_id, dialog_id, facts, payload) VALUES ($1, $2, $3, $4)
            RETURNING id, payload->>'type' AS type
         ), w AS (
            INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, event_type)
            SELECT s.account_id, s.id, e.id, e.type FROM webhook_subscriptions s, e
             WHERE s.account_id = $1 AND s.active AND (s.events = '{}' OR e.type = ANY(s.events))
            RETURNING 1
         ), c AS (SELECT count(*) AS n FROM w)
         SELECT e.id, c.n FROM e, c,
                LATERAL (SELECT pg_notify($5, e.id::text)) AS live,
                LATERAL (SELECT CASE WHEN c.n > 0 THEN pg_notify($6, '') END) AS hooks",
    )
    .bind(account)
    .bind(dialog)
    .bind(Json(facts))
    .bind(Json(event))
    .bind(NOTIFY_CHANNEL)
    .bind(WEBHOOKS_CHANNEL)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Events by id (what a batch of notifications announced).
pub async fn by_ids(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<StoredEvent>> {
    sqlx::query_as(
        "SELECT id, account_id, facts, payload FROM events WHERE id = ANY($1) ORDER BY id",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}

/// Events after `after`, oldest first: for an account (a browser catching up) or for all
/// accounts (an app server whose listener reconnected).
pub async fn since(
    db: impl PgExecutor<'_>,
    account: Option<AccountId>,
    after: EventId,
    limit: i64,
) -> sqlx::Result<Vec<StoredEvent>> {
    sqlx::query_as(
        "SELECT id, account_id, facts, payload FROM events
          WHERE id > $1 AND ($2::bigint IS NULL OR account_id = $2)
          ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(account)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The newest event id, where a fresh listener starts.
pub async fn latest_id(db: impl PgExecutor<'_>) -> sqlx::Result<EventId> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM events")
        .fetch_one(db)
        .await
}
