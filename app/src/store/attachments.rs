//! Files of messages (E3): fetched from the messenger after the webhook was answered, kept
//! in the file store, handed to the users who may see their dialog.

use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};

use crate::auth::Access;
use crate::domain::{AccountId, AttachmentId, ChannelId, DialogId, MessageId};

/// A file of an inbound message, as the fetch job needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingFile {
    pub id: AttachmentId,
    pub account_id: AccountId,
    pub message_id: MessageId,
    pub channel_id: Option<ChannelId>,
    pub source: Option<String>,
    pub file_name: String,
    pub state: String,
}

pub async fn pending_file(
    db: impl PgExecutor<'_>,
    account: AccountId,
    id: AttachmentId,
) -> sqlx::Result<Option<PendingFile>> {
    sqlx::query_as(
        "SELECT a.id, a.account_id, a.message_id, m.channel_id, a.source, a.file_name, a.state
           FROM attachments a JOIN messages m ON m.id = a.message_id
          WHERE a.account_id = $1 AND a.id = $2",
    )
    .bind(account)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Records where a fetched file is kept (or why it could not be fetched).
pub async fn file_fetched(
    db: impl PgExecutor<'_>,
    id: AttachmentId,
    outcome: Result<(&str, i64, Option<&str>), &str>,
) -> sqlx::Result<()> {
    match outcome {
        Ok((key, size, mime)) => {
            sqlx::query(
                "UPDATE attachments SET state = 'stored', storage_key = $2, size_bytes = $3,
                        mime_type = coalesce($4, mime_type), error = NULL
                  WHERE id = $1",
            )
            .bind(id)
            .bind(key)
            .bind(size)
            .bind(mime)
            .execute(db)
            .await?;
        }
        Err(error) => {
            sqlx::query("UPDATE attachments SET state = 'failed', error = $2 WHERE id = $1")
                .bind(id)
                .bind(error)
                .execute(db)
                .await?;
        }
    }
    Ok(())
}

/// A stored file, for download.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredFile {
    pub id: AttachmentId,
    pub dialog_id: DialogId,
    pub file_name: String,
    pub mime_type: String,
    pub storage_key: Option<String>,
    pub state: String,
}

/// A file of a dialog the user may see, or None (unknown, another account's, or no right).
pub async fn for_download(
    conn: &mut PgConnection,
    access: &Access,
    id: AttachmentId,
) -> sqlx::Result<Option<StoredFile>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT a.id, d.id AS dialog_id, a.file_name, a.mime_type, a.storage_key, a.state
           FROM attachments a
           JOIN messages m ON m.id = a.message_id
           JOIN dialogs d ON d.id = m.dialog_id
          WHERE a.id = ",
    );
    qb.push_bind(id);
    access.push_dialog_scope(&mut qb, "d");
    qb.build_query_as().fetch_optional(conn).await
}

/// A file of a message in a dialog on an API channel, with that channel's signing secret:
/// what a signed link (`GET /files/{id}/signed`) may hand out.
pub async fn for_signed_link(
    db: impl PgExecutor<'_>,
    id: AttachmentId,
) -> sqlx::Result<Option<(StoredFile, String)>> {
    let row: Option<(StoredFile, Option<String>)> = sqlx::query_as::<_, SignedRow>(
        "SELECT a.id, d.id AS dialog_id, a.file_name, a.mime_type, a.storage_key, a.state,
                    c.credentials->>'secret' AS secret
               FROM attachments a
               JOIN messages m ON m.id = a.message_id
               JOIN dialogs d ON d.id = m.dialog_id
               JOIN channels c ON c.id = d.channel_id AND c.kind = 'webhook'
              WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .map(|r| (r.file, r.secret));
    Ok(row.and_then(|(file, secret)| {
        secret
            .filter(|s| !s.is_empty())
            .map(|secret| (file, secret))
    }))
}

#[derive(sqlx::FromRow)]
struct SignedRow {
    #[sqlx(flatten)]
    file: StoredFile,
    secret: Option<String>,
}

/// True while a file of the channel whose source starts with `prefix` still waits to be
/// fetched (a kept email is needed until all its attachments are settled).
pub async fn pending_with_source(
    db: impl PgExecutor<'_>,
    channel: crate::domain::ChannelId,
    prefix: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM attachments a JOIN messages m ON m.id = a.message_id
                         WHERE m.channel_id = $1 AND a.state = 'pending'
                           AND starts_with(a.source, $2))",
    )
    .bind(channel)
    .bind(prefix)
    .fetch_one(db)
    .await
}
