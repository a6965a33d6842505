//! `GET /channels`: the channels on lines the token's user may see, and
//! `GET /channels/{id}/templates`: a WhatsApp channel's approved templates. Settings and
//! secrets are never part of the answer.

use app::domain;
use app::store;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiPath, ApiResult, ApiUser, ErrorBody};
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

/// A template's header.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateHeader {
    /// `text`, `image`, `video` or `document`.
    pub format: String,
    /// A text header's text, with its `{{1}}` if it takes a value.
    pub text: Option<String>,
    /// Whether sending needs `header`: the `{{1}}` of a text header, the https link of a
    /// media header.
    pub takes_value: bool,
}

/// A button of a template that takes a value when it is sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateButton {
    /// `url` (the value fills the URL's `{{1}}`) or `copy_code` (a coupon code).
    pub kind: String,
    pub text: String,
    pub url: String,
}

/// An approved WhatsApp template, with what sending it needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub language: String,
    pub category: String,
    /// The body with its `{{1}}`, `{{2}}`… placeholders.
    pub body: String,
    /// How many values `variables` takes.
    pub variables: usize,
    pub header: Option<TemplateHeader>,
    /// The values `buttons` takes, in order.
    pub buttons: Vec<TemplateButton>,
    /// Set when the template needs something that cannot be sent through this API (a
    /// location header, a catalogue…): sending it is refused.
    pub unsupported: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub data: Vec<Template>,
}

impl From<domain::template::TemplateView> for Template {
    fn from(t: domain::template::TemplateView) -> Template {
        use domain::template::{ButtonKind, TemplateHeader as Header};
        let header = t.parts.header.map(|h| TemplateHeader {
            takes_value: h.takes_value(),
            format: match &h {
                Header::Text { .. } => "text",
                Header::Image => "image",
                Header::Video => "video",
                Header::Document => "document",
            }
            .to_owned(),
            text: match h {
                Header::Text { text } => Some(text),
                _ => None,
            },
        });
        let buttons = t
            .parts
            .buttons
            .into_iter()
            .map(|b| TemplateButton {
                kind: match b.kind {
                    ButtonKind::Url => "url",
                    ButtonKind::CopyCode => "copy_code",
                }
                .to_owned(),
                text: b.text,
                url: b.url,
            })
            .collect();
        Template {
            id: t.id.0,
            name: t.name,
            language: t.language,
            category: t.category,
            body: t.body,
            variables: t.variables,
            header,
            buttons,
            unsupported: t.parts.unsupported,
        }
    }
}

/// A WhatsApp channel's approved templates.
///
/// WhatsApp delivers free text only within 24 hours of the client's last message; after
/// that, start or continue a dialog with one of these (`template` of `POST /dialogs`).
/// Other channels have none. Unknown ids and channels the user may not see are `404`.
#[utoipa::path(
    get,
    operation_id = "list_templates",
    path = "/channels/{id}/templates",
    tag = "channels",
    params(("id" = i64, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "The approved templates, by name", body = TemplateList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such channel for this user", body = ErrorBody),
    )
)]
pub async fn templates(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemplateList>> {
    let account = api.access.account_id;
    let channel = store::lines::channels(&state.pool, account)
        .await?
        .into_iter()
        .find(|c| c.id.0 == id && api.access.can_view_channel(c.line_id))
        .ok_or_else(ApiError::not_found)?;
    let data = store::templates::approved(&state.pool, account, channel.id)
        .await?
        .into_iter()
        .map(Template::from)
        .collect();
    Ok(Json(TemplateList { data }))
}
