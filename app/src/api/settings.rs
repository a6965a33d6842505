//! Lines and channel connections (B1, B4): what an administrator sees and changes.

use leptos::prelude::*;

use crate::domain::settings::{ApiTokens, ConnectedTelegram, LineSettings, SettingsView};
use crate::domain::{ChannelId, LineId};
use crate::error::AppError;

/// The lines this user administers and their channels.
#[server(endpoint = "get_settings")]
pub async fn get_settings() -> Result<SettingsView, AppError> {
    crate::error::respond(
        async move {
            use crate::store::lines;

            let (state, user, access) = crate::auth::authorize().await?;
            let lines: Vec<LineSettings> = lines::settings(&state.pool, user.account_id)
                .await?
                .into_iter()
                .filter(|l| l.id.is_some_and(|id| access.can_admin_line(id)))
                .collect();
            let can_create = access.can_create_lines();
            if lines.is_empty() && !can_create {
                return Err(AppError::Forbidden);
            }
            let mut mail = crate::store::mail::statuses(&state.pool, user.account_id).await?;
            let dead = crate::store::dead_letters::counts(&state.pool, user.account_id).await?;
            let channels = lines::channels(&state.pool, user.account_id)
                .await?
                .into_iter()
                .filter(|c| access.can_admin_channel(c.line_id))
                .map(|c| crate::domain::settings::ChannelSettings {
                    id: c.id,
                    kind: c.kind,
                    name: c.name,
                    line_id: c.line_id,
                    enabled: c.enabled,
                    mail: mail
                        .iter()
                        .position(|(id, _)| *id == c.id)
                        .map(|i| mail.swap_remove(i).1),
                    dead_letters: dead
                        .iter()
                        .find(|(id, _)| *id == c.id)
                        .map_or(0, |(_, n)| *n),
                })
                .collect();
            Ok(SettingsView {
                lines,
                channels,
                can_create,
            })
        }
        .await,
    )
}

/// Creates a line (owners and admins) or changes one the user administers.
#[server(endpoint = "save_line")]
pub async fn save_line(line: LineSettings) -> Result<LineId, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            let line = line
                .validated()
                .map_err(|(field, key)| AppError::validation(field, key))?;
            let allowed = match line.id {
                None => access.can_create_lines(),
                Some(id) => access.can_admin_line(id),
            };
            if !allowed {
                return Err(match line.id {
                    Some(id) if !access.can_view_line(id) => AppError::NotFound,
                    _ => AppError::Forbidden,
                });
            }
            match crate::store::lines::save(&state.pool, user.account_id, &line).await {
                Ok(Some(id)) => {
                    tracing::info!(line = %id, "line saved");
                    Ok(id)
                }
                Ok(None) => Err(AppError::NotFound),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    Err(AppError::Conflict("error.settings.name_taken".into()))
                }
                Err(e) => Err(e.into()),
            }
        }
        .await,
    )
}

/// Connects a Telegram bot to a line (owners and admins). The answer carries the webhook
/// path and secret once, for `setWebhook`.
#[server(endpoint = "connect_telegram")]
pub async fn connect_telegram(
    line_id: LineId,
    name: String,
    bot_token: String,
) -> Result<ConnectedTelegram, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::settings::valid_bot_token;

            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_create_lines() {
                return Err(AppError::Forbidden);
            }
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(AppError::validation("name", "settings.error.name_empty"));
            }
            if !valid_bot_token(&bot_token) {
                return Err(AppError::validation(
                    "bot_token",
                    "settings.error.bot_token",
                ));
            }
            let known = crate::store::lines::list(&state.pool, user.account_id)
                .await?
                .iter()
                .any(|l| l.id == line_id);
            if !known {
                return Err(AppError::NotFound);
            }
            let secret = crate::auth::session::new_token();
            let channel = crate::store::lines::connect_telegram(
                &state.pool,
                user.account_id,
                line_id,
                name,
                bot_token.trim(),
                &secret,
            )
            .await?;
            tracing::info!(channel = %channel, line = %line_id, "telegram bot connected");
            Ok(ConnectedTelegram {
                channel_id: channel,
                webhook_path: format!("/webhooks/telegram/{channel}"),
                secret,
            })
        }
        .await,
    )
}

/// Moves a channel to a line (or off every line) and switches it on or off.
#[server(endpoint = "set_channel")]
pub async fn set_channel(
    channel_id: ChannelId,
    line_id: Option<LineId>,
    enabled: bool,
) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            administered_channel(&state.pool, &user, &access, channel_id).await?;
            if !access.can_admin_channel(line_id) {
                return Err(AppError::Forbidden);
            }
            if let Some(line) = line_id {
                let known = crate::store::lines::list(&state.pool, user.account_id)
                    .await?
                    .iter()
                    .any(|l| l.id == line);
                if !known {
                    return Err(AppError::NotFound);
                }
            }
            if !crate::store::lines::set_channel(
                &state.pool,
                user.account_id,
                channel_id,
                line_id,
                enabled,
            )
            .await?
            {
                return Err(AppError::NotFound);
            }
            Ok(())
        }
        .await,
    )
}

/// Connects a WhatsApp Cloud API number, a mailbox or an API integration to a line (B1,
/// B2): owners and admins only. The answer carries the webhook's path and the secret the
/// provider needs, shown this once.
#[server(endpoint = "connect_channel")]
pub async fn connect_channel(
    form: crate::domain::settings::ChannelForm,
) -> Result<crate::domain::settings::ConnectedChannel, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::settings::ConnectedChannel;

            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_create_lines() {
                return Err(AppError::Forbidden);
            }
            let new = form
                .validated()
                .map_err(|(field, key)| AppError::validation(field, key))?;
            let known = crate::store::lines::list(&state.pool, user.account_id)
                .await?
                .iter()
                .any(|l| l.id == new.line_id);
            if !known {
                return Err(AppError::NotFound);
            }
            let secret = crate::auth::session::new_token();
            let channel =
                crate::store::lines::connect_channel(&state.pool, user.account_id, &new, &secret)
                    .await?;
            // A mailbox to read: the pollers pick it up at once, and Settings shows it.
            crate::store::mail::track_new(&state.pool).await?;
            tracing::info!(channel = %channel, kind = new.kind.as_str(), line = %new.line_id, "channel connected");
            let path = match new.kind {
                crate::domain::ChannelKind::Webhook => "api",
                other => other.as_str(),
            };
            Ok(ConnectedChannel {
                channel_id: channel,
                kind: new.kind,
                webhook_path: format!("/webhooks/{path}/{channel}"),
                secret_label: format!("settings.secret.{}", new.generated),
                secret,
            })
        }
        .await,
    )
}

/// "Receive messages now" (B5): reads the email channel's IMAP mailbox at once instead of at
/// its next poll. For those who administer the channel's line.
#[server(endpoint = "receive_mail_now")]
pub async fn receive_mail_now(channel_id: ChannelId) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            administered_channel(&state.pool, &user, &access, channel_id).await?;
            let mut tx = state.pool.begin().await?;
            use crate::store::mail::PollNow;
            match crate::store::mail::poll_now(&mut tx, user.account_id, channel_id).await? {
                PollNow::Queued => {}
                PollNow::NoMailbox => {
                    return Err(AppError::validation("channel_id", "settings.error.no_imap"));
                }
                PollNow::NotConnected => {
                    return Err(AppError::validation(
                        "channel_id",
                        "settings.error.mail_not_connected",
                    ));
                }
            }
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

/// The newest events a channel kept aside (dead letters), for its administrators.
#[server(endpoint = "channel_dead_letters")]
pub async fn channel_dead_letters(
    channel_id: ChannelId,
) -> Result<Vec<crate::domain::settings::DeadLetterView>, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            administered_channel(&state.pool, &user, &access, channel_id).await?;
            Ok(
                crate::store::dead_letters::list(&state.pool, user.account_id, channel_id, 50)
                    .await?,
            )
        }
        .await,
    )
}

/// Forgets one event a channel kept aside, once an administrator has looked at it.
#[server(endpoint = "dismiss_dead_letter")]
pub async fn dismiss_dead_letter(channel_id: ChannelId, id: i64) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            administered_channel(&state.pool, &user, &access, channel_id).await?;
            if !crate::store::dead_letters::dismiss(&state.pool, user.account_id, channel_id, id)
                .await?
            {
                return Err(AppError::NotFound);
            }
            tracing::info!(channel = %channel_id, dead_letter = id, "dead letter dismissed");
            Ok(())
        }
        .await,
    )
}

/// "Try again" on an event a channel kept aside, once its cause is fixed: a job stores it
/// again through the channel's own parser and ingest path; the event leaves the list when
/// it is stored, or stays with the new reason.
#[server(endpoint = "replay_dead_letter")]
pub async fn replay_dead_letter(channel_id: ChannelId, id: i64) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            administered_channel(&state.pool, &user, &access, channel_id).await?;
            let mut tx = state.pool.begin().await?;
            crate::store::dead_letters::kept(&mut *tx, user.account_id, id)
                .await?
                .filter(|kept| kept.channel_id == channel_id)
                .ok_or(AppError::NotFound)?;
            crate::store::jobs::enqueue_once(
                &mut tx,
                user.account_id,
                crate::store::dead_letters::REPLAY_JOB,
                &serde_json::json!({ "dead_letter_id": id }),
            )
            .await?;
            tx.commit().await?;
            tracing::info!(channel = %channel_id, dead_letter = id, "dead letter replay queued");
            Ok(())
        }
        .await,
    )
}

/// The account's REST API tokens, for owners and admins.
#[server(endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<ApiTokens, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_manage_api_tokens() {
                return Err(AppError::Forbidden);
            }
            let tokens = crate::store::api_tokens::list(&state.pool, user.account_id).await?;
            let users = crate::store::accounts::active_users(&state.pool, user.account_id)
                .await?
                .into_iter()
                .map(|(id, name)| crate::domain::start::UserOption { id, name })
                .collect();
            Ok(ApiTokens { tokens, users })
        }
        .await,
    )
}

/// Makes a REST API token acting as a user of the account; answers the token, shown once
/// (only its hash is stored).
#[server(endpoint = "create_api_token")]
pub async fn create_api_token(
    user_id: crate::domain::UserId,
    name: String,
) -> Result<String, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_manage_api_tokens() {
                return Err(AppError::Forbidden);
            }
            let name = crate::domain::settings::token_name(&name)
                .map_err(|key| AppError::validation("name", key))?;
            let token = crate::auth::session::new_api_token();
            let hash = crate::auth::session::token_hash(&token);
            let Some(id) = crate::store::api_tokens::create_for(
                &state.pool,
                user.account_id,
                user_id,
                &name,
                &hash,
            )
            .await?
            else {
                return Err(AppError::validation("user_id", "settings.error.token_user"));
            };
            tracing::info!(token = id, acts_as = %user_id, by = %user.user_id, "API token created");
            Ok(token)
        }
        .await,
    )
}

/// Revokes a REST API token of the account: calls with it get `401` from then on.
#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_manage_api_tokens() {
                return Err(AppError::Forbidden);
            }
            if !crate::store::api_tokens::revoke_by_id(&state.pool, user.account_id, id).await? {
                return Err(AppError::NotFound);
            }
            tracing::info!(token = id, by = %user.user_id, "API token revoked");
            Ok(())
        }
        .await,
    )
}

/// A channel of the user's account that they administer: `NotFound` for an unknown id (or
/// another account's), `Forbidden` when they do not administer its line.
#[cfg(feature = "ssr")]
async fn administered_channel(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    channel_id: ChannelId,
) -> Result<crate::store::lines::ChannelSummary, AppError> {
    let channel = crate::store::lines::channel(pool, user.account_id, channel_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !access.can_admin_channel(channel.line_id) {
        return Err(AppError::Forbidden);
    }
    Ok(channel)
}
