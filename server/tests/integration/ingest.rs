//! Group-committed ingest: many webhooks stored in one transaction keep every promise of
//! one stored alone (exactly once, order per chat, the dialog's snapshot, live events,
//! file jobs), a batch the database refuses falls back to one by one, and a changed
//! channel is read again at once by the in-memory directory.

use crate::common;
use crate::common::{TestApp, telegram_secret, telegram_text, world};
use app::domain::inbound::{
    AttachmentKind, InboundAttachment, InboundChat, InboundEvent, InboundMessage,
};
use app::domain::{ChannelId, LineId};
use reqwest::StatusCode;
use server::channels::ingest::{Outcome, Webhook, store_batch};
use sqlx::PgPool;

fn message(chat: &str, id: &str, text: &str) -> InboundMessage {
    InboundMessage {
        external_id: format!("{chat}:{id}"),
        chat: InboundChat {
            external_id: chat.to_owned(),
            name: format!("Client {chat}"),
            ..InboundChat::default()
        },
        sender_name: None,
        text: text.to_owned(),
        attachments: Vec::new(),
        sent_at: None,
        subject: None,
    }
}

fn with_photo(mut message: InboundMessage) -> InboundMessage {
    message.attachments.push(InboundAttachment {
        kind: AttachmentKind::Image,
        file_name: "photo.jpg".into(),
        mime_type: Some("image/jpeg".into()),
        size_bytes: Some(1000),
        source: "file-1".into(),
    });
    message
}

fn stored(n: usize) -> Outcome {
    Outcome {
        stored: n,
        ..Outcome::default()
    }
}

/// Stores webhooks of Acme's Telegram channel (each a list of events) as one batch.
async fn store(
    pool: &PgPool,
    w: &common::World,
    webhooks: &[Vec<InboundEvent>],
) -> anyhow::Result<Vec<Outcome>> {
    let channel = app::store::inbound::channel(pool, ChannelId(w.acme.channel_tg))
        .await
        .expect("read")
        .expect("the channel");
    let webhooks: Vec<Webhook<'_>> = webhooks
        .iter()
        .map(|events| Webhook {
            channel: &channel,
            line: LineId(w.acme.line_sales),
            events,
        })
        .collect();
    store_batch(pool, &webhooks).await
}

/// The bodies of a chat's messages on the channel, in id order.
async fn bodies(pool: &PgPool, channel: i64, chat: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT m.body FROM messages m
           JOIN dialogs d ON d.id = m.dialog_id
           JOIN client_identities i ON i.client_id = d.client_id AND i.channel_id = d.channel_id
          WHERE i.channel_id = $1 AND i.external_id = $2 ORDER BY m.id",
    )
    .bind(channel)
    .bind(chat)
    .fetch_all(pool)
    .await
    .expect("the chat's messages")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_batch_stores_known_and_new_chats_files_repeats_and_edits_as_one_by_one_would(
    pool: PgPool,
) {
    let w = world(&pool).await;

    // First contact of two chats, in one batch: new clients and dialogs.
    let first = [
        vec![InboundEvent::Message(message(
            "7001",
            "1",
            "hello from 7001",
        ))],
        vec![InboundEvent::Message(message(
            "7002",
            "1",
            "hello from 7002",
        ))],
    ];
    let outcomes = store(&pool, &w, &first).await.expect("first batch");
    assert_eq!(outcomes, vec![stored(1), stored(1)]);

    // Then a batch mixing every case.
    let a1 = message("7001", "2", "a1");
    let mut a1_edited = a1.clone();
    a1_edited.text = "a1, corrected".into();
    let second = [
        // A known chat with an open dialog: stored together with others.
        vec![InboundEvent::Message(a1.clone())],
        // Then a file in 7002: stored one by one, and so is every later message of 7002.
        vec![
            InboundEvent::Message(message("7002", "2", "b1")),
            InboundEvent::Message(with_photo(message("7002", "3", "b2"))),
        ],
        vec![InboundEvent::Message(message("7002", "4", "b3"))],
        // A chat never seen.
        vec![InboundEvent::Message(message("7003", "1", "c1"))],
        // The provider repeating a webhook of this batch, and one stored before.
        vec![InboundEvent::Message(a1.clone())],
        vec![InboundEvent::Message(message(
            "7001",
            "1",
            "hello from 7001",
        ))],
        // An edit of a message of this very batch.
        vec![InboundEvent::Edited(a1_edited)],
    ];
    let outcomes = store(&pool, &w, &second).await.expect("second batch");
    let repeated = Outcome {
        repeated: 1,
        ..Outcome::default()
    };
    assert_eq!(
        outcomes,
        vec![
            stored(1),
            stored(2),
            stored(1),
            stored(1),
            repeated,
            repeated,
            stored(1)
        ]
    );

    assert_eq!(
        bodies(&pool, w.acme.channel_tg, "7001").await,
        ["hello from 7001", "a1, corrected"]
    );
    assert_eq!(
        bodies(&pool, w.acme.channel_tg, "7002").await,
        ["hello from 7002", "b1", "b2", "b3"],
        "the order within a chat is the order of arrival"
    );
    assert_eq!(bodies(&pool, w.acme.channel_tg, "7003").await, ["c1"]);

    // Each dialog's list snapshot is its newest message.
    let stale: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dialogs d
          WHERE d.channel_id = $1 AND d.last_message_id IS DISTINCT FROM
                (SELECT max(m.id) FROM messages m WHERE m.dialog_id = d.id)
            AND EXISTS (SELECT 1 FROM messages m WHERE m.dialog_id = d.id AND m.external_id LIKE '700%')",
    )
    .bind(w.acme.channel_tg)
    .fetch_one(&pool)
    .await
    .expect("snapshots");
    assert_eq!(stale, 0, "every dialog points at its newest message");
    let snippet: String = sqlx::query_scalar(
        "SELECT d.last_message_snippet FROM dialogs d JOIN messages m ON m.id = d.last_message_id
          WHERE m.external_id = '7002:4'",
    )
    .fetch_one(&pool)
    .await
    .expect("the snippet");
    assert_eq!(snippet, "b3");

    // One live event per stored message, in the order the messages were stored, and one
    // for the edit; one job fetching the photo.
    let created: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'message'->>'body' FROM events
          WHERE payload->>'type' = 'message.created' AND account_id = $1
            AND payload->'message'->>'body' ~ '^(hello from|a1|b|c)'
          ORDER BY id",
    )
    .bind(w.acme.id)
    .fetch_all(&pool)
    .await
    .expect("events");
    assert_eq!(
        created,
        [
            "hello from 7001",
            "hello from 7002",
            "a1",
            "b1",
            "b2",
            "b3",
            "c1"
        ]
    );
    let updated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE payload->>'type' = 'message.updated'
            AND payload->'message'->>'body' = 'a1, corrected'",
    )
    .fetch_one(&pool)
    .await
    .expect("events");
    assert_eq!(updated, 1);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'fetch_file'")
        .fetch_one(&pool)
        .await
        .expect("jobs");
    assert_eq!(jobs, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_batch_the_database_refuses_is_rolled_back_whole(pool: PgPool) {
    let w = world(&pool).await;
    common::refuse_body(&pool, "poison").await;
    let good = vec![InboundEvent::Message(message("7101", "1", "fine"))];
    let bad = vec![InboundEvent::Message(message("7102", "1", "poison"))];
    let err = store(&pool, &w, &[good, bad])
        .await
        .expect_err("the poisoned batch fails");
    assert!(server::channels::ingest::refused_for_good(&err), "{err:#}");
    assert!(bodies(&pool, w.acme.channel_tg, "7101").await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn many_chats_at_once_are_stored_exactly_once_in_order_with_a_bad_event_kept_aside(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let secret = telegram_secret(&w.acme);
    common::refuse_body(&pool, "poison").await;
    const CHATS: i64 = 24;
    const PER_CHAT: i64 = 12;
    // Every chat writes in order (as Telegram sends a chat's updates one after another),
    // all chats at once, each webhook twice as a retrying provider would; one chat sends a
    // value the database refuses in the middle.
    let chats = (0..CHATS).map(|c| {
        let (app, secret) = (&app, &secret);
        async move {
            let chat = 7200 + c;
            for n in 1..=PER_CHAT {
                let text = if c == 5 && n == 6 {
                    "poison".to_owned()
                } else {
                    format!("{chat} #{n}")
                };
                let update = telegram_text(chat * 100 + n, chat, n, "Crowd", &text);
                let a = app.telegram_webhook(w.acme.channel_tg, Some(secret), &update);
                let b = app.telegram_webhook(w.acme.channel_tg, Some(secret), &update);
                let ((sa, ba), (sb, bb)) = futures::join!(a, b);
                assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK), "{ba} {bb}");
            }
        }
    });
    futures::future::join_all(chats).await;

    for c in 0..CHATS {
        let chat = 7200 + c;
        let expected: Vec<String> = (1..=PER_CHAT)
            .filter(|n| !(c == 5 && *n == 6))
            .map(|n| format!("{chat} #{n}"))
            .collect();
        assert_eq!(
            bodies(&pool, w.acme.channel_tg, &chat.to_string()).await,
            expected,
            "chat {chat}"
        );
    }
    let (letters, events, stale): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM dead_letters WHERE channel_id = $1),
                (SELECT count(*) FROM events WHERE payload->>'type' = 'message.created'
                    AND payload->'message'->>'body' LIKE '72__ #%'),
                (SELECT count(*) FROM dialogs d WHERE d.channel_id = $1
                    AND d.last_message_id IS DISTINCT FROM
                        (SELECT max(m.id) FROM messages m WHERE m.dialog_id = d.id)
                    AND EXISTS (SELECT 1 FROM messages m WHERE m.dialog_id = d.id))",
    )
    .bind(w.acme.channel_tg)
    .fetch_one(&pool)
    .await
    .expect("counts");
    assert_eq!(letters, 1, "the refused event, kept once");
    assert_eq!(events, CHATS * PER_CHAT - 1, "one live event per message");
    assert_eq!(stale, 0, "every dialog points at its newest message");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_changed_channel_is_read_again_at_once(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let old = telegram_secret(&w.acme);
    let update = |n: i64| telegram_text(7300 + n, 7300, n, "Rotator", &format!("m{n}"));
    let (status, body) = app
        .telegram_webhook(w.acme.channel_tg, Some(&old), &update(1))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The administrator rotates the secret: the old one stops working at once.
    sqlx::query(
        "UPDATE channels SET credentials = credentials || '{\"webhook_secret\": \"rotated\"}'
          WHERE id = $1",
    )
    .bind(w.acme.channel_tg)
    .execute(&pool)
    .await
    .expect("rotate");
    let refused = wait_for(|| async {
        app.telegram_webhook(w.acme.channel_tg, Some(&old), &update(2))
            .await
            .0
            == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(refused, "the old secret still works");
    let (status, body) = app
        .telegram_webhook(w.acme.channel_tg, Some("rotated"), &update(3))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Switched off: the provider is asked to retry later.
    sqlx::query("UPDATE channels SET enabled = false WHERE id = $1")
        .bind(w.acme.channel_tg)
        .execute(&pool)
        .await
        .expect("switch off");
    let paused = wait_for(|| async {
        app.telegram_webhook(w.acme.channel_tg, Some("rotated"), &update(4))
            .await
            .0
            == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert!(paused, "a switched-off channel still stores");
    let kept = bodies(&pool, w.acme.channel_tg, "7300").await;
    assert!(
        kept.contains(&"m3".to_owned()) && !kept.contains(&"m4".to_owned()),
        "{kept:?}"
    );
}

/// True once `check` holds, trying for at most a second: a change reaches the app servers
/// by a notification, a few milliseconds after it commits (entries otherwise live 30 s).
async fn wait_for<F, Fut>(check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..20 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[sqlx::test(migrations = "../migrations")]
async fn a_kept_event_is_stored_when_tried_again_after_its_cause_is_fixed(pool: PgPool) {
    let w = world(&pool).await;
    let (app, _fake) = TestApp::with_telegram(pool.clone()).await;
    let secret = telegram_secret(&w.acme);
    common::refuse_body(&pool, "poison").await;
    let (status, body) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&secret),
            &telegram_text(1, 7400, 1, "Patient", "poison"),
        )
        .await;
    assert_eq!(
        (status, body["dead_lettered"].clone()),
        (StatusCode::OK, 1.into())
    );
    let letter: i64 = sqlx::query_scalar("SELECT id FROM dead_letters WHERE channel_id = $1")
        .bind(w.acme.channel_tg)
        .fetch_one(&pool)
        .await
        .expect("the kept event");
    let tg = w.acme.channel_tg.to_string();
    let id = letter.to_string();
    let args = [("channel_id", tg.as_str()), ("id", id.as_str())];

    // Rights: only who administers the channel, in its account; an unknown id is unknown.
    for (email, want) in [
        ("olga@acme.test", StatusCode::FORBIDDEN),
        ("admin@other.test", StatusCode::NOT_FOUND),
    ] {
        let user = app.sign_in(email).await;
        let (status, _) = user.call("replay_dead_letter", &args).await;
        assert_eq!(status, want, "{email}");
    }
    let admin = app.sign_in("admin@acme.test").await;
    let unknown = (letter + 1000).to_string();
    let (status, _) = admin
        .call(
            "replay_dead_letter",
            &[("channel_id", tg.as_str()), ("id", unknown.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Tried again while the cause stands: it stays, with the new reason.
    let (status, body) = admin.call("replay_dead_letter", &args).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_for(
        &format!("SELECT count(*) FROM dead_letters WHERE id = {letter} AND error LIKE 'Tried again:%no_poison%'"),
        1,
    )
    .await;
    app.wait_for(
        "SELECT count(*) FROM jobs WHERE kind = 'replay_dead_letter'",
        0,
    )
    .await;

    // The cause fixed, tried again: stored once, in the client's dialog, and no longer kept.
    sqlx::query("ALTER TABLE messages DROP CONSTRAINT no_poison")
        .execute(&pool)
        .await
        .expect("drop constraint");
    let (status, body) = admin.call("replay_dead_letter", &args).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_for(
        &format!("SELECT count(*) FROM dead_letters WHERE id = {letter}"),
        0,
    )
    .await;
    assert_eq!(bodies(&pool, w.acme.channel_tg, "7400").await, ["poison"]);
    let (status, letters) = admin
        .call("channel_dead_letters", &[("channel_id", tg.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(letters, serde_json::json!([]));
}
