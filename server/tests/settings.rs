//! Settings (B1, B4): lines and channel connections, on the real app and PostgreSQL. Only
//! those who may administer change anything; a connected bot receives at once; a channel off
//! every line keeps its messages waiting at the provider.

mod common;

use common::{TestApp, telegram_text, world};
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
