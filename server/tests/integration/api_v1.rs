//! The REST API under /api/v1 on the real app and PostgreSQL: bearer tokens, the same
//! rights as the web app, clients with custom fields, messages through the web app's write
//! path, keyset pagination, clear errors, signed and retried outbound webhooks, the OpenAPI
//! document, and `dialogs create-token`.

use crate::common;
use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::fakes::{Failure, FakeReceiver};
use crate::common::{TestApp, http, world};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

/// A bot holding one API token.
struct Api {
    base: String,
    token: String,
}

impl Api {
    fn new(app: &TestApp, token: &str) -> Api {
        Api {
            base: app.url("/api/v1"),
            token: token.to_owned(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let mut request = http()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request.send().await.expect("calling the API")).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(&body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(&body)).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Posts a raw body as JSON.
    async fn post_raw(&self, path: &str, raw: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let response = http()
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("calling the API");
        answer(response).await
    }
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// A fresh token of the user with this email, stored as `dialogs create-token` stores it.
async fn token_for(pool: &PgPool, email: &str) -> String {
    let (token, hash) = server::api_v1::new_token();
    app::store::api_tokens::create(pool, email, "test", &hash)
        .await
        .expect("storing a token")
        .expect("the user exists");
    token
}

async fn api(app: &TestApp, email: &str) -> Api {
    Api::new(app, &token_for(&app.pool, email).await)
}

fn ids_of(list: &Value) -> Vec<i64> {
    list["data"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort();
    v
}

async fn count(pool: &PgPool, sql: &str, bind: i64) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(bind)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[sqlx::test(migrations = "../migrations")]
async fn missing_wrong_and_revoked_tokens_get_401_and_a_valid_one_gets_in(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;

    let response = http()
        .get(app.url("/api/v1/lines"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer"))
    );
    let (_, body) = answer(response).await;
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Bearer")
    );

    let (status, body) = Api::new(&app, "dlg_not-a-real-token").get("/lines").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let basic = http()
        .get(app.url("/api/v1/lines"))
        .header("authorization", "Basic YWRtaW46eA==")
        .send()
        .await
        .expect("GET");
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    // A signed-in browser's cookie is not a token.
    let session = app.sign_in("admin@acme.test").await;
    assert_eq!(
        session.get("/api/v1/lines").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let admin = api(&app, "admin@acme.test").await;
    let (status, body) = admin.get("/lines").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL AND token_hash = $1",
    )
    .bind(app::auth::session::token_hash(&admin.token))
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(stored, 1, "the use is recorded on the token");

    let revoked = app::store::api_tokens::revoke(&pool, "admin@acme.test", None)
        .await
        .expect("revoke");
    assert_eq!(revoked, 1);
    let (status, body) = admin.get("/lines").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");

    // A deactivated user's token stops working too.
    let olga = api(&app, "olga@acme.test").await;
    assert_eq!(olga.get("/lines").await.0, StatusCode::OK);
    sqlx::query("UPDATE users SET active = false WHERE email = 'olga@acme.test'")
        .execute(&pool)
        .await
        .expect("deactivate");
    assert_eq!(olga.get("/lines").await.0, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_has_its_users_rights_and_foreign_ids_are_404(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let (admin, olga, vera, pavel) = (
        api(&app, "admin@acme.test").await,
        api(&app, "olga@acme.test").await,
        api(&app, "vera@acme.test").await,
        api(&app, "pavel@acme.test").await,
    );
    let a = &w.acme;

    let (status, all) = admin.get("/dialogs").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        sorted(ids_of(&all)),
        sorted(vec![
            a.dialog_new,
            a.dialog_olga,
            a.dialog_admin,
            a.dialog_support,
            a.dialog_closed
        ])
    );

    // Olga works on Sales: its queue, her own dialogs, its closed ones; not the admin's
    // dialog and nothing of Support.
    let (_, mine) = olga.get("/dialogs").await;
    assert_eq!(
        sorted(ids_of(&mine)),
        sorted(vec![a.dialog_new, a.dialog_olga, a.dialog_closed])
    );
    let (status, not_found) = olga.get(&format!("/dialogs/{}", a.dialog_support)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(not_found["error"]["code"], "not_found");
    let (unknown_status, unknown) = olga.get("/dialogs/999999999").await;
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    let (foreign_status, foreign) = olga.get(&format!("/dialogs/{}", w.other.dialog_new)).await;
    assert_eq!(foreign_status, StatusCode::NOT_FOUND);
    assert_eq!(
        foreign, unknown,
        "another account's id answers like an unknown one"
    );
    assert_eq!(not_found, unknown);
    assert_eq!(
        olga.get(&format!("/dialogs/{}", a.dialog_admin)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        olga.get(&format!("/dialogs/{}/messages", a.dialog_support))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = olga
        .post(
            &format!("/dialogs/{}/messages", a.dialog_support),
            json!({"text": "hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(olga.get("/dialogs/abc").await.0, StatusCode::NOT_FOUND);

    let (status, detail) = olga.get(&format!("/dialogs/{}", a.dialog_olga)).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["status"], "in_work");
    assert_eq!(detail["can_send"], true);
    assert_eq!(detail["line_id"], a.line_sales);
    assert_eq!(detail["channel_kind"], "telegram");

    // Pavel has no lines: no dialogs, no lines, no channels.
    let (_, none) = pavel.get("/dialogs").await;
    assert_eq!(ids_of(&none), Vec::<i64>::new());
    assert_eq!(ids_of(&pavel.get("/lines").await.1), Vec::<i64>::new());
    assert_eq!(ids_of(&pavel.get("/channels").await.1), Vec::<i64>::new());

    let (_, lines) = olga.get("/lines").await;
    assert_eq!(ids_of(&lines), vec![a.line_sales]);
    assert_eq!(lines["data"][0]["can_send"], true);
    let (_, lines) = vera.get("/lines").await;
    assert_eq!(lines["data"][0]["can_send"], false);
    assert_eq!(
        sorted(ids_of(&admin.get("/lines").await.1)),
        sorted(vec![a.line_sales, a.line_support])
    );
    let (_, channels) = olga.get("/channels").await;
    assert_eq!(ids_of(&channels), vec![a.channel_tg]);
    let channel = &channels["data"][0];
    assert_eq!(channel["kind"], "telegram");
    assert_eq!(channel["line_id"], a.line_sales);
    assert!(channel.get("credentials").is_none() && channel.get("settings").is_none());
    assert!(
        !channels.to_string().contains("TEST-TOKEN"),
        "no secret leaks: {channels}"
    );

    // Vera may view Sales but not send: a message is refused, a note is taken.
    let path = format!("/dialogs/{}/messages", a.dialog_new);
    let (status, body) = vera.post(&path, json!({"text": "Hello"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, note) = vera
        .post(&path, json!({"text": "Call back at 5", "kind": "note"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["kind"], "note");
    assert_eq!(note["direction"], "internal");
    assert_eq!(note["author_name"], "vera");

    // Nobody sends into a closed dialog.
    let (status, _) = admin
        .post(
            &format!("/dialogs/{}/messages", a.dialog_closed),
            json!({"text": "late"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another account's admin finds none of Acme's clients or dialogs.
    let other = api(&app, "admin@other.test").await;
    let (status, foreign_client) = other.get(&format!("/clients/{}", a.client)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(foreign_client, unknown);
    assert!(!ids_of(&other.get("/dialogs").await.1).contains(&a.dialog_new));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bot_creates_finds_and_updates_a_client_with_merged_custom_fields(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = api(&app, "olga@acme.test").await;

    let (status, client) = olga
        .post(
            "/clients",
            json!({
                "name": "  Maria Ivanova ",
                "phone": "8 (916) 123-45-67",
                "email": "Maria@Example.COM",
                "custom_fields": {"city": "Kazan", "order": {"id": 7, "paid": false}, "vip": true}
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{client}");
    let id = client["id"].as_i64().expect("id");
    assert_eq!(client["name"], "Maria Ivanova");
    assert_eq!(client["phone"], "+79161234567");
    assert_eq!(client["email"], "maria@example.com");
    assert_eq!(client["custom_fields"]["order"]["id"], 7);

    // Found by the phone however it is written, and by the email in any case.
    for phone in ["+7 916 123-45-67", "79161234567"] {
        let (status, found) = olga
            .get(&format!("/clients?phone={}", urlencode(phone)))
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(ids_of(&found), vec![id], "{phone}");
    }
    let (_, found) = olga.get("/clients?email=MARIA%40example.com").await;
    assert_eq!(ids_of(&found), vec![id]);
    let (_, found) = olga.get("/clients?query=ivanov").await;
    assert_eq!(ids_of(&found), vec![id]);
    let (_, found) = olga.get("/clients?query=nobody-like-this").await;
    assert_eq!(ids_of(&found), Vec::<i64>::new());

    // The same person twice is refused, naming the field.
    let (status, body) = olga
        .post(
            "/clients",
            json!({"name": "Maria again", "phone": "+79161234567"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["field"], "phone");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&id.to_string())
    );

    // Merge: set one key, change another, remove one with null; the rest stays.
    let (status, updated) = olga
        .patch(
            &format!("/clients/{id}"),
            json!({
                "custom_fields": {"order": {"id": 8}, "vip": null, "source": "bot"},
                "marketing_consent": true,
                "email": null
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        updated["custom_fields"],
        json!({"city": "Kazan", "order": {"id": 8}, "source": "bot"})
    );
    assert_eq!(updated["name"], "Maria Ivanova", "absent fields stay");
    assert_eq!(updated["phone"], "+79161234567");
    assert_eq!(updated["email"], Value::Null, "null clears");
    assert_eq!(updated["marketing_consent"], true);
    let (_, again) = olga.get(&format!("/clients/{id}")).await;
    assert_eq!(again, updated, "stored as answered");

    let (status, body) = olga
        .patch(&format!("/clients/{id}"), json!({"phone": "12"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "phone");
    let (status, body) = olga
        .patch(&format!("/clients/{id}"), json!({"nmae": "typo"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nmae")
    );
    let (status, body) = olga
        .patch(
            &format!("/clients/{}", w.other.client),
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = olga.post("/clients", json!({"custom_fields": {}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "name");

    // Changing the phone to another client's is a conflict too.
    let (status, second) = olga
        .post("/clients", json!({"phone": "+44 20 7946 0958"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["name"], "+442079460958", "named by the phone");
    let (status, body) = olga
        .patch(
            &format!("/clients/{}", second["id"]),
            json!({"phone": "8 916 123 45 67"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Keyset pages of clients: newest first, no overlap.
    let (_, page) = olga.get("/clients?limit=2").await;
    assert_eq!(ids_of(&page).len(), 2);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, rest) = olga
        .get(&format!("/clients?limit=200&cursor={cursor}"))
        .await;
    let mut seen = ids_of(&page);
    seen.extend(ids_of(&rest));
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len());
    let total = count(
        &pool,
        "SELECT count(*) FROM clients WHERE account_id = $1",
        w.acme.id,
    )
    .await;
    assert_eq!(seen.len() as i64, total);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_message_sent_through_the_api_is_stored_with_its_outbox_row(pool: PgPool) {
    let w = world(&pool).await;
    // No workers: the outbox row stays for the test to see.
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let olga = api(&app, "olga@acme.test").await;
    let path = format!("/dialogs/{}/messages", w.acme.dialog_olga);

    // From a page of another site, with the token: a bearer token is no ambient credential.
    let response = http()
        .post(app.url(&format!("/api/v1{path}")))
        .bearer_auth(&olga.token)
        .header("origin", "https://bot-builder.example")
        .json(&json!({"text": "  Your order is ready  ", "kind": "message"}))
        .send()
        .await
        .expect("POST");
    let (status, message) = answer(response).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let id = message["id"].as_i64().expect("id");
    assert_eq!(message["body"], "Your order is ready");
    assert_eq!(message["kind"], "message");
    assert_eq!(message["direction"], "out");
    assert_eq!(message["delivery"], "sending");
    assert_eq!(message["author_name"], "olga");

    let (author, dialog): (String, i64) = sqlx::query_as(
        "SELECT u.email, m.dialog_id FROM messages m JOIN users u ON u.id = m.author_user_id
          WHERE m.id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .expect("the message is stored");
    assert_eq!(
        (author.as_str(), dialog),
        ("olga@acme.test", w.acme.dialog_olga)
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE message_id = $1",
            id
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM events WHERE payload->'message'->>'id' = $1::text",
            id
        )
        .await,
        1,
        "a live event tells the browsers"
    );

    // A note: no outbox row. A leading slash makes a note too, as in the composer.
    let (status, note) = olga.post(&path, json!({"text": "/check stock"})).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["kind"], "note");
    assert_eq!(note["body"], "check stock");
    let note_id = note["id"].as_i64().expect("id");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM outbox WHERE message_id = $1",
            note_id
        )
        .await,
        0
    );

    // The newest two, oldest first, with earlier ones announced.
    let (status, list) = olga.get(&format!("{path}?limit=2")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(ids_of(&list), vec![id, note_id]);
    assert_eq!(list["has_earlier"], true);
    let (_, all) = olga.get(&path).await;
    assert_eq!(ids_of(&all).len(), 3);
    assert_eq!(all["has_earlier"], false);
    assert_eq!(all["data"][0]["direction"], "in");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_gets_a_clear_error_with_the_right_status(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = api(&app, "olga@acme.test").await;
    let path = format!("/dialogs/{}/messages", w.acme.dialog_olga);
    let before = common::message_count(&pool, w.acme.dialog_olga).await;

    let (status, body) = olga.post(&path, json!({"text": "   "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body,
        json!({"error": {"code": "validation", "field": "text", "message": "Write something first."}})
    );
    let long = "я".repeat(20_001);
    let (status, body) = olga.post(&path, json!({ "text": long })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "text");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("too long")
    );
    let (status, body) = olga.post_raw(&path, "{\"text\": \"unterminated").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not valid JSON")
    );
    let (status, body) = olga.post(&path, json!({"text": "x", "kind": "sms"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_body");
    let (status, body) = olga.post(&path, json!({"body": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("text")
    );
    let huge = format!("{{\"text\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let (status, body) = olga.post_raw(&path, huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    let response = http()
        .post(app.url(&format!("/api/v1{path}")))
        .bearer_auth(&olga.token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        common::message_count(&pool, w.acme.dialog_olga).await,
        before,
        "nothing was stored"
    );

    let (status, body) = olga.get("/dialogs?limit=500").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "limit");
    let (status, body) = olga.get("/dialogs?limit=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_query");
    let (status, body) = olga.get("/dialogs?cursor=garbage").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "cursor");
    let (status, body) = olga.get("/dialogs?status=open").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "status");
    let (status, body) = olga.get("/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = olga.delete("/lines").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[sqlx::test(migrations = "../migrations")]
async fn dialogs_come_in_keyset_pages_filtered_by_status(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = api(&app, "admin@acme.test").await;

    let mut seen = Vec::new();
    let mut last_at = String::from("9999");
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/dialogs?limit=2&cursor={c}"),
            None => "/dialogs?limit=2".to_owned(),
        };
        let (status, page) = admin.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let rows = page["data"].as_array().cloned().unwrap_or_default();
        assert!(rows.len() <= 2);
        for row in &rows {
            let at = row["last_message_at"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(at <= last_at, "newest activity first");
            last_at = at;
        }
        seen.extend(ids_of(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), 5, "no dialog twice");

    // A new message moves a dialog to the top.
    let (status, _) = admin
        .post(
            &format!("/dialogs/{}/messages", w.acme.dialog_support),
            json!({"text": "a note", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, first) = admin.get("/dialogs?limit=1").await;
    assert_eq!(ids_of(&first), vec![w.acme.dialog_support]);

    let (_, new) = admin.get("/dialogs?status=new").await;
    assert_eq!(
        sorted(ids_of(&new)),
        sorted(vec![w.acme.dialog_new, w.acme.dialog_support])
    );
    let (_, some) = admin.get("/dialogs?status=in_work,closed").await;
    assert_eq!(
        sorted(ids_of(&some)),
        sorted(vec![
            w.acme.dialog_olga,
            w.acme.dialog_admin,
            w.acme.dialog_closed
        ])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn only_admins_manage_webhook_subscriptions_of_their_own_account(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let (admin, olga, other) = (
        api(&app, "admin@acme.test").await,
        api(&app, "olga@acme.test").await,
        api(&app, "admin@other.test").await,
    );
    let url = "https://bot.example.com/hook";

    let (status, body) = olga.post("/webhooks", json!({ "url": url })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(olga.get("/webhooks").await.0, StatusCode::FORBIDDEN);

    let (status, created) = admin
        .post(
            "/webhooks",
            json!({"url": url, "events": ["message.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["events"], json!(["message.created"]));
    assert_eq!(created["secret"].as_str().map(str::len), Some(64));
    let (_, list) = admin.get("/webhooks").await;
    assert_eq!(ids_of(&list), vec![id]);
    assert!(
        list["data"][0].get("secret").is_none(),
        "the secret is shown once"
    );

    for (body, field) in [
        (json!({"url": "ftp://example.com"}), "url"),
        (json!({"url": "not a url"}), "url"),
        (json!({"url": url, "events": ["message.sent"]}), "events"),
        (json!({"url": url, "secret": "short"}), "secret"),
    ] {
        let (status, error) = admin.post("/webhooks", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"]["field"], field);
    }

    // The other account sees none of it.
    assert_eq!(
        other.get(&format!("/webhooks/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.get(&format!("/webhooks/{id}/deliveries")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.delete(&format!("/webhooks/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(ids_of(&other.get("/webhooks").await.1), Vec::<i64>::new());

    let (status, _) = admin.delete(&format!("/webhooks/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        admin.get(&format!("/webhooks/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
}

/// Waits (up to 20 s) until the receiver has `n` calls.
async fn calls(receiver: &FakeReceiver, n: usize) -> Vec<crate::common::fakes::Call> {
    for _ in 0..200 {
        let calls = receiver.calls();
        if calls.len() >= n {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the receiver got {} calls, not {n}", receiver.calls().len())
}

fn header(call: &crate::common::fakes::Call, name: &str) -> String {
    call.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[sqlx::test(migrations = "../migrations")]
async fn events_are_posted_signed_retried_after_a_500_and_kept_to_their_account(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let (acme_admin, olga, other_admin) = (
        api(&app, "admin@acme.test").await,
        api(&app, "olga@acme.test").await,
        api(&app, "admin@other.test").await,
    );
    let acme_receiver = FakeReceiver::start().await;
    let other_receiver = FakeReceiver::start().await;
    acme_receiver.fail_next([Failure::ServerError]);

    let (status, sub) = acme_admin
        .post(
            "/webhooks",
            json!({"url": acme_receiver.url(), "events": ["message.created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    let secret = sub["secret"].as_str().expect("secret").to_owned();
    let sub_id = sub["id"].as_i64().expect("id");
    let (status, other_sub) = other_admin
        .post("/webhooks", json!({"url": other_receiver.url()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other_sub}");

    // Olga writes a note in Acme: one event for Acme's subscription.
    let (status, note) = olga
        .post(
            &format!("/dialogs/{}/messages", w.acme.dialog_olga),
            json!({"text": "Client prefers evenings", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let event_id: i64 =
        sqlx::query_scalar("SELECT id FROM events WHERE payload->'message'->>'id' = $1::text")
            .bind(note["id"].as_i64().expect("id"))
            .fetch_one(&pool)
            .await
            .expect("the event");

    let received = calls(&acme_receiver, 2).await;
    assert!(!received[0].accepted, "the first attempt met a 502");
    let delivered = &received[1];
    assert!(delivered.accepted);
    for call in &received {
        assert_eq!(header(call, "idempotency-key"), format!("event-{event_id}"));
        assert_eq!(header(call, "content-type"), "application/json");
        // The receiver parsed the body; serde_json writes it back byte for byte (sorted
        // keys, no spaces), which is what was signed.
        let raw = serde_json::to_vec(&call.body).expect("body");
        let signature = header(call, "x-dialogs-signature");
        assert!(
            server::channels::api::signature_matches(secret.as_bytes(), &raw, &signature),
            "signature {signature:?} does not match"
        );
        assert!(!server::channels::api::signature_matches(
            b"another secret",
            &raw,
            &signature
        ));
    }
    let body = &delivered.body;
    assert_eq!(body["id"], event_id);
    assert_eq!(body["type"], "message.created");
    assert!(body["created_at"].as_str().is_some_and(|t| t.contains('T')));
    assert_eq!(body["data"]["message"]["body"], "Client prefers evenings");
    assert_eq!(body["data"]["message"]["dialog_id"], w.acme.dialog_olga);
    assert!(body["data"].get("type").is_none());

    // The delivery log tells the story.
    let (status, log) = acme_admin
        .get(&format!("/webhooks/{sub_id}/deliveries"))
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entry = &log["data"][0];
    assert_eq!(entry["event_id"], event_id);
    assert_eq!(entry["event_type"], "message.created");
    assert_eq!(entry["state"], "delivered");
    assert_eq!(entry["attempts"], 2);
    assert_eq!(entry["last_status"], 200);
    assert_eq!(entry["last_error"], Value::Null);
    assert!(entry["delivered_at"].is_string());

    // Now an event of the other account: it reaches only the other account's receiver.
    let (status, _) = other_admin
        .post(
            &format!("/dialogs/{}/messages", w.other.dialog_new),
            json!({"text": "Other account's note", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let theirs = calls(&other_receiver, 1).await;
    assert_eq!(
        theirs[0].body["data"]["message"]["body"],
        "Other account's note"
    );
    assert!(
        theirs
            .iter()
            .all(|c| c.body["data"]["message"]["body"] != "Client prefers evenings"),
        "Acme's event never reaches another account"
    );
    // Delivered once: nothing more arrives at Acme's receiver.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(acme_receiver.calls().len(), 2);
    let acme_rows = count(
        &pool,
        "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1",
        sub_id,
    )
    .await;
    assert_eq!(acme_rows, 1);
    let other_rows = count(
        &pool,
        "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1",
        other_sub["id"].as_i64().expect("id"),
    )
    .await;
    assert_eq!(
        other_rows, 1,
        "only the other account's own event was queued for it"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_receiver_that_refuses_is_given_up_at_once_and_types_are_filtered(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = api(&app, "admin@acme.test").await;
    let receiver = FakeReceiver::start().await;
    receiver.fail_next([Failure::Blocked]);
    let (_, sub) = admin
        .post(
            "/webhooks",
            json!({"url": receiver.url(), "events": ["dialog.updated", "message.created"]}),
        )
        .await;
    let sub_id = sub["id"].as_i64().expect("id");
    let (status, _) = admin
        .post(
            &format!("/dialogs/{}/messages", w.acme.dialog_admin),
            json!({"text": "first", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    calls(&receiver, 1).await;
    app.wait_for(
        &format!(
            "SELECT count(*) FROM webhook_deliveries
              WHERE subscription_id = {sub_id} AND next_attempt_at IS NULL"
        ),
        1,
    )
    .await;
    let (_, log) = admin.get(&format!("/webhooks/{sub_id}/deliveries")).await;
    assert_eq!(log["data"][0]["state"], "failed");
    assert_eq!(log["data"][0]["attempts"], 1);
    assert_eq!(log["data"][0]["last_status"], 403);

    let facts = app::store::inbound::facts(
        &pool,
        app::domain::AccountId(w.acme.id),
        app::domain::DialogId(w.acme.dialog_admin),
    )
    .await
    .expect("facts");
    let mut tx = pool.begin().await.expect("tx");
    app::store::events::publish(
        &mut tx,
        app::domain::AccountId(w.acme.id),
        app::domain::DialogId(w.acme.dialog_admin),
        &facts,
        &app::domain::ServerEvent::DialogUpdated {
            dialog_id: app::domain::DialogId(w.acme.dialog_admin),
        },
    )
    .await
    .expect("publish");
    // Rolled back: no delivery of an event that never happened.
    drop(tx);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1",
            sub_id
        )
        .await,
        1
    );
    let mut tx = pool.begin().await.expect("tx");
    app::store::events::publish(
        &mut tx,
        app::domain::AccountId(w.acme.id),
        app::domain::DialogId(w.acme.dialog_admin),
        &facts,
        &app::domain::ServerEvent::DialogUpdated {
            dialog_id: app::domain::DialogId(w.acme.dialog_admin),
        },
    )
    .await
    .expect("publish");
    tx.commit().await.expect("commit");
    let received = calls(&receiver, 2).await;
    assert_eq!(received[1].body["type"], "dialog.updated");
    assert_eq!(received[1].body["data"]["dialog_id"], w.acme.dialog_admin);
    let types: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id",
    )
    .bind(sub_id)
    .fetch_all(&pool)
    .await
    .expect("types");
    assert_eq!(types, vec!["message.created", "dialog.updated"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_lists_every_route_and_each_is_served(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let response = http()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    let (_, doc) = answer(response).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let expected: BTreeSet<(String, String)> = [
        ("get", "/openapi.json"),
        ("get", "/lines"),
        ("get", "/channels"),
        ("get", "/channels/{id}/templates"),
        ("get", "/clients"),
        ("post", "/clients"),
        ("get", "/clients/{id}"),
        ("patch", "/clients/{id}"),
        ("get", "/dialogs"),
        ("post", "/dialogs"),
        ("post", "/files"),
        ("get", "/dialogs/{id}"),
        ("get", "/dialogs/{id}/messages"),
        ("post", "/dialogs/{id}/messages"),
        ("get", "/webhooks"),
        ("post", "/webhooks"),
        ("get", "/webhooks/{id}"),
        ("delete", "/webhooks/{id}"),
        ("get", "/webhooks/{id}/deliveries"),
        ("post", "/dialogs/{id}/actions"),
        ("delete", "/messages/{id}"),
        ("put", "/messages/{id}/star"),
        ("delete", "/messages/{id}/star"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    assert_eq!(documented, expected);

    // Every documented operation is really routed: without a token each answers 401, not
    // 404 or 405 (the document itself needs no token).
    for (method, path) in &documented {
        let url = app.url(&format!("/api/v1{}", path.replace("{id}", "1")));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let mut request = http().request(method.clone(), &url);
        if method == Method::POST || method == Method::PATCH {
            request = request.json(&json!({}));
        }
        let status = request.send().await.expect("request").status();
        let want = if path == "/openapi.json" {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, want, "{method} {path}");
        let op = &doc["paths"][path.as_str()][method.as_str().to_lowercase()];
        assert!(
            op["responses"].is_object(),
            "{method} {path} documents answers"
        );
    }
    for schema in [
        "Client",
        "Dialog",
        "Message",
        "Webhook",
        "DeliveryEntry",
        "ErrorBody",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
}

/// The URL of the test's own fresh database.
async fn url_of(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .expect("database name");
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let server = base
        .rsplit_once('/')
        .map(|(server, _)| server)
        .unwrap_or(&base);
    format!("{server}/{name}")
}

#[sqlx::test(migrations = "../migrations")]
async fn create_token_prints_a_token_once_and_stores_only_its_hash(pool: PgPool) {
    world(&pool).await;
    let url = url_of(&pool).await;
    let dialogs = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_dialogs"));
        command.env("DIALOGS_LOG", "warn").env("DATABASE_URL", &url);
        command
    };
    let output = dialogs()
        .args([
            "create-token",
            "--email",
            "Olga@Acme.test",
            "--name",
            "order bot",
        ])
        .output()
        .expect("create-token");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let token = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the token on stdout: {stdout}"
    );
    assert!(token.starts_with("dlg_"), "{token}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("shown only now"));

    let (name, hash, user): (String, Vec<u8>, String) = sqlx::query_as(
        "SELECT t.name, t.token_hash, u.email FROM api_tokens t JOIN users u ON u.id = t.user_id",
    )
    .fetch_one(&pool)
    .await
    .expect("one token");
    assert_eq!(name, "order bot");
    assert_eq!(user, "olga@acme.test");
    assert_eq!(hash, app::auth::session::token_hash(token));
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE position($1 in encode(token_hash, 'escape')) > 0",
    )
    .bind(token)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(leaked, 0, "the token itself is not stored");

    let app = TestApp::spawn(pool.clone()).await;
    let olga = Api::new(&app, token);
    let (status, lines) = olga.get("/lines").await;
    assert_eq!(status, StatusCode::OK, "{lines}");
    assert_eq!(lines["data"].as_array().map(Vec::len), Some(1));

    let unknown = dialogs()
        .args(["create-token", "--email", "nobody@acme.test"])
        .output()
        .expect("create-token");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no active user"));

    let revoke = dialogs()
        .args([
            "revoke-token",
            "--email",
            "olga@acme.test",
            "--name",
            "order bot",
        ])
        .output()
        .expect("revoke-token");
    assert!(revoke.status.success());
    assert!(String::from_utf8_lossy(&revoke.stdout).contains("revoked 1"));
    assert_eq!(olga.get("/lines").await.0, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_event_waiting_for_its_webhook_outlives_the_event_retention(pool: PgPool) {
    let w = world(&pool).await;
    // No app, so no worker: the delivery stays pending.
    let account = app::domain::AccountId(w.acme.id);
    let admin: app::domain::UserId =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@acme.test'")
            .fetch_one(&pool)
            .await
            .expect("admin");
    let sub = app::store::webhooks::create(
        &pool,
        account,
        "http://127.0.0.1:9/hook",
        "0123456789abcdef",
        &[],
        admin,
    )
    .await
    .expect("subscription");
    let dialog = app::domain::DialogId(w.acme.dialog_new);
    let facts = app::store::inbound::facts(&pool, account, dialog)
        .await
        .expect("facts");
    let mut tx = pool.begin().await.expect("tx");
    let event = app::store::events::publish(
        &mut tx,
        account,
        dialog,
        &facts,
        &app::domain::ServerEvent::DialogUpdated { dialog_id: dialog },
    )
    .await
    .expect("publish");
    tx.commit().await.expect("commit");
    sqlx::query("UPDATE events SET created_at = now() - interval '3 days'")
        .execute(&pool)
        .await
        .expect("age the event");

    let swept = server::workers::housekeeping::sweep(&pool)
        .await
        .expect("sweep");
    assert_eq!(swept.events, 0, "the pending delivery keeps its event");

    let delivery: i64 =
        sqlx::query_scalar("SELECT id FROM webhook_deliveries WHERE subscription_id = $1")
            .bind(sub.id)
            .fetch_one(&pool)
            .await
            .expect("the delivery");
    app::store::webhooks::delivered(&pool, delivery, 200)
        .await
        .expect("delivered");
    let swept = server::workers::housekeeping::sweep(&pool)
        .await
        .expect("sweep");
    assert_eq!((swept.events, swept.deliveries), (1, 0));
    assert_eq!(
        count(&pool, "SELECT count(*) FROM events WHERE id = $1", event.0).await,
        0
    );

    // The log keeps the delivery for 30 days, without the event.
    sqlx::query("UPDATE webhook_deliveries SET created_at = now() - interval '31 days'")
        .execute(&pool)
        .await
        .expect("age the delivery");
    let swept = server::workers::housekeeping::sweep(&pool)
        .await
        .expect("sweep");
    assert_eq!(swept.deliveries, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bot_starts_a_dialog_through_the_same_rules_as_the_web_app(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let olga = api(&app, "olga@acme.test").await;
    let body = json!({"line_id": w.acme.line_sales, "channel_id": w.acme.channel_tg,
                      "recipient": "424242", "text": "Your order is ready"});
    let (status, dialog) = olga.post("/dialogs", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{dialog}");
    assert_eq!(dialog["status"], "in_work");
    assert_eq!(dialog["can_send"], true);
    let id = dialog["id"].as_i64().expect("id");
    let (status, messages) = olga.get(&format!("/dialogs/{id}/messages")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        messages["data"][0]["body"], "Your order is ready",
        "{messages}"
    );
    // The same client again: the same active dialog.
    let (status, again) = olga.post("/dialogs", body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["id"], id);

    // Unknown fields, a bad recipient, no rights.
    let (status, _) = olga
        .post(
            "/dialogs",
            json!({"line_id": w.acme.line_sales, "channel_id": w.acme.channel_tg,
                                 "recipient": "424242", "text": "x", "priority": "high"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, error) = olga
        .post(
            "/dialogs",
            json!({"line_id": w.acme.line_sales, "channel_id": w.acme.channel_tg,
                                 "recipient": "not a chat", "text": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"]["field"], "recipient");
    let (status, _) = olga
        .post(
            "/dialogs",
            json!({"line_id": w.acme.line_support, "channel_id": w.acme.channel_email,
                                 "recipient": "a@b.ru", "subject": "Hi", "text": "x"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "olga has no rights on Support"
    );
    let (status, doc) = olga.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/dialogs"]["post"].is_object(), "documented");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bot_uploads_a_file_and_sends_it_in_a_message(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| c.channels.workers = false).await;
    let token = token_for(&pool, "olga@acme.test").await;
    let response = http()
        .post(app.url("/api/v1/files"))
        .bearer_auth(&token)
        .header("content-type", "application/pdf")
        .header("x-file-name", "offer.pdf")
        .body(b"%PDF offer".to_vec())
        .send()
        .await
        .expect("upload");
    let (status, upload) = answer(response).await;
    assert_eq!(status, StatusCode::CREATED, "{upload}");
    assert_eq!(upload["file_name"], "offer.pdf");
    let olga = Api::new(&app, &token);
    let (status, message) = olga
        .post(
            &format!("/dialogs/{}/messages", w.acme.dialog_olga),
            json!({"files": [upload["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(
        message["attachments"][0]["file_name"], "offer.pdf",
        "{message}"
    );
    // Another user's token cannot send it again, nor can anyone: it was used.
    let (status, _) = olga
        .post(
            &format!("/dialogs/{}/messages", w.acme.dialog_olga),
            json!({"files": [upload["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let no_token = http()
        .post(app.url("/api/v1/files"))
        .body(b"x".to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_calling_too_fast_gets_429_with_retry_after_and_others_are_not_slowed(
    pool: PgPool,
) {
    world(&pool).await;
    let app = TestApp::spawn_with(pool.clone(), |c| {
        c.api_rate = server::api_v1::limits::ApiRate {
            per_second: std::num::NonZeroU32::new(1).expect("rate"),
            burst: std::num::NonZeroU32::new(5).expect("burst"),
        };
    })
    .await;
    let greedy = api(&app, "admin@acme.test").await;
    let patient = api(&app, "olga@acme.test").await;

    // The burst is served, then the bucket is empty.
    for n in 0..5 {
        let (status, body) = greedy.get("/lines").await;
        assert_eq!(status, StatusCode::OK, "call {n}: {body}");
    }
    let response = http()
        .get(app.url("/api/v1/lines"))
        .bearer_auth(&greedy.token)
        .send()
        .await
        .expect("calling the API");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let (_, body) = answer(response).await;
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");

    // Another token has its own bucket.
    let (status, _) = patient.get("/lines").await;
    assert_eq!(status, StatusCode::OK);

    // After the wait the greedy one is served again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = greedy.get("/lines").await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_make_and_revoke_tokens_in_settings_and_a_token_has_its_users_rights(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'olga@acme.test'")
        .fetch_one(&pool)
        .await
        .expect("olga");
    let stranger: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@other.test'")
        .fetch_one(&pool)
        .await
        .expect("the other account's admin");
    let admin = app.sign_in("admin@acme.test").await;
    let olga_id = olga.to_string();

    // Bad input: no name, a user of another account.
    let (status, body) = admin
        .call(
            "create_api_token",
            &[("user_id", olga_id.as_str()), ("name", "  ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin
        .call(
            "create_api_token",
            &[("user_id", &stranger.to_string()), ("name", "sneaky")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM api_tokens WHERE account_id <> $1",
            0
        )
        .await,
        0
    );

    // A token acting as Olga: shown once, only its hash kept, with Olga's rights.
    let (status, token) = admin
        .call(
            "create_api_token",
            &[("user_id", olga_id.as_str()), ("name", "order bot")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let token = token.as_str().expect("the token").to_owned();
    assert!(token.starts_with("dlg_"), "{token}");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM api_tokens WHERE user_id = $1 AND name = 'order bot'",
            olga
        )
        .await,
        1
    );
    let as_olga = Api::new(&app, &token);
    let (status, lines) = as_olga.get("/lines").await;
    assert_eq!(status, StatusCode::OK, "{lines}");
    let names: Vec<&str> = lines["data"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert_eq!(names, ["Sales"], "Olga's lines only");

    let (status, listed) = admin.call("list_api_tokens", &[]).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let row = &listed["tokens"][0];
    assert_eq!(row["name"], "order bot");
    assert_eq!(row["user_name"], "olga");
    assert!(
        !listed.to_string().contains(&token),
        "the token is never shown again"
    );
    assert!(listed["users"].as_array().is_some_and(|u| u.len() >= 4));
    let id = row["id"].to_string();

    // Not for operators, nor for another account.
    let operator = app.sign_in("olga@acme.test").await;
    for (name, args) in [
        ("list_api_tokens", vec![]),
        (
            "create_api_token",
            vec![("user_id", olga_id.as_str()), ("name", "mine")],
        ),
        ("revoke_api_token", vec![("id", id.as_str())]),
    ] {
        let (status, _) = operator.call(name, &args).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    let other = app.sign_in("admin@other.test").await;
    let (status, _) = other.call("revoke_api_token", &[("id", id.as_str())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = as_olga.get("/lines").await;
    assert_eq!(status, StatusCode::OK, "still valid");

    // Revoked: refused from the next call on.
    let (status, body) = admin.call("revoke_api_token", &[("id", id.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = as_olga.get("/lines").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, listed) = admin.call("list_api_tokens", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["tokens"], serde_json::json!([]));
    let (status, _) = admin.call("revoke_api_token", &[("id", id.as_str())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "revoking twice");
}

/// A bot acts on dialogs and messages with its user's rights, through the web app's rules.
#[sqlx::test(migrations = "../migrations")]
async fn actions_stars_and_deletes_follow_the_tokens_user_rights(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = api(&app, "olga@acme.test").await;
    let vera = api(&app, "vera@acme.test").await;
    let other = api(&app, "admin@other.test").await;
    let dialog = w.acme.dialog_new;

    // Vera only views Sales: she may not take the dialog; another account's token sees nothing.
    let (status, body) = vera
        .post(
            &format!("/dialogs/{dialog}/actions"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = other
        .post(
            &format!("/dialogs/{dialog}/actions"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A wrong shape is a clear 422, and nothing happens.
    let (status, body) = olga
        .post(
            &format!("/dialogs/{dialog}/actions"),
            json!({"action": "redirect", "user_id": 1, "group_id": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "user_id");
    let (status, body) = olga
        .post(
            &format!("/dialogs/{dialog}/actions"),
            json!({"action": "explode"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = olga
        .post(
            &format!("/dialogs/{dialog}/actions"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "in_work");
    // Accepting twice: the status does not take it.
    let (status, _) = olga
        .post(
            &format!("/dialogs/{dialog}/actions"),
            json!({"action": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Star and unstar the client's message; a note of olga's is hers to delete.
    let (_, list) = olga.get(&format!("/dialogs/{dialog}/messages")).await;
    let first = list["data"][0]["id"].as_i64().expect("a message");
    let (status, starred) = olga
        .call(Method::PUT, &format!("/messages/{first}/star"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{starred}");
    assert_eq!(starred["important"], true);
    let (status, unstarred) = olga.delete(&format!("/messages/{first}/star")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unstarred["important"], false);
    let (status, _) = other.delete(&format!("/messages/{first}/star")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, note) = olga
        .post(
            &format!("/dialogs/{dialog}/messages"),
            json!({"text": "check the invoice", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let note = note["id"].as_i64().expect("a note");
    let (status, _) = other.delete(&format!("/messages/{note}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, deleted) = olga.delete(&format!("/messages/{note}")).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["deleted"], true);
    let (status, body) = olga.delete(&format!("/messages/{note}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["message"], "Already deleted");

    // Close with a reason, then no more actions but reading.
    let (status, body) = olga
        .post(
            &format!("/dialogs/{dialog}/actions"),
            json!({"action": "close"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
}
