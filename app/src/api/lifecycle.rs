//! Lifecycle actions on a dialog (D3–D6, D8): accept, close, redirect, return to queue,
//! read, rename, helpers, and passing messages for review; and what the action buttons and
//! forms offer.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::lifecycle::{Action, ActionOptions};
use crate::domain::{DialogId, DialogStatus, MessageId, UserId};
use crate::error::AppError;

/// Takes an action on a dialog; answers with the dialog's status after it.
#[server(endpoint = "dialog_action", input = Json)]
pub async fn dialog_action(id: DialogId, action: Action) -> Result<DialogStatus, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            act(&state.pool, &user, &access, id, &action).await
        }
        .await,
    )
}

/// What the action buttons and their forms offer in a dialog: the users and groups to
/// redirect to, the close reasons, and whether the line asks for one.
#[server(endpoint = "dialog_action_options")]
pub async fn dialog_action_options(id: DialogId) -> Result<ActionOptions, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::lifecycle::Choice;
            use crate::store;

            let (state, user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let record = store::dialogs::find(&mut conn, &access, id, false)
                .await?
                .ok_or(AppError::NotFound)?;
            let users = store::accounts::active_users(&mut *conn, user.account_id)
                .await?
                .into_iter()
                .filter(|(id, _)| *id != user.user_id)
                .map(|(id, name)| Choice { id: id.0, name })
                .collect();
            let groups = store::lifecycle::groups(&mut conn, user.account_id)
                .await?
                .into_iter()
                .map(|(id, name)| Choice { id: id.0, name })
                .collect();
            let reasons = store::close_reasons::list(&mut *conn, user.account_id, false)
                .await?
                .into_iter()
                .map(|r| Choice {
                    id: r.id.0,
                    name: r.name,
                })
                .collect();
            Ok(ActionOptions {
                users,
                groups,
                reasons,
                reason_required: record.reason_required,
            })
        }
        .await,
    )
}

/// Passes messages of a dialog (all of them when `messages` is empty) to another user for
/// review (D8): they form a closed dialog in that user's New list. Answers with it.
#[server(endpoint = "pass_for_review", input = Json)]
pub async fn pass_for_review(
    id: DialogId,
    to: UserId,
    messages: Vec<MessageId>,
) -> Result<DialogId, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            pass(&state.pool, &user, &access, id, to, &messages).await
        }
        .await,
    )
}

/// `dialog_action` for the web app and the REST API, in one transaction: the dialog locked
/// within the user's scope, the lifecycle's verdict, the new state, a system message with
/// who and when, and the live events (seen by whoever saw the dialog before or after).
#[cfg(feature = "ssr")]
pub async fn act(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    id: DialogId,
    action: &Action,
) -> Result<DialogStatus, AppError> {
    let mut tx = pool.begin().await?;
    let Some(record) = crate::store::dialogs::find(&mut tx, access, id, true).await? else {
        // Lost a race to accept: the dialog left this user's sight when the other won.
        return Err(match action {
            Action::Accept => unseen(&mut tx, access, id).await?,
            _ => AppError::NotFound,
        });
    };
    let status = step(&mut tx, user, access, &record, action).await?;
    tx.commit().await?;
    Ok(status)
}

/// Why a dialog is not there for this user: taken by someone else while they could see it
/// waiting (`error.dialog.taken`), or simply not found.
#[cfg(feature = "ssr")]
pub async fn unseen(
    conn: &mut sqlx::PgConnection,
    access: &crate::auth::Access,
    id: DialogId,
) -> Result<AppError, AppError> {
    use crate::domain::lifecycle::LifecycleError;
    Ok(
        match crate::store::lifecycle::taken_by(conn, access, id).await? {
            Some(_) => AppError::Conflict(LifecycleError::Taken.key().into()),
            None => AppError::NotFound,
        },
    )
}

/// One lifecycle step on a dialog the caller has locked (also used by a reply that accepts
/// a queued dialog).
#[cfg(feature = "ssr")]
pub async fn step(
    tx: &mut sqlx::PgConnection,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    record: &crate::store::dialogs::DialogRecord,
    action: &Action,
) -> Result<DialogStatus, AppError> {
    use crate::domain::ServerEvent;
    use crate::domain::lifecycle::{LifecycleError, QueueTarget, SystemEvent, apply};
    use crate::store;

    let before_facts = record.facts();
    let before = record.state();
    let actor = access.actor(&before_facts);
    let after = apply(&before, &actor, action).map_err(|e| match e {
        LifecycleError::NotAllowed => AppError::Forbidden,
        e => match e.field() {
            Some(field) => AppError::validation(field, e.key()),
            None => AppError::Conflict(e.key().into()),
        },
    })?;
    let account = user.account_id;
    let me = user.display_name.clone();
    let mut closing = store::lifecycle::Closing::default();
    let reason_name;
    let event = match action {
        Action::Accept => SystemEvent::Accepted { by: me },
        Action::Close { reason } => {
            reason_name = match reason {
                Some(r) => Some(
                    store::close_reasons::offered_name(&mut *tx, account, *r)
                        .await?
                        .ok_or_else(|| AppError::validation("reason", "error.dialog.bad_reason"))?,
                ),
                None => None,
            };
            closing.reason = reason.zip(reason_name.as_deref());
            SystemEvent::Closed {
                by: me,
                reason: reason_name.clone(),
            }
        }
        Action::Redirect { to } => {
            let to_name = match to {
                QueueTarget::User(u) => {
                    let name = store::lifecycle::user_name(tx, account, *u)
                        .await?
                        .ok_or_else(|| AppError::validation("to", "error.dialog.bad_target"))?;
                    let target = crate::auth::Access::of_user(tx, account, *u).await?;
                    if !target.is_some_and(|t| t.line_rights(record.line_id).send) {
                        return Err(AppError::validation(
                            "to",
                            "error.dialog.target_cannot_send",
                        ));
                    }
                    name
                }
                QueueTarget::Group(g) => store::lifecycle::group_name(tx, account, *g)
                    .await?
                    .ok_or_else(|| AppError::validation("to", "error.dialog.bad_target"))?,
            };
            SystemEvent::Redirected {
                by: me,
                to: to_name,
            }
        }
        Action::ReturnToQueue => SystemEvent::ReturnedToQueue { by: me },
        Action::Read => SystemEvent::Read { by: me },
        Action::Rename { .. } => {
            if after.title == before.title {
                return Ok(record.status);
            }
            SystemEvent::Renamed {
                by: me,
                title: after.title.clone(),
            }
        }
        Action::AddHelper { user: u, role } | Action::RemoveHelper { user: u, role } => {
            let name = store::lifecycle::user_name(tx, account, *u)
                .await?
                .ok_or_else(|| AppError::validation("user", "error.dialog.bad_target"))?;
            if matches!(action, Action::AddHelper { .. }) {
                SystemEvent::HelperAdded {
                    by: me,
                    user: name,
                    role: *role,
                }
            } else {
                SystemEvent::HelperRemoved {
                    by: me,
                    user: name,
                    role: *role,
                }
            }
        }
    };
    store::lifecycle::save(
        tx,
        account,
        record.id,
        user.user_id,
        &before,
        &after,
        closing,
    )
    .await?;
    let message =
        store::lifecycle::system_message(tx, account, record.id, user.user_id, &event).await?;
    let mut facts = store::inbound::facts(&mut *tx, account, record.id).await?;
    facts.before = Some(Box::new(before_facts));
    store::events::publish_many(
        tx,
        &[
            store::events::NewEvent {
                account,
                dialog: record.id,
                facts: facts.clone(),
                event: ServerEvent::MessageCreated { message },
            },
            store::events::NewEvent {
                account,
                dialog: record.id,
                facts,
                event: ServerEvent::DialogUpdated {
                    dialog_id: record.id,
                },
            },
        ],
    )
    .await?;
    tracing::info!(dialog = %record.id, action = ?action, status = ?after.status, "dialog action");
    Ok(after.status)
}

/// `pass_for_review` for the web app and the REST API.
#[cfg(feature = "ssr")]
pub async fn pass(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    id: DialogId,
    to: UserId,
    messages: &[MessageId],
) -> Result<DialogId, AppError> {
    use crate::domain::ServerEvent;
    use crate::domain::lifecycle::SystemEvent;
    use crate::store;

    if messages.len() as i64 > store::lifecycle::MAX_REVIEW_MESSAGES {
        return Err(AppError::validation("messages", "error.review.too_many"));
    }
    if to == user.user_id {
        return Err(AppError::validation("to", "error.dialog.same_target"));
    }
    let mut tx = pool.begin().await?;
    let record = store::dialogs::find(&mut tx, access, id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = user.account_id;
    let to_name = store::lifecycle::user_name(&mut tx, account, to)
        .await?
        .ok_or_else(|| AppError::validation("to", "error.dialog.bad_target"))?;
    // Selected messages may come from any of the client's dialogs this user sees as one
    // history (D8).
    let sources: Vec<DialogId> =
        store::dialogs::history_of_client(&mut *tx, access, record.client_id, id)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
    let mut messages = messages.to_vec();
    messages.sort_unstable_by_key(|m| m.0);
    messages.dedup();
    let header = SystemEvent::ForReview {
        by: user.display_name.clone(),
        number: record.number,
    };
    let review = store::lifecycle::Review {
        from: id,
        sources: &sources,
        to,
        initiator: user.user_id,
        messages: &messages,
        header: &header,
    };
    let (copy, copied, first) = store::lifecycle::review_copy(&mut tx, account, &review).await?;
    if copied == 0 || (!messages.is_empty() && copied != messages.len()) {
        // An unknown message, one of a dialog not in sight, or a system message: nothing
        // is passed.
        return Err(AppError::validation(
            "messages",
            "error.review.bad_messages",
        ));
    }
    let passed = SystemEvent::PassedForReview {
        by: user.display_name.clone(),
        to: to_name,
    };
    let note =
        store::lifecycle::system_message(&mut tx, account, id, user.user_id, &passed).await?;
    let copy_facts = store::inbound::facts(&mut *tx, account, copy).await?;
    store::events::publish_many(
        &mut tx,
        &[
            store::events::NewEvent {
                account,
                dialog: id,
                facts: record.facts(),
                event: ServerEvent::MessageCreated { message: note },
            },
            store::events::NewEvent {
                account,
                dialog: copy,
                facts: copy_facts.clone(),
                event: ServerEvent::MessageCreated { message: first },
            },
            store::events::NewEvent {
                account,
                dialog: copy,
                facts: copy_facts,
                event: ServerEvent::DialogUpdated { dialog_id: copy },
            },
        ],
    )
    .await?;
    tx.commit().await?;
    tracing::info!(dialog = %id, copy = %copy, messages = copied, "passed for review");
    Ok(copy)
}
