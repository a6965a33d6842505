//! Presence in a dialog: who else has it open and who is typing reaches, live and across
//! app servers, only the other users who may see the dialog; it is never stored, and
//! whatever else a browser sends is ignored without closing its socket.

use std::time::Duration;

use crate::common::{Session, TestApp, world};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, session: &Session) -> Socket {
    let mut request = format!("ws://{}/ws", app.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "cookie",
        HeaderValue::from_str(&session.cookie).expect("cookie header"),
    );
    let (stream, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    stream
}

/// Lets freshly opened sockets subscribe on their server before anything is reported.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn report(socket: &mut Socket, dialog: Option<i64>, typing: bool) {
    let text = json!({ "presence": { "dialog": dialog, "typing": typing } }).to_string();
    socket
        .send(Message::Text(text.into()))
        .await
        .expect("report sent");
}

/// The next presence update on the socket (live event frames are skipped), or None within
/// `wait`, also when the socket closed.
async fn next_presence(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.checked_duration_since(tokio::time::Instant::now())?;
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                if frame.is_array() {
                    continue;
                }
                let update = frame.get("presence").cloned();
                assert!(update.is_some(), "a presence frame: {frame}");
                return update;
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

async fn nothing_within(socket: &mut Socket, wait: Duration) -> bool {
    next_presence(socket, wait).await.is_none()
}

async fn user_id(pool: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("user id")
}

#[sqlx::test(migrations = "../migrations")]
async fn others_see_a_viewer_start_typing_and_leave_across_app_servers(pool: PgPool) {
    let w = world(&pool).await;
    let olga_id = user_id(&pool, "olga@acme.test").await;
    let one = TestApp::spawn(pool.clone()).await;
    let two = TestApp::spawn(pool.clone()).await;
    let olga = one.sign_in("olga@acme.test").await;
    let admin = two.sign_in("admin@acme.test").await;
    let vera = one.sign_in("vera@acme.test").await;
    let mut olga_socket = connect(&one, &olga).await;
    let mut admin_socket = connect(&two, &admin).await;
    let mut vera_socket = connect(&one, &vera).await;
    settle().await;

    let dialog = w.acme.dialog_new;
    report(&mut olga_socket, Some(dialog), false).await;
    let viewing = next_presence(&mut admin_socket, Duration::from_secs(2))
        .await
        .expect("the admin on the other app server sees olga viewing");
    assert_eq!(
        viewing,
        json!({ "dialog": dialog, "user": olga_id, "name": "olga", "state": "viewing" })
    );
    let same_server = next_presence(&mut vera_socket, Duration::from_secs(2))
        .await
        .expect("a view-only operator of the line sees it too");
    assert_eq!(same_server["state"], "viewing");

    report(&mut olga_socket, Some(dialog), true).await;
    let typing = next_presence(&mut admin_socket, Duration::from_secs(2))
        .await
        .expect("typing arrives");
    assert_eq!(typing["state"], "typing");
    assert_eq!(typing["user"], olga_id);

    report(&mut olga_socket, None, false).await;
    let left = next_presence(&mut admin_socket, Duration::from_secs(2))
        .await
        .expect("leaving arrives");
    assert_eq!(left["state"], "left");
    assert_eq!(left["dialog"], dialog);

    // Nobody is told about themselves, and nothing of it was stored as an event.
    assert!(nothing_within(&mut olga_socket, Duration::from_millis(300)).await);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .expect("events counted");
    assert_eq!(events, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn presence_goes_only_to_users_who_may_see_the_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let pavel = app.sign_in("pavel@acme.test").await;
    let other = app.sign_in("admin@other.test").await;
    let mut olga_socket = connect(&app, &olga).await;
    let mut admin_socket = connect(&app, &admin).await;
    let mut pavel_socket = connect(&app, &pavel).await;
    let mut other_socket = connect(&app, &other).await;
    settle().await;

    report(&mut olga_socket, Some(w.acme.dialog_new), true).await;
    assert!(
        next_presence(&mut admin_socket, Duration::from_secs(2))
            .await
            .is_some()
    );
    assert!(nothing_within(&mut pavel_socket, Duration::from_millis(500)).await);
    assert!(nothing_within(&mut other_socket, Duration::from_millis(100)).await);

    // A dialog olga may not see (another line): her report is ignored.
    report(&mut olga_socket, Some(w.acme.dialog_support), false).await;
    assert!(nothing_within(&mut admin_socket, Duration::from_millis(500)).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_report_about_another_accounts_dialog_is_ignored(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let other = app.sign_in("admin@other.test").await;
    let mut admin_socket = connect(&app, &admin).await;
    let mut other_socket = connect(&app, &other).await;
    settle().await;

    report(&mut admin_socket, Some(w.other.dialog_new), true).await;
    report(&mut other_socket, Some(w.acme.dialog_new), true).await;
    assert!(nothing_within(&mut other_socket, Duration::from_millis(500)).await);
    assert!(nothing_within(&mut admin_socket, Duration::from_millis(100)).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_frames_are_ignored_without_closing_the_socket(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let mut olga_socket = connect(&app, &olga).await;
    let mut admin_socket = connect(&app, &admin).await;
    settle().await;

    let dialog = w.acme.dialog_new;
    let long = format!(
        r#"{{"presence":{{"dialog":{dialog},"typing":false}},"pad":"{}"}}"#,
        "x".repeat(4000)
    );
    for garbage in [
        "hello".to_owned(),
        "[1,2,3]".to_owned(),
        r#"{"presence":{"dialog":"abc"}}"#.to_owned(),
        format!(r#"{{"presence":{{"dialog":{dialog},"user":1}}}}"#),
        long,
    ] {
        olga_socket
            .send(Message::Text(garbage.into()))
            .await
            .expect("garbage sent");
    }
    olga_socket
        .send(Message::Binary(vec![0, 159, 146, 150].into()))
        .await
        .expect("binary sent");
    assert!(nothing_within(&mut admin_socket, Duration::from_millis(500)).await);

    // The socket is still open and still heard.
    report(&mut olga_socket, Some(dialog), false).await;
    let viewing = next_presence(&mut admin_socket, Duration::from_secs(2))
        .await
        .expect("a valid report after garbage arrives");
    assert_eq!(viewing["state"], "viewing");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_closed_socket_leaves_its_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let mut olga_socket = connect(&app, &olga).await;
    let mut admin_socket = connect(&app, &admin).await;
    settle().await;

    report(&mut olga_socket, Some(w.acme.dialog_new), false).await;
    assert_eq!(
        next_presence(&mut admin_socket, Duration::from_secs(2))
            .await
            .expect("viewing")["state"],
        "viewing"
    );
    // Switching dialogs leaves the first one.
    report(&mut olga_socket, Some(w.acme.dialog_olga), false).await;
    let left = next_presence(&mut admin_socket, Duration::from_secs(2))
        .await
        .expect("left the first dialog");
    assert_eq!(
        (left["dialog"].clone(), left["state"].clone()),
        (json!(w.acme.dialog_new), json!("left"))
    );
    let viewing = next_presence(&mut admin_socket, Duration::from_secs(2))
        .await
        .expect("viewing the second dialog");
    assert_eq!(viewing["dialog"], w.acme.dialog_olga);

    drop(olga_socket);
    let left = next_presence(&mut admin_socket, Duration::from_secs(2))
        .await
        .expect("a closed socket leaves");
    assert_eq!(
        (left["dialog"].clone(), left["state"].clone()),
        (json!(w.acme.dialog_olga), json!("left"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_socket_flooding_reports_is_throttled(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let mut olga_socket = connect(&app, &olga).await;
    let mut admin_socket = connect(&app, &admin).await;
    settle().await;

    for _ in 0..50 {
        report(&mut olga_socket, Some(w.acme.dialog_new), true).await;
    }
    let mut received = 0;
    while next_presence(&mut admin_socket, Duration::from_millis(500))
        .await
        .is_some()
    {
        received += 1;
    }
    assert!(
        (1..=12).contains(&received),
        "{received} of 50 reports passed"
    );
}
