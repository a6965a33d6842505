//! Sign-in, sessions and the rights model, against the real app and PostgreSQL.

use crate::common::{PASSWORD, TestApp, http, world};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_password_and_an_unknown_email_get_the_same_clear_error(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let wrong = app
        .try_sign_in("olga@acme.test", "not-the-password")
        .await
        .err();
    let unknown = app.try_sign_in("nobody@acme.test", PASSWORD).await.err();
    let (s1, b1) = wrong.expect("wrong password must fail");
    let (s2, b2) = unknown.expect("unknown email must fail");
    assert_eq!(s1, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(s1, s2);
    assert_eq!(b1, b2);
    assert!(b1.contains("login.error_wrong"), "{b1}");
}

#[sqlx::test(migrations = "../migrations")]
async fn repeated_failed_sign_ins_are_throttled(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    for _ in 0..5 {
        assert!(
            app.try_sign_in("olga@acme.test", "nope-nope")
                .await
                .is_err()
        );
    }
    // Even the right password is refused while throttled.
    let (status, body) = app
        .try_sign_in("olga@acme.test", PASSWORD)
        .await
        .err()
        .expect("throttled");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Another user is not affected.
    app.sign_in("vera@acme.test").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn sessions_survive_a_server_restart(pool: PgPool) {
    world(&pool).await;
    let first = TestApp::spawn(pool.clone()).await;
    let session = first.sign_in("olga@acme.test").await;
    let second = TestApp::spawn(pool).await;
    let (status, me) = session
        .call_at(&format!("http://{}", second.addr), "get_me", &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "olga@acme.test");
}

#[sqlx::test(migrations = "../migrations")]
async fn signing_in_again_rotates_the_session_and_sign_out_ends_it(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let first = app.sign_in("olga@acme.test").await;
    // Sign in again from the same browser: the old token must stop working.
    let response = app
        .post_sign_in("olga@acme.test", PASSWORD, Some(&first.cookie))
        .await;
    assert!(response.status().is_success());
    let (status, _) = first.call("get_me", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let second = app.sign_in("olga@acme.test").await;
    assert_ne!(first.cookie, second.cookie);
    let (status, _) = second.call("sign_out", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = second.call("get_me", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_session_cookie_is_http_only(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let response = app.post_sign_in("olga@acme.test", PASSWORD, None).await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_send_signed_out_visitors_to_sign_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = http()
        .get(app.url("/dialogs/5?section=new"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/login?next=/dialogs/5%3Fsection%3Dnew"
    );
    let login = http().get(app.url("/login")).send().await.expect("GET");
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.expect("body");
    assert!(html.contains("name=\"password\""));
}

#[sqlx::test(migrations = "../migrations")]
async fn server_functions_refuse_signed_out_callers(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let response = http()
        .post(app.url("/api/list_dialogs"))
        .form(&[
            ("filter", "section=all&closed=1"),
            ("tz_offset_minutes", "0"),
            ("limit", "50"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_cross_origin_post_is_refused(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let session = app.sign_in("olga@acme.test").await;
    let response = http()
        .post(app.url("/api/sign_out"))
        .header("cookie", &session.cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.text().await.unwrap_or_default(),
        "Cross-origin request refused."
    );
    // The session is untouched.
    let (status, _) = session.call("get_me", &[]).await;
    assert_eq!(status, StatusCode::OK);
}
