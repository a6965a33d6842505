//! Fault tests on the real `dialogs` binary: webhooks keep coming while the server is killed
//! with SIGKILL and restarted, or while PostgreSQL crashes and restarts. The fake provider
//! retries every non-2xx answer, as Telegram does; in the end every message is stored exactly
//! once, in order within its chat.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{telegram_secret, telegram_text, world};
use sqlx::PgPool;

/// A `dialogs serve` process on a fixed port (so a restart keeps the address).
struct Server {
    child: Option<Child>,
    url: String,
    database_url: String,
    port: u16,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Server {
            child: None,
            url: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_owned(),
            port,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_dialogs"))
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("LEPTOS_OUTPUT_NAME", "dialogs")
            .env("DIALOGS_DEMO", "never")
            .env("DIALOGS_LOG", "error")
            .env("TELEGRAM_API_BASE", "http://127.0.0.1:9")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting dialogs");
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flushing, requests cut mid-flight.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/readyz", self.url)).await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not get ready");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends each chat's messages in order, each retried until it is answered 200, like a
/// messenger's webhook delivery. Returns how many attempts failed on the way.
async fn provider(base: String, channel: i64, secret: String, chats: i64, per_chat: i64) -> usize {
    let failures = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let tasks = (0..chats).map(|c| {
        let (client, base, secret, failures) = (
            client.clone(),
            base.clone(),
            secret.clone(),
            failures.clone(),
        );
        tokio::spawn(async move {
            let chat = 900_000 + c;
            for m in 1..=per_chat {
                let update = telegram_text(
                    chat * 1000 + m,
                    chat,
                    m,
                    &format!("Chat {c}"),
                    &format!("m{m}"),
                );
                let mut tries = 0;
                loop {
                    tries += 1;
                    assert!(tries < 2000, "chat {chat} message {m} never accepted");
                    let sent = client
                        .post(format!("{base}/webhooks/telegram/{channel}"))
                        .header("x-telegram-bot-api-secret-token", &secret)
                        .header("content-type", "application/json")
                        .body(update.to_string())
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => break,
                        Ok(r) => {
                            let status = r.status().as_u16();
                            assert!(status >= 500, "refused with {status}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        })
    });
    for task in futures::future::join_all(tasks).await {
        task.expect("a chat's sender");
    }
    failures.load(Ordering::Relaxed)
}

/// Every chat has exactly its messages, once each, in the order sent.
async fn assert_exactly_once_in_order(pool: &PgPool, channel: i64, chats: i64, per_chat: i64) {
    for c in 0..chats {
        let chat = 900_000 + c;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT external_id FROM messages WHERE channel_id = $1 AND external_id LIKE $2 ORDER BY id",
        )
        .bind(channel)
        .bind(format!("{chat}:%"))
        .fetch_all(pool)
        .await
        .expect("messages");
        let want: Vec<String> = (1..=per_chat).map(|m| format!("{chat}:{m}")).collect();
        assert_eq!(ids, want, "chat {chat}");
        let dialogs: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT dialog_id) FROM messages WHERE channel_id = $1 AND external_id LIKE $2",
        )
        .bind(channel)
        .bind(format!("{chat}:%"))
        .fetch_one(pool)
        .await
        .expect("dialogs");
        assert_eq!(dialogs, 1, "chat {chat} stays one dialog");
    }
}

async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .expect("database name");
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let server = base.rsplit_once('/').map(|(s, _)| s).unwrap_or(&base);
    format!("{server}/{name}")
}

#[sqlx::test(migrations = "../migrations")]
async fn two_thousand_webhooks_through_sigkill_restarts_are_stored_exactly_once(pool: PgPool) {
    let w = world(&pool).await;
    let mut server = Server::start(&url_of(&pool).await);
    server.wait_ready().await;
    let (chats, per_chat) = (20, 100);
    let sending = tokio::spawn(provider(
        server.url.clone(),
        w.acme.channel_tg,
        telegram_secret(&w.acme),
        chats,
        per_chat,
    ));

    let mut kills = 0;
    while !sending.is_finished() && kills < 5 {
        tokio::time::sleep(Duration::from_millis(400 + fastrand::u64(..400))).await;
        server.kill();
        kills += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.spawn();
        server.wait_ready().await;
    }
    let failures = sending.await.expect("the provider");
    assert!(
        kills >= 2,
        "the server was killed while webhooks came ({kills} kills)"
    );
    assert!(failures > 0, "some deliveries failed and were retried");
    eprintln!("{kills} SIGKILLs, {failures} failed attempts retried by the provider");
    assert_exactly_once_in_order(&pool, w.acme.channel_tg, chats, per_chat).await;
}

#[tokio::test]
async fn postgres_crashing_during_ingest_loses_nothing_and_the_server_recovers_by_itself() {
    let dir = std::env::temp_dir().join(format!("dialogs-pg-crash-{}", std::process::id()));
    let cluster = server::pgcluster::PrivateCluster::start(&dir)
        .await
        .expect("a private cluster");
    let url = cluster.url();
    let pool = server::startup::connect(&url).await.expect("pool");
    server::startup::migrate(&pool).await.expect("migrations");
    let w = world(&pool).await;
    let server = Server::start(&url);
    server.wait_ready().await;

    let (chats, per_chat) = (10, 100);
    let sending = tokio::spawn(provider(
        server.url.clone(),
        w.acme.channel_tg,
        telegram_secret(&w.acme),
        chats,
        per_chat,
    ));
    // Crash PostgreSQL once a quarter of the messages are in.
    loop {
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages WHERE channel_id = $1")
            .bind(w.acme.channel_tg)
            .fetch_one(&pool)
            .await
            .expect("count");
        if stored >= chats * per_chat / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !sending.is_finished(),
        "the crash comes while webhooks are still coming"
    );
    let restart = tokio::task::spawn_blocking(move || {
        cluster.crash_restart().expect("restarting PostgreSQL");
        cluster
    });
    let cluster = restart.await.expect("restart");
    // A webhook whose batch the crash broke is stored again on a new connection once the
    // database is back, or answered 503 and sent again by the provider: either way, below,
    // every message is there once.
    let failures = sending.await.expect("the provider");
    eprintln!("{failures} failed attempts retried by the provider");

    // The test's own pool reconnects too.
    let mut tries = 0;
    while sqlx::query("SELECT 1").execute(&pool).await.is_err() {
        tries += 1;
        assert!(tries < 100);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_exactly_once_in_order(&pool, w.acme.channel_tg, chats, per_chat).await;
    // The server serves again without a restart of its own.
    let ready = reqwest::get(format!("{}/readyz", server.url))
        .await
        .expect("readyz");
    assert!(ready.status().is_success());
    drop(server);
    pool.close().await;
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
