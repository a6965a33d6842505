//! Files a bot sends (E3): uploaded first, then named by id in a message or a new dialog.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiResult, ApiUser, ErrorBody};
use crate::startup::AppState;

/// A file kept to be sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct Upload {
    /// Name it in `files` of a message or a new dialog within a day.
    pub id: i64,
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: i64,
}

/// Uploads a file to send.
///
/// The body is the file itself; `Content-Type` is its type and `X-File-Name` its name
/// (percent-encoded). Up to 50 MB. Only the token's user can send it, once.
#[utoipa::path(
    post,
    operation_id = "upload_file",
    path = "/files",
    tag = "messages",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    params(("X-File-Name" = String, Header, description = "The file's name, percent-encoded")),
    responses(
        (status = 201, description = "Kept", body = Upload),
        (status = 400, description = "An empty body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 413, description = "Over 50 MB", body = ErrorBody),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    api: ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Upload>)> {
    let view = crate::files::keep_upload(&state, &api.user, &headers, &body)
        .await
        .map_err(|e| {
            let code = match e {
                crate::files::UploadError::Empty => "validation",
                crate::files::UploadError::TooLarge => "too_large",
                crate::files::UploadError::Unavailable => "unavailable",
            };
            ApiError::new(e.status(), code, e.to_string())
        })?;
    Ok((
        StatusCode::CREATED,
        Json(Upload {
            id: view.id.0,
            file_name: view.file_name,
            mime_type: view.mime_type,
            size_bytes: view.size_bytes,
        }),
    ))
}
