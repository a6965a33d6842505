//! Sign-in, sign-out, the current user and their preferences.

use leptos::prelude::*;

use crate::domain::Me;
use crate::error::AppError;

/// Checks the credentials and starts a session. Returns where to go next.
#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: String) -> Result<String, AppError> {
    crate::error::respond(
        async move {
            use axum::extract::ConnectInfo;
            use axum_extra::extract::CookieJar;
            use http::header::{HeaderValue, SET_COOKIE};

            use crate::auth::{session, state};

            let state = state()?;
            let jar: CookieJar = leptos_axum::extract()
                .await
                .map_err(|_| AppError::Internal)?;
            let address = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
                .await
                .ok()
                .map(|ConnectInfo(addr)| addr.ip().to_string());
            let old = jar
                .get(session::SESSION_COOKIE)
                .map(|c| c.value().to_owned());
            let token = session::sign_in(
                &state.pool,
                &email,
                &password,
                address.as_deref(),
                old.as_deref(),
            )
            .await?;
            let response = expect_context::<leptos_axum::ResponseOptions>();
            let cookie =
                HeaderValue::from_str(&session::session_cookie(&token, state.secure_cookies))
                    .map_err(|_| AppError::Internal)?;
            response.append_header(SET_COOKIE, cookie);
            tracing::info!(email = %email.trim().to_lowercase(), "signed in");
            Ok(safe_next(&next))
        }
        .await,
    )
}

/// Only paths on this site, so the sign-in form cannot be used to send people elsewhere.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_owned()
    } else {
        "/dialogs".to_owned()
    }
}

/// Ends the current session.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    crate::error::respond(
        async move {
            use http::header::{HeaderValue, SET_COOKIE};

            use crate::auth::{current_user, session, state};
            use crate::store;

            let state = state()?;
            if let Some(user) = current_user() {
                store::sessions::delete(&state.pool, &user.session_hash).await?;
            }
            let response = expect_context::<leptos_axum::ResponseOptions>();
            let cookie =
                HeaderValue::from_str(&session::expired_session_cookie(state.secure_cookies))
                    .map_err(|_| AppError::Internal)?;
            response.append_header(SET_COOKIE, cookie);
            Ok(())
        }
        .await,
    )
}

/// The signed-in user.
#[server(endpoint = "get_me")]
pub async fn get_me() -> Result<Me, AppError> {
    crate::error::respond(async move { Ok(crate::auth::require_user()?.me()) }.await)
}

/// Turns the single-window mode (D8) on or off for the signed-in user: the chat then
/// shows all of a client's dialogs the user may see as one history.
#[server(endpoint = "set_single_window")]
pub async fn set_single_window(on: bool) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let user = crate::auth::require_user()?;
            let state = crate::auth::state()?;
            crate::store::sessions::set_single_window(
                &state.pool,
                user.account_id,
                user.user_id,
                on,
            )
            .await?;
            tracing::info!(user = %user.user_id, on, "single window");
            Ok(())
        }
        .await,
    )
}

/// Stores the theme ("light", "dark" or "system") and language; also as cookies so the
/// sign-in page follows them.
#[server(endpoint = "set_preferences")]
pub async fn set_preferences(theme: String, locale: String) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            use http::header::{HeaderValue, SET_COOKIE};

            use crate::auth::session::{LOCALE_COOKIE, THEME_COOKIE, preference_cookie};
            use crate::domain::{Locale, Theme};
            use crate::store;

            let state = crate::auth::state()?;
            let theme_value = match theme.as_str() {
                "system" => None,
                other => Some(
                    Theme::parse(other)
                        .ok_or_else(|| AppError::validation("theme", "error.validation"))?,
                ),
            };
            let locale_value = Locale::parse(&locale)
                .ok_or_else(|| AppError::validation("locale", "error.validation"))?;
            if let Some(user) = crate::auth::current_user() {
                store::sessions::set_preferences(
                    &state.pool,
                    user.account_id,
                    user.user_id,
                    theme_value,
                    locale_value,
                )
                .await?;
            }
            let response = expect_context::<leptos_axum::ResponseOptions>();
            for cookie in [
                preference_cookie(THEME_COOKIE, &theme, state.secure_cookies),
                preference_cookie(LOCALE_COOKIE, locale_value.as_str(), state.secure_cookies),
            ] {
                let value = HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
                response.append_header(SET_COOKIE, value);
            }
            Ok(())
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn sign_in_only_redirects_within_the_site() {
        assert_eq!(safe_next("/dialogs/5"), "/dialogs/5");
        assert_eq!(safe_next("//evil.example"), "/dialogs");
        assert_eq!(safe_next("https://evil.example"), "/dialogs");
        assert_eq!(safe_next(""), "/dialogs");
    }
}
