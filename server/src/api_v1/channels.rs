//! `GET /channels`: the channels on lines the token's user may see. Settings and secrets
//! are never part of the answer.

use app::domain;
use app::store;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, ApiUser, ErrorBody};
use crate::startup::AppState;

/// The messenger behind a channel.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Telegram,
    Whatsapp,
    Email,
    Vk,
    Viber,
    Instagram,
    Facebook,
    Wildberries,
    Ozon,
    Internal,
    /// The API channel (`/webhooks/api/{id}`).
    Webhook,
}

impl From<domain::ChannelKind> for ChannelKind {
    fn from(kind: domain::ChannelKind) -> ChannelKind {
        match kind {
            domain::ChannelKind::Telegram => ChannelKind::Telegram,
            domain::ChannelKind::Whatsapp => ChannelKind::Whatsapp,
            domain::ChannelKind::Email => ChannelKind::Email,
            domain::ChannelKind::Vk => ChannelKind::Vk,
            domain::ChannelKind::Viber => ChannelKind::Viber,
            domain::ChannelKind::Instagram => ChannelKind::Instagram,
            domain::ChannelKind::Facebook => ChannelKind::Facebook,
            domain::ChannelKind::Wildberries => ChannelKind::Wildberries,
            domain::ChannelKind::Ozon => ChannelKind::Ozon,
            domain::ChannelKind::Internal => ChannelKind::Internal,
            domain::ChannelKind::Webhook => ChannelKind::Webhook,
        }
    }
}

/// One connected messenger account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: i64,
    pub kind: ChannelKind,
    pub name: String,
    /// The line its dialogs belong to; null while it is not connected to one.
    pub line_id: Option<i64>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    pub data: Vec<Channel>,
}

/// Channels the token's user may see.
///
/// Channels on lines the user may see, oldest first; channels on no line only for owners,
/// admins and supervisors.
#[utoipa::path(
    get,
    operation_id = "list_channels",
    path = "/channels",
    tag = "channels",
    responses(
        (status = 200, description = "The channels", body = ChannelList),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, api: ApiUser) -> ApiResult<Json<ChannelList>> {
    let channels = store::lines::channels(&state.pool, api.access.account_id).await?;
    let data = channels
        .into_iter()
        .filter(|c| api.access.can_view_channel(c.line_id))
        .map(|c| Channel {
            id: c.id.0,
            kind: c.kind.into(),
            name: c.name,
            line_id: c.line_id.map(|l| l.0),
            enabled: c.enabled,
            created_at: c.created_at,
        })
        .collect();
    Ok(Json(ChannelList { data }))
}
