//! Dialogs the token's user may see, through the same scope as the inbox
//! (`Access::push_dialog_scope`): an operator's token lists what that operator sees.

use app::domain::{self, DialogId, ListCursor};
use app::store;
use app::store::dialogs::DialogSummary;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::channels::ChannelKind;
use super::{ApiError, ApiPath, ApiQuery, ApiResult, ApiUser, ErrorBody};
use crate::startup::AppState;

/// Where a dialog is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialogStatus {
    /// Waiting in the queue; nobody took it yet.
    New,
    /// Someone works on it.
    InWork,
    /// Redirected to a user or a group, waiting there.
    Returned,
    /// Over; nobody can write into it.
    Closed,
    /// Passed to someone to read.
    ForReview,
}

impl From<domain::DialogStatus> for DialogStatus {
    fn from(status: domain::DialogStatus) -> DialogStatus {
        match status {
            domain::DialogStatus::New => DialogStatus::New,
            domain::DialogStatus::InWork => DialogStatus::InWork,
            domain::DialogStatus::Returned => DialogStatus::Returned,
            domain::DialogStatus::Closed => DialogStatus::Closed,
            domain::DialogStatus::ForReview => DialogStatus::ForReview,
        }
    }
}

/// One conversation with a client on one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dialog {
    pub id: i64,
    /// The account's running number, as operators see it (#42).
    pub number: i64,
    pub title: Option<String>,
    pub status: DialogStatus,
    pub line_id: i64,
    pub channel_id: i64,
    pub channel_kind: ChannelKind,
    pub client_id: i64,
    pub client_name: String,
    /// The user responsible for it, if any.
    pub assignee_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    /// The start of the last message, on one line.
    pub last_message_snippet: String,
    /// The token's user may send a message to the client here.
    pub can_send: bool,
    /// The token's user may write an internal note here.
    pub can_note: bool,
}

impl Dialog {
    fn new(summary: DialogSummary, api: &ApiUser) -> Dialog {
        let permissions =
            api.access
                .permissions(&summary.facts(), &summary.state(), summary.channel_kind);
        Dialog {
            id: summary.id.0,
            number: summary.number,
            title: summary.title,
            status: summary.status.into(),
            line_id: summary.line_id.0,
            channel_id: summary.channel_id.0,
            channel_kind: summary.channel_kind.into(),
            client_id: summary.client_id.0,
            client_name: summary.client_name,
            assignee_id: summary.assignee_id.map(|u| u.0),
            created_at: summary.created_at,
            closed_at: summary.closed_at,
            last_message_at: summary.last_message_at,
            last_message_snippet: summary.last_message_snippet,
            can_send: permissions.can_send,
            can_note: permissions.can_note,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogList {
    pub data: Vec<Dialog>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DialogQuery {
    /// Only dialogs with these statuses, comma-separated (`new,in_work`); all when absent.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists the dialogs the token's user may see.
///
/// Latest activity first, a page at a time.
#[utoipa::path(
    get,
    operation_id = "list_dialogs",
    path = "/dialogs",
    tag = "dialogs",
    params(DialogQuery),
    responses(
        (status = 200, description = "A page of dialogs", body = DialogList),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    api: ApiUser,
    ApiQuery(q): ApiQuery<DialogQuery>,
) -> ApiResult<Json<DialogList>> {
    let statuses = parse_statuses(q.status.as_deref())?;
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ApiError::validation("cursor", "The cursor is not one this API gave.")
        })?),
        None => None,
    };
    let limit = super::limit(q.limit, 50)?;
    let (rows, next) =
        store::dialogs::summaries(&state.pool, &api.access, &statuses, after, limit).await?;
    Ok(Json(DialogList {
        data: rows.into_iter().map(|r| Dialog::new(r, &api)).collect(),
        next_cursor: next.map(encode_cursor),
    }))
}

/// One dialog.
///
/// Unknown ids, other accounts' dialogs and dialogs the user may not see are all `404`.
#[utoipa::path(
    get,
    operation_id = "get_dialog",
    path = "/dialogs/{id}",
    tag = "dialogs",
    params(("id" = i64, Path, description = "The dialog's id")),
    responses(
        (status = 200, description = "The dialog", body = Dialog),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such dialog for this user", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Dialog>> {
    let summary = store::dialogs::summary(&state.pool, &api.access, DialogId(id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(Dialog::new(summary, &api)))
}

fn parse_statuses(raw: Option<&str>) -> ApiResult<Vec<domain::DialogStatus>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            domain::DialogStatus::ALL
                .into_iter()
                .find(|status| status.as_str() == s)
                .ok_or_else(|| {
                    ApiError::validation(
                        "status",
                        format!(
                            "Unknown status {s:?}; use new, in_work, returned, closed or for_review."
                        ),
                    )
                })
        })
        .collect()
}

/// `<last_message_at in microseconds>_<id>`: the position after the page's last row.
fn encode_cursor(cursor: ListCursor) -> String {
    format!(
        "{}_{}",
        cursor.last_message_at.timestamp_micros(),
        cursor.id.0
    )
}

fn decode_cursor(raw: &str) -> Option<ListCursor> {
    let (micros, id) = raw.split_once('_')?;
    Some(ListCursor {
        last_message_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id: DialogId(id.parse().ok()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_comes_back_as_it_went_out() {
        let cursor = ListCursor {
            last_message_at: DateTime::from_timestamp_micros(1_763_000_000_123_456).expect("time"),
            id: DialogId(42),
        };
        assert_eq!(decode_cursor(&encode_cursor(cursor)), Some(cursor));
        assert_eq!(decode_cursor("nonsense"), None);
        assert_eq!(decode_cursor("1_x"), None);
    }

    #[test]
    fn statuses_are_a_comma_separated_list_of_known_names() {
        assert_eq!(
            parse_statuses(Some("new, in_work")).ok(),
            Some(vec![
                domain::DialogStatus::New,
                domain::DialogStatus::InWork
            ])
        );
        assert_eq!(parse_statuses(None).ok(), Some(vec![]));
        assert!(parse_statuses(Some("open")).is_err());
    }
}

/// A WhatsApp template and the values of its `{{1}}`, `{{2}}`… in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateChoice {
    /// The id of one of the channel's approved templates.
    pub template_id: i64,
    /// The values of the body's `{{1}}`, `{{2}}`…, in order.
    #[serde(default)]
    pub variables: Vec<String>,
    /// The header's value, when it takes one: its `{{1}}` for a text header, the https link
    /// of the picture, video or document for a media header.
    pub header: Option<String>,
    /// One value per button that takes one (a URL button's `{{1}}`, a coupon code), in the
    /// template's order.
    #[serde(default)]
    pub buttons: Vec<String>,
}

/// A dialog to start with a client, and its first message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDialog {
    pub line_id: i64,
    /// A channel on that line: Telegram, WhatsApp, email or an API channel.
    pub channel_id: i64,
    /// Who answers the client; the token's user when absent.
    pub assignee_id: Option<i64>,
    /// WhatsApp: a phone number (any common format; E.164 is stored). Email: an address.
    /// Telegram: a chat id, or the @username of someone who wrote to the bot. API channel:
    /// the chat id.
    pub recipient: String,
    /// Email only, required there: the subject of the first email.
    pub subject: Option<String>,
    /// The first message; may be empty when a template is sent.
    #[serde(default)]
    pub text: String,
    /// WhatsApp only: an approved template to open the conversation with (WhatsApp delivers
    /// free text only within 24 hours of the client's last message).
    pub template: Option<TemplateChoice>,
    /// Ids from `POST /files` sent with the first message.
    #[serde(default)]
    pub files: Vec<i64>,
}

/// Starts a dialog with a client and sends its first message.
///
/// The client is found by chat, phone or email, or created. When they already have an active
/// dialog on the channel, the message goes there and that dialog is returned (one active
/// dialog per client and channel). Needs "send" on the line.
#[utoipa::path(
    post,
    operation_id = "start_dialog",
    path = "/dialogs",
    tag = "dialogs",
    request_body = NewDialog,
    responses(
        (status = 201, description = "The dialog, with the first message queued", body = Dialog),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The user may not send on this line", body = ErrorBody),
        (status = 404, description = "No such line or channel for this user", body = ErrorBody),
        (status = 400, description = "A bad recipient, subject, text or template", body = ErrorBody),
        (status = 422, description = "A body that is not this JSON", body = ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    api: ApiUser,
    super::ApiJson(body): super::ApiJson<NewDialog>,
) -> ApiResult<(axum::http::StatusCode, Json<Dialog>)> {
    let input = domain::start::NewDialog {
        line_id: domain::LineId(body.line_id),
        channel_id: domain::ChannelId(body.channel_id),
        assignee_id: body.assignee_id.map(domain::UserId),
        recipient: body.recipient,
        subject: body.subject,
        text: body.text,
        template: body.template.map(|t| domain::template::TemplateChoice {
            template_id: domain::TemplateId(t.template_id),
            variables: t.variables,
            header: t.header,
            buttons: t.buttons,
        }),
        files: body.files.into_iter().map(domain::UploadId).collect(),
    };
    let id = app::api::dialogs::start(&state.pool, &api.user, &api.access, &input).await?;
    let summary = store::dialogs::summary(&state.pool, &api.access, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Dialog::new(summary, &api)),
    ))
}

/// A helper's part in a dialog.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HelperRole {
    /// Works with the assignee and may reply.
    CoAssignee,
    /// Reads along and writes notes only.
    Observer,
}

impl From<HelperRole> for domain::lifecycle::HelperRole {
    fn from(role: HelperRole) -> Self {
        match role {
            HelperRole::CoAssignee => domain::lifecycle::HelperRole::CoAssignee,
            HelperRole::Observer => domain::lifecycle::HelperRole::Observer,
        }
    }
}

/// An action on a dialog, the same as the web app's buttons, with the same rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum DialogAction {
    /// Take the dialog: it becomes the token user's, in work.
    Accept,
    /// Close it; `reason_id` from the account's close reasons (required where the line asks).
    Close { reason_id: Option<i64> },
    /// Give it to a user or a group (exactly one): it waits in their New list.
    Redirect {
        user_id: Option<i64>,
        group_id: Option<i64>,
    },
    /// Give it back to the line's queue.
    ReturnToQueue,
    /// "Read" on a dialog passed for review: it closes.
    Read,
    /// Name the dialog; no title goes back to the client's name.
    Rename { title: Option<String> },
    /// Add a co-assignee or observer.
    AddHelper { user_id: i64, role: HelperRole },
    /// Remove a co-assignee or observer.
    RemoveHelper { user_id: i64, role: HelperRole },
}

impl DialogAction {
    fn into_domain(self) -> Result<domain::lifecycle::Action, ApiError> {
        use domain::lifecycle::{Action, QueueTarget};
        use domain::{CloseReasonId, GroupId, UserId};
        Ok(match self {
            DialogAction::Accept => Action::Accept,
            DialogAction::Close { reason_id } => Action::Close {
                reason: reason_id.map(CloseReasonId),
            },
            DialogAction::Redirect { user_id, group_id } => Action::Redirect {
                to: match (user_id, group_id) {
                    (Some(u), None) => QueueTarget::User(UserId(u)),
                    (None, Some(g)) => QueueTarget::Group(GroupId(g)),
                    _ => {
                        return Err(ApiError::validation(
                            "user_id",
                            "Give exactly one of user_id and group_id.",
                        ));
                    }
                },
            },
            DialogAction::ReturnToQueue => Action::ReturnToQueue,
            DialogAction::Read => Action::Read,
            DialogAction::Rename { title } => Action::Rename { title },
            DialogAction::AddHelper { user_id, role } => Action::AddHelper {
                user: UserId(user_id),
                role: role.into(),
            },
            DialogAction::RemoveHelper { user_id, role } => Action::RemoveHelper {
                user: UserId(user_id),
                role: role.into(),
            },
        })
    }
}

/// The dialog's status after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDone {
    pub status: DialogStatus,
}

/// Acts on a dialog: accept, close, redirect, return to the queue, read, rename, add or
/// remove a helper. Each writes its system message and live events, as in the web app.
#[utoipa::path(
    post,
    operation_id = "dialog_action",
    path = "/dialogs/{id}/actions",
    tag = "dialogs",
    params(("id" = i64, Path, description = "The dialog's id")),
    request_body = DialogAction,
    responses(
        (status = 200, description = "Done; the dialog's new status", body = ActionDone),
        (status = 400, description = "Not JSON, a missing close reason, an unknown or ambiguous target", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The user's part in the dialog does not allow it", body = ErrorBody),
        (status = 404, description = "No such dialog for this user", body = ErrorBody),
        (status = 409, description = "Someone else accepted it first, or its status does not take the action", body = ErrorBody),
        (status = 422, description = "The JSON has the wrong shape (an unknown action)", body = ErrorBody),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    super::ApiJson(body): super::ApiJson<DialogAction>,
) -> ApiResult<Json<ActionDone>> {
    let action = body.into_domain()?;
    let status =
        app::api::lifecycle::act(&state.pool, &api.user, &api.access, DialogId(id), &action)
            .await?;
    Ok(Json(ActionDone {
        status: status.into(),
    }))
}
