//! Test helpers: the real app on port 0 against a fresh database (one per test, made by
//! `#[sqlx::test]`), a small two-account world, and an HTTP client that signs in.

pub mod dovecot;
pub mod fake_whatsapp;
pub mod fakes;
pub mod moto;

use std::net::SocketAddr;

use app::domain::{AccountRole, Direction, MessageKind};
use app::store::messages::NewMessage;
use reqwest::StatusCode;
use serde_json::Value;
use server::config::{Config, DemoMode};
use server::startup::Application;
use sqlx::PgPool;

pub const PASSWORD: &str = "test-password-1";

pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> TestApp {
        Self::spawn_with(pool, |_| {}).await
    }

    /// The app talking to a fake Telegram Bot API that knows the test bots' token.
    pub async fn with_telegram(pool: PgPool) -> (TestApp, fakes::FakeTelegram) {
        let fake = fakes::FakeTelegram::start(TELEGRAM_TOKEN).await;
        let base = fake.base();
        let app = TestApp::spawn_with(pool, |c| c.channels.telegram_api_base = base).await;
        (app, fake)
    }

    pub async fn spawn_with(pool: PgPool, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let leptos = leptos::config::LeptosOptions::builder()
            .output_name("dialogs")
            .site_addr("127.0.0.1:0".parse::<SocketAddr>().expect("address"))
            .build();
        let mut config = Config {
            database_url: None,
            data_dir: "data".into(),
            leptos,
            max_body_bytes: 1024 * 1024,
            secure_cookies: false,
            demo: DemoMode::Never,
            channels: server::config::ChannelsConfig {
                telegram_api_base: "http://127.0.0.1:9".into(),
                whatsapp_graph_base: "http://127.0.0.1:9".into(),
                files_dir: std::env::temp_dir()
                    .join(format!("dialogs-test-files-{}", fastrand::u64(..))),
                s3: None,
                workers: true,
                public_url: None,
                // The fakes the tests start listen on loopback.
                allow_private_urls: true,
            },
            api_rate: server::api_v1::limits::ApiRate::default(),
        };
        adjust(&mut config);
        let app = Application::build(&config, pool.clone())
            .await
            .expect("building the app");
        let addr = app.addr;
        tokio::spawn(app.run(std::future::pending()));
        TestApp { addr, pool }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Signs in and returns a client carrying the session cookie.
    pub async fn sign_in(&self, email: &str) -> Session {
        self.try_sign_in(email, PASSWORD)
            .await
            .unwrap_or_else(|(status, body)| panic!("sign-in of {email} failed: {status} {body}"))
    }

    /// The raw sign-in request, optionally from a browser that already has a cookie.
    pub async fn post_sign_in(
        &self,
        email: &str,
        password: &str,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut request = http().post(self.url("/api/sign_in"));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request
            .form(&[
                ("email", email),
                ("password", password),
                ("next", "/dialogs"),
            ])
            .send()
            .await
            .expect("sending sign-in")
    }

    pub async fn try_sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Session, (StatusCode, String)> {
        let response = self.post_sign_in(email, password, None).await;
        let status = response.status();
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("dlg_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned());
        let body = response.text().await.unwrap_or_default();
        match (status.is_success(), cookie) {
            (true, Some(cookie)) => Ok(Session {
                cookie,
                base: format!("http://{}", self.addr),
            }),
            _ => Err((status, body)),
        }
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// A signed-in browser, as far as the server can tell.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub base: String,
}

impl Session {
    /// Calls a server function with form-encoded arguments; returns status and JSON body.
    pub async fn call(&self, endpoint: &str, args: &[(&str, &str)]) -> (StatusCode, Value) {
        self.call_at(&self.base, endpoint, args).await
    }

    pub async fn call_at(
        &self,
        base: &str,
        endpoint: &str,
        args: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let response = http()
            .post(format!("{base}/api/{endpoint}"))
            .header("cookie", &self.cookie)
            .form(args)
            .send()
            .await
            .expect("calling a server function");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// Calls a server function that takes JSON (`input = Json`); returns status and body.
    pub async fn call_json(&self, endpoint: &str, args: &Value) -> (StatusCode, Value) {
        let response = http()
            .post(format!("{}/api/{endpoint}", self.base))
            .header("cookie", &self.cookie)
            .json(args)
            .send()
            .await
            .expect("calling a server function");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// Uploads a file to send (`POST /files`); returns status and JSON body.
    pub async fn upload(&self, name: &str, mime: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let response = http()
            .post(format!("{}/files", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", mime)
            .header("x-file-name", name)
            .body(bytes.to_vec())
            .send()
            .await
            .expect("uploading a file");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        http()
            .get(format!("{}{}", self.base, path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("GET")
    }
}

/// A WhatsApp Cloud API number on the account's Sales line, with this access token.
pub async fn whatsapp_channel(pool: &PgPool, account: &AccountFixture, token: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, settings, credentials)
         VALUES ($1, $2, 'whatsapp', 'WA', '{\"phone_number_id\": \"1065550001\"}',
                 jsonb_build_object('access_token', $3::text, 'app_secret', 's', 'verify_token', 'v'))
         RETURNING id",
    )
    .bind(account.id)
    .bind(account.line_sales)
    .bind(token)
    .fetch_one(pool)
    .await
    .expect("a WhatsApp channel")
}

/// An API channel on the account's Sales line posting replies to `url`, secret "api-secret".
pub async fn api_channel(pool: &PgPool, account: &AccountFixture, url: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, settings, credentials)
         VALUES ($1, $2, 'webhook', 'Site', jsonb_build_object('url', $3::text),
                 '{\"secret\": \"api-secret\"}')
         RETURNING id",
    )
    .bind(account.id)
    .bind(account.line_sales)
    .bind(url)
    .fetch_one(pool)
    .await
    .expect("an API channel")
}

/// One account's people and data.
pub struct AccountFixture {
    pub id: i64,
    pub line_sales: i64,
    pub line_support: i64,
    pub channel_tg: i64,
    pub channel_email: i64,
    /// Sales, new, from a client.
    pub dialog_new: i64,
    /// Sales, in work, assigned to the "olga" operator.
    pub dialog_olga: i64,
    /// Sales, in work, assigned to the admin.
    pub dialog_admin: i64,
    /// Support, new.
    pub dialog_support: i64,
    /// Sales, closed.
    pub dialog_closed: i64,
    pub client: i64,
}

/// Two accounts. In "Acme": admin@acme.test (admin), olga@acme.test (operator, send on
/// Sales), vera@acme.test (operator, view only on Sales), pavel@acme.test (operator, no
/// lines). In "Other": admin@other.test.
pub struct World {
    pub acme: AccountFixture,
    pub other: AccountFixture,
}

pub async fn world(pool: &PgPool) -> World {
    let hash = app::auth::password::hash(PASSWORD).expect("hash");
    let acme = account(pool, "Acme", "acme", &hash).await;
    let other = account(pool, "Other", "other", &hash).await;
    World { acme, other }
}

async fn scalar(pool: &PgPool, sql: &str, binds: &[i64]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()));
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn account(pool: &PgPool, name: &str, domain: &str, hash: &str) -> AccountFixture {
    let mut conn = pool.acquire().await.expect("connection");
    let id = app::store::accounts::find_or_create(&mut conn, name)
        .await
        .expect("account");
    let user = |local: &'static str, role: AccountRole| {
        let email = format!("{local}@{domain}.test");
        let hash = hash.to_owned();
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await.expect("connection");
            app::store::accounts::create_user(&mut conn, id, &email, local, &hash, role)
                .await
                .expect("user")
                .0
        }
    };
    let admin = user("admin", AccountRole::Admin).await;
    let olga = user("olga", AccountRole::Operator).await;
    let vera = user("vera", AccountRole::Operator).await;
    let _pavel = user("pavel", AccountRole::Operator).await;
    let id = id.0;
    let line_sales = scalar(
        pool,
        "INSERT INTO lines (account_id, name) VALUES ($1, 'Sales') RETURNING id",
        &[id],
    )
    .await;
    let line_support = scalar(
        pool,
        "INSERT INTO lines (account_id, name) VALUES ($1, 'Support') RETURNING id",
        &[id],
    )
    .await;
    scalar(pool, "INSERT INTO line_access (account_id, line_id, user_id, can_view, can_send) VALUES ($1, $2, $3, true, true) RETURNING id", &[id, line_sales, olga]).await;
    scalar(pool, "INSERT INTO line_access (account_id, line_id, user_id, can_view, can_send) VALUES ($1, $2, $3, true, false) RETURNING id", &[id, line_sales, vera]).await;
    let channel_tg = scalar(pool, "INSERT INTO channels (account_id, line_id, kind, name, credentials) VALUES ($1, $2, 'telegram', '@acme_bot', jsonb_build_object('bot_token', '42:TEST-TOKEN', 'webhook_secret', 'tg-secret-' || $1::text)) RETURNING id", &[id, line_sales]).await;
    let channel_email = scalar(pool, "INSERT INTO channels (account_id, line_id, kind, name) VALUES ($1, $2, 'email', 'help@acme.test') RETURNING id", &[id, line_support]).await;
    let client = scalar(
        pool,
        "INSERT INTO clients (account_id, name) VALUES ($1, 'Maria Client') RETURNING id",
        &[id],
    )
    .await;
    let client2 = scalar(
        pool,
        "INSERT INTO clients (account_id, name) VALUES ($1, 'Петр Клиент') RETURNING id",
        &[id],
    )
    .await;
    let client3 = scalar(
        pool,
        "INSERT INTO clients (account_id, name) VALUES ($1, 'Third Client') RETURNING id",
        &[id],
    )
    .await;

    let mut number = 0;
    let mut dialog = |line: i64,
                      channel: i64,
                      client: i64,
                      status: &'static str,
                      assignee: Option<i64>| {
        number += 1;
        let pool = pool.clone();
        let n = number;
        async move {
            let d: i64 = sqlx::query_scalar(
                "INSERT INTO dialogs (account_id, number, status, line_id, channel_id, client_id, assignee_id)
                 VALUES ($1, $2, $3::dialog_status, $4, $5, $6, $7) RETURNING id",
            )
            .bind(id)
            .bind(n)
            .bind(status)
            .bind(line)
            .bind(channel)
            .bind(client)
            .bind(assignee)
            .fetch_one(&pool)
            .await
            .expect("dialog");
            if let Some(a) = assignee {
                sqlx::query("INSERT INTO dialog_participants (account_id, dialog_id, user_id, role) VALUES ($1, $2, $3, 'assignee')")
                    .bind(id).bind(d).bind(a).execute(&pool).await.expect("participant");
            }
            let mut tx = pool.begin().await.expect("tx");
            app::store::messages::append(
                &mut tx,
                &NewMessage {
                    account: app::domain::AccountId(id),
                    dialog: app::domain::DialogId(d),
                    kind: MessageKind::Message,
                    direction: Direction::In,
                    author: None,
                    body: "Hello, I have a question",
                    external: None,
                    subject: None,
                    template: None,
                    buttons: &[],
                    system: None,
                },
            )
            .await
            .expect("message");
            tx.commit().await.expect("commit");
            d
        }
    };
    let dialog_new = dialog(line_sales, channel_tg, client, "new", None).await;
    let dialog_olga = dialog(line_sales, channel_tg, client2, "in_work", Some(olga)).await;
    let dialog_admin = dialog(line_sales, channel_tg, client3, "in_work", Some(admin)).await;
    let dialog_support = dialog(line_support, channel_email, client, "new", None).await;
    let dialog_closed = dialog(line_sales, channel_tg, client, "closed", Some(olga)).await;
    scalar(
        pool,
        "UPDATE accounts SET next_dialog_number = 6 WHERE id = $1 RETURNING id",
        &[id],
    )
    .await;
    AccountFixture {
        id,
        line_sales,
        line_support,
        channel_tg,
        channel_email,
        dialog_new,
        dialog_olga,
        dialog_admin,
        dialog_support,
        dialog_closed,
        client,
    }
}

/// Ids of the dialogs in a list page.
pub fn ids(page: &Value) -> Vec<i64> {
    page["rows"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// How many messages a dialog has.
pub async fn message_count(pool: &PgPool, dialog: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM messages WHERE dialog_id = $1")
        .bind(dialog)
        .fetch_one(pool)
        .await
        .expect("counting messages")
}

/// Makes the database refuse messages with this body for good (a CHECK constraint), as it
/// would a value some future parser lets through: what dead letters are for.
pub async fn refuse_body(pool: &PgPool, body: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER TABLE messages ADD CONSTRAINT no_poison CHECK (body <> '{}')",
        body.replace('\'', "''")
    )))
    .execute(pool)
    .await
    .expect("a constraint refusing the body");
}

/// The bot token of every test account's Telegram channel.
pub const TELEGRAM_TOKEN: &str = "42:TEST-TOKEN";

/// The webhook secret of an account's Telegram channel.
pub fn telegram_secret(account: &AccountFixture) -> String {
    format!("tg-secret-{}", account.id)
}

/// A Telegram Update with one private text message.
pub fn telegram_text(update_id: i64, chat: i64, message_id: i64, name: &str, text: &str) -> Value {
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": 1_700_000_000 + message_id,
            "from": {"id": chat, "is_bot": false, "first_name": name},
            "chat": {"id": chat, "type": "private", "first_name": name},
            "text": text
        }
    })
}

impl TestApp {
    /// A client of the account's Telegram bot writes from `chat` (message 1); returns the
    /// dialog their message opened.
    pub async fn telegram_dialog(&self, account: &AccountFixture, chat: i64) -> i64 {
        let (status, body) = self
            .telegram_webhook(
                account.channel_tg,
                Some(&telegram_secret(account)),
                &telegram_text(chat, chat, 1, "Client", "Send me the price list"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        sqlx::query_scalar("SELECT dialog_id FROM messages WHERE external_id = $1")
            .bind(format!("{chat}:1"))
            .fetch_one(&self.pool)
            .await
            .expect("the dialog the client's message opened")
    }

    /// Posts a Telegram webhook with the given secret header (None: no header).
    pub async fn telegram_webhook(
        &self,
        channel: i64,
        secret: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut request = http()
            .post(self.url(&format!("/webhooks/telegram/{channel}")))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(secret) = secret {
            request = request.header("x-telegram-bot-api-secret-token", secret);
        }
        let response = request.send().await.expect("posting a webhook");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Waits (up to 20 s) until `sql` (one bigint) returns `want`.
    pub async fn wait_for(&self, sql: &str, want: i64) -> i64 {
        let mut got = -1;
        for _ in 0..200 {
            got = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(&self.pool)
                .await
                .unwrap_or(-1);
            if got == want {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{sql}: wanted {want}, still {got} after 20 s")
    }
}

/// The rights of the user with this email, as the server loads them.
pub async fn access_of(pool: &PgPool, email: &str) -> app::auth::Access {
    let (user, account): (i64, i64) =
        sqlx::query_as("SELECT id, account_id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(pool)
            .await
            .expect("user");
    let mut conn = pool.acquire().await.expect("connection");
    app::auth::Access::of_user(
        &mut conn,
        app::domain::AccountId(account),
        app::domain::UserId(user),
    )
    .await
    .expect("rights")
    .expect("an active user")
}
