//! The one error type that crosses the wire. Internal causes are logged on the server and
//! never sent to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Not signed in, or the session expired.
    #[error("sign-in required")]
    Unauthorized,
    /// Signed in, but this user may not do that.
    #[error("not allowed")]
    Forbidden,
    /// Does not exist, or belongs to another account: both answer the same.
    #[error("not found")]
    NotFound,
    /// Bad input; `message` is a translation key, `field` names the form field.
    #[error("invalid {field}: {message}")]
    Validation { field: String, message: String },
    /// Someone else changed it first.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts, retry in {0} s")]
    RateLimited(u64),
    /// Something failed on our side; details are in the server log.
    #[error("internal error")]
    Internal,
    /// The request itself failed (network, encoding).
    #[error("request failed: {0}")]
    Request(String),
}

impl AppError {
    pub fn validation(field: &str, message: &str) -> Self {
        AppError::Validation {
            field: field.to_owned(),
            message: message.to_owned(),
        }
    }

    /// Translation key of the message shown to the user.
    pub fn key(&self) -> &str {
        match self {
            AppError::Unauthorized => "error.unauthorized",
            AppError::Forbidden => "error.forbidden",
            AppError::NotFound => "error.not_found",
            AppError::Validation { message, .. } => message,
            AppError::Conflict(key) if key.starts_with("error.") => key,
            AppError::Conflict(_) => "error.conflict",
            AppError::RateLimited(_) => "error.rate_limited",
            AppError::Internal => "error.internal",
            AppError::Request(_) => "error.request",
        }
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal | AppError::Request(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request's arguments did not parse: bad input, not a failure. (On the
            // server, "deserialization" is of the arguments; in the browser, of results.)
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::validation("input", "error.validation")
            }
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => {
                AppError::validation("input", "error.validation")
            }
            other => AppError::Request(other.to_string()),
        }
    }
}

/// Database and other internal failures: logged with their cause, sent as `Internal`.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => AppError::NotFound,
            other => {
                tracing::error!(error = %other, "database error");
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        tracing::error!(error = format!("{err:#}"), "internal error");
        AppError::Internal
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Gives a server function's failure its real HTTP status (404, 403, 422, ...), so API
/// clients and tests see more than a generic 500.
pub fn respond<T>(result: AppResult<T>) -> AppResult<T> {
    #[cfg(feature = "ssr")]
    if let Err(err) = &result
        && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(err.status());
    }
    result
}
