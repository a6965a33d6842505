//! The Email channel end to end on the real app and PostgreSQL: replies sent over SMTP to a
//! real SMTP server on loopback (Python's `aiosmtpd`, installed here when missing) — threading
//! headers, retry on 451, failure with the server's text on 550 — and signed inbound emails
//! stored once, HTML turned into clean text, senders merged by address, attachments stored.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{TestApp, http, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

const INBOUND_SECRET: &str = "email-inbound-secret";

/// The SMTP server: accepts every message into `msg-N.eml` (envelope recipients in
/// `msg-N.rcpt`), unless the `answers` file holds reply lines; each DATA then takes the
/// first line as its answer.
const SMTP_SINK: &str = r#"
import itertools, os, signal, sys, time
from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]
counter = itertools.count(1)

class Sink:
    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(out, 'answers')
        try:
            with open(path) as f:
                lines = [l for l in f.read().splitlines() if l.strip()]
        except FileNotFoundError:
            lines = []
        if lines:
            with open(path, 'w') as f:
                f.write('\n'.join(lines[1:]))
            return lines[0]
        n = next(counter)
        with open(os.path.join(out, f'.msg-{n}'), 'wb') as f:
            f.write(envelope.original_content)
        with open(os.path.join(out, f'msg-{n}.rcpt'), 'w') as f:
            f.write('\n'.join(envelope.rcpt_tos))
        os.rename(os.path.join(out, f'.msg-{n}'), os.path.join(out, f'msg-{n}.eml'))
        return '250 OK'

controller = Controller(Sink(), hostname='127.0.0.1', port=port)
controller.start()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(3600)
"#;

struct SmtpServer {
    port: u16,
    dir: PathBuf,
    _child: tokio::process::Child,
}

fn ensure_aiosmtpd() {
    let present = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        let status = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "-q", "aiosmtpd"])
            .status()
            .expect("running pip");
        assert!(status.success(), "pip install aiosmtpd failed");
    }
}

impl SmtpServer {
    async fn start() -> SmtpServer {
        ensure_aiosmtpd();
        let dir = std::env::temp_dir().join(format!("dialogs-smtp-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).expect("smtp dir");
        let script = dir.join("sink.py");
        std::fs::write(&script, SMTP_SINK).expect("smtp script");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = tokio::process::Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(&dir)
            .kill_on_drop(true)
            .spawn()
            .expect("starting aiosmtpd");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer {
                    port,
                    dir,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// The next DATA commands are answered with these lines, one each.
    fn answer(&self, lines: &[&str]) {
        std::fs::write(self.dir.join("answers"), lines.join("\n")).expect("answers");
    }

    /// The n-th accepted message (1-based) and its envelope recipients, waited for.
    async fn received(&self, n: usize) -> (String, String) {
        let path = self.dir.join(format!("msg-{n}.eml"));
        for _ in 0..150 {
            if let Ok(raw) = std::fs::read_to_string(&path) {
                let rcpt = std::fs::read_to_string(self.dir.join(format!("msg-{n}.rcpt")))
                    .unwrap_or_default();
                return (raw, rcpt);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no message {n} reached the SMTP server");
    }

    fn count(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .count()
            })
            .unwrap_or(0)
    }
}

/// Points Acme's email channel at the SMTP server and sets the inbound secret.
async fn configure(pool: &PgPool, channel: i64, smtp_port: u16) {
    sqlx::query("UPDATE channels SET settings = $2, credentials = $3 WHERE id = $1")
        .bind(channel)
        .bind(json!({
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port.to_string(),
            "smtp_tls": "none",
            "from_address": "help@acme.test",
            "from_name": "Acme Help",
            "default_subject": "Your request to Acme",
        }))
        .bind(json!({ "inbound_secret": INBOUND_SECRET }))
        .execute(pool)
        .await
        .expect("configuring the email channel");
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn post_email(app: &TestApp, channel: i64, secret: &str, raw: &str) -> (StatusCode, Value) {
    let response = http()
        .post(app.url(&format!("/webhooks/email/{channel}")))
        .header("content-type", "message/rfc822")
        .header(
            "x-dialogs-signature",
            server::channels::api::signature(secret.as_bytes(), raw.as_bytes()),
        )
        .body(raw.to_owned())
        .send()
        .await
        .expect("posting an email");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn plain_email(from: &str, message_id: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: help@acme.test\r\nSubject: Order 1042\r\nMessage-ID: {message_id}\r\n\
         Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

async fn dialog_of(pool: &PgPool, channel: i64, address: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT d.id FROM dialogs d JOIN client_identities i ON i.client_id = d.client_id
          WHERE i.channel_id = $1 AND i.external_id = $2 AND d.channel_id = $1
          ORDER BY d.id DESC LIMIT 1",
    )
    .bind(channel)
    .bind(address)
    .fetch_one(pool)
    .await
    .expect("the sender's dialog")
}

/// The admin writes into the sender's dialog; returns the message id.
async fn write(app: &TestApp, channel: i64, address: &str, text: &str) -> i64 {
    let dialog = dialog_of(&app.pool, channel, address).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (code, message) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", text),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{message}");
    message["id"].as_i64().expect("id")
}

async fn delivery_of(pool: &PgPool, id: i64) -> (String, Option<String>, Option<String>) {
    sqlx::query_as("SELECT delivery::text, delivery_error, external_id FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("message")
}

/// One header of a raw email (unfolded).
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

#[sqlx::test(migrations = "../migrations")]
async fn replies_go_out_over_smtp_from_the_channel_to_the_client(pool: PgPool) {
    let w = world(&pool).await;
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = w.acme.channel_email;
    configure(&pool, channel, smtp.port).await;

    let (code, body) = post_email(
        &app,
        channel,
        INBOUND_SECRET,
        &plain_email(
            "Anna <anna@example.com>",
            "<in-1@example.com>",
            "Where is my order?",
        ),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id = write(
        &app,
        channel,
        "anna@example.com",
        "It ships today.\nRegards",
    )
    .await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
    let (raw, rcpt) = smtp.received(1).await;
    assert_eq!(rcpt.trim(), "anna@example.com");
    let message_id = format!("<dialogs-message-{id}@acme.test>");
    assert_eq!(
        header(&raw, "Message-ID").as_deref(),
        Some(message_id.as_str())
    );
    assert_eq!(
        header(&raw, "From").as_deref(),
        Some("\"Acme Help\" <help@acme.test>")
    );
    assert_eq!(header(&raw, "To").as_deref(), Some("anna@example.com"));
    // The reply threads under the client's email it follows, answering its subject.
    assert_eq!(header(&raw, "Subject").as_deref(), Some("Re: Order 1042"));
    assert_eq!(
        header(&raw, "In-Reply-To").as_deref(),
        Some("<in-1@example.com>")
    );
    assert!(raw.contains("It ships today."), "{raw}");
    assert_eq!(
        delivery_of(&pool, id).await.2.as_deref(),
        Some(message_id.as_str())
    );

    // A reply to a client's email names it, so the client's mail program threads it.
    let config = server::config::ChannelsConfig::new(Path::new("data"));
    let channels = server::channels::Channels::new(
        &config,
        "http://127.0.0.1",
        server::files::FileStore::local(&std::env::temp_dir().join("dialogs-test-email-files"))
            .expect("file store"),
    )
    .expect("channels");
    let record = app::store::inbound::channel(&pool, app::domain::ChannelId(channel))
        .await
        .expect("loading")
        .expect("the channel");
    let adapter = channels
        .adapter(app::domain::ChannelKind::Email)
        .expect("the email adapter");
    let sent = adapter
        .send(
            &record,
            &server::channels::Outgoing {
                chat: "anna@example.com".into(),
                text: "Answering your question".into(),
                reply_to: Some("<in-1@example.com>".into()),
                thread: None,
                idempotency_key: "dialogs-message-777".into(),
                subject: None,
                template: None,
                files: Vec::new(),
                buttons: Vec::new(),
            },
        )
        .await
        .expect("sent");
    assert_eq!(sent.as_deref(), Some("<dialogs-message-777@acme.test>"));
    let (raw, _) = smtp.received(2).await;
    assert_eq!(
        header(&raw, "In-Reply-To").as_deref(),
        Some("<in-1@example.com>")
    );
    assert_eq!(
        header(&raw, "References").as_deref(),
        Some("<in-1@example.com>")
    );
    assert_eq!(
        header(&raw, "Subject").as_deref(),
        Some("Re: Your request to Acme")
    );
    assert!(
        adapter
            .delete(&record, "anna@example.com", &message_id)
            .await
            .is_err(),
        "email cannot be unsent"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_451_is_retried_and_a_550_fails_with_the_servers_text(pool: PgPool) {
    let w = world(&pool).await;
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = w.acme.channel_email;
    configure(&pool, channel, smtp.port).await;
    let (code, body) = post_email(
        &app,
        channel,
        INBOUND_SECRET,
        &plain_email("bob@example.com", "<in-2@example.com>", "Hi"),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");

    smtp.answer(&["451 4.3.0 Mailbox busy, try later"]);
    let id = write(&app, channel, "bob@example.com", "First answer").await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'sent'"),
        1,
    )
    .await;
    let (raw, _) = smtp.received(1).await;
    assert!(raw.contains("First answer"), "{raw}");
    // The 451 was answered to the first attempt: the message went on a later one.
    let answers = std::fs::read_to_string(smtp.dir.join("answers")).unwrap_or_default();
    assert!(answers.trim().is_empty(), "{answers}");

    smtp.answer(&["550 5.1.1 No such user here"]);
    let id = write(&app, channel, "bob@example.com", "Second answer").await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {id} AND delivery = 'failed'"),
        1,
    )
    .await;
    let (_, error, _) = delivery_of(&pool, id).await;
    let error = error.unwrap_or_default();
    assert!(error.contains("No such user here"), "{error}");
    assert!(error.contains("550"), "{error}");
    assert_eq!(smtp.count(), 1, "the refused message never arrived");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_email_is_stored_once_and_merged_into_the_known_client(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = w.acme.channel_email;
    configure(&pool, channel, 9).await;
    let known: i64 = sqlx::query_scalar(
        "INSERT INTO clients (account_id, name, email) VALUES ($1, 'Kate Known', 'kate@example.com')
         RETURNING id",
    )
    .bind(w.acme.id)
    .fetch_one(&pool)
    .await
    .expect("client");

    let raw = plain_email(
        "Kate K <Kate@Example.com>",
        "<in-3@example.com>",
        "Thanks, that works.\r\n\r\nOn Mon, 23 Nov 2026 at 09:00, Acme Help <help@acme.test> wrote:\r\n> Try again\r\n> please",
    );
    let (code, body) = post_email(&app, channel, INBOUND_SECRET, &raw).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 1, "{body}");
    let (code, body) = post_email(&app, channel, INBOUND_SECRET, &raw).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["repeated"], 1, "{body}");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM messages WHERE external_id = '<in-3@example.com>'"
        )
        .await,
        1
    );
    let (text, client): (String, i64) = sqlx::query_as(
        "SELECT m.body, d.client_id FROM messages m JOIN dialogs d ON d.id = m.dialog_id
          WHERE m.external_id = '<in-3@example.com>'",
    )
    .fetch_one(&pool)
    .await
    .expect("the message");
    assert_eq!(text, "Thanks, that works.");
    assert_eq!(client, known, "merged into the client with that email");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_html_only_email_becomes_clean_text(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = w.acme.channel_email;
    configure(&pool, channel, 9).await;
    let raw = "From: Lena <lena@example.com>\r\nTo: help@acme.test\r\nSubject: Hi\r\n\
               Message-ID: <html-1@example.com>\r\nMIME-Version: 1.0\r\n\
               Content-Type: text/html; charset=utf-8\r\n\r\n\
               <html><head><style>p { color: red }</style></head><body>\
               <p>Hello <b>team</b>,</p><script>alert('x')</script>\
               <p>my order &amp; invoice <a href=\"javascript:evil()\">here</a></p></body></html>\r\n";
    let (code, body) = post_email(&app, channel, INBOUND_SECRET, raw).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let text: String =
        sqlx::query_scalar("SELECT body FROM messages WHERE external_id = '<html-1@example.com>'")
            .fetch_one(&pool)
            .await
            .expect("the message");
    assert!(text.contains("Hello team"), "{text}");
    assert!(text.contains("my order & invoice"), "{text}");
    for bad in ["<", "alert", "color", "javascript"] {
        assert!(!text.contains(bad), "{bad} in {text:?}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_attachment_is_stored_in_the_file_store(pool: PgPool) {
    let w = world(&pool).await;
    let files = std::env::temp_dir().join(format!("dialogs-email-files-{}", fastrand::u64(..)));
    let dir = files.clone();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.files_dir = dir).await;
    let channel = w.acme.channel_email;
    configure(&pool, channel, 9).await;
    let raw = "From: Ivan <ivan@example.com>\r\nTo: help@acme.test\r\nSubject: Invoice\r\n\
               Message-ID: <att-1@example.com>\r\nMIME-Version: 1.0\r\n\
               Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n\
               --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe invoice is attached.\r\n\
               --XYZ\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n\
               Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
               Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcTl8uXrCg==\r\n--XYZ--\r\n";
    let (code, body) = post_email(&app, channel, INBOUND_SECRET, raw).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    app.wait_for(
        "SELECT count(*) FROM attachments WHERE file_name = 'invoice.pdf' AND state = 'stored'",
        1,
    )
    .await;
    let (key, mime, text): (String, String, String) = sqlx::query_as(
        "SELECT a.storage_key, a.mime_type, m.body FROM attachments a
           JOIN messages m ON m.id = a.message_id WHERE a.file_name = 'invoice.pdf'",
    )
    .fetch_one(&pool)
    .await
    .expect("the attachment");
    assert_eq!(mime, "application/pdf");
    assert_eq!(text, "The invoice is attached.");
    let bytes = std::fs::read(files.join(&key)).expect("the stored file");
    assert_eq!(bytes, b"%PDF-1.4\n%\xc4\xe5\xf2\xe5\xeb\n");
    // The raw email was kept (its folder is there) only until its attachment was stored.
    let kept = files.join(format!("email/{channel}"));
    let mut left = 1;
    for _ in 0..50 {
        left = std::fs::read_dir(&kept)
            .expect("the folder of kept emails")
            .filter_map(Result::ok)
            .count();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        left, 0,
        "the kept email is deleted once its files are stored"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_signature_is_401_and_a_malformed_body_400(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = w.acme.channel_email;
    configure(&pool, channel, 9).await;
    let before = count(&pool, "SELECT count(*) FROM messages").await;
    let raw = plain_email("eve@example.com", "<evil@example.com>", "Hi");
    let (code, body) = post_email(&app, channel, "not-the-secret", &raw).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    let unsigned = http()
        .post(app.url(&format!("/webhooks/email/{channel}")))
        .header("content-type", "message/rfc822")
        .body(raw.clone())
        .send()
        .await
        .expect("posting");
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let (code, body) =
        post_email(&app, channel, INBOUND_SECRET, "this is not an email at all").await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    let (code, body) = post_email(&app, channel, INBOUND_SECRET, "").await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(count(&pool, "SELECT count(*) FROM messages").await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn files_go_out_as_attachments_of_one_email_with_the_dialogs_subject(pool: PgPool) {
    let w = world(&pool).await;
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn(pool.clone()).await;
    let channel = w.acme.channel_email;
    configure(&pool, channel, smtp.port).await;
    let admin = app.sign_in("admin@acme.test").await;
    // Started by us, with a subject; the reply carries two files.
    let (code, dialog) = admin
        .call(
            "start_dialog",
            &[
                ("input[line_id]", &w.acme.line_support.to_string()),
                ("input[channel_id]", &channel.to_string()),
                ("input[recipient]", "anna@example.com"),
                ("input[subject]", "Your invoice #12"),
                ("input[text]", "Dear Anna, the invoice follows."),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{dialog}");
    let (first, _) = smtp.received(1).await;
    assert_eq!(
        header(&first, "Subject").as_deref(),
        Some("Your invoice #12")
    );

    let mut ids = Vec::new();
    for (name, mime, bytes) in [
        (
            "invoice.pdf",
            "application/pdf",
            b"%PDF-1.4 invoice".as_slice(),
        ),
        ("notes.txt", "text/plain", b"paid by card".as_slice()),
    ] {
        let (_, body) = admin.upload(name, mime, bytes).await;
        ids.push(body["id"].as_i64().expect("id").to_string());
    }
    let dialog = dialog.as_i64().expect("dialog").to_string();
    let (code, message) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", dialog.as_str()),
                ("text", "Attached."),
                ("mode", "message"),
                ("files[0]", ids[0].as_str()),
                ("files[1]", ids[1].as_str()),
            ],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{message}");
    let (raw, _) = smtp.received(2).await;
    assert_eq!(smtp.count(), 2, "one email for the text and both files");
    assert_eq!(
        header(&raw, "Subject").as_deref(),
        Some("Re: Your invoice #12")
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a MIME email");
    assert_eq!(
        parsed.body_text(0).as_deref().map(str::trim),
        Some("Attached.")
    );
    let files: Vec<(String, Vec<u8>)> = parsed
        .attachments()
        .map(|a| {
            (
                mail_parser::MimeHeaders::attachment_name(a)
                    .unwrap_or_default()
                    .to_owned(),
                a.contents().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        files,
        vec![
            ("invoice.pdf".to_owned(), b"%PDF-1.4 invoice".to_vec()),
            ("notes.txt".to_owned(), b"paid by card".to_vec()),
        ]
    );
}
