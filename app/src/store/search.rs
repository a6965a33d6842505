//! Search (C4): messages by their words through the full-text index, clients by any part of
//! the name, phone, username or email through the trigram index. Only dialogs the user may
//! see are found; the query's words are bound as one parameter.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::auth::Access;
use crate::domain::search::SearchQuery;
use crate::domain::{ChannelKind, DialogId, DialogStatus, MessageId};

/// A message found, with its dialog.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageMatch {
    pub message_id: MessageId,
    pub dialog_id: DialogId,
    pub number: i64,
    pub status: DialogStatus,
    pub channel_kind: ChannelKind,
    pub client_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A client found, with their latest dialog the user may see.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientMatch {
    pub dialog_id: DialogId,
    pub number: i64,
    pub status: DialogStatus,
    pub channel_kind: ChannelKind,
    pub name: String,
    pub phone: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub last_message_at: DateTime<Utc>,
}

/// The newest `limit` messages matching every word, and whether more match.
pub async fn messages(
    conn: &mut PgConnection,
    access: &Access,
    query: &SearchQuery,
    limit: i64,
) -> sqlx::Result<(Vec<MessageMatch>, bool)> {
    let Some(tsquery) = query.tsquery() else {
        return Ok((Vec::new(), false));
    };
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT m.id AS message_id, m.dialog_id, d.number, d.status, ch.kind AS channel_kind,
                c.name AS client_name, m.body, m.created_at
           FROM messages m
           JOIN dialogs d ON d.id = m.dialog_id
           JOIN clients c ON c.id = d.client_id
           JOIN channels ch ON ch.id = d.channel_id
          WHERE m.account_id = ",
    );
    qb.push_bind(access.account_id);
    qb.push(" AND m.search @@ to_tsquery('russian', ");
    qb.push_bind(tsquery);
    qb.push(") AND m.kind <> 'system' AND m.deleted_at IS NULL");
    access.push_dialog_scope(&mut qb, "d");
    qb.push(" ORDER BY m.id DESC LIMIT ");
    qb.push_bind(limit + 1);
    let mut rows: Vec<MessageMatch> = qb.build_query_as().fetch_all(conn).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// The clients whose name, phone, username or email contains the query, most recently
/// active first, each with their latest dialog the user may see.
pub async fn clients(
    conn: &mut PgConnection,
    access: &Access,
    query: &SearchQuery,
    limit: i64,
) -> sqlx::Result<Vec<ClientMatch>> {
    let Some(pattern) = query.client_pattern() else {
        return Ok(Vec::new());
    };
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT * FROM (
            SELECT DISTINCT ON (c.id) d.id AS dialog_id, d.number, d.status,
                   ch.kind AS channel_kind, c.name, c.phone, c.username, c.email,
                   d.last_message_at
              FROM (SELECT id, name, phone, username, email FROM clients
                     WHERE account_id = ",
    );
    qb.push_bind(access.account_id);
    qb.push(" AND search_text LIKE ");
    qb.push_bind(pattern);
    // Enough candidates for a page even when the user may see few of their dialogs.
    qb.push(
        " LIMIT 500) c
              JOIN dialogs d ON d.client_id = c.id
              JOIN channels ch ON ch.id = d.channel_id
             WHERE d.status <> 'for_review'",
    );
    access.push_dialog_scope(&mut qb, "d");
    qb.push(
        " ORDER BY c.id, d.last_message_at DESC, d.id DESC
         ) x ORDER BY last_message_at DESC LIMIT ",
    );
    qb.push_bind(limit);
    qb.build_query_as().fetch_all(conn).await
}
