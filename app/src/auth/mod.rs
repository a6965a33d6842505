//! Sign-in, sessions, the current user, and the one place that decides what a user may
//! see and do (`access`). Server side only.

pub mod access;
pub mod csrf;
pub mod password;
pub mod session;

use leptos::prelude::*;
use sqlx::PgPool;

pub use access::Access;

use crate::domain::{AccountId, AccountRole, Locale, Me, Theme, UserId};
use crate::error::{AppError, AppResult};

/// Shared server state, handed to server functions through Leptos' context.
#[derive(Clone)]
pub struct ServerState {
    pub pool: PgPool,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

/// The signed-in user of this request, resolved once from the session cookie by the
/// server's middleware and kept in the request's extensions.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentUser {
    pub user_id: UserId,
    pub account_id: AccountId,
    pub role: AccountRole,
    pub email: String,
    pub display_name: String,
    pub account_name: String,
    pub theme: Option<Theme>,
    pub locale: Locale,
    /// Shows a client's dialogs as one history (D8).
    pub single_window: bool,
    /// SHA-256 of the session token, to end this session on sign-out (for a REST API call,
    /// of the API token; the API has no sign-out).
    pub session_hash: Vec<u8>,
}

impl CurrentUser {
    pub fn me(&self) -> Me {
        Me {
            id: self.user_id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            account_name: self.account_name.clone(),
            theme: self.theme,
            locale: self.locale,
            single_window: self.single_window,
        }
    }
}

/// The request's extension slot the middleware fills.
#[derive(Debug, Clone, Default)]
pub struct MaybeUser(pub Option<CurrentUser>);

pub fn state() -> AppResult<ServerState> {
    use_context::<ServerState>().ok_or_else(|| {
        tracing::error!("ServerState missing from the Leptos context");
        AppError::Internal
    })
}

/// The signed-in user of the request being served, if any.
pub fn current_user() -> Option<CurrentUser> {
    let parts = use_context::<http::request::Parts>()?;
    parts.extensions.get::<MaybeUser>()?.0.clone()
}

/// The signed-in user, or `Unauthorized`.
pub fn require_user() -> AppResult<CurrentUser> {
    current_user().ok_or(AppError::Unauthorized)
}

/// The signed-in user with their rights loaded: the start of every server function that
/// touches account data.
pub async fn authorize() -> AppResult<(ServerState, CurrentUser, Access)> {
    let user = require_user()?;
    let state = state()?;
    let access = Access::load(&state.pool, &user).await?;
    Ok((state, user, access))
}
