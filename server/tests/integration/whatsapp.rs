//! The WhatsApp Cloud API channel end to end on the real app and PostgreSQL, against a local
//! fake of Meta's Graph API: the subscription handshake, signed webhooks stored once,
//! replies sent with the access token and followed by status callbacks, the closed 24-hour
//! window explained to the operator, and clients' media fetched.

use crate::common;
use crate::common::fake_whatsapp::{FakeGraph, Refusal};
use crate::common::{TestApp, http, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

const ACCESS_TOKEN: &str = "EAAG-test-access-token";
const APP_SECRET: &str = "meta-app-secret";
const VERIFY_TOKEN: &str = "dialogs-verify-42";
const PHONE_NUMBER_ID: &str = "1065550001";

async fn app_with_whatsapp(pool: PgPool) -> (TestApp, FakeGraph) {
    let fake = FakeGraph::start(ACCESS_TOKEN).await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool, |c| c.channels.whatsapp_graph_base = base).await;
    (app, fake)
}

/// Connects a WhatsApp business number to Acme's Sales line.
async fn whatsapp_channel(pool: &PgPool, w: &common::World) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, settings, credentials)
         VALUES ($1, $2, 'whatsapp', '+1 555 0100', jsonb_build_object('phone_number_id', $3::text),
                 jsonb_build_object('access_token', $4::text, 'app_secret', $5::text,
                                    'verify_token', $6::text))
         RETURNING id",
    )
    .bind(w.acme.id)
    .bind(w.acme.line_sales)
    .bind(PHONE_NUMBER_ID)
    .bind(ACCESS_TOKEN)
    .bind(APP_SECRET)
    .bind(VERIFY_TOKEN)
    .fetch_one(pool)
    .await
    .expect("whatsapp channel")
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A webhook with one `messages` change.
fn notification(value: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
    })
}

/// A client's message of any type (`content` holds the type's own field).
fn inbound(wa_id: &str, name: &str, wamid: &str, kind: &str, content: Value) -> Value {
    let mut message = json!({"from": wa_id, "id": wamid, "timestamp": "1700000000", "type": kind});
    message[kind] = content;
    notification(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [message]
    }))
}

fn text(wa_id: &str, name: &str, wamid: &str, body: &str) -> Value {
    inbound(wa_id, name, wamid, "text", json!({"body": body}))
}

fn status(wamid: &str, state: &str, errors: Value) -> Value {
    notification(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [{"id": wamid, "status": state, "timestamp": "1700000100",
                      "recipient_id": "79161234567", "errors": errors}]
    }))
}

/// Posts a webhook signed with `secret` as Meta signs them.
async fn post_signed(
    app: &TestApp,
    channel: i64,
    secret: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let raw = body.to_string();
    let response = http()
        .post(app.url(&format!("/webhooks/whatsapp/{channel}")))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            server::channels::api::signature(secret.as_bytes(), raw.as_bytes()),
        )
        .body(raw)
        .send()
        .await
        .expect("posting a webhook");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn dialog_of(pool: &PgPool, channel: i64, wa_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT d.id FROM dialogs d JOIN client_identities i ON i.client_id = d.client_id
          WHERE i.channel_id = $1 AND i.external_id = $2 AND d.channel_id = $1
          ORDER BY d.id DESC LIMIT 1",
    )
    .bind(channel)
    .bind(wa_id)
    .fetch_one(pool)
    .await
    .expect("the chat's dialog")
}

/// A client writes, the admin answers; returns the reply's message id once it is sent.
async fn sent_reply(app: &TestApp, channel: i64, wa_id: &str, reply: &str) -> i64 {
    let (code, body) = post_signed(
        app,
        channel,
        APP_SECRET,
        &text(wa_id, "Client", &format!("wamid.IN-{wa_id}"), "Hello"),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id = write(app, channel, wa_id, reply).await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
    id
}

/// The admin writes into the chat's dialog; returns the message id.
async fn write(app: &TestApp, channel: i64, wa_id: &str, reply: &str) -> i64 {
    let dialog = dialog_of(&app.pool, channel, wa_id).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (code, message) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", reply),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{message}");
    message["id"].as_i64().expect("id")
}

async fn delivery_of(pool: &PgPool, id: i64) -> (String, Option<String>, Option<String>) {
    sqlx::query_as("SELECT delivery::text, delivery_error, external_id FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("message")
}

#[sqlx::test(migrations = "../migrations")]
async fn the_verification_handshake_answers_the_challenge_only_for_the_verify_token(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    let handshake = |channel: i64, token: &str| {
        http()
            .get(app.url(&format!("/webhooks/whatsapp/{channel}")))
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", token),
                ("hub.challenge", "1158201444"),
            ])
            .send()
    };

    let response = handshake(channel, VERIFY_TOKEN).await.expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    assert_eq!(response.text().await.expect("text"), "1158201444");

    let response = handshake(channel, "guessed").await.expect("get");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        !response
            .text()
            .await
            .unwrap_or_default()
            .contains("1158201444")
    );
    // Another kind's channel and unknown channels have no handshake.
    let response = handshake(w.acme.channel_tg, VERIFY_TOKEN)
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = handshake(999_999, VERIFY_TOKEN).await.expect("get");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = http()
        .get(app.url(&format!("/webhooks/telegram/{}", w.acme.channel_tg)))
        .query(&[("hub.mode", "subscribe"), ("hub.challenge", "1")])
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = http()
        .get(app.url(&format!("/webhooks/whatsapp/{channel}")))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_message_is_stored_once_and_the_client_is_known_by_phone(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    let message = text(
        "79161234567",
        "Nina Orlova",
        "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQUFF",
        "Do you deliver to Kazan?",
    );

    let (code, body) = post_signed(&app, channel, APP_SECRET, &message).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 1);
    for _ in 0..2 {
        let (code, body) = post_signed(&app, channel, APP_SECRET, &message).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert_eq!(body["repeated"], 1);
    }

    let dialog = dialog_of(&pool, channel, "79161234567").await;
    assert_eq!(common::message_count(&pool, dialog).await, 1);
    let (name, phone, body, line): (String, Option<String>, String, i64) = sqlx::query_as(
        "SELECT c.name, c.phone, m.body, d.line_id FROM dialogs d
           JOIN clients c ON c.id = d.client_id JOIN messages m ON m.dialog_id = d.id
          WHERE d.id = $1",
    )
    .bind(dialog)
    .fetch_one(&pool)
    .await
    .expect("dialog");
    assert_eq!(name, "Nina Orlova");
    assert_eq!(phone.as_deref(), Some("+79161234567"));
    assert_eq!(body, "Do you deliver to Kazan?");
    assert_eq!(line, w.acme.line_sales);

    // An unknown type is kept as a note rather than refused.
    let order = inbound(
        "79161234567",
        "Nina Orlova",
        "wamid.ORDER",
        "order",
        json!({"catalog_id": "1", "product_items": []}),
    );
    let (code, _) = post_signed(&app, channel, APP_SECRET, &order).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM messages WHERE external_id = 'wamid.ORDER'
               AND body = '[unsupported message type: order]'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_webhook_with_a_wrong_signature_is_refused_and_nothing_is_stored(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    let before = count(&pool, "SELECT count(*) FROM messages").await;
    let message = text("79160000001", "Eve", "wamid.EVE", "hi");

    let (code, body) = post_signed(&app, channel, "not-the-app-secret", &message).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    let unsigned = http()
        .post(app.url(&format!("/webhooks/whatsapp/{channel}")))
        .header("content-type", "application/json")
        .body(message.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    // The verify token is no signing key.
    let (code, _) = post_signed(&app, channel, VERIFY_TOKEN, &message).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, _) = post_signed(&app, channel, APP_SECRET, &json!({"object": "page"})).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);

    assert_eq!(count(&pool, "SELECT count(*) FROM messages").await, before);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM clients WHERE name = 'Eve'").await,
        0
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reply_goes_to_the_client_with_the_access_token_and_is_marked_sent(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    let id = sent_reply(&app, channel, "79161234567", "Yes, we do!").await;

    let calls = fake.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call.what, "messages");
    assert_eq!(call.id, PHONE_NUMBER_ID);
    assert_eq!(
        call.headers["authorization"],
        format!("Bearer {ACCESS_TOKEN}").as_str()
    );
    assert_eq!(
        call.body,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": "79161234567", "type": "text", "text": {"body": "Yes, we do!"}})
    );
    let (state, error, external) = delivery_of(&pool, id).await;
    assert_eq!(state, "sent");
    assert_eq!(error, None);
    assert_eq!(external.as_deref(), Some("wamid.OUT1"));
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rate_limited_reply_waits_and_is_sent_once(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    fake.refuse_next([
        Refusal::RateLimited { retry_after: 1 },
        Refusal::ServerError,
    ]);
    sent_reply(&app, channel, "79161234568", "Coming right up").await;
    assert_eq!(fake.calls().len(), 3);
    assert_eq!(fake.sent().len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn status_callbacks_move_the_reply_to_delivered_and_read(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    let id = sent_reply(&app, channel, "79161234569", "Your order is ready").await;
    let (_, _, external) = delivery_of(&pool, id).await;
    let wamid = external.expect("the wamid of the reply");

    let (code, body) = post_signed(
        &app,
        channel,
        APP_SECRET,
        &status(&wamid, "delivered", json!([])),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 1);
    assert_eq!(delivery_of(&pool, id).await.0, "delivered");

    // A late "sent" never undoes "delivered"; "read" moves it on.
    post_signed(
        &app,
        channel,
        APP_SECRET,
        &status(&wamid, "sent", json!([])),
    )
    .await;
    assert_eq!(delivery_of(&pool, id).await.0, "delivered");
    post_signed(
        &app,
        channel,
        APP_SECRET,
        &status(&wamid, "read", json!([])),
    )
    .await;
    assert_eq!(delivery_of(&pool, id).await.0, "read");
}

#[sqlx::test(migrations = "../migrations")]
async fn after_24_hours_a_reply_fails_and_says_a_template_is_needed(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    let (code, _) = post_signed(
        &app,
        channel,
        APP_SECRET,
        &text("79161234570", "Late", "wamid.LATE", "Hello"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);

    // Refused at once by the send...
    fake.refuse_next([Refusal::ReEngagement]);
    let id = write(&app, channel, "79161234570", "Sorry for the delay").await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'failed'"),
        1,
    )
    .await;
    let (_, error, _) = delivery_of(&pool, id).await;
    let error = error.expect("a reason");
    assert!(error.contains("24 hours"), "{error}");
    assert!(error.contains("template"), "{error}");
    assert_eq!(fake.calls().len(), 1, "not retried");

    // ...or taken, then reported failed by a status callback.
    let id = write(&app, channel, "79161234570", "Are you there?").await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
    let wamid = delivery_of(&pool, id).await.2.expect("wamid");
    let errors = json!([{"code": 131047, "title": "Re-engagement message",
        "message": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]);
    let (code, _) = post_signed(&app, channel, APP_SECRET, &status(&wamid, "failed", errors)).await;
    assert_eq!(code, StatusCode::OK);
    let (state, error, _) = delivery_of(&pool, id).await;
    assert_eq!(state, "failed");
    let error = error.expect("a reason");
    assert!(error.contains("template"), "{error}");

    let admin = app.sign_in("admin@acme.test").await;
    let dialog = dialog_of(&pool, channel, "79161234570").await;
    let (code, detail) = admin
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(code, StatusCode::OK);
    let shown = detail["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["id"] == id))
        .cloned()
        .expect("the message");
    assert_eq!(shown["delivery"], "failed");
    assert!(
        shown["delivery_error"]
            .as_str()
            .unwrap_or_default()
            .contains("template")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_clients_media_is_fetched_with_the_access_token_and_stored(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = app_with_whatsapp(pool.clone()).await;
    let channel = whatsapp_channel(&pool, &w).await;
    fake.add_media("1479537139650973", "application/pdf", b"%PDF-1.4 invoice");
    let message = inbound(
        "79161234571",
        "Fay",
        "wamid.DOC",
        "document",
        json!({"caption": "My invoice", "filename": "invoice.pdf",
               "mime_type": "application/pdf", "sha256": "x", "id": "1479537139650973"}),
    );
    let (code, body) = post_signed(&app, channel, APP_SECRET, &message).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    app.wait_for("SELECT count(*) FROM attachments WHERE state = 'stored'", 1)
        .await;

    let (file, name, kind): (i64, String, String) =
        sqlx::query_as("SELECT id, file_name, kind::text FROM attachments")
            .fetch_one(&pool)
            .await
            .expect("attachment");
    assert_eq!((name.as_str(), kind.as_str()), ("invoice.pdf", "document"));
    let calls = fake.calls();
    let what: Vec<_> = calls.iter().map(|c| c.what.as_str()).collect();
    assert_eq!(what, vec!["media", "download"]);
    for call in &calls {
        assert_eq!(call.id, "1479537139650973");
        assert_eq!(
            call.headers["authorization"],
            format!("Bearer {ACCESS_TOKEN}").as_str()
        );
    }

    let admin = app.sign_in("admin@acme.test").await;
    let response = admin.get(&format!("/files/{file}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.bytes().await.expect("bytes").as_ref(),
        b"%PDF-1.4 invoice"
    );
}
