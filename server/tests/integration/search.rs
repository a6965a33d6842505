//! Search (C4) through the server function: word forms in Russian and English, clients by
//! any field, special characters as plain text, only what the user may see; and long
//! dialogs opened as a window at a found message or at the first unread one.

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::common::{Session, TestApp, access_of, world};

async fn say(pool: &PgPool, account: i64, dialog: i64, body: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO messages (account_id, dialog_id, kind, direction, body)
         VALUES ($1, $2, 'message', 'in', $3) RETURNING id",
    )
    .bind(account)
    .bind(dialog)
    .bind(body)
    .fetch_one(pool)
    .await
    .expect("message")
}

async fn find(session: &Session, query: &str) -> Value {
    let (status, body) = session.call("search", &[("query", query)]).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

fn message_ids(results: &Value) -> Vec<i64> {
    results["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(|h| h["message_id"].as_i64()).collect())
        .unwrap_or_default()
}

fn client_dialogs(results: &Value) -> Vec<i64> {
    results["clients"]
        .as_array()
        .map(|m| m.iter().filter_map(|h| h["dialog_id"].as_i64()).collect())
        .unwrap_or_default()
}

/// The marked parts of a hit's fragment.
fn marked(hit: &Value, field: &str) -> Vec<String> {
    let text: Vec<char> = hit[field]["text"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .collect();
    hit[field]["marks"]
        .as_array()
        .map(|marks| {
            marks
                .iter()
                .filter_map(|m| {
                    let (s, e) = (m[0].as_u64()? as usize, m[1].as_u64()? as usize);
                    Some(text.get(s..e)?.iter().collect())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[sqlx::test(migrations = "../migrations")]
async fn messages_are_found_by_word_forms_and_clients_by_any_field(pool: PgPool) {
    let w = world(&pool).await;
    let acme = &w.acme;
    let order = say(
        &pool,
        acme.id,
        acme.dialog_olga,
        "Где мои заказы? Номер 12345",
    )
    .await;
    let shipped = say(
        &pool,
        acme.id,
        acme.dialog_admin,
        "Your orders were shipped today",
    )
    .await;
    let percent = say(
        &pool,
        acme.id,
        acme.dialog_new,
        "Скидка 100% на всё, it's \"quoted\"",
    )
    .await;
    let support = say(&pool, acme.id, acme.dialog_support, "заказ по почте").await;
    let foreign = say(
        &pool,
        w.other.id,
        w.other.dialog_new,
        "заказ другого аккаунта",
    )
    .await;
    sqlx::query(
        "UPDATE clients SET phone = '+7 (999) 123-45-67', email = 'maria@example.com',
                username = 'maria_k' WHERE id = $1",
    )
    .bind(acme.client)
    .execute(&pool)
    .await
    .expect("client fields");
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;

    // Russian word forms: "заказ" finds "заказы", "заказов" would too.
    let r = find(&admin, "заказ").await;
    let found = message_ids(&r);
    assert!(found.contains(&order) && found.contains(&support), "{r}");
    assert!(!found.contains(&foreign), "another account's message: {r}");
    let hit = r["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|h| h["message_id"] == order))
        .expect("the order hit");
    assert_eq!(marked(hit, "fragment"), vec!["заказы"], "{hit}");
    assert_eq!(hit["dialog_id"], acme.dialog_olga);
    // English stems, the newest first.
    assert_eq!(
        message_ids(&find(&admin, "order shipping").await),
        vec![shipped]
    );
    // Word beginnings.
    assert_eq!(message_ids(&find(&admin, "ship").await), vec![shipped]);
    // Special characters are plain text, never syntax or wildcards.
    assert_eq!(message_ids(&find(&admin, "100%").await), vec![percent]);
    assert_eq!(
        message_ids(&find(&admin, "\"quoted\"").await),
        vec![percent]
    );
    for query in [
        "a & b | !c",
        "':*",
        "%%",
        "__",
        "<->",
        "заказ & !",
        "(((",
        "''",
        "\\\\",
    ] {
        let (status, body) = admin.call("search", &[("query", query)]).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
    }
    assert!(message_ids(&find(&admin, "%%").await).is_empty());

    // Clients by name, phone typed any way, username and email.
    // The client's latest dialog the user may see stands for them.
    let marias = [acme.dialog_new, acme.dialog_support, acme.dialog_closed];
    let finds_maria = |r: &Value| client_dialogs(r).iter().any(|d| marias.contains(d));
    for query in [
        "Maria",
        "mari",
        "999 123",
        "+7999123",
        "maria_k",
        "example.com",
    ] {
        let r = find(&admin, query).await;
        assert!(finds_maria(&r), "{query}: {r}");
    }
    let r = find(&admin, "999-123").await;
    let hit = &r["clients"][0];
    assert_eq!(marked(hit, "fragment"), vec!["999) 123"], "{hit}");
    // `_` is a plain character: "a_k" is not "any one character".
    assert!(finds_maria(&find(&admin, "ria_k").await));
    assert!(client_dialogs(&find(&admin, "riaxk").await).is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn search_finds_only_what_the_user_may_see_and_refuses_bad_queries(pool: PgPool) {
    let w = world(&pool).await;
    let acme = &w.acme;
    let sales = say(&pool, acme.id, acme.dialog_new, "ключ доступа потерян").await;
    let support = say(&pool, acme.id, acme.dialog_support, "ключ от склада").await;
    let app = TestApp::spawn(pool).await;
    // Olga sees the Sales line only.
    let olga = app.sign_in("olga@acme.test").await;
    assert_eq!(message_ids(&find(&olga, "ключ").await), vec![sales]);
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(
        message_ids(&find(&admin, "ключ").await),
        vec![support, sales]
    );
    let stranger = app.sign_in("admin@other.test").await;
    assert!(message_ids(&find(&stranger, "ключ").await).is_empty());
    // Their own Maria only.
    let theirs = client_dialogs(&find(&stranger, "Maria").await);
    assert!(!theirs.is_empty());
    let acme_dialogs = [acme.dialog_new, acme.dialog_support, acme.dialog_closed];
    assert!(
        theirs.iter().all(|d| !acme_dialogs.contains(d)),
        "{theirs:?}"
    );

    for (query, key) in [("a", "search.error.short"), ("  ", "search.error.short")] {
        let (status, body) = admin.call("search", &[("query", query)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Validation"]["message"], key);
    }
    let long = "я".repeat(201);
    let (status, body) = admin.call("search", &[("query", &long)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "search.error.long");
}

fn ids_of(detail: &Value) -> Vec<i64> {
    detail["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_long_dialog_opens_at_the_found_message_or_the_first_unread(pool: PgPool) {
    let w = world(&pool).await;
    let acme = &w.acme;
    let dialog = acme.dialog_admin;
    let first: i64 = sqlx::query_scalar(
        "INSERT INTO messages (account_id, dialog_id, kind, direction, body)
         SELECT $1, $2, 'message', CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END::message_direction,
                'message ' || n
           FROM generate_series(1, 1000) n
         RETURNING id",
    )
    .bind(acme.id)
    .bind(dialog)
    .fetch_all(&pool)
    .await
    .expect("messages")
    .into_iter()
    .min()
    .expect("ids");
    sqlx::query(
        "UPDATE dialogs SET last_activity_id = (SELECT max(id) FROM messages WHERE dialog_id = $1)
          WHERE id = $1",
    )
    .bind(dialog)
    .execute(&pool)
    .await
    .expect("activity");
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let d = dialog.to_string();

    // At a found message: a few each side, a page more of either side on request.
    let at = first + 300;
    let (status, detail) = admin
        .call("get_dialog", &[("id", &d), ("at", &at.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let ids = ids_of(&detail);
    assert_eq!(ids.len(), 101, "50 before, the message, 50 after");
    assert_eq!(ids[50], at);
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "oldest first");
    assert_eq!(detail["anchor"], at);
    assert_eq!(detail["has_earlier"], true);
    assert_eq!(detail["has_later"], true);
    let (_, wider) = admin
        .call(
            "get_dialog",
            &[
                ("id", &d),
                ("at", &at.to_string()),
                ("later", "1"),
                ("pages", "1"),
            ],
        )
        .await;
    let ids = ids_of(&wider);
    assert_eq!(ids.len(), 301, "a page of 100 more each side");
    assert_eq!(ids[150], at);
    // Near the end the window reaches the newest message.
    let (_, end) = admin
        .call(
            "get_dialog",
            &[("id", &d), ("at", &(first + 950).to_string())],
        )
        .await;
    assert_eq!(
        end["has_later"],
        false,
        "{}",
        end["messages"].as_array().map(Vec::len).unwrap_or(0)
    );

    // A message of another dialog (or account) opens the dialog as usual.
    let foreign: i64 = sqlx::query_scalar("SELECT max(id) FROM messages WHERE dialog_id = $1")
        .bind(w.other.dialog_new)
        .fetch_one(&pool)
        .await
        .expect("foreign message");
    // The admin has read everything up to the newest message first.
    let newest: i64 = sqlx::query_scalar("SELECT max(id) FROM messages WHERE dialog_id = $1")
        .bind(dialog)
        .fetch_one(&pool)
        .await
        .expect("newest");
    let (status, _) = admin
        .call("mark_read", &[("id", &d), ("upto", &newest.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, plain) = admin
        .call("get_dialog", &[("id", &d), ("at", &foreign.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{plain}");
    assert_eq!(plain["anchor"], Value::Null);
    assert_eq!(plain["has_later"], false);
    assert_eq!(ids_of(&plain).last(), Some(&newest));

    // With 600 unread messages the dialog opens at the first of them.
    sqlx::query("UPDATE dialog_user_state SET read_message_id = $1 WHERE dialog_id = $2")
        .bind(first + 399)
        .bind(dialog)
        .execute(&pool)
        .await
        .expect("read position");
    let (_, unread) = admin.call("get_dialog", &[("id", &d)]).await;
    assert_eq!(unread["anchor"], first + 400);
    assert_eq!(unread["has_later"], true);
    assert_eq!(ids_of(&unread)[50], first + 400);
    // A few unread messages fit the newest page: no window.
    sqlx::query("UPDATE dialog_user_state SET read_message_id = $1 WHERE dialog_id = $2")
        .bind(newest - 10)
        .bind(dialog)
        .execute(&pool)
        .await
        .expect("read position");
    let (_, few) = admin.call("get_dialog", &[("id", &d)]).await;
    assert_eq!(few["anchor"], Value::Null);
    assert_eq!(ids_of(&few).last(), Some(&newest));
}

#[sqlx::test(migrations = "../migrations")]
async fn both_ways_of_searching_agree_and_pages_follow_each_other(pool: PgPool) {
    use app::domain::MessageId;
    use app::domain::search::SearchQuery;
    use app::store::search::{Strategy, messages_by};

    let w = world(&pool).await;
    let acme = &w.acme;
    let dialogs = [
        acme.dialog_new,
        acme.dialog_olga,
        acme.dialog_admin,
        acme.dialog_support,
        acme.dialog_closed,
    ];
    let mut expected_admin = Vec::new();
    for i in 0..130 {
        let dialog = dialogs[i % dialogs.len()];
        let id = say(&pool, acme.id, dialog, &format!("накладная номер {i}")).await;
        expected_admin.push(id);
        // Words that never match, a deleted match and a system message in between.
        say(&pool, acme.id, dialog, "просто разговор").await;
    }
    let deleted = say(&pool, acme.id, acme.dialog_new, "накладная удалена").await;
    sqlx::query("UPDATE messages SET deleted_at = now() WHERE id = $1")
        .bind(deleted)
        .execute(&pool)
        .await
        .expect("delete");
    sqlx::query(
        "INSERT INTO messages (account_id, dialog_id, kind, direction, body)
         VALUES ($1, $2, 'system', 'internal', 'накладная в системе')",
    )
    .bind(acme.id)
    .bind(acme.dialog_new)
    .execute(&pool)
    .await
    .expect("system message");
    say(&pool, w.other.id, w.other.dialog_new, "накладная чужая").await;
    expected_admin.reverse();

    let query = SearchQuery::parse("накладн").expect("query");
    for email in [
        "admin@acme.test",
        "olga@acme.test",
        "vera@acme.test",
        "pavel@acme.test",
    ] {
        let access = access_of(&pool, email).await;
        let mut conn = pool.acquire().await.expect("connection");
        let mut before: Option<MessageId> = None;
        let mut all = Vec::new();
        loop {
            let (walked, more) =
                messages_by(&mut conn, &access, &query, before, 50, Strategy::Walk)
                    .await
                    .expect("walk");
            let (indexed, more_indexed) =
                messages_by(&mut conn, &access, &query, before, 50, Strategy::Index)
                    .await
                    .expect("index");
            let ids: Vec<i64> = walked.iter().map(|m| m.message_id.0).collect();
            let ids_indexed: Vec<i64> = indexed.iter().map(|m| m.message_id.0).collect();
            assert_eq!(ids, ids_indexed, "{email} before {before:?}");
            assert_eq!(more, more_indexed, "{email}");
            assert!(ids.len() <= 50);
            all.extend(ids);
            if !more {
                break;
            }
            before = walked.last().map(|m| m.message_id);
        }
        if email == "admin@acme.test" {
            assert_eq!(all, expected_admin);
        } else {
            // Operators see a part, in the same order and without repeats.
            assert!(all.iter().all(|id| expected_admin.contains(id)), "{email}");
            let mut sorted = all.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            sorted.dedup();
            assert_eq!(sorted, all, "{email}");
            assert!(all.len() < expected_admin.len(), "{email}");
        }
    }

    // Through the server function: pages of 50 in order, clients on the first page only.
    let app = TestApp::spawn(pool.clone()).await;
    let session = app.sign_in("admin@acme.test").await;
    let first = find(&session, "накладн").await;
    assert_eq!(message_ids(&first), expected_admin[..50].to_vec());
    assert_eq!(first["more"], true);
    let last = expected_admin[49].to_string();
    let (status, second) = session
        .call("search", &[("query", "накладн"), ("before", &last)])
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(message_ids(&second), expected_admin[50..100].to_vec());
    assert!(client_dialogs(&second).is_empty());
    let (status, body) = session
        .call(
            "search",
            &[("query", "накладн"), ("before", "not-a-number")],
        )
        .await;
    assert!(status.is_client_error(), "{status}: {body}");

    // Past `INDEX_CAP` matches the index gives way to the walk, with the same answer.
    sqlx::query(
        "INSERT INTO messages (account_id, dialog_id, kind, direction, body)
         SELECT $1, $2, 'message', 'in', 'накладная копия ' || n FROM generate_series(1, $3) n",
    )
    .bind(acme.id)
    .bind(acme.dialog_support)
    .bind(app::store::search::INDEX_CAP + 20)
    .execute(&pool)
    .await
    .expect("many matches");
    let admin = access_of(&pool, "admin@acme.test").await;
    let mut conn = pool.acquire().await.expect("connection");
    let mut pages = Vec::new();
    for how in [Strategy::Walk, Strategy::Index, Strategy::Auto] {
        let (found, more) = messages_by(&mut conn, &admin, &query, None, 50, how)
            .await
            .expect("search");
        assert!(more);
        pages.push(found.iter().map(|m| m.message_id.0).collect::<Vec<_>>());
    }
    assert_eq!(pages[0], pages[1]);
    assert_eq!(pages[0], pages[2]);
    assert_eq!(pages[0].len(), 50);
    assert!(pages[0][0] > expected_admin[0], "the copies are newest");
    // With statistics that call the word common, Auto walks (one word), and for two words
    // walks within its time, with the same answer.
    sqlx::query("ANALYZE messages")
        .execute(&pool)
        .await
        .expect("statistics");
    let (found, more) = messages_by(&mut conn, &admin, &query, None, 50, Strategy::Auto)
        .await
        .expect("search a common word");
    assert!(more);
    assert_eq!(
        found.iter().map(|m| m.message_id.0).collect::<Vec<_>>(),
        pages[0]
    );
    let two = SearchQuery::parse("копия накладн").expect("query");
    let (walked, _) = messages_by(&mut conn, &admin, &two, None, 50, Strategy::Walk)
        .await
        .expect("walk");
    let (auto, _) = messages_by(&mut conn, &admin, &two, None, 50, Strategy::Auto)
        .await
        .expect("auto");
    assert_eq!(
        walked.iter().map(|m| m.message_id.0).collect::<Vec<_>>(),
        auto.iter().map(|m| m.message_id.0).collect::<Vec<_>>()
    );
    assert_eq!(walked.len(), 50);
    let (_, more) = messages_by(
        &mut conn,
        &admin,
        &query,
        Some(MessageId(expected_admin[0] + 1)),
        50,
        Strategy::Auto,
    )
    .await
    .expect("search before the copies");
    assert!(more);
}
