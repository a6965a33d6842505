//! The live event stream: written inside the transaction of the change it reports, read by
//! every app server's listener and by browsers catching up after a reconnect.

use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::event::DialogFacts;
use crate::domain::{AccountId, DialogId, EventId, ServerEvent};

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

/// Records an event and notifies the app servers when the transaction commits.
pub async fn publish(
    conn: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    facts: &DialogFacts,
    event: &ServerEvent,
) -> sqlx::Result<EventId> {
    let id: EventId = sqlx::query_scalar(
        "INSERT INTO events (account_id, dialog_id, facts, payload) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(account)
    .bind(dialog)
    .bind(Json(facts))
    .bind(Json(event))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(NOTIFY_CHANNEL)
        .bind(id.0.to_string())
        .execute(&mut *conn)
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
