//! `dialogs fake-client`: plays the client's side of a Telegram channel, so a newcomer can
//! try the whole loop in the demo without a real bot. Lines typed on standard input reach
//! the app as Telegram webhooks; the operators' replies come back through a small Bot API
//! server this command runs, and are printed. The channel's `api_base` points at that server
//! while the command runs and is put back when it ends.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::{Context, bail};
use app::domain::{ChannelId, ChannelKind};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::channels::telegram::SECRET_HEADER;
use crate::channels::{credential, setting};
use crate::demo::DEMO_ACCOUNT_NAME;

/// Who the fake client is.
pub struct FakeClient {
    /// The Telegram channel; None: the demo account's.
    pub channel: Option<i64>,
    /// The app's address, e.g. `http://127.0.0.1:3000`.
    pub app: String,
    pub chat: i64,
    pub name: String,
}

#[derive(Clone)]
struct Bot {
    token: String,
    next_id: Arc<AtomicI64>,
}

pub async fn run(pool: &PgPool, who: FakeClient) -> anyhow::Result<()> {
    let channel_id = match who.channel {
        Some(id) => ChannelId(id),
        None => sqlx::query_scalar(
            "SELECT ch.id FROM channels ch JOIN accounts a ON a.id = ch.account_id
              WHERE a.name = $1 AND ch.kind = 'telegram' ORDER BY ch.id LIMIT 1",
        )
        .bind(DEMO_ACCOUNT_NAME)
        .fetch_optional(pool)
        .await?
        .context("no demo Telegram channel: pass --channel")?,
    };
    let channel = app::store::inbound::channel(pool, channel_id)
        .await?
        .with_context(|| format!("no channel {channel_id}"))?;
    if channel.kind != ChannelKind::Telegram {
        bail!("channel {channel_id} is not a Telegram channel");
    }
    let secret = credential(&channel, "webhook_secret")
        .context("the channel has no webhook_secret")?
        .to_owned();
    let token = credential(&channel, "bot_token")
        .context("the channel has no bot_token")?
        .to_owned();
    let previous_base = setting(&channel, "api_base").map(str::to_owned);

    // The Bot API server the app sends this channel's replies to.
    let bot = Bot {
        token,
        next_id: Arc::new(AtomicI64::new(1_000_000)),
    };
    let router = Router::new()
        .route("/{bot}/{method}", post(bot_method))
        .with_state(bot);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the fake Bot API server")?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    set_api_base(pool, channel_id, Some(&base)).await?;

    println!(
        "Playing {name} (chat {chat}) on {channel} ({id}). Type a message and press Enter; \
         replies from operators appear here. Ctrl-D or Ctrl-C ends.",
        name = who.name,
        chat = who.chat,
        channel = channel.name,
        id = channel_id,
    );
    let result = talk(&who, channel_id, &secret).await;
    set_api_base(pool, channel_id, previous_base.as_deref()).await?;
    result
}

async fn talk(who: &FakeClient, channel: ChannelId, secret: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!(
        "{}/webhooks/telegram/{channel}",
        who.app.trim_end_matches('/')
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut message_id = chrono::Utc::now().timestamp();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line.context("reading standard input")?,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(line) = line else { return Ok(()) };
        if line.trim().is_empty() {
            continue;
        }
        message_id += 1;
        let update = json!({
            "update_id": message_id,
            "message": {
                "message_id": message_id,
                "date": chrono::Utc::now().timestamp(),
                "from": {"id": who.chat, "is_bot": false, "first_name": who.name},
                "chat": {"id": who.chat, "type": "private", "first_name": who.name},
                "text": line,
            }
        });
        let answer = http
            .post(&url)
            .header(SECRET_HEADER, secret)
            .json(&update)
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => println!("→ sent"),
            Ok(r) => {
                let status = r.status();
                println!(
                    "→ the app answered {status}: {}",
                    r.text().await.unwrap_or_default()
                );
            }
            Err(e) => println!("→ could not reach {url}: {e}"),
        }
    }
}

async fn set_api_base(pool: &PgPool, channel: ChannelId, base: Option<&str>) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE channels SET settings = CASE WHEN $2::text IS NULL THEN settings - 'api_base'
                                             ELSE settings || jsonb_build_object('api_base', $2::text) END
          WHERE id = $1",
    )
    .bind(channel)
    .bind(base)
    .execute(pool)
    .await
    .context("pointing the channel at the fake Bot API server")?;
    Ok(())
}

/// The few Bot API methods the app calls, answered as Telegram does.
async fn bot_method(
    State(bot): State<Bot>,
    Path((path_bot, method)): Path<(String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> axum::Json<Value> {
    if path_bot != format!("bot{}", bot.token) {
        return axum::Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
    }
    match method.as_str() {
        "sendMessage" => {
            let text = body["text"].as_str().unwrap_or_default();
            println!("← {text}");
            let _ = std::io::stdout().flush();
            let id = bot.next_id.fetch_add(1, Ordering::Relaxed);
            axum::Json(json!({"ok": true, "result": {
                "message_id": id, "date": chrono::Utc::now().timestamp(),
                "chat": {"id": body["chat_id"], "type": "private"}, "text": text}}))
        }
        "deleteMessage" => {
            println!("← (an operator deleted a message)");
            axum::Json(json!({"ok": true, "result": true}))
        }
        other => axum::Json(json!({"ok": false, "error_code": 404,
            "description": format!("Not Found: {other} is not played by fake-client")})),
    }
}
