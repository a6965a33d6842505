//! Storing what messengers send: idempotent on the messenger's message id, one client per
//! person (matched by chat, phone and email), a new dialog when none is active.

use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::event::DialogFacts;
use crate::domain::inbound::{InboundChat, InboundMessage, normalize_phone};
use crate::domain::{
    AccountId, ChannelId, ChannelKind, ClientId, DeliveryState, DialogId, DialogStatus, Direction,
    LineId, MessageId, MessageKind, MessageView, UserId,
};
use crate::store::messages::{self, External, NewMessage};

/// A channel as the ingest path and the delivery worker need it, secrets included. Never
/// sent to the browser.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRecord {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub kind: ChannelKind,
    pub name: String,
    pub line_id: Option<LineId>,
    pub enabled: bool,
    pub settings: Json<Value>,
    pub credentials: Json<Value>,
}

/// A channel by id, whatever its account: a webhook names its channel in the path and
/// proves who it is with the channel's secret, checked by the adapter.
pub async fn channel(
    db: impl PgExecutor<'_>,
    id: ChannelId,
) -> sqlx::Result<Option<ChannelRecord>> {
    sqlx::query_as(
        "SELECT id, account_id, kind, name, line_id, enabled, settings, credentials
           FROM channels WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// What storing an inbound message did.
// One value per inbound message, returned once and matched at once: boxing the large
// variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Stored {
    /// The message was stored before (the messenger repeated its webhook).
    Duplicate,
    Created {
        message: MessageView,
        facts: DialogFacts,
        new_dialog: bool,
        /// Files waiting to be fetched from the messenger.
        attachments: Vec<(i64, String)>,
        /// A blocked client's message, kept in a closed dialog: it raises no live event (C6).
        quiet: bool,
    },
}

/// Stores a client's message inside the caller's transaction. Messages of one chat are
/// stored one at a time (a transaction-scoped advisory lock), so two webhooks of a new
/// client never make two clients or two dialogs.
pub async fn store_message(
    conn: &mut PgConnection,
    channel: &ChannelRecord,
    line: LineId,
    message: &InboundMessage,
) -> sqlx::Result<Stored> {
    lock_chat(conn, channel.id, &message.chat.external_id).await?;

    let seen: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM messages
          WHERE channel_id = $1 AND external_id = $2 AND external_id IS NOT NULL",
    )
    .bind(channel.id)
    .bind(&message.external_id)
    .fetch_optional(&mut *conn)
    .await?;
    if seen.is_some() {
        return Ok(Stored::Duplicate);
    }

    let client = find_or_create_client(
        conn,
        channel,
        line,
        &message.chat,
        FirstContact::ClientWrote,
    )
    .await?;
    let (dialog, new_dialog, facts, quiet) =
        find_or_open_dialog(conn, channel, line, client, message.chat.is_group).await?;

    let body = message.body();
    let sender_name = message
        .sender_name
        .as_deref()
        .map(|n| crate::domain::inbound::cut(n, 300));
    let Some(view) = messages::append(
        conn,
        &NewMessage {
            account: channel.account_id,
            dialog,
            kind: MessageKind::Message,
            direction: Direction::In,
            author: None,
            body: &body,
            external: Some(External {
                channel: channel.id,
                external_id: &message.external_id,
                sender_name: sender_name.as_deref(),
                sent_at: message.sent_at,
            }),
            subject: message.subject.as_deref(),
            template: None,
            buttons: &[],
            system: None,
        },
    )
    .await?
    else {
        return Ok(Stored::Duplicate);
    };

    let mut attachments = Vec::with_capacity(message.attachments.len());
    for file in &message.attachments {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (account_id, message_id, kind, file_name, mime_type,
                                      size_bytes, source)
             VALUES ($1, $2, $3, $4, coalesce($5, 'application/octet-stream'), $6, $7)
             RETURNING id",
        )
        .bind(channel.account_id)
        .bind(view.id)
        .bind(file.kind.as_str())
        .bind(crate::domain::inbound::cut(&file.file_name, 300))
        .bind(&file.mime_type)
        .bind(file.size_bytes)
        .bind(&file.source)
        .fetch_one(&mut *conn)
        .await?;
        attachments.push((id, file.source.clone()));
    }
    let message = if attachments.is_empty() {
        view
    } else {
        messages::view(&mut *conn, view.id).await?
    };
    Ok(Stored::Created {
        message,
        facts,
        new_dialog,
        attachments,
        quiet,
    })
}

/// A client's message to store in a batch, with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub channel: &'a ChannelRecord,
    pub line: LineId,
    pub message: &'a InboundMessage,
}

/// Stores client messages inside the caller's transaction, in order; the caller holds
/// `lock_chats` for every chat among them. Messages of a known client with an open dialog
/// and no files (the common case) are stored together in two round trips; the others (a new
/// client, a new dialog, files) one by one with `store_message`, after the ones stored
/// together. Once a chat has a message stored one by one, its later messages are too, so
/// the order within a chat is kept.
pub async fn store_messages(
    conn: &mut PgConnection,
    items: &[Incoming<'_>],
) -> sqlx::Result<Vec<Stored>> {
    type Known = (
        bool,
        Option<DialogId>,
        Option<LineId>,
        Option<DialogStatus>,
        Option<UserId>,
        Option<Vec<UserId>>,
        Option<UserId>,
        Option<crate::domain::GroupId>,
    );
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let channels: Vec<ChannelId> = items.iter().map(|i| i.channel.id).collect();
    let accounts: Vec<AccountId> = items.iter().map(|i| i.channel.account_id).collect();
    let chats: Vec<&str> = items
        .iter()
        .map(|i| i.message.chat.external_id.as_str())
        .collect();
    let external_ids: Vec<&str> = items
        .iter()
        .map(|i| i.message.external_id.as_str())
        .collect();
    // For each message: stored before? The client's open dialog on the channel (locked,
    // so an operator closing it waits until this transaction ends), with who may see it.
    let known: Vec<Known> = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM messages m
                         WHERE m.channel_id = t.channel_id AND m.external_id = t.external_id
                           AND m.external_id IS NOT NULL),
                d.id, d.line_id, d.status, d.assignee_id, d.participant_ids,
                d.queue_user_id, d.queue_group_id
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
                WITH ORDINALITY AS t(channel_id, account_id, chat, external_id, n)
           LEFT JOIN client_identities ci
                  ON ci.channel_id = t.channel_id AND ci.external_id = t.chat
           LEFT JOIN LATERAL (
                SELECT d.id, d.line_id, d.status, d.assignee_id,
                       array(SELECT p.user_id FROM dialog_participants p
                              WHERE p.dialog_id = d.id) AS participant_ids,
                       d.queue_user_id, d.queue_group_id
                  FROM dialogs d
                 WHERE d.account_id = t.account_id AND d.client_id = ci.client_id
                   AND d.channel_id = t.channel_id
                   AND d.status NOT IN ('closed', 'for_review')
                   FOR UPDATE OF d) d ON true
          ORDER BY t.n",
    )
    .bind(&channels)
    .bind(&accounts)
    .bind(&chats)
    .bind(&external_ids)
    .fetch_all(&mut *conn)
    .await?;

    let mut stored: Vec<Option<Stored>> = vec![None; items.len()];
    let mut one_by_one: Vec<usize> = Vec::new();
    let mut slowed: std::collections::HashSet<(ChannelId, &str)> = Default::default();
    let mut together: Vec<(usize, DialogId, DialogFacts)> = Vec::new();
    for (i, (item, row)) in items.iter().zip(known).enumerate() {
        let chat = (item.channel.id, item.message.chat.external_id.as_str());
        let (
            seen,
            dialog,
            line_id,
            status,
            assignee_id,
            participant_ids,
            queue_user_id,
            queue_group_id,
        ) = row;
        let open = dialog.zip(line_id).zip(status);
        match open {
            _ if seen => stored[i] = Some(Stored::Duplicate),
            Some(((dialog, line_id), status))
                if item.message.attachments.is_empty() && !slowed.contains(&chat) =>
            {
                together.push((
                    i,
                    dialog,
                    DialogFacts {
                        line_id,
                        status,
                        assignee_id,
                        participant_ids: participant_ids.unwrap_or_default(),
                        queue_user_id,
                        queue_group_id,
                        before: None,
                    },
                ));
            }
            _ => {
                slowed.insert(chat);
                one_by_one.push(i);
            }
        }
    }

    if !together.is_empty() {
        let bodies: Vec<String> = together
            .iter()
            .map(|(i, _, _)| items[*i].message.body())
            .collect();
        let senders: Vec<Option<String>> = together
            .iter()
            .map(|(i, _, _)| {
                items[*i]
                    .message
                    .sender_name
                    .as_deref()
                    .map(|n| crate::domain::inbound::cut(n, 300))
            })
            .collect();
        let news: Vec<NewMessage<'_>> = together
            .iter()
            .enumerate()
            .map(|(k, (i, dialog, _))| {
                let item = items[*i];
                NewMessage {
                    account: item.channel.account_id,
                    dialog: *dialog,
                    kind: MessageKind::Message,
                    direction: Direction::In,
                    author: None,
                    body: &bodies[k],
                    external: Some(External {
                        channel: item.channel.id,
                        external_id: &item.message.external_id,
                        sender_name: senders[k].as_deref(),
                        sent_at: item.message.sent_at,
                    }),
                    subject: item.message.subject.as_deref(),
                    template: None,
                    buttons: &[],
                    system: None,
                }
            })
            .collect();
        let ids = messages::insert_many(conn, &news).await?;
        for ((k, (i, _, facts)), id) in together.iter().enumerate().zip(ids) {
            stored[*i] = Some(match id {
                Some((id, created_at)) => Stored::Created {
                    message: news[k].stored_view(id, created_at),
                    facts: facts.clone(),
                    new_dialog: false,
                    attachments: Vec::new(),
                    quiet: false,
                },
                None => Stored::Duplicate,
            });
        }
    }

    for i in one_by_one {
        let item = items[i];
        stored[i] = Some(store_message(conn, item.channel, item.line, item.message).await?);
    }
    Ok(stored
        .into_iter()
        .map(|s| s.unwrap_or(Stored::Duplicate))
        .collect())
}

/// Who made a new client: an unknown sender (a potential client when the line says so,
/// B4/F5), or an operator who writes first (they know who they write to: a client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstContact {
    ClientWrote,
    OperatorWrote,
}

/// Serialises everything stored for one chat of a channel until the caller's transaction
/// ends, so concurrent webhooks (or an operator starting a dialog while the client writes)
/// never make two clients or two dialogs.
pub async fn lock_chat(
    conn: &mut PgConnection,
    channel: ChannelId,
    chat: &str,
) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1::int, hashtext($2))")
        .bind(channel.0 as i32)
        .bind(chat)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// `lock_chat` for several chats at once, in one sorted order, so two transactions that
/// lock overlapping sets never wait for each other in a circle.
pub async fn lock_chats(conn: &mut PgConnection, chats: &[(ChannelId, &str)]) -> sqlx::Result<()> {
    if chats.is_empty() {
        return Ok(());
    }
    let channels: Vec<i32> = chats.iter().map(|(c, _)| c.0 as i32).collect();
    let ids: Vec<&str> = chats.iter().map(|(_, chat)| *chat).collect();
    sqlx::query(
        "SELECT count(pg_advisory_xact_lock(c, h))
           FROM (SELECT DISTINCT c, hashtext(x) AS h
                   FROM unnest($1::int[], $2::text[]) AS t(c, x)
                  ORDER BY c, h) AS sorted",
    )
    .bind(&channels)
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The client behind a chat: the one already known on this channel, else one with the same
/// phone or email in the account, else a new client. The caller holds `lock_chat`.
pub async fn find_or_create_client(
    conn: &mut PgConnection,
    channel: &ChannelRecord,
    line: LineId,
    chat: &InboundChat,
    first: FirstContact,
) -> sqlx::Result<ClientId> {
    let known: Option<ClientId> = sqlx::query_scalar(
        "SELECT client_id FROM client_identities WHERE channel_id = $1 AND external_id = $2",
    )
    .bind(channel.id)
    .bind(&chat.external_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(client) = known {
        return Ok(client);
    }
    let phone = chat.phone.as_deref().and_then(normalize_phone);
    let email = chat.email.as_deref().map(|e| e.trim().to_lowercase());
    let matched: Option<ClientId> = if chat.is_group {
        None
    } else {
        sqlx::query_scalar(
            "SELECT id FROM clients
              WHERE account_id = $1
                AND (($2::text IS NOT NULL AND phone = $2)
                  OR ($3::text IS NOT NULL AND lower(email) = $3))
              ORDER BY id LIMIT 1",
        )
        .bind(channel.account_id)
        .bind(&phone)
        .bind(&email)
        .fetch_optional(&mut *conn)
        .await?
    };
    let client = match matched {
        Some(client) => client,
        None => {
            let name = if chat.name.trim().is_empty() {
                chat.username
                    .clone()
                    .or_else(|| phone.clone())
                    .or_else(|| email.clone())
                    .unwrap_or_else(|| chat.external_id.clone())
            } else {
                chat.name.trim().to_owned()
            };
            sqlx::query_scalar(
                "INSERT INTO clients (account_id, name, phone, username, email, is_potential)
                 SELECT $1, $2, $3, $4, $5, NOT $7 AND NOT l.unknown_become_clients
                   FROM lines l WHERE l.id = $6 AND l.account_id = $1
                 RETURNING id",
            )
            .bind(channel.account_id)
            .bind(crate::domain::inbound::cut(&name, 300))
            .bind(&phone)
            .bind(&chat.username)
            .bind(&email)
            .bind(line)
            .bind(first == FirstContact::OperatorWrote)
            .fetch_one(&mut *conn)
            .await?
        }
    };
    sqlx::query(
        "INSERT INTO client_identities (account_id, client_id, channel_id, external_id, display)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(channel.account_id)
    .bind(client)
    .bind(channel.id)
    .bind(&chat.external_id)
    .bind(chat.username.as_ref().map(|u| format!("@{u}")))
    .execute(&mut *conn)
    .await?;
    Ok(client)
}

/// The client's active dialog on this channel with who may see it, or a new one (a message
/// after closing opens a new dialog, D2). The last value is true for a blocked client
/// without an active dialog (C6): their message goes into their latest closed dialog on the
/// channel, or into a new one created closed, so it is kept but reaches no New list, no
/// counter and no live event.
async fn find_or_open_dialog(
    conn: &mut PgConnection,
    channel: &ChannelRecord,
    line: LineId,
    client: ClientId,
    is_group: bool,
) -> sqlx::Result<(DialogId, bool, DialogFacts, bool)> {
    type Active = (
        DialogId,
        LineId,
        DialogStatus,
        Option<UserId>,
        Vec<UserId>,
        Option<UserId>,
        Option<crate::domain::GroupId>,
    );
    let active: Option<Active> = sqlx::query_as(
        "SELECT d.id, d.line_id, d.status, d.assignee_id,
                array(SELECT p.user_id FROM dialog_participants p WHERE p.dialog_id = d.id),
                d.queue_user_id, d.queue_group_id
           FROM dialogs d
          WHERE d.account_id = $1 AND d.client_id = $2 AND d.channel_id = $3
            AND d.status NOT IN ('closed', 'for_review')
          FOR UPDATE OF d",
    )
    .bind(channel.account_id)
    .bind(client)
    .bind(channel.id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((
        dialog,
        line_id,
        status,
        assignee_id,
        participant_ids,
        queue_user_id,
        queue_group_id,
    )) = active
    {
        let facts = DialogFacts {
            line_id,
            status,
            assignee_id,
            participant_ids,
            queue_user_id,
            queue_group_id,
            before: None,
        };
        return Ok((dialog, false, facts, false));
    }
    let blocked: bool =
        sqlx::query_scalar("SELECT blocked FROM clients WHERE account_id = $1 AND id = $2")
            .bind(channel.account_id)
            .bind(client)
            .fetch_one(&mut *conn)
            .await?;
    if blocked {
        let latest: Option<DialogId> = sqlx::query_scalar(
            "SELECT id FROM dialogs
              WHERE account_id = $1 AND client_id = $2 AND channel_id = $3 AND status = 'closed'
              ORDER BY id DESC LIMIT 1
              FOR UPDATE",
        )
        .bind(channel.account_id)
        .bind(client)
        .bind(channel.id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(dialog) = latest {
            let facts = facts(&mut *conn, channel.account_id, dialog).await?;
            return Ok((dialog, false, facts, true));
        }
    }
    let number: i64 = sqlx::query_scalar(
        "UPDATE accounts SET next_dialog_number = next_dialog_number + 1
          WHERE id = $1 RETURNING next_dialog_number - 1",
    )
    .bind(channel.account_id)
    .fetch_one(&mut *conn)
    .await?;
    let status = if blocked {
        DialogStatus::Closed
    } else {
        DialogStatus::New
    };
    let dialog: DialogId = sqlx::query_scalar(
        "INSERT INTO dialogs (account_id, number, status, line_id, channel_id, client_id, is_group,
                              closed_at)
         VALUES ($1, $2, $7, $3, $4, $5, $6, CASE WHEN $7 = 'closed'::dialog_status THEN now() END)
         RETURNING id",
    )
    .bind(channel.account_id)
    .bind(number)
    .bind(line)
    .bind(channel.id)
    .bind(client)
    .bind(is_group)
    .bind(status)
    .fetch_one(&mut *conn)
    .await?;
    let facts = DialogFacts {
        line_id: line,
        status,
        assignee_id: None,
        participant_ids: Vec::new(),
        queue_user_id: None,
        queue_group_id: None,
        before: None,
    };
    Ok((dialog, true, facts, blocked))
}

/// Who may see events of a dialog, as it is now.
pub async fn facts(
    db: impl PgExecutor<'_>,
    account: AccountId,
    dialog: DialogId,
) -> sqlx::Result<DialogFacts> {
    type Row = (
        LineId,
        DialogStatus,
        Option<UserId>,
        Vec<UserId>,
        Option<UserId>,
        Option<crate::domain::GroupId>,
    );
    let (line_id, status, assignee_id, participant_ids, queue_user_id, queue_group_id): Row =
        sqlx::query_as(
            "SELECT d.line_id, d.status, d.assignee_id,
                    array(SELECT DISTINCT p.user_id FROM dialog_participants p
                           WHERE p.dialog_id = d.id),
                    d.queue_user_id, d.queue_group_id
               FROM dialogs d WHERE d.account_id = $1 AND d.id = $2",
        )
        .bind(account)
        .bind(dialog)
        .fetch_one(db)
        .await?;
    Ok(DialogFacts {
        line_id,
        status,
        assignee_id,
        participant_ids,
        queue_user_id,
        queue_group_id,
        before: None,
    })
}

/// A message of this channel changed on the messenger's side; returns it as it is now,
/// with its dialog's facts, or None when the message is not known.
pub async fn update_message(
    conn: &mut PgConnection,
    channel: &ChannelRecord,
    external_id: &str,
    change: MessageChange<'_>,
) -> sqlx::Result<Option<(MessageView, DialogFacts)>> {
    let id: Option<(MessageId, DialogId)> = match change {
        MessageChange::Edited { body } => {
            sqlx::query_as(
                "UPDATE messages SET body = $3, edited_at = now()
                  WHERE channel_id = $1 AND external_id = $2 AND external_id IS NOT NULL
                    AND direction = 'in'
                  RETURNING id, dialog_id",
            )
            .bind(channel.id)
            .bind(external_id)
            .bind(body)
            .fetch_optional(&mut *conn)
            .await?
        }
        MessageChange::Deleted => sqlx::query_as(
            "UPDATE messages SET deleted_by = 'client', deleted_at = coalesce(deleted_at, now())
                  WHERE channel_id = $1 AND external_id = $2 AND external_id IS NOT NULL
                    AND direction = 'in'
                  RETURNING id, dialog_id",
        )
        .bind(channel.id)
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?,
        MessageChange::Delivery { state, error } => {
            // States only move forward (a late "delivered" never undoes "read"); "failed"
            // may come after "sent".
            sqlx::query_as(
                "UPDATE messages SET delivery = $3, delivery_error = $4
                  WHERE channel_id = $1 AND external_id = $2 AND external_id IS NOT NULL
                    AND direction = 'out'
                    AND (delivery IS NULL OR delivery < $3 OR $3 = 'failed')
                  RETURNING id, dialog_id",
            )
            .bind(channel.id)
            .bind(external_id)
            .bind(state)
            .bind(error)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let Some((id, dialog)) = id else {
        return Ok(None);
    };
    let view = messages::view(&mut *conn, id).await?;
    let facts = facts(&mut *conn, channel.account_id, dialog).await?;
    Ok(Some((view, facts)))
}

/// A change the messenger reports about a message.
#[derive(Debug, Clone, Copy)]
pub enum MessageChange<'a> {
    Edited {
        body: &'a str,
    },
    Deleted,
    Delivery {
        state: DeliveryState,
        error: Option<&'a str>,
    },
}
