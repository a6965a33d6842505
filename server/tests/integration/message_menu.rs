//! The composer's formatting and the message menu through the real app (E2, E8, E9):
//! formatted text as the chat and the messengers get it, replies, forwarding, deleting
//! where the messenger allows (and at the client's side), stars and the Important tab.

use std::time::Duration;

use crate::common::fakes::Failure;
use crate::common::{Session, TestApp, telegram_secret, telegram_text, world};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

async fn send(session: &Session, dialog: i64, text: &str, mode: &str) -> (StatusCode, Value) {
    session
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", text),
                ("mode", mode),
            ],
        )
        .await
}

async fn messages_of(session: &Session, dialog: i64) -> Vec<Value> {
    let (status, detail) = session
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail["messages"].as_array().cloned().unwrap_or_default()
}

/// The first message of a dialog (the client's).
async fn first_message(pool: &PgPool, dialog: i64) -> i64 {
    sqlx::query_scalar("SELECT min(id) FROM messages WHERE dialog_id = $1 AND kind = 'message'")
        .bind(dialog)
        .fetch_one(pool)
        .await
        .expect("a message")
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .expect("a count")
}

/// Waits until the fake Telegram got `n` calls of `method`.
async fn telegram_calls(
    fake: &crate::common::fakes::FakeTelegram,
    method: &str,
    n: usize,
) -> Vec<Value> {
    for _ in 0..200 {
        let calls: Vec<Value> = fake
            .calls()
            .into_iter()
            .filter(|c| c.method == method)
            .map(|c| c.body)
            .collect();
        if calls.len() >= n {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {n} {method} calls in 20 s: {:?}", fake.calls().len())
}

async fn delete(s: &Session, id: i64) -> (StatusCode, Value) {
    s.call("delete_message", &[("message_id", &id.to_string())])
        .await
}

async fn forward(s: &Session, message: i64, to: i64, mode: &str) -> (StatusCode, Value) {
    s.call(
        "forward_message",
        &[
            ("message_id", &message.to_string()),
            ("to", &to.to_string()),
            ("mode", mode),
        ],
    )
    .await
}

async fn star(s: &Session, id: i64, on: bool) -> (StatusCode, Value) {
    s.call(
        "star_message",
        &[
            ("message_id", &id.to_string()),
            ("important", if on { "true" } else { "false" }),
        ],
    )
    .await
}

/// The ids in a user's Important tab, across all dialogs or of one.
async fn important(s: &Session, dialog: Option<i64>) -> Vec<i64> {
    let dialog = dialog.map(|d| d.to_string());
    let args: Vec<(&str, &str)> = dialog.iter().map(|d| ("dialog", d.as_str())).collect();
    let (status, list) = s.call("important_messages", &args).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .map(|l| {
            l.iter()
                .filter_map(|i| i["message"]["id"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

#[sqlx::test(migrations = "../migrations")]
async fn formatting_reaches_the_chat_as_clean_html_and_telegram_as_entities(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    let dialog = app.telegram_dialog(&w.acme, 7001).await;
    let olga = app.sign_in("olga@acme.test").await;

    let text = "**Price** list <script>alert(1)</script>\n> _see_ [here](javascript:alert(1))";
    let (status, message) = send(&olga, dialog, text, "message").await;
    assert_eq!(status, StatusCode::OK, "{message}");
    // Stored as typed; shown as HTML with only the subset's bare tags.
    assert_eq!(message["body"], text);
    assert_eq!(
        message["html"],
        "<p><strong>Price</strong> list &lt;script&gt;alert(1)&lt;/script&gt;</p>\n\
         <blockquote>\n<p><em>see</em> [here](javascript:alert(1))</p>\n</blockquote>\n"
    );
    // Telegram gets plain text with the formatting as entities (UTF-16 offsets).
    let sent = telegram_calls(&fake, "sendMessage", 1).await;
    assert_eq!(
        sent[0]["text"],
        "Price list <script>alert(1)</script>\n\nsee [here](javascript:alert(1))"
    );
    let entities = sent[0]["entities"].as_array().cloned().unwrap_or_default();
    assert!(
        entities.contains(&serde_json::json!({"type": "bold", "offset": 0, "length": 5})),
        "{entities:?}"
    );
    for kind in ["italic", "blockquote"] {
        assert!(entities.iter().any(|e| e["type"] == kind), "{entities:?}");
    }

    // A client's message is never parsed: it is shown as the text it is.
    let (status, _) = app
        .telegram_webhook(
            w.acme.channel_tg,
            Some(&telegram_secret(&w.acme)),
            &telegram_text(2, 7001, 2, "Client", "**not bold** <b>x</b>"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let messages = messages_of(&olga, dialog).await;
    let from_client = messages
        .iter()
        .find(|m| m["body"] == "**not bold** <b>x</b>")
        .expect("the client's message");
    assert!(
        from_client.get("html").is_none_or(Value::is_null),
        "{from_client}"
    );

    // A note keeps its formatting in the chat and goes nowhere.
    let (status, note) = send(&olga, dialog, "/call at `10:00`", "message").await;
    assert_eq!(status, StatusCode::OK, "{note}");
    assert_eq!(note["html"], "<p>call at <code>10:00</code></p>\n");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reply_quotes_a_message_of_its_own_dialog_only(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    let dialog = app.telegram_dialog(&w.acme, 7002).await;
    let olga = app.sign_in("olga@acme.test").await;
    let question = first_message(&pool, dialog).await;

    let (status, reply) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", "Here it is"),
                ("mode", "message"),
                ("reply_to", &question.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["reply_to"]["id"], question);
    assert_eq!(reply["reply_to"]["snippet"], "Send me the price list");
    assert!(
        reply["reply_to"]["author_name"].is_null(),
        "the client wrote it"
    );
    // Telegram shows it as a reply to the client's message (its id there is 1).
    let sent = telegram_calls(&fake, "sendMessage", 1).await;
    assert_eq!(sent[0]["reply_parameters"]["message_id"], 1);

    // A message of another dialog, or of another account, cannot be quoted: nothing is
    // written.
    let before = count(&pool, "SELECT count(*) FROM messages").await;
    for other in [
        first_message(&pool, w.acme.dialog_olga).await,
        first_message(&pool, w.other.dialog_new).await,
        i64::MAX,
    ] {
        let (status, body) = olga
            .call(
                "send_message",
                &[
                    ("dialog_id", &dialog.to_string()),
                    ("text", "sneaky"),
                    ("mode", "message"),
                    ("reply_to", &other.to_string()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Validation"]["message"], "message.reply.unknown");
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM messages").await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_follows_the_messenger_and_the_role_and_keeps_the_message(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    let dialog = app.telegram_dialog(&w.acme, 7003).await;
    let olga = app.sign_in("olga@acme.test").await;
    let vera = app.sign_in("vera@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let stranger = app.sign_in("admin@other.test").await;
    let client_message = first_message(&pool, dialog).await;

    // Vera only views Sales: she sees the new dialog but may not delete from it.
    assert_eq!(delete(&vera, client_message).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        delete(&stranger, client_message).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(delete(&olga, i64::MAX).await.0, StatusCode::NOT_FOUND);

    let (status, sent) = send(&olga, dialog, "Sorry, wrong price", "message").await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let sent_id = sent["id"].as_i64().expect("an id");
    telegram_calls(&fake, "sendMessage", 1).await;
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {sent_id} AND external_id IS NOT NULL"),
        1,
    )
    .await;

    let (status, deleted) = delete(&olga, sent_id).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["deletion"]["by"], "olga");
    assert_eq!(deleted["body"], "Sorry, wrong price", "the message stays");
    // Deleted at the client's side too, by its Telegram id.
    let deletes = telegram_calls(&fake, "deleteMessage", 1).await;
    assert_eq!(deletes[0]["message_id"], 1001);
    // Not twice.
    let (status, body) = delete(&olga, sent_id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"]["message"], "message.delete.already");

    // The client's question came two years ago by Telegram's clock: past its 48 hours.
    let (status, body) = delete(&olga, client_message).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"]["message"], "message.delete.too_old");

    // Telegram refuses: the message stays deleted here, and the operator is told.
    let (_, second) = send(&olga, dialog, "And another one", "message").await;
    let second = second["id"].as_i64().expect("an id");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {second} AND external_id IS NOT NULL"),
        1,
    )
    .await;
    fake.fail_next([Failure::Blocked]);
    let (status, deleted) = delete(&olga, second).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE id = {second} AND delete_error IS NOT NULL"),
        1,
    )
    .await;
    let messages = messages_of(&olga, dialog).await;
    let kept = messages
        .iter()
        .find(|m| m["id"] == second)
        .expect("the second message");
    assert!(
        kept["deletion"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("blocked")),
        "{kept}"
    );

    // System messages are never deleted.
    let system: i64 = sqlx::query_scalar(
        "SELECT id FROM messages WHERE dialog_id = $1 AND kind = 'system' LIMIT 1",
    )
    .bind(dialog)
    .fetch_one(&pool)
    .await
    .expect("the accept's system message");
    let (status, body) = delete(&admin, system).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"]["message"], "message.delete.system");

    // Email cannot be unsent: refused with the reason, nothing changes.
    let email_message = first_message(&pool, w.acme.dialog_support).await;
    let (status, body) = delete(&admin, email_message).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["Validation"]["message"], "message.delete.email");
    assert_eq!(
        count(
            &pool,
            &format!(
                "SELECT count(*) FROM messages WHERE id = {email_message} AND deleted_at IS NULL"
            )
        )
        .await,
        1
    );

    // Notes: their author, or the dialog's manager; nothing goes to the messenger.
    let (_, note) = send(&olga, w.acme.dialog_new, "/internal remark", "message").await;
    let note_id = note["id"].as_i64().expect("a note");
    let (_, vera_note) = send(&vera, w.acme.dialog_new, "/vera's remark", "message").await;
    let vera_note = vera_note["id"].as_i64().expect("a note");
    assert_eq!(delete(&vera, note_id).await.0, StatusCode::FORBIDDEN);
    assert_eq!(delete(&vera, vera_note).await.0, StatusCode::OK);
    assert_eq!(delete(&admin, note_id).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(telegram_calls(&fake, "deleteMessage", 2).await.len(), 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn forwarding_copies_text_and_files_under_the_target_rules(pool: PgPool) {
    let w = world(&pool).await;
    let (app, fake) = TestApp::with_telegram(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let vera = app.sign_in("vera@acme.test").await;
    let source = first_message(&pool, w.acme.dialog_new).await;

    // To a Telegram client's dialog as a message: it goes to that client (and answering
    // a waiting dialog accepts it).
    let target = app.telegram_dialog(&w.acme, 7005).await;
    let (status, copy) = forward(&olga, source, target, "message").await;
    assert_eq!(status, StatusCode::OK, "{copy}");
    assert_eq!(copy["forwarded"], true);
    assert_eq!(copy["body"], "Hello, I have a question");
    assert_eq!(copy["dialog_id"], target);
    let sent = telegram_calls(&fake, "sendMessage", 1).await;
    assert_eq!(sent[0]["text"], "Hello, I have a question");

    // Vera may not write to clients: as a message refused, as a note allowed.
    assert_eq!(
        forward(&vera, source, w.acme.dialog_new, "message").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, note) = forward(&vera, source, w.acme.dialog_new, "note").await;
    assert_eq!(status, StatusCode::OK, "{note}");
    assert_eq!(note["kind"], "note");

    // A dialog she cannot see, another account's message, a system message: refused.
    assert_eq!(
        forward(&olga, source, w.acme.dialog_admin, "note").await.0,
        StatusCode::NOT_FOUND
    );
    let foreign = first_message(&pool, w.other.dialog_new).await;
    assert_eq!(
        forward(&olga, foreign, w.acme.dialog_olga, "note").await.0,
        StatusCode::NOT_FOUND
    );

    // Files go with it: a stored file of the source is shared by the copy.
    let (status, upload) = olga
        .upload("price.pdf", "application/pdf", b"%PDF-1.4 price")
        .await;
    assert_eq!(status, StatusCode::OK, "{upload}");
    let (status, with_file) = olga
        .call(
            "send_message",
            &[
                ("dialog_id", &w.acme.dialog_olga.to_string()),
                ("text", ""),
                ("mode", "note"),
                ("files[0]", &upload["id"].to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{with_file}");
    let (status, copy) = forward(
        &olga,
        with_file["id"].as_i64().expect("id"),
        w.acme.dialog_new,
        "note",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{copy}");
    assert_eq!(copy["attachments"][0]["file_name"], "price.pdf");
}

#[sqlx::test(migrations = "../migrations")]
async fn stars_fill_the_important_tab_within_what_each_user_sees(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let stranger = app.sign_in("admin@other.test").await;
    let mine = first_message(&pool, w.acme.dialog_olga).await;
    let admins = first_message(&pool, w.acme.dialog_admin).await;
    let (status, starred) = star(&olga, mine, true).await;
    assert_eq!(status, StatusCode::OK, "{starred}");
    assert_eq!(starred["important"], true);
    assert_eq!(star(&admin, admins, true).await.0, StatusCode::OK);
    // Olga cannot see the admin's dialog: not its star, not starring in it.
    assert_eq!(star(&olga, admins, false).await.0, StatusCode::NOT_FOUND);
    assert_eq!(important(&olga, None).await, vec![mine]);
    assert_eq!(important(&admin, None).await, vec![admins, mine]);
    assert_eq!(
        important(&admin, Some(w.acme.dialog_olga)).await,
        vec![mine]
    );
    let (status, _) = olga
        .call(
            "important_messages",
            &[("dialog", &w.acme.dialog_admin.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(important(&stranger, None).await.is_empty());
    assert_eq!(star(&stranger, mine, true).await.0, StatusCode::NOT_FOUND);

    // Who starred it is shown; taking the star off empties the tab.
    let (_, list) = admin.call("important_messages", &[]).await;
    assert_eq!(list[1]["starred_by"], "olga");
    assert_eq!(star(&olga, mine, false).await.0, StatusCode::OK);
    assert!(important(&olga, None).await.is_empty());
}
