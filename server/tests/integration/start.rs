//! Starting a dialog from our side (C7) and WhatsApp templates (E6), on the real app and
//! PostgreSQL against local fakes of the providers: the first message reaches the client in
//! the provider's protocol, the dialog is in work with its assignee, a client is one person
//! across our start and their reply, and bad input or missing rights change nothing.

use crate::common;
use crate::common::fake_whatsapp::FakeGraph;
use crate::common::fakes::FakeTelegram;
use crate::common::{TELEGRAM_TOKEN, TestApp, telegram_secret, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

const ACCESS_TOKEN: &str = "EAAG-test-access-token";
const PHONE_NUMBER_ID: &str = "1065550001";
const BUSINESS_ACCOUNT_ID: &str = "2065550002";

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A WhatsApp number with its business account on Acme's Sales line.
async fn whatsapp_channel(pool: &PgPool, w: &common::World) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, settings, credentials)
         VALUES ($1, $2, 'whatsapp', '+1 555 0100',
                 jsonb_build_object('phone_number_id', $3::text, 'business_account_id', $4::text),
                 jsonb_build_object('access_token', $5::text, 'app_secret', 's', 'verify_token', 'v'))
         RETURNING id",
    )
    .bind(w.acme.id)
    .bind(w.acme.line_sales)
    .bind(PHONE_NUMBER_ID)
    .bind(BUSINESS_ACCOUNT_ID)
    .bind(ACCESS_TOKEN)
    .fetch_one(pool)
    .await
    .expect("whatsapp channel")
}

fn meta_templates() -> Vec<Value> {
    vec![
        json!({"name": "order_ready", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
               "components": [{"type": "HEADER", "format": "TEXT", "text": "Order"},
                              {"type": "BODY", "text": "Hi {{1}}, your order {{2}} is ready."}]}),
        json!({"name": "hello", "language": "ru", "status": "APPROVED", "category": "MARKETING",
               "components": [{"type": "BODY", "text": "Здравствуйте! Чем помочь?"}]}),
        json!({"name": "draft_offer", "language": "en_US", "status": "PENDING", "category": "MARKETING",
               "components": [{"type": "BODY", "text": "Soon {{1}}"}]}),
    ]
}

/// Acme with a WhatsApp channel on Sales whose business account lists `templates`, and the
/// app talking to that fake Graph.
async fn whatsapp_world(
    pool: &PgPool,
    templates: Vec<Value>,
) -> (common::World, FakeGraph, TestApp, i64) {
    let w = world(pool).await;
    let fake = FakeGraph::start(ACCESS_TOKEN).await;
    fake.set_templates(templates);
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.whatsapp_graph_base = base).await;
    let channel = whatsapp_channel(pool, &w).await;
    (w, fake, app, channel)
}

/// What Meta received, once the dialog's one message is marked sent.
async fn sent_once(app: &TestApp, fake: &FakeGraph, dialog: i64) -> Vec<Value> {
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE dialog_id = {dialog} AND delivery = 'sent'"),
        1,
    )
    .await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    sent
}

/// Form fields of `start_dialog` (leptos' url-encoded arguments).
fn start_args(fields: &[(&str, String)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (format!("input[{k}]"), v.clone()))
        .collect()
}

async fn start(session: &common::Session, fields: &[(&str, String)]) -> (StatusCode, Value) {
    let args = start_args(fields);
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    session.call("start_dialog", &refs).await
}

/// Refreshes a channel's templates through the job the UI queues, and waits for them.
async fn synced_templates(app: &TestApp, session: &common::Session, channel: i64, want: i64) {
    let (status, body) = session
        .call("refresh_templates", &[("channel_id", &channel.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_for(
        &format!("SELECT count(*) FROM message_templates WHERE channel_id = {channel}"),
        want,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_whatsapp_dialog_starts_with_an_approved_template_and_the_reply_joins_it(pool: PgPool) {
    let (w, fake, app, channel) = whatsapp_world(&pool, meta_templates()).await;
    let olga = app.sign_in("olga@acme.test").await;

    // Every page of Meta's list is read (two a page here); only approved ones are offered.
    synced_templates(&app, &olga, channel, 3).await;
    let (status, options) = olga.call("start_options", &[]).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let sales = options["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["id"] == w.acme.line_sales)
        .expect("olga may start dialogs on Sales");
    let wa = sales["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["id"] == channel)
        .expect("the WhatsApp channel is offered");
    assert_eq!(wa["recipient"], "Phone");
    let names: Vec<&str> = wa["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, vec!["hello", "order_ready"]);
    let order_ready = wa["templates"][1].clone();
    assert_eq!(order_ready["variables"], 2);
    assert!(
        options["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["id"] != w.acme.line_support),
        "olga has no rights on Support: {options}"
    );

    // A missing variable is refused before anything is stored.
    let template_id = order_ready["id"].as_i64().expect("id").to_string();
    let base_fields = |phone: &str| {
        vec![
            ("line_id", w.acme.line_sales.to_string()),
            ("channel_id", channel.to_string()),
            ("recipient", phone.to_owned()),
            ("template][template_id", template_id.clone()),
            ("template][variables][0", "Anna".to_owned()),
        ]
    };
    let (status, body) = start(&olga, &base_fields("+7 916 123-45-67")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM clients WHERE phone = '+79161234567'"
        )
        .await,
        0
    );

    let mut fields = base_fields("8 (916) 123-45-67");
    fields.push(("template][variables][1", " #1042 ".to_owned()));
    let (status, dialog) = start(&olga, &fields).await;
    assert_eq!(status, StatusCode::OK, "{dialog}");
    let dialog = dialog.as_i64().expect("the dialog id");

    let sent = sent_once(&app, &fake, dialog).await;
    assert_eq!(
        sent[0],
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "79161234567",
               "type": "template", "template": {"name": "order_ready", "language": {"code": "en_US"},
               "components": [{"type": "body", "parameters": [{"type": "text", "text": "Anna"},
                                                              {"type": "text", "text": "#1042"}]}]}})
    );
    let (status_text, assignee, body): (String, Option<i64>, String) = sqlx::query_as(
        "SELECT d.status::text, d.assignee_id, m.body FROM dialogs d
           JOIN messages m ON m.dialog_id = d.id WHERE d.id = $1",
    )
    .bind(dialog)
    .fetch_one(&pool)
    .await
    .expect("dialog");
    assert_eq!(status_text, "in_work");
    assert!(assignee.is_some());
    // The header goes above the body in the chat, as the client sees it.
    assert_eq!(body, "Order\nHi Anna, your order #1042 is ready.");
    let olga_id = count(&pool, "SELECT id FROM users WHERE email = 'olga@acme.test'").await;
    assert_eq!(assignee, Some(olga_id));
    assert_eq!(
        count(&pool, &format!("SELECT count(*) FROM dialog_participants WHERE dialog_id = {dialog} AND user_id = {olga_id}")).await,
        2,
        "olga is the assignee and the initiator"
    );

    // The client's answer arrives by webhook into the same dialog: one person, one client.
    let reply = json!({"object": "whatsapp_business_account", "entry": [{"id": BUSINESS_ACCOUNT_ID, "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550100", "phone_number_id": PHONE_NUMBER_ID},
                  "contacts": [{"profile": {"name": "Anna"}, "wa_id": "79161234567"}],
                  "messages": [{"from": "79161234567", "id": "wamid.ANSWER", "timestamp": "1700000000", "type": "text", "text": {"body": "Thanks!"}}]}}]}]});
    let raw = reply.to_string();
    let signature = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s").expect("key");
        mac.update(raw.as_bytes());
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    };
    let response = common::http()
        .post(app.url(&format!("/webhooks/whatsapp/{channel}")))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(raw)
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        count(
            &pool,
            &format!("SELECT count(*) FROM messages WHERE dialog_id = {dialog}")
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM clients WHERE phone = '+79161234567'"
        )
        .await,
        1
    );

    // Starting again with the same number writes into the active dialog (D2).
    let mut again = base_fields("+79161234567");
    again.push(("template][variables][1", "#1043".to_owned()));
    let (status, same) = start(&olga, &again).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same.as_i64(), Some(dialog));

    // Inside an open dialog the "#" bar sends a template too.
    let (status, offered) = olga
        .call("dialog_templates", &[("dialog_id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{offered}");
    assert_eq!(offered.as_array().map(Vec::len), Some(2));
    let hello = offered[0]["id"].as_i64().expect("id").to_string();
    let (status, message) = olga
        .call(
            "send_template",
            &[
                ("dialog_id", &dialog.to_string()),
                ("choice[template_id]", &hello),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["body"], "Здравствуйте! Чем помочь?");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE dialog_id = {dialog} AND delivery = 'sent'"),
        3,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_template_with_a_media_header_and_buttons_sends_their_values(pool: PgPool) {
    let templates = vec![
        json!({"name": "shipped", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
               "components": [
                   {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://scontent.test/x"]}},
                   {"type": "BODY", "text": "Hi {{1}}, it is on its way."},
                   {"type": "BUTTONS", "buttons": [
                       {"type": "QUICK_REPLY", "text": "Stop"},
                       {"type": "URL", "text": "Track", "url": "https://track.test/{{1}}"},
                       {"type": "COPY_CODE", "example": "SPRING"}]}]}),
        json!({"name": "where", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
               "components": [{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "We are here"}]}),
    ];
    let (w, fake, app, channel) = whatsapp_world(&pool, templates).await;
    let olga = app.sign_in("olga@acme.test").await;
    synced_templates(&app, &olga, channel, 2).await;

    let (status, offered) = olga.call("start_options", &[]).await;
    assert_eq!(status, StatusCode::OK, "{offered}");
    let templates = offered["lines"]
        .as_array()
        .and_then(|lines| lines.iter().find(|l| l["id"] == w.acme.line_sales))
        .and_then(|l| l["channels"].as_array())
        .and_then(|cs| cs.iter().find(|c| c["id"] == channel))
        .map(|c| c["templates"].clone())
        .expect("the channel's templates");
    let shipped = templates[0].clone();
    assert_eq!(shipped["name"], "shipped");
    assert_eq!(shipped["parts"]["header"], json!({"format": "image"}));
    assert_eq!(shipped["parts"]["buttons"][0]["kind"], "url");
    assert_eq!(shipped["parts"]["buttons"][1]["kind"], "copy_code");
    assert_eq!(templates[1]["parts"]["unsupported"], "location header");
    let id = |t: &Value| t["id"].as_i64().expect("id").to_string();

    // Each missing or bad value is refused with the field it belongs to; nothing is stored.
    let attempt = |template: String, header: Option<&str>, buttons: &[&str]| {
        let mut fields = vec![
            ("line_id", w.acme.line_sales.to_string()),
            ("channel_id", channel.to_string()),
            ("recipient", "+7 916 555-00-11".to_owned()),
            ("template][template_id", template),
            ("template][variables][0", "Anna".to_owned()),
        ];
        if let Some(header) = header {
            fields.push(("template][header", header.to_owned()));
        }
        for (i, b) in buttons.iter().enumerate() {
            let key: &'static str = ["template][buttons][0", "template][buttons][1"][i];
            fields.push((key, (*b).to_owned()));
        }
        fields
    };
    for (fields, error) in [
        (
            attempt(id(&shipped), None, &["A-1", "SPRING"]),
            "template.error.header",
        ),
        (
            attempt(
                id(&shipped),
                Some("http://cdn.test/p.jpg"),
                &["A-1", "SPRING"],
            ),
            "template.error.link",
        ),
        (
            attempt(id(&shipped), Some("https://cdn.test/p.jpg"), &["A-1"]),
            "template.error.button",
        ),
        (
            attempt(id(&templates[1]), None, &[]),
            "template.error.unsupported",
        ),
    ] {
        let (status, body) = start(&olga, &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.to_string().contains(error), "{error}: {body}");
    }
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM clients WHERE phone = '+79165550011'"
        )
        .await,
        0
    );

    // Through the REST API, as a bot builder would: the header and buttons reach WhatsApp.
    let (token, hash) = server::api_v1::new_token();
    app::store::api_tokens::create(&pool, "olga@acme.test", "test", &hash)
        .await
        .expect("storing a token")
        .expect("olga exists");
    let listed: Value = common::http()
        .get(app.url(&format!("/api/v1/channels/{channel}/templates")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("REST call")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["data"][0]["id"], shipped["id"]);
    assert_eq!(
        listed["data"][0]["header"],
        json!({"format": "image", "text": null, "takes_value": true})
    );
    assert_eq!(
        listed["data"][0]["buttons"],
        json!([{"kind": "url", "text": "Track", "url": "https://track.test/{{1}}"},
               {"kind": "copy_code", "text": "", "url": ""}])
    );
    assert_eq!(listed["data"][1]["unsupported"], "location header");
    // A channel of another account, or none, is not found.
    let foreign: i64 = sqlx::query_scalar("SELECT id FROM channels WHERE account_id = $1 LIMIT 1")
        .bind(w.other.id)
        .fetch_one(&pool)
        .await
        .expect("another account's channel");
    for missing in [foreign, 0] {
        let response = common::http()
            .get(app.url(&format!("/api/v1/channels/{missing}/templates")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("REST call");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let response = common::http()
        .post(app.url("/api/v1/dialogs"))
        .bearer_auth(&token)
        .json(&json!({
            "line_id": w.acme.line_sales, "channel_id": channel, "recipient": "+7 916 555-00-11",
            "template": {"template_id": shipped["id"], "variables": ["Anna"],
                         "header": " https://cdn.test/parcel.jpg ", "buttons": ["A-1042", "SPRING"]}
        }))
        .send()
        .await
        .expect("REST call");
    let status = response.status();
    let dialog: Value = response.json().await.expect("JSON");
    assert_eq!(status, StatusCode::CREATED, "{dialog}");
    let dialog = dialog["id"].as_i64().expect("dialog id");
    let sent = sent_once(&app, &fake, dialog).await;
    assert_eq!(
        sent[0]["template"],
        json!({"name": "shipped", "language": {"code": "en_US"}, "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.test/parcel.jpg"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Anna"}]},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "A-1042"}]},
            {"type": "button", "sub_type": "copy_code", "index": "2",
             "parameters": [{"type": "coupon_code", "coupon_code": "SPRING"}]}]})
    );
    let body: String = sqlx::query_scalar("SELECT body FROM messages WHERE dialog_id = $1")
        .bind(dialog)
        .fetch_one(&pool)
        .await
        .expect("the message");
    assert_eq!(
        body,
        "https://cdn.test/parcel.jpg\nHi Anna, it is on its way."
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn templates_of_another_channel_or_account_and_free_form_templates_are_refused(pool: PgPool) {
    let (w, fake, app, channel) = whatsapp_world(&pool, meta_templates()).await;
    let admin = app.sign_in("admin@acme.test").await;
    synced_templates(&app, &admin, channel, 3).await;
    let pending = count(
        &pool,
        "SELECT id FROM message_templates WHERE name = 'draft_offer'",
    )
    .await;
    let approved = count(
        &pool,
        "SELECT id FROM message_templates WHERE name = 'hello'",
    )
    .await;

    // A template not approved yet cannot be sent.
    let (status, body) = start(
        &admin,
        &[
            ("line_id", w.acme.line_sales.to_string()),
            ("channel_id", channel.to_string()),
            ("recipient", "+79161234567".into()),
            ("template][template_id", pending.to_string()),
            ("template][variables][0", "x".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A WhatsApp template in a Telegram dialog: refused.
    let (status, body) = admin
        .call(
            "send_template",
            &[
                ("dialog_id", &w.acme.dialog_admin.to_string()),
                ("choice[template_id]", &approved.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Another account cannot refresh or see this channel's templates.
    let stranger = app.sign_in("admin@other.test").await;
    let (status, _) = stranger
        .call("refresh_templates", &[("channel_id", &channel.to_string())])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = start(
        &stranger,
        &[
            ("line_id", w.other.line_sales.to_string()),
            ("channel_id", channel.to_string()),
            ("recipient", "+79161234567".into()),
            ("text", "hi".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox").await, 0);
    assert!(fake.sent().is_empty());

    // Meta removing a template removes it here; the others keep their ids.
    fake.set_templates(meta_templates().into_iter().skip(1).collect());
    synced_templates(&app, &admin, channel, 2).await;
    assert_eq!(
        count(
            &pool,
            "SELECT id FROM message_templates WHERE name = 'hello'"
        )
        .await,
        approved
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_telegram_dialog_starts_by_username_or_chat_id_of_someone_who_wrote_to_the_bot(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let fake = FakeTelegram::start(TELEGRAM_TOKEN).await;
    let base = fake.base();
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.telegram_api_base = base).await;
    let admin = app.sign_in("admin@acme.test").await;
    let secret = telegram_secret(&w.acme);
    let update = json!({"update_id": 7, "message": {"message_id": 70, "date": 1_700_000_000,
        "from": {"id": 7070, "is_bot": false, "first_name": "Nina", "username": "nina_k"},
        "chat": {"id": 7070, "type": "private", "first_name": "Nina", "username": "nina_k"},
        "text": "hello"}});
    let (status, body) = app
        .telegram_webhook(w.acme.channel_tg, Some(&secret), &update)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Close her dialog: starting again opens a new one.
    sqlx::query("UPDATE dialogs SET status = 'closed' WHERE client_id = (SELECT client_id FROM client_identities WHERE external_id = '7070')")
        .execute(&pool)
        .await
        .expect("close");
    let olga = count(&pool, "SELECT id FROM users WHERE email = 'olga@acme.test'").await;

    let fields = |who: &str| {
        vec![
            ("line_id", w.acme.line_sales.to_string()),
            ("channel_id", w.acme.channel_tg.to_string()),
            ("assignee_id", olga.to_string()),
            ("recipient", who.to_owned()),
            ("text", "Your order has shipped 🚚".to_owned()),
        ]
    };
    let (status, dialog) = start(&admin, &fields("@Nina_K")).await;
    assert_eq!(status, StatusCode::OK, "{dialog}");
    let dialog = dialog.as_i64().expect("id");
    app.wait_for(
        &format!("SELECT count(*) FROM messages WHERE dialog_id = {dialog} AND delivery = 'sent'"),
        1,
    )
    .await;
    let sent = fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.accepted)
        .collect::<Vec<_>>();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["chat_id"], json!(7070));
    assert_eq!(sent[0].body["text"], "Your order has shipped 🚚");
    let (assignee, number): (Option<i64>, i64) =
        sqlx::query_as("SELECT assignee_id, number FROM dialogs WHERE id = $1")
            .bind(dialog)
            .fetch_one(&pool)
            .await
            .expect("dialog");
    assert_eq!(assignee, Some(olga), "assigned to the chosen user");
    assert!(number > 6, "a new dialog with the account's next number");
    // Olga, the assignee, sees it.
    let olga_session = app.sign_in("olga@acme.test").await;
    let (status, _) = olga_session
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);

    // Nobody called @stranger_x wrote to the bot: a bot cannot write first.
    let dialogs = "SELECT count(*) FROM dialogs";
    let before = count(&pool, dialogs).await;
    let (status, body) = start(&admin, &fields("@stranger_x")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("telegram_unknown"), "{body}");
    // A phone number is not a Telegram address.
    let (status, body) = start(&admin, &fields("+7 916 000-00-00")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        count(&pool, dialogs).await,
        before,
        "nothing opened by refused starts"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_email_dialog_needs_a_subject_that_later_replies_answer(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let admin = app.sign_in("admin@acme.test").await;
    let fields = |subject: Option<&str>, to: &str| {
        let mut f = vec![
            ("line_id", w.acme.line_support.to_string()),
            ("channel_id", w.acme.channel_email.to_string()),
            ("recipient", to.to_owned()),
            ("text", "We have your refund ready.".to_owned()),
        ];
        if let Some(s) = subject {
            f.push(("subject", s.to_owned()));
        }
        f
    };
    let (status, body) = start(&admin, &fields(None, "anna@example.com")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("subject"), "{body}");
    let (status, body) = start(
        &admin,
        &fields(Some("Refund\r\nBcc: x@evil.test"), "anna@example.com"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "header injection: {body}"
    );
    let (status, body) = start(&admin, &fields(Some("Refund"), "anna@example")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("recipient"), "{body}");

    let (status, dialog) = start(
        &admin,
        &fields(Some("Your refund #77"), " Anna@Example.com "),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dialog}");
    let dialog = dialog.as_i64().expect("id");
    let (status, reply) = admin
        .call(
            "send_message",
            &[
                ("dialog_id", &dialog.to_string()),
                ("text", "One more thing"),
                ("mode", "message"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    // What the delivery worker hands the email adapter: the first email's own subject, and
    // "Re: …" for the next one.
    let mut claimed = app::store::outbox::claim(&pool, 10, std::time::Duration::from_secs(30))
        .await
        .expect("claim");
    claimed.retain(|d| d.dialog_id.0 == dialog);
    assert_eq!(claimed.len(), 1, "one message of a dialog at a time");
    assert_eq!(claimed[0].subject.as_deref(), Some("Your refund #77"));
    assert_eq!(
        claimed[0].chat_external_id.as_deref(),
        Some("anna@example.com")
    );
    sqlx::query("DELETE FROM outbox WHERE message_id = $1")
        .bind(claimed[0].message_id)
        .execute(&pool)
        .await
        .expect("done");
    let next = app::store::outbox::claim(&pool, 10, std::time::Duration::from_secs(30))
        .await
        .expect("claim");
    let next = next
        .iter()
        .find(|d| d.dialog_id.0 == dialog)
        .expect("the reply");
    assert_eq!(next.subject, None);
    assert_eq!(next.thread_subject.as_deref(), Some("Your refund #77"));
    assert_eq!(
        server::channels::email::reply_subject("Your refund #77"),
        "Re: Your refund #77"
    );
    let client_email: String = sqlx::query_scalar(
        "SELECT c.email FROM clients c JOIN dialogs d ON d.client_id = c.id WHERE d.id = $1",
    )
    .bind(dialog)
    .fetch_one(&pool)
    .await
    .expect("client");
    assert_eq!(client_email, "anna@example.com");
}

#[sqlx::test(migrations = "../migrations")]
async fn only_users_who_may_send_on_the_line_start_dialogs_and_nothing_is_left_behind(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let before = count(&pool, "SELECT count(*) FROM dialogs").await;
    let clients_before = count(&pool, "SELECT count(*) FROM clients").await;
    let fields = |line: i64, channel: i64, assignee: Option<i64>| {
        let mut f = vec![
            ("line_id", line.to_string()),
            ("channel_id", channel.to_string()),
            ("recipient", "123456".to_owned()),
            ("text", "Hello".to_owned()),
        ];
        if let Some(a) = assignee {
            f.push(("assignee_id", a.to_string()));
        }
        f
    };
    // Vera may only view Sales; Pavel has no lines at all.
    let vera = app.sign_in("vera@acme.test").await;
    let (status, _) = start(&vera, &fields(w.acme.line_sales, w.acme.channel_tg, None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let pavel = app.sign_in("pavel@acme.test").await;
    let (status, _) = start(&pavel, &fields(w.acme.line_sales, w.acme.channel_tg, None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, options) = pavel.call("start_options", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(options["lines"], json!([]));

    let admin = app.sign_in("admin@acme.test").await;
    // The channel must be on the chosen line.
    let (status, body) = start(
        &admin,
        &fields(w.acme.line_support, w.acme.channel_tg, None),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Another account's channel, line or user: unknown here.
    let (status, _) = start(&admin, &fields(w.acme.line_sales, w.other.channel_tg, None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = start(
        &admin,
        &fields(w.other.line_sales, w.other.channel_tg, None),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other_admin = count(
        &pool,
        "SELECT id FROM users WHERE email = 'admin@other.test'",
    )
    .await;
    let (status, body) = start(
        &admin,
        &fields(w.acme.line_sales, w.acme.channel_tg, Some(other_admin)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // An empty first message.
    let mut empty = fields(w.acme.line_sales, w.acme.channel_tg, None);
    empty[3].1 = "   ".into();
    let (status, _) = start(&admin, &empty).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A switched-off channel.
    sqlx::query("UPDATE channels SET enabled = false WHERE id = $1")
        .bind(w.acme.channel_tg)
        .execute(&pool)
        .await
        .expect("off");
    let (status, _) = start(&admin, &fields(w.acme.line_sales, w.acme.channel_tg, None)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(count(&pool, "SELECT count(*) FROM dialogs").await, before);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM clients").await,
        clients_before
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM outbox").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_operator_starting_while_the_client_writes_makes_one_client_and_one_dialog(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let admin = app.sign_in("admin@acme.test").await;
    let secret = telegram_secret(&w.acme);
    for round in 0..10i64 {
        let chat = 90_000 + round;
        let fields = vec![
            ("line_id", w.acme.line_sales.to_string()),
            ("channel_id", w.acme.channel_tg.to_string()),
            ("recipient", chat.to_string()),
            ("text", "Hi from us".to_owned()),
        ];
        let update = common::telegram_text(100 + round, chat, 1, "Racer", "Hi from me");
        let (ours, theirs) = tokio::join!(
            start(&admin, &fields),
            app.telegram_webhook(w.acme.channel_tg, Some(&secret), &update)
        );
        assert_eq!(ours.0, StatusCode::OK, "{}", ours.1);
        assert_eq!(theirs.0, StatusCode::OK, "{}", theirs.1);
        let sql = format!(
            "SELECT count(DISTINCT d.id) FROM dialogs d JOIN client_identities i ON i.client_id = d.client_id
              WHERE i.external_id = '{chat}' AND d.channel_id = {}",
            w.acme.channel_tg
        );
        assert_eq!(count(&pool, &sql).await, 1, "round {round}");
        assert_eq!(
            count(
                &pool,
                &format!("SELECT count(*) FROM client_identities WHERE external_id = '{chat}'")
            )
            .await,
            1
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn meta_telling_a_template_was_reviewed_refreshes_the_templates(pool: PgPool) {
    let (_, fake, app, channel) = whatsapp_world(&pool, meta_templates()).await;

    // Meta posts the review of a template to the channel's webhook, signed as always.
    let review = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": BUSINESS_ACCOUNT_ID, "changes": [{
            "field": "message_template_status_update",
            "value": { "event": "REJECTED", "message_template_id": 1,
                       "message_template_name": "order_ready", "message_template_language": "en_US" } }] }]
    })
    .to_string();
    let post = |secret: &'static [u8]| {
        common::http()
            .post(app.url(&format!("/webhooks/whatsapp/{channel}")))
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                server::channels::api::signature(secret, review.as_bytes()),
            )
            .body(review.clone())
            .send()
    };
    let templates = format!("SELECT count(*) FROM message_templates WHERE channel_id = {channel}");
    let signed = post(b"s").await.expect("post");
    assert_eq!(signed.status(), StatusCode::OK);
    app.wait_for(&templates, 3).await;
    // Nothing else is queued (the hourly refresh is an hour away).
    app.wait_for("SELECT count(*) FROM jobs WHERE kind = 'sync_templates'", 0)
        .await;

    // Meta rejected one: a forged notice changes nothing, Meta's own takes it off the list.
    fake.set_templates(meta_templates().into_iter().skip(1).collect());
    let forged = post(b"not-the-secret").await.expect("post");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(count(&pool, &templates).await, 3);
    let signed = post(b"s").await.expect("post");
    assert_eq!(signed.status(), StatusCode::OK);
    app.wait_for(&templates, 2).await;
}
