//! Accounts and users, for the command line and the demo.

use sqlx::PgConnection;

use crate::domain::{AccountId, AccountRole, UserId};

/// Finds an account by name or creates it.
pub async fn find_or_create(conn: &mut PgConnection, name: &str) -> sqlx::Result<AccountId> {
    sqlx::query_scalar(
        "WITH ins AS (INSERT INTO accounts (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id)
         SELECT id FROM ins UNION ALL SELECT id FROM accounts WHERE name = $1 LIMIT 1",
    )
    .bind(name)
    .fetch_one(conn)
    .await
}

pub async fn exists(conn: &mut PgConnection, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE name = $1)")
        .bind(name)
        .fetch_one(conn)
        .await
}

/// Creates a user; fails with a unique violation when the email is taken.
pub async fn create_user(
    conn: &mut PgConnection,
    account: AccountId,
    email: &str,
    display_name: &str,
    password_hash: &str,
    role: AccountRole,
) -> sqlx::Result<UserId> {
    sqlx::query_scalar(
        "INSERT INTO users (account_id, email, display_name, password_hash, role)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(account)
    .bind(email)
    .bind(display_name)
    .bind(password_hash)
    .bind(role)
    .fetch_one(conn)
    .await
}

/// Emails and roles of an account's active users, oldest first.
pub async fn user_emails(
    conn: &mut PgConnection,
    account: &str,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT u.email, u.role::text FROM users u JOIN accounts a ON a.id = u.account_id
          WHERE a.name = $1 AND u.active ORDER BY u.id",
    )
    .bind(account)
    .fetch_all(conn)
    .await
}

/// The account's active users (id and name), by name: who a dialog may be assigned to.
pub async fn active_users(
    db: impl sqlx::PgExecutor<'_>,
    account: crate::domain::AccountId,
) -> sqlx::Result<Vec<(crate::domain::UserId, String)>> {
    sqlx::query_as(
        "SELECT id, display_name FROM users WHERE account_id = $1 AND active
          ORDER BY display_name, id",
    )
    .bind(account)
    .fetch_all(db)
    .await
}

/// True when `user` is an active user of the account.
pub async fn is_active_user(
    db: impl sqlx::PgExecutor<'_>,
    account: crate::domain::AccountId,
    user: crate::domain::UserId,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users WHERE account_id = $1 AND id = $2 AND active)",
    )
    .bind(account)
    .bind(user)
    .fetch_one(db)
    .await
}
