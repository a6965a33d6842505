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
