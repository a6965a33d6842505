//! Messages of a dialog, and appending one with everything that must change with it.

use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};

use sqlx::types::Json;

use crate::domain::lifecycle::SystemEvent;
use crate::domain::message::snippet;
use crate::domain::template::SentTemplate;
use crate::domain::{
    AccountId, AttachmentView, ChannelId, Deletion, DeliveryState, DialogId, Direction,
    ImportantMessage, MessageId, MessageKind, MessageView, QuotedMessage, UserId,
};

const VIEW_COLUMNS: &str = "m.id, m.dialog_id, m.kind, m.direction, u.display_name AS author_name,
    m.body, m.delivery, m.delivery_error, (m.deleted_at IS NOT NULL) AS deleted,
    (m.edited_at IS NOT NULL) AS edited, m.sender_name, m.created_at,
    coalesce(m.buttons, '{}') AS buttons, m.system, m.author_user_id AS author_id,
    (SELECT json_build_object('id', r.id, 'author_name', ru.display_name,
                              'snippet', left(r.body, 400))
       FROM messages r LEFT JOIN users ru ON ru.id = r.author_user_id
      WHERE r.id = m.reply_to_id AND r.account_id = m.account_id) AS reply_to,
    (m.forwarded_from_id IS NOT NULL) AS forwarded, m.important, m.deleted_at, m.delete_error,
    (SELECT display_name FROM users WHERE id = m.deleted_by_id) AS deleted_by_name,
    coalesce((SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind,
                 'file_name', a.file_name, 'mime_type', a.mime_type,
                 'size_bytes', a.size_bytes, 'state', a.state) ORDER BY a.id)
                FROM attachments a WHERE a.message_id = m.id), '[]') AS attachments";

#[derive(sqlx::FromRow)]
struct MessageRecord {
    id: MessageId,
    dialog_id: DialogId,
    kind: MessageKind,
    direction: Direction,
    author_name: Option<String>,
    body: String,
    delivery: Option<DeliveryState>,
    delivery_error: Option<String>,
    deleted: bool,
    edited: bool,
    sender_name: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    buttons: Vec<String>,
    system: Option<Json<SystemEvent>>,
    attachments: Json<Vec<AttachmentView>>,
    author_id: Option<UserId>,
    reply_to: Option<Json<QuotedMessage>>,
    forwarded: bool,
    important: bool,
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    delete_error: Option<String>,
    deleted_by_name: Option<String>,
}

impl From<MessageRecord> for MessageView {
    fn from(r: MessageRecord) -> Self {
        let html = formatted(r.kind, r.direction, &r.body);
        let deletion = r.deleted_at.map(|at| Deletion {
            by: r.deleted_by_name,
            at,
            error: r.delete_error,
        });
        MessageView {
            author_id: r.author_id,
            html,
            reply_to: r.reply_to.map(|q| {
                let mut q = q.0;
                q.snippet = snippet(&q.snippet);
                q
            }),
            forwarded: r.forwarded,
            important: r.important,
            deletion,
            id: r.id,
            dialog_id: r.dialog_id,
            kind: r.kind,
            direction: r.direction,
            author_name: r.author_name,
            body: r.body,
            delivery: r.delivery,
            delivery_error: r.delivery_error,
            deleted: r.deleted,
            edited: r.edited,
            sender_name: r.sender_name,
            attachments: r.attachments.0,
            buttons: r.buttons,
            system: r.system.map(|s| s.0),
            created_at: r.created_at,
        }
    }
}

/// The formatted body of an operator's message or note (E2); clients' messages are shown
/// as the text they are.
fn formatted(kind: MessageKind, direction: Direction, body: &str) -> Option<String> {
    (kind != MessageKind::System && direction != Direction::In)
        .then(|| crate::domain::formatting::html(body))
        .flatten()
}

/// The newest `limit` messages of a dialog (one more is fetched to tell whether earlier ones
/// exist), returned oldest first; without system messages when the reader hid them. The caller has checked the user may see the dialog.
pub async fn newest(
    db: impl PgExecutor<'_>,
    account: AccountId,
    dialog: DialogId,
    limit: i64,
    without_system: bool,
) -> sqlx::Result<(Vec<MessageView>, bool)> {
    newest_of(db, account, &[dialog], limit, without_system).await
}

/// `m.dialog_id` among `$2`. One dialog is written as an equality: with `= ANY` PostgreSQL
/// 15 cannot walk `messages_dialog` in id order and reads every message of a long dialog.
fn dialogs_condition(dialogs: &[DialogId]) -> &'static str {
    if dialogs.len() == 1 {
        "m.dialog_id = ($2::bigint[])[1]"
    } else {
        "m.dialog_id = ANY($2)"
    }
}

/// The newest `limit` messages of several dialogs as one history, oldest first, and whether
/// earlier ones exist: the single window of a client (D8). The caller has checked the user
/// may see every one of `dialogs`.
pub async fn newest_of(
    db: impl PgExecutor<'_>,
    account: AccountId,
    dialogs: &[DialogId],
    limit: i64,
    without_system: bool,
) -> sqlx::Result<(Vec<MessageView>, bool)> {
    let mut rows: Vec<MessageView> = sqlx::query_as::<_, MessageRecord>(AssertSqlSafe(format!(
        "SELECT {VIEW_COLUMNS}
           FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
          WHERE m.account_id = $1 AND {} AND NOT ($4 AND m.kind = 'system')
          ORDER BY m.id DESC LIMIT $3",
        dialogs_condition(dialogs)
    )))
    .bind(account)
    .bind(dialogs.iter().map(|d| d.0).collect::<Vec<i64>>())
    .bind(limit + 1)
    .bind(without_system)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(MessageView::from)
    .collect();
    let has_earlier = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    rows.reverse();
    Ok((rows, has_earlier))
}

/// A window of a history around `anchor` (a long dialog opened at a message): up to
/// `before` messages older than it, the anchor and up to `after` newer ones, oldest first,
/// and whether earlier and later messages exist. The caller has checked the user may see
/// every one of `dialogs`.
pub async fn around(
    conn: &mut PgConnection,
    account: AccountId,
    dialogs: &[DialogId],
    anchor: MessageId,
    before: i64,
    after: i64,
    without_system: bool,
) -> sqlx::Result<(Vec<MessageView>, bool, bool)> {
    let mut earlier = side_of(
        conn,
        account,
        dialogs,
        anchor,
        true,
        before + 1,
        without_system,
    )
    .await?;
    let has_earlier = earlier.len() as i64 > before;
    earlier.truncate(before as usize);
    earlier.reverse();
    // The anchor, `after` newer ones, and one more to tell whether later ones exist.
    let mut later = side_of(
        conn,
        account,
        dialogs,
        anchor,
        false,
        after + 2,
        without_system,
    )
    .await?;
    let has_later = later.len() as i64 > after + 1;
    later.truncate(after as usize + 1);
    earlier.append(&mut later);
    Ok((earlier, has_earlier, has_later))
}

/// Up to `limit` messages of `dialogs` older than `anchor` (newest first), or the anchor and
/// newer ones (oldest first).
async fn side_of(
    conn: &mut PgConnection,
    account: AccountId,
    dialogs: &[DialogId],
    anchor: MessageId,
    older: bool,
    limit: i64,
    without_system: bool,
) -> sqlx::Result<Vec<MessageView>> {
    let (compare, order) = if older { ("<", "DESC") } else { (">=", "ASC") };
    Ok(sqlx::query_as::<_, MessageRecord>(AssertSqlSafe(format!(
        "SELECT {VIEW_COLUMNS}
           FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
          WHERE m.account_id = $1 AND {} AND NOT ($4 AND m.kind = 'system')
            AND m.id {compare} $5
          ORDER BY m.id {order} LIMIT $3",
        dialogs_condition(dialogs),
    )))
    .bind(account)
    .bind(dialogs.iter().map(|d| d.0).collect::<Vec<i64>>())
    .bind(limit)
    .bind(without_system)
    .bind(anchor)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(MessageView::from)
    .collect())
}

/// The first message of a dialog this user has not read, when more than `at_least`
/// messages are unread (few unread messages fit the newest page anyway).
pub async fn first_unread(
    db: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    user: UserId,
    at_least: i64,
) -> sqlx::Result<Option<MessageId>> {
    sqlx::query_scalar(
        "WITH unread AS (
            SELECT m.id FROM messages m
             WHERE m.account_id = $1 AND m.dialog_id = $2
               AND m.id > coalesce((SELECT s.read_message_id FROM dialog_user_state s
                                     WHERE s.dialog_id = $2 AND s.user_id = $3), 0)
             ORDER BY m.id LIMIT $4 + 1
         )
         SELECT min(id) FROM unread HAVING count(*) > $4",
    )
    .bind(account)
    .bind(dialog)
    .bind(user)
    .bind(at_least)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// Does the message belong to one of `dialogs`? (An `at` from a link is checked with it.)
pub async fn belongs_to(
    db: impl PgExecutor<'_>,
    account: AccountId,
    dialogs: &[DialogId],
    message: MessageId,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM messages
                         WHERE account_id = $1 AND id = $3 AND dialog_id = ANY($2))",
    )
    .bind(account)
    .bind(dialogs.iter().map(|d| d.0).collect::<Vec<i64>>())
    .bind(message)
    .fetch_one(db)
    .await
}

/// A message to append.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub account: AccountId,
    pub dialog: DialogId,
    pub kind: MessageKind,
    pub direction: Direction,
    pub author: Option<UserId>,
    pub body: &'a str,
    /// Where a client's message came from, with the messenger's id of it.
    pub external: Option<External<'a>>,
    /// An email's subject (the first message of a dialog we start by email).
    pub subject: Option<&'a str>,
    /// The approved WhatsApp template this message is sent as.
    pub template: Option<&'a SentTemplate>,
    /// Buttons under the message (E10), validated for its messenger.
    pub buttons: &'a [String],
    /// What a system message reports (D6).
    pub system: Option<&'a SystemEvent>,
}

/// The messenger's side of an inbound message.
#[derive(Debug, Clone)]
pub struct External<'a> {
    pub channel: ChannelId,
    pub external_id: &'a str,
    pub sender_name: Option<&'a str>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Appends a message inside the caller's transaction: stores it, updates the dialog's list
/// snapshot, moves the author's read position, and queues outgoing messages for delivery.
/// None when a message with the same external id is already stored (a repeated webhook).
pub async fn append(
    conn: &mut PgConnection,
    new: &NewMessage<'_>,
) -> sqlx::Result<Option<MessageView>> {
    let delivery = (new.direction == Direction::Out).then_some(DeliveryState::Sending);
    let Some(Some((id, created_at))) = insert_many(conn, std::slice::from_ref(new))
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };

    if let Some(author) = new.author {
        sqlx::query(
            "INSERT INTO dialog_user_state (account_id, dialog_id, user_id, read_message_id)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (dialog_id, user_id) DO UPDATE
                SET read_message_id = greatest(dialog_user_state.read_message_id, excluded.read_message_id),
                    manually_unread = false",
        )
        .bind(new.account)
        .bind(new.dialog)
        .bind(author)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }

    if delivery.is_some() {
        sqlx::query("INSERT INTO outbox (account_id, message_id, dialog_id) VALUES ($1, $2, $3)")
            .bind(new.account)
            .bind(id)
            .bind(new.dialog)
            .execute(&mut *conn)
            .await?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(OUTBOX_CHANNEL)
            .execute(&mut *conn)
            .await?;
    }

    match new.author {
        // The author's name needs a read; a client's message has everything at hand (one
        // round trip less on the webhook path).
        Some(_) => view(&mut *conn, id).await.map(Some),
        None => Ok(Some(new.stored_view(id, created_at))),
    }
}

impl NewMessage<'_> {
    /// The message as the browser sees it once stored as `id`, for messages without an
    /// author (whose name would need a read) and without files yet.
    pub fn stored_view(
        &self,
        id: MessageId,
        created_at: chrono::DateTime<chrono::Utc>,
    ) -> MessageView {
        MessageView {
            id,
            dialog_id: self.dialog,
            kind: self.kind,
            direction: self.direction,
            author_name: None,
            body: self.body.to_owned(),
            delivery: (self.direction == Direction::Out).then_some(DeliveryState::Sending),
            delivery_error: None,
            deleted: false,
            edited: false,
            sender_name: self
                .external
                .as_ref()
                .and_then(|e| e.sender_name)
                .map(str::to_owned),
            attachments: Vec::new(),
            buttons: self.buttons.to_vec(),
            system: self.system.cloned(),
            author_id: self.author,
            html: formatted(self.kind, self.direction, self.body),
            reply_to: None,
            forwarded: false,
            important: false,
            deletion: None,
            created_at,
        }
    }
}

/// Stores messages in the given order (ids ascending) inside the caller's transaction and
/// moves each dialog's list snapshot to its newest one, in one round trip. For each message,
/// its id and time, or None when one with the same external id is already stored (a
/// repeated webhook). Outgoing messages start as "sending"; queuing them for delivery and
/// read positions are `append`'s.
pub async fn insert_many(
    conn: &mut PgConnection,
    news: &[NewMessage<'_>],
) -> sqlx::Result<Vec<Option<(MessageId, chrono::DateTime<chrono::Utc>)>>> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let mut accounts = Vec::with_capacity(news.len());
    let mut dialogs = Vec::with_capacity(news.len());
    let mut kinds = Vec::with_capacity(news.len());
    let mut directions = Vec::with_capacity(news.len());
    let mut authors = Vec::with_capacity(news.len());
    let mut bodies = Vec::with_capacity(news.len());
    let mut snippets = Vec::with_capacity(news.len());
    let mut channels = Vec::with_capacity(news.len());
    let mut external_ids = Vec::with_capacity(news.len());
    let mut senders = Vec::with_capacity(news.len());
    let mut sent_at = Vec::with_capacity(news.len());
    let mut subjects = Vec::with_capacity(news.len());
    let mut templates = Vec::with_capacity(news.len());
    let mut buttons = Vec::with_capacity(news.len());
    let mut systems = Vec::with_capacity(news.len());
    for new in news {
        let external = new.external.as_ref();
        accounts.push(new.account);
        dialogs.push(new.dialog);
        kinds.push(new.kind.as_str());
        directions.push(new.direction.as_str());
        authors.push(new.author);
        bodies.push(new.body);
        snippets.push(snippet(new.body));
        channels.push(external.map(|e| e.channel));
        external_ids.push(external.map(|e| e.external_id));
        senders.push(external.and_then(|e| e.sender_name));
        sent_at.push(external.and_then(|e| e.sent_at));
        subjects.push(new.subject);
        templates.push(new.template.map(Json));
        buttons.push((!new.buttons.is_empty()).then_some(Json(new.buttons)));
        systems.push(new.system.map(Json));
    }
    // Ids are drawn in the given order before inserting, so each row maps back to its
    // message even when a repeated one is skipped.
    let rows: Vec<(Option<MessageId>, Option<chrono::DateTime<chrono::Utc>>)> = sqlx::query_as(
        "WITH t AS MATERIALIZED (
            SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS id, t.*
              FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[],
                          $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[],
                          $11::timestamptz[], $12::text[], $13::jsonb[], $14::jsonb[],
                          $15::jsonb[])
                   WITH ORDINALITY AS t(account_id, dialog_id, kind, direction, author, body,
                                        snippet, channel_id, external_id, sender_name, sent_at,
                                        subject, template, buttons, system, n)
             ORDER BY t.n
         ), ins AS (
            INSERT INTO messages (id, account_id, dialog_id, kind, direction, author_user_id,
                                  body, delivery, channel_id, external_id, sender_name,
                                  created_at, subject, template, buttons, system)
            SELECT id, account_id, dialog_id, kind::message_kind, direction::message_direction,
                   author, body,
                   CASE WHEN direction = 'out' THEN 'sending'::delivery_state END,
                   channel_id, external_id, sender_name,
                   least(coalesce(sent_at, now()), now()), subject, template,
                   CASE WHEN buttons IS NOT NULL
                        THEN ARRAY(SELECT jsonb_array_elements_text(buttons)) END,
                   system
              FROM t ORDER BY n
            ON CONFLICT (channel_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
            RETURNING id, created_at
         ), stored AS (
            SELECT t.* FROM t JOIN ins USING (id)
         ), snapshot AS (
            UPDATE dialogs d
               SET last_message_id = l.id, last_message_at = now(),
                   last_message_snippet = l.snippet, last_message_kind = l.kind,
                   last_message_direction = l.direction,
                   -- Waiting for our reply (C5) since the client's first unanswered message.
                   waiting_since = CASE l.direction WHEN 'in' THEN coalesce(d.waiting_since, now())
                                                    WHEN 'out' THEN NULL
                                                    ELSE d.waiting_since END,
                   last_activity_id = coalesce(
                       (SELECT max(s.id) FROM stored s
                         WHERE s.dialog_id = l.dialog_id AND s.kind <> 'system'),
                       d.last_activity_id)
              FROM (SELECT DISTINCT ON (dialog_id) * FROM stored WHERE kind <> 'system'
                     ORDER BY dialog_id, n DESC) l
             WHERE d.account_id = l.account_id AND d.id = l.dialog_id
         )
         SELECT ins.id, ins.created_at FROM t LEFT JOIN ins USING (id) ORDER BY t.n",
    )
    .bind(&accounts)
    .bind(&dialogs)
    .bind(&kinds)
    .bind(&directions)
    .bind(&authors)
    .bind(&bodies)
    .bind(&snippets)
    .bind(&channels)
    .bind(&external_ids)
    .bind(&senders)
    .bind(&sent_at)
    .bind(&subjects)
    .bind(&templates)
    .bind(&buttons)
    .bind(&systems)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(id, at)| id.zip(at)).collect())
}

/// A message of files only: the dialog list shows their names ("📎 price.pdf").
pub async fn describe_files(
    conn: &mut PgConnection,
    account: AccountId,
    dialog: DialogId,
    message: &MessageView,
) -> sqlx::Result<()> {
    let names: Vec<&str> = message
        .attachments
        .iter()
        .map(|a| a.file_name.as_str())
        .collect();
    sqlx::query(
        "UPDATE dialogs SET last_message_snippet = $3
          WHERE account_id = $1 AND id = $2 AND last_message_id = $4",
    )
    .bind(account)
    .bind(dialog)
    .bind(snippet(&format!("📎 {}", names.join(", "))))
    .bind(message.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The PostgreSQL channel that wakes the delivery workers when a message is queued.
pub const OUTBOX_CHANNEL: &str = "dialogs_outbox";

/// One message as the browser sees it.
pub async fn view(db: impl PgExecutor<'_>, id: MessageId) -> sqlx::Result<MessageView> {
    let record = sqlx::query_as::<_, MessageRecord>(AssertSqlSafe(format!(
        "SELECT {VIEW_COLUMNS} FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
          WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok(record.into())
}

/// The dialog of a message of this account, or None.
pub async fn dialog_of(
    db: impl PgExecutor<'_>,
    account: AccountId,
    message: MessageId,
) -> sqlx::Result<Option<DialogId>> {
    sqlx::query_scalar("SELECT dialog_id FROM messages WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(message)
        .fetch_optional(db)
        .await
}

/// A message as its menu's actions need it (E8, E9).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageFacts {
    pub id: MessageId,
    pub dialog_id: DialogId,
    pub kind: MessageKind,
    pub direction: Direction,
    pub author_user_id: Option<UserId>,
    pub body: String,
    pub deleted: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Files not yet fetched from the messenger.
    pub pending_files: i64,
    pub files: i64,
}

/// A message of this account, locked for the change about to be made; None when the id is
/// unknown or another account's.
pub async fn lock(
    conn: &mut PgConnection,
    account: AccountId,
    id: MessageId,
) -> sqlx::Result<Option<MessageFacts>> {
    sqlx::query_as(
        "SELECT m.id, m.dialog_id, m.kind, m.direction, m.author_user_id, m.body,
                (m.deleted_at IS NOT NULL) AS deleted, m.created_at,
                (SELECT count(*) FROM attachments a WHERE a.message_id = m.id AND a.state <> 'stored') AS pending_files,
                (SELECT count(*) FROM attachments a WHERE a.message_id = m.id) AS files
           FROM messages m WHERE m.account_id = $1 AND m.id = $2 FOR UPDATE OF m",
    )
    .bind(account)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Marks a message deleted by an operator. A message still waiting to be sent leaves the
/// queue (it shows as failed: it never reached the client); one being sent right now, or
/// sent, is deleted at the client's side by a job. True when a job is needed.
pub async fn mark_deleted(
    conn: &mut PgConnection,
    account: AccountId,
    id: MessageId,
    by: UserId,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE messages SET deleted_by = 'operator', deleted_by_id = $3, deleted_at = now()
          WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(account)
    .bind(id)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    let unsent = sqlx::query(
        "DELETE FROM outbox WHERE account_id = $1 AND message_id = $2
            AND (locked_until IS NULL OR locked_until < now())",
    )
    .bind(account)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if unsent.rows_affected() > 0 {
        sqlx::query(
            "UPDATE messages SET delivery = 'failed', delivery_error = 'Deleted before it was sent'
              WHERE id = $1 AND delivery = 'sending'",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What deleting a message at the client's side needs: where it went and its id there.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SentCopy {
    pub channel_id: Option<ChannelId>,
    pub chat: Option<String>,
    pub external_id: Option<String>,
    pub delivery: Option<DeliveryState>,
    pub dialog_id: DialogId,
}

/// Where a message is at the client's side: its channel, chat and the messenger's id.
pub async fn sent_copy(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: MessageId,
) -> sqlx::Result<Option<SentCopy>> {
    sqlx::query_as(
        "SELECT coalesce(m.channel_id, d.channel_id) AS channel_id, ci.external_id AS chat,
                m.external_id, m.delivery, m.dialog_id
           FROM messages m
           JOIN dialogs d ON d.id = m.dialog_id
           LEFT JOIN client_identities ci
                  ON ci.client_id = d.client_id AND ci.channel_id = d.channel_id
          WHERE m.account_id = $1 AND m.id = $2",
    )
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Records that the messenger refused to delete a message at the client's side.
pub async fn delete_failed(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: MessageId,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE messages SET delete_error = left($3, 1000) WHERE account_id = $1 AND id = $2",
    )
    .bind(account)
    .bind(id)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}

/// Stars or unstars a message as important (E9), remembering who starred it.
pub async fn set_important(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: MessageId,
    by: UserId,
    important: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE messages SET important = $3,
                important_by_id = CASE WHEN $3 THEN $4 END,
                important_at = CASE WHEN $3 THEN now() END
          WHERE account_id = $1 AND id = $2",
    )
    .bind(account)
    .bind(id)
    .bind(important)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

/// Links a just-written message to the one it answers or forwards.
pub async fn link(
    db: impl PgExecutor<'_>,
    id: MessageId,
    reply_to: Option<MessageId>,
    forwarded_from: Option<MessageId>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE messages SET reply_to_id = coalesce($2, reply_to_id),
                forwarded_from_id = coalesce($3, forwarded_from_id)
          WHERE id = $1",
    )
    .bind(id)
    .bind(reply_to)
    .bind(forwarded_from)
    .execute(db)
    .await?;
    Ok(())
}

/// Gives a forwarded message the stored files of the original (the stored bytes are
/// shared, not copied).
pub async fn copy_files(
    db: impl PgExecutor<'_>,
    account: AccountId,
    from: MessageId,
    to: MessageId,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "INSERT INTO attachments (account_id, message_id, kind, file_name, mime_type,
                                  size_bytes, source, storage_key, state)
         SELECT account_id, $3, kind, file_name, mime_type, size_bytes, source, storage_key, state
           FROM attachments WHERE account_id = $1 AND message_id = $2 AND state = 'stored'
          ORDER BY id",
    )
    .bind(account)
    .bind(from)
    .bind(to)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The most starred messages one page of the Important tab shows.
pub const IMPORTANT_PAGE: i64 = 100;

/// Starred messages (E9) of the dialogs this user may see, newest star first: across all
/// dialogs, or one. `before` pages on (the last message id of the previous page).
pub async fn important(
    db: impl PgExecutor<'_>,
    access: &crate::auth::Access,
    dialog: Option<DialogId>,
) -> sqlx::Result<Vec<ImportantMessage>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        message: MessageRecord,
        dialog_number: i64,
        dialog_title: Option<String>,
        client_name: String,
        starred_by: Option<String>,
    }
    let mut qb: sqlx::QueryBuilder<sqlx::Postgres> = sqlx::QueryBuilder::new(format!(
        "SELECT {VIEW_COLUMNS}, d.number AS dialog_number, d.title AS dialog_title,
                c.name AS client_name,
                (SELECT display_name FROM users WHERE id = m.important_by_id) AS starred_by
           FROM messages m
           JOIN dialogs d ON d.id = m.dialog_id
           JOIN clients c ON c.id = d.client_id
           LEFT JOIN users u ON u.id = m.author_user_id
          WHERE m.important AND m.account_id = "
    ));
    qb.push_bind(access.account_id);
    if let Some(dialog) = dialog {
        qb.push(" AND m.dialog_id = ");
        qb.push_bind(dialog);
    }
    access.push_dialog_scope(&mut qb, "d");
    qb.push(" ORDER BY m.important_at DESC, m.id DESC LIMIT ");
    qb.push_bind(IMPORTANT_PAGE);
    let rows: Vec<Row> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| ImportantMessage {
            message: r.message.into(),
            dialog_number: r.dialog_number,
            dialog_title: r.dialog_title,
            client_name: r.client_name,
            starred_by: r.starred_by,
        })
        .collect())
}

/// The job that deletes a message at the client's side (payload `{"message_id": id}`).
pub const DELETE_AT_CLIENT_JOB: &str = "delete_message";
