//! Operators send files (E3) on the real app and PostgreSQL, against local fakes of the
//! providers: uploaded once, attached in the message's transaction, sent in each provider's
//! protocol (Telegram multipart, WhatsApp media upload, email attachments, the API channel's
//! signed links), resumed after the last part a provider took, never sent twice.

use crate::common;
use crate::common::fake_whatsapp::FakeGraph;
use crate::common::fakes::{Failure, FakeReceiver, FakeTelegram};
use crate::common::{Session, TELEGRAM_TOKEN, TestApp, http, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

const PNG: &[u8] = b"\\x89PNG\\r\\n\\x1a\\n-a-tiny-picture-";

async fn uploaded(session: &Session, name: &str, mime: &str, bytes: &[u8]) -> String {
    let (status, body) = session.upload(name, mime, bytes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_i64().expect("upload id").to_string()
}

async fn send(session: &Session, dialog: i64, text: &str, files: &[&str]) -> (StatusCode, Value) {
    let dialog = dialog.to_string();
    let keys: Vec<String> = (0..files.len()).map(|i| format!("files[{i}]")).collect();
    let mut args = vec![
        ("dialog_id", dialog.as_str()),
        ("text", text),
        ("mode", "message"),
    ];
    for (k, v) in keys.iter().zip(files) {
        args.push((k.as_str(), v));
    }
    session.call("send_message", &args).await
}

/// Starts a dialog on Sales through `channel` with `recipient`; returns its id.
async fn started(session: &Session, line: i64, channel: i64, recipient: &str) -> i64 {
    let (status, dialog) = session
        .call(
            "start_dialog",
            &[
                ("input[line_id]", &line.to_string()),
                ("input[channel_id]", &channel.to_string()),
                ("input[recipient]", recipient),
                ("input[text]", "Hello"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dialog}");
    dialog.as_i64().expect("dialog")
}

/// Waits until a message is marked sent.
async fn sent_out(app: &TestApp, id: i64) {
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_photo_and_a_document_go_to_telegram_as_multipart_with_the_text_as_caption(pool: PgPool) {
    let w = world(&pool).await;
    let fake = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.telegram_api_base = base).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = app.telegram_dialog(&w.acme, 7001).await;

    let photo = uploaded(&admin, "photo.png", "image/png", PNG).await;
    let pdf = uploaded(
        &admin,
        "%D0%9F%D1%80%D0%B0%D0%B9%D1%81.pdf",
        "application/pdf",
        b"%PDF-1.4 price list",
    )
    .await;
    let (status, message) = send(&admin, dialog, "Here you are", &[&photo, &pdf]).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    let names: Vec<&str> = message["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .filter_map(|a| a["file_name"].as_str())
        .collect();
    assert_eq!(names, vec!["photo.png", "Прайс.pdf"]);
    let id = message["id"].as_i64().expect("id");
    sent_out(&app, id).await;

    let calls: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.accepted && c.method != "getFile")
        .collect();
    assert_eq!(
        calls.len(),
        2,
        "{:?}",
        calls.iter().map(|c| &c.method).collect::<Vec<_>>()
    );
    assert_eq!(calls[0].method, "sendPhoto");
    assert_eq!(calls[0].body["caption"], "Here you are");
    assert_eq!(calls[0].body["chat_id"], "7001");
    let (field, name, mime, bytes) = calls[0].upload.clone().expect("the photo");
    assert_eq!(
        (field.as_str(), name.as_str(), mime.as_str()),
        ("photo", "photo.png", "image/png")
    );
    assert_eq!(bytes, PNG);
    assert_eq!(calls[1].method, "sendDocument");
    assert!(calls[1].body.get("caption").is_none(), "the text goes once");
    assert_eq!(calls[1].upload.clone().expect("the pdf").1, "Прайс.pdf");
    // The operator sees the files; the list shows the message.
    let (status, detail) = admin
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    let last = detail["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .expect("message");
    assert_eq!(last["attachments"][0]["state"], "stored");
    let file = admin
        .get(&format!("/files/{}", last["attachments"][0]["id"]))
        .await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.expect("bytes").as_ref(), PNG);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_provider_failing_on_the_second_file_resumes_without_resending_the_first(pool: PgPool) {
    let w = world(&pool).await;
    let fake = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.telegram_api_base = base).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = app.telegram_dialog(&w.acme, 7002).await;
    let a = uploaded(&admin, "a.pdf", "application/pdf", b"first").await;
    let b = uploaded(&admin, "b.pdf", "application/pdf", b"second").await;
    // A long text goes on its own first; then each file.
    let long = "x".repeat(1500);
    let (status, message) = send(&admin, dialog, &long, &[&a, &b]).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    let id = message["id"].as_i64().expect("id");
    // Fail exactly the third call (the second file) twice.
    for _ in 0..100 {
        if fake.calls().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    fake.fail_next([Failure::ServerError, Failure::ServerError]);
    sent_out(&app, id).await;
    let accepted: Vec<(String, Option<String>)> = fake
        .calls()
        .into_iter()
        .filter(|c| c.accepted)
        .map(|c| (c.method, c.upload.map(|u| u.1)))
        .collect();
    assert_eq!(
        accepted,
        vec![
            ("sendMessage".to_owned(), None),
            ("sendDocument".to_owned(), Some("a.pdf".to_owned())),
            ("sendDocument".to_owned(), Some("b.pdf".to_owned())),
        ],
        "each part exactly once"
    );
    let parts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM attachments WHERE message_id = $1 AND external_id IS NOT NULL",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(parts, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn whatsapp_takes_an_upload_then_the_message_by_media_id(pool: PgPool) {
    let w = world(&pool).await;
    let fake = FakeGraph::start("EAAG-token").await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.whatsapp_graph_base = base).await;
    let channel = common::whatsapp_channel(&pool, &w.acme, "EAAG-token").await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = started(&admin, w.acme.line_sales, channel, "+7 916 555-44-33").await;
    let pdf = uploaded(&admin, "invoice.pdf", "application/pdf", b"%PDF invoice").await;
    let (status, message) = send(&admin, dialog, "", &[&pdf]).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["body"], "");
    let id = message["id"].as_i64().expect("id");
    sent_out(&app, id).await;
    let sent = fake.sent();
    let document = sent.last().expect("the document message");
    assert_eq!(document["type"], "document");
    assert_eq!(document["to"], "79165554433");
    assert_eq!(document["document"]["filename"], "invoice.pdf");
    let media = document["document"]["id"].as_str().expect("media id");
    let (name, mime, bytes) = fake.uploaded(media).expect("uploaded first");
    assert_eq!(
        (name.as_str(), mime.as_str(), bytes.as_slice()),
        ("invoice.pdf", "application/pdf", b"%PDF invoice".as_slice())
    );
    // The list shows what was sent.
    let snippet: String =
        sqlx::query_scalar("SELECT last_message_snippet FROM dialogs WHERE id = $1")
            .bind(dialog)
            .fetch_one(&pool)
            .await
            .expect("snippet");
    assert_eq!(snippet, "📎 invoice.pdf");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_api_channel_gets_signed_links_that_expire_and_cannot_be_forged(pool: PgPool) {
    let w = world(&pool).await;
    let receiver = FakeReceiver::start().await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = common::api_channel(&pool, &w.acme, &receiver.url()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = started(&admin, w.acme.line_sales, channel, "visitor-1").await;
    let file = uploaded(&admin, "scan.jpg", "image/jpeg", b"jpeg bytes").await;
    let (status, message) = send(&admin, dialog, "The scan", &[&file]).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    let id = message["id"].as_i64().expect("id");
    sent_out(&app, id).await;
    let call = receiver
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.body["text"] == "The scan")
        .expect("the message");
    let attachment = &call.body["attachments"][0];
    assert_eq!(attachment["file_name"], "scan.jpg");
    let url = attachment["url"].as_str().expect("url").to_owned();
    let got = http().get(&url).send().await.expect("download");
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), b"jpeg bytes");
    // A changed signature, id or expiry is refused.
    let forged = url.replace("signature=", "signature=00");
    assert_eq!(
        http().get(&forged).send().await.expect("get").status(),
        StatusCode::FORBIDDEN
    );
    let expires: i64 = url
        .split("expires=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .and_then(|e| e.parse().ok())
        .expect("expires");
    let stretched = url.replace(
        &format!("expires={expires}"),
        &format!("expires={}", expires + 1),
    );
    assert_eq!(
        http().get(&stretched).send().await.expect("get").status(),
        StatusCode::FORBIDDEN
    );
    let old_sig = server::channels::api::file_signature(
        b"api-secret",
        call.body["attachments"][0]["url"]
            .as_str()
            .and_then(|u| u.split("/files/").nth(1))
            .and_then(|r| r.split('/').next())
            .and_then(|i| i.parse().ok())
            .expect("id"),
        1_000,
    );
    let expired = format!(
        "{}?expires=1000&signature={old_sig}",
        url.split('?').next().expect("path")
    );
    assert_eq!(
        http().get(&expired).send().await.expect("get").status(),
        StatusCode::FORBIDDEN
    );
    let _ = json!(null);
}

#[sqlx::test(migrations = "../migrations")]
async fn uploads_are_checked_and_only_their_owner_may_send_them(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let admin = app.sign_in("admin@acme.test").await;
    let olga = app.sign_in("olga@acme.test").await;
    // Not signed in; empty; too large.
    let anonymous = http()
        .post(app.url("/files"))
        .header("content-type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = admin.upload("empty.txt", "text/plain", b"").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let big = vec![0u8; app::domain::MAX_UPLOAD_BYTES + 1];
    let (status, body) = admin
        .upload("big.bin", "application/octet-stream", &big)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM uploads")
            .fetch_one(&pool)
            .await
            .expect("count"),
        0
    );

    // Another user's upload, an unknown id: not found, and nothing is written.
    let mine = uploaded(&admin, "../../etc/passwd", "text/plain", b"secret").await;
    let name: String = sqlx::query_scalar("SELECT file_name FROM uploads")
        .fetch_one(&pool)
        .await
        .expect("name");
    assert_eq!(name, "passwd", "no folders in names");
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&pool)
        .await
        .expect("count");
    let (status, _) = send(&olga, w.acme.dialog_olga, "look", &[&mine]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&admin, w.acme.dialog_admin, "look", &["999999"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(after, before);

    // A note with a file is kept, not sent.
    let dialog = w.acme.dialog_admin.to_string();
    let (status, note) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", dialog.as_str()),
                ("text", ""),
                ("mode", "note"),
                ("files[0]", mine.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{note}");
    assert_eq!(note["kind"], "note");
    assert_eq!(note["attachments"][0]["file_name"], "passwd");
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox")
            .fetch_one(&pool)
            .await
            .expect("count"),
        0
    );
    // Used once: the same upload cannot be sent again.
    let (status, _) = send(&admin, w.acme.dialog_admin, "again", &[&mine]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_text_longer_than_telegram_takes_goes_in_pieces_each_once(pool: PgPool) {
    let w = world(&pool).await;
    let fake = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.telegram_api_base = base).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = app.telegram_dialog(&w.acme, 7003).await;
    let text = format!(
        "{}\n{}\n{}",
        "Первая часть. ".repeat(250),
        "Second part. ".repeat(300),
        "Third part. ".repeat(300)
    );
    let (status, message) = send(&admin, dialog, &text, &[]).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    let id = message["id"].as_i64().expect("id");
    // The second piece meets a server error once; the first is not sent again.
    for _ in 0..200 {
        if fake.calls().iter().any(|c| c.method == "sendMessage") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    fake.fail_next([Failure::ServerError]);
    sent_out(&app, id).await;
    let pieces = fake.sent_texts();
    assert_eq!(
        pieces.len(),
        3,
        "{:?}",
        pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>()
    );
    assert!(pieces.iter().all(|p| p.chars().count() <= 4096));
    assert!(pieces[0].starts_with("Первая часть."));
    assert!(pieces[2].ends_with("Third part."));
    let joined: String = pieces.concat().split_whitespace().collect();
    let original: String = text.split_whitespace().collect();
    assert_eq!(joined, original, "nothing lost, nothing repeated");
    let stored: i32 = sqlx::query_scalar("SELECT text_parts_sent FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("parts");
    assert_eq!(stored, 3);
}
