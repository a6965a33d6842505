//! API tokens of the REST API: a token stands for its user, with that user's rights. Only
//! the SHA-256 of a token is stored.

use sqlx::{PgExecutor, PgPool};

use crate::auth::CurrentUser;
use crate::domain::settings::ApiTokenView;
use crate::domain::{AccountId, AccountRole, Locale, Theme, UserId};

#[derive(sqlx::FromRow)]
struct TokenUserRow {
    user_id: UserId,
    account_id: AccountId,
    role: AccountRole,
    email: String,
    display_name: String,
    account_name: String,
    theme: Option<String>,
    locale: String,
    single_window: bool,
    token_hash: Vec<u8>,
}

/// The active user behind a token that is not revoked, or None. Records when the token was
/// last used, writing at most once a minute so busy bots do not rewrite the row on every
/// call.
pub async fn find_user(pool: &PgPool, token_hash: &[u8]) -> sqlx::Result<Option<CurrentUser>> {
    let row: Option<TokenUserRow> = sqlx::query_as(
        "WITH touch AS (
            UPDATE api_tokens SET last_used_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
         )
         SELECT u.id AS user_id, u.account_id, u.role, u.email, u.display_name,
                a.name AS account_name, u.theme, u.locale, u.single_window, t.token_hash
           FROM api_tokens t
           JOIN users u ON u.id = t.user_id AND u.account_id = t.account_id AND u.active
           JOIN accounts a ON a.id = u.account_id
          WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| CurrentUser {
        user_id: r.user_id,
        account_id: r.account_id,
        role: r.role,
        email: r.email,
        display_name: r.display_name,
        account_name: r.account_name,
        theme: r.theme.as_deref().and_then(Theme::parse),
        locale: Locale::parse(&r.locale).unwrap_or_default(),
        single_window: r.single_window,
        session_hash: r.token_hash,
    }))
}

/// Stores a new token of the active user with this email; returns the token's id, or None
/// when no such user exists.
pub async fn create(
    db: impl PgExecutor<'_>,
    email: &str,
    name: &str,
    token_hash: &[u8],
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, user_id, name, token_hash)
         SELECT u.account_id, u.id, $2, $3 FROM users u WHERE u.email = $1 AND u.active
         RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Revokes the tokens of the user with this email (only those named `name`, when given);
/// returns how many were revoked.
pub async fn revoke(db: impl PgExecutor<'_>, email: &str, name: Option<&str>) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE api_tokens t SET revoked_at = now()
           FROM users u
          WHERE u.email = $1 AND t.user_id = u.id AND t.account_id = u.account_id
            AND t.revoked_at IS NULL AND ($2::text IS NULL OR t.name = $2)",
    )
    .bind(email)
    .bind(name)
    .execute(db)
    .await?
    .rows_affected())
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    user_id: UserId,
    user_name: String,
    created_at: chrono::DateTime<chrono::Utc>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The account's tokens that are not revoked, newest first.
pub async fn list(db: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<Vec<ApiTokenView>> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT t.id, t.name, u.id AS user_id, u.display_name AS user_name, t.created_at,
                t.last_used_at
           FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.account_id = t.account_id
          WHERE t.account_id = $1 AND t.revoked_at IS NULL
          ORDER BY t.id DESC",
    )
    .bind(account)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ApiTokenView {
            id: r.id,
            name: r.name,
            user_id: r.user_id,
            user_name: r.user_name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

/// Stores a new token acting as an active user of the account; the token's id, or None
/// when the account has no such active user.
pub async fn create_for(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
    name: &str,
    token_hash: &[u8],
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, user_id, name, token_hash)
         SELECT u.account_id, u.id, $3, $4 FROM users u
          WHERE u.account_id = $1 AND u.id = $2 AND u.active
         RETURNING id",
    )
    .bind(account)
    .bind(user)
    .bind(name)
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Revokes one token of the account; false when there is no such active token.
pub async fn revoke_by_id(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = now()
          WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(account)
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}
