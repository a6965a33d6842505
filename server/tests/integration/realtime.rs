//! Live events (C9): a message written through one app server reaches the sockets of every
//! other app server on the same database, only for users who may see it, and a socket that
//! reconnects gets what it missed.

use std::collections::VecDeque;
use std::time::Duration;

use crate::common::{Session, TestApp, world};
use futures::StreamExt;
use serde_json::Value;
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};

/// A live socket and the events of its last frame not yet looked at (a frame is an array).
struct Socket {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    pending: VecDeque<Value>,
}

async fn connect(app: &TestApp, session: &Session, after: i64) -> Socket {
    let mut request = format!("ws://{}/ws?after={after}", app.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "cookie",
        HeaderValue::from_str(&session.cookie).expect("cookie header"),
    );
    let (stream, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connects");
    Socket {
        stream,
        pending: VecDeque::new(),
    }
}

/// The next event on the socket, or None within `wait`.
async fn next_event(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some(event) = socket.pending.pop_front() {
            return Some(event);
        }
        let left = deadline.checked_duration_since(tokio::time::Instant::now())?;
        match tokio::time::timeout(left, socket.stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let frame: Vec<Value> =
                    serde_json::from_str(&text).expect("a frame is a JSON array");
                assert!(!frame.is_empty(), "no empty frames");
                socket.pending.extend(frame);
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_message_reaches_another_app_servers_sockets_within_a_second(pool: PgPool) {
    let w = world(&pool).await;
    let writer_app = TestApp::spawn(pool.clone()).await;
    let reader_app = TestApp::spawn(pool).await;
    let olga = writer_app.sign_in("olga@acme.test").await;
    let admin = reader_app.sign_in("admin@acme.test").await;
    let mut socket = connect(&reader_app, &admin, 0).await;

    let dialog = w.acme.dialog_new.to_string();
    let started = tokio::time::Instant::now();
    let (status, sent) = olga
        .call(
            "send_message",
            &[("dialog_id", &dialog), ("text", "live!"), ("mode", "note")],
        )
        .await;
    assert!(status.is_success(), "{sent}");
    let event = next_event(&mut socket, Duration::from_secs(1))
        .await
        .expect("the event arrives within a second");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(event["event"]["type"], "message.created");
    assert_eq!(event["event"]["message"]["body"], "live!");
    assert_eq!(event["event"]["message"]["id"], sent["id"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn events_go_only_to_users_who_may_see_the_dialog(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let pavel = app.sign_in("pavel@acme.test").await;
    let other = app.sign_in("admin@other.test").await;
    let mut pavel_socket = connect(&app, &pavel, 0).await;
    let mut other_socket = connect(&app, &other, 0).await;
    let mut admin_socket = connect(&app, &admin, 0).await;

    let dialog = w.acme.dialog_support.to_string();
    let (status, _) = admin
        .call(
            "send_message",
            &[("dialog_id", &dialog), ("text", "secret"), ("mode", "note")],
        )
        .await;
    assert!(status.is_success());
    assert!(
        next_event(&mut admin_socket, Duration::from_secs(2))
            .await
            .is_some()
    );
    assert!(
        next_event(&mut pavel_socket, Duration::from_millis(500))
            .await
            .is_none()
    );
    assert!(
        next_event(&mut other_socket, Duration::from_millis(100))
            .await
            .is_none()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_socket_that_reconnects_gets_what_it_missed(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let mut socket = connect(&app, &admin, 0).await;
    let dialog = w.acme.dialog_new.to_string();
    admin
        .call(
            "send_message",
            &[("dialog_id", &dialog), ("text", "one"), ("mode", "note")],
        )
        .await;
    let first = next_event(&mut socket, Duration::from_secs(2))
        .await
        .expect("first");
    let seen = first["id"].as_i64().expect("event id");
    drop(socket);

    // Offline: two more messages.
    for text in ["two", "three"] {
        admin
            .call(
                "send_message",
                &[("dialog_id", &dialog), ("text", text), ("mode", "note")],
            )
            .await;
    }
    let mut socket = connect(&app, &admin, seen).await;
    let a = next_event(&mut socket, Duration::from_secs(2))
        .await
        .expect("replayed");
    let b = next_event(&mut socket, Duration::from_secs(2))
        .await
        .expect("replayed");
    assert_eq!(a["event"]["message"]["body"], "two");
    assert_eq!(b["event"]["message"]["body"], "three");
    assert!(
        next_event(&mut socket, Duration::from_millis(300))
            .await
            .is_none()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_socket_without_a_session_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let result = tokio_tungstenite::connect_async(format!("ws://{}/ws", app.addr)).await;
    assert!(result.is_err(), "an anonymous socket must not open");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_burst_arrives_whole_and_in_order(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    let mut socket = connect(&app, &admin, 0).await;
    let dialog = w.acme.dialog_new.to_string();

    // Written at once, so several events wait for the socket together.
    let texts: Vec<String> = (0..40).map(|n| format!("burst {n}")).collect();
    let (admin, dialog) = (&admin, &dialog);
    let writes = texts.iter().map(|text| async move {
        admin
            .call(
                "send_message",
                &[("dialog_id", dialog), ("text", text), ("mode", "note")],
            )
            .await
    });
    for (status, body) in futures::future::join_all(writes).await {
        assert!(status.is_success(), "{body}");
    }

    let mut ids = Vec::new();
    let mut bodies = std::collections::BTreeSet::new();
    while bodies.len() < texts.len() {
        let event = next_event(&mut socket, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("only {} of 40 events arrived", bodies.len()));
        ids.push(event["id"].as_i64().expect("event id"));
        if let Some(body) = event["event"]["message"]["body"].as_str() {
            assert!(bodies.insert(body.to_owned()), "{body} arrived twice");
        }
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids in order: {ids:?}");
}
