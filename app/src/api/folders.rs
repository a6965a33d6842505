//! Folders (C5): the signed-in user's saved filters with their unread counts.

use leptos::prelude::*;

use crate::domain::FolderId;
use crate::domain::folder::FolderView;
use crate::error::AppError;

/// The user's folders in their order, each with its unread count.
#[server(endpoint = "list_folders")]
pub async fn list_folders(tz_offset_minutes: i32) -> Result<Vec<FolderView>, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::filter::DialogFilter;
            use crate::store;

            if tz_offset_minutes.abs() > 14 * 60 {
                return Err(AppError::validation(
                    "tz_offset_minutes",
                    "error.validation",
                ));
            }
            let (state, user, access) = crate::auth::authorize().await?;
            let folders = store::folders::list(&state.pool, user.account_id, user.user_id).await?;
            // A folder saved before a filter's rules changed counts nothing rather than fail.
            let filters: Vec<Option<DialogFilter>> = folders
                .iter()
                .map(|(_, _, f)| DialogFilter::parse(f).ok())
                .collect();
            let valid: Vec<DialogFilter> = filters.iter().flatten().cloned().collect();
            let mut counts =
                store::dialogs::count_unread(&state.pool, &access, &valid, tz_offset_minutes)
                    .await?
                    .into_iter();
            let out = folders
                .into_iter()
                .zip(filters)
                .map(|((id, name, filter), parsed)| FolderView {
                    id,
                    name,
                    filter,
                    unread: parsed.and_then(|_| counts.next()).unwrap_or(0),
                })
                .collect();
            Ok(out)
        }
        .await,
    )
}

/// Saves a filter (the list's query string) as a new folder at the end.
#[server(endpoint = "save_folder")]
pub async fn save_folder(name: String, filter: String) -> Result<FolderId, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::filter::DialogFilter;

            let name = crate::domain::folder::parse_name(&name)
                .map_err(|key| AppError::validation("name", key))?;
            let filter = DialogFilter::parse(&filter)
                .map_err(|e| AppError::validation(&e.key, e.message))?
                .to_query();
            let (state, user, _access) = crate::auth::authorize().await?;
            let mut tx = state.pool.begin().await?;
            let id = crate::store::folders::create(
                &mut tx,
                user.account_id,
                user.user_id,
                &name,
                &filter,
            )
            .await?
            .ok_or_else(|| AppError::validation("name", "folder.error.too_many"))?;
            tx.commit().await?;
            Ok(id)
        }
        .await,
    )
}

/// Renames one of the user's folders.
#[server(endpoint = "rename_folder")]
pub async fn rename_folder(id: FolderId, name: String) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let name = crate::domain::folder::parse_name(&name)
                .map_err(|key| AppError::validation("name", key))?;
            let (state, user, _access) = crate::auth::authorize().await?;
            if crate::store::folders::rename(&state.pool, user.account_id, user.user_id, id, &name)
                .await?
            {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        }
        .await,
    )
}

/// Moves one of the user's folders to place `to` (0 is first).
#[server(endpoint = "move_folder")]
pub async fn move_folder(id: FolderId, to: u32) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, _access) = crate::auth::authorize().await?;
            let mut tx = state.pool.begin().await?;
            let to = usize::try_from(to).unwrap_or(usize::MAX);
            if !crate::store::folders::move_to(&mut tx, user.account_id, user.user_id, id, to)
                .await?
            {
                return Err(AppError::NotFound);
            }
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

/// Deletes one of the user's folders (the dialogs stay where they are).
#[server(endpoint = "delete_folder")]
pub async fn delete_folder(id: FolderId) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, _access) = crate::auth::authorize().await?;
            if crate::store::folders::delete(&state.pool, user.account_id, user.user_id, id).await?
            {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        }
        .await,
    )
}
