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

/// The kinds of channel the account has, in their order.
pub async fn channel_kinds(
    db: impl PgExecutor<'_>,
    account: AccountId,
) -> sqlx::Result<Vec<ChannelKind>> {
    sqlx::query_scalar("SELECT DISTINCT kind FROM channels WHERE account_id = $1 ORDER BY kind")
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

/// One channel of the account without its settings and secrets, or None.
pub async fn channel(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: ChannelId,
) -> sqlx::Result<Option<ChannelSummary>> {
    sqlx::query_as(
        "SELECT id, kind, name, line_id, enabled, created_at FROM channels
          WHERE account_id = $1 AND id = $2",
    )
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Every line of the account with its B4 settings, by name; the caller keeps those the user
/// administers.
pub async fn settings(
    db: impl PgExecutor<'_>,
    account: AccountId,
) -> sqlx::Result<Vec<crate::domain::settings::LineSettings>> {
    let rows: Vec<(LineId, String, bool, bool, bool, bool)> = sqlx::query_as(
        "SELECT id, name, incoming_are_leads, close_requires_reason, unknown_become_clients,
                all_users_may_view
           FROM lines WHERE account_id = $1 ORDER BY name, id",
    )
    .bind(account)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, leads, reason, clients, all)| crate::domain::settings::LineSettings {
                id: Some(id),
                name,
                incoming_are_leads: leads,
                close_requires_reason: reason,
                unknown_become_clients: clients,
                all_users_may_view: all,
            },
        )
        .collect())
}

/// Creates a line, or updates one of this account; None when the line is not the
/// account's. A taken name is a unique violation (`lines_account_id_name_key`).
pub async fn save(
    db: impl PgExecutor<'_>,
    account: AccountId,
    line: &crate::domain::settings::LineSettings,
) -> sqlx::Result<Option<LineId>> {
    match line.id {
        None => sqlx::query_scalar(
            "INSERT INTO lines (account_id, name, incoming_are_leads, close_requires_reason,
                                unknown_become_clients, all_users_may_view)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        ),
        Some(_) => sqlx::query_scalar(
            "UPDATE lines SET name = $2, incoming_are_leads = $3, close_requires_reason = $4,
                    unknown_become_clients = $5, all_users_may_view = $6
              WHERE account_id = $1 AND id = $7 RETURNING id",
        ),
    }
    .bind(account)
    .bind(&line.name)
    .bind(line.incoming_are_leads)
    .bind(line.close_requires_reason)
    .bind(line.unknown_become_clients)
    .bind(line.all_users_may_view)
    .bind(line.id)
    .fetch_optional(db)
    .await
}

/// Connects a Telegram bot to a line of this account, with the secret its webhook must
/// carry.
pub async fn connect_telegram(
    db: impl PgExecutor<'_>,
    account: AccountId,
    line: LineId,
    name: &str,
    bot_token: &str,
    secret: &str,
) -> sqlx::Result<ChannelId> {
    sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, credentials, capabilities)
         VALUES ($1, $2, 'telegram', $3,
                 jsonb_build_object('bot_token', $4::text, 'webhook_secret', $5::text),
                 '{\"delete\": true, \"edit\": true, \"groups\": true, \"templates\": false}')
         RETURNING id",
    )
    .bind(account)
    .bind(line)
    .bind(name)
    .bind(bot_token)
    .bind(secret)
    .fetch_one(db)
    .await
}

/// Moves a channel of this account to a line (or off every line) and switches it on or
/// off. False when the channel is not the account's.
pub async fn set_channel(
    db: impl PgExecutor<'_>,
    account: AccountId,
    channel: ChannelId,
    line: Option<LineId>,
    enabled: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE channels SET line_id = $3, enabled = $4 WHERE account_id = $1 AND id = $2",
    )
    .bind(account)
    .bind(channel)
    .bind(line)
    .bind(enabled)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Connects a channel of another kind than Telegram (`NewChannel` is validated), with the
/// generated secret stored under `new.generated` in its credentials.
pub async fn connect_channel(
    db: impl PgExecutor<'_>,
    account: AccountId,
    new: &crate::domain::settings::NewChannel,
    secret: &str,
) -> sqlx::Result<ChannelId> {
    let mut credentials = new.credentials.clone();
    credentials[new.generated] = serde_json::Value::String(secret.to_owned());
    let capabilities = match new.kind {
        ChannelKind::Whatsapp => {
            serde_json::json!({"delete": false, "edit": false, "templates": true})
        }
        ChannelKind::Email => {
            serde_json::json!({"delete": false, "edit": false, "templates": false})
        }
        _ => serde_json::json!({"delete": true, "edit": true, "templates": false}),
    };
    sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, settings, credentials, capabilities)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id",
    )
    .bind(account)
    .bind(new.line_id)
    .bind(new.kind)
    .bind(&new.name)
    .bind(sqlx::types::Json(&new.settings))
    .bind(sqlx::types::Json(&credentials))
    .bind(sqlx::types::Json(&capabilities))
    .fetch_one(db)
    .await
}
