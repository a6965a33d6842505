//! Buttons under a message (E10) on the real app and PostgreSQL, against local fakes that
//! check the providers' rules: a Telegram reply keyboard, WhatsApp interactive reply
//! buttons, buttons passed on by the API channel; each messenger's limits refused clearly
//! with nothing stored; a tap comes back as the client's message.

use crate::common;
use crate::common::fake_whatsapp::FakeGraph;
use crate::common::fakes::{FakeReceiver, FakeTelegram};
use crate::common::{Session, TELEGRAM_TOKEN, TestApp, telegram_secret, telegram_text, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn send(
    session: &Session,
    dialog: i64,
    text: &str,
    mode: &str,
    buttons: &[&str],
) -> (StatusCode, Value) {
    let dialog = dialog.to_string();
    let keys: Vec<String> = (0..buttons.len())
        .map(|i| format!("buttons[{i}]"))
        .collect();
    let mut args = vec![
        ("dialog_id", dialog.as_str()),
        ("text", text),
        ("mode", mode),
    ];
    for (k, v) in keys.iter().zip(buttons) {
        args.push((k.as_str(), v));
    }
    session.call("send_message", &args).await
}

async fn sent_out(app: &TestApp, id: &Value) {
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
}

async fn messages(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(pool)
        .await
        .expect("count")
}

#[sqlx::test(migrations = "../migrations")]
async fn telegram_gets_a_reply_keyboard_and_a_tap_comes_back_as_the_clients_message(pool: PgPool) {
    let w = world(&pool).await;
    let fake = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.telegram_api_base = base).await;
    let dialog = app.telegram_dialog(&w.acme, 7001).await;
    let admin = app.sign_in("admin@acme.test").await;

    let (status, message) = send(
        &admin,
        dialog,
        "Which time suits you?",
        "message",
        &[" Morning ", "", "Evening"],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["buttons"], json!(["Morning", "Evening"]));
    sent_out(&app, &message["id"]).await;
    let call = fake
        .calls()
        .into_iter()
        .find(|c| c.accepted && c.method == "sendMessage")
        .expect("sent");
    assert_eq!(call.body["text"], "Which time suits you?");
    assert_eq!(
        call.body["reply_markup"],
        json!({"keyboard": [[{"text": "Morning"}], [{"text": "Evening"}]],
               "one_time_keyboard": true, "resize_keyboard": true})
    );

    // The client taps "Evening": Telegram sends the button's text as their message.
    let (status, _) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&telegram_secret(&w.acme)),
            &telegram_text(7001, 7001, 2, "Fay", "Evening"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, detail) = admin
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    let list = detail["messages"].as_array().expect("messages");
    let asked = list
        .iter()
        .find(|m| m["body"] == "Which time suits you?")
        .expect("the question");
    assert_eq!(asked["buttons"], json!(["Morning", "Evening"]));
    let answer = list.last().expect("the answer");
    assert_eq!(
        (answer["body"].as_str(), answer["direction"].as_str()),
        (Some("Evening"), Some("in"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn whatsapp_gets_interactive_reply_buttons_within_its_limits(pool: PgPool) {
    let w = world(&pool).await;
    let fake = FakeGraph::start("EAAG-token").await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.whatsapp_graph_base = base).await;
    let channel = common::whatsapp_channel(&pool, &w.acme, "EAAG-token").await;
    let admin = app.sign_in("admin@acme.test").await;
    let (status, dialog) = admin
        .call(
            "start_dialog",
            &[
                ("input[line_id]", &w.acme.line_sales.to_string()),
                ("input[channel_id]", &channel.to_string()),
                ("input[recipient]", "+7 916 555-44-33"),
                ("input[text]", "Hello"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dialog}");
    let dialog = dialog.as_i64().expect("dialog id");
    let before = messages(&pool).await;

    // Four buttons, a title over 20 characters, twice the same title: refused, nothing stored.
    for (buttons, key) in [
        (vec!["1", "2", "3", "4"], "buttons.error.too_many"),
        (
            vec!["A title of more than twenty"],
            "buttons.error.too_long",
        ),
        (vec!["Yes", "yes"], "buttons.error.repeated"),
    ] {
        let (status, body) = send(&admin, dialog, "Confirm?", "message", &buttons).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{buttons:?}: {body}"
        );
        assert!(body.to_string().contains(key), "{key}: {body}");
    }
    // A note has no buttons.
    let (status, body) = send(&admin, dialog, "remember", "note", &["Yes"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string().contains("buttons.error.needs_text"),
        "{body}"
    );
    assert_eq!(messages(&pool).await, before, "nothing stored");

    let (status, message) = send(
        &admin,
        dialog,
        "Confirm the order?",
        "message",
        &["Yes", "No", "Call me"],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{message}");
    sent_out(&app, &message["id"]).await;
    let sent = fake.sent();
    let body = sent.last().expect("the interactive message");
    assert_eq!(body["type"], "interactive");
    assert_eq!(body["to"], "79165554433");
    assert_eq!(body["interactive"]["type"], "button");
    assert_eq!(body["interactive"]["body"]["text"], "Confirm the order?");
    let titles: Vec<&str> = body["interactive"]["action"]["buttons"]
        .as_array()
        .expect("buttons")
        .iter()
        .filter_map(|b| b["reply"]["title"].as_str())
        .collect();
    assert_eq!(titles, vec!["Yes", "No", "Call me"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn email_has_no_buttons_and_the_api_channel_passes_them_on(pool: PgPool) {
    let w = world(&pool).await;
    let receiver = FakeReceiver::start().await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;

    let (status, body) = send(&admin, w.acme.dialog_support, "Hi", "message", &["Yes"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string().contains("buttons.error.not_supported"),
        "{body}"
    );
    // The composer learns it from the dialog's permissions.
    let (_, email) = admin
        .call(
            "get_permissions",
            &[("id", &w.acme.dialog_support.to_string())],
        )
        .await;
    assert_eq!(email["buttons"], Value::Null);
    let (_, telegram) = admin
        .call("get_permissions", &[("id", &w.acme.dialog_new.to_string())])
        .await;
    assert_eq!(telegram["buttons"]["count"], 10);

    // Through the REST API, to an API channel.
    let channel = common::api_channel(&pool, &w.acme, &receiver.url()).await;
    let (token, hash) = server::api_v1::new_token();
    app::store::api_tokens::create(&pool, "admin@acme.test", "bot", &hash)
        .await
        .expect("token")
        .expect("user");
    let client = common::http();
    let started = client
        .post(app.url("/api/v1/dialogs"))
        .bearer_auth(&token)
        .json(&json!({"line_id": w.acme.line_sales, "channel_id": channel,
                      "recipient": "visitor-9", "text": "Hello"}))
        .send()
        .await
        .expect("start");
    assert_eq!(started.status(), StatusCode::CREATED);
    let dialog = started.json::<Value>().await.expect("dialog")["id"].clone();
    let sent = client
        .post(app.url(&format!("/api/v1/dialogs/{dialog}/messages")))
        .bearer_auth(&token)
        .json(&json!({"text": "Rate us", "buttons": ["👍", "👎"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), StatusCode::CREATED);
    let message = sent.json::<Value>().await.expect("message");
    assert_eq!(message["buttons"], json!(["👍", "👎"]));
    sent_out(&app, &message["id"]).await;
    let call = receiver
        .calls()
        .into_iter()
        .find(|c| c.body["text"] == "Rate us")
        .expect("passed on");
    assert_eq!(call.body["buttons"], json!(["👍", "👎"]));
}
