//! The REST API under `/api/v1` (F3): bots and automations read and write with a per-user
//! token (`Authorization: Bearer <token>`, made by `dialogs create-token`) and get exactly
//! the rights that user has in the web app: the same `Access`, the same dialog scope, the
//! same write path (`app::api::messages::write_message`).
//!
//! Each token may call 20 times a second with bursts of 100 (`limits`); faster calls get
//! `429 rate_limited` with `Retry-After`.
//!
//! The types here are the API's own contract, kept apart from the app's view types so the
//! web app can change without breaking integrations. The OpenAPI document is generated from
//! them and from the handlers' `#[utoipa::path]` attributes (`openapi.rs`).

pub mod channels;
pub mod clients;
pub mod dialogs;
pub mod files;
pub mod limits;
pub mod lines;
pub mod messages;
pub mod openapi;
pub mod webhooks;

use app::auth::session::token_hash;
use app::auth::{Access, CurrentUser};
use app::error::AppError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use utoipa::ToSchema;

use crate::startup::AppState;

/// The most rows any list returns at once.
pub const MAX_LIMIT: i64 = 200;

/// The routes of `/api/v1`, nested by the app's router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::serve))
        .route("/lines", get(lines::list))
        .route("/channels", get(channels::list))
        .route("/channels/{id}/templates", get(channels::templates))
        .route("/clients", get(clients::search).post(clients::create))
        .route("/clients/{id}", get(clients::get).patch(clients::update))
        .route("/dialogs", get(dialogs::list).post(dialogs::start))
        .route("/dialogs/{id}", get(dialogs::get))
        .route("/dialogs/{id}/actions", post(dialogs::act))
        .route("/messages/{id}", delete(messages::delete))
        .route(
            "/messages/{id}/star",
            put(messages::star).delete(messages::unstar),
        )
        .route(
            "/dialogs/{id}/messages",
            get(messages::list).post(messages::send),
        )
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/webhooks/{id}",
            get(webhooks::get).delete(webhooks::delete),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This path does not take that method; see /api/v1/openapi.json.",
            )
        })
}

/// A fresh API token and the hash that is stored. The `dlg_` prefix lets secret scanners
/// and people recognise a leaked token.
pub fn new_token() -> (String, Vec<u8>) {
    let token = app::auth::session::new_api_token();
    let hash = token_hash(&token);
    (token, hash)
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unauthorized`, `forbidden`, `not_found`, `validation`,
    /// `invalid_json`, `invalid_body`, `invalid_query`, `conflict`, `payload_too_large`,
    /// `method_not_allowed`, `rate_limited`, `internal`.
    #[schema(example = "validation")]
    pub code: String,
    /// For people: what is wrong and how to fix it.
    #[schema(example = "Write something first.")]
    pub message: String,
    /// The input field at fault, for `validation` and `conflict`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "text")]
    pub field: Option<String>,
}

/// An error answer: a status and `{"error": {"code", "message", "field"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// Unknown ids, other accounts' ids and ids the user may not see all answer this.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
    }

    /// Bad input in one field.
    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(StatusCode::BAD_REQUEST, "validation", message)
        }
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(StatusCode::CONFLICT, "conflict", message)
        }
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// The token called faster than its rate allows; `wait` until the next call is taken.
    pub fn rate_limited(wait: Duration) -> ApiError {
        ApiError {
            retry_after: Some(wait.as_secs().max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "This token calls faster than its rate allows; retry after {} s.",
                    wait.as_secs().max(1)
                ),
            )
        }
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something failed on our side; please retry shortly.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dialogs\""),
            );
        }
        response
    }
}

/// The app's errors in the API's words: translation keys become English sentences.
impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        let english = |key: &str| app::i18n::translate(app::domain::Locale::En, key);
        match err {
            AppError::Unauthorized => ApiError::unauthorized("A valid API token is required."),
            AppError::Forbidden => ApiError::forbidden("This token's user may not do that here."),
            AppError::NotFound => ApiError::not_found(),
            AppError::Validation { field, message } => {
                ApiError::validation(&field, english(&message))
            }
            AppError::Conflict(key) => ApiError {
                message: english(&key),
                ..ApiError::new(StatusCode::CONFLICT, "conflict", "")
            },
            AppError::RateLimited(seconds) => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many attempts; retry in {seconds} s."),
            ),
            AppError::Internal | AppError::Request(_) => ApiError::internal(),
        }
    }
}

/// Database failures are logged with their cause and answered as `internal`.
impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> ApiError {
        AppError::from(err).into()
    }
}

/// The user behind the request's bearer token, with their rights loaded.
pub struct ApiUser {
    pub user: CurrentUser,
    pub access: Access,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<ApiUser> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "Send the API token as `Authorization: Bearer <token>` (made by `dialogs create-token`).",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("The Authorization header must be `Bearer <token>`.")
            })?;
        let hash = token_hash(token);
        if let Err(wait) = state.api_limits.check(&hash) {
            return Err(ApiError::rate_limited(wait));
        }
        let user = app::store::api_tokens::find_user(&state.pool, &hash)
            .await?
            .ok_or_else(|| ApiError::unauthorized("The API token is unknown or revoked."))?;
        let access = Access::load(&state.pool, &user).await?;
        Ok(ApiUser { user, access })
    }
}

/// A JSON body. Malformed JSON is `400 invalid_json`; JSON of the wrong shape (a missing
/// field, a wrong type) is `422 invalid_body`; a body over the limit is `413`. The content
/// type is not insisted on: bots often leave it out.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<ApiJson<T>> {
        if let Some(kind) = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            && !(kind.starts_with("application/json") || kind.contains("+json"))
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON (Content-Type: application/json).",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large("The request body is too large.")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text())
            }
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            if e.is_data() {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("The JSON does not match the expected shape: {e}."),
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    format!("The body is not valid JSON: {e}."),
                )
            }
        })
    }
}

/// Query parameters; ones that do not parse are `400 invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<ApiQuery<T>> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
    }
}

/// An id in the path. One that is not a number names nothing: `404`, like an unknown id.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<ApiPath<T>> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|_| ApiError::not_found())
    }
}

/// `limit` checked against `1..=MAX_LIMIT`, `default` when absent.
pub fn limit(given: Option<i64>, default: i64) -> ApiResult<i64> {
    match given {
        None => Ok(default),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_and_only_their_hash_is_kept() {
        let (token, hash) = new_token();
        assert!(token.starts_with("dlg_"));
        assert_eq!(token.len(), 4 + 64);
        assert_eq!(hash, token_hash(&token));
        assert_ne!(new_token().0, token);
    }

    #[test]
    fn limits_outside_the_range_are_refused_with_the_field() {
        assert_eq!(limit(None, 50).ok(), Some(50));
        assert_eq!(limit(Some(200), 50).ok(), Some(200));
        let err = limit(Some(201), 50).err().map(|e| (e.status, e.field));
        assert_eq!(
            err,
            Some((StatusCode::BAD_REQUEST, Some("limit".to_owned())))
        );
        assert!(limit(Some(0), 50).is_err());
    }
}
