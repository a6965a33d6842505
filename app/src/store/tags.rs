//! Tags of the account (F1) and which dialogs and clients carry them. Every statement names
//! the account, so another account's tag, dialog or client id matches nothing.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::event::DialogFacts;
use crate::domain::tag::{self, DialogTags, MAX_PER_ACCOUNT, MAX_PER_ITEM, Tag};
use crate::domain::{AccountId, ClientId, DialogId, DialogStatus, GroupId, LineId, TagId, UserId};

/// Every tag of the account, by name.
pub async fn list(db: impl PgExecutor<'_>, account: AccountId) -> sqlx::Result<Vec<Tag>> {
    sqlx::query_as("SELECT id, name, color FROM tags WHERE account_id = $1 ORDER BY name, id")
        .bind(account)
        .fetch_all(db)
        .await
}

/// One tag of the account.
pub async fn find(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: TagId,
) -> sqlx::Result<Option<Tag>> {
    sqlx::query_as("SELECT id, name, color FROM tags WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Changes to one account's catalogue are made one at a time (a transaction-scoped lock),
/// so the case-insensitive uniqueness of names and the account's limit hold.
async fn lock_catalogue(conn: &mut PgConnection, account: AccountId) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('tags'), $1::int)")
        .bind((account.0 % i64::from(i32::MAX)) as i32)
        .execute(conn)
        .await?;
    Ok(())
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    New(Tag),
    /// A tag of that name (in any case) exists: it is picked, its colour kept.
    Existing(Tag),
    /// The account has `MAX_PER_ACCOUNT` tags.
    TooMany,
}

/// Makes a tag, or finds the one with the same name regardless of case. `name` and `color`
/// are already checked (`tag::parse_name`, `tag::parse_color`).
pub async fn create(
    conn: &mut PgConnection,
    account: AccountId,
    name: &str,
    color: &str,
) -> sqlx::Result<Created> {
    lock_catalogue(conn, account).await?;
    // Compared in Rust, so the rule is the picker's (`tag::find_by_name`) whatever the
    // database's collation does to case.
    let tags = list(&mut *conn, account).await?;
    if let Some(existing) = tag::find_by_name(&tags, name) {
        return Ok(Created::Existing(existing.clone()));
    }
    if tags.len() as i64 >= MAX_PER_ACCOUNT {
        return Ok(Created::TooMany);
    }
    let tag = sqlx::query_as(
        "INSERT INTO tags (account_id, name, color) VALUES ($1, $2, $3)
         RETURNING id, name, color",
    )
    .bind(account)
    .bind(name)
    .bind(color)
    .fetch_one(conn)
    .await?;
    Ok(Created::New(tag))
}

/// What `update` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Updated {
    Done(Tag),
    /// Unknown id, or another account's.
    NotFound,
    /// Another tag has that name (in any case).
    NameTaken,
}

/// Renames and recolours a tag. Its own name in another case is no clash.
pub async fn update(
    conn: &mut PgConnection,
    account: AccountId,
    id: TagId,
    name: &str,
    color: &str,
) -> sqlx::Result<Updated> {
    lock_catalogue(conn, account).await?;
    let tags = list(&mut *conn, account).await?;
    if !tags.iter().any(|t| t.id == id) {
        return Ok(Updated::NotFound);
    }
    if tag::find_by_name(&tags, name).is_some_and(|t| t.id != id) {
        return Ok(Updated::NameTaken);
    }
    let tag = sqlx::query_as(
        "UPDATE tags SET name = $3, color = $4 WHERE account_id = $1 AND id = $2
         RETURNING id, name, color",
    )
    .bind(account)
    .bind(id)
    .bind(name)
    .bind(color)
    .fetch_optional(conn)
    .await?;
    Ok(tag.map_or(Updated::NotFound, Updated::Done))
}

/// Deletes a tag; the dialogs and clients carrying it lose it (the foreign keys cascade).
/// False for an unknown id.
pub async fn delete(db: impl PgExecutor<'_>, account: AccountId, id: TagId) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM tags WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What putting a tag on a dialog or client did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Added,
    /// It carried the tag already: nothing changed.
    Already,
    /// It carries `MAX_PER_ITEM` tags.
    TooMany,
}

/// What carries tags: a dialog or a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Dialog(DialogId),
    Client(ClientId),
}

impl Holder {
    /// Its link table, the column naming it there, and its id.
    fn link(self) -> (&'static str, &'static str, i64) {
        match self {
            Holder::Dialog(d) => ("dialog_tags", "dialog_id", d.0),
            Holder::Client(c) => ("client_tags", "client_id", c.0),
        }
    }
}

/// Puts a tag of the account (checked by the caller with `find` in the same transaction) on
/// one of its dialogs or clients. For a dialog the caller holds its row lock
/// (`store::dialogs::find(.., true)`); a client's row is locked here. Either way two
/// operators tagging at once keep `MAX_PER_ITEM`.
pub async fn put(
    conn: &mut PgConnection,
    account: AccountId,
    holder: Holder,
    tag: TagId,
) -> sqlx::Result<Put> {
    let (table, column, id) = holder.link();
    if let Holder::Client(client) = holder {
        sqlx::query("SELECT 1 FROM clients WHERE account_id = $1 AND id = $2 FOR UPDATE")
            .bind(account)
            .bind(client)
            .execute(&mut *conn)
            .await?;
    }
    let (has, count): (bool, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT coalesce(bool_or(tag_id = $3), false), count(*)
           FROM {table} WHERE account_id = $1 AND {column} = $2"
    )))
    .bind(account)
    .bind(id)
    .bind(tag)
    .fetch_one(&mut *conn)
    .await?;
    if has {
        return Ok(Put::Already);
    }
    if count >= MAX_PER_ITEM {
        return Ok(Put::TooMany);
    }
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {table} (account_id, {column}, tag_id) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING"
    )))
    .bind(account)
    .bind(id)
    .bind(tag)
    .execute(conn)
    .await?;
    Ok(if done.rows_affected() == 1 {
        Put::Added
    } else {
        Put::Already
    })
}

/// Takes a tag off a dialog or client; false when it did not carry it.
pub async fn remove(
    db: impl PgExecutor<'_>,
    account: AccountId,
    holder: Holder,
    tag: TagId,
) -> sqlx::Result<bool> {
    let (table, column, id) = holder.link();
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE account_id = $1 AND {column} = $2 AND tag_id = $3"
    )))
    .bind(account)
    .bind(id)
    .bind(tag)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The tags of one dialog and of its client, each list by name, in one query.
pub async fn of_dialog(
    db: impl PgExecutor<'_>,
    account: AccountId,
    dialog: DialogId,
) -> sqlx::Result<DialogTags> {
    let rows: Vec<(bool, TagId, String, String)> = sqlx::query_as(
        "SELECT false, t.id, t.name, t.color
           FROM dialog_tags dt JOIN tags t ON t.account_id = dt.account_id AND t.id = dt.tag_id
          WHERE dt.account_id = $1 AND dt.dialog_id = $2
         UNION ALL
         SELECT true, t.id, t.name, t.color
           FROM dialogs d
           JOIN client_tags ct ON ct.account_id = d.account_id AND ct.client_id = d.client_id
           JOIN tags t ON t.account_id = ct.account_id AND t.id = ct.tag_id
          WHERE d.account_id = $1 AND d.id = $2
          ORDER BY 3, 2",
    )
    .bind(account)
    .bind(dialog)
    .fetch_all(db)
    .await?;
    let mut out = DialogTags::default();
    for (of_client, id, name, color) in rows {
        let tag = Tag { id, name, color };
        if of_client {
            out.client_tags.push(tag);
        } else {
            out.tags.push(tag);
        }
    }
    Ok(out)
}

/// Every dialog of a client with the facts that decide who sees an event about it (the
/// shape of `store::inbound::facts`, for many dialogs in one query): a client's tags
/// change what a tag filter finds among all of them.
pub async fn client_dialog_facts(
    db: impl PgExecutor<'_>,
    account: AccountId,
    client: ClientId,
) -> sqlx::Result<Vec<(DialogId, DialogFacts)>> {
    type Row = (
        DialogId,
        LineId,
        DialogStatus,
        Option<UserId>,
        Vec<UserId>,
        Option<UserId>,
        Option<GroupId>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id, d.line_id, d.status, d.assignee_id,
                array(SELECT DISTINCT p.user_id FROM dialog_participants p
                       WHERE p.dialog_id = d.id),
                d.queue_user_id, d.queue_group_id
           FROM dialogs d
          WHERE d.account_id = $1 AND d.client_id = $2
          ORDER BY d.id",
    )
    .bind(account)
    .bind(client)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, line_id, status, assignee_id, participant_ids, queue_user_id, queue_group_id)| {
                (
                    id,
                    DialogFacts {
                        line_id,
                        status,
                        assignee_id,
                        participant_ids,
                        queue_user_id,
                        queue_group_id,
                        before: None,
                    },
                )
            },
        )
        .collect())
}
