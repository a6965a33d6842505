//! The S3-compatible file store, against a local S3 server (moto): what clients send and
//! what operators upload is kept in the bucket, served back from it and sent on from it;
//! nothing lands on the app server's disk; a bucket that does not answer gives a clear
//! error and records nothing.

use crate::common::fakes::FakeTelegram;
use crate::common::moto::Moto;
use crate::common::{TELEGRAM_TOKEN, TestApp, telegram_secret, world};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

const PDF: &[u8] = b"%PDF-1.4 the client's invoice";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-the-operator's-picture-";

#[sqlx::test(migrations = "../migrations")]
async fn files_are_kept_in_the_bucket_served_from_it_and_sent_from_it(pool: PgPool) {
    let w = world(&pool).await;
    let moto = Moto::start("dialogs-files").await;
    let fake = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let disk = std::env::temp_dir().join(format!("dialogs-s3-disk-{}", fastrand::u64(..)));
    let (base, s3, folder) = (fake.base(), moto.config(), disk.clone());
    let app = TestApp::spawn_with(pool.clone(), move |c| {
        c.channels.telegram_api_base = base;
        c.channels.s3 = Some(s3);
        c.channels.files_dir = folder;
    })
    .await;

    // A client's document: fetched after the webhook is answered, into the bucket.
    fake.add_file("doc-1", "documents/file_1.pdf", PDF);
    let update = json!({"update_id": 1, "message": {"message_id": 1, "date": 1_700_000_000,
        "from": {"id": 7001, "first_name": "Fay"}, "chat": {"id": 7001, "type": "private", "first_name": "Fay"},
        "caption": "My invoice",
        "document": {"file_id": "doc-1", "file_unique_id": "u1", "file_name": "invoice.pdf",
                     "mime_type": "application/pdf", "file_size": 29}}});
    let (status, body) = app
        .telegram_webhook(w.acme.channel_tg, Some(&telegram_secret(&w.acme)), &update)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_for("SELECT count(*) FROM attachments WHERE state = 'stored'", 1)
        .await;
    let (file, key): (i64, String) =
        sqlx::query_as("SELECT id, storage_key FROM attachments WHERE state = 'stored'")
            .fetch_one(&pool)
            .await
            .expect("attachment");
    assert_eq!(moto.object(&key).await, PDF, "the bucket has the file");
    let admin = app.sign_in("admin@acme.test").await;
    let served = admin.get(&format!("/files/{file}")).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), PDF);

    // An operator's upload goes to the bucket, and from there to Telegram.
    let (status, upload) = admin.upload("photo.png", "image/png", PNG).await;
    assert_eq!(status, StatusCode::OK, "{upload}");
    let keys = moto.keys().await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with("uploads/")), "{keys:?}");
    let dialog: i64 =
        sqlx::query_scalar("SELECT dialog_id FROM messages WHERE body = 'My invoice'")
            .fetch_one(&pool)
            .await
            .expect("dialog");
    let upload_id = upload["id"].to_string();
    let (status, sent) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", "Your receipt"),
                ("mode", "message"),
                ("files[0]", &upload_id),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    app.wait_for(
        &format!(
            "SELECT count(*) FROM messages WHERE id = {} AND delivery = 'sent'",
            sent["id"]
        ),
        1,
    )
    .await;
    let photo = fake
        .calls()
        .into_iter()
        .find(|c| c.accepted && c.method == "sendPhoto")
        .expect("the photo went to Telegram");
    assert_eq!(photo.upload.expect("multipart file").3, PNG);

    // Nothing was written to the app server's own disk.
    let on_disk = std::fs::read_dir(&disk)
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(on_disk, 0, "files went to {}", disk.display());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bucket_that_does_not_answer_refuses_the_upload_clearly_and_records_nothing(
    pool: PgPool,
) {
    world(&pool).await;
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let app = TestApp::spawn_with(pool.clone(), move |c| {
        c.channels.s3 = Some(server::config::S3Config {
            bucket: "gone".into(),
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            region: "us-east-1".into(),
            access_key_id: Some("k".into()),
            secret_access_key: Some("s".into()),
        });
    })
    .await;
    let admin = app.sign_in("admin@acme.test").await;
    let started = std::time::Instant::now();
    let (status, body) = admin.upload("photo.png", "image/png", PNG).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body.to_string().to_lowercase().contains("try again"),
        "a clear reason: {body}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "refused within seconds, took {:?}",
        started.elapsed()
    );
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM uploads")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(recorded, 0);
}
