//! Channel benchmarks (not tests), against the release binary `target/release/dialogs` on a
//! fresh database of the PostgreSQL at `DATABASE_URL`:
//!
//! 1. pgbench's rate of single-row INSERTs on the same server, in the same run (the ceiling);
//! 2. Telegram webhooks through the real HTTP path: stored messages per second and ack p50/p99;
//! 3. webhook-to-socket latency at a fixed rate with many connected sockets, and the memory
//!    an idle socket costs the server.
//!
//! Run: `cargo leptos build --release && cargo bench -p server --bench ingest`
//! Settings (environment): BENCH_SECONDS (10), BENCH_CONCURRENCY (16), BENCH_SOCKETS (1000),
//! BENCH_RATE (500 messages/s), BENCH_KEEP (set: keep the database to look into afterwards).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};

mod common;
use common::setting;

const SECRET: &str = "bench-secret";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = setting("BENCH_SECONDS", 10);
    let concurrency = setting("BENCH_CONCURRENCY", 16) as usize;
    let sockets = setting("BENCH_SOCKETS", 1000) as usize;
    let rate = setting("BENCH_RATE", 500);
    let root = env!("CARGO_MANIFEST_DIR");
    let binary = format!("{root}/../target/release/dialogs");
    anyhow::ensure!(
        std::path::Path::new(&binary).exists(),
        "build first: cargo leptos build --release"
    );
    common::in_scratch_database(|db_url| async move {
        run(&binary, &db_url, seconds, concurrency, sockets, rate).await
    })
    .await
}

async fn run(
    binary: &str,
    db_url: &str,
    seconds: u64,
    concurrency: usize,
    sockets: usize,
    rate: u64,
) -> anyhow::Result<()> {
    let (pool, account, line) = common::bench_account(db_url).await?;
    let hash = app::auth::password::hash("bench-password")?;
    sqlx::query("INSERT INTO users (account_id, email, display_name, password_hash, role) VALUES ($1, 'bench@bench.test', 'Bench', $2, 'admin')")
        .bind(account)
        .bind(&hash)
        .execute(&pool)
        .await?;
    let channel: i64 = sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, credentials)
         VALUES ($1, $2, 'telegram', '@bench_bot', jsonb_build_object('bot_token', '1:x', 'webhook_secret', $3::text))
         RETURNING id",
    )
    .bind(account)
    .bind(line)
    .bind(SECRET)
    .fetch_one(&pool)
    .await?;

    // 1. The ceiling: pgbench single-row INSERTs on the same server.
    sqlx::query("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, a bigint, b text)")
        .execute(&pool)
        .await?;
    let script = std::env::temp_dir().join(format!("dialogs-bench-{}.sql", std::process::id()));
    std::fs::write(
        &script,
        "\\set a random(1, 1000000)\nINSERT INTO bench_rows (a, b) VALUES (:a, 'hello');\n",
    )?;
    let pgbench = Command::new("pgbench")
        .args(["-n", "-c", &concurrency.to_string(), "-j", "2", "-T"])
        .arg(seconds.to_string())
        .arg("-f")
        .arg(&script)
        .arg(db_url)
        .output()?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&pgbench.stdout);
    let pg_tps: f64 = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "pgbench printed no tps: {}",
                String::from_utf8_lossy(&pgbench.stderr)
            )
        })?;

    // The app, as deployed.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(binary)
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "dialogs")
        .env("DIALOGS_DEMO", "never")
        .env("DIALOGS_LOG", "error")
        .stdout(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let _server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency * 2)
        .build()?;
    for _ in 0..200 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let webhook = format!("{base}/webhooks/telegram/{channel}");

    // 2. Ingest at full speed: `concurrency` senders, 200 chats, for `seconds`.
    let stop = Instant::now() + Duration::from_secs(seconds);
    let senders = (0..concurrency).map(|s| {
        let (http, webhook) = (http.clone(), webhook.clone());
        tokio::spawn(async move {
            let mut acks = Vec::new();
            let mut n: i64 = 0;
            while Instant::now() < stop {
                n += 1;
                // Senders move in step, so each takes its own chats: a provider sends one
                // chat's updates one after another, not sixteen at once.
                let chat = 10_000 + (n * concurrency as i64 + s as i64) % 200;
                let id = s as i64 * 1_000_000 + n;
                let body = json!({"update_id": id, "message": {"message_id": id, "date": 1_700_000_000,
                    "from": {"id": chat, "first_name": "Load"}, "chat": {"id": chat, "type": "private", "first_name": "Load"},
                    "text": format!("load message {id}")}});
                let started = Instant::now();
                let ok = http
                    .post(&webhook)
                    .header("x-telegram-bot-api-secret-token", SECRET)
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    acks.push(started.elapsed().as_secs_f64() * 1000.0);
                }
            }
            acks
        })
    });
    let started = Instant::now();
    let mut acks: Vec<f64> = Vec::new();
    for s in futures::future::join_all(senders).await {
        acks.extend(s?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&pool)
        .await?;
    acks.sort_by(f64::total_cmp);
    let ingest_rate = stored as f64 / elapsed;

    // 3. Sockets: sign in once, open `sockets` sockets, measure the idle cost, then send at
    // `rate` messages/s and time each message from the webhook to the observer sockets.
    let signed_in = http
        .post(format!("{base}/api/sign_in"))
        .form(&[
            ("email", "bench@bench.test"),
            ("password", "bench-password"),
            ("next", "/"),
        ])
        .send()
        .await?;
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("dlg_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("sign-in gave no session"))?
        .to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = rss_kib(pid);
    let mut open = Vec::with_capacity(sockets);
    for _ in 0..sockets {
        let mut request = format!("ws://127.0.0.1:{port}/ws").into_client_request()?;
        request
            .headers_mut()
            .insert("cookie", HeaderValue::from_str(&cookie)?);
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        open.push(socket);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib(pid);
    let per_socket_kib = (rss_after.saturating_sub(rss_before)) as f64 / sockets as f64;

    // 20 observers parse every event; the others read and drop frames.
    let observers = 20.min(sockets);
    let done = Arc::new(AtomicBool::new(false));
    let sent_at = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        String,
        Instant,
    >::new()));
    let mut readers = Vec::new();
    for (i, mut socket) in open.into_iter().enumerate() {
        let (done, sent_at) = (done.clone(), sent_at.clone());
        readers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let next = tokio::time::timeout(Duration::from_millis(500), socket.next()).await;
                let Ok(Some(Ok(frame))) = next else { continue };
                if i >= observers {
                    continue;
                }
                // A frame is an array of events.
                let Message::Text(text) = frame else { continue };
                let Ok(events) = serde_json::from_str::<Vec<serde_json::Value>>(&text) else {
                    continue;
                };
                for v in events {
                    if v["event"]["type"] == "message.created"
                        && let Some(body) = v["event"]["message"]["body"].as_str()
                        && let Some(at) = sent_at.lock().ok().and_then(|m| m.get(body).copied())
                    {
                        latencies.push(at.elapsed().as_secs_f64() * 1000.0);
                    }
                }
            }
            let _ = socket.close(None).await;
            latencies
        }));
    }
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut tick = tokio::time::interval(interval);
    let mut inflight = Vec::new();
    for n in 0..total {
        tick.tick().await;
        let body_text = format!("live {n}");
        if let Ok(mut m) = sent_at.lock() {
            m.insert(body_text.clone(), Instant::now());
        }
        let id = 500_000_000 + n as i64;
        let chat = 20_000 + (n % 100) as i64;
        let body = json!({"update_id": id, "message": {"message_id": id, "date": 1_700_000_000,
            "from": {"id": chat, "first_name": "Live"}, "chat": {"id": chat, "type": "private", "first_name": "Live"},
            "text": body_text}});
        let (http, webhook) = (http.clone(), webhook.clone());
        inflight.push(tokio::spawn(async move {
            let _ = http
                .post(&webhook)
                .header("x-telegram-bot-api-secret-token", SECRET)
                .json(&body)
                .send()
                .await;
        }));
    }
    for f in inflight {
        let _ = f.await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    done.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for r in readers {
        latencies.extend(r.await?);
    }
    latencies.sort_by(f64::total_cmp);
    let expected = total as usize * observers;

    println!("## Channel ingest and live delivery ({seconds} s per phase)");
    println!();
    println!("| measure | result |");
    println!("|---|---|");
    println!("| pgbench single-row INSERT, {concurrency} clients | {pg_tps:.0} rows/s |");
    println!(
        "| Telegram webhooks stored through HTTP, {concurrency} senders | {ingest_rate:.0} messages/s ({:.0} % of pgbench) |",
        100.0 * ingest_rate / pg_tps
    );
    println!(
        "| webhook ack p50 / p99 | {:.1} ms / {:.1} ms |",
        percentile(&acks, 0.5),
        percentile(&acks, 0.99)
    );
    println!(
        "| webhook → socket at {rate} msg/s, {sockets} sockets: p50 / p99 / max | {:.1} ms / {:.1} ms / {:.1} ms ({} of {} events seen) |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        latencies.len(),
        expected
    );
    println!(
        "| server memory per idle socket | {per_socket_kib:.1} KiB (RSS {rss_before} → {rss_after} KiB) |"
    );
    Ok(())
}
