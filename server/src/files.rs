//! The file store: files of messages on local disk under `DIALOGS_FILES_DIR`, or in an
//! S3-compatible bucket (`DIALOGS_S3_BUCKET`) when several app servers share them; and
//! `GET /files/{id}` handing one to a user who may see its dialog.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::auth::{Access, MaybeUser};
use app::domain::AttachmentId;
use app::store::attachments;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, PutPayload, RetryConfig};

use crate::config::{ChannelsConfig, S3Config};
use crate::startup::AppState;

/// Where files are kept. Keys are relative paths made by the server, never by clients.
/// A file is written whole or not at all on both kinds of store (on disk: a temporary file
/// renamed into place).
#[derive(Clone, Debug)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
}

impl FileStore {
    /// The store the configuration names: the S3 bucket if one is set, else the folder.
    pub fn open(config: &ChannelsConfig) -> anyhow::Result<FileStore> {
        match &config.s3 {
            Some(s3) => FileStore::s3(s3),
            None => FileStore::local(&config.files_dir),
        }
    }

    /// Files under a folder, made if missing.
    pub fn local(root: &std::path::Path) -> anyhow::Result<FileStore> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("creating the files folder {}", root.display()))?;
        let store = LocalFileSystem::new_with_prefix(root)
            .with_context(|| format!("opening the files folder {}", root.display()))?;
        Ok(FileStore {
            store: Arc::new(store),
        })
    }

    /// Files in an S3-compatible bucket. Credentials not given here come from the usual
    /// `AWS_*` variables.
    pub fn s3(config: &S3Config) -> anyhow::Result<FileStore> {
        // A bucket that does not answer fails the request within seconds (the caller retries
        // later or tells the user), rather than after the library's default three minutes.
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
            ..RetryConfig::default()
        };
        let client = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(120));
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_retry(retry)
            .with_client_options(client);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                // Self-hosted servers (MinIO, Ceph, moto) address buckets by path.
                .with_virtual_hosted_style_request(false);
        }
        if let Some(id) = &config.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder
            .build()
            .with_context(|| format!("opening the S3 bucket {}", config.bucket))?;
        Ok(FileStore {
            store: Arc::new(store),
        })
    }

    pub async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.store
            .put(&Key::from(key), PutPayload::from(bytes.to_vec()))
            .await
            .with_context(|| format!("storing file {key}"))?;
        Ok(())
    }

    /// Removes a file; one already gone is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("removing file {key}")),
        }
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        self.find(key)
            .await?
            .with_context(|| format!("file {key} is not in the store"))
    }

    /// The file, or None when the store does not have it.
    pub async fn find(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let found = match self.store.get(&Key::from(key)).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading file {key}")),
        };
        let bytes = found
            .bytes()
            .await
            .with_context(|| format!("reading file {key}"))?;
        Ok(Some(bytes.to_vec()))
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
