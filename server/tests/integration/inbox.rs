//! The inbox: lists, counters, opening dialogs, writing messages and notes, isolation
//! between accounts and between users' rights.

use crate::common;
use crate::common::{TestApp, ids, world};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

async fn list(session: &common::Session, section: &str, closed: bool) -> Value {
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

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_sees_every_dialog_of_their_account_and_none_of_another(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let mut all = ids(&list(&admin, "all", true).await);
    all.sort();
    let mut expected = vec![
        w.acme.dialog_new,
        w.acme.dialog_olga,
        w.acme.dialog_admin,
        w.acme.dialog_support,
        w.acme.dialog_closed,
    ];
    expected.sort();
    assert_eq!(all, expected);
    assert!(!all.contains(&w.other.dialog_new));
}

#[sqlx::test(migrations = "../migrations")]
async fn sections_hold_the_statuses_they_name(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let mut new = ids(&list(&admin, "new", false).await);
    new.sort();
    assert_eq!(new, vec![w.acme.dialog_new, w.acme.dialog_support]);
    let mut in_work = ids(&list(&admin, "in_work", false).await);
    in_work.sort();
    assert_eq!(in_work, vec![w.acme.dialog_olga, w.acme.dialog_admin]);
    assert!(!ids(&list(&admin, "all", false).await).contains(&w.acme.dialog_closed));
    assert!(ids(&list(&admin, "all", true).await).contains(&w.acme.dialog_closed));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_operator_sees_the_queue_of_their_lines_and_their_own_dialogs_only(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let mut seen = ids(&list(&olga, "all", true).await);
    seen.sort();
    // Sales queue, her own dialog, the closed Sales dialog; not the admin's accepted dialog,
    // not the Support line.
    let mut expected = vec![w.acme.dialog_new, w.acme.dialog_olga, w.acme.dialog_closed];
    expected.sort();
    assert_eq!(seen, expected);

    let pavel = app.sign_in("pavel@acme.test").await;
    assert!(ids(&list(&pavel, "all", true).await).is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_dialog_answers_exactly_like_an_unknown_one(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let foreign = w.other.dialog_new.to_string();
    let (s1, b1) = admin.call("get_dialog", &[("id", &foreign)]).await;
    let (s2, b2) = admin.call("get_dialog", &[("id", "987654321")]).await;
    assert_eq!(s1, StatusCode::NOT_FOUND);
    assert_eq!((s1, &b1), (s2, &b2));
    // Writing into it is refused the same way, and nothing is stored.
    let (s3, _) = admin
        .call(
            "send_message",
            &[("dialog_id", &foreign), ("text", "hi"), ("mode", "message")],
        )
        .await;
    assert_eq!(s3, StatusCode::NOT_FOUND);
    let count = common::message_count(&app.pool, w.other.dialog_new).await;
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_not_found_page_is_the_same_for_unknown_and_foreign_dialogs(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let foreign = admin.get(&format!("/dialogs/{}", w.other.dialog_new)).await;
    let unknown = admin.get("/dialogs/987654321").await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let foreign = foreign.text().await.expect("body");
    let unknown = unknown.text().await.expect("body");
    assert!(foreign.contains("There is no such dialog"), "{foreign}");
    assert!(unknown.contains("There is no such dialog"));
    // The unknown route page says the same.
    let page = admin.get("/no/such/page").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_inbox_page_renders_on_the_server_with_the_dialog_open(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let response = admin.get(&format!("/dialogs/{}", w.acme.dialog_new)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    assert!(html.contains("Maria Client"));
    assert!(html.contains("Hello, I have a question"));
    assert!(
        html.contains("dlg-composer__input"),
        "the composer is rendered on the server"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_sent_message_is_stored_queued_for_delivery_and_tops_the_list(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let dialog = w.acme.dialog_new.to_string();
    let (status, message) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog),
                ("text", "  Good morning!\nHow can I help?  "),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["kind"], "message");
    assert_eq!(message["direction"], "out");
    assert_eq!(message["body"], "Good morning!\nHow can I help?");
    assert_eq!(message["delivery"], "sending");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE message_id = $1")
        .bind(message["id"].as_i64().expect("id"))
        .fetch_one(&app.pool)
        .await
        .expect("outbox");
    assert_eq!(queued, 1);
    let first = ids(&list(&olga, "all", false).await)[0];
    assert_eq!(first, w.acme.dialog_new);
}

#[sqlx::test(migrations = "../migrations")]
async fn text_starting_with_a_slash_is_stored_as_a_note_and_never_queued(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let dialog = w.acme.dialog_new.to_string();
    let (status, note) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog),
                ("text", "/VIP, be nice"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{note}");
    assert_eq!(note["kind"], "note");
    assert_eq!(note["body"], "VIP, be nice");
    assert_eq!(note["delivery"], Value::Null);
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&app.pool)
        .await
        .expect("outbox");
    assert_eq!(queued, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_user_without_send_can_read_and_note_but_not_reply(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let vera = app.sign_in("vera@acme.test").await;
    let dialog = w.acme.dialog_new.to_string();
    let (status, detail) = vera.call("get_dialog", &[("id", &dialog)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["dialog"]["can_send"], false);
    assert_eq!(detail["dialog"]["can_note"], true);
    let (status, _) = vera
        .call(
            "send_message",
            &[("dialog_id", &dialog), ("text", "hi"), ("mode", "message")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = vera
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog),
                ("text", "internal"),
                ("mode", "note"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn empty_and_oversize_messages_get_clear_errors_and_store_nothing(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let dialog = w.acme.dialog_new.to_string();
    let (status, body) = olga
        .call(
            "send_message",
            &[("dialog_id", &dialog), ("text", "   "), ("mode", "message")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("composer.error_empty"), "{body}");
    let long = "x".repeat(20_001);
    let (status, body) = olga
        .call(
            "send_message",
            &[("dialog_id", &dialog), ("text", &long), ("mode", "message")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.to_string().contains("composer.error_too_long"),
        "{body}"
    );
    let count = common::message_count(&app.pool, w.acme.dialog_new).await;
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn nobody_replies_in_a_closed_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let dialog = w.acme.dialog_closed.to_string();
    let (status, _) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog),
                ("text", "hello?"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = "../migrations")]
async fn counters_count_unread_dialogs_per_section_and_reading_clears_them(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (_, counters) = admin
        .call(
            "get_counters",
            &[("filter", ""), ("tz_offset_minutes", "0")],
        )
        .await;
    assert_eq!(
        counters,
        serde_json::json!({"new": 2, "in_work": 2, "all": 4})
    );
    let (_, with_closed) = admin
        .call(
            "get_counters",
            &[
                ("filter", "section=all&closed=1"),
                ("tz_offset_minutes", "0"),
            ],
        )
        .await;
    // The closed dialog is listed (and unread) but not counted: counters are open work.
    assert_eq!(with_closed["all"], 4);
    let closed_listed = list(&admin, "all", true).await;
    let closed_row = closed_listed["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["status"] == "closed"))
        .cloned()
        .expect("the closed dialog is listed");
    assert_eq!(closed_row["unread"], true, "{closed_row}");

    let dialog = w.acme.dialog_new.to_string();
    let (_, detail) = admin.call("get_dialog", &[("id", &dialog)]).await;
    let last = detail["messages"][0]["id"]
        .as_i64()
        .expect("message id")
        .to_string();
    let (status, _) = admin
        .call("mark_read", &[("id", &dialog), ("upto", &last)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, counters) = admin
        .call(
            "get_counters",
            &[("filter", ""), ("tz_offset_minutes", "0")],
        )
        .await;
    assert_eq!(
        counters,
        serde_json::json!({"new": 1, "in_work": 2, "all": 3})
    );
    let page = list(&admin, "new", false).await;
    let row = page["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == w.acme.dialog_new))
        .cloned()
        .expect("row");
    assert_eq!(row["unread"], false);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_pages_by_keyset_without_gaps_or_repeats(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let everything = ids(&list(&admin, "all", true).await);
    let (_, first) = admin
        .call(
            "list_dialogs",
            &[
                ("filter", "section=all&closed=1"),
                ("tz_offset_minutes", "0"),
                ("limit", "2"),
            ],
        )
        .await;
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
                    ("limit", "2"),
                    ("after[last_message_at]", &at),
                    ("after[id]", &id),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(ids(&page));
        cursor = page["next"].clone();
    }
    assert_eq!(seen, everything);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_has_at_most_one_active_dialog_per_channel(pool: PgPool) {
    let w = world(&pool).await;
    // A second active dialog for the same client and channel breaks the unique index.
    let result = sqlx::query(
        "INSERT INTO dialogs (account_id, number, status, line_id, channel_id, client_id)
         VALUES ($1, 100, 'returned', $2, $3, $4)",
    )
    .bind(w.acme.id)
    .bind(w.acme.line_sales)
    .bind(w.acme.channel_tg)
    .bind(w.acme.client)
    .execute(&pool)
    .await;
    let err = result.expect_err("a second active dialog must be refused");
    assert!(
        err.to_string()
            .contains("dialogs_one_active_per_client_channel"),
        "{err}"
    );
    // A closed one is fine.
    sqlx::query(
        "INSERT INTO dialogs (account_id, number, status, line_id, channel_id, client_id)
         VALUES ($1, 101, 'closed', $2, $3, $4)",
    )
    .bind(w.acme.id)
    .bind(w.acme.line_sales)
    .bind(w.acme.channel_tg)
    .bind(w.acme.client)
    .execute(&pool)
    .await
    .expect("closed dialogs do not count");
}

#[sqlx::test(migrations = "../migrations")]
async fn preferences_are_stored_per_user_and_rendered_on_the_page(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let (status, _) = olga
        .call("set_preferences", &[("theme", "dark"), ("locale", "ru")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = olga.get("/dialogs").await.text().await.expect("body");
    assert!(html.contains("data-theme=\"dark\""), "theme missing");
    assert!(html.contains("lang=\"ru\""), "language missing");
    assert!(html.contains("Новые"));
    let (status, _) = olga
        .call("set_preferences", &[("theme", "purple"), ("locale", "ru")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sql_scope_and_the_rust_rule_agree_for_every_user_and_dialog(pool: PgPool) {
    use app::auth::Access;
    use app::domain::{
        AccountId, AccountRole, DialogStatus, GroupId, LineId, UserId, event::DialogFacts,
    };

    let w = world(&pool).await;
    // A line open to all, so that rule is covered too.
    sqlx::query("UPDATE lines SET all_users_may_view = true WHERE name = 'Support'")
        .execute(&pool)
        .await
        .expect("update");
    // Dialogs waiting for one user (pavel, who has no line) and for a group (vera's), and
    // one passed to pavel for review.
    sqlx::query(
        "WITH g AS (INSERT INTO user_groups (account_id, name) VALUES ($1, 'Seniors') RETURNING id),
              m AS (INSERT INTO user_group_members (account_id, group_id, user_id)
                    SELECT $1, g.id, u.id FROM g, users u WHERE u.email = 'vera@acme.test'
                    RETURNING group_id)
         UPDATE dialogs SET status = 'returned', queue_group_id = (SELECT group_id FROM m)
          WHERE id = $2",
    )
    .bind(w.acme.id)
    .bind(w.acme.dialog_admin)
    .execute(&pool)
    .await
    .expect("a dialog redirected to a group");
    sqlx::query(
        "UPDATE dialogs SET status = 'returned', assignee_id = NULL,
                queue_user_id = (SELECT id FROM users WHERE email = 'pavel@acme.test')
          WHERE id = $1",
    )
    .bind(w.acme.dialog_olga)
    .execute(&pool)
    .await
    .expect("a dialog redirected to pavel");
    sqlx::query(
        "UPDATE dialogs SET status = 'for_review',
                queue_user_id = (SELECT id FROM users WHERE email = 'pavel@acme.test')
          WHERE id = $1",
    )
    .bind(w.acme.dialog_closed)
    .execute(&pool)
    .await
    .expect("a dialog passed to pavel");
    let app = TestApp::spawn(pool.clone()).await;
    let users: Vec<(i64, i64, String, AccountRole)> =
        sqlx::query_as("SELECT id, account_id, email, role FROM users ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("users");
    // id, account, line, status, assignee, participants, queue user, queue group
    type DialogRow = (
        i64,
        i64,
        i64,
        DialogStatus,
        Option<i64>,
        Vec<i64>,
        Option<i64>,
        Option<i64>,
    );
    let dialogs: Vec<DialogRow> = sqlx::query_as(
        "SELECT d.id, d.account_id, d.line_id, d.status, d.assignee_id,
                array(SELECT user_id FROM dialog_participants p WHERE p.dialog_id = d.id),
                d.queue_user_id, d.queue_group_id
           FROM dialogs d ORDER BY d.id",
    )
    .fetch_all(&pool)
    .await
    .expect("dialogs");
    for (user, account, email, role) in users {
        let (lines, public_lines, groups) =
            app::store::access::line_rights(&pool, AccountId(account), UserId(user))
                .await
                .expect("rights");
        let access = Access {
            account_id: AccountId(account),
            user_id: UserId(user),
            role,
            lines,
            public_lines,
            groups,
        };
        let mut expected: Vec<i64> = dialogs
            .iter()
            .filter(|(_, a, line, status, assignee, participants, qu, qg)| {
                *a == account
                    && access.can_view(&DialogFacts {
                        line_id: LineId(*line),
                        status: *status,
                        assignee_id: assignee.map(UserId),
                        participant_ids: participants.iter().copied().map(UserId).collect(),
                        queue_user_id: qu.map(UserId),
                        queue_group_id: qg.map(GroupId),
                        before: None,
                    })
            })
            .map(|d| d.0)
            .collect();
        expected.sort();
        let session = app.sign_in(&email).await;
        let mut listed = ids(&list(&session, "all", true).await);
        listed.sort();
        assert_eq!(listed, expected, "{email} ({role:?})");
        if email == "pavel@acme.test" {
            // He has no line: only what waits for him.
            let mut want = vec![
                w.acme.dialog_olga,
                w.acme.dialog_closed,
                w.acme.dialog_support,
            ];
            want.sort();
            assert_eq!(listed, want);
        }
    }
}
