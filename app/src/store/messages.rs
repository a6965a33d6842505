//! Messages of a dialog, and appending one with everything that must change with it.

use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};

use sqlx::types::Json;

use crate::domain::lifecycle::SystemEvent;
use crate::domain::message::snippet;
use crate::domain::template::SentTemplate;
use crate::domain::{
    AccountId, AttachmentView, ChannelId, DeliveryState, DialogId, Direction, MessageId,
    MessageKind, MessageView, UserId,
};

const VIEW_COLUMNS: &str = "m.id, m.dialog_id, m.kind, m.direction, u.display_name AS author_name,
    m.body, m.delivery, m.delivery_error, (m.deleted_at IS NOT NULL) AS deleted,
    (m.edited_at IS NOT NULL) AS edited, m.sender_name, m.created_at,
    coalesce(m.buttons, '{}') AS buttons, m.system,
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
}

impl From<MessageRecord> for MessageView {
    fn from(r: MessageRecord) -> Self {
        MessageView {
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

/// The newest `limit` messages of a dialog (one more is fetched to tell whether earlier ones
/// exist), returned oldest first; without system messages when the reader hid them. The caller has checked the user may see the dialog.
pub async fn newest(
    db: impl PgExecutor<'_>,
    account: AccountId,
    dialog: DialogId,
    limit: i64,
    without_system: bool,
) -> sqlx::Result<(Vec<MessageView>, bool)> {
    let mut rows: Vec<MessageView> = sqlx::query_as::<_, MessageRecord>(AssertSqlSafe(format!(
        "SELECT {VIEW_COLUMNS}
           FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
          WHERE m.account_id = $1 AND m.dialog_id = $2 AND NOT ($4 AND m.kind = 'system')
          ORDER BY m.id DESC LIMIT $3"
    )))
    .bind(account)
    .bind(dialog)
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
