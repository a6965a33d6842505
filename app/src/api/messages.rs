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
        None if !files.is_empty() && compose.text.trim().is_empty() => (
            Draft {
                kind: match compose.mode {
                    ComposerMode::Note => MessageKind::Note,
                    ComposerMode::Message => MessageKind::Message,
                },
                body: String::new(),
            },
            None,
        ),
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
    let message = if files.is_empty() {
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
