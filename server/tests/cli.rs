//! The `dialogs` binary's commands, run as a person would: the private PostgreSQL cluster,
//! `create-user`, `demo`.

use std::process::Command;

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
