//! Tags of the account (F1) and which dialogs and clients carry them.

use sqlx::PgExecutor;

use crate::domain::AccountId;
use crate::domain::tag::Tag;

/// Every tag of the account, by name.
pub async fn list(db: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<Vec<Tag>> {
    sqlx::query_as("SELECT id, name, color FROM tags WHERE account_id = $1 ORDER BY name, id")
        .bind(account)
        .fetch_all(db)
        .await
}
