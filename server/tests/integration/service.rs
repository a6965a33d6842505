//! The service around the app: health, readiness, request limits, the demo account and the
//! command-line user creation.

use crate::common;
use crate::common::{TestApp, http, world};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn health_and_readiness_answer(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let health = http().get(app.url("/healthz")).send().await.expect("GET");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = http().get(app.url("/readyz")).send().await.expect("GET");
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(ready.headers().contains_key("x-request-id"));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_oversize_body_is_refused_with_a_clear_error_and_stores_nothing(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool, |c| c.max_body_bytes = 64 * 1024).await;
    let olga = app.sign_in("olga@acme.test").await;
    let huge = "x".repeat(200 * 1024);
    let response = http()
        .post(app.url("/api/send_message"))
        .header("cookie", &olga.cookie)
        .form(&[
            ("dialog_id", w.acme.dialog_new.to_string().as_str()),
            ("text", huge.as_str()),
            ("mode", "message"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let text = response.text().await.expect("body");
    assert!(text.contains("Request body too large"), "{text}");
    let count = common::message_count(&app.pool, w.acme.dialog_new).await;
    assert_eq!(count, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_malformed_server_function_call_gets_a_client_error(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let (status, _) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", "not-a-number"),
                ("text", "x"),
                ("mode", "message"),
            ],
        )
        .await;
    assert!(status.is_client_error() || status.is_server_error());
    assert_ne!(status, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_demo_account_is_seeded_once_and_looks_like_a_real_day(pool: PgPool) {
    let hash = app::auth::password::hash("dialogs-demo").expect("hash");
    let summary = server::demo::seed(&pool, &hash).await.expect("seed");
    assert!(summary.clients >= 250, "{} clients", summary.clients);
    assert!(summary.dialogs >= 450, "{} dialogs", summary.dialogs);
    assert!(summary.messages >= 9000, "{} messages", summary.messages);
    let statuses: i64 = sqlx::query_scalar("SELECT count(DISTINCT status) FROM dialogs")
        .fetch_one(&pool)
        .await
        .expect("statuses");
    assert_eq!(statuses, 5, "every status is present");
    let err = server::demo::seed(&pool, &hash)
        .await
        .expect_err("second seed");
    assert!(err.to_string().contains("already exists"), "{err}");

    // The demo users can sign in and see the inbox.
    let app = TestApp::spawn(pool).await;
    let response = app
        .post_sign_in("anna@demo.test", "dialogs-demo", None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn housekeeping_drops_old_events_expired_sessions_and_old_failures(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let dialog = w.acme.dialog_new.to_string();
    olga.call(
        "send_message",
        &[("dialog_id", &dialog), ("text", "fresh"), ("mode", "note")],
    )
    .await;
    sqlx::query(
        "INSERT INTO events (account_id, dialog_id, facts, payload, created_at)
         SELECT account_id, dialog_id, facts, payload, now() - interval '3 days' FROM events",
    )
    .execute(&pool)
    .await
    .expect("old event");
    sqlx::query(
        "INSERT INTO sign_in_failures (email, at) VALUES ('x@y.test', now() - interval '2 days')",
    )
    .execute(&pool)
    .await
    .expect("old failure");
    sqlx::query("UPDATE sessions SET expires_at = now() - interval '1 minute'")
        .execute(&pool)
        .await
        .expect("expire");

    let swept = server::workers::housekeeping::sweep(&pool)
        .await
        .expect("sweep");
    assert_eq!(swept.events, 1);
    assert_eq!(swept.failures, 1);
    assert_eq!(swept.sessions, 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(left, 1, "the fresh event stays");
}
