//! What the benchmarks share: settings from the environment and a scratch database.

use std::future::Future;

use sqlx::PgPool;

/// A numeric setting from the environment, or `default`.
pub fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `bench` against a fresh database on the server of `DATABASE_URL` (the local one by
/// default) and drops it afterwards, unless `BENCH_KEEP` is set.
pub async fn in_scratch_database<F, Fut>(bench: F) -> anyhow::Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let base_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let server_url = base_url
        .rsplit_once('/')
        .map(|(s, _)| s)
        .unwrap_or(&base_url)
        .to_owned();
    let db = format!("dialogs_bench_{}", std::process::id());
    let admin = PgPool::connect(&base_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin)
        .await?;
    let result = bench(format!("{server_url}/{db}")).await;
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("\nkept the database {db}");
        return result;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
    )))
    .execute(&admin)
    .await?;
    result
}

/// A migrated pool on `db_url` with the bench account and its line: (pool, account, line).
pub async fn bench_account(db_url: &str) -> anyhow::Result<(PgPool, i64, i64)> {
    let pool = server::startup::connect(db_url).await?;
    server::startup::migrate(&pool).await?;
    let account: i64 =
        sqlx::query_scalar("INSERT INTO accounts (name) VALUES ('Bench') RETURNING id")
            .fetch_one(&pool)
            .await?;
    let line: i64 = sqlx::query_scalar(
        "INSERT INTO lines (account_id, name) VALUES ($1, 'Bench') RETURNING id",
    )
    .bind(account)
    .fetch_one(&pool)
    .await?;
    Ok((pool, account, line))
}

/// A fractional setting from the environment, or `default`.
#[allow(dead_code)] // not every benchmark has one
pub fn setting_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v: &f64| v.is_finite())
        .unwrap_or(default)
}

/// The URL of the database `db` on the server of `DATABASE_URL` (the local one by default).
#[allow(dead_code)] // not every benchmark reopens a kept database
pub fn database_url(db: &str) -> String {
    let base_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let server_url = base_url
        .rsplit_once('/')
        .map(|(s, _)| s)
        .unwrap_or(&base_url);
    format!("{server_url}/{db}")
}
