//! Recent emoji (E4) on the real app and PostgreSQL: each user's own list, newest first,
//! without repeats, at most eighteen; anything that is not an emoji is refused.

use crate::common::{Session, TestApp, http, world};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

async fn recent(session: &Session) -> Vec<String> {
    let (status, body) = session.call("recent_emoji", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    list(&body)
}

async fn use_emoji(session: &Session, emoji: &str) -> Vec<String> {
    let (status, body) = session.call("use_emoji", &[("emoji", emoji)]).await;
    assert_eq!(status, StatusCode::OK, "{emoji}: {body}");
    list(&body)
}

fn list(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("a list: {body}"))
        .iter()
        .map(|e| e.as_str().expect("an emoji").to_owned())
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn stored(pool: &PgPool, email: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT recent_emoji FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("user's recent emoji")
}

#[sqlx::test(migrations = "../migrations")]
async fn the_last_used_emoji_comes_first_and_none_is_listed_twice(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    assert!(recent(&olga).await.is_empty());

    assert_eq!(use_emoji(&olga, "👍").await, strings(&["👍"]));
    assert_eq!(use_emoji(&olga, "🙏").await, strings(&["🙏", "👍"]));
    assert_eq!(use_emoji(&olga, "😀").await, strings(&["😀", "🙏", "👍"]));
    // Used again: moved to the front, not added twice.
    assert_eq!(use_emoji(&olga, "👍").await, strings(&["👍", "😀", "🙏"]));
    // The heart typed without its presentation selector is the set's heart.
    assert_eq!(
        use_emoji(&olga, "❤").await,
        strings(&["❤️", "👍", "😀", "🙏"])
    );
    assert_eq!(
        use_emoji(&olga, "❤️").await,
        strings(&["❤️", "👍", "😀", "🙏"])
    );
    // An emoji outside the popular set is fine too.
    assert_eq!(use_emoji(&olga, "🦖").await[0], "🦖");

    // A reload (another request) sees the same list, and so does the database.
    let again = app.sign_in("olga@acme.test").await;
    let expected = strings(&["🦖", "❤️", "👍", "😀", "🙏"]);
    assert_eq!(recent(&again).await, expected);
    assert_eq!(stored(&pool, "olga@acme.test").await, expected);
}

#[sqlx::test(migrations = "../migrations")]
async fn eighteen_are_kept_and_the_oldest_drops_off(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let used: Vec<&str> = app::domain::emoji::all()
        .take(20)
        .map(|e| e.emoji)
        .collect();
    for emoji in &used {
        use_emoji(&olga, emoji).await;
    }
    let list = recent(&olga).await;
    assert_eq!(list.len(), 18);
    // Newest first: the twentieth used leads, the first two are gone.
    let expected: Vec<String> = used[2..].iter().rev().map(|e| (*e).to_owned()).collect();
    assert_eq!(list, expected);

    // Using one still in the list only moves it.
    let moved = use_emoji(&olga, used[5]).await;
    assert_eq!(moved.len(), 18);
    assert_eq!(moved[0], used[5]);
    assert_eq!(stored(&pool, "olga@acme.test").await, moved);
}

#[sqlx::test(migrations = "../migrations")]
async fn each_user_has_their_own_list(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let admin = app.sign_in("admin@acme.test").await;
    let stranger = app.sign_in("admin@other.test").await;

    use_emoji(&olga, "👍").await;
    use_emoji(&olga, "🔥").await;
    assert!(recent(&admin).await.is_empty());
    assert!(recent(&stranger).await.is_empty());

    assert_eq!(use_emoji(&admin, "🎉").await, strings(&["🎉"]));
    assert_eq!(use_emoji(&stranger, "☕").await, strings(&["☕"]));
    assert_eq!(recent(&olga).await, strings(&["🔥", "👍"]));
    assert_eq!(stored(&pool, "vera@acme.test").await, Vec::<String>::new());
}

#[sqlx::test(migrations = "../migrations")]
async fn two_tabs_using_emoji_at_once_lose_none(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let used: Vec<&'static str> = app::domain::emoji::all()
        .take(12)
        .map(|e| e.emoji)
        .collect();
    let calls = used.iter().copied().map(|emoji| {
        let tab = olga.clone();
        async move { tab.call("use_emoji", &[("emoji", emoji)]).await }
    });
    for (status, body) in all_at_once(calls).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let list = recent(&olga).await;
    assert_eq!(list.len(), used.len(), "{list:?}");
    assert!(used.iter().all(|e| list.iter().any(|l| l == e)), "{list:?}");
}

/// Runs the calls concurrently on the test's runtime.
async fn all_at_once<F, T>(calls: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = calls.map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(handle.await.expect("a call"));
    }
    results
}

#[sqlx::test(migrations = "../migrations")]
async fn text_and_markup_are_refused_and_nothing_is_stored(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    use_emoji(&olga, "👍").await;
    let long = "👍".repeat(9);
    for bad in [
        "",
        "hello",
        "ok👍",
        "<img src=x onerror=alert(1)>",
        "<b>👍</b>",
        "привет",
        "\u{200D}",
        long.as_str(),
    ] {
        let (status, body) = olga.call("use_emoji", &[("emoji", bad)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        assert_eq!(body["Validation"]["field"], "emoji", "{body}");
        assert_eq!(
            body["Validation"]["message"], "emoji.error.invalid",
            "{body}"
        );
    }
    // No argument at all is bad input too.
    let (status, _) = olga.call("use_emoji", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(&pool, "olga@acme.test").await, strings(&["👍"]));
}

#[sqlx::test(migrations = "../migrations")]
async fn signed_out_callers_are_refused(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    for (endpoint, args) in [
        ("recent_emoji", vec![]),
        ("use_emoji", vec![("emoji", "👍")]),
    ] {
        let response = http()
            .post(app.url(&format!("/api/{endpoint}")))
            .form(&args)
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
    }
    let touched: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE cardinality(recent_emoji) > 0")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(touched, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_database_itself_keeps_at_most_eighteen(pool: PgPool) {
    world(&pool).await;
    let nineteen: Vec<String> = app::domain::emoji::all()
        .take(19)
        .map(|e| e.emoji.to_owned())
        .collect();
    let refused = sqlx::query("UPDATE users SET recent_emoji = $1 WHERE email = 'olga@acme.test'")
        .bind(&nineteen)
        .execute(&pool)
        .await;
    assert!(refused.is_err(), "nineteen stored");
}
