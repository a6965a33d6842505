//! Email channels reading a real IMAP mailbox (B5): a Dovecot server on loopback started by
//! the test, the real app and PostgreSQL. New mail is stored once, however often the
//! mailbox is read or the position lost; a wrong password is shown and nothing is lost;
//! "Receive messages now" reads at once; another account cannot ask for it.

use crate::common::dovecot::Dovecot;
use crate::common::{TestApp, world};
use reqwest::StatusCode;
use sqlx::PgPool;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Points Acme's email channel at the mailbox, polled every `every` seconds.
async fn read_mailbox(pool: &PgPool, channel: i64, dovecot: &Dovecot, password: &str, every: u64) {
    sqlx::query(
        "UPDATE channels SET
            settings = settings || jsonb_build_object('imap_host', '127.0.0.1', 'imap_port', $2::int,
                'imap_tls', 'none', 'imap_username', $3::text, 'poll_seconds', $4::int,
                'from_address', 'help@acme.test'),
            credentials = credentials || jsonb_build_object('imap_password', $5::text)
          WHERE id = $1",
    )
    .bind(channel)
    .bind(i32::from(dovecot.port))
    .bind(&dovecot.user)
    .bind(i64::try_from(every).unwrap_or(60))
    .bind(password)
    .execute(pool)
    .await
    .expect("imap settings");
}

fn email(id: &str, from: &str, subject: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: help@acme.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
    .into_bytes()
}

#[sqlx::test(migrations = "../migrations")]
async fn new_mail_is_stored_once_and_a_lost_position_duplicates_nothing(pool: PgPool) {
    let w = world(&pool).await;
    let dovecot = Dovecot::start("help@acme.test", "s3cret").await;
    dovecot
        .deliver(&email(
            "a1@example.com",
            "Anna <anna@example.com>",
            "Refund",
            "Where is my refund?",
        ))
        .await;
    dovecot
        .deliver(&email(
            "a2@example.com",
            "Oleg <oleg@example.com>",
            "Привет",
            "Есть доставка в Казань?",
        ))
        .await;
    read_mailbox(&pool, w.acme.channel_email, &dovecot, "s3cret", 1).await;
    let app = TestApp::spawn(pool.clone()).await;
    let stored = format!(
        "SELECT count(*) FROM messages WHERE channel_id = {}",
        w.acme.channel_email
    );
    app.wait_for(&stored, 2).await;
    let body: String = sqlx::query_scalar(
        "SELECT m.body FROM messages m JOIN clients c ON c.id = (SELECT client_id FROM dialogs WHERE id = m.dialog_id)
          WHERE m.external_id = '<a2@example.com>' AND c.email = 'oleg@example.com'",
    )
    .fetch_one(&pool)
    .await
    .expect("Oleg's email, with Oleg as the client");
    assert_eq!(body, "Есть доставка в Казань?");

    // Polled every second: nothing new is stored twice.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(count(&pool, &stored).await, 2);
    let last_uid: i64 = count(
        &pool,
        &format!(
            "SELECT last_uid FROM mail_sync WHERE channel_id = {}",
            w.acme.channel_email
        ),
    )
    .await;
    assert_eq!(last_uid, 2);

    // The position lost (a crash between storing and recording it): read again, stored once.
    sqlx::query("UPDATE mail_sync SET last_uid = 0, uid_validity = NULL")
        .execute(&pool)
        .await
        .expect("reset");
    dovecot
        .deliver(&email(
            "a3@example.com",
            "Anna <anna@example.com>",
            "Re: Refund",
            "Thanks!",
        ))
        .await;
    app.wait_for(&stored, 3).await;
    app.wait_for(
        &format!(
            "SELECT last_uid FROM mail_sync WHERE channel_id = {}",
            w.acme.channel_email
        ),
        3,
    )
    .await;
    assert_eq!(count(&pool, &stored).await, 3);
    // Anna's second email joins her dialog.
    assert_eq!(
        count(&pool, "SELECT count(DISTINCT dialog_id) FROM messages WHERE external_id IN ('<a1@example.com>', '<a3@example.com>')").await,
        1
    );
    // Read with BODY.PEEK: the mail stays unread in the mailbox for people using it.
    assert!(!dovecot.log().contains("Error"), "{}", dovecot.log());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_password_is_shown_and_receive_now_reads_at_once_when_fixed(pool: PgPool) {
    let w = world(&pool).await;
    let dovecot = Dovecot::start("help@acme.test", "s3cret").await;
    dovecot
        .deliver(&email(
            "b1@example.com",
            "Vera <vera@example.com>",
            "Hello",
            "Hi there",
        ))
        .await;
    // Polled once an hour: only "Receive messages now" can read it in this test's time.
    read_mailbox(&pool, w.acme.channel_email, &dovecot, "wrong", 3600).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let errored = format!(
        "SELECT count(*) FROM mail_sync WHERE channel_id = {} AND last_error LIKE '%refused the login%'",
        w.acme.channel_email
    );
    app.wait_for(&errored, 1).await;
    let (status, view) = admin.call("get_settings", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let channel = view["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["id"] == w.acme.channel_email)
        .expect("the email channel")
        .clone();
    assert!(
        channel["mail"]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("refused the login"),
        "{channel}"
    );
    assert!(!view.to_string().contains("s3cret") && !view.to_string().contains("\"wrong\""));

    // Fixed password; the next poll is an hour away, "Receive messages now" reads at once.
    sqlx::query("UPDATE channels SET credentials = credentials || '{\"imap_password\": \"s3cret\"}' WHERE id = $1")
        .bind(w.acme.channel_email)
        .execute(&pool)
        .await
        .expect("password");
    let started = std::time::Instant::now();
    let (status, body) = admin
        .call(
            "receive_mail_now",
            &[("channel_id", &w.acme.channel_email.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE external_id = '<b1@example.com>' AND channel_id = {}", w.acme.channel_email),
        1,
    )
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    app.wait_for(
        &format!(
            "SELECT count(*) FROM mail_sync WHERE channel_id = {} AND last_error IS NULL",
            w.acme.channel_email
        ),
        1,
    )
    .await;

    // Rights: an operator may not; another account's channel is unknown; a channel without
    // a mailbox says so.
    let olga = app.sign_in("olga@acme.test").await;
    let (status, _) = olga
        .call(
            "receive_mail_now",
            &[("channel_id", &w.acme.channel_email.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stranger = app.sign_in("admin@other.test").await;
    let (status, _) = stranger
        .call(
            "receive_mail_now",
            &[("channel_id", &w.acme.channel_email.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = admin
        .call(
            "receive_mail_now",
            &[("channel_id", &w.acme.channel_tg.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Switched off, its mail waits in the mailbox: asking to read it now says why, and the
    // mailbox does not show as being read.
    sqlx::query("UPDATE channels SET enabled = false WHERE id = $1")
        .bind(w.acme.channel_email)
        .execute(&pool)
        .await
        .expect("switch off");
    let (status, body) = admin
        .call(
            "receive_mail_now",
            &[("channel_id", &w.acme.channel_email.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string()
            .contains("settings.error.mail_not_connected"),
        "{body}"
    );
    sqlx::query("UPDATE mail_sync SET next_poll_at = now() WHERE channel_id = $1")
        .bind(w.acme.channel_email)
        .execute(&pool)
        .await
        .expect("due");
    let (_, view) = admin.call("get_settings", &[]).await;
    let mail = view["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["id"] == w.acme.channel_email)
        .map(|c| c["mail"].clone())
        .expect("the email channel");
    assert_eq!(mail["busy"], false, "{mail}");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_oversize_email_is_skipped_with_a_notice_and_the_mail_after_it_arrives(pool: PgPool) {
    let w = world(&pool).await;
    let dovecot = Dovecot::start("help@acme.test", "s3cret").await;
    let mut big = email("c1@example.com", "Big <big@example.com>", "Scan", "");
    big.extend(std::iter::repeat_n(b'x', 300_000));
    dovecot.deliver(&big).await;
    dovecot
        .deliver(&email(
            "c2@example.com",
            "Small <small@example.com>",
            "Question",
            "Short one",
        ))
        .await;
    read_mailbox(&pool, w.acme.channel_email, &dovecot, "s3cret", 1).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.max_body_bytes = 100_000).await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE external_id = '<c2@example.com>' AND channel_id = {}", w.acme.channel_email),
        1,
    )
    .await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM messages WHERE external_id = '<c1@example.com>'"
        )
        .await,
        0
    );
    let kept: String = sqlx::query_scalar("SELECT error FROM dead_letters WHERE channel_id = $1")
        .bind(w.acme.channel_email)
        .fetch_one(&pool)
        .await
        .expect("the skipped email is recorded");
    assert!(kept.contains("Skipped the email with UID 1"), "{kept}");
}
