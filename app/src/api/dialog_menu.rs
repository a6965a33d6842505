//! The dialog menu of the inbox list (C6): its state, pinning, marking unread and blocking
//! the client. Marking read and hiding system messages use `api::dialogs`' functions.

use leptos::prelude::*;

use crate::domain::DialogId;
use crate::domain::dialog_menu::DialogMenu;
use crate::error::AppError;

/// What the menu shows for one dialog. Unknown ids and other accounts' ids are `NotFound`.
#[server(endpoint = "get_dialog_menu")]
pub async fn get_dialog_menu(id: DialogId) -> Result<DialogMenu, AppError> {
    crate::error::respond(
        async move {
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let record = crate::api::dialogs::in_sight(&mut conn, &access, id).await?;
            let (unread, pinned, hide_system, client_blocked) =
                store::dialogs::menu_state(&mut *conn, &access, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
            Ok(DialogMenu {
                unread,
                pinned,
                hide_system,
                client_blocked,
                can_block: access.can_block_client(&record.facts()),
            })
        }
        .await,
    )
}

/// Pins the dialog to the signed-in user's Favorites, or unpins it.
#[server(endpoint = "set_pinned")]
pub async fn set_pinned(id: DialogId, pinned: bool) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            crate::api::dialogs::in_sight(&mut conn, &access, id).await?;
            store::dialogs::set_pinned(&mut *conn, &access, id, pinned).await?;
            Ok(())
        }
        .await,
    )
}

/// Marks the dialog unread for the signed-in user (opening or "Mark as read" undoes it).
#[server(endpoint = "mark_unread")]
pub async fn mark_unread(id: DialogId) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            crate::api::dialogs::in_sight(&mut conn, &access, id).await?;
            store::dialogs::mark_unread(&mut *conn, &access, id).await?;
            Ok(())
        }
        .await,
    )
}

/// Blocks or unblocks the client of a dialog. Blocking closes the client's active dialogs
/// the user may see, each with a system message, so what the client writes next is kept in
/// a closed dialog and raises nothing (see `store::inbound`). Unblocking writes a system
/// message in this dialog; the client's next message opens a New dialog again.
#[server(endpoint = "set_client_blocked")]
pub async fn set_client_blocked(id: DialogId, blocked: bool) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            block(&state.pool, &user, &access, id, blocked).await
        }
        .await,
    )
}

/// `set_client_blocked` in one transaction.
#[cfg(feature = "ssr")]
async fn block(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    id: DialogId,
    blocked: bool,
) -> Result<(), AppError> {
    use crate::domain::ServerEvent;
    use crate::domain::lifecycle::{DialogState, SystemEvent};
    use crate::store;

    let mut tx = pool.begin().await?;
    let record = store::dialogs::find(&mut tx, access, id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    if !access.can_block_client(&record.facts()) {
        return Err(AppError::Forbidden);
    }
    let account = user.account_id;
    if !store::clients::set_blocked(&mut *tx, account, record.client_id, blocked).await? {
        // Already so: nothing to record.
        return Ok(());
    }
    let by = user.display_name.clone();
    let mut events = Vec::new();
    let mut touched = vec![(record.clone(), false)];
    if blocked {
        for other in store::dialogs::active_of_client(&mut tx, access, record.client_id).await? {
            if other == record.id {
                touched[0].1 = true;
            } else if let Some(found) = store::dialogs::find(&mut tx, access, other, true).await? {
                touched.push((found, true));
            }
        }
    }
    for (dialog, close) in touched {
        let event = if blocked {
            SystemEvent::ClientBlocked {
                by: by.clone(),
                closed: close,
            }
        } else {
            SystemEvent::ClientUnblocked { by: by.clone() }
        };
        let before = dialog.state();
        if close {
            // Blocking is the reason: no close reason is asked for.
            let after = DialogState {
                status: crate::domain::DialogStatus::Closed,
                queue: None,
                ..before.clone()
            };
            store::lifecycle::save(
                &mut tx,
                account,
                dialog.id,
                user.user_id,
                &before,
                &after,
                store::lifecycle::Closing::default(),
            )
            .await?;
        }
        let message =
            store::lifecycle::system_message(&mut tx, account, dialog.id, user.user_id, &event)
                .await?;
        let mut facts = store::inbound::facts(&mut *tx, account, dialog.id).await?;
        facts.before = Some(Box::new(dialog.facts()));
        events.push(store::events::NewEvent {
            account,
            dialog: dialog.id,
            facts: facts.clone(),
            event: ServerEvent::MessageCreated { message },
        });
        events.push(store::events::NewEvent {
            account,
            dialog: dialog.id,
            facts,
            event: ServerEvent::DialogUpdated {
                dialog_id: dialog.id,
            },
        });
    }
    store::events::publish_many(&mut tx, &events).await?;
    tx.commit().await?;
    tracing::info!(dialog = %id, client = %record.client_id, blocked, "client block changed");
    Ok(())
}
