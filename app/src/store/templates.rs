//! WhatsApp message templates of a channel, as Meta last listed them (E6).

use sqlx::{PgConnection, PgExecutor};

use crate::domain::template::{TemplateParts, TemplateView};
use crate::domain::{AccountId, ChannelId, TemplateId};

/// The job that refreshes a channel's templates from Meta.
pub const SYNC_JOB: &str = "sync_templates";

/// A template as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTemplate {
    pub name: String,
    pub language: String,
    pub category: String,
    /// APPROVED, PENDING, REJECTED, PAUSED, …
    pub status: String,
    pub body: String,
    pub variables: usize,
    pub parts: TemplateParts,
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: TemplateId,
    channel_id: ChannelId,
    name: String,
    language: String,
    category: String,
    body: String,
    variables: i32,
    parts: sqlx::types::Json<TemplateParts>,
}

impl From<TemplateRow> for TemplateView {
    fn from(r: TemplateRow) -> Self {
        TemplateView {
            id: r.id,
            channel_id: r.channel_id,
            name: r.name,
            language: r.language,
            category: r.category,
            body: r.body,
            variables: usize::try_from(r.variables).unwrap_or(0),
            parts: r.parts.0,
        }
    }
}

const COLUMNS: &str = "id, channel_id, name, language, category, body, variables, parts";

/// The approved templates of a channel, by name.
pub async fn approved(
    db: impl PgExecutor<'_>,
    account: AccountId,
    channel: ChannelId,
) -> sqlx::Result<Vec<TemplateView>> {
    let rows: Vec<TemplateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM message_templates
          WHERE account_id = $1 AND channel_id = $2 AND status = 'APPROVED'
          ORDER BY name, language"
    )))
    .bind(account)
    .bind(channel)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One approved template of the account, or None.
pub async fn get(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: TemplateId,
) -> sqlx::Result<Option<TemplateView>> {
    let row: Option<TemplateRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM message_templates
          WHERE account_id = $1 AND id = $2 AND status = 'APPROVED'"
    )))
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Into::into))
}

/// Makes the stored list of a channel's templates what the provider listed: new ones added,
/// changed ones updated (ids stay), vanished ones removed.
pub async fn replace(
    conn: &mut PgConnection,
    account: AccountId,
    channel: ChannelId,
    listed: &[ListedTemplate],
) -> sqlx::Result<()> {
    let mut names = Vec::with_capacity(listed.len());
    let mut languages = Vec::with_capacity(listed.len());
    for t in listed {
        sqlx::query(
            "INSERT INTO message_templates (account_id, channel_id, name, language, category,
                                            status, body, variables, parts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (channel_id, name, language) DO UPDATE
                SET category = excluded.category, status = excluded.status,
                    body = excluded.body, variables = excluded.variables,
                    parts = excluded.parts, synced_at = now()",
        )
        .bind(account)
        .bind(channel)
        .bind(&t.name)
        .bind(&t.language)
        .bind(&t.category)
        .bind(&t.status)
        .bind(&t.body)
        .bind(i32::try_from(t.variables).unwrap_or(i32::MAX).min(100))
        .bind(sqlx::types::Json(&t.parts))
        .execute(&mut *conn)
        .await?;
        names.push(t.name.clone());
        languages.push(t.language.clone());
    }
    sqlx::query(
        "DELETE FROM message_templates m
          WHERE m.account_id = $1 AND m.channel_id = $2
            AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS k(name, language)
                             WHERE k.name = m.name AND k.language = m.language)",
    )
    .bind(account)
    .bind(channel)
    .bind(&names)
    .bind(&languages)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
