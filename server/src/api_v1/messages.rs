//! Messages of a dialog: reading the newest, and writing a message to the client or a note
//! through the web app's own write path (`write_message`), so the rules live once.

use app::api::messages::{Compose, write_message};
use app::domain::{self, ComposerMode, DialogId, MessageView};
use app::store;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ApiUser, ErrorBody};
use crate::startup::AppState;

/// What a message is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// To or from the client.
    Message,
    /// Internal, seen by staff only.
    Note,
    /// A service entry: opened, accepted, closed, ...
    System,
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the client.
    In,
    /// To the client.
    Out,
    /// Notes and system entries.
    Internal,
}

/// How far an outgoing message got.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Sending,
    Sent,
    Delivered,
    Read,
    Failed,
}

/// A file of a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    /// image, document, voice, audio, video or sticker.
    pub kind: String,
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: Option<i64>,
    /// pending (being fetched from the messenger), stored, or failed.
    pub state: String,
}

/// A message, note or system entry of a dialog.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub dialog_id: i64,
    pub kind: MessageKind,
    pub direction: Direction,
    /// The staff member who wrote it.
    pub author_name: Option<String>,
    pub body: String,
    /// Outgoing messages only.
    pub delivery: Option<DeliveryState>,
    /// Why delivery failed.
    pub delivery_error: Option<String>,
    pub deleted: bool,
    pub edited: bool,
    /// Who wrote it in a group chat.
    pub sender_name: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Buttons sent under the message (E10).
    pub buttons: Vec<String>,
    /// The message this one answers.
    pub reply_to_id: Option<i64>,
    /// Forwarded from another dialog.
    pub forwarded: bool,
    /// Starred as important.
    pub important: bool,
    pub created_at: DateTime<Utc>,
}

impl From<MessageView> for Message {
    fn from(m: MessageView) -> Message {
        Message {
            id: m.id.0,
            dialog_id: m.dialog_id.0,
            kind: match m.kind {
                domain::MessageKind::Message => MessageKind::Message,
                domain::MessageKind::Note => MessageKind::Note,
                domain::MessageKind::System => MessageKind::System,
            },
            direction: match m.direction {
                domain::Direction::In => Direction::In,
                domain::Direction::Out => Direction::Out,
                domain::Direction::Internal => Direction::Internal,
            },
            author_name: m.author_name,
            body: m.body,
            delivery: m.delivery.map(|d| match d {
                domain::DeliveryState::Sending => DeliveryState::Sending,
                domain::DeliveryState::Sent => DeliveryState::Sent,
                domain::DeliveryState::Delivered => DeliveryState::Delivered,
                domain::DeliveryState::Read => DeliveryState::Read,
                domain::DeliveryState::Failed => DeliveryState::Failed,
            }),
            delivery_error: m.delivery_error,
            deleted: m.deleted,
            edited: m.edited,
            sender_name: m.sender_name,
            attachments: m
                .attachments
                .into_iter()
                .map(|a| Attachment {
                    id: a.id.0,
                    kind: a.kind,
                    file_name: a.file_name,
                    mime_type: a.mime_type,
                    size_bytes: a.size_bytes,
                    state: a.state,
                })
                .collect(),
            buttons: m.buttons,
            reply_to_id: m.reply_to.map(|q| q.id.0),
            forwarded: m.forwarded,
            important: m.important,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Oldest first.
    pub data: Vec<Message>,
    /// Older messages exist.
    pub has_earlier: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// How many of the newest messages: 1–200, default 50.
    pub limit: Option<i64>,
}

/// What to write.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewMessageKind {
    /// A message to the client, delivered through the dialog's channel.
    #[default]
    Message,
    /// An internal note, seen by staff only.
    Note,
}

/// A message or note to write. As in the web app's composer, text starting with `/` is a
/// note whatever `kind` says (the slash is dropped).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// Up to 20,000 characters after trimming; may be empty when `files` are sent.
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub kind: NewMessageKind,
    /// Ids from `POST /files` (up to 10), sent with the text.
    #[serde(default)]
    pub files: Vec<i64>,
    /// Button titles under a text message (E10): WhatsApp takes 3 of up to 20 characters,
    /// Telegram and API channels 10 of up to 64; other messengers none.
    #[serde(default)]
    pub buttons: Vec<String>,
    /// The id of a message of this dialog this one answers: quoted in the chat and, where
    /// the messenger has replies, sent as a reply.
    #[serde(default)]
    pub reply_to: Option<i64>,
}

/// The newest messages of a dialog, oldest first.
#[utoipa::path(
    get,
    operation_id = "list_messages",
    path = "/dialogs/{id}/messages",
    tag = "messages",
    params(("id" = i64, Path, description = "The dialog's id"), MessageQuery),
    responses(
        (status = 200, description = "The newest messages", body = MessageList),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such dialog for this user", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> ApiResult<Json<MessageList>> {
    let limit = super::limit(q.limit, 50)?;
    let dialog = DialogId(id);
    let mut conn = state.pool.acquire().await?;
    store::dialogs::find(&mut conn, &api.access, dialog, false)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (messages, has_earlier) =
        store::messages::newest(&mut *conn, api.access.account_id, dialog, limit, false).await?;
    Ok(Json(MessageList {
        data: messages.into_iter().map(Message::from).collect(),
        has_earlier,
    }))
}

/// Writes a message to the client or an internal note.
///
/// A message is queued for delivery through the dialog's channel. Sending needs "send" on
/// the dialog's line and an active dialog; a note needs only seeing the dialog.
#[utoipa::path(
    post,
    operation_id = "send_message",
    path = "/dialogs/{id}/messages",
    tag = "messages",
    params(("id" = i64, Path, description = "The dialog's id")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "The stored message", body = Message),
        (status = 400, description = "Empty or too long text, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The user may not write this here (no send right, or the dialog is closed)", body = ErrorBody),
        (status = 404, description = "No such dialog for this user", body = ErrorBody),
        (status = 413, description = "The body is over the size limit", body = ErrorBody),
        (status = 422, description = "The JSON has the wrong shape", body = ErrorBody),
    )
)]
pub async fn send(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let mode = match body.kind {
        NewMessageKind::Message => ComposerMode::Message,
        NewMessageKind::Note => ComposerMode::Note,
    };
    let files: Vec<_> = body
        .files
        .iter()
        .map(|id| app::domain::UploadId(*id))
        .collect();
    let compose = Compose {
        text: &body.text,
        mode,
        subject: None,
        template: None,
        files: &files,
        buttons: &body.buttons,
        reply_to: body.reply_to.map(app::domain::MessageId),
        forward: None,
    };
    let message =
        write_message(&state.pool, &api.user, &api.access, DialogId(id), &compose).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// Deletes a message where its messenger allows (Telegram within 48 hours, API channels;
/// notes by their author or the dialog's manager). It stays in the dialog marked deleted;
/// the messenger is asked to delete it at the client's side.
#[utoipa::path(
    delete,
    operation_id = "delete_message",
    path = "/messages/{id}",
    tag = "messages",
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, description = "The message, marked deleted", body = Message),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The user may not delete it (no send right, another's note)", body = ErrorBody),
        (status = 404, description = "No such message for this user", body = ErrorBody),
        (status = 400, description = "The messenger does not allow it, or it is already deleted", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Message>> {
    let message =
        app::api::messages::delete(&state.pool, &api.user, &api.access, domain::MessageId(id))
            .await?;
    Ok(Json(message.into()))
}

/// Stars a message as important for the team.
#[utoipa::path(
    put,
    operation_id = "star_message",
    path = "/messages/{id}/star",
    tag = "messages",
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, description = "The message, starred", body = Message),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such message for this user", body = ErrorBody),
        (status = 400, description = "A system message", body = ErrorBody),
    )
)]
pub async fn star(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Message>> {
    set_star(state, api, id, true).await
}

/// Takes the star off a message.
#[utoipa::path(
    delete,
    operation_id = "unstar_message",
    path = "/messages/{id}/star",
    tag = "messages",
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, description = "The message, not starred", body = Message),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such message for this user", body = ErrorBody),
    )
)]
pub async fn unstar(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Message>> {
    set_star(state, api, id, false).await
}

async fn set_star(state: AppState, api: ApiUser, id: i64, on: bool) -> ApiResult<Json<Message>> {
    let message = app::api::messages::star(
        &state.pool,
        &api.user,
        &api.access,
        domain::MessageId(id),
        on,
    )
    .await?;
    Ok(Json(message.into()))
}
