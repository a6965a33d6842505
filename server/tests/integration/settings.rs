//! Settings (B1, B4): lines and channel connections, on the real app and PostgreSQL. Only
//! those who may administer change anything; a connected bot receives at once; a channel off
//! every line keeps its messages waiting at the provider.

use crate::common;
use crate::common::{TestApp, telegram_text, world};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_sees_and_changes_lines_and_an_operator_may_not(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (status, view) = admin.call("get_settings", &[]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let names: Vec<&str> = view["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Sales", "Support"]);
    assert_eq!(view["can_create"], true);
    assert_eq!(view["channels"].as_array().map(Vec::len), Some(2));

    let olga = app.sign_in("olga@acme.test").await;
    let (status, _) = olga.call("get_settings", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sales = w.acme.line_sales.to_string();
    let (status, _) = olga
        .call(
            "save_line",
            &[("line[id]", &sales), ("line[name]", "Mine now")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // B4 settings are stored, and honoured: unknown senders become potential clients.
    let (status, body) = admin
        .call(
            "save_line",
            &[
                ("line[id]", &sales),
                ("line[name]", " Sales "),
                ("line[incoming_are_leads]", "true"),
                ("line[close_requires_reason]", "true"),
                ("line[unknown_become_clients]", "false"),
                ("line[all_users_may_view]", "false"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (leads, reason, clients): (bool, bool, bool) = sqlx::query_as(
        "SELECT incoming_are_leads, close_requires_reason, unknown_become_clients FROM lines WHERE id = $1",
    )
    .bind(w.acme.line_sales)
    .fetch_one(&pool)
    .await
    .expect("line");
    assert_eq!((leads, reason, clients), (true, true, false));
    app.telegram_webhook(
        w.acme.channel_tg,
        Some(&common::telegram_secret(&w.acme)),
        &telegram_text(1, 31337, 1, "Stranger", "hi"),
    )
    .await;
    let potential: bool =
        sqlx::query_scalar("SELECT is_potential FROM clients WHERE name = 'Stranger'")
            .fetch_one(&pool)
            .await
            .expect("client");
    assert!(potential);

    // New lines: names must be present, unique in the account.
    let (status, id) = admin.call("save_line", &[("line[name]", "VIP")]).await;
    assert_eq!(status, StatusCode::OK, "{id}");
    let (status, body) = admin.call("save_line", &[("line[name]", "vip ")]).await;
    assert_eq!(status, StatusCode::OK, "names differ in case: {body}");
    let (status, body) = admin.call("save_line", &[("line[name]", "VIP")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = admin.call("save_line", &[("line[name]", "   ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Another account's line is unknown here.
    let (status, _) = admin
        .call(
            "save_line",
            &[
                ("line[id]", &w.other.line_sales.to_string()),
                ("line[name]", "Taken"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other_name: String = sqlx::query_scalar("SELECT name FROM lines WHERE id = $1")
        .bind(w.other.line_sales)
        .fetch_one(&pool)
        .await
        .expect("line");
    assert_eq!(other_name, "Sales");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_connected_bot_receives_at_once_and_a_channel_off_its_line_keeps_messages_waiting(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let support = w.acme.line_support.to_string();

    let (status, body) = admin
        .call(
            "connect_telegram",
            &[
                ("line_id", &support),
                ("name", "@help_bot"),
                ("bot_token", "not a token"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let olga = app.sign_in("olga@acme.test").await;
    let (status, _) = olga
        .call(
            "connect_telegram",
            &[
                ("line_id", &support),
                ("name", "@help_bot"),
                ("bot_token", TOKEN),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, connected) = admin
        .call(
            "connect_telegram",
            &[
                ("line_id", &support),
                ("name", "@help_bot"),
                ("bot_token", TOKEN),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{connected}");
    let channel = connected["channel_id"].as_i64().expect("channel id");
    let secret = connected["secret"].as_str().expect("secret").to_owned();
    assert_eq!(
        connected["webhook_path"],
        Value::String(format!("/webhooks/telegram/{channel}"))
    );
    let update = telegram_text(1, 4040, 1, "Newcomer", "First!");
    let (status, _) = app.telegram_webhook(channel, Some(&secret), &update).await;
    assert_eq!(status, StatusCode::OK);
    let line: i64 = sqlx::query_scalar(
        "SELECT d.line_id FROM dialogs d JOIN clients c ON c.id = d.client_id WHERE c.name = 'Newcomer'",
    )
    .fetch_one(&pool)
    .await
    .expect("dialog");
    assert_eq!(line, w.acme.line_support);

    // Off every line: 503, the provider keeps the update; back on: stored.
    let (status, body) = admin
        .call(
            "set_channel",
            &[("channel_id", &channel.to_string()), ("enabled", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let next = telegram_text(2, 4040, 2, "Newcomer", "Anyone?");
    let (status, _) = app.telegram_webhook(channel, Some(&secret), &next).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _) = admin
        .call(
            "set_channel",
            &[
                ("channel_id", &channel.to_string()),
                ("line_id", &support),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.telegram_webhook(channel, Some(&secret), &next).await;
    assert_eq!(status, StatusCode::OK);

    // Another account's channel and line are unknown here.
    let (status, _) = admin
        .call(
            "set_channel",
            &[
                ("channel_id", &w.other.channel_tg.to_string()),
                ("enabled", "false"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin
        .call(
            "set_channel",
            &[
                ("channel_id", &channel.to_string()),
                ("line_id", &w.other.line_sales.to_string()),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let enabled: bool = sqlx::query_scalar("SELECT enabled FROM channels WHERE id = $1")
        .bind(w.other.channel_tg)
        .fetch_one(&pool)
        .await
        .expect("channel");
    assert!(enabled);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_connects_whatsapp_email_and_api_channels_that_receive_with_the_shown_secrets(
    pool: PgPool,
) {
    use hmac::{Hmac, Mac};
    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let admin = app.sign_in("admin@acme.test").await;
    let sales = w.acme.line_sales.to_string();

    // WhatsApp: Meta's handshake answers with the verify token shown once.
    let (status, wa) = admin
        .call(
            "connect_channel",
            &[
                ("form[kind]", "whatsapp"),
                ("form[line_id]", &sales),
                ("form[name]", "WhatsApp +7 900"),
                ("form[phone_number_id]", "1065550001"),
                ("form[business_account_id]", "2065550002"),
                ("form[access_token]", "EAAG-token"),
                ("form[app_secret]", "meta-secret"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{wa}");
    let path = wa["webhook_path"].as_str().expect("path").to_owned();
    let verify = wa["secret"].as_str().expect("secret").to_owned();
    let challenge = common::http()
        .get(app.url(&format!(
            "{path}?hub.mode=subscribe&hub.verify_token={verify}&hub.challenge=1158201444"
        )))
        .send()
        .await
        .expect("handshake");
    assert_eq!(challenge.status(), StatusCode::OK);
    assert_eq!(challenge.text().await.unwrap_or_default(), "1158201444");
    let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "2065550002", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "79001234567", "phone_number_id": "1065550001"},
                  "contacts": [{"profile": {"name": "Ivan"}, "wa_id": "79161112233"}],
                  "messages": [{"from": "79161112233", "id": "wamid.X1", "timestamp": "1700000000", "type": "text", "text": {"body": "Здравствуйте"}}]}}]}]})
    .to_string();
    let stored = common::http()
        .post(app.url(&path))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign("meta-secret", body.as_bytes()))
        .body(body)
        .send()
        .await
        .expect("webhook");
    assert_eq!(stored.status(), StatusCode::OK);

    // Email: the inbound webhook takes mail signed with the shown secret.
    let (status, email) = admin
        .call(
            "connect_channel",
            &[
                ("form[kind]", "email"),
                ("form[line_id]", &sales),
                ("form[name]", "sales@acme.test"),
                ("form[from_address]", "sales@acme.test"),
                ("form[smtp_host]", "smtp.acme.test"),
                ("form[smtp_port]", "2525"),
                ("form[smtp_tls]", "none"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{email}");
    let mail = b"From: Anna <anna@example.com>\r\nTo: sales@acme.test\r\nSubject: Price\r\nMessage-ID: <p1@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHow much?\r\n";
    let stored = common::http()
        .post(app.url(email["webhook_path"].as_str().expect("path")))
        .header("content-type", "message/rfc822")
        .header(
            "x-dialogs-signature",
            sign(email["secret"].as_str().expect("secret"), mail),
        )
        .body(mail.to_vec())
        .send()
        .await
        .expect("mail");
    assert_eq!(stored.status(), StatusCode::OK);

    // API channel.
    let (status, api) = admin
        .call(
            "connect_channel",
            &[
                ("form[kind]", "webhook"),
                ("form[line_id]", &sales),
                ("form[name]", "Site chat"),
                ("form[url]", "https://chat.acme.test/replies"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{api}");
    assert!(
        api["webhook_path"]
            .as_str()
            .unwrap_or("")
            .starts_with("/webhooks/api/")
    );
    let event = serde_json::json!({"type": "message", "message_id": "m-1", "chat": {"id": "v-1", "name": "Visitor"}, "text": "Hi"}).to_string();
    let stored = common::http()
        .post(app.url(api["webhook_path"].as_str().expect("path")))
        .header("content-type", "application/json")
        .header(
            "x-dialogs-signature",
            sign(api["secret"].as_str().expect("secret"), event.as_bytes()),
        )
        .body(event)
        .send()
        .await
        .expect("event");
    assert_eq!(stored.status(), StatusCode::OK);
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT m.body FROM messages m JOIN channels c ON c.id = m.channel_id
          WHERE c.account_id = $1 AND c.kind IN ('whatsapp', 'email', 'webhook') ORDER BY m.id",
    )
    .bind(w.acme.id)
    .fetch_all(&pool)
    .await
    .expect("messages");
    assert_eq!(bodies, vec!["Здравствуйте", "How much?", "Hi"]);

    // Secrets never come back to the browser.
    let (_, view) = admin.call("get_settings", &[]).await;
    let shown = view.to_string();
    for secret in ["EAAG-token", "meta-secret", &verify] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }

    // Bad fields are named; an operator may not connect; another account's line is unknown.
    let (status, body) = admin
        .call(
            "connect_channel",
            &[
                ("form[kind]", "webhook"),
                ("form[line_id]", &sales),
                ("form[name]", "X"),
                ("form[url]", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"]["field"], "url", "{body}");
    let olga = app.sign_in("olga@acme.test").await;
    let (status, _) = olga
        .call(
            "connect_channel",
            &[
                ("form[kind]", "webhook"),
                ("form[line_id]", &sales),
                ("form[name]", "X"),
                ("form[url]", "https://x.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = admin
        .call(
            "connect_channel",
            &[
                ("form[kind]", "webhook"),
                ("form[line_id]", &w.other.line_sales.to_string()),
                ("form[name]", "X"),
                ("form[url]", "https://x.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let channels: i64 = sqlx::query_scalar("SELECT count(*) FROM channels WHERE account_id = $1")
        .bind(w.acme.id)
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(channels, 5, "two from the fixture, three connected");
}
