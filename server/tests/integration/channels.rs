//! Channels end to end on the real app and PostgreSQL, against local fakes of the providers:
//! inbound webhooks are verified and stored exactly once, replies are delivered exactly once
//! through provider failures, files are fetched, bad input is refused with nothing stored.

use crate::common;
use crate::common::fakes::{Failure, FakeReceiver};
use crate::common::{TestApp, http, telegram_secret, telegram_text, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The dialog holding a Telegram chat's messages on a channel.
async fn dialog_of_chat(pool: &PgPool, channel: i64, chat: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT d.id FROM dialogs d JOIN client_identities i ON i.client_id = d.client_id
          WHERE i.channel_id = $1 AND i.external_id = $2 AND d.channel_id = $1
          ORDER BY d.id DESC LIMIT 1",
    )
    .bind(channel)
    .bind(chat.to_string())
    .fetch_one(pool)
    .await
    .expect("the chat's dialog")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_telegram_message_is_stored_once_however_often_the_webhook_repeats(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let secret = telegram_secret(&w.acme);
    let update = telegram_text(1, 5001, 1, "Nina", "Do you deliver to Kazan?");

    let (status, body) = app
        .telegram_webhook(w.acme.channel_tg, Some(&secret), &update)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 1);
    for _ in 0..3 {
        let (status, body) = app
            .telegram_webhook(w.acme.channel_tg, Some(&secret), &update)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["repeated"], 1);
    }

    let dialog = dialog_of_chat(&pool, w.acme.channel_tg, 5001).await;
    let (status, number, client, line): (String, i64, String, i64) = sqlx::query_as(
        "SELECT d.status::text, d.number, c.name, d.line_id FROM dialogs d
           JOIN clients c ON c.id = d.client_id WHERE d.id = $1",
    )
    .bind(dialog)
    .fetch_one(&pool)
    .await
    .expect("dialog");
    assert_eq!(status, "new");
    assert_eq!(number, 6, "numbers continue the account's sequence");
    assert_eq!(client, "Nina");
    assert_eq!(line, w.acme.line_sales);
    assert_eq!(common::message_count(&pool, dialog).await, 1);

    // The operator sees it in the dialog.
    let admin = app.sign_in("admin@acme.test").await;
    let (status, detail) = admin
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["messages"][0]["body"], "Do you deliver to Kazan?");
    assert_eq!(detail["messages"][0]["direction"], "in");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_webhooks_are_refused_with_a_clear_answer_and_nothing_is_stored(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let before = count(&pool, "SELECT count(*) FROM messages").await;
    let update = telegram_text(1, 5002, 1, "Eve", "hi");
    let tg = w.acme.channel_tg;

    let (status, body) = app.telegram_webhook(tg, None, &update).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("secret")
    );
    let (status, _) = app.telegram_webhook(tg, Some("wrong"), &update).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another account's secret does not open this account's channel.
    let (status, _) = app
        .telegram_webhook(tg, Some(&telegram_secret(&w.other)), &update)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .telegram_webhook(999_999, Some(&telegram_secret(&w.acme)), &update)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The email channel is not a Telegram channel.
    let (status, _) = app
        .telegram_webhook(
            w.acme.channel_email,
            Some(&telegram_secret(&w.acme)),
            &update,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let secret = telegram_secret(&w.acme);
    for raw in [
        "{not json",
        r#"{"update_id":1,"message":{"message_id":"x"}}"#,
        "[]",
    ] {
        let response = http()
            .post(app.url(&format!("/webhooks/telegram/{tg}")))
            .header("x-telegram-bot-api-secret-token", &secret)
            .body(raw)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{raw}");
        let body: Value = response.json().await.expect("json error");
        assert!(
            body["error"]
                .as_str()
                .unwrap_or_default()
                .starts_with("malformed")
        );
    }

    let huge = telegram_text(2, 5002, 2, "Eve", &"x".repeat(2 * 1024 * 1024));
    let (status, _) = app.telegram_webhook(tg, Some(&secret), &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // A channel not connected to a line answers 503: the provider keeps the update.
    sqlx::query("UPDATE channels SET line_id = NULL WHERE id = $1")
        .bind(tg)
        .execute(&pool)
        .await
        .expect("disconnect");
    let (status, _) = app.telegram_webhook(tg, Some(&secret), &update).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    assert_eq!(count(&pool, "SELECT count(*) FROM messages").await, before);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM clients WHERE name = 'Eve'").await,
        0
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_message_after_closing_opens_a_new_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let secret = telegram_secret(&w.acme);
    app.telegram_webhook(
        w.acme.channel_tg,
        Some(&secret),
        &telegram_text(1, 5003, 1, "Oleg", "one"),
    )
    .await;
    app.telegram_webhook(
        w.acme.channel_tg,
        Some(&secret),
        &telegram_text(2, 5003, 2, "Oleg", "two"),
    )
    .await;
    let first = dialog_of_chat(&pool, w.acme.channel_tg, 5003).await;
    assert_eq!(common::message_count(&pool, first).await, 2);
    sqlx::query("UPDATE dialogs SET status = 'closed', closed_at = now() WHERE id = $1")
        .bind(first)
        .execute(&pool)
        .await
        .expect("close");

    app.telegram_webhook(
        w.acme.channel_tg,
        Some(&secret),
        &telegram_text(3, 5003, 3, "Oleg", "three"),
    )
    .await;
    let second = dialog_of_chat(&pool, w.acme.channel_tg, 5003).await;
    assert_ne!(first, second);
    assert_eq!(common::message_count(&pool, second).await, 1);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM clients WHERE name = 'Oleg'").await,
        1,
        "the same client"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn many_webhooks_of_a_new_chat_at_once_make_one_client_and_one_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let secret = telegram_secret(&w.acme);
    let sends = (1..=30).map(|i| {
        let (app, secret) = (&app, &secret);
        async move {
            let update = telegram_text(i, 5004, i, "Rush", &format!("message {i}"));
            // Each twice, as a retrying provider would.
            let a = app.telegram_webhook(w.acme.channel_tg, Some(secret), &update);
            let b = app.telegram_webhook(w.acme.channel_tg, Some(secret), &update);
            let ((sa, _), (sb, _)) = futures::join!(a, b);
            assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK));
        }
    });
    futures::future::join_all(sends).await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM clients WHERE name = 'Rush'").await,
        1
    );
    let dialog = dialog_of_chat(&pool, w.acme.channel_tg, 5004).await;
    assert_eq!(
        count(&pool, &format!("SELECT count(*) FROM dialogs WHERE client_id = (SELECT client_id FROM dialogs WHERE id = {dialog})")).await,
        1
    );
    assert_eq!(common::message_count(&pool, dialog).await, 30);
}

#[sqlx::test(migrations = "../migrations")]
async fn edits_and_deletions_by_the_client_change_the_stored_message(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let secret = telegram_secret(&w.acme);
    app.telegram_webhook(
        w.acme.channel_tg,
        Some(&secret),
        &telegram_text(1, 5005, 7, "Ada", "Helo"),
    )
    .await;
    let edit = json!({"update_id": 2, "edited_message": {"message_id": 7, "date": 1_700_000_000,
        "edit_date": 1_700_000_100, "chat": {"id": 5005, "type": "private", "first_name": "Ada"},
        "text": "Hello"}});
    let (status, _) = app
        .telegram_webhook(w.acme.channel_tg, Some(&secret), &edit)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (body, edited): (String, bool) = sqlx::query_as(
        "SELECT body, edited_at IS NOT NULL FROM messages WHERE external_id = '5005:7'",
    )
    .fetch_one(&pool)
    .await
    .expect("message");
    assert_eq!((body.as_str(), edited), ("Hello", true));

    let deletion = json!({"update_id": 3, "deleted_business_messages": {"business_connection_id": "b",
        "chat": {"id": 5005, "type": "private"}, "message_ids": [7]}});
    app.telegram_webhook(w.acme.channel_tg, Some(&secret), &deletion)
        .await;
    let deleted_by: Option<String> =
        sqlx::query_scalar("SELECT deleted_by FROM messages WHERE external_id = '5005:7'")
            .fetch_one(&pool)
            .await
            .expect("message");
    assert_eq!(deleted_by.as_deref(), Some("client"));
}

/// Starts a dialog with a Telegram chat and returns its id.
async fn chat_dialog(app: &TestApp, w: &common::World, chat: i64) -> i64 {
    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&telegram_secret(&w.acme)),
            &telegram_text(chat, chat, 1, "Client", "Hello"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    dialog_of_chat(&app.pool, w.acme.channel_tg, chat).await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reply_is_sent_to_the_telegram_chat_and_marked_sent(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    let dialog = chat_dialog(&app, &w, 6001).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (status, message) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", "Yes, we do!"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{message}");
    let id = message["id"].as_i64().expect("id");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "sendMessage");
    assert_eq!(calls[0].body["chat_id"], 6001);
    assert_eq!(calls[0].body["text"], "Yes, we do!");
    let external: String = sqlx::query_scalar("SELECT external_id FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("external id");
    assert_eq!(external, "6001:1001");
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn through_500s_and_429s_every_reply_is_delivered_once_and_in_order(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    let dialog = chat_dialog(&app, &w, 6002).await;
    let other = chat_dialog(&app, &w, 6003).await;
    fake.fail_next([
        Failure::ServerError,
        Failure::TooMany { retry_after: 1 },
        Failure::ServerError,
        Failure::ServerError,
    ]);
    let admin = app.sign_in("admin@acme.test").await;
    for i in 1..=4 {
        for d in [dialog, other] {
            let (status, body) = admin
                .call(
                    "send_message",
                    &[
                        ("dialog_id", &d.to_string()),
                        ("text", &format!("reply {i} to {d}")),
                        ("mode", "message"),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    app.wait_for(
        "SELECT count(*) FROM messages WHERE direction = 'out' AND delivery = 'sent'",
        8,
    )
    .await;
    let texts = fake.sent_texts();
    assert_eq!(
        texts.len(),
        8,
        "each reply accepted exactly once: {texts:?}"
    );
    for d in [dialog, other] {
        let mine: Vec<_> = texts
            .iter()
            .filter(|t| t.ends_with(&format!(" to {d}")))
            .cloned()
            .collect();
        let want: Vec<_> = (1..=4).map(|i| format!("reply {i} to {d}")).collect();
        assert_eq!(mine, want, "in the order written");
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refused_reply_shows_as_failed_and_goes_out_when_retried(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    let dialog = chat_dialog(&app, &w, 6004).await;
    fake.fail_next([Failure::Blocked]);
    let olga = app.sign_in("olga@acme.test").await;
    let (_, message) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", "Are you there?"),
                ("mode", "message"),
            ],
        )
        .await;
    let id = message["id"].as_i64().expect("id");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'failed'"),
        1,
    )
    .await;
    let (status, detail) = olga
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
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
            .contains("blocked")
    );

    // Olga's reply accepted the dialog, so it is hers: vera, who reads the line's queue,
    // neither sees nor retries it. Another account's user does not even see the message.
    let vera = app.sign_in("vera@acme.test").await;
    let (status, _) = vera
        .call("retry_message", &[("message_id", &id.to_string())])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let stranger = app.sign_in("admin@other.test").await;
    let (status, _) = stranger
        .call("retry_message", &[("message_id", &id.to_string())])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = olga
        .call("retry_message", &[("message_id", &id.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
    assert_eq!(fake.sent_texts(), vec!["Are you there?"]);
    // A message that is not failed cannot be retried.
    let (status, _) = olga
        .call("retry_message", &[("message_id", &id.to_string())])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_clients_file_is_fetched_after_the_answer_and_only_shown_to_those_who_may_see_it(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    fake.add_file("doc-1", "documents/file_1.pdf", b"%PDF-1.4 invoice");
    let update = json!({"update_id": 1, "message": {"message_id": 1, "date": 1_700_000_000,
        "from": {"id": 7001, "first_name": "Fay"}, "chat": {"id": 7001, "type": "private", "first_name": "Fay"},
        "caption": "My invoice",
        "document": {"file_id": "doc-1", "file_unique_id": "u1", "file_name": "invoice.pdf",
                     "mime_type": "application/pdf", "file_size": 16}}});
    let (status, _) = app
        .telegram_webhook(w.acme.channel_tg, Some(&telegram_secret(&w.acme)), &update)
        .await;
    assert_eq!(status, StatusCode::OK);
    app.wait_for("SELECT count(*) FROM attachments WHERE state = 'stored'", 1)
        .await;
    let file: i64 = sqlx::query_scalar("SELECT id FROM attachments")
        .fetch_one(&pool)
        .await
        .expect("attachment");

    let admin = app.sign_in("admin@acme.test").await;
    let response = admin.get(&format!("/files/{file}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"invoice.pdf\""
    );
    assert_eq!(
        response.bytes().await.expect("bytes").as_ref(),
        b"%PDF-1.4 invoice"
    );

    for email in ["pavel@acme.test", "admin@other.test"] {
        let user = app.sign_in(email).await;
        let response = user.get(&format!("/files/{file}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{email}");
    }
    let anonymous = http()
        .get(app.url(&format!("/files/{file}")))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// Connects an API channel to the Sales line, sending to `url`.
async fn api_channel(pool: &PgPool, w: &common::World, url: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, settings, credentials)
         VALUES ($1, $2, 'webhook', 'Site chat', jsonb_build_object('url', $3::text),
                 '{\"secret\": \"api-secret\"}') RETURNING id",
    )
    .bind(w.acme.id)
    .bind(w.acme.line_sales)
    .bind(url)
    .fetch_one(pool)
    .await
    .expect("api channel")
}

async fn post_api(app: &TestApp, channel: i64, secret: &[u8], body: &Value) -> StatusCode {
    let raw = body.to_string();
    http()
        .post(app.url(&format!("/webhooks/api/{channel}")))
        .header("content-type", "application/json")
        .header(
            "x-dialogs-signature",
            server::channels::api::signature(secret, raw.as_bytes()),
        )
        .body(raw)
        .send()
        .await
        .expect("post")
        .status()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_api_channel_takes_signed_messages_and_delivers_signed_replies(pool: PgPool) {
    let w = world(&pool).await;
    let receiver = FakeReceiver::start().await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = api_channel(&pool, &w, &receiver.url()).await;
    let message = json!({"type": "message", "message_id": "m-1",
        "chat": {"id": "visitor-9", "name": "Visitor", "phone": "8 (916) 123-45-67"},
        "text": "Is the blue one in stock?"});
    assert_eq!(
        post_api(&app, channel, b"wrong", &message).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM clients WHERE name = 'Visitor'").await,
        0
    );
    assert_eq!(
        post_api(&app, channel, b"api-secret", &message).await,
        StatusCode::OK
    );
    assert_eq!(
        post_api(&app, channel, b"api-secret", &message).await,
        StatusCode::OK
    );
    let phone: String = sqlx::query_scalar("SELECT phone FROM clients WHERE name = 'Visitor'")
        .fetch_one(&pool)
        .await
        .expect("client");
    assert_eq!(phone, "+79161234567", "stored in E.164");

    // The same person writing from Telegram with their phone is the same client.
    let contact = json!({"update_id": 1, "message": {"message_id": 1, "date": 1_700_000_000,
        "from": {"id": 8001, "first_name": "V"}, "chat": {"id": 8001, "type": "private", "first_name": "V"},
        "contact": {"phone_number": "+7 916 123 45 67", "first_name": "V", "user_id": 8001}}});
    app.telegram_webhook(w.acme.channel_tg, Some(&telegram_secret(&w.acme)), &contact)
        .await;
    assert_eq!(
        count(&pool, "SELECT count(DISTINCT client_id) FROM client_identities WHERE external_id IN ('visitor-9', '8001')").await,
        1
    );

    // A reply goes to the receiver, signed, with an idempotency key; a 502 first is retried
    // with the same key.
    receiver.fail_next([Failure::ServerError]);
    let dialog = sqlx::query_scalar::<_, i64>("SELECT id FROM dialogs WHERE channel_id = $1")
        .bind(channel)
        .fetch_one(&pool)
        .await
        .expect("dialog");
    let admin = app.sign_in("admin@acme.test").await;
    let (_, sent) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", "Yes, 3 left"),
                ("mode", "message"),
            ],
        )
        .await;
    let id = sent["id"].as_i64().expect("id");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
    let calls = receiver.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].headers["idempotency-key"],
        calls[1].headers["idempotency-key"]
    );
    let raw = calls[1].body.to_string();
    assert!(server::channels::api::signature_matches(
        b"api-secret",
        raw.as_bytes(),
        calls[1].headers["x-dialogs-signature"]
            .to_str()
            .expect("header")
    ));
    assert_eq!(calls[1].body["chat_id"], "visitor-9");
    assert_eq!(calls[1].body["text"], "Yes, 3 left");

    // The receiver reports delivery; states only move forward.
    let external: String = sqlx::query_scalar("SELECT external_id FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("external id");
    for state in ["read", "delivered"] {
        let status = json!({"type": "status", "message_id": external, "state": state});
        assert_eq!(
            post_api(&app, channel, b"api-secret", &status).await,
            StatusCode::OK
        );
    }
    let state: String = sqlx::query_scalar("SELECT delivery::text FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("state");
    assert_eq!(state, "read");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_event_the_database_refuses_for_good_is_kept_aside_and_does_not_block_the_next(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let secret = telegram_secret(&w.acme);
    common::refuse_body(&pool, "poison").await;

    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&secret),
            &telegram_text(1, 6001, 1, "Poisoner", "poison"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dead_lettered"], 1);
    assert_eq!(body["stored"], 0);
    let (kept, error): (Vec<u8>, String) =
        sqlx::query_as("SELECT body, error FROM dead_letters WHERE channel_id = $1")
            .bind(w.acme.channel_tg)
            .fetch_one(&pool)
            .await
            .expect("the dead letter");
    assert!(String::from_utf8_lossy(&kept).contains("poison"));
    assert!(error.contains("no_poison"), "{error}");
    // Administrators see it on the channel in Settings.
    let admin = app.sign_in("admin@acme.test").await;
    let (_, settings) = admin.call("get_settings", &[]).await;
    let channel = settings["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["id"] == w.acme.channel_tg)
        .cloned()
        .expect("the channel");
    assert_eq!(channel["dead_letters"], 1, "{channel}");
    // They read it (the reason and the start of the body), and dismiss it once looked at.
    let tg = w.acme.channel_tg.to_string();
    let (status, letters) = admin
        .call("channel_dead_letters", &[("channel_id", &tg)])
        .await;
    assert_eq!(status, StatusCode::OK, "{letters}");
    let letter = &letters[0];
    assert!(
        letter["error"]
            .as_str()
            .is_some_and(|e| e.contains("no_poison")),
        "{letter}"
    );
    assert!(
        letter["excerpt"]
            .as_str()
            .is_some_and(|b| b.contains("poison")),
        "{letter}"
    );
    let letter_id = letter["id"].to_string();
    // Someone who does not administer the channel, or another account, may not.
    for email in ["olga@acme.test", "admin@other.test"] {
        let user = app.sign_in(email).await;
        let (status, _) = user
            .call("channel_dead_letters", &[("channel_id", &tg)])
            .await;
        assert!(status.is_client_error(), "{email}: {status}");
        let (status, _) = user
            .call(
                "dismiss_dead_letter",
                &[("channel_id", &tg), ("id", &letter_id)],
            )
            .await;
        assert!(status.is_client_error(), "{email}: {status}");
    }
    let (status, _) = admin
        .call(
            "dismiss_dead_letter",
            &[("channel_id", &tg), ("id", &letter_id)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin
        .call(
            "dismiss_dead_letter",
            &[("channel_id", &tg), ("id", &letter_id)],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "once only");
    let (_, letters) = admin
        .call("channel_dead_letters", &[("channel_id", &tg)])
        .await;
    assert_eq!(letters, json!([]));

    // The same chat's next message is stored as usual.
    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&secret),
            &telegram_text(2, 6001, 2, "Poisoner", "a normal question"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 1);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM messages WHERE body = 'a normal question'"
        )
        .await,
        1
    );
}
