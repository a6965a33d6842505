//! A user's folders (C5). Every query names the account and the user: another user's
//! folder is as unknown as a missing one.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::folder::MAX_FOLDERS;
use crate::domain::{AccountId, FolderId, UserId};

/// The user's folders in their order: (id, name, canonical filter).
pub async fn list(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
) -> sqlx::Result<Vec<(FolderId, String, String)>> {
    sqlx::query_as(
        "SELECT id, name, filter FROM folders
          WHERE account_id = $1 AND user_id = $2 ORDER BY position, id",
    )
    .bind(account)
    .bind(user)
    .fetch_all(db)
    .await
}

/// Adds a folder at the end; None when the user has `MAX_FOLDERS` already.
pub async fn create(
    conn: &mut PgConnection,
    account: AccountId,
    user: UserId,
    name: &str,
    filter: &str,
) -> sqlx::Result<Option<FolderId>> {
    // One user's folders are added one at a time, so the limit holds.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('folders'), $1::int)")
        .bind((user.0 % i64::from(i32::MAX)) as i32)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar(
        "INSERT INTO folders (account_id, user_id, name, filter, position)
         SELECT $1, $2, $3, $4, coalesce(max(position) + 1, 0)
           FROM folders WHERE account_id = $1 AND user_id = $2
         HAVING count(*) < $5
         RETURNING id",
    )
    .bind(account)
    .bind(user)
    .bind(name)
    .bind(filter)
    .bind(MAX_FOLDERS)
    .fetch_optional(conn)
    .await
}

/// Renames a folder; false when the user has no such folder.
pub async fn rename(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
    id: FolderId,
    name: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE folders SET name = $4 WHERE account_id = $1 AND user_id = $2 AND id = $3",
    )
    .bind(account)
    .bind(user)
    .bind(id)
    .bind(name)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a folder; false when the user has no such folder.
pub async fn delete(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
    id: FolderId,
) -> sqlx::Result<bool> {
    let done =
        sqlx::query("DELETE FROM folders WHERE account_id = $1 AND user_id = $2 AND id = $3")
            .bind(account)
            .bind(user)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a folder to place `to` (0 is first; past the end is last); false when the user has
/// no such folder. The user's folders are locked while they are renumbered.
pub async fn move_to(
    conn: &mut PgConnection,
    account: AccountId,
    user: UserId,
    id: FolderId,
    to: usize,
) -> sqlx::Result<bool> {
    let mut ids: Vec<FolderId> = sqlx::query_scalar(
        "SELECT id FROM folders WHERE account_id = $1 AND user_id = $2
          ORDER BY position, id FOR UPDATE",
    )
    .bind(account)
    .bind(user)
    .fetch_all(&mut *conn)
    .await?;
    let Some(from) = ids.iter().position(|f| *f == id) else {
        return Ok(false);
    };
    let folder = ids.remove(from);
    ids.insert(to.min(ids.len()), folder);
    sqlx::query(
        "UPDATE folders f SET position = t.n - 1
           FROM unnest($3::bigint[]) WITH ORDINALITY AS t(id, n)
          WHERE f.account_id = $1 AND f.user_id = $2 AND f.id = t.id",
    )
    .bind(account)
    .bind(user)
    .bind(ids.iter().map(|f| f.0).collect::<Vec<i64>>())
    .execute(conn)
    .await?;
    Ok(true)
}
