//! Sessions: a random token in an HttpOnly cookie, its SHA-256 in PostgreSQL, so sessions
//! survive a restart and a stolen database does not yield usable tokens.

use axum_extra::extract::cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::{CurrentUser, password};
use crate::error::{AppError, AppResult};
use crate::store;

pub const SESSION_COOKIE: &str = "dlg_session";
pub const THEME_COOKIE: &str = "dlg_theme";
pub const LOCALE_COOKIE: &str = "dlg_lang";
pub const SESSION_DAYS: i64 = 30;

/// Failed sign-ins allowed per email within `THROTTLE_WINDOW_MINUTES`.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failed sign-ins allowed per client address within the window.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// A fresh random session token (256 bits, hex).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh REST API token: `dlg_` and 256 random bits in hex. The prefix lets secret
/// scanners and people recognise a leaked token.
pub fn new_api_token() -> String {
    format!("dlg_{}", new_token())
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The `Set-Cookie` value that stores a session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    Cookie::build((SESSION_COOKIE, token.to_owned()))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time_days(SESSION_DAYS))
        .build()
        .to_string()
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn expired_session_cookie(secure: bool) -> String {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time_days(0))
        .build()
        .to_string()
}

/// A readable preference cookie (theme, language) so pages before sign-in follow it too.
pub fn preference_cookie(name: &'static str, value: &str, secure: bool) -> String {
    Cookie::build((name, value.to_owned()))
        .path("/")
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time_days(365))
        .build()
        .to_string()
}

fn time_days(days: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(days)
}

/// Resolves a session token to its user; touches the session so active ones stay alive.
pub async fn resolve(pool: &PgPool, token: &str) -> AppResult<Option<CurrentUser>> {
    Ok(store::sessions::find_user(pool, &token_hash(token)).await?)
}

/// Checks the credentials, throttling repeated failures. Unknown email and wrong password
/// give the same error and take the same time. On success returns the new session token.
pub async fn sign_in(
    pool: &PgPool,
    email: &str,
    password_text: &str,
    address: Option<&str>,
    old_token: Option<&str>,
) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || password_text.is_empty() {
        return Err(AppError::validation("email", "login.error_missing"));
    }
    let (by_email, by_address) =
        store::sessions::recent_failures(pool, &email, address, THROTTLE_WINDOW_MINUTES).await?;
    if by_email >= MAX_FAILURES_PER_EMAIL || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::RateLimited((THROTTLE_WINDOW_MINUTES * 60) as u64));
    }
    let candidate = store::sessions::find_credentials(pool, &email).await?;
    let stored = candidate
        .as_ref()
        .map(|(_, hash)| hash.as_str())
        .unwrap_or_else(|| password::decoy_hash());
    let ok = password::verify(password_text, stored);
    let (Some((user_id, _)), true) = (candidate, ok) else {
        store::sessions::record_failure(pool, &email, address).await?;
        return Err(AppError::validation("password", "login.error_wrong"));
    };
    // Rotate: whatever session the browser had is ended, a new token is issued.
    if let Some(old) = old_token {
        store::sessions::delete(pool, &token_hash(old)).await?;
    }
    let token = new_token();
    store::sessions::create(pool, user_id, &token_hash(&token), SESSION_DAYS).await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 32);
    }

    #[test]
    fn the_session_cookie_is_http_only_and_same_site() {
        let c = session_cookie("abc", true);
        assert!(c.contains("HttpOnly"));
        assert!(c.contains("SameSite=Lax"));
        assert!(c.contains("Secure"));
        assert!(c.starts_with("dlg_session=abc"));
    }
}
