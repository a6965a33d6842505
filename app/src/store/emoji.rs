//! A user's recent emoji (E4), kept on their `users` row, newest first.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::{AccountId, UserId};

/// The user's recent emoji, newest first; `None` when there is no such active user.
pub async fn recent(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
) -> sqlx::Result<Option<Vec<String>>> {
    sqlx::query_scalar(
        "SELECT recent_emoji FROM users WHERE account_id = $1 AND id = $2 AND active",
    )
    .bind(account)
    .bind(user)
    .fetch_optional(db)
    .await
}

/// The same, with the row locked until the caller's transaction ends, so two tabs adding
/// an emoji at once each see the other's.
pub async fn lock_recent(
    tx: &mut PgConnection,
    account: AccountId,
    user: UserId,
) -> sqlx::Result<Option<Vec<String>>> {
    sqlx::query_scalar(
        "SELECT recent_emoji FROM users
          WHERE account_id = $1 AND id = $2 AND active
            FOR UPDATE",
    )
    .bind(account)
    .bind(user)
    .fetch_optional(tx)
    .await
}

/// Replaces the user's recent emoji.
pub async fn save_recent(
    tx: &mut PgConnection,
    account: AccountId,
    user: UserId,
    recent: &[String],
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET recent_emoji = $3 WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(user)
        .bind(recent)
        .execute(tx)
        .await?;
    Ok(())
}
