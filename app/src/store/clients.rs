//! Clients (F1, F3): created and updated by bots and automations through the REST API, and
//! found by phone (E.164) or email, the same keys the ingest path matches people on.

use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};

use crate::domain::{AccountId, ClientId};

/// The most clients one search returns.
pub const MAX_PAGE: i64 = 200;

const COLUMNS: &str = "c.id, c.name, c.phone, c.username, c.email, c.is_potential,
    c.marketing_consent, c.staff_comment, c.custom_fields, c.blocked, c.created_at";

/// A client as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRecord {
    pub id: ClientId,
    pub name: String,
    /// E.164.
    pub phone: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub is_potential: bool,
    pub marketing_consent: Option<bool>,
    pub staff_comment: String,
    pub custom_fields: Json<Map<String, Value>>,
    pub blocked: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A client to create; phone and email already normalized by the caller.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub phone: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub is_potential: bool,
    pub marketing_consent: Option<bool>,
    pub staff_comment: String,
    pub custom_fields: Map<String, Value>,
}

/// Changes to a client. `None` leaves a field as it is; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub username: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub is_potential: Option<bool>,
    pub marketing_consent: Option<Option<bool>>,
    pub staff_comment: Option<String>,
    /// Merged into the stored fields key by key; a key set to null is removed.
    pub custom_fields: Option<Map<String, Value>>,
}

/// What a search looks for; every given criterion must match.
#[derive(Debug, Clone, Default)]
pub struct ClientSearch {
    /// E.164.
    pub phone: Option<String>,
    /// Lower case.
    pub email: Option<String>,
    /// Part of the name, phone or email.
    pub query: Option<String>,
    /// Only clients with a smaller id (the next page).
    pub before: Option<ClientId>,
    pub limit: i64,
}

/// Creates a client.
pub async fn create(
    db: impl PgExecutor<'_>,
    account: AccountId,
    new: &NewClient,
) -> sqlx::Result<ClientRecord> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO clients AS c (account_id, name, phone, username, email, is_potential,
                                   marketing_consent, staff_comment, custom_fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING {COLUMNS}"
    )))
    .bind(account)
    .bind(&new.name)
    .bind(&new.phone)
    .bind(&new.username)
    .bind(&new.email)
    .bind(new.is_potential)
    .bind(new.marketing_consent)
    .bind(&new.staff_comment)
    .bind(Json(&new.custom_fields))
    .fetch_one(db)
    .await
}

/// A client of this account, or None (unknown id and another account's id alike).
pub async fn get(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: ClientId,
) -> sqlx::Result<Option<ClientRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM clients c WHERE c.account_id = $1 AND c.id = $2"
    )))
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Applies changes in one statement and returns the client as it is now, or None when the
/// client is not this account's.
pub async fn update(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: ClientId,
    changes: &ClientChanges,
) -> sqlx::Result<Option<ClientRecord>> {
    let (set, removed): (Map<String, Value>, Vec<String>) = match &changes.custom_fields {
        Some(fields) => {
            let removed = fields
                .iter()
                .filter(|(_, v)| v.is_null())
                .map(|(k, _)| k.clone())
                .collect();
            let set = fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (set, removed)
        }
        None => (Map::new(), Vec::new()),
    };
    // Each nullable column takes a "change it" flag and a value, so that "clear" (NULL)
    // differs from "leave as it is".
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE clients c SET
                name = coalesce($3, c.name),
                phone = CASE WHEN $4 THEN $5 ELSE c.phone END,
                username = CASE WHEN $6 THEN $7 ELSE c.username END,
                email = CASE WHEN $8 THEN $9 ELSE c.email END,
                is_potential = coalesce($10, c.is_potential),
                marketing_consent = CASE WHEN $11 THEN $12 ELSE c.marketing_consent END,
                staff_comment = coalesce($13, c.staff_comment),
                custom_fields = (c.custom_fields || $14) - $15::text[]
          WHERE c.account_id = $1 AND c.id = $2
      RETURNING {COLUMNS}"
    )))
    .bind(account)
    .bind(id)
    .bind(&changes.name)
    .bind(changes.phone.is_some())
    .bind(changes.phone.clone().flatten())
    .bind(changes.username.is_some())
    .bind(changes.username.clone().flatten())
    .bind(changes.email.is_some())
    .bind(changes.email.clone().flatten())
    .bind(changes.is_potential)
    .bind(changes.marketing_consent.is_some())
    .bind(changes.marketing_consent.flatten())
    .bind(&changes.staff_comment)
    .bind(Json(&set))
    .bind(&removed)
    .fetch_optional(db)
    .await
}

/// Serialises writers of the same phone or email within an account until the caller's
/// transaction ends, so two concurrent requests cannot both create "the" client of a phone.
pub async fn lock_contacts(
    conn: &mut PgConnection,
    account: AccountId,
    phone: Option<&str>,
    email: Option<&str>,
) -> sqlx::Result<()> {
    for key in [phone, email].into_iter().flatten() {
        sqlx::query("SELECT pg_advisory_xact_lock($1::int, hashtext($2))")
            .bind(account.0 as i32)
            .bind(format!("client-contact:{key}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Another client of this account with this phone or email (E.164 / lower case), if any:
/// one person should stay one client.
pub async fn find_by_contact(
    db: impl PgExecutor<'_>,
    account: AccountId,
    phone: Option<&str>,
    email: Option<&str>,
    except: Option<ClientId>,
) -> sqlx::Result<Option<(ClientId, &'static str)>> {
    if phone.is_none() && email.is_none() {
        return Ok(None);
    }
    let found: Option<(ClientId, bool)> = sqlx::query_as(
        "SELECT id, ($2::text IS NOT NULL AND phone = $2) FROM clients
          WHERE account_id = $1
            AND (($2::text IS NOT NULL AND phone = $2)
              OR ($3::text IS NOT NULL AND lower(email) = $3))
            AND ($4::bigint IS NULL OR id <> $4)
          ORDER BY id LIMIT 1",
    )
    .bind(account)
    .bind(phone)
    .bind(email)
    .bind(except)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|(id, by_phone)| (id, if by_phone { "phone" } else { "email" })))
}

/// Clients matching a search, newest first (keyset on the id). The second value is set
/// when more clients follow.
pub async fn search(
    db: impl PgExecutor<'_>,
    account: AccountId,
    search: &ClientSearch,
) -> sqlx::Result<(Vec<ClientRecord>, bool)> {
    let limit = search.limit.clamp(1, MAX_PAGE);
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM clients c WHERE c.account_id = "
    ));
    qb.push_bind(account);
    if let Some(phone) = &search.phone {
        qb.push(" AND c.phone = ");
        qb.push_bind(phone.clone());
    }
    if let Some(email) = &search.email {
        qb.push(" AND lower(c.email) = ");
        qb.push_bind(email.clone());
    }
    if let Some(query) = &search.query {
        let pattern = format!("%{}%", escape_like(query));
        qb.push(" AND (c.name ILIKE ");
        qb.push_bind(pattern.clone());
        qb.push(" OR c.phone ILIKE ");
        qb.push_bind(pattern.clone());
        qb.push(" OR c.email ILIKE ");
        qb.push_bind(pattern);
        qb.push(")");
    }
    if let Some(before) = search.before {
        qb.push(" AND c.id < ");
        qb.push_bind(before);
    }
    qb.push(" ORDER BY c.id DESC LIMIT ");
    qb.push_bind(limit + 1);
    let mut rows: Vec<ClientRecord> = qb.build_query_as().fetch_all(db).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// `%`, `_` and `\` match themselves in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Blocks or unblocks a client (C6); true when that changed something. A blocked client's
/// messages are still stored, in a closed dialog (see `store::inbound`).
pub async fn set_blocked(
    db: impl PgExecutor<'_>,
    account: AccountId,
    client: ClientId,
    blocked: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE clients SET blocked = $3 WHERE account_id = $1 AND id = $2 AND blocked <> $3",
    )
    .bind(account)
    .bind(client)
    .bind(blocked)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_query_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("Мария"), "Мария");
    }
}
