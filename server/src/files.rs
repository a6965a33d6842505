//! The file store: files of messages on local disk under `DIALOGS_FILES_DIR`, and
//! `GET /files/{id}` handing one to a user who may see its dialog.

use std::path::{Path, PathBuf};

use anyhow::Context;
use app::auth::{Access, MaybeUser};
use app::domain::AttachmentId;
use app::store::attachments;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::startup::AppState;

/// Files kept on local disk. Keys are relative paths made by the server, never by clients.
#[derive(Clone, Debug)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> FileStore {
        FileStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes a file whole or not at all (a temporary file renamed into place).
    pub async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.root.join(key);
        let dir = path.parent().context("a file key has a folder")?;
        tokio::fs::create_dir_all(dir)
            .await
            .with_context(|| format!("creating {}", dir.display()))?;
        let temp = path.with_extension(format!("part-{}", fastrand::u64(..)));
        tokio::fs::write(&temp, bytes)
            .await
            .with_context(|| format!("writing {}", temp.display()))?;
        tokio::fs::rename(&temp, &path)
            .await
            .with_context(|| format!("moving a file into {}", path.display()))?;
        Ok(())
    }

    /// Removes a file; one already gone is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        let path = self.root.join(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(anyhow::anyhow!("removing {}: {e}", path.display())),
        }
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let path = self.root.join(key);
        tokio::fs::read(&path)
            .await
            .with_context(|| format!("reading {}", path.display()))
    }
}

/// `GET /files/{id}`: the file, if the signed-in user may see its dialog; 404 otherwise,
/// the same for unknown ids and other accounts' files.
pub async fn download(
    State(state): State<AppState>,
    Extension(MaybeUser(user)): Extension<MaybeUser>,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let Some(user) = user else {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    };
    let not_found = || (StatusCode::NOT_FOUND, "No such file.").into_response();
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let found = async {
        let access = Access::load(&state.pool, &user)
            .await
            .map_err(|e| anyhow::anyhow!("loading rights: {e:?}"))?;
        let mut conn = state.pool.acquire().await?;
        anyhow::Ok(attachments::for_download(&mut conn, &access, AttachmentId(id)).await?)
    }
    .await;
    let file = match found {
        Ok(Some(file)) => file,
        Ok(None) => return not_found(),
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "looking up a file");
            return (StatusCode::SERVICE_UNAVAILABLE, "Please try again shortly.").into_response();
        }
    };
    serve(&state, file).await
}

/// The stored file as a response: images inline, anything else as a download.
async fn serve(state: &AppState, file: attachments::StoredFile) -> Response {
    let Some(key) = file.storage_key.filter(|_| file.state == "stored") else {
        return (
            StatusCode::CONFLICT,
            "The file has not been fetched from the messenger yet.",
        )
            .into_response();
    };
    let bytes = match state.files.get(&key).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "reading a stored file");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The file could not be read.",
            )
                .into_response();
        }
    };
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.mime_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    // Shown inline only for images; anything else downloads, so no stored file runs as a page.
    let disposition = if file.mime_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let safe_name: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{safe_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    response
}

/// `POST /files` with the file as the body (`Content-Type` its type, `X-File-Name` its
/// name, percent-encoded): keeps an operator's file to send (E3), up to
/// `MAX_UPLOAD_BYTES`, and answers its upload id. Signed-in users of the web app only.
pub async fn upload(
    State(state): State<AppState>,
    Extension(MaybeUser(user)): Extension<MaybeUser>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(user) = user else {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    };
    match keep_upload(&state, &user, &headers, &body).await {
        Ok(view) => axum::Json(view).into_response(),
        Err(err) => (err.status(), err.to_string()).into_response(),
    }
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("The file is empty.")]
    Empty,
    #[error("Files of up to {} MB can be sent.", app::domain::MAX_UPLOAD_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("The file could not be stored. Try again.")]
    Unavailable,
}

impl UploadError {
    pub fn status(&self) -> StatusCode {
        match self {
            UploadError::Empty => StatusCode::BAD_REQUEST,
            UploadError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Keeps a user's file to send: the body is the file, `Content-Type` its type and
/// `X-File-Name` its name (percent-encoded). Shared by the web app and the REST API.
pub async fn keep_upload(
    state: &AppState,
    user: &app::auth::CurrentUser,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<app::domain::UploadView, UploadError> {
    if body.is_empty() {
        return Err(UploadError::Empty);
    }
    if body.len() > app::domain::MAX_UPLOAD_BYTES {
        return Err(UploadError::TooLarge);
    }
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .map(|n| clean_file_name(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "file".to_owned());
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| m.contains('/') && m.len() <= 200 && m.is_ascii())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let key = format!(
        "uploads/{}/{:016x}{:016x}",
        user.account_id,
        fastrand::u64(..),
        fastrand::u64(..)
    );
    if let Err(err) = state.files.put(&key, body).await {
        tracing::error!(error = format!("{err:#}"), "storing an upload");
        return Err(UploadError::Unavailable);
    }
    app::store::uploads::create(
        &state.pool,
        user.account_id,
        user.user_id,
        &name,
        &mime,
        body.len() as i64,
        &key,
    )
    .await
    .map_err(|err| {
        tracing::error!(error = %err, "recording an upload");
        UploadError::Unavailable
    })
}

/// `GET /files/{id}/signed?expires=&signature=`: a file sent over an API channel, for the
/// system on the other side, which has no session: the link is signed with the channel's
/// secret (`channels::api::file_signature`) and expires.
pub async fn signed_download(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let refused = || {
        (
            StatusCode::FORBIDDEN,
            "The link is not valid or has expired.",
        )
            .into_response()
    };
    let (Ok(id), Some(expires), Some(signature)) = (
        id.parse::<i64>(),
        query.get("expires").and_then(|e| e.parse::<i64>().ok()),
        query.get("signature"),
    ) else {
        return refused();
    };
    if expires < chrono::Utc::now().timestamp() {
        return refused();
    }
    let found = attachments::for_signed_link(&state.pool, AttachmentId(id)).await;
    let (file, secret) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return refused(),
        Err(err) => {
            tracing::error!(error = %err, "looking up a signed file");
            return (StatusCode::SERVICE_UNAVAILABLE, "Please try again shortly.").into_response();
        }
    };
    let given = format!("sha256={signature}");
    if !crate::channels::api::signature_matches(
        secret.as_bytes(),
        format!("{id}.{expires}").as_bytes(),
        &given,
    ) {
        return refused();
    }
    serve(&state, file).await
}

/// Decodes `%XX` escapes (what `encodeURIComponent` makes); invalid sequences stay.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A file name as stored: no folders, no control characters, at most 300 characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    cleaned.trim().chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_are_decoded_and_cleaned() {
        assert_eq!(
            percent_decode("%D0%9F%D1%80%D0%B0%D0%B9%D1%81.pdf"),
            "Прайс.pdf"
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\x\\photo.jpg"), "photo.jpg");
        assert_eq!(clean_file_name("bad\u{0}name\n.txt"), "badname.txt");
        assert_eq!(clean_file_name(&"x".repeat(400)).len(), 300);
    }
}
