//! The `dialogs` binary's commands, run as a person would: the private PostgreSQL cluster,
//! `create-user`, `demo`.

use crate::common;
use std::process::Command;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use sqlx::PgPool;

fn dialogs() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dialogs"));
    command.env("DIALOGS_LOG", "warn");
    command
}

/// The URL of the test's own fresh database.
async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .expect("database name");
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let server = base
        .rsplit_once('/')
        .map(|(server, _)| server)
        .unwrap_or(&base);
    format!("{server}/{name}")
}

#[test]
fn without_database_url_the_app_runs_its_own_postgres_cluster() {
    let dir = std::env::temp_dir().join(format!("dialogs-cluster-test-{}", std::process::id()));
    let run = |args: &[&str]| {
        dialogs()
            .args(args)
            .env_remove("DATABASE_URL")
            .env("DIALOGS_DATA_DIR", &dir)
            .output()
            .expect("running dialogs")
    };
    let first = run(&["migrate"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("migrations applied"));
    // The cluster was stopped and starts again from the same directory.
    let second = run(&[
        "create-user",
        "--email",
        "Owner@Example.test",
        "--password",
        "long enough",
        "--role",
        "owner",
    ]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let third = run(&[
        "create-user",
        "--email",
        "owner@example.test",
        "--password",
        "long enough",
        "--role",
        "owner",
    ]);
    assert!(!third.status.success(), "the same email twice must fail");
    assert!(String::from_utf8_lossy(&third.stderr).contains("is the email taken?"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrations = "../migrations")]
async fn create_user_makes_an_account_and_a_user_who_can_sign_in(pool: PgPool) {
    let url = url_of(&pool).await;
    let output = dialogs()
        .args([
            "create-user",
            "--email",
            "boss@acme.test",
            "--password",
            "s3cret-pass",
            "--role",
            "admin",
            "--account",
            "Acme",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .expect("create-user");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (role, hash): (String, String) = sqlx::query_as(
        "SELECT u.role::text, u.password_hash FROM users u JOIN accounts a ON a.id = u.account_id
          WHERE u.email = 'boss@acme.test' AND a.name = 'Acme'",
    )
    .fetch_one(&pool)
    .await
    .expect("the user exists");
    assert_eq!(role, "admin");
    assert!(app::auth::password::verify("s3cret-pass", &hash));

    let short = dialogs()
        .args([
            "create-user",
            "--email",
            "x@acme.test",
            "--password",
            "short",
            "--role",
            "operator",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .expect("create-user");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
}

#[sqlx::test(migrations = "../migrations")]
async fn demo_seeds_once_and_then_refuses(pool: PgPool) {
    let url = url_of(&pool).await;
    let first = dialogs()
        .arg("demo")
        .env("DATABASE_URL", &url)
        .output()
        .expect("demo");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("admin@demo.test"), "{stdout}");
    let second = dialogs()
        .arg("demo")
        .env("DATABASE_URL", &url)
        .output()
        .expect("demo");
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already exists"));
}

#[sqlx::test(migrations = "../migrations")]
async fn fake_client_plays_a_telegram_client_and_prints_the_operators_reply(pool: PgPool) {
    let w = common::world(&pool).await;
    let app = common::TestApp::spawn(pool.clone()).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dialogs"))
        .args(["fake-client", "--channel", &w.acme.channel_tg.to_string()])
        .args(["--app", &app.url(""), "--chat", "4242", "--name", "Zoe"])
        .env("DATABASE_URL", url_of(&pool).await)
        .env("DIALOGS_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting fake-client");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next_line = async || {
        tokio::time::timeout(Duration::from_secs(20), out.next_line())
            .await
            .expect("fake-client printed nothing for 20 s")
            .expect("reading its output")
            .expect("fake-client ended")
    };
    assert!(next_line().await.starts_with("Playing Zoe"));

    stdin
        .write_all(b"Hi, is my order ready?\n")
        .await
        .expect("typing");
    assert_eq!(next_line().await, "→ sent");
    let dialog: i64 = sqlx::query_scalar(
        "SELECT m.dialog_id FROM messages m WHERE m.body = 'Hi, is my order ready?'",
    )
    .fetch_one(&pool)
    .await
    .expect("the message reached the app");

    let admin = app.sign_in("admin@acme.test").await;
    let (status, _) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", "Yes, come by!"),
                ("mode", "message"),
            ],
        )
        .await;
    assert!(status.is_success());
    assert_eq!(next_line().await, "← Yes, come by!");

    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("fake-client ends on end of input")
        .expect("exit status");
    assert!(status.success());
    let base: Option<String> =
        sqlx::query_scalar("SELECT settings->>'api_base' FROM channels WHERE id = $1")
            .bind(w.acme.channel_tg)
            .fetch_one(&pool)
            .await
            .expect("channel");
    assert_eq!(base, None, "the channel points at Telegram again");
}
