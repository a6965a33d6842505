//! Search (C4): messages by their words through the full-text index, clients by any part of
//! the name, phone, username or email through the trigram index. Only dialogs the user may
//! see are found; the query's words are bound as one parameter.

use chrono::{DateTime, Utc};
use sqlx::{Connection as _, PgConnection, Postgres, QueryBuilder};

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

/// How search finds the newest matching messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Walk messages newest first and test each: quick when matches are common, slow when
    /// they are rare (it may read every message before it has a page).
    Walk,
    /// Ask the full-text index for every match, then sort them: quick when matches are
    /// few. Past `INDEX_CAP` matches it walks after all.
    Index,
    /// The index when the planner expects few matches. Otherwise the walk: for one word at
    /// once; for several, for at most `WALK_MS` (common words that seldom meet leave it
    /// walking every message), then the index, and past its cap the walk without a limit.
    Auto,
}

/// Expected matches up to which `Strategy::Auto` asks the index first.
pub const INDEX_EXPECTED: f64 = 10_000.0;
/// The most matches the index path reads and sorts; past it the walk is quicker.
pub const INDEX_CAP: i64 = 10_000;
/// How long `Strategy::Auto` lets the walk look for a page of several common words.
pub const WALK_MS: u32 = 150;

/// The newest `limit` messages older than `before` (all when None) matching every word,
/// and whether more match.
pub async fn messages(
    conn: &mut PgConnection,
    access: &Access,
    query: &SearchQuery,
    before: Option<MessageId>,
    limit: i64,
) -> sqlx::Result<(Vec<MessageMatch>, bool)> {
    messages_by(conn, access, query, before, limit, Strategy::Auto).await
}

/// `messages`, found the way `how` says.
pub async fn messages_by(
    conn: &mut PgConnection,
    access: &Access,
    query: &SearchQuery,
    before: Option<MessageId>,
    limit: i64,
    how: Strategy,
) -> sqlx::Result<(Vec<MessageMatch>, bool)> {
    let Some(tsquery) = query.tsquery() else {
        return Ok((Vec::new(), false));
    };
    let found = match how {
        Strategy::Walk => None,
        Strategy::Index => from_index(conn, access, &tsquery, before, limit).await?,
        Strategy::Auto => {
            if expected_matches(conn, access, &tsquery).await? <= INDEX_EXPECTED {
                from_index(conn, access, &tsquery, before, limit).await?
            } else if query.words.len() > 1 {
                match timed_walk(conn, access, &tsquery, before, limit).await? {
                    Some(rows) => Some(rows),
                    None => from_index(conn, access, &tsquery, before, limit).await?,
                }
            } else {
                None
            }
        }
    };
    let mut rows = match found {
        Some(rows) => rows,
        None => {
            walk(access, tsquery, before, limit)
                .build_query_as()
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// How many messages of the account the planner expects to match (from its statistics of
/// the words; no message is read).
async fn expected_matches(
    conn: &mut PgConnection,
    access: &Access,
    tsquery: &str,
) -> sqlx::Result<f64> {
    let plan: serde_json::Value = sqlx::query_scalar(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM messages
          WHERE account_id = $1 AND search @@ to_tsquery('russian', $2)",
    )
    .bind(access.account_id)
    .bind(tsquery)
    .fetch_one(conn)
    .await?;
    Ok(plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(f64::MAX))
}

/// Every match the user may see from the full-text index, sorted; None when there are
/// more than `INDEX_CAP` of them (the walk finds a page sooner then).
async fn from_index(
    conn: &mut PgConnection,
    access: &Access,
    tsquery: &str,
    before: Option<MessageId>,
    limit: i64,
) -> sqlx::Result<Option<Vec<MessageMatch>>> {
    // Materialized, so the matches come from the index alone (a bitmap, in no order) and
    // only then are sorted, instead of being tested one by one along the newest-first order.
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "WITH hits AS MATERIALIZED (
            SELECT m.id, m.dialog_id, m.body, m.created_at
              FROM messages m JOIN dialogs d ON d.id = m.dialog_id
             WHERE true",
    );
    push_matching(&mut qb, access, tsquery, before);
    qb.push(" LIMIT ");
    qb.push_bind(INDEX_CAP + 1);
    qb.push(
        ") SELECT m.id AS message_id, m.dialog_id, d.number, d.status, ch.kind AS channel_kind,
                  c.name AS client_name, m.body, m.created_at,
                  (SELECT count(*) FROM hits) AS hits
             FROM hits m
             JOIN dialogs d ON d.id = m.dialog_id
             JOIN clients c ON c.id = d.client_id
             JOIN channels ch ON ch.id = d.channel_id
            ORDER BY m.id DESC LIMIT ",
    );
    qb.push_bind(limit + 1);
    let mut tx = conn.begin().await?;
    // A bitmap of up to `INDEX_CAP` scattered rows stays exact (not lossy) in this much.
    sqlx::query("SET LOCAL work_mem = '16MB'")
        .execute(&mut *tx)
        .await?;
    let rows: Vec<Counted> = qb.build_query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    if rows.first().is_some_and(|r| r.hits > INDEX_CAP) {
        return Ok(None);
    }
    Ok(Some(rows.into_iter().map(|r| r.found).collect()))
}

/// A match with the number of matches the index gave.
#[derive(sqlx::FromRow)]
struct Counted {
    #[sqlx(flatten)]
    found: MessageMatch,
    hits: i64,
}

/// The walk, given `WALK_MS`: None when it ran out of time.
async fn timed_walk(
    conn: &mut PgConnection,
    access: &Access,
    tsquery: &str,
    before: Option<MessageId>,
    limit: i64,
) -> sqlx::Result<Option<Vec<MessageMatch>>> {
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT set_config('statement_timeout', $1, true)")
        .bind(format!("{WALK_MS}ms"))
        .execute(&mut *tx)
        .await?;
    let walked = walk(access, tsquery.to_string(), before, limit)
        .build_query_as()
        .fetch_all(&mut *tx)
        .await;
    match walked {
        Ok(rows) => {
            tx.commit().await?;
            Ok(Some(rows))
        }
        // 57014: cancelled by the time limit.
        Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("57014") => {
            tx.rollback().await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The newest-first walk: one page of matches plus one.
fn walk(
    access: &Access,
    tsquery: String,
    before: Option<MessageId>,
    limit: i64,
) -> QueryBuilder<Postgres> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT m.id AS message_id, m.dialog_id, d.number, d.status, ch.kind AS channel_kind,
                c.name AS client_name, m.body, m.created_at
           FROM messages m
           JOIN dialogs d ON d.id = m.dialog_id
           JOIN clients c ON c.id = d.client_id
           JOIN channels ch ON ch.id = d.channel_id
          WHERE true",
    );
    push_matching(&mut qb, access, &tsquery, before);
    qb.push(" ORDER BY m.id DESC LIMIT ");
    qb.push_bind(limit + 1);
    qb
}

/// The conditions on a message `m` of dialog `d`: the account's, matching the words, older
/// than `before`, in a dialog the user may see.
fn push_matching(
    qb: &mut QueryBuilder<Postgres>,
    access: &Access,
    tsquery: &str,
    before: Option<MessageId>,
) {
    qb.push(" AND m.account_id = ");
    qb.push_bind(access.account_id);
    qb.push(" AND m.search @@ to_tsquery('russian', ");
    qb.push_bind(tsquery.to_string());
    qb.push(")");
    if let Some(before) = before {
        qb.push(" AND m.id < ");
        qb.push_bind(before);
    }
    access.push_dialog_scope(qb, "d");
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
