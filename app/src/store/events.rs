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

/// An event to record: what happened in which dialog, and who may see it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub account: AccountId,
    pub dialog: DialogId,
    pub facts: DialogFacts,
    pub event: ServerEvent,
}

/// Records an event and notifies the app servers when the transaction commits (see
/// `publish_many`).
pub async fn publish(
    conn: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    facts: &DialogFacts,
    event: &ServerEvent,
) -> sqlx::Result<EventId> {
    let ids = publish_many(
        conn,
        &[NewEvent {
            account,
            dialog,
            facts: facts.clone(),
            event: event.clone(),
        }],
    )
    .await?;
    ids.into_iter()
        .next()
        .ok_or_else(|| sqlx::Error::Protocol("publishing an event returned no id".into()))
}

/// Most event ids one notification carries: PostgreSQL's payload limit is 8,000 bytes.
const IDS_PER_NOTIFICATION: i64 = 400;

/// Records events in the given order (ids ascending) and notifies the app servers when the
/// transaction commits: one notification carries up to 400 ids, comma-separated. In the
/// same statement, queues a webhook delivery of each event for every active subscription
/// of its account that wants its type (the payload's `type` tag), so no committed event
/// misses its webhooks and no rolled-back one is sent.
pub async fn publish_many(
    conn: &mut PgConnection,
    events: &[NewEvent],
) -> sqlx::Result<Vec<EventId>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let accounts: Vec<AccountId> = events.iter().map(|e| e.account).collect();
    let dialogs: Vec<DialogId> = events.iter().map(|e| e.dialog).collect();
    let facts: Vec<Json<&DialogFacts>> = events.iter().map(|e| Json(&e.facts)).collect();
    let payloads: Vec<Json<&ServerEvent>> = events.iter().map(|e| Json(&e.event)).collect();
    // One round trip: the events, their webhook deliveries and the notifications (sent by
    // PostgreSQL when the transaction commits).
    sqlx::query_scalar(
        "WITH e AS (
            INSERT INTO events (account_id, dialog_id, facts, payload)
            SELECT a, d, f, p FROM unnest($1::bigint[], $2::bigint[], $3::jsonb[], $4::jsonb[])
                   WITH ORDINALITY AS t(a, d, f, p, n)
             ORDER BY n
            RETURNING id, account_id, payload->>'type' AS type
         ), w AS (
            INSERT INTO webhook_deliveries (account_id, subscription_id, event_id, event_type)
            SELECT s.account_id, s.id, e.id, e.type
              FROM e JOIN webhook_subscriptions s ON s.account_id = e.account_id
             WHERE s.active AND (s.events = '{}' OR e.type = ANY(s.events))
            RETURNING 1
         ), numbered AS (
            SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM e
         ), live AS (
            SELECT pg_notify($5, string_agg(id::text, ',' ORDER BY id))
              FROM numbered GROUP BY n / $7
         ), hooks AS (
            SELECT pg_notify($6, '') FROM (SELECT 1 FROM w LIMIT 1) AS any_queued
         )
         SELECT id FROM e
          WHERE (SELECT count(*) FROM live) >= 0 AND (SELECT count(*) FROM hooks) >= 0
          ORDER BY id",
    )
    .bind(&accounts)
    .bind(&dialogs)
    .bind(&facts)
    .bind(&payloads)
    .bind(NOTIFY_CHANNEL)
    .bind(WEBHOOKS_CHANNEL)
    .bind(IDS_PER_NOTIFICATION)
    .fetch_all(&mut *conn)
    .await
}

/// The event ids a notification announces (comma-separated; unreadable parts are skipped,
/// and the listener catches up from the table anyway).
pub fn announced_ids(payload: &str) -> impl Iterator<Item = i64> + '_ {
    payload.split(',').filter_map(|id| id.trim().parse().ok())
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
