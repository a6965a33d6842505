//! Writing into a dialog: messages to the client and internal notes (E1).

use leptos::prelude::*;

use crate::domain::{ComposerMode, DialogId, MessageId, MessageView};
use crate::error::AppError;

/// Sends a message or writes a note. Text starting with "/" is a note whatever the mode.
#[server(endpoint = "send_message")]
pub async fn send_message(
    dialog_id: DialogId,
    text: String,
    mode: ComposerMode,
) -> Result<MessageView, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            write_message(&state.pool, &user, &access, dialog_id, &text, mode).await
        }
        .await,
    )
}

/// Writes into a dialog as `user`: the rules of the composer (E1) and of rights, in one
/// place for the web app and the REST API. Validates the text, locks the dialog within the
/// user's scope (`NotFound` when they may not see it), checks they may send or note, and
/// stores the message with its outbox row and live event in one transaction.
#[cfg(feature = "ssr")]
pub async fn write_message(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    dialog_id: DialogId,
    text: &str,
    mode: ComposerMode,
) -> Result<MessageView, AppError> {
    use crate::domain::{Direction, Draft, MessageKind, ServerEvent};
    use crate::store::{self, messages::NewMessage};

    let draft = Draft::parse(text, mode).map_err(|e| AppError::validation("text", e.key()))?;
    let mut tx = pool.begin().await?;
    let record = store::dialogs::find(&mut tx, access, dialog_id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    let facts = record.facts();
    let allowed = match draft.kind {
        MessageKind::Message => access.can_send(&facts),
        _ => access.can_note(&facts),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let direction = match draft.kind {
        MessageKind::Message => Direction::Out,
        _ => Direction::Internal,
    };
    let message = store::messages::append(
        &mut tx,
        &NewMessage {
            account: user.account_id,
            dialog: dialog_id,
            kind: draft.kind,
            direction,
            author: Some(user.user_id),
            body: &draft.body,
            external: None,
        },
    )
    .await?
    .ok_or(AppError::Internal)?;
    store::events::publish(
        &mut tx,
        user.account_id,
        dialog_id,
        &facts,
        &ServerEvent::MessageCreated {
            message: message.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(dialog = %dialog_id, message = %message.id, kind = ?draft.kind, "message written");
    Ok(message)
}

/// Sends a failed outgoing message again (E11).
#[server(endpoint = "retry_message")]
pub async fn retry_message(message_id: MessageId) -> Result<MessageView, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::ServerEvent;
            use crate::store;

            let (state, user, access) = crate::auth::authorize().await?;
            let mut tx = state.pool.begin().await?;
            let dialog = store::messages::dialog_of(&mut *tx, user.account_id, message_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let record = store::dialogs::find(&mut tx, &access, dialog, true)
                .await?
                .ok_or(AppError::NotFound)?;
            let facts = record.facts();
            if !access.can_send(&facts) {
                return Err(AppError::Forbidden);
            }
            if !store::outbox::requeue(&mut tx, user.account_id, message_id).await? {
                return Err(AppError::Conflict("error.message.not_failed".into()));
            }
            let message = store::messages::view(&mut *tx, message_id).await?;
            store::events::publish(
                &mut tx,
                user.account_id,
                dialog,
                &facts,
                &ServerEvent::MessageUpdated {
                    message: message.clone(),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(message)
        }
        .await,
    )
}
