//! Sessions and sign-in failures.

use sqlx::{PgExecutor, PgPool};

use crate::auth::CurrentUser;
use crate::domain::{AccountId, AccountRole, Locale, Theme, UserId};

#[derive(sqlx::FromRow)]
struct SessionUserRow {
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

/// The user of a live session; extends the session when it was last seen over an hour ago.
pub async fn find_user(pool: &PgPool, token_hash: &[u8]) -> sqlx::Result<Option<CurrentUser>> {
    let row: Option<SessionUserRow> = sqlx::query_as(
        "UPDATE sessions s
            SET last_seen_at = CASE WHEN s.last_seen_at < now() - interval '1 hour'
                                    THEN now() ELSE s.last_seen_at END
           FROM users u, accounts a
          WHERE s.token_hash = $1 AND s.expires_at > now()
            AND u.id = s.user_id AND u.account_id = s.account_id AND u.active
            AND a.id = u.account_id
      RETURNING u.id AS user_id, u.account_id, u.role, u.email, u.display_name,
                a.name AS account_name, u.theme, u.locale, u.single_window, s.token_hash",
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

/// The user id and password hash for an email, if such an active user exists.
pub async fn find_credentials(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<(UserId, String)>> {
    sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1 AND active")
        .bind(email)
        .fetch_optional(db)
        .await
}

pub async fn create(
    db: impl PgExecutor<'_>,
    user: UserId,
    token_hash: &[u8],
    days: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, user_id, expires_at)
         SELECT $1, u.account_id, u.id, now() + make_interval(days => $3::int)
           FROM users u WHERE u.id = $2",
    )
    .bind(token_hash)
    .bind(user)
    .bind(days as i32)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete(db: impl PgExecutor<'_>, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Failed sign-ins in the last `minutes`: for this email, and from this address.
pub async fn recent_failures(
    db: impl PgExecutor<'_>,
    email: &str,
    address: Option<&str>,
    minutes: i64,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE email = $1),
                count(*) FILTER (WHERE $2::text IS NOT NULL AND address = $2)
           FROM sign_in_failures
          WHERE at > now() - make_interval(mins => $3::int)",
    )
    .bind(email)
    .bind(address)
    .bind(minutes as i32)
    .fetch_one(db)
    .await
}

pub async fn record_failure(
    db: impl PgExecutor<'_>,
    email: &str,
    address: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO sign_in_failures (email, address) VALUES ($1, $2)")
        .bind(email)
        .bind(address)
        .execute(db)
        .await?;
    Ok(())
}

/// Stores a user's theme (None = follow the system) and language.
pub async fn set_preferences(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
    theme: Option<Theme>,
    locale: Locale,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET theme = $3, locale = $4 WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(user)
        .bind(theme.map(Theme::as_str))
        .bind(locale.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// Turns the single-window mode (D8) on or off for a user.
pub async fn set_single_window(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
    on: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET single_window = $3 WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(user)
        .bind(on)
        .execute(db)
        .await?;
    Ok(())
}
