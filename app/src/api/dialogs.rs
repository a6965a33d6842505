//! The dialog list, counters and one open dialog.

use leptos::prelude::*;

use crate::domain::{
    Counters, DialogDetail, DialogId, DialogPage, DialogPermissions, ListCursor, MessageId,
};
use crate::error::AppError;

/// The messages shown each side of the message a dialog opens at (a found one, or the first
/// unread); a dialog opened at its end shows twice as many of its newest. Few, so the first
/// paint is quick: scrolling loads more at once.
pub const OPEN_HALF: i64 = 50;

/// The messages one more page adds to either side of an open dialog.
pub const PAGE_MESSAGES: i64 = 100;

/// The most extra pages of earlier messages one request takes.
pub const MAX_PAGES: u32 = 20;

/// The filter of the list (C5) from its canonical query string, checked.
#[cfg(feature = "ssr")]
fn read_filter(
    filter: &str,
    tz_offset_minutes: i32,
) -> Result<crate::domain::filter::DialogFilter, AppError> {
    if tz_offset_minutes.abs() > 14 * 60 {
        return Err(AppError::validation(
            "tz_offset_minutes",
            "error.validation",
        ));
    }
    crate::domain::filter::DialogFilter::parse(filter)
        .map_err(|e| AppError::validation(&e.key, e.message))
}

/// One page of the inbox through a filter (the list's query string, see `domain::filter`).
#[server(endpoint = "list_dialogs")]
pub async fn list_dialogs(
    filter: String,
    tz_offset_minutes: i32,
    after: Option<ListCursor>,
    limit: i64,
) -> Result<DialogPage, AppError> {
    crate::error::respond(
        async move {
            let filter = read_filter(&filter, tz_offset_minutes)?;
            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            Ok(crate::store::dialogs::list(
                &mut conn,
                &access,
                &filter,
                tz_offset_minutes,
                after,
                limit,
            )
            .await?)
        }
        .await,
    )
}

/// The most dialogs one `dialog_rows` call looks at.
pub const MAX_ROWS_AMONG: usize = 100;

/// Those of `ids` that pass the filter, as list rows: what a live event changed, so the
/// list patches the rows it holds instead of loading its pages again. A dialog missing from
/// the answer no longer belongs in the list (or never did, or may not be seen).
#[server(endpoint = "dialog_rows")]
pub async fn dialog_rows(
    filter: String,
    tz_offset_minutes: i32,
    ids: Vec<DialogId>,
) -> Result<Vec<crate::domain::DialogRow>, AppError> {
    crate::error::respond(
        async move {
            let filter = read_filter(&filter, tz_offset_minutes)?;
            if ids.len() > MAX_ROWS_AMONG {
                return Err(AppError::validation("ids", "error.validation"));
            }
            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            Ok(crate::store::dialogs::rows_among(
                &mut conn,
                &access,
                &filter,
                tz_offset_minutes,
                &ids,
            )
            .await?)
        }
        .await,
    )
}

/// Unread counts per section within the rest of the filter.
#[server(endpoint = "get_counters")]
pub async fn get_counters(filter: String, tz_offset_minutes: i32) -> Result<Counters, AppError> {
    crate::error::respond(
        async move {
            let filter = read_filter(&filter, tz_offset_minutes)?;
            let (state, _user, access) = crate::auth::authorize().await?;
            Ok(
                crate::store::dialogs::counters(&state.pool, &access, &filter, tz_offset_minutes)
                    .await?,
            )
        }
        .await,
    )
}

/// What the filter bar offers (C5): the lines this user sees, channel kinds, users, tags.
#[server(endpoint = "filter_options")]
pub async fn filter_options() -> Result<crate::domain::filter::FilterOptions, AppError> {
    crate::error::respond(
        async move {
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let account = access.account_id;
            let lines = store::lines::list(&state.pool, account)
                .await?
                .into_iter()
                .filter(|l| access.can_view_line(l.id))
                .map(|l| (l.id, l.name))
                .collect();
            Ok(crate::domain::filter::FilterOptions {
                lines,
                channels: store::lines::channel_kinds(&state.pool, account).await?,
                users: store::accounts::active_users(&state.pool, account).await?,
                tags: store::tags::list(&state.pool, account).await?,
            })
        }
        .await,
    )
}

/// An open dialog with its newest messages; `pages` more pages of earlier ones when the
/// reader asked for them. In single-window mode (D8) the messages are the client's whole
/// history across the dialogs this user may see. Unknown ids and other accounts' ids are
/// both `NotFound`.
///
/// A long dialog opens as a window: around `at` (a found message) when given and part of
/// this history, else at the first unread message when more than `OPEN_HALF` are unread;
/// `pages` and `later` widen the window back and forth.
#[server(endpoint = "get_dialog")]
pub async fn get_dialog(
    id: DialogId,
    pages: Option<u32>,
    at: Option<MessageId>,
    later: Option<u32>,
) -> Result<DialogDetail, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::{DialogStatus, DialogView};
            use crate::store;

            let (state, user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let Some(record) = store::dialogs::find(&mut conn, &access, id, false).await? else {
                // Someone else accepted a dialog this user saw in the queue: say so.
                return Err(crate::api::lifecycle::unseen(&mut conn, &access, id).await?);
            };
            let pages = i64::from(pages.unwrap_or(0).min(MAX_PAGES));
            let later = i64::from(later.unwrap_or(0).min(MAX_PAGES));
            // A review copy repeats messages kept elsewhere: it is shown on its own.
            let single_window = user.single_window && record.status != DialogStatus::ForReview;
            let (ids, other_dialogs) = if single_window {
                let mut dialogs =
                    store::dialogs::history_of_client(&mut *conn, &access, record.client_id, id)
                        .await?;
                let ids: Vec<DialogId> = dialogs.iter().map(|d| d.id).collect();
                dialogs.retain(|d| d.id != id);
                (ids, dialogs)
            } else {
                let others =
                    store::dialogs::others_of_client(&mut *conn, &access, record.client_id, id)
                        .await?;
                (vec![id], others)
            };
            let anchor = match at {
                Some(message)
                    if store::messages::belongs_to(
                        &mut *conn,
                        access.account_id,
                        &ids,
                        message,
                    )
                    .await? =>
                {
                    Some(message)
                }
                // A link to a message of another dialog opens this one as usual.
                Some(_) => None,
                None => {
                    store::messages::first_unread(
                        &mut conn,
                        access.account_id,
                        id,
                        access.user_id,
                        OPEN_HALF,
                    )
                    .await?
                }
            };
            let (messages, has_earlier, has_later) = match anchor {
                Some(anchor) => {
                    store::messages::around(
                        &mut conn,
                        access.account_id,
                        &ids,
                        anchor,
                        OPEN_HALF + PAGE_MESSAGES * pages,
                        OPEN_HALF + PAGE_MESSAGES * later,
                        record.hide_system,
                    )
                    .await?
                }
                None => {
                    let (messages, has_earlier) = store::messages::newest_of(
                        &mut *conn,
                        access.account_id,
                        &ids,
                        2 * OPEN_HALF + PAGE_MESSAGES * pages,
                        record.hide_system,
                    )
                    .await?;
                    (messages, has_earlier, false)
                }
            };
            let helpers = store::dialogs::helpers(&mut *conn, &access, id).await?;
            let tags = store::tags::of_dialog(&mut *conn, access.account_id, id).await?;
            let facts = record.facts();
            let lifecycle = record.state();
            let actor = access.actor(&facts);
            let permissions = access.permissions(&facts, &lifecycle, record.channel_kind);
            let actions = lifecycle
                .available(&actor)
                .iter()
                .filter_map(crate::domain::lifecycle::ActionKind::of)
                .collect();
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
                    actions,
                    hide_system: record.hide_system,
                    single_window,
                    helpers,
                    can_manage_helpers: lifecycle.may_manage_helpers(&actor),
                    tags,
                },
                messages,
                has_earlier,
                has_later,
                anchor,
                other_dialogs,
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
            let record = crate::api::dialogs::in_sight(&mut conn, &access, id).await?;
            Ok(access.permissions(&record.facts(), &record.state(), record.channel_kind))
        }
        .await,
    )
}

/// Hides or shows the dialog's system messages for the signed-in user (D6).
#[server(endpoint = "set_hide_system")]
pub async fn set_hide_system(id: DialogId, hide: bool) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            use crate::store;

            let (state, _user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            crate::api::dialogs::in_sight(&mut conn, &access, id).await?;
            store::dialogs::set_hide_system(&mut *conn, &access, id, hide).await?;
            Ok(())
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
            crate::api::dialogs::in_sight(&mut conn, &access, id).await?;
            store::dialogs::mark_read(&mut *conn, &access, id, upto).await?;
            Ok(())
        }
        .await,
    )
}

/// What the "New dialog" form offers this user (C7): the lines they may send on with the
/// channels we can write first on, the approved WhatsApp templates, and the assignees.
#[server(endpoint = "start_options")]
pub async fn start_options() -> Result<crate::domain::start::StartOptions, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::ChannelKind;
            use crate::domain::start::{
                RecipientKind, StartChannel, StartLine, StartOptions, UserOption,
            };
            use crate::store;

            let (state, user, access) = crate::auth::authorize().await?;
            let mut conn = state.pool.acquire().await?;
            let channels = store::lines::channels(&mut *conn, user.account_id).await?;
            let mut lines = Vec::new();
            for line in store::lines::list(&mut *conn, user.account_id).await? {
                if !access.can_start_dialog(line.id) {
                    continue;
                }
                let mut offered = Vec::new();
                for ch in channels
                    .iter()
                    .filter(|c| c.line_id == Some(line.id) && c.enabled)
                {
                    let Some(recipient) = RecipientKind::of(ch.kind) else {
                        continue;
                    };
                    let templates = if ch.kind == ChannelKind::Whatsapp {
                        store::templates::approved(&mut *conn, user.account_id, ch.id).await?
                    } else {
                        Vec::new()
                    };
                    offered.push(StartChannel {
                        id: ch.id,
                        kind: ch.kind,
                        name: ch.name.clone(),
                        recipient,
                        templates,
                    });
                }
                if !offered.is_empty() {
                    lines.push(StartLine {
                        id: line.id,
                        name: line.name,
                        channels: offered,
                    });
                }
            }
            let users = store::accounts::active_users(&mut *conn, user.account_id)
                .await?
                .into_iter()
                .map(|(id, name)| UserOption { id, name })
                .collect();
            Ok(StartOptions {
                lines,
                users,
                me: user.user_id,
            })
        }
        .await,
    )
}

/// Starts a dialog with a client (C7) and sends the first message; returns the dialog to
/// open. A client who already has an active dialog on the channel gets the message there
/// (one active dialog per client and channel, D2).
#[server(endpoint = "start_dialog")]
pub async fn start_dialog(input: crate::domain::start::NewDialog) -> Result<DialogId, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            start(&state.pool, &user, &access, &input).await
        }
        .await,
    )
}

/// `start_dialog` for the web app and the REST API: validates the form, resolves the
/// recipient, opens (or finds) the dialog and writes the first message, in one transaction.
#[cfg(feature = "ssr")]
pub async fn start(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    input: &crate::domain::start::NewDialog,
) -> Result<DialogId, AppError> {
    use crate::api::messages::{Compose, write_in};
    use crate::domain::inbound::{InboundChat, normalize_phone};
    use crate::domain::start::{MAX_SUBJECT_CHARS, Recipient, RecipientKind};
    use crate::domain::{ChannelKind, ComposerMode};
    use crate::store;

    if !access.can_start_dialog(input.line_id) {
        // A line the user may not see and an unknown line answer alike.
        return Err(if access.can_view_line(input.line_id) {
            AppError::Forbidden
        } else {
            AppError::NotFound
        });
    }
    let channel = store::inbound::channel(pool, input.channel_id)
        .await?
        .filter(|c| c.account_id == user.account_id)
        .ok_or(AppError::NotFound)?;
    if channel.line_id != Some(input.line_id) {
        return Err(AppError::validation(
            "channel_id",
            "start.error.channel_line",
        ));
    }
    if !channel.enabled {
        return Err(AppError::validation(
            "channel_id",
            "start.error.channel_off",
        ));
    }
    let kind = RecipientKind::of(channel.kind)
        .ok_or_else(|| AppError::validation("channel_id", "start.error.channel_kind"))?;
    let recipient = Recipient::parse(kind, &input.recipient, normalize_phone)
        .map_err(|e| AppError::validation("recipient", e.0))?;
    let subject = match channel.kind {
        ChannelKind::Email => {
            let subject = input.subject.as_deref().map(str::trim).unwrap_or("");
            if subject.is_empty() {
                return Err(AppError::validation("subject", "start.error.subject_empty"));
            }
            if subject.chars().count() > MAX_SUBJECT_CHARS || subject.contains(['\r', '\n']) {
                return Err(AppError::validation("subject", "start.error.subject_long"));
            }
            Some(subject.to_owned())
        }
        _ => None,
    };
    if input.template.is_some() && channel.kind != ChannelKind::Whatsapp {
        return Err(AppError::validation("template", "template.error.unknown"));
    }
    if input.template.is_none() && input.text.trim().is_empty() && input.files.is_empty() {
        return Err(AppError::validation("text", "composer.error_empty"));
    }
    let assignee = input.assignee_id.unwrap_or(user.user_id);
    if !store::accounts::is_active_user(pool, user.account_id, assignee).await? {
        return Err(AppError::validation("assignee_id", "start.error.assignee"));
    }

    let mut tx = pool.begin().await?;
    let chat_id = match (&recipient, recipient.chat()) {
        (_, Some(chat)) => chat,
        (Recipient::TelegramUsername(name), None) => {
            store::dialogs::telegram_chat_of(&mut *tx, &channel, name)
                .await?
                .ok_or_else(|| AppError::validation("recipient", "start.error.telegram_unknown"))?
        }
        (_, None) => return Err(AppError::Internal),
    };
    let chat = InboundChat {
        name: String::new(),
        username: match &recipient {
            Recipient::TelegramUsername(name) => Some(name.clone()),
            _ => None,
        },
        phone: match &recipient {
            Recipient::Phone(e164) => Some(e164.clone()),
            _ => None,
        },
        email: match &recipient {
            Recipient::Email(address) => Some(address.clone()),
            _ => None,
        },
        external_id: chat_id,
        is_group: false,
    };
    let (dialog, opened) = store::dialogs::open_by_operator(
        &mut tx,
        &channel,
        input.line_id,
        &chat,
        assignee,
        user.user_id,
    )
    .await?;
    write_in(
        &mut tx,
        user,
        access,
        dialog,
        &Compose {
            text: &input.text,
            mode: ComposerMode::Message,
            subject: subject.as_deref(),
            template: input.template.as_ref(),
            files: &input.files,
            buttons: &[],
            reply_to: None,
            forward: None,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(dialog = %dialog, opened, channel = %channel.id, "dialog started by an operator");
    Ok(dialog)
}

/// Asks the server to fetch a WhatsApp channel's templates from Meta again (a template
/// approved a minute ago shows up without waiting for the hourly refresh).
#[server(endpoint = "refresh_templates")]
pub async fn refresh_templates(channel_id: crate::domain::ChannelId) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            use crate::domain::ChannelKind;
            use crate::store;

            let (state, user, access) = crate::auth::authorize().await?;
            let channel = store::inbound::channel(&state.pool, channel_id)
                .await?
                .filter(|c| c.account_id == user.account_id && c.kind == ChannelKind::Whatsapp)
                .filter(|c| c.line_id.is_some_and(|l| access.can_start_dialog(l)))
                .ok_or(AppError::NotFound)?;
            let mut tx = state.pool.begin().await?;
            store::jobs::enqueue_once(
                &mut tx,
                user.account_id,
                store::templates::SYNC_JOB,
                &serde_json::json!({ "channel_id": channel.id }),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

/// The dialog when this user may see it; `NotFound` otherwise (unknown, another account's,
/// or out of sight). For per-user changes that lock nothing.
#[cfg(feature = "ssr")]
pub async fn in_sight(
    conn: &mut sqlx::PgConnection,
    access: &crate::auth::Access,
    id: DialogId,
) -> Result<crate::store::dialogs::DialogRecord, AppError> {
    crate::store::dialogs::find(conn, access, id, false)
        .await?
        .ok_or(AppError::NotFound)
}
