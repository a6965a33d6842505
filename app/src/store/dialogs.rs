//! Dialogs: the inbox list, counters, one dialog, read positions.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};

use crate::auth::Access;
use crate::domain::event::DialogFacts;
use crate::domain::filter::DialogFilter;
use crate::domain::lifecycle::{DialogState, QueueTarget};
use crate::domain::{
    ChannelId, ChannelKind, ClientId, Counters, DialogId, DialogPage, DialogRow, DialogStatus,
    GroupId, LineId, ListCursor, MessageId, MessageKind, Section, UserId,
};

/// The most rows one page of the list returns.
pub const MAX_PAGE: i64 = 200;

/// "Has something this user has not read" for the dialog `d` and this user's state `s`.
const UNREAD: &str =
    "(d.last_activity_id > coalesce(s.read_message_id, 0) OR coalesce(s.manually_unread, false))";

#[derive(sqlx::FromRow)]
struct RowRecord {
    id: DialogId,
    number: i64,
    title: Option<String>,
    status: DialogStatus,
    client_id: ClientId,
    client_name: String,
    channel_kind: ChannelKind,
    channel_name: String,
    last_message_at: chrono::DateTime<chrono::Utc>,
    last_message_snippet: String,
    last_message_kind: MessageKind,
    unread: bool,
    pinned: bool,
    client_dialogs: i64,
    client_blocked: bool,
    new_helper: bool,
}

impl From<RowRecord> for DialogRow {
    fn from(r: RowRecord) -> Self {
        DialogRow {
            id: r.id,
            number: r.number,
            title: r.title,
            status: r.status,
            client_id: r.client_id,
            client_name: r.client_name,
            channel_kind: r.channel_kind,
            channel_name: r.channel_name,
            last_message_at: r.last_message_at,
            last_message_snippet: r.last_message_snippet,
            last_message_kind: r.last_message_kind,
            unread: r.unread,
            pinned: r.pinned,
            client_dialogs: r.client_dialogs,
            client_blocked: r.client_blocked,
            new_helper: r.new_helper,
        }
    }
}

/// The most pinned dialogs the first page of the list shows in Favorites.
pub const MAX_PINNED: i64 = 200;

const SELECT_ROWS: &str =
    "SELECT d.id, d.number, d.title, d.status, d.client_id, c.name AS client_name,
        ch.kind AS channel_kind, ch.name AS channel_name, d.last_message_at,
        d.last_message_snippet, d.last_message_kind::message_kind AS last_message_kind,
        {UNREAD} AS unread, coalesce(s.pinned, false) AS pinned,
        (SELECT count(*) FROM dialogs x
          WHERE x.client_id = d.client_id AND x.status <> 'for_review') AS client_dialogs,
        c.blocked AS client_blocked,
        -- D5: added as a co-assignee and not yet read since: marked as new.
        (pa.user_id IS NOT NULL AND {UNREAD}) AS new_helper
   FROM dialogs d
   JOIN clients c ON c.id = d.client_id
   JOIN channels ch ON ch.id = d.channel_id
   LEFT JOIN dialog_user_state s ON s.dialog_id = d.id AND s.user_id = ";

/// The rows of the list the user may see through the filter, before pagination and order.
fn filtered_rows(
    access: &Access,
    filter: &DialogFilter,
    tz_offset_minutes: i32,
    now: DateTime<Utc>,
    tags: TagScan,
) -> QueryBuilder<Postgres> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(SELECT_ROWS.replace("{UNREAD}", UNREAD));
    qb.push_bind(access.user_id);
    qb.push(
        " LEFT JOIN dialog_participants pa
            ON pa.dialog_id = d.id AND pa.role = 'co_assignee' AND pa.user_id = ",
    );
    qb.push_bind(access.user_id);
    qb.push(" WHERE true");
    push_filter(&mut qb, access, filter, tz_offset_minutes, now, tags);
    access.push_dialog_scope(&mut qb, "d");
    qb
}

/// How a tag filter is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagScan {
    /// From the tag indexes: for tags few dialogs and clients carry.
    Drive,
    /// Dialog by dialog along the list's order: for tags many carry (a page fills soon).
    Test,
}

/// Tags carried by at most this many dialogs and clients together are read from the tag
/// indexes; above it, a page of the list fills sooner by testing dialogs in order.
const RARE_TAG_USES: i64 = 5_000;

/// How to read the filter's tags: counts (up to the threshold) how often they are used.
async fn tag_scan(
    conn: &mut PgConnection,
    access: &Access,
    filter: &DialogFilter,
) -> sqlx::Result<TagScan> {
    if filter.tags.is_empty() {
        return Ok(TagScan::Test);
    }
    let uses: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM dialog_tags
                                        WHERE account_id = $1 AND tag_id = ANY($2) LIMIT $3) a)
              + (SELECT count(*) FROM (SELECT 1 FROM client_tags
                                        WHERE account_id = $1 AND tag_id = ANY($2) LIMIT $3) b)",
    )
    .bind(access.account_id)
    .bind(&filter.tags)
    .bind(RARE_TAG_USES + 1)
    .fetch_one(conn)
    .await?;
    Ok(if uses <= RARE_TAG_USES {
        TagScan::Drive
    } else {
        TagScan::Test
    })
}

/// The filter's conditions on the dialog `d` and this user's state `s` (C5). Every value
/// is bound as a parameter. `DialogFilter::matches` is the same rule in Rust.
fn push_filter(
    qb: &mut QueryBuilder<Postgres>,
    access: &Access,
    filter: &DialogFilter,
    tz_offset_minutes: i32,
    now: DateTime<Utc>,
    tags: TagScan,
) {
    let statuses = filter.statuses();
    if !statuses.contains(&DialogStatus::Closed) {
        // Written out so the planner uses the indexes on active dialogs.
        qb.push(" AND d.status <> 'closed'");
    }
    qb.push(" AND d.status = ANY(");
    qb.push_bind(statuses);
    qb.push(")");
    if !filter.lines.is_empty() {
        qb.push(" AND d.line_id = ANY(");
        qb.push_bind(filter.lines.clone());
        qb.push(")");
    }
    if !filter.channels.is_empty() {
        qb.push(" AND d.channel_id IN (SELECT x.id FROM channels x WHERE x.account_id = ");
        qb.push_bind(access.account_id);
        qb.push(" AND x.kind = ANY(");
        qb.push_bind(filter.channels.clone());
        qb.push("))");
    }
    match filter.assignee.map(|a| a.user(access.user_id)) {
        None => {}
        Some(None) => {
            qb.push(" AND d.assignee_id IS NULL");
        }
        Some(Some(user)) => {
            qb.push(" AND d.assignee_id = ");
            qb.push_bind(user);
        }
    }
    if !filter.tags.is_empty() {
        // A tag on the dialog or on its client (F1).
        match tags {
            // The few tagged dialogs are found through the tag indexes, then sorted.
            TagScan::Drive => {
                qb.push(
                    " AND d.id IN (SELECT t.dialog_id FROM dialog_tags t WHERE t.account_id = ",
                );
                qb.push_bind(access.account_id);
                qb.push(" AND t.tag_id = ANY(");
                qb.push_bind(filter.tags.clone());
                qb.push(
                    ") UNION ALL SELECT x.id FROM client_tags t
                       JOIN dialogs x ON x.client_id = t.client_id WHERE t.account_id = ",
                );
                qb.push_bind(access.account_id);
                qb.push(" AND t.tag_id = ANY(");
                qb.push_bind(filter.tags.clone());
                qb.push("))");
            }
            // Each dialog along the list's order is looked up by its key: scalar
            // subqueries, which PostgreSQL never turns into a hash of every tagged dialog.
            TagScan::Test => {
                qb.push(
                    " AND coalesce((SELECT true FROM dialog_tags t
                                     WHERE t.dialog_id = d.id AND t.tag_id = ANY(",
                );
                qb.push_bind(filter.tags.clone());
                qb.push(
                    ") LIMIT 1), (SELECT true FROM client_tags t
                                   WHERE t.client_id = d.client_id AND t.tag_id = ANY(",
                );
                qb.push_bind(filter.tags.clone());
                qb.push(") LIMIT 1), false)");
            }
        }
    }
    if filter.unread {
        qb.push(format!(" AND {UNREAD}"));
    }
    if filter.pinned {
        qb.push(" AND coalesce(s.pinned, false)");
    }
    if let Some(minutes) = filter.waiting {
        qb.push(" AND d.status IN ('new', 'in_work', 'returned') AND d.waiting_since <= ");
        qb.push_bind(now - chrono::Duration::minutes(i64::from(minutes)));
    }
    let (start, end) = filter.period(tz_offset_minutes);
    if let Some(start) = start {
        qb.push(" AND d.last_message_at >= ");
        qb.push_bind(start);
    }
    if let Some(end) = end {
        qb.push(" AND d.last_message_at < ");
        qb.push_bind(end);
    }
}

/// One page of the filtered list, newest first, keyset-paginated on (last_message_at, id).
///
/// The user's pinned dialogs (C6 Favorites) come first, all of them (up to `MAX_PINNED`),
/// on the first page only; the paginated rest leaves them out, so the cursor walks one
/// order and no dialog is listed twice. `limit` counts the rest.
pub async fn list(
    conn: &mut PgConnection,
    access: &Access,
    filter: &DialogFilter,
    tz_offset_minutes: i32,
    after: Option<ListCursor>,
    limit: i64,
) -> sqlx::Result<DialogPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let now = Utc::now();
    let tags = tag_scan(&mut *conn, access, filter).await?;
    let mut pinned: Vec<DialogRow> = if after.is_none() {
        let mut qb = filtered_rows(access, filter, tz_offset_minutes, now, tags);
        qb.push(" AND s.pinned ORDER BY d.last_message_at DESC, d.id DESC LIMIT ");
        qb.push_bind(MAX_PINNED);
        qb.build_query_as::<RowRecord>()
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(DialogRow::from)
            .collect()
    } else {
        Vec::new()
    };
    if filter.pinned {
        // Favorites only: the pinned rows above are the whole list.
        return Ok(DialogPage {
            rows: pinned,
            next: None,
        });
    }
    let mut qb = filtered_rows(access, filter, tz_offset_minutes, now, tags);
    qb.push(" AND NOT coalesce(s.pinned, false)");
    if let Some(cursor) = after {
        qb.push(" AND (d.last_message_at, d.id) < (");
        qb.push_bind(cursor.last_message_at);
        qb.push(", ");
        qb.push_bind(cursor.id);
        qb.push(")");
    }
    qb.push(" ORDER BY d.last_message_at DESC, d.id DESC LIMIT ");
    qb.push_bind(limit + 1);
    let mut rows: Vec<DialogRow> = qb
        .build_query_as::<RowRecord>()
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(DialogRow::from)
        .collect();
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| ListCursor {
            last_message_at: r.last_message_at,
            id: r.id,
        })
    } else {
        None
    };
    pinned.append(&mut rows);
    Ok(DialogPage { rows: pinned, next })
}

/// Those of `ids` that pass the filter for this user, as list rows (a live event's dialogs,
/// to patch a loaded list in place).
pub async fn rows_among(
    conn: &mut PgConnection,
    access: &Access,
    filter: &DialogFilter,
    tz_offset_minutes: i32,
    ids: &[DialogId],
) -> sqlx::Result<Vec<DialogRow>> {
    // The ids lead: each is tested for its tags.
    let mut qb = filtered_rows(access, filter, tz_offset_minutes, Utc::now(), TagScan::Test);
    qb.push(" AND d.id = ANY(");
    qb.push_bind(ids.iter().map(|d| d.0).collect::<Vec<i64>>());
    qb.push(")");
    Ok(qb
        .build_query_as::<RowRecord>()
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(DialogRow::from)
        .collect())
}

/// `(SELECT count(*) …)` of the open dialogs through `filter` with something unread for
/// this user, stopping at `Counters::MAX`.
///
/// Closed dialogs are never counted, even when the list shows them: nothing new arrives in
/// a closed dialog (the client's next message starts a new one, and what a blocked client
/// writes is kept closed and counted nowhere, C6), so a counter says how many open dialogs
/// wait to be read rather than how much history this user never opened.
fn push_unread_count(
    qb: &mut QueryBuilder<Postgres>,
    access: &Access,
    filter: &DialogFilter,
    tz_offset_minutes: i32,
    now: DateTime<Utc>,
) {
    let unread = DialogFilter {
        unread: true,
        closed: false,
        ..filter.clone()
    };
    qb.push(
        "(SELECT count(*) FROM (SELECT 1 FROM dialogs d
           LEFT JOIN dialog_user_state s ON s.dialog_id = d.id AND s.user_id = ",
    );
    qb.push_bind(access.user_id);
    qb.push(" WHERE true");
    push_filter(qb, access, &unread, tz_offset_minutes, now, TagScan::Test);
    access.push_dialog_scope(qb, "d");
    if access.role.sees_everything() {
        // In the list's order, so the count walks the index of open dialogs and stops at
        // the cap.
        qb.push(" ORDER BY d.last_message_at DESC, d.id DESC");
    }
    qb.push(" LIMIT ");
    qb.push_bind(Counters::MAX);
    qb.push(") x)");
}

/// How many dialogs of each section have unread messages for this user, within the rest of
/// the filter (C2). A count stops at `Counters::MAX`.
pub async fn counters<'a>(
    db: impl sqlx::Acquire<'a, Database = Postgres>,
    access: &Access,
    filter: &DialogFilter,
    tz_offset_minutes: i32,
) -> sqlx::Result<Counters> {
    let sections = Section::ALL.map(|section| filter.with_section(section));
    let counts = count_unread(db, access, &sections, tz_offset_minutes).await?;
    let count = |i: usize| counts.get(i).copied().unwrap_or(0);
    Ok(Counters {
        new: count(0),
        in_work: count(1),
        all: count(2),
    })
}

/// How many unread dialogs each filter holds for this user (sections, folders), each up to
/// `Counters::MAX`, in one query.
pub async fn count_unread<'a>(
    db: impl sqlx::Acquire<'a, Database = Postgres>,
    access: &Access,
    filters: &[DialogFilter],
    tz_offset_minutes: i32,
) -> sqlx::Result<Vec<i64>> {
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("SELECT ARRAY[");
    for (i, filter) in filters.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        push_unread_count(&mut qb, access, filter, tz_offset_minutes, now);
    }
    qb.push("]::bigint[]");
    let mut tx = db.begin().await?;
    // Each count walks a thousand rows at most: starting parallel workers for it costs
    // more than the walk.
    sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
        .execute(&mut *tx)
        .await?;
    let counts = qb.build_query_scalar().fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(counts)
}

/// A dialog's header as stored, before rights are applied.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DialogRecord {
    pub id: DialogId,
    pub number: i64,
    pub title: Option<String>,
    pub status: DialogStatus,
    pub line_id: LineId,
    pub line_name: String,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub client_id: ClientId,
    pub client_name: String,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub participant_ids: Vec<UserId>,
    pub co_assignee_ids: Vec<UserId>,
    pub observer_ids: Vec<UserId>,
    pub queue_user_id: Option<UserId>,
    pub queue_group_id: Option<GroupId>,
    /// The line asks for a close reason (D11).
    pub reason_required: bool,
    /// This user hid the dialog's system messages (D6).
    pub hide_system: bool,
}

impl DialogRecord {
    pub fn facts(&self) -> DialogFacts {
        DialogFacts {
            line_id: self.line_id,
            status: self.status,
            assignee_id: self.assignee_id,
            participant_ids: self.participant_ids.clone(),
            queue_user_id: self.queue_user_id,
            queue_group_id: self.queue_group_id,
            before: None,
        }
    }

    /// What the lifecycle needs of this dialog.
    pub fn state(&self) -> DialogState {
        DialogState {
            status: self.status,
            assignee: self.assignee_id,
            queue: QueueTarget::from_columns(self.queue_user_id, self.queue_group_id),
            co_assignees: self.co_assignee_ids.clone(),
            observers: self.observer_ids.clone(),
            title: self.title.clone(),
            reason_required: self.reason_required,
        }
    }
}

/// A dialog the user may see, or None (unknown id, another account, or no right: all the
/// same to the caller). `lock` takes a row lock for a write that follows.
pub async fn find(
    conn: &mut PgConnection,
    access: &Access,
    id: DialogId,
    lock: bool,
) -> sqlx::Result<Option<DialogRecord>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT d.id, d.number, d.title, d.status, d.line_id, l.name AS line_name,
                d.channel_id, ch.kind AS channel_kind, ch.name AS channel_name,
                d.client_id, c.name AS client_name, d.assignee_id,
                u.display_name AS assignee_name,
                array(SELECT DISTINCT p.user_id FROM dialog_participants p
                       WHERE p.dialog_id = d.id) AS participant_ids,
                array(SELECT p.user_id FROM dialog_participants p
                       WHERE p.dialog_id = d.id AND p.role = 'co_assignee' ORDER BY p.added_at)
                    AS co_assignee_ids,
                array(SELECT p.user_id FROM dialog_participants p
                       WHERE p.dialog_id = d.id AND p.role = 'observer' ORDER BY p.added_at)
                    AS observer_ids,
                d.queue_user_id, d.queue_group_id, l.close_requires_reason AS reason_required,
                coalesce((SELECT s.hide_system FROM dialog_user_state s
                           WHERE s.dialog_id = d.id AND s.user_id = ",
    );
    qb.push_bind(access.user_id);
    qb.push(
        "), false) AS hide_system
           FROM dialogs d
           JOIN lines l ON l.id = d.line_id
           JOIN channels ch ON ch.id = d.channel_id
           JOIN clients c ON c.id = d.client_id
           LEFT JOIN users u ON u.id = d.assignee_id
          WHERE d.id = ",
    );
    qb.push_bind(id);
    access.push_dialog_scope(&mut qb, "d");
    if lock {
        qb.push(" FOR UPDATE OF d");
    }
    qb.build_query_as().fetch_optional(conn).await
}

/// A dialog as API clients see it: the header, who works on it, and its last activity.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DialogSummary {
    pub id: DialogId,
    pub number: i64,
    pub title: Option<String>,
    pub status: DialogStatus,
    pub line_id: LineId,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub client_id: ClientId,
    pub client_name: String,
    pub assignee_id: Option<UserId>,
    pub participant_ids: Vec<UserId>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_message_at: chrono::DateTime<chrono::Utc>,
    pub last_message_snippet: String,
    pub queue_user_id: Option<UserId>,
    pub queue_group_id: Option<GroupId>,
    pub co_assignee_ids: Vec<UserId>,
    pub observer_ids: Vec<UserId>,
}

impl DialogSummary {
    /// What the lifecycle needs of this dialog (whether a close reason is required is not
    /// part of a summary).
    pub fn state(&self) -> DialogState {
        DialogState {
            status: self.status,
            assignee: self.assignee_id,
            queue: QueueTarget::from_columns(self.queue_user_id, self.queue_group_id),
            co_assignees: self.co_assignee_ids.clone(),
            observers: self.observer_ids.clone(),
            title: self.title.clone(),
            reason_required: false,
        }
    }

    pub fn facts(&self) -> DialogFacts {
        DialogFacts {
            line_id: self.line_id,
            status: self.status,
            assignee_id: self.assignee_id,
            participant_ids: self.participant_ids.clone(),
            queue_user_id: self.queue_user_id,
            queue_group_id: self.queue_group_id,
            before: None,
        }
    }
}

const SUMMARY_SELECT: &str = "SELECT d.id, d.number, d.title, d.status, d.line_id, d.channel_id,
        ch.kind AS channel_kind, d.client_id, c.name AS client_name, d.assignee_id,
        array(SELECT DISTINCT p.user_id FROM dialog_participants p WHERE p.dialog_id = d.id)
            AS participant_ids,
        d.created_at, d.closed_at, d.last_message_at, d.last_message_snippet,
        d.queue_user_id, d.queue_group_id,
        array(SELECT p.user_id FROM dialog_participants p
               WHERE p.dialog_id = d.id AND p.role = 'co_assignee') AS co_assignee_ids,
        array(SELECT p.user_id FROM dialog_participants p
               WHERE p.dialog_id = d.id AND p.role = 'observer') AS observer_ids
   FROM dialogs d
   JOIN clients c ON c.id = d.client_id
   JOIN channels ch ON ch.id = d.channel_id";

/// Dialogs the user may see with one of `statuses` (all when empty), newest activity first,
/// keyset-paginated on (last_message_at, id) like the inbox. The cursor is set when more
/// rows follow.
pub async fn summaries(
    db: impl PgExecutor<'_>,
    access: &Access,
    statuses: &[DialogStatus],
    after: Option<ListCursor>,
    limit: i64,
) -> sqlx::Result<(Vec<DialogSummary>, Option<ListCursor>)> {
    let limit = limit.clamp(1, MAX_PAGE);
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(SUMMARY_SELECT);
    qb.push(" WHERE true");
    if !statuses.is_empty() {
        qb.push(" AND d.status = ANY(");
        qb.push_bind(statuses.to_vec());
        qb.push(")");
    }
    access.push_dialog_scope(&mut qb, "d");
    if let Some(cursor) = after {
        qb.push(" AND (d.last_message_at, d.id) < (");
        qb.push_bind(cursor.last_message_at);
        qb.push(", ");
        qb.push_bind(cursor.id);
        qb.push(")");
    }
    qb.push(" ORDER BY d.last_message_at DESC, d.id DESC LIMIT ");
    qb.push_bind(limit + 1);
    let mut rows: Vec<DialogSummary> = qb.build_query_as().fetch_all(db).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| ListCursor {
            last_message_at: r.last_message_at,
            id: r.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// One dialog the user may see, or None (unknown, another account's, or not allowed).
pub async fn summary(
    db: impl PgExecutor<'_>,
    access: &Access,
    id: DialogId,
) -> sqlx::Result<Option<DialogSummary>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(SUMMARY_SELECT);
    qb.push(" WHERE d.id = ");
    qb.push_bind(id);
    access.push_dialog_scope(&mut qb, "d");
    qb.build_query_as().fetch_optional(db).await
}

/// Hides (or shows again) a dialog's system messages for this user (D6).
pub async fn set_hide_system(
    db: impl PgExecutor<'_>,
    access: &Access,
    dialog: DialogId,
    hide: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dialog_user_state (account_id, dialog_id, user_id, hide_system)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (dialog_id, user_id) DO UPDATE SET hide_system = excluded.hide_system",
    )
    .bind(access.account_id)
    .bind(dialog)
    .bind(access.user_id)
    .bind(hide)
    .execute(db)
    .await?;
    Ok(())
}

/// Pins (or unpins) a dialog for this user: it is listed in Favorites (C6).
pub async fn set_pinned(
    db: impl PgExecutor<'_>,
    access: &Access,
    dialog: DialogId,
    pinned: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dialog_user_state (account_id, dialog_id, user_id, pinned)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (dialog_id, user_id) DO UPDATE SET pinned = excluded.pinned",
    )
    .bind(access.account_id)
    .bind(dialog)
    .bind(access.user_id)
    .bind(pinned)
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a dialog unread for this user until they read it again (C6); the read position
/// stays where it is.
pub async fn mark_unread(
    db: impl PgExecutor<'_>,
    access: &Access,
    dialog: DialogId,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dialog_user_state (account_id, dialog_id, user_id, manually_unread)
         VALUES ($1, $2, $3, true)
         ON CONFLICT (dialog_id, user_id) DO UPDATE SET manually_unread = true",
    )
    .bind(access.account_id)
    .bind(dialog)
    .bind(access.user_id)
    .execute(db)
    .await?;
    Ok(())
}

/// A dialog's marks for this user and whether its client is blocked (C6), or None when the
/// user may not see it.
pub async fn menu_state(
    db: impl PgExecutor<'_>,
    access: &Access,
    dialog: DialogId,
) -> sqlx::Result<Option<(bool, bool, bool, bool)>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {UNREAD}, coalesce(s.pinned, false), coalesce(s.hide_system, false), c.blocked
           FROM dialogs d
           JOIN clients c ON c.id = d.client_id
           LEFT JOIN dialog_user_state s ON s.dialog_id = d.id AND s.user_id = "
    ));
    qb.push_bind(access.user_id);
    qb.push(" WHERE d.id = ");
    qb.push_bind(dialog);
    access.push_dialog_scope(&mut qb, "d");
    qb.build_query_as().fetch_optional(db).await
}

/// The client's active dialogs this user may see, locked for a change that follows.
pub async fn active_of_client(
    conn: &mut PgConnection,
    access: &Access,
    client: ClientId,
) -> sqlx::Result<Vec<DialogId>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT d.id FROM dialogs d
          WHERE d.status IN ('new', 'returned', 'in_work') AND d.client_id = ",
    );
    qb.push_bind(client);
    access.push_dialog_scope(&mut qb, "d");
    qb.push(" ORDER BY d.id FOR UPDATE OF d");
    qb.build_query_scalar().fetch_all(conn).await
}

/// Moves the user's read position forward to `upto` (never backwards).
pub async fn mark_read(
    db: impl PgExecutor<'_>,
    access: &Access,
    dialog: DialogId,
    upto: MessageId,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dialog_user_state (account_id, dialog_id, user_id, read_message_id)
         SELECT d.account_id, d.id, $3, least($4, d.last_activity_id)
           FROM dialogs d WHERE d.id = $2 AND d.account_id = $1
         ON CONFLICT (dialog_id, user_id) DO UPDATE
            SET read_message_id = greatest(dialog_user_state.read_message_id, excluded.read_message_id),
                manually_unread = false",
    )
    .bind(access.account_id)
    .bind(dialog)
    .bind(access.user_id)
    .bind(upto)
    .execute(db)
    .await?;
    Ok(())
}

/// A dialog an operator starts (C7): the recipient's client (found by chat, phone or email,
/// or created), and their active dialog on the channel — or a new one, in work, assigned
/// to `assignee` with `initiator` taking part. `chat` is the client's id on the channel.
/// The second value is false when the client already had an active dialog there (D2: one
/// per client and channel); it is returned unchanged.
pub async fn open_by_operator(
    conn: &mut PgConnection,
    channel: &crate::store::inbound::ChannelRecord,
    line: LineId,
    chat: &crate::domain::inbound::InboundChat,
    assignee: UserId,
    initiator: UserId,
) -> sqlx::Result<(DialogId, bool)> {
    use crate::store::inbound::{self, FirstContact};

    inbound::lock_chat(conn, channel.id, &chat.external_id).await?;
    let client =
        inbound::find_or_create_client(conn, channel, line, chat, FirstContact::OperatorWrote)
            .await?;
    let active: Option<DialogId> = sqlx::query_scalar(
        "SELECT id FROM dialogs
          WHERE account_id = $1 AND client_id = $2 AND channel_id = $3
            AND status NOT IN ('closed', 'for_review')
          FOR UPDATE",
    )
    .bind(channel.account_id)
    .bind(client)
    .bind(channel.id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(dialog) = active {
        return Ok((dialog, false));
    }
    let dialog: DialogId = sqlx::query_scalar(
        "WITH number AS (
            UPDATE accounts SET next_dialog_number = next_dialog_number + 1
             WHERE id = $1 RETURNING next_dialog_number - 1 AS n
         )
         INSERT INTO dialogs (account_id, number, status, line_id, channel_id, client_id,
                              assignee_id, accepted_at)
         SELECT $1, number.n, 'in_work', $2, $3, $4, $5, now() FROM number
         RETURNING id",
    )
    .bind(channel.account_id)
    .bind(line)
    .bind(channel.id)
    .bind(client)
    .bind(assignee)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO dialog_participants (account_id, dialog_id, user_id, role)
         VALUES ($1, $2, $3, 'assignee'), ($1, $2, $4, 'initiator')",
    )
    .bind(channel.account_id)
    .bind(dialog)
    .bind(assignee)
    .bind(initiator)
    .execute(&mut *conn)
    .await?;
    Ok((dialog, true))
}

/// The Telegram chat of a client who wrote to this bot under `username` (without "@").
pub async fn telegram_chat_of(
    db: impl sqlx::PgExecutor<'_>,
    channel: &crate::store::inbound::ChannelRecord,
    username: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT i.external_id FROM client_identities i JOIN clients c ON c.id = i.client_id
          WHERE i.account_id = $1 AND i.channel_id = $2
            AND (lower(i.display) = lower('@' || $3) OR lower(c.username) = lower($3))
          ORDER BY i.id DESC LIMIT 1",
    )
    .bind(channel.account_id)
    .bind(channel.id)
    .bind(username)
    .fetch_optional(db)
    .await
}

/// The most other dialogs of a client the open dialog lists.
pub const MAX_OTHER_DIALOGS: i64 = 50;

/// The most dialogs one single-window history (D8) draws from.
pub const MAX_HISTORY_DIALOGS: i64 = 500;

/// The client's other dialogs this user may see, newest first (D7).
pub async fn others_of_client(
    db: impl PgExecutor<'_>,
    access: &Access,
    client: ClientId,
    except: DialogId,
) -> sqlx::Result<Vec<crate::domain::OtherDialog>> {
    of_client(db, access, client, except, false, MAX_OTHER_DIALOGS).await
}

/// The dialogs one history of the client is made of (D8): `current` and every other dialog
/// of the client this user may see, newest first. Review copies repeat messages kept
/// elsewhere, so only the open one takes part.
pub async fn history_of_client(
    db: impl PgExecutor<'_>,
    access: &Access,
    client: ClientId,
    current: DialogId,
) -> sqlx::Result<Vec<crate::domain::OtherDialog>> {
    of_client(db, access, client, current, true, MAX_HISTORY_DIALOGS).await
}

async fn of_client(
    db: impl PgExecutor<'_>,
    access: &Access,
    client: ClientId,
    current: DialogId,
    with_current: bool,
    limit: i64,
) -> sqlx::Result<Vec<crate::domain::OtherDialog>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT d.id, d.number, d.title, d.status, ch.name AS channel_name, d.created_at,
                d.closed_at
           FROM dialogs d JOIN channels ch ON ch.id = d.channel_id
          WHERE d.client_id = ",
    );
    qb.push_bind(client);
    if with_current {
        qb.push(" AND (d.id = ");
        qb.push_bind(current);
        qb.push(" OR (d.status <> 'for_review'");
        access.push_dialog_scope(&mut qb, "d");
        qb.push("))");
        // The open dialog was checked by the caller; the scope still names the account.
        qb.push(" AND d.account_id = ");
        qb.push_bind(access.account_id);
    } else {
        qb.push(" AND d.id <> ");
        qb.push_bind(current);
        qb.push(" AND d.status <> 'for_review'");
        access.push_dialog_scope(&mut qb, "d");
    }
    qb.push(" ORDER BY d.id DESC LIMIT ");
    qb.push_bind(limit);
    qb.build_query_as().fetch_all(db).await
}

/// A dialog's co-assignees and observers with their names (D5), in the order they joined.
pub async fn helpers(
    db: impl PgExecutor<'_>,
    access: &Access,
    dialog: DialogId,
) -> sqlx::Result<Vec<crate::domain::Helper>> {
    sqlx::query_as(
        "SELECT p.user_id, u.display_name AS name, p.role
           FROM dialog_participants p JOIN users u ON u.id = p.user_id
          WHERE p.account_id = $1 AND p.dialog_id = $2 AND p.role IN ('co_assignee', 'observer')
          ORDER BY p.added_at, p.user_id",
    )
    .bind(access.account_id)
    .bind(dialog)
    .fetch_all(db)
    .await
}
