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
    /// Uploaded files to send with the text (or instead of it).
    #[server(default)]
    files: Vec<crate::domain::UploadId>,
    /// Buttons under the message (E10), where the messenger has them.
    #[server(default)]
    buttons: Vec<String>,
    /// The message of this dialog this one answers (E8).
    #[server(default)]
    reply_to: Option<MessageId>,
) -> Result<MessageView, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            let compose = Compose {
                text: &text,
                mode,
                subject: None,
                template: None,
                files: &files,
                buttons: &buttons,
                reply_to,
                forward: None,
            };
            write_message(&state.pool, &user, &access, dialog_id, &compose).await
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
    compose: &Compose<'_>,
) -> Result<MessageView, AppError> {
    let mut tx = pool.begin().await?;
    let message = write_in(&mut tx, user, access, dialog_id, compose).await?;
    tx.commit().await?;
    Ok(message)
}

/// What an operator writes: text in a mode, or an approved WhatsApp template, and for the
/// first email of a dialog its subject.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy)]
pub struct Compose<'a> {
    pub text: &'a str,
    pub mode: ComposerMode,
    pub subject: Option<&'a str>,
    pub template: Option<&'a crate::domain::template::TemplateChoice>,
    /// Uploaded files to send (E3); the text may then be empty.
    pub files: &'a [crate::domain::UploadId],
    /// Buttons under the message (E10).
    pub buttons: &'a [String],
    /// The message of the same dialog this one answers (E8).
    pub reply_to: Option<MessageId>,
    /// A message forwarded here (E8): its stored files go with the text. The caller has
    /// checked the user may see it.
    pub forward: Option<MessageId>,
}

/// `write_message` inside the caller's transaction (starting a dialog writes its first
/// message in the same transaction that opens it).
#[cfg(feature = "ssr")]
pub async fn write_in(
    tx: &mut sqlx::PgConnection,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    dialog_id: DialogId,
    compose: &Compose<'_>,
) -> Result<MessageView, AppError> {
    use crate::domain::template;
    use crate::domain::{ChannelKind, Direction, Draft, MessageKind, ServerEvent};
    use crate::store::{self, messages::NewMessage};

    let record = store::dialogs::find(tx, access, dialog_id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(quoted) = compose.reply_to {
        let quoted = store::messages::lock(&mut *tx, user.account_id, quoted).await?;
        if !quoted.is_some_and(|q| q.dialog_id == dialog_id && q.kind != MessageKind::System) {
            return Err(AppError::validation("reply_to", "message.reply.unknown"));
        }
    }
    // Each upload once, in the order chosen.
    let mut files = compose.files.to_vec();
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(*f));
    if files.len() > crate::domain::MAX_FILES_PER_MESSAGE {
        return Err(AppError::validation(
            "files",
            "composer.error_too_many_files",
        ));
    }
    let (draft, sent_template) = match compose.template {
        Some(_) if !files.is_empty() => {
            return Err(AppError::validation("files", "template.error.files"));
        }
        // Files alone: a message (or note) with no text.
        None if (!files.is_empty() || compose.forward.is_some())
            && compose.text.trim().is_empty() =>
        {
            (
                Draft {
                    kind: match compose.mode {
                        ComposerMode::Note => MessageKind::Note,
                        ComposerMode::Message => MessageKind::Message,
                    },
                    body: String::new(),
                },
                None,
            )
        }
        None => (
            Draft::parse(compose.text, compose.mode)
                .map_err(|e| AppError::validation("text", e.key()))?,
            None,
        ),
        Some(choice) => {
            let chosen = store::templates::get(&mut *tx, user.account_id, choice.template_id)
                .await?
                .filter(|t| t.channel_id == record.channel_id)
                .ok_or_else(|| AppError::validation("template", "template.error.unknown"))?;
            if record.channel_kind != ChannelKind::Whatsapp {
                return Err(AppError::validation("template", "template.error.unknown"));
            }
            let sent = template::validate(&chosen, choice)
                .map_err(|e| AppError::validation(e.field(), e.key()))?;
            (
                Draft {
                    kind: MessageKind::Message,
                    body: template::render_sent(&chosen, &sent),
                },
                Some(sent),
            )
        }
    };
    // Buttons go under a text message only: a note, files or a template leave no text for
    // them (they are refused as needing text).
    let plain_message =
        draft.kind == MessageKind::Message && sent_template.is_none() && files.is_empty();
    let buttons = crate::domain::buttons::validate(
        record.channel_kind,
        compose.buttons,
        if plain_message { &draft.body } else { "" },
    )
    .map_err(|e| AppError::validation("buttons", e.key()))?;
    let facts = record.facts();
    let allowed = match draft.kind {
        MessageKind::Message => access.can_reply(&facts, &record.state()),
        _ => access.can_note(&facts),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    // Replying to a dialog waiting in the queue accepts it (D4), with its system message
    // before the reply.
    let facts = if draft.kind == MessageKind::Message && record.status.is_queued() {
        crate::api::lifecycle::step(
            tx,
            user,
            access,
            &record,
            &crate::domain::lifecycle::Action::Accept,
        )
        .await?;
        store::inbound::facts(&mut *tx, user.account_id, dialog_id).await?
    } else {
        facts
    };
    let direction = match draft.kind {
        MessageKind::Message => Direction::Out,
        _ => Direction::Internal,
    };
    let subject = match draft.kind {
        MessageKind::Message => compose.subject,
        _ => None,
    };
    let message = store::messages::append(
        &mut *tx,
        &NewMessage {
            account: user.account_id,
            dialog: dialog_id,
            kind: draft.kind,
            direction,
            author: Some(user.user_id),
            body: &draft.body,
            external: None,
            subject,
            template: sent_template.as_ref(),
            buttons: &buttons,
            system: None,
        },
    )
    .await?
    .ok_or(AppError::Internal)?;
    if compose.reply_to.is_some() || compose.forward.is_some() {
        store::messages::link(&mut *tx, message.id, compose.reply_to, compose.forward).await?;
    }
    let forwarded_files = match compose.forward {
        Some(from) => {
            store::messages::copy_files(&mut *tx, user.account_id, from, message.id).await?
        }
        None => 0,
    };
    if compose.forward.is_some() && draft.body.is_empty() && forwarded_files == 0 {
        return Err(AppError::validation("text", "composer.error_empty"));
    }
    let message = if files.is_empty() && compose.reply_to.is_none() && compose.forward.is_none() {
        message
    } else if files.is_empty() {
        let message = store::messages::view(&mut *tx, message.id).await?;
        if draft.body.is_empty() {
            store::messages::describe_files(&mut *tx, user.account_id, dialog_id, &message).await?;
        }
        message
    } else {
        let attached =
            store::uploads::attach(&mut *tx, user.account_id, user.user_id, message.id, &files)
                .await?;
        if attached != files.len() {
            // An unknown id, or another user's upload: nothing of this is written.
            return Err(AppError::NotFound);
        }
        let message = store::messages::view(&mut *tx, message.id).await?;
        if draft.body.is_empty() {
            store::messages::describe_files(&mut *tx, user.account_id, dialog_id, &message).await?;
        }
        message
    };
    store::events::publish(
        &mut *tx,
        user.account_id,
        dialog_id,
        &facts,
        &ServerEvent::MessageCreated {
            message: message.clone(),
        },
    )
    .await?;
    tracing::info!(dialog = %dialog_id, message = %message.id, kind = ?draft.kind, files = files.len(), "message written");
    Ok(message)
}

/// Sends an approved WhatsApp template into a dialog (E6): the only message WhatsApp
/// delivers once the client has been silent for 24 hours.
#[server(endpoint = "send_template")]
pub async fn send_template(
    dialog_id: DialogId,
    choice: crate::domain::template::TemplateChoice,
) -> Result<MessageView, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            let mut tx = state.pool.begin().await?;
            let message = write_in(
                &mut tx,
                &user,
                &access,
                dialog_id,
                &Compose {
                    text: "",
                    mode: ComposerMode::Message,
                    subject: None,
                    template: Some(&choice),
                    files: &[],
                    buttons: &[],
                    reply_to: None,
                    forward: None,
                },
            )
            .await?;
            tx.commit().await?;
            Ok(message)
        }
        .await,
    )
}

/// The approved WhatsApp templates the composer of a dialog offers (none for other
/// channels).
#[server(endpoint = "dialog_templates")]
pub async fn dialog_templates(
    dialog_id: DialogId,
) -> Result<Vec<crate::domain::template::TemplateView>, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::ChannelKind;
            use crate::store;

            let (state, user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let record = store::dialogs::find(&mut conn, &access, dialog_id, false)
                .await?
                .ok_or(AppError::NotFound)?;
            if record.channel_kind != ChannelKind::Whatsapp {
                return Ok(Vec::new());
            }
            Ok(store::templates::approved(&mut *conn, user.account_id, record.channel_id).await?)
        }
        .await,
    )
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
            let deleted = store::messages::lock(&mut tx, user.account_id, message_id)
                .await?
                .is_some_and(|m| m.deleted);
            if deleted {
                return Err(AppError::Conflict("error.message.not_failed".into()));
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

/// Forwards a message or note to another dialog (E8): its text and stored files, as a
/// message to that dialog's client or as a note there. The source must be visible to the
/// user; the target follows the composer's rules.
#[server(endpoint = "forward_message")]
pub async fn forward_message(
    message_id: MessageId,
    to: DialogId,
    mode: ComposerMode,
) -> Result<MessageView, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::MessageKind;
            use crate::store;

            let (state, user, access) = crate::auth::authorize().await?;
            let mut tx = state.pool.begin().await?;
            let source = store::messages::lock(&mut tx, user.account_id, message_id)
                .await?
                .ok_or(AppError::NotFound)?;
            store::dialogs::find(&mut tx, &access, source.dialog_id, false)
                .await?
                .ok_or(AppError::NotFound)?;
            if source.kind == MessageKind::System || source.deleted {
                return Err(AppError::validation(
                    "message",
                    "message.forward.unavailable",
                ));
            }
            if source.pending_files > 0 {
                return Err(AppError::validation(
                    "message",
                    "message.forward.files_loading",
                ));
            }
            let compose = Compose {
                text: &source.body,
                mode,
                subject: None,
                template: None,
                files: &[],
                buttons: &[],
                reply_to: None,
                forward: Some(source.id),
            };
            let message = write_in(&mut tx, &user, &access, to, &compose).await?;
            tx.commit().await?;
            Ok(message)
        }
        .await,
    )
}

/// Deletes a message (E8) where its messenger allows: it stays in the chat, marked with
/// who deleted it and when, and a job deletes it at the client's side. Notes are deleted
/// by their author or the dialog's manager.
#[server(endpoint = "delete_message")]
pub async fn delete_message(message_id: MessageId) -> Result<MessageView, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            delete(&state.pool, &user, &access, message_id).await
        }
        .await,
    )
}

/// `delete_message` for the web app and the REST API: the rules in one place.
#[cfg(feature = "ssr")]
pub async fn delete(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    message_id: MessageId,
) -> Result<MessageView, AppError> {
    use crate::domain::message::DeleteCase;
    use crate::domain::{ChannelKind, MessageKind};
    use crate::store;

    let mut tx = pool.begin().await?;
    let (message, record) = in_sight(&mut tx, access, message_id, true).await?;
    let facts = record.facts();
    let case = DeleteCase {
        kind: message.kind,
        direction: message.direction,
        channel: record.channel_kind,
        age: chrono::Utc::now() - message.created_at,
        deleted: message.deleted,
        own: message.author_user_id == Some(user.user_id),
        may_reply: false,
        manages: false,
    };
    match access.may_delete_message(&facts, &record.state(), case) {
        Ok(()) => {}
        Err("error.not_found") => return Err(AppError::NotFound),
        Err(key @ ("message.delete.no_rights" | "message.delete.not_author")) => {
            tracing::info!(message = %message_id, reason = key, "delete refused");
            return Err(AppError::Forbidden);
        }
        Err(key) => return Err(AppError::validation("message", key)),
    }
    store::messages::mark_deleted(&mut tx, user.account_id, message_id, user.user_id).await?;
    if message.kind == MessageKind::Message && record.channel_kind != ChannelKind::Internal {
        store::jobs::enqueue(
            &mut tx,
            user.account_id,
            store::messages::DELETE_AT_CLIENT_JOB,
            &serde_json::json!({ "message_id": message_id.0 }),
        )
        .await?;
    }
    let view = updated(&mut tx, user.account_id, &facts, message_id).await?;
    tx.commit().await?;
    tracing::info!(message = %message_id, dialog = %message.dialog_id, "message deleted");
    Ok(view)
}

/// Stars a message as important, or takes the star off (E9). Anyone who sees the dialog
/// may: the star marks a stage of the talk for the whole team.
#[server(endpoint = "star_message")]
pub async fn star_message(message_id: MessageId, important: bool) -> Result<MessageView, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            star(&state.pool, &user, &access, message_id, important).await
        }
        .await,
    )
}

/// `star_message` for the web app and the REST API.
#[cfg(feature = "ssr")]
pub async fn star(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    message_id: MessageId,
    important: bool,
) -> Result<MessageView, AppError> {
    use crate::domain::MessageKind;
    use crate::store;

    let mut tx = pool.begin().await?;
    let (message, record) = in_sight(&mut tx, access, message_id, false).await?;
    if message.kind == MessageKind::System {
        return Err(AppError::validation("message", "message.star.system"));
    }
    store::messages::set_important(
        &mut *tx,
        user.account_id,
        message_id,
        user.user_id,
        important,
    )
    .await?;
    let view = updated(&mut tx, user.account_id, &record.facts(), message_id).await?;
    tx.commit().await?;
    Ok(view)
}

/// A message (locked) and its dialog, when the user may see that dialog; `NotFound`
/// otherwise, as for an unknown id or another account's.
#[cfg(feature = "ssr")]
async fn in_sight(
    tx: &mut sqlx::PgConnection,
    access: &crate::auth::Access,
    message_id: MessageId,
    lock_dialog: bool,
) -> Result<
    (
        crate::store::messages::MessageFacts,
        crate::store::dialogs::DialogRecord,
    ),
    AppError,
> {
    use crate::store;
    let message = store::messages::lock(&mut *tx, access.account_id, message_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let record = store::dialogs::find(tx, access, message.dialog_id, lock_dialog)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((message, record))
}

/// The changed message as the browsers see it, with its live event.
#[cfg(feature = "ssr")]
async fn updated(
    tx: &mut sqlx::PgConnection,
    account: crate::domain::AccountId,
    facts: &crate::domain::event::DialogFacts,
    message_id: MessageId,
) -> Result<MessageView, AppError> {
    use crate::domain::ServerEvent;
    use crate::store;
    let view = store::messages::view(&mut *tx, message_id).await?;
    store::events::publish(
        &mut *tx,
        account,
        view.dialog_id,
        facts,
        &ServerEvent::MessageUpdated {
            message: view.clone(),
        },
    )
    .await?;
    Ok(view)
}

/// The Important tab (E9): starred messages of every dialog the user sees, or of one.
#[server(endpoint = "important_messages")]
pub async fn important_messages(
    #[server(default)] dialog: Option<DialogId>,
) -> Result<Vec<crate::domain::ImportantMessage>, AppError> {
    crate::error::respond(
        async move {
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            if let Some(dialog) = dialog {
                store::dialogs::find(&mut conn, &access, dialog, false)
                    .await?
                    .ok_or(AppError::NotFound)?;
            }
            Ok(store::messages::important(&mut *conn, &access, dialog).await?)
        }
        .await,
    )
}
