//! The dialog lifecycle through the server functions (D1–D6, D8, D11): every action by
//! every role, races to accept, system messages, passing for review, close reasons and
//! their report.

use crate::common;
use crate::common::{Session, TestApp, ids, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn act(session: &Session, dialog: i64, action: Value) -> (StatusCode, Value) {
    session
        .call_json("dialog_action", &json!({ "id": dialog, "action": action }))
        .await
}

async fn status_of(pool: &PgPool, dialog: i64) -> (String, Option<i64>) {
    sqlx::query_as("SELECT status::text, assignee_id FROM dialogs WHERE id = $1")
        .bind(dialog)
        .fetch_one(pool)
        .await
        .expect("the dialog")
}

async fn user_id(pool: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("a user")
}

/// The system events written into a dialog, oldest first.
async fn system_events(pool: &PgPool, dialog: i64) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT system FROM messages WHERE dialog_id = $1 AND kind = 'system' ORDER BY id",
    )
    .bind(dialog)
    .fetch_all(pool)
    .await
    .expect("system messages")
}

async fn new_list(session: &Session) -> Vec<i64> {
    let (status, page) = session
        .call(
            "list_dialogs",
            &[
                ("filter", "section=new"),
                ("tz_offset_minutes", "0"),
                ("limit", "100"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    ids(&page)
}

/// Gives pavel (an operator with no lines in the world) "send" on Sales.
async fn pavel_sends_on_sales(pool: &PgPool, account: &common::AccountFixture) {
    sqlx::query(
        "INSERT INTO line_access (account_id, line_id, user_id, can_view, can_send)
         SELECT $1, $2, id, true, true FROM users WHERE email = 'pavel@acme.test'",
    )
    .bind(account.id)
    .bind(account.line_sales)
    .execute(pool)
    .await
    .expect("line access");
}

#[sqlx::test(migrations = "../migrations")]
async fn accepting_makes_the_dialog_mine_and_takes_it_from_the_queue(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let vera = app.sign_in("vera@acme.test").await;
    assert!(new_list(&vera).await.contains(&w.acme.dialog_new));

    let (status, body) = act(&olga, w.acme.dialog_new, json!({"action": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!("in_work"));
    let olga_id = user_id(&pool, "olga@acme.test").await;
    assert_eq!(
        status_of(&pool, w.acme.dialog_new).await,
        ("in_work".into(), Some(olga_id))
    );
    assert_eq!(
        system_events(&pool, w.acme.dialog_new).await,
        vec![json!({"event": "accepted", "by": "olga"})]
    );
    // The English sentence is the body, for the API and search.
    let body: String =
        sqlx::query_scalar("SELECT body FROM messages WHERE dialog_id = $1 AND kind = 'system'")
            .bind(w.acme.dialog_new)
            .fetch_one(&pool)
            .await
            .expect("body");
    assert_eq!(body, "olga accepted the dialog");
    // An accepted dialog is its assignee's: vera (a line viewer) no longer sees it, and
    // the dialog she had open tells her why; someone without the line just gets 404.
    assert!(!new_list(&vera).await.contains(&w.acme.dialog_new));
    let (status, body) = vera
        .call("get_dialog", &[("id", &w.acme.dialog_new.to_string())])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["Conflict"], "error.dialog.taken");
    assert!(
        !body.to_string().contains("Hello"),
        "nothing of it is shown: {body}"
    );
    let pavel = app.sign_in("pavel@acme.test").await;
    let (status, _) = pavel
        .call("get_dialog", &[("id", &w.acme.dialog_new.to_string())])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The list snapshot still shows the client's message, not the system one.
    let snippet: String =
        sqlx::query_scalar("SELECT last_message_snippet FROM dialogs WHERE id = $1")
            .bind(w.acme.dialog_new)
            .fetch_one(&pool)
            .await
            .expect("snippet");
    assert_eq!(snippet, "Hello, I have a question");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_action_is_checked_against_the_role(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let olga = app.sign_in("olga@acme.test").await;
    let vera = app.sign_in("vera@acme.test").await;
    let pavel = app.sign_in("pavel@acme.test").await;
    let stranger = app.sign_in("admin@other.test").await;
    let vera_id = user_id(&pool, "vera@acme.test").await;
    let admin_id = user_id(&pool, "admin@acme.test").await;

    // Someone who may only read the line cannot accept; unseen dialogs are unknown.
    let accept = json!({"action": "accept"});
    assert_eq!(
        act(&vera, w.acme.dialog_new, accept.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        act(&pavel, w.acme.dialog_new, accept.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        act(&stranger, w.acme.dialog_new, accept.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        act(&olga, 999_999, accept.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    // Another operator's accepted dialog is not olga's to touch.
    let close = json!({"action": "close"});
    assert_eq!(
        act(&olga, w.acme.dialog_admin, close.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    // A closed dialog takes no action but a rename.
    let (status, body) = act(&olga, w.acme.dialog_closed, accept.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["Conflict"], "error.dialog.closed", "{body}");
    let (status, _) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &w.acme.dialog_closed.to_string()),
                ("text", "hello?"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An observer reads and writes notes; changes nothing and writes nothing to the client.
    let (status, body) = act(
        &olga,
        w.acme.dialog_olga,
        json!({"action": "add_helper", "user": vera_id, "role": "observer"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for action in [
        json!({"action": "close"}),
        json!({"action": "return_to_queue"}),
        json!({"action": "redirect", "to": {"kind": "user", "id": admin_id}}),
    ] {
        let (status, body) = act(&vera, w.acme.dialog_olga, action.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
    }
    let send = |mode: &'static str| {
        let vera = vera.clone();
        let dialog = w.acme.dialog_olga.to_string();
        async move {
            vera.call(
                "send_message",
                &[
                    ("dialog_id", &dialog),
                    ("text", "From the observer"),
                    ("mode", mode),
                ],
            )
            .await
            .0
        }
    };
    assert_eq!(send("message").await, StatusCode::FORBIDDEN);
    assert_eq!(send("note").await, StatusCode::OK);
    // Everyone in the dialog sees who helps; only the assignee and supervisors change it.
    let dialog_olga = w.acme.dialog_olga.to_string();
    let (_, detail) = olga.call("get_dialog", &[("id", &dialog_olga)]).await;
    assert_eq!(
        detail["dialog"]["helpers"],
        json!([{"user_id": vera_id, "name": "vera", "role": "observer"}])
    );
    assert_eq!(detail["dialog"]["can_manage_helpers"], true);
    let (_, detail) = vera.call("get_dialog", &[("id", &dialog_olga)]).await;
    assert_eq!(detail["dialog"]["can_manage_helpers"], false);
    let (status, _) = act(
        &vera,
        w.acme.dialog_olga,
        json!({"action": "add_helper", "user": admin_id, "role": "co_assignee"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = act(
        &olga,
        w.acme.dialog_olga,
        json!({"action": "add_helper", "user": vera_id, "role": "observer"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "twice: {body}");
    // She may leave on her own.
    let (status, body) = act(
        &vera,
        w.acme.dialog_olga,
        json!({"action": "remove_helper", "user": vera_id, "role": "observer"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = vera
        .call("get_dialog", &[("id", &w.acme.dialog_olga.to_string())])
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "no longer taking part: {status}"
    );
    let events: Vec<String> = system_events(&pool, w.acme.dialog_olga)
        .await
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(events, vec!["helper_added", "helper_removed"]);

    // Redirecting to someone who may not answer on the line strands the dialog: refused.
    let (status, body) = act(
        &olga,
        w.acme.dialog_olga,
        json!({"action": "redirect", "to": {"kind": "user", "id": vera_id}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["Validation"]["message"],
        "error.dialog.target_cannot_send"
    );
    // Another account's user is unknown.
    let foreign = user_id(&pool, "admin@other.test").await;
    let (status, body) = act(
        &olga,
        w.acme.dialog_olga,
        json!({"action": "redirect", "to": {"kind": "user", "id": foreign}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "error.dialog.bad_target");
    // A supervisor-level admin redirects anyone's dialog; it waits in the target's New list.
    let (status, body) = act(
        &admin,
        w.acme.dialog_olga,
        json!({"action": "redirect", "to": {"kind": "user", "id": admin_id}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!("returned"));
    assert!(new_list(&admin).await.contains(&w.acme.dialog_olga));
    assert!(
        new_list(&olga).await.contains(&w.acme.dialog_olga),
        "still on her line"
    );
    // Returning to queue applies to accepted dialogs only.
    let (status, body) = act(
        &admin,
        w.acme.dialog_olga,
        json!({"action": "return_to_queue"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = act(
        &admin,
        w.acme.dialog_admin,
        json!({"action": "return_to_queue"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        status_of(&pool, w.acme.dialog_admin).await,
        ("returned".into(), None)
    );
    assert!(new_list(&olga).await.contains(&w.acme.dialog_admin));

    // Renaming: trimmed, limited, and back to none.
    let rename = |title: Value| json!({"action": "rename", "title": title});
    let (status, body) = act(&olga, w.acme.dialog_closed, rename(json!("  Order 7  "))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let title: Option<String> = sqlx::query_scalar("SELECT title FROM dialogs WHERE id = $1")
        .bind(w.acme.dialog_closed)
        .fetch_one(&pool)
        .await
        .expect("title");
    assert_eq!(title.as_deref(), Some("Order 7"));
    let (status, body) = act(&olga, w.acme.dialog_closed, rename(json!("x".repeat(201)))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["field"], "title");
    let (status, _) = act(&vera, w.acme.dialog_closed, rename(json!("Mine"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a reader renames nothing");

    // Malformed actions are refused before anything happens.
    let (status, body) = act(&olga, w.acme.dialog_new, json!({"action": "explode"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        status_of(&pool, w.acme.dialog_new).await,
        ("new".into(), None)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_operators_accepting_at_once_one_wins_and_the_other_is_told(pool: PgPool) {
    let w = world(&pool).await;
    pavel_sends_on_sales(&pool, &w.acme).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let pavel = app.sign_in("pavel@acme.test").await;
    for round in 0..10 {
        sqlx::query("UPDATE dialogs SET status = 'new', assignee_id = NULL WHERE id = $1;")
            .bind(w.acme.dialog_new)
            .execute(&pool)
            .await
            .expect("back to new");
        sqlx::query("DELETE FROM dialog_participants WHERE dialog_id = $1")
            .bind(w.acme.dialog_new)
            .execute(&pool)
            .await
            .expect("no participants");
        let accept = json!({"action": "accept"});
        let (a, b) = tokio::join!(
            act(&olga, w.acme.dialog_new, accept.clone()),
            act(&pavel, w.acme.dialog_new, accept.clone())
        );
        let results = [a, b];
        let won: Vec<_> = results.iter().filter(|r| r.0 == StatusCode::OK).collect();
        let lost: Vec<_> = results.iter().filter(|r| r.0 != StatusCode::OK).collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        assert_eq!(
            lost[0].0,
            StatusCode::CONFLICT,
            "round {round}: {results:?}"
        );
        assert_eq!(lost[0].1["Conflict"], "error.dialog.taken");
        let accepted = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM messages WHERE dialog_id = $1 AND system->>'event' = 'accepted'",
        )
        .bind(w.acme.dialog_new)
        .fetch_one(&pool)
        .await
        .expect("count");
        assert_eq!(accepted, round + 1, "one system message per win");
        let participants: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM dialog_participants WHERE dialog_id = $1 AND role = 'assignee'",
        )
        .bind(w.acme.dialog_new)
        .fetch_one(&pool)
        .await
        .expect("count");
        assert_eq!(participants, 1, "one assignee");
    }
    // The loser's New list no longer has it.
    let (_, assignee) = status_of(&pool, w.acme.dialog_new).await;
    let loser = if assignee == Some(user_id(&pool, "olga@acme.test").await) {
        &pavel
    } else {
        &olga
    };
    assert!(!new_list(loser).await.contains(&w.acme.dialog_new));
}

#[sqlx::test(migrations = "../migrations")]
async fn replying_to_a_new_dialog_accepts_it_first(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let (status, body) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &w.acme.dialog_new.to_string()),
                ("text", "Good afternoon!"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let olga_id = user_id(&pool, "olga@acme.test").await;
    assert_eq!(
        status_of(&pool, w.acme.dialog_new).await,
        ("in_work".into(), Some(olga_id))
    );
    let kinds: Vec<(String, String)> =
        sqlx::query_as("SELECT kind::text, body FROM messages WHERE dialog_id = $1 ORDER BY id")
            .bind(w.acme.dialog_new)
            .fetch_all(&pool)
            .await
            .expect("messages");
    assert_eq!(
        kinds,
        vec![
            ("message".into(), "Hello, I have a question".into()),
            ("system".into(), "olga accepted the dialog".into()),
            ("message".into(), "Good afternoon!".into()),
        ]
    );
    // A note does not accept.
    let (status, _) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &w.acme.dialog_support.to_string()),
                ("text", "/check the order"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "olga has no Support line");
    let admin = app.sign_in("admin@acme.test").await;
    let (status, _) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &w.acme.dialog_support.to_string()),
                ("text", "/check the order"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of(&pool, w.acme.dialog_support).await.0, "new");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_line_that_asks_for_a_reason_gets_one_from_the_catalogue(pool: PgPool) {
    let w = world(&pool).await;
    sqlx::query("UPDATE lines SET close_requires_reason = true WHERE id = $1")
        .bind(w.acme.line_sales)
        .execute(&pool)
        .await
        .expect("update");
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let olga = app.sign_in("olga@acme.test").await;
    let other = app.sign_in("admin@other.test").await;
    let add = |s: &Session, name: &str| {
        let s = s.clone();
        let change = json!({"change": {"op": "add", "name": name}});
        async move { s.call_json("change_close_reasons", &change).await }
    };
    let (status, reasons) = add(&admin, "  Sold ").await;
    assert_eq!(status, StatusCode::OK, "{reasons}");
    assert_eq!(reasons[0]["name"], "Sold");
    let sold = reasons[0]["id"].as_i64().expect("id");
    let (status, body) = add(&admin, "Sold").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "error.close_reasons.taken");
    let (status, _) = add(&olga, "Mine").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "operators do not edit the catalogue"
    );
    let (_, theirs) = add(&other, "Theirs").await;
    let theirs = theirs[0]["id"].as_i64().expect("id");

    let (status, body) = act(&olga, w.acme.dialog_olga, json!({"action": "close"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["field"], "reason");
    let (status, body) = act(
        &olga,
        w.acme.dialog_olga,
        json!({"action": "close", "reason": theirs}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "error.dialog.bad_reason");
    assert_eq!(status_of(&pool, w.acme.dialog_olga).await.0, "in_work");
    let (status, body) = act(
        &olga,
        w.acme.dialog_olga,
        json!({"action": "close", "reason": sold}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (reason_id, closed_by): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT close_reason_id, closed_by_id FROM dialogs WHERE id = $1")
            .bind(w.acme.dialog_olga)
            .fetch_one(&pool)
            .await
            .expect("dialog");
    assert_eq!(reason_id, Some(sold));
    assert_eq!(closed_by, Some(user_id(&pool, "olga@acme.test").await));
    assert_eq!(
        system_events(&pool, w.acme.dialog_olga).await,
        vec![json!({"event": "closed", "by": "olga", "reason": "Sold"})]
    );

    // A reason in use is archived, not deleted; the dialog keeps it.
    let (status, reasons) = admin
        .call_json(
            "change_close_reasons",
            &json!({"change": {"op": "delete", "id": sold}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reasons}");
    assert_eq!(reasons[0]["archived"], true);
    assert_eq!(reasons[0]["used"], 1);
    let (status, _) = admin
        .call_json(
            "change_close_reasons",
            &json!({"change": {"op": "delete", "id": theirs}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another account's reason");
    // An archived reason is no longer offered.
    let (status, body) = act(
        &admin,
        w.acme.dialog_admin,
        json!({"action": "close", "reason": sold}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The report counts it per reason, line and operator; CSV too.
    let today = chrono::Utc::now().date_naive().to_string();
    let (status, body) = admin
        .call(
            "close_report",
            &[
                ("query[from]", &today),
                ("query[to]", &today),
                ("tz_offset_minutes", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0][0]["reason"], "Sold");
    assert_eq!(body[0][0]["operator"], "olga");
    assert_eq!(body[0][0]["closed"], 1);
    let (status, _) = olga
        .call(
            "close_report",
            &[
                ("query[from]", &today),
                ("query[to]", &today),
                ("tz_offset_minutes", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "operators read no reports");
    let csv = admin
        .get(&format!(
            "/reports/close-reasons.csv?from={today}&to={today}&tz=0"
        ))
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("csv");
    assert!(text.contains("\r\nSold,Sales,olga,1\r\n"), "{text}");
    let bad = admin
        .get(&format!(
            "/reports/close-reasons.csv?from={today}&to=2000-01-01"
        ))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // One line only: Support had nothing closed.
    let support = admin
        .get(&format!(
            "/reports/close-reasons.csv?from={today}&to={today}&line_id={}&tz=180",
            w.acme.line_support
        ))
        .await;
    assert_eq!(support.status(), StatusCode::OK);
    let text = support.text().await.expect("csv");
    assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    let other_csv = other
        .get(&format!(
            "/reports/close-reasons.csv?from={today}&to={today}"
        ))
        .await
        .text()
        .await
        .expect("csv");
    assert!(!other_csv.contains("Sold"), "{other_csv}");
}

#[sqlx::test(migrations = "../migrations")]
async fn passing_for_review_makes_a_read_only_copy_in_their_new_list(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let pavel = app.sign_in("pavel@acme.test").await;
    let pavel_id = user_id(&pool, "pavel@acme.test").await;
    let (status, copy) = olga
        .call_json(
            "pass_for_review",
            &json!({"id": w.acme.dialog_olga, "to": pavel_id, "messages": []}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{copy}");
    let copy = copy.as_i64().expect("the copy's id");
    // Pavel has no line, yet sees the copy in New, and cannot write to the client in it.
    assert_eq!(new_list(&pavel).await, vec![copy]);
    let (status, detail) = pavel.call("get_dialog", &[("id", &copy.to_string())]).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["dialog"]["status"], "for_review");
    assert_eq!(detail["dialog"]["can_send"], false);
    assert_eq!(detail["dialog"]["actions"], json!(["read", "rename"]));
    let bodies: Vec<&str> = detail["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    // The copy opens with who passed it, above the messages.
    assert_eq!(detail["messages"][0]["system"]["event"], "for_review");
    assert_eq!(bodies[1], "Hello, I have a question");
    let (status, _) = pavel
        .call(
            "send_message",
            &[
                ("dialog_id", &copy.to_string()),
                ("text", "hi"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The original says who passed it to whom and is unchanged otherwise.
    assert_eq!(
        system_events(&pool, w.acme.dialog_olga).await,
        vec![json!({"event": "passed_for_review", "by": "olga", "to": "pavel"})]
    );
    assert_eq!(status_of(&pool, w.acme.dialog_olga).await.0, "in_work");
    // Olga (who passed it) sees the copy but cannot read it for him; "Read" closes it and it
    // leaves his New list.
    assert_eq!(
        act(&olga, copy, json!({"action": "read"})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = act(&pavel, copy, json!({"action": "read"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(new_list(&pavel).await.is_empty());
    // Selected messages only; a message of another dialog is refused and nothing is made.
    let first: i64 = sqlx::query_scalar("SELECT min(id) FROM messages WHERE dialog_id = $1")
        .bind(w.acme.dialog_olga)
        .fetch_one(&pool)
        .await
        .expect("id");
    let elsewhere: i64 = sqlx::query_scalar("SELECT min(id) FROM messages WHERE dialog_id = $1")
        .bind(w.acme.dialog_new)
        .fetch_one(&pool)
        .await
        .expect("id");
    let dialogs_before: i64 = sqlx::query_scalar("SELECT count(*) FROM dialogs")
        .fetch_one(&pool)
        .await
        .expect("count");
    let (status, body) = olga
        .call_json(
            "pass_for_review",
            &json!({"id": w.acme.dialog_olga, "to": pavel_id, "messages": [first, elsewhere]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let dialogs_after: i64 = sqlx::query_scalar("SELECT count(*) FROM dialogs")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(dialogs_before, dialogs_after);
    let (status, _) = olga
        .call_json(
            "pass_for_review",
            &json!({"id": w.acme.dialog_olga, "to": pavel_id, "messages": [first]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_writing_after_closing_opens_a_new_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let first = app.telegram_dialog(&w.acme, 5150).await;
    assert_eq!(
        act(&olga, first, json!({"action": "accept"})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        act(&olga, first, json!({"action": "close"})).await.0,
        StatusCode::OK
    );
    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&common::telegram_secret(&w.acme)),
            &common::telegram_text(5151, 5150, 2, "Client", "One more question"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second: i64 =
        sqlx::query_scalar("SELECT dialog_id FROM messages WHERE external_id = '5150:2'")
            .fetch_one(&pool)
            .await
            .expect("the new message");
    assert_ne!(first, second);
    assert_eq!(status_of(&pool, second).await, ("new".into(), None));
    assert_eq!(status_of(&pool, first).await.0, "closed");
    assert!(new_list(&olga).await.contains(&second));
    // The new dialog lists the closed one to expand (D7); the row counts both (C3).
    let (status, detail) = olga
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let others: Vec<i64> = detail["other_dialogs"]
        .as_array()
        .expect("other dialogs")
        .iter()
        .filter_map(|d| d["id"].as_i64())
        .collect();
    assert_eq!(others, vec![first]);
    assert_eq!(detail["other_dialogs"][0]["status"], "closed");
    let (_, page) = olga
        .call(
            "list_dialogs",
            &[
                ("filter", "section=new"),
                ("tz_offset_minutes", "0"),
                ("limit", "100"),
            ],
        )
        .await;
    let row = page["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == second))
        .cloned()
        .expect("the row");
    assert_eq!(row["client_dialogs"], 2);
    // Someone who may not see the closed one is not shown it: vera reads the Sales queue
    // and its closed dialogs, not Support's.
    let vera = app.sign_in("vera@acme.test").await;
    let (_, detail) = vera
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert_eq!(detail["other_dialogs"][0]["id"], first);
    sqlx::query("UPDATE dialogs SET line_id = $2 WHERE id = $1")
        .bind(first)
        .bind(w.acme.line_support)
        .execute(&pool)
        .await
        .expect("move the old dialog to a line vera does not see");
    let (_, detail) = vera
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert_eq!(detail["other_dialogs"], json!([]));
}

#[sqlx::test(migrations = "../migrations")]
async fn system_messages_can_be_hidden_per_user_and_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(
        act(&olga, w.acme.dialog_new, json!({"action": "accept"}))
            .await
            .0,
        StatusCode::OK
    );
    let dialog = w.acme.dialog_new.to_string();
    let kinds = |detail: &Value| -> Vec<String> {
        detail["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["kind"].as_str().map(str::to_owned))
            .collect()
    };
    let (status, _) = olga
        .call("set_hide_system", &[("id", &dialog), ("hide", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = olga.call("get_dialog", &[("id", &dialog)]).await;
    assert_eq!(detail["dialog"]["hide_system"], true);
    assert_eq!(kinds(&detail), vec!["message"]);
    // Only for her, and only in this dialog.
    let (_, detail) = admin.call("get_dialog", &[("id", &dialog)]).await;
    assert_eq!(detail["dialog"]["hide_system"], false);
    assert_eq!(kinds(&detail), vec!["message", "system"]);
    let (status, _) = olga
        .call("set_hide_system", &[("id", &dialog), ("hide", "false")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = olga.call("get_dialog", &[("id", &dialog)]).await;
    assert_eq!(kinds(&detail), vec!["message", "system"]);
    // A dialog she cannot see is unknown.
    let (status, _) = olga
        .call(
            "set_hide_system",
            &[("id", &w.acme.dialog_admin.to_string()), ("hide", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The dialogs the messages of a `get_dialog` answer belong to, in order, one entry a run.
fn runs(detail: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for m in detail["messages"].as_array().expect("messages") {
        let dialog = m["dialog_id"].as_i64().expect("dialog id");
        if out.last() != Some(&dialog) {
            out.push(dialog);
        }
    }
    out
}

fn message_ids(detail: &Value) -> Vec<i64> {
    detail["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn single_window_shows_one_history_and_passes_selected_messages(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let pavel_id = user_id(&pool, "pavel@acme.test").await;
    // A client's first dialog, closed, then a second one opened by their next message.
    let first = app.telegram_dialog(&w.acme, 5250).await;
    assert_eq!(
        act(&olga, first, json!({"action": "accept"})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        act(&olga, first, json!({"action": "close"})).await.0,
        StatusCode::OK
    );
    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&common::telegram_secret(&w.acme)),
            &common::telegram_text(5251, 5250, 2, "Client", "About my order again"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second: i64 =
        sqlx::query_scalar("SELECT dialog_id FROM messages WHERE external_id = '5250:2'")
            .fetch_one(&pool)
            .await
            .expect("the new message");
    assert_ne!(first, second);

    // Structured (the default): the open dialog's messages only.
    let (_, detail) = olga
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert_eq!(detail["dialog"]["single_window"], false);
    assert_eq!(runs(&detail), vec![second]);

    // Single window: one history, oldest first, across both dialogs.
    let (status, _) = olga.call("set_single_window", &[("on", "true")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = olga.call("get_me", &[]).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["single_window"], true);
    let (_, detail) = olga
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert_eq!(detail["dialog"]["single_window"], true);
    assert_eq!(runs(&detail), vec![first, second]);
    let ids = message_ids(&detail);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(detail["other_dialogs"][0]["id"], first);
    // The same history opens from the old dialog.
    let (_, from_first) = olga.call("get_dialog", &[("id", &first.to_string())]).await;
    assert_eq!(message_ids(&from_first), ids);

    // Select one message of each dialog and pass them to pavel from the second.
    let client_messages: Vec<i64> = detail["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["direction"] == "in")
        .filter_map(|m| m["id"].as_i64())
        .collect();
    assert_eq!(client_messages.len(), 2, "{detail}");
    let (status, copy) = olga
        .call_json(
            "pass_for_review",
            &json!({"id": second, "to": pavel_id, "messages": client_messages}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{copy}");
    let copy = copy.as_i64().expect("the copy's id");
    let pavel = app.sign_in("pavel@acme.test").await;
    assert_eq!(new_list(&pavel).await, vec![copy]);
    let (_, review) = pavel.call("get_dialog", &[("id", &copy.to_string())]).await;
    assert_eq!(review["dialog"]["status"], "for_review");
    let bodies: Vec<&str> = review["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["kind"] == "message")
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(
        bodies,
        vec!["Send me the price list", "About my order again"]
    );
    // A review copy stands alone, for a reader in single window too; and it never joins
    // the history it was cut from.
    let (status, _) = pavel.call("set_single_window", &[("on", "true")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, review) = pavel.call("get_dialog", &[("id", &copy.to_string())]).await;
    assert_eq!(runs(&review), vec![copy]);
    let (_, detail) = olga
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert!(!runs(&detail).contains(&copy), "{:?}", runs(&detail));

    // Someone who may not see the first dialog sees neither its messages nor can pass them.
    sqlx::query("UPDATE dialogs SET line_id = $2 WHERE id = $1")
        .bind(first)
        .bind(w.acme.line_support)
        .execute(&pool)
        .await
        .expect("move the old dialog to a line vera does not see");
    let vera = app.sign_in("vera@acme.test").await;
    let (status, _) = vera.call("set_single_window", &[("on", "true")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = vera
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert_eq!(runs(&detail), vec![second]);
    let dialogs_before: i64 = sqlx::query_scalar("SELECT count(*) FROM dialogs")
        .fetch_one(&pool)
        .await
        .expect("count");
    let (status, body) = vera
        .call_json(
            "pass_for_review",
            &json!({"id": second, "to": pavel_id, "messages": [client_messages[0]]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Another client's message is refused the same way, even for olga who sees both.
    let elsewhere: i64 = sqlx::query_scalar("SELECT min(id) FROM messages WHERE dialog_id = $1")
        .bind(w.acme.dialog_new)
        .fetch_one(&pool)
        .await
        .expect("id");
    let (status, body) = olga
        .call_json(
            "pass_for_review",
            &json!({"id": second, "to": pavel_id, "messages": [client_messages[1], elsewhere]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let dialogs_after: i64 = sqlx::query_scalar("SELECT count(*) FROM dialogs")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(dialogs_before, dialogs_after);

    // Earlier pages: asking for more returns the same short history, in order.
    let (_, detail) = olga
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    let (status, paged) = olga
        .call("get_dialog", &[("id", &second.to_string()), ("pages", "2")])
        .await;
    assert_eq!(status, StatusCode::OK, "{paged}");
    assert_eq!(message_ids(&paged), message_ids(&detail));
    assert_eq!(paged["has_earlier"], false);
    let short = message_ids(&detail).len();
    // A long history opens with its newest 100; each page more brings the next 100.
    sqlx::query(
        "INSERT INTO messages (account_id, dialog_id, kind, direction, body)
         SELECT account_id, id, 'note', 'internal', 'note ' || n
           FROM dialogs, generate_series(1, 300) n WHERE id = $1",
    )
    .bind(first)
    .execute(&pool)
    .await
    .expect("a long history");
    let (_, detail) = olga
        .call("get_dialog", &[("id", &second.to_string())])
        .await;
    assert_eq!(detail["has_earlier"], true);
    assert_eq!(message_ids(&detail).len(), 100);
    let (_, paged) = olga
        .call("get_dialog", &[("id", &second.to_string()), ("pages", "1")])
        .await;
    assert_eq!(message_ids(&paged).len(), 200);
    assert_eq!(paged["has_earlier"], true);
    assert!(message_ids(&paged).ends_with(&message_ids(&detail)));
    assert!(short <= 100, "{short}");
    let (_, paged) = olga
        .call("get_dialog", &[("id", &second.to_string()), ("pages", "3")])
        .await;
    let more = message_ids(&paged);
    assert_eq!(more.len(), 300 + short);
    assert_eq!(paged["has_earlier"], false);
    assert!(more.ends_with(&message_ids(&detail)));
}
