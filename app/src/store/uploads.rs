//! Files operators uploaded to send (E3), until a message takes them.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::inbound::AttachmentKind;
use crate::domain::{AccountId, MessageId, UploadId, UploadView, UserId};

/// Records an uploaded file already in the file store under `storage_key`.
pub async fn create(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
    file_name: &str,
    mime_type: &str,
    size_bytes: i64,
    storage_key: &str,
) -> sqlx::Result<UploadView> {
    let id: UploadId = sqlx::query_scalar(
        "INSERT INTO uploads (account_id, user_id, file_name, mime_type, size_bytes, storage_key)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(account)
    .bind(user)
    .bind(file_name)
    .bind(mime_type)
    .bind(size_bytes)
    .bind(storage_key)
    .fetch_one(db)
    .await?;
    Ok(UploadView {
        id,
        file_name: file_name.to_owned(),
        mime_type: mime_type.to_owned(),
        size_bytes,
    })
}

/// Moves the user's uploads onto a message as its attachments (stored, in the order
/// given) inside the caller's transaction. Returns how many were found: fewer than asked
/// means an unknown id, or another user's or account's upload.
pub async fn attach(
    conn: &mut PgConnection,
    account: AccountId,
    user: UserId,
    message: MessageId,
    ids: &[UploadId],
) -> sqlx::Result<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let raw: Vec<i64> = ids.iter().map(|u| u.0).collect();
    let found: Vec<(UploadId, String, String, i64, String)> = sqlx::query_as(
        "DELETE FROM uploads
          WHERE account_id = $1 AND user_id = $2 AND id = ANY($3)
      RETURNING id, file_name, mime_type, size_bytes, storage_key",
    )
    .bind(account)
    .bind(user)
    .bind(&raw)
    .fetch_all(&mut *conn)
    .await?;
    // In the order the operator chose them.
    for id in ids {
        let Some((_, name, mime, size, key)) = found.iter().find(|f| f.0 == *id) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO attachments (account_id, message_id, kind, file_name, mime_type,
                                      size_bytes, storage_key, state, source)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'stored', 'upload')",
        )
        .bind(account)
        .bind(message)
        .bind(AttachmentKind::of_mime(mime).as_str())
        .bind(name)
        .bind(mime)
        .bind(size)
        .bind(key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(found.len())
}

/// Forgets uploads no message took within a day; returns their storage keys so the
/// caller can delete the files.
pub async fn prune(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "DELETE FROM uploads WHERE created_at < now() - interval '1 day' RETURNING storage_key",
    )
    .fetch_all(db)
    .await
}
