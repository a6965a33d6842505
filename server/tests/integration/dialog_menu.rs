//! The dialog menu of the list (C6) through the server functions: Favorites, read and
//! unread, blocking a client (their messages kept in a closed dialog, raising nothing) and
//! who may do it.

use crate::common;
use crate::common::{Session, TestApp, ids, telegram_secret, telegram_text, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn list(session: &Session, section: &str, closed: bool) -> Value {
    let filter = format!("section={section}{}", if closed { "&closed=1" } else { "" });
    let (status, page) = session
        .call(
            "list_dialogs",
            &[
                ("filter", &filter),
                ("tz_offset_minutes", "0"),
                ("limit", "100"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

async fn counters(session: &Session, closed: bool) -> Value {
    let (status, body) = session
        .call(
            "get_counters",
            &[
                ("filter", if closed { "section=all&closed=1" } else { "" }),
                ("tz_offset_minutes", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn pin(session: &Session, dialog: i64, pinned: bool) -> StatusCode {
    session
        .call(
            "set_pinned",
            &[("id", &dialog.to_string()), ("pinned", &pinned.to_string())],
        )
        .await
        .0
}

async fn block(session: &Session, dialog: i64, blocked: bool) -> (StatusCode, Value) {
    session
        .call(
            "set_client_blocked",
            &[
                ("id", &dialog.to_string()),
                ("blocked", &blocked.to_string()),
            ],
        )
        .await
}

async fn menu(session: &Session, dialog: i64) -> (StatusCode, Value) {
    session
        .call("get_dialog_menu", &[("id", &dialog.to_string())])
        .await
}

fn row(page: &Value, dialog: i64) -> Value {
    page["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == dialog))
        .cloned()
        .unwrap_or(Value::Null)
}

async fn status_of(pool: &PgPool, dialog: i64) -> String {
    sqlx::query_scalar("SELECT status::text FROM dialogs WHERE id = $1")
        .bind(dialog)
        .fetch_one(pool)
        .await
        .expect("the dialog")
}

async fn system_events(pool: &PgPool, dialog: i64) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT system FROM messages WHERE dialog_id = $1 AND kind = 'system' ORDER BY id",
    )
    .bind(dialog)
    .fetch_all(pool)
    .await
    .expect("system messages")
}

async fn last_event(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM events")
        .fetch_one(pool)
        .await
        .expect("the newest event")
}

/// The client's dialogs on a channel, oldest first, with their status.
async fn dialogs_of_chat(pool: &PgPool, channel: i64, chat: i64) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT d.id, d.status::text FROM dialogs d
           JOIN client_identities i ON i.client_id = d.client_id
          WHERE i.channel_id = $1 AND i.external_id = $2 AND d.channel_id = $1
          ORDER BY d.id",
    )
    .bind(channel)
    .bind(chat.to_string())
    .fetch_all(pool)
    .await
    .expect("the chat's dialogs")
}

async fn client_writes(app: &TestApp, w: &common::World, chat: i64, n: i64, text: &str) {
    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&telegram_secret(&w.acme)),
            &telegram_text(chat * 1000 + n, chat, n, "Client", text),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 1, "{body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_pinned_dialog_tops_every_section_it_matches_and_is_listed_once(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let before = ids(&list(&admin, "all", true).await);
    // The oldest dialog of the New section, so pinning visibly moves it.
    let pinned = w.acme.dialog_new;
    assert_ne!(before.first(), Some(&pinned));

    assert_eq!(pin(&admin, pinned, true).await, StatusCode::OK);
    for (section, closed) in [("new", false), ("all", false), ("all", true)] {
        let page = list(&admin, section, closed).await;
        let got = ids(&page);
        assert_eq!(got.first(), Some(&pinned), "{section}: {got:?}");
        assert_eq!(got.iter().filter(|d| **d == pinned).count(), 1, "{section}");
        assert_eq!(row(&page, pinned)["pinned"], true);
    }
    // In work does not hold a new dialog, pinned or not.
    assert!(!ids(&list(&admin, "in_work", false).await).contains(&pinned));
    // Everything else keeps its order.
    let after = ids(&list(&admin, "all", true).await);
    let rest: Vec<i64> = before.iter().copied().filter(|d| *d != pinned).collect();
    assert_eq!(after[1..], rest[..]);

    // Page by page the pinned dialog comes on the first page only, and nothing repeats.
    let (_, first) = admin
        .call(
            "list_dialogs",
            &[
                ("filter", "section=all&closed=1"),
                ("tz_offset_minutes", "0"),
                ("limit", "1"),
            ],
        )
        .await;
    assert_eq!(ids(&first).len(), 2, "the pinned one plus one: {first}");
    let mut seen = ids(&first);
    let mut cursor = first["next"].clone();
    while !cursor.is_null() {
        let at = cursor["last_message_at"]
            .as_str()
            .expect("cursor time")
            .to_owned();
        let id = cursor["id"].to_string();
        let (status, page) = admin
            .call(
                "list_dialogs",
                &[
                    ("filter", "section=all&closed=1"),
                    ("tz_offset_minutes", "0"),
                    ("limit", "1"),
                    ("after[last_message_at]", &at),
                    ("after[id]", &id),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(ids(&page));
        cursor = page["next"].clone();
    }
    assert_eq!(seen, after);

    // Unpinned, it goes back to its place.
    assert_eq!(pin(&admin, pinned, false).await, StatusCode::OK);
    assert_eq!(ids(&list(&admin, "all", true).await), before);
}

#[sqlx::test(migrations = "../migrations")]
async fn pins_belong_to_the_user_who_pinned(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let admin_before = ids(&list(&admin, "all", false).await);

    assert_eq!(pin(&olga, w.acme.dialog_new, true).await, StatusCode::OK);
    let olgas = list(&olga, "all", false).await;
    assert_eq!(ids(&olgas).first(), Some(&w.acme.dialog_new));
    let admins = list(&admin, "all", false).await;
    assert_eq!(ids(&admins), admin_before);
    assert_eq!(row(&admins, w.acme.dialog_new)["pinned"], false);
    let (_, marks) = menu(&admin, w.acme.dialog_new).await;
    assert_eq!(marks["pinned"], false);
    let (_, marks) = menu(&olga, w.acme.dialog_new).await;
    assert_eq!(marks["pinned"], true);
}

#[sqlx::test(migrations = "../migrations")]
async fn marking_unread_and_read_moves_the_counters(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = w.acme.dialog_new.to_string();
    assert_eq!(
        counters(&admin, false).await,
        json!({"new": 2, "in_work": 2, "all": 4})
    );

    // "Mark as read" from the menu reads up to the newest message, whichever it is.
    let (status, body) = admin
        .call(
            "mark_read",
            &[("id", &dialog), ("upto", &i64::MAX.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        counters(&admin, false).await,
        json!({"new": 1, "in_work": 2, "all": 3})
    );
    assert_eq!(
        row(&list(&admin, "new", false).await, w.acme.dialog_new)["unread"],
        false
    );
    assert_eq!(menu(&admin, w.acme.dialog_new).await.1["unread"], false);

    let (status, body) = admin.call("mark_unread", &[("id", &dialog)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        counters(&admin, false).await,
        json!({"new": 2, "in_work": 2, "all": 4})
    );
    assert_eq!(
        row(&list(&admin, "new", false).await, w.acme.dialog_new)["unread"],
        true
    );
    assert_eq!(menu(&admin, w.acme.dialog_new).await.1["unread"], true);
    // Only for this user: olga's counters never moved.
    let olga = app.sign_in("olga@acme.test").await;
    let olga_before = counters(&olga, false).await;

    let (status, _) = admin
        .call(
            "mark_read",
            &[("id", &dialog), ("upto", &i64::MAX.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        counters(&admin, false).await,
        json!({"new": 1, "in_work": 2, "all": 3})
    );
    assert_eq!(counters(&olga, false).await, olga_before);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_blocked_clients_messages_are_kept_in_a_closed_dialog_and_raise_nothing(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let chat = 777;
    let dialog = app.telegram_dialog(&w.acme, chat).await;
    assert!(ids(&list(&admin, "new", false).await).contains(&dialog));

    // olga may send on Sales: she blocks the client from the dialog's menu.
    assert_eq!(menu(&olga, dialog).await.1["can_block"], true);
    let (status, body) = block(&olga, dialog, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(menu(&olga, dialog).await.1["client_blocked"], true);
    // The dialog waiting in the queue is closed with a system message saying why.
    assert_eq!(status_of(&pool, dialog).await, "closed");
    assert_eq!(
        system_events(&pool, dialog).await,
        vec![json!({"event": "client_blocked", "by": "olga", "closed": true})]
    );
    let body: String =
        sqlx::query_scalar("SELECT body FROM messages WHERE dialog_id = $1 AND kind = 'system'")
            .bind(dialog)
            .fetch_one(&pool)
            .await
            .expect("body");
    assert_eq!(body, "olga blocked the client and closed the dialog");
    let counters_new = counters(&admin, false).await;
    let counters_all = counters(&admin, true).await;
    let events_before = last_event(&pool).await;

    // The client writes again: the message is stored, in the closed dialog.
    client_writes(&app, &w, chat, 2, "Are you there?").await;
    let stored: i64 = sqlx::query_scalar("SELECT dialog_id FROM messages WHERE external_id = $1")
        .bind(format!("{chat}:2"))
        .fetch_one(&pool)
        .await
        .expect("the blocked client's message is kept");
    assert_eq!(stored, dialog);
    assert_eq!(
        dialogs_of_chat(&pool, w.acme.channel_tg, chat).await,
        vec![(dialog, "closed".to_owned())],
        "no new dialog"
    );
    assert!(!ids(&list(&admin, "new", false).await).contains(&dialog));
    assert!(!ids(&list(&olga, "new", false).await).contains(&dialog));
    assert_eq!(counters(&admin, false).await, counters_new);
    assert_eq!(counters(&admin, true).await, counters_all);
    assert_eq!(
        last_event(&pool).await,
        events_before,
        "no live event (nor webhook delivery) for the blocked client's message"
    );
    // A second one goes the same way (and a repeated webhook stays one message).
    client_writes(&app, &w, chat, 3, "Hello?").await;
    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&telegram_secret(&w.acme)),
            &telegram_text(chat * 1000 + 3, chat, 3, "Client", "Hello?"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["repeated"], 1, "{body}");
    assert_eq!(common::message_count(&pool, dialog).await, 4);
    assert_eq!(last_event(&pool).await, events_before);

    // Blocking again changes nothing and writes nothing.
    let (status, _) = block(&admin, dialog, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(system_events(&pool, dialog).await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_blocked_client_writing_where_they_have_no_dialog_gets_one_already_closed(pool: PgPool) {
    let w = world(&pool).await;
    // A second bot on the Sales line; the same person is known there too.
    let second: i64 = sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, credentials)
         VALUES ($1, $2, 'telegram', '@acme2_bot',
                 jsonb_build_object('bot_token', '42:TEST-TOKEN', 'webhook_secret', 'second-secret'))
         RETURNING id",
    )
    .bind(w.acme.id)
    .bind(w.acme.line_sales)
    .fetch_one(&pool)
    .await
    .expect("a second bot");
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let chat = 778;
    let dialog = app.telegram_dialog(&w.acme, chat).await;
    sqlx::query(
        "INSERT INTO client_identities (account_id, client_id, channel_id, external_id)
         SELECT account_id, client_id, $2, $3 FROM dialogs WHERE id = $1",
    )
    .bind(dialog)
    .bind(second)
    .bind(chat.to_string())
    .execute(&pool)
    .await
    .expect("the client's identity on the second bot");
    let (status, body) = block(&admin, dialog, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let counters_all = counters(&admin, true).await;
    let events_before = last_event(&pool).await;

    let (status, body) = app
        .telegram_webhook(
            second,
            Some("second-secret"),
            &telegram_text(1, chat, 1, "Client", "Via the other bot"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 1, "{body}");
    let there = dialogs_of_chat(&pool, second, chat).await;
    assert_eq!(there.len(), 1, "{there:?}");
    assert_eq!(there[0].1, "closed");
    assert_eq!(common::message_count(&pool, there[0].0).await, 1);
    assert_eq!(counters(&admin, true).await, counters_all);
    assert_eq!(last_event(&pool).await, events_before);
}

#[sqlx::test(migrations = "../migrations")]
async fn after_unblocking_the_next_message_opens_a_new_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let chat = 779;
    let dialog = app.telegram_dialog(&w.acme, chat).await;
    assert_eq!(block(&olga, dialog, true).await.0, StatusCode::OK);
    client_writes(&app, &w, chat, 2, "Blocked, kept").await;

    let (status, body) = block(&olga, dialog, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(menu(&olga, dialog).await.1["client_blocked"], false);
    assert_eq!(
        system_events(&pool, dialog).await,
        vec![
            json!({"event": "client_blocked", "by": "olga", "closed": true}),
            json!({"event": "client_unblocked", "by": "olga"}),
        ]
    );
    let events_before = last_event(&pool).await;
    client_writes(&app, &w, chat, 3, "Back again").await;
    let dialogs = dialogs_of_chat(&pool, w.acme.channel_tg, chat).await;
    assert_eq!(dialogs.len(), 2, "{dialogs:?}");
    let (reopened, status) = dialogs[1].clone();
    assert_eq!(status, "new");
    assert!(ids(&list(&olga, "new", false).await).contains(&reopened));
    assert!(
        last_event(&pool).await > events_before,
        "the new dialog is announced live"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn blocking_needs_the_send_right_and_other_accounts_dialogs_are_unknown(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let vera = app.sign_in("vera@acme.test").await;
    let pavel = app.sign_in("pavel@acme.test").await;
    let stranger = app.sign_in("admin@other.test").await;
    let dialog = w.acme.dialog_new;

    // vera may read the Sales queue but not send on it.
    let (status, marks) = menu(&vera, dialog).await;
    assert_eq!(status, StatusCode::OK, "{marks}");
    assert_eq!(marks["can_block"], false);
    let (status, body) = block(&vera, dialog, true).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Her own marks are hers to set.
    assert_eq!(pin(&vera, dialog, true).await, StatusCode::OK);

    // pavel has no lines, the stranger another account: the dialog does not exist for them.
    for session in [&pavel, &stranger] {
        assert_eq!(block(session, dialog, true).await.0, StatusCode::NOT_FOUND);
        assert_eq!(menu(session, dialog).await.0, StatusCode::NOT_FOUND);
        assert_eq!(pin(session, dialog, true).await, StatusCode::NOT_FOUND);
        let (status, _) = session
            .call("mark_unread", &[("id", &dialog.to_string())])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let blocked: bool = sqlx::query_scalar("SELECT blocked FROM clients WHERE id = $1")
        .bind(w.acme.client)
        .fetch_one(&pool)
        .await
        .expect("the client");
    assert!(!blocked);
    let pinned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dialog_user_state s JOIN users u ON u.id = s.user_id
          WHERE s.pinned AND u.email <> 'vera@acme.test'",
    )
    .fetch_one(&pool)
    .await
    .expect("pins");
    assert_eq!(pinned, 0);

    // A supervisor may, without any line right.
    sqlx::query("UPDATE users SET role = 'supervisor' WHERE email = 'pavel@acme.test'")
        .execute(&pool)
        .await
        .expect("a supervisor");
    let pavel = app.sign_in("pavel@acme.test").await;
    assert_eq!(block(&pavel, dialog, true).await.0, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn hiding_system_messages_from_the_menu_is_shown_in_its_state(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = w.acme.dialog_new.to_string();
    assert_eq!(
        menu(&admin, w.acme.dialog_new).await.1["hide_system"],
        false
    );
    let (status, _) = admin
        .call("set_hide_system", &[("id", &dialog), ("hide", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(menu(&admin, w.acme.dialog_new).await.1["hide_system"], true);
}
