//! Messages of a dialog, and appending one with everything that must change with it.

use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};

use crate::domain::message::snippet;
use crate::domain::{
    AccountId, DeliveryState, DialogId, Direction, MessageId, MessageKind, MessageView, UserId,
};

const VIEW_COLUMNS: &str = "m.id, m.dialog_id, m.kind, m.direction, u.display_name AS author_name,
    m.body, m.delivery, (m.deleted_at IS NOT NULL) AS deleted, m.created_at";

#[derive(sqlx::FromRow)]
struct MessageRecord {
    id: MessageId,
    dialog_id: DialogId,
    kind: MessageKind,
    direction: Direction,
    author_name: Option<String>,
    body: String,
    delivery: Option<DeliveryState>,
    deleted: bool,
    created_at: chrono::DateTime<chrono::Utc>,
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
            deleted: r.deleted,
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
}

/// Appends a message inside the caller's transaction: stores it, updates the dialog's list
/// snapshot, moves the author's read position, and queues outgoing messages for delivery.
pub async fn append(conn: &mut PgConnection, new: &NewMessage<'_>) -> sqlx::Result<MessageView> {
    let delivery = (new.direction == Direction::Out).then_some(DeliveryState::Sending);
    let id: MessageId = sqlx::query_scalar(
        "INSERT INTO messages (account_id, dialog_id, kind, direction, author_user_id, body, delivery)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.account)
    .bind(new.dialog)
    .bind(new.kind)
    .bind(new.direction)
    .bind(new.author)
    .bind(new.body)
    .bind(delivery)
    .fetch_one(&mut *conn)
    .await?;

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
        sqlx::query("INSERT INTO outbox (account_id, message_id) VALUES ($1, $2)")
            .bind(new.account)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }

    let view = sqlx::query_as::<_, MessageRecord>(AssertSqlSafe(format!(
        "SELECT {VIEW_COLUMNS} FROM messages m LEFT JOIN users u ON u.id = m.author_user_id
          WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(view.into())
}
