//! The account's close reasons (D11) and the report of dialogs closed per reason.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::close_reason::{CloseReason, ReportQuery, ReportRow};
use crate::domain::{AccountId, CloseReasonId};

/// The catalogue in its order; archived reasons (last) only when asked.
pub async fn list(
    db: impl PgExecutor<'_>,
    account: AccountId,
    with_archived: bool,
) -> sqlx::Result<Vec<CloseReason>> {
    sqlx::query_as(
        "SELECT r.id, r.name, r.archived,
                (SELECT count(*) FROM dialogs d
                  WHERE d.account_id = r.account_id AND d.close_reason_id = r.id) AS used
           FROM close_reasons r
          WHERE r.account_id = $1 AND (NOT r.archived OR $2)
          ORDER BY r.archived, r.position, r.id",
    )
    .bind(account)
    .bind(with_archived)
    .fetch_all(db)
    .await
}

/// The name of a reason the close form may use (of the account, not archived).
pub async fn offered_name(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: CloseReasonId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT name FROM close_reasons WHERE account_id = $1 AND id = $2 AND NOT archived",
    )
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Adds a reason at the end; a reason archived under the same name comes back instead.
/// None when an active reason already has the name.
pub async fn add(
    conn: &mut PgConnection,
    account: AccountId,
    name: &str,
) -> sqlx::Result<Option<CloseReasonId>> {
    sqlx::query_scalar(
        "INSERT INTO close_reasons (account_id, name, position)
         SELECT $1, $2, coalesce(max(position), 0) + 1 FROM close_reasons WHERE account_id = $1
         ON CONFLICT (account_id, name) DO UPDATE
            SET archived = false, position = excluded.position
          WHERE close_reasons.archived
         RETURNING id",
    )
    .bind(account)
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// What changing a reason did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Done,
    /// Unknown id, or another account's.
    NotFound,
    /// Another reason has the name.
    NameTaken,
}

/// Renames a reason (closed dialogs keep the name they were closed with).
pub async fn rename(
    conn: &mut PgConnection,
    account: AccountId,
    id: CloseReasonId,
    name: &str,
) -> sqlx::Result<Changed> {
    let result =
        sqlx::query("UPDATE close_reasons SET name = $3 WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .bind(name)
            .execute(conn)
            .await;
    match result {
        Ok(r) if r.rows_affected() == 0 => Ok(Changed::NotFound),
        Ok(_) => Ok(Changed::Done),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Changed::NameTaken),
        Err(e) => Err(e),
    }
}

/// Archives (or restores) a reason: archived reasons are not offered when closing.
pub async fn set_archived(
    conn: &mut PgConnection,
    account: AccountId,
    id: CloseReasonId,
    archived: bool,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE close_reasons SET archived = $3 WHERE account_id = $1 AND id = $2")
        .bind(account)
        .bind(id)
        .bind(archived)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Deletes a reason no dialog was closed with; one in use is archived instead. False for an
/// unknown id.
pub async fn remove(
    conn: &mut PgConnection,
    account: AccountId,
    id: CloseReasonId,
) -> sqlx::Result<bool> {
    let deleted = sqlx::query(
        "DELETE FROM close_reasons r WHERE r.account_id = $1 AND r.id = $2
            AND NOT EXISTS (SELECT 1 FROM dialogs d
                             WHERE d.account_id = $1 AND d.close_reason_id = r.id)",
    )
    .bind(account)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if deleted.rows_affected() == 1 {
        return Ok(true);
    }
    set_archived(conn, account, id, true).await
}

/// Puts the account's active reasons in this order (ids not listed keep their place after).
pub async fn reorder(
    conn: &mut PgConnection,
    account: AccountId,
    ids: &[CloseReasonId],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE close_reasons r SET position = t.n
           FROM unnest($2::bigint[]) WITH ORDINALITY AS t(id, n)
          WHERE r.account_id = $1 AND r.id = t.id",
    )
    .bind(account)
    .bind(ids.iter().map(|i| i.0).collect::<Vec<i64>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Dialogs closed in the period (days in the time zone `tz_offset_minutes` east of UTC),
/// per reason, line and operator, most first. `lines`: the lines the user may see (None:
/// all of the account).
pub async fn report(
    db: impl PgExecutor<'_>,
    account: AccountId,
    query: &ReportQuery,
    tz_offset_minutes: i32,
    lines: Option<&[crate::domain::LineId]>,
) -> sqlx::Result<Vec<ReportRow>> {
    let offset = chrono::Duration::minutes(tz_offset_minutes.into());
    let from = query
        .from
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        - offset;
    let to = (query.to + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        - offset;
    sqlx::query_as(
        "SELECT coalesce(r.name, d.close_reason) AS reason, d.line_id, l.name AS line,
                coalesce(d.assignee_id, d.closed_by_id) AS operator_id,
                u.display_name AS operator, count(*) AS closed
           FROM dialogs d
           JOIN lines l ON l.id = d.line_id
           LEFT JOIN close_reasons r ON r.id = d.close_reason_id
           LEFT JOIN users u ON u.id = coalesce(d.assignee_id, d.closed_by_id)
          WHERE d.account_id = $1 AND d.status = 'closed' AND d.review_of_id IS NULL
            AND d.closed_at >= $2 AND d.closed_at < $3
            AND ($4::bigint IS NULL OR d.line_id = $4)
            AND ($5::bigint[] IS NULL OR d.line_id = ANY($5))
          GROUP BY 1, 2, 3, 4, 5
          ORDER BY closed DESC, reason NULLS LAST, line, operator NULLS LAST",
    )
    .bind(account)
    .bind(from)
    .bind(to)
    .bind(query.line_id)
    .bind(lines.map(|l| l.iter().map(|l| l.0).collect::<Vec<i64>>()))
    .fetch_all(db)
    .await
}
