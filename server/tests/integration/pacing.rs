//! The providers' pace holds across app servers: two servers sending for one Telegram bot
//! keep one message a second per chat between them, and a provider's "wait" (429 with
//! retry_after) received by one holds the other too.

use std::time::Duration;

use crate::common::fakes::{Failure, FakeTelegram};
use crate::common::{Session, TELEGRAM_TOKEN, TestApp, world};
use reqwest::StatusCode;
use sqlx::PgPool;

/// Two app servers on one database, both sending to one fake Telegram.
async fn two_servers(pool: &PgPool) -> (FakeTelegram, TestApp, TestApp) {
    let fake = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let base = fake.base();
    let (a_base, b_base) = (base.clone(), base);
    let a = TestApp::spawn_with(pool.clone(), |c| c.channels.telegram_api_base = a_base).await;
    let b = TestApp::spawn_with(pool.clone(), |c| c.channels.telegram_api_base = b_base).await;
    (fake, a, b)
}

async fn send(session: &Session, dialog: i64, text: &str) {
    let (status, body) = session
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", text),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn two_servers_keep_one_message_a_second_per_chat_between_them(pool: PgPool) {
    let w = world(&pool).await;
    let (fake, a, b) = two_servers(&pool).await;
    let dialog = a.telegram_dialog(&w.acme, 7001).await;
    let on_a = a.sign_in("admin@acme.test").await;
    let on_b = b.sign_in("admin@acme.test").await;
    // Alternate the servers the messages are written through; both run delivery workers.
    for n in 0..4 {
        let session = if n % 2 == 0 { &on_a } else { &on_b };
        send(session, dialog, &format!("Answer {n}")).await;
    }
    a.wait_for("SELECT count(*) FROM messages WHERE delivery = 'sent'", 4)
        .await;
    let times: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.accepted && c.method == "sendMessage")
        .map(|c| c.at)
        .collect();
    assert_eq!(times.len(), 4);
    // One a second. A send starts at its slot but reaches the provider some milliseconds
    // later; on a loaded machine (other tests SIGKILL servers and replay thousands of
    // webhooks beside this one) one late arrival shortens one gap and lengthens the next,
    // so each gap is held to well above "no pacing" (a few milliseconds) and the whole
    // span to the full pace.
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(600),
            "only {gap:?} between two sends"
        );
    }
    let span = times[3].duration_since(times[0]);
    assert!(
        span >= Duration::from_millis(2_700),
        "four sends within {span:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wait_the_provider_asked_of_one_server_holds_the_other(pool: PgPool) {
    let w = world(&pool).await;
    let (fake, a, b) = two_servers(&pool).await;
    let mut dialogs = Vec::new();
    for chat in [7101, 7102] {
        dialogs.push(a.telegram_dialog(&w.acme, chat).await);
    }
    // The bot's first send is answered "retry after 2 s".
    fake.fail_next([Failure::TooMany { retry_after: 2 }]);
    let on_a = a.sign_in("admin@acme.test").await;
    let on_b = b.sign_in("admin@acme.test").await;
    let started = std::time::Instant::now();
    send(&on_a, dialogs[0], "First").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&on_b, dialogs[1], "Second").await;
    a.wait_for("SELECT count(*) FROM messages WHERE delivery = 'sent'", 2)
        .await;
    let accepted: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.accepted && c.method == "sendMessage")
        .map(|c| c.at.duration_since(started))
        .collect();
    assert_eq!(accepted.len(), 2);
    // Whichever server sent them, nothing went to the bot before its wait ran out.
    for at in accepted {
        assert!(
            at >= Duration::from_millis(1900),
            "sent {at:?} after the start"
        );
    }
}
