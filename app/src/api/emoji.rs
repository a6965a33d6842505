//! The emoji picker's recent emoji (E4): each user's own, newest first.

use leptos::prelude::*;

use crate::error::AppError;

/// The signed-in user's recent emoji, newest first.
#[server(endpoint = "recent_emoji")]
pub async fn recent_emoji() -> Result<Vec<String>, AppError> {
    crate::error::respond(
        async move {
            // Only the user's own row: no rights to load.
            let user = crate::auth::require_user()?;
            let state = crate::auth::state()?;
            crate::store::emoji::recent(&state.pool, user.account_id, user.user_id)
                .await?
                .ok_or(AppError::Unauthorized)
        }
        .await,
    )
}

/// Records an emoji the user has just used; answers with the recent list after it.
#[server(endpoint = "use_emoji")]
pub async fn use_emoji(emoji: String) -> Result<Vec<String>, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::emoji;
            use crate::store::emoji as store;

            let user = crate::auth::require_user()?;
            let state = crate::auth::state()?;
            let emoji = emoji::parse(&emoji).map_err(|key| AppError::validation("emoji", key))?;
            let mut tx = state.pool.begin().await?;
            let recent = store::lock_recent(&mut tx, user.account_id, user.user_id)
                .await?
                .ok_or(AppError::Unauthorized)?;
            let recent = emoji::remember(&recent, &emoji);
            store::save_recent(&mut tx, user.account_id, user.user_id, &recent).await?;
            tx.commit().await?;
            Ok(recent)
        }
        .await,
    )
}
