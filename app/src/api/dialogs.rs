//! The dialog list, counters and one open dialog.

use leptos::prelude::*;

use crate::domain::{
    Counters, DialogDetail, DialogId, DialogPage, DialogPermissions, ListCursor, MessageId, Section,
};
use crate::error::AppError;

/// The newest messages shown when a dialog opens.
pub const OPEN_MESSAGES: i64 = 200;

/// One page of a section of the inbox.
#[server(endpoint = "list_dialogs")]
pub async fn list_dialogs(
    section: Section,
    include_closed: bool,
    after: Option<ListCursor>,
    limit: i64,
) -> Result<DialogPage, AppError> {
    crate::error::respond(
        async move {
            let (state, _user, access) = crate::auth::authorize().await?;
            Ok(crate::store::dialogs::list(
                &state.pool,
                &access,
                section,
                include_closed,
                after,
                limit,
            )
            .await?)
        }
        .await,
    )
}

/// Unread counts per section.
#[server(endpoint = "get_counters")]
pub async fn get_counters(include_closed: bool) -> Result<Counters, AppError> {
    crate::error::respond(
        async move {
            let (state, _user, access) = crate::auth::authorize().await?;
            Ok(crate::store::dialogs::counters(&state.pool, &access, include_closed).await?)
        }
        .await,
    )
}

/// An open dialog with its newest messages. Unknown ids and other accounts' ids are both
/// `NotFound`.
#[server(endpoint = "get_dialog")]
pub async fn get_dialog(id: DialogId) -> Result<DialogDetail, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::DialogView;
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let record = store::dialogs::find(&mut conn, &access, id, false)
                .await?
                .ok_or(AppError::NotFound)?;
            let (messages, has_earlier) =
                store::messages::newest(&mut *conn, access.account_id, id, OPEN_MESSAGES).await?;
            let permissions = access.permissions(&record.facts());
            Ok(DialogDetail {
                dialog: DialogView {
                    id: record.id,
                    number: record.number,
                    title: record.title,
                    status: record.status,
                    line_id: record.line_id,
                    line_name: record.line_name,
                    channel_id: record.channel_id,
                    channel_kind: record.channel_kind,
                    channel_name: record.channel_name,
                    client_id: record.client_id,
                    client_name: record.client_name,
                    assignee_name: record.assignee_name,
                    can_send: permissions.can_send,
                    can_note: permissions.can_note,
                },
                messages,
                has_earlier,
            })
        }
        .await,
    )
}

/// What the user may write in a dialog (the composer asks once per opened dialog).
#[server(endpoint = "get_permissions")]
pub async fn get_permissions(id: DialogId) -> Result<DialogPermissions, AppError> {
    crate::error::respond(
        async move {
            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let record = crate::store::dialogs::find(&mut conn, &access, id, false)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(access.permissions(&record.facts()))
        }
        .await,
    )
}

/// Marks the dialog read up to a message.
#[server(endpoint = "mark_read")]
pub async fn mark_read(id: DialogId, upto: MessageId) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            store::dialogs::find(&mut conn, &access, id, false)
                .await?
                .ok_or(AppError::NotFound)?;
            store::dialogs::mark_read(&mut *conn, &access, id, upto).await?;
            Ok(())
        }
        .await,
    )
}
