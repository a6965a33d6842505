//! Lines and channels as listed to API clients. Channel secrets (`credentials`) and webhook
//! keys are never selected here.

use sqlx::PgExecutor;

use crate::domain::{AccountId, ChannelId, ChannelKind, LineId};

/// A line of the account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LineRecord {
    pub id: LineId,
    pub name: String,
    pub all_users_may_view: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Every line of the account, by name; the caller keeps those the user may see.
pub async fn list(db: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<Vec<LineRecord>> {
    sqlx::query_as(
        "SELECT id, name, all_users_may_view, created_at FROM lines
          WHERE account_id = $1 ORDER BY name, id",
    )
    .bind(account)
    .fetch_all(db)
    .await
}

/// A channel without its settings and secrets.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelSummary {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
    pub line_id: Option<LineId>,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Every channel of the account, oldest first; the caller keeps those the user may see.
pub async fn channels(
    db: impl PgExecutor<'_>,
    account: AccountId,
) -> sqlx::Result<Vec<ChannelSummary>> {
    sqlx::query_as(
        "SELECT id, kind, name, line_id, enabled, created_at FROM channels
          WHERE account_id = $1 ORDER BY id",
    )
    .bind(account)
    .fetch_all(db)
    .await
}
