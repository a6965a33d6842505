//! Writing a lifecycle step (D3–D6): the dialog's new state, its participants, the system
//! message, and copies passed for review (D8).

use sqlx::PgConnection;

use crate::domain::lifecycle::{DialogState, HelperRole, QueueTarget, SystemEvent};
use crate::domain::{
    AccountId, CloseReasonId, DialogId, DialogStatus, Direction, GroupId, MessageKind, MessageView,
    UserId,
};
use crate::store::messages::{self, NewMessage};

/// What changes with a step besides the state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Closing<'a> {
    pub reason: Option<(CloseReasonId, &'a str)>,
}

/// Writes `after` over `before` for a dialog the caller has locked: the dialog row, the
/// assignee and helper rows of `dialog_participants`.
pub async fn save(
    conn: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    actor: UserId,
    before: &DialogState,
    after: &DialogState,
    closing: Closing<'_>,
) -> sqlx::Result<()> {
    let (queue_user, queue_group) = match after.queue {
        Some(QueueTarget::User(u)) => (Some(u), None),
        Some(QueueTarget::Group(g)) => (None, Some(g)),
        None => (None, None),
    };
    let accepted = after.status == DialogStatus::InWork && before.status != DialogStatus::InWork;
    let closed = after.status == DialogStatus::Closed && before.status != DialogStatus::Closed;
    sqlx::query(
        "UPDATE dialogs
            SET status = $3, assignee_id = $4, queue_user_id = $5, queue_group_id = $6,
                title = $7,
                accepted_at = CASE WHEN $8 THEN now()
                                   WHEN $3 IN ('new', 'returned') THEN NULL
                                   ELSE accepted_at END,
                closed_at = CASE WHEN $9 THEN now() ELSE closed_at END,
                closed_by_id = CASE WHEN $9 THEN $10 ELSE closed_by_id END,
                close_reason_id = CASE WHEN $9 THEN $11 ELSE close_reason_id END,
                close_reason = CASE WHEN $9 THEN $12 ELSE close_reason END,
                waiting_since = CASE WHEN $9 THEN NULL ELSE waiting_since END
          WHERE account_id = $1 AND id = $2",
    )
    .bind(account)
    .bind(dialog)
    .bind(after.status)
    .bind(after.assignee)
    .bind(queue_user)
    .bind(queue_group)
    .bind(&after.title)
    .bind(accepted)
    .bind(closed)
    .bind(actor)
    .bind(closing.reason.map(|r| r.0))
    .bind(closing.reason.map(|r| r.1))
    .execute(&mut *conn)
    .await?;

    if before.assignee != after.assignee {
        sqlx::query(
            "DELETE FROM dialog_participants
              WHERE account_id = $1 AND dialog_id = $2 AND role = 'assignee'",
        )
        .bind(account)
        .bind(dialog)
        .execute(&mut *conn)
        .await?;
        if let Some(user) = after.assignee {
            add(conn, account, dialog, user, "assignee").await?;
        }
    }
    for (role, was, now) in [
        (
            HelperRole::CoAssignee,
            &before.co_assignees,
            &after.co_assignees,
        ),
        (HelperRole::Observer, &before.observers, &after.observers),
    ] {
        for user in now.iter().filter(|u| !was.contains(u)) {
            add(conn, account, dialog, *user, role.as_str()).await?;
        }
        let gone: Vec<UserId> = was.iter().filter(|u| !now.contains(u)).copied().collect();
        if !gone.is_empty() {
            sqlx::query(
                "DELETE FROM dialog_participants
                  WHERE account_id = $1 AND dialog_id = $2 AND role = $3::participant_role
                    AND user_id = ANY($4)",
            )
            .bind(account)
            .bind(dialog)
            .bind(role.as_str())
            .bind(gone)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn add(
    conn: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    user: UserId,
    role: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dialog_participants (account_id, dialog_id, user_id, role)
         VALUES ($1, $2, $3, $4::participant_role) ON CONFLICT DO NOTHING",
    )
    .bind(account)
    .bind(dialog)
    .bind(user)
    .bind(role)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a system message by `actor` (their read position moves past it).
pub async fn system_message(
    conn: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    actor: UserId,
    event: &SystemEvent,
) -> sqlx::Result<MessageView> {
    let body = event.sentence(crate::domain::Locale::En);
    messages::append(
        conn,
        &NewMessage {
            account,
            dialog,
            kind: MessageKind::System,
            direction: Direction::Internal,
            author: Some(actor),
            body: &body,
            external: None,
            subject: None,
            template: None,
            buttons: &[],
            system: Some(event),
        },
    )
    .await?
    .ok_or_else(|| sqlx::Error::Protocol("a system message was not stored".into()))
}

/// An active user's display name, or None for an unknown id or another account's user.
pub async fn user_name(
    conn: &mut PgConnection,
    account: AccountId,
    user: UserId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT display_name FROM users WHERE account_id = $1 AND id = $2 AND active",
    )
    .bind(account)
    .bind(user)
    .fetch_optional(conn)
    .await
}

/// A group's name, or None for an unknown id or another account's group.
pub async fn group_name(
    conn: &mut PgConnection,
    account: AccountId,
    group: GroupId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM user_groups WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(group)
        .fetch_optional(conn)
        .await
}

/// The assignee's name of a dialog of the account that is in work, when the user could see
/// it while it waited (they may view its line): what the loser of a race to accept is told.
pub async fn taken_by(
    conn: &mut PgConnection,
    access: &crate::auth::Access,
    dialog: DialogId,
) -> sqlx::Result<Option<(crate::domain::LineId, String)>> {
    let row: Option<(crate::domain::LineId, String)> = sqlx::query_as(
        "SELECT d.line_id, u.display_name FROM dialogs d JOIN users u ON u.id = d.assignee_id
          WHERE d.account_id = $1 AND d.id = $2 AND d.status = 'in_work'",
    )
    .bind(access.account_id)
    .bind(dialog)
    .fetch_optional(conn)
    .await?;
    Ok(row.filter(|(line, _)| access.can_view_line(*line)))
}

/// What passing for review copies, and for whom (D8).
#[derive(Debug, Clone, Copy)]
pub struct Review<'a> {
    /// The dialog the copy is made like (line, channel, client, title).
    pub from: DialogId,
    /// The dialogs chosen messages may come from.
    pub sources: &'a [DialogId],
    pub to: UserId,
    pub initiator: UserId,
    /// Chosen messages; empty: the whole of `from`.
    pub messages: &'a [crate::domain::MessageId],
    pub header: &'a SystemEvent,
}

/// Copies messages into a new dialog, made like `from`, passed to `to` for review (D8): the
/// copy is listed under New for them until they press "Read". `messages` empty: the whole
/// of `from` (its newest `MAX_REVIEW_MESSAGES`); else those of them that belong to one of
/// `sources` (the client's dialogs the user sees in one history). `header` opens the copy,
/// above the messages. Returns the new dialog, how many messages it got, and the header.
pub async fn review_copy(
    conn: &mut PgConnection,
    account: AccountId,
    review: &Review<'_>,
) -> sqlx::Result<(DialogId, usize, MessageView)> {
    let Review {
        from,
        sources,
        to,
        initiator,
        messages,
        header,
    } = *review;
    let sources: Vec<i64> = if messages.is_empty() {
        vec![from.0]
    } else {
        sources.iter().map(|d| d.0).collect()
    };
    let dialog: DialogId = sqlx::query_scalar(
        "WITH number AS (
            UPDATE accounts SET next_dialog_number = next_dialog_number + 1
             WHERE id = $1 RETURNING next_dialog_number - 1 AS n
         )
         INSERT INTO dialogs (account_id, number, title, status, line_id, channel_id, client_id,
                              queue_user_id, review_of_id, closed_at)
         SELECT $1, number.n, d.title, 'for_review', d.line_id, d.channel_id, d.client_id,
                $3, d.id, NULL
           FROM dialogs d, number WHERE d.account_id = $1 AND d.id = $2
         RETURNING id",
    )
    .bind(account)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO dialog_participants (account_id, dialog_id, user_id, role)
         VALUES ($1, $2, $3, 'initiator')",
    )
    .bind(account)
    .bind(dialog)
    .bind(initiator)
    .execute(&mut *conn)
    .await?;
    let header = system_message(conn, account, dialog, initiator, header).await?;
    // The copies keep kind, author, time and text; the originals stay where they are.
    let copied: Vec<(i64, i64)> = sqlx::query_as(
        "WITH src AS (
            SELECT * FROM (
                SELECT m.* FROM messages m
                 WHERE m.account_id = $1 AND m.dialog_id = ANY($2) AND m.kind <> 'system'
                   AND (cardinality($4::bigint[]) = 0 OR m.id = ANY($4))
                 ORDER BY m.id DESC LIMIT $5) newest
             ORDER BY id
         ), copy AS (
            INSERT INTO messages (account_id, dialog_id, kind, direction, author_user_id, body,
                                  forwarded_from_id, sender_name, created_at, subject,
                                  deleted_by, deleted_at)
            SELECT account_id, $3, kind, direction, author_user_id, body, id, sender_name,
                   created_at, subject, deleted_by, deleted_at
              FROM src ORDER BY id
            RETURNING id, forwarded_from_id
         )
         SELECT id, forwarded_from_id FROM copy",
    )
    .bind(account)
    .bind(&sources)
    .bind(dialog)
    .bind(messages.iter().map(|m| m.0).collect::<Vec<i64>>())
    .bind(MAX_REVIEW_MESSAGES)
    .fetch_all(&mut *conn)
    .await?;
    let (new_ids, old_ids): (Vec<i64>, Vec<i64>) = copied.iter().copied().unzip();
    sqlx::query(
        "INSERT INTO attachments (account_id, message_id, kind, file_name, mime_type,
                                  size_bytes, source, storage_key, state, error)
         SELECT a.account_id, t.new_id, a.kind, a.file_name, a.mime_type, a.size_bytes,
                a.source, a.storage_key, a.state, a.error
           FROM unnest($2::bigint[], $3::bigint[]) AS t(new_id, old_id)
           JOIN attachments a ON a.message_id = t.old_id AND a.account_id = $1
          ORDER BY a.id",
    )
    .bind(account)
    .bind(&new_ids)
    .bind(&old_ids)
    .execute(&mut *conn)
    .await?;
    // The list shows the newest copied message.
    sqlx::query(
        "UPDATE dialogs d SET last_message_id = m.id, last_message_at = now(),
                last_message_snippet = left(m.body, 200), last_message_kind = m.kind::text,
                last_message_direction = m.direction::text, last_activity_id = m.id,
                waiting_since = CASE WHEN m.direction = 'in' THEN now() END
           FROM (SELECT * FROM messages WHERE account_id = $1 AND dialog_id = $2
                  ORDER BY id DESC LIMIT 1) m
          WHERE d.account_id = $1 AND d.id = $2",
    )
    .bind(account)
    .bind(dialog)
    .execute(&mut *conn)
    .await?;
    Ok((dialog, copied.len(), header))
}

/// The most messages one review copy takes.
pub const MAX_REVIEW_MESSAGES: i64 = 1_000;

/// The account's user groups, by name.
pub async fn groups(
    conn: &mut PgConnection,
    account: AccountId,
) -> sqlx::Result<Vec<(GroupId, String)>> {
    sqlx::query_as("SELECT id, name FROM user_groups WHERE account_id = $1 ORDER BY name")
        .bind(account)
        .fetch_all(conn)
        .await
}
