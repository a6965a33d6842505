//! Messages of a dialog, and appending one with everything that must change with it.

use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};

use sqlx::types::Json;

use crate::domain::message::snippet;
use crate::domain::template::SentTemplate;
use crate::domain::{
    AccountId, AttachmentView, ChannelId, DeliveryState, DialogId, Direction, MessageId,
    MessageKind, MessageView, UserId,
};

const VIEW_COLUMNS: &str = "m.id, m.dialog_id, m.kind, m.direction, u.display_name AS author_name,
    m.body, m.delivery, m.delivery_error, (m.deleted_at IS NOT NULL) AS deleted,
    (m.edited_at IS NOT NULL) AS edited, m.sender_name, m.created_at,
    coalesce(m.buttons, '{}') AS buttons,
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
            created_at: r.created_at,
        }
    }
}

/// The newest `limit` messages of a dialog (one more is fetched to tell whether earlier ones
/// exist), returned oldest first. The caller has checked the user may see the dialog.
pub async fn newest(
    db: impl PgExecutor<'_>,
    account: AccountId,
    dialog: DialogId,
    limit: i64,
) -> sqlx::Result<(Vec<MessageView>, bool)> {
    let mut rows: Vec<MessageView> = sqlx::query_as::<_, MessageRecord>(AssertSqlSafe(format!(
        "SELECT {VIEW_COLUMNS}
           FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
          WHERE m.account_id = $1 AND m.dialog_id = $2
          ORDER BY m.id DESC LIMIT $3"
    )))
    .bind(account)
    .bind(dialog)
    .bind(limit + 1)
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
    let external = new.external.as_ref();
    let inserted: Option<(MessageId, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "INSERT INTO messages (account_id, dialog_id, kind, direction, author_user_id, body,
                               delivery, channel_id, external_id, sender_name, created_at,
                               subject, template, buttons)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, least(coalesce($11, now()), now()),
                 $12, $13, $14)
         ON CONFLICT (channel_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
         RETURNING id, created_at",
    )
    .bind(new.account)
    .bind(new.dialog)
    .bind(new.kind)
    .bind(new.direction)
    .bind(new.author)
    .bind(new.body)
    .bind(delivery)
    .bind(external.map(|e| e.channel))
    .bind(external.map(|e| e.external_id))
    .bind(external.and_then(|e| e.sender_name))
    .bind(external.and_then(|e| e.sent_at))
    .bind(new.subject)
    .bind(new.template.map(Json))
    .bind((!new.buttons.is_empty()).then_some(new.buttons))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, created_at)) = inserted else {
        return Ok(None);
    };

    sqlx::query(
        "UPDATE dialogs
            SET last_message_id = $3, last_message_at = now(), last_message_snippet = $4,
                last_message_kind = $5, last_message_direction = $6,
                last_activity_id = CASE WHEN $5 = 'system' THEN last_activity_id ELSE $3 END
          WHERE account_id = $1 AND id = $2",
    )
    .bind(new.account)
    .bind(new.dialog)
    .bind(id)
    .bind(snippet(new.body))
    .bind(new.kind.as_str())
    .bind(match new.direction {
        Direction::In => "in",
        Direction::Out => "out",
        Direction::Internal => "internal",
    })
    .execute(&mut *conn)
    .await?;

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
        None => Ok(Some(MessageView {
            id,
            dialog_id: new.dialog,
            kind: new.kind,
            direction: new.direction,
            author_name: None,
            body: new.body.to_owned(),
            delivery,
            delivery_error: None,
            deleted: false,
            edited: false,
            sender_name: external.and_then(|e| e.sender_name).map(str::to_owned),
            attachments: Vec::new(),
            buttons: new.buttons.to_vec(),
            created_at,
        })),
    }
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
