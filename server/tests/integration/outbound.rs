//! Requests to addresses an account gives (webhook subscriptions, API channels) never
//! reach this machine or its private network unless the installation allows it
//! (`DIALOGS_ALLOW_PRIVATE_URLS`): refused when saved where we can tell, and refused with
//! the reason, without retrying, when sent.

use crate::common;
use crate::common::fakes::FakeReceiver;
use crate::common::{TestApp, http, world};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn public_only(pool: PgPool) -> TestApp {
    TestApp::spawn_with(pool, |c| c.channels.allow_private_urls = false).await
}

async fn token(pool: &PgPool) -> String {
    let (token, hash) = server::api_v1::new_token();
    app::store::api_tokens::create(pool, "admin@acme.test", "bot", &hash)
        .await
        .expect("token")
        .expect("user");
    token
}

#[sqlx::test(migrations = "../migrations")]
async fn a_webhook_subscription_to_a_private_address_is_refused_with_the_reason(pool: PgPool) {
    world(&pool).await;
    let app = public_only(pool.clone()).await;
    let token = token(&pool).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://10.0.0.8/hook",
    ] {
        let response = http()
            .post(app.url("/api/v1/webhooks"))
            .bearer_auth(&token)
            .json(&json!({ "url": url }))
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        let body: Value = response.json().await.expect("json");
        assert!(
            body.to_string().contains("private or local address"),
            "{url}: {body}"
        );
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_subscriptions")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(stored, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_api_channel_pointing_at_this_machine_fails_its_messages_with_the_reason(pool: PgPool) {
    let w = world(&pool).await;
    let receiver = FakeReceiver::start().await;
    let app = public_only(pool.clone()).await;
    // One channel names the loopback address; another a name of this machine, which only
    // the resolver can tell is private.
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let resolves_private = !host.is_empty()
        && tokio::net::lookup_host((host.as_str(), 80))
            .await
            .map(|found| {
                let found: Vec<_> = found.collect();
                !found.is_empty() && found.iter().all(|a| !server::outbound::is_public(a.ip()))
            })
            .unwrap_or(false);
    let port = receiver
        .url()
        .rsplit(':')
        .next()
        .map(str::to_owned)
        .unwrap_or_default();
    let mut urls = vec![receiver.url()];
    if resolves_private {
        urls.push(format!("http://{host}:{port}"));
    }
    let admin = app.sign_in("admin@acme.test").await;
    for (n, url) in urls.iter().enumerate() {
        let channel = common::api_channel(&pool, &w.acme, url).await;
        let (status, dialog) = admin
            .call(
                "start_dialog",
                &[
                    ("input[line_id]", &w.acme.line_sales.to_string()),
                    ("input[channel_id]", &channel.to_string()),
                    ("input[recipient]", &format!("visitor-{n}")),
                    ("input[text]", "Hello"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{dialog}");
        app.wait_for(
            &format!(
                "SELECT count(*) FROM messages WHERE dialog_id = {dialog} AND delivery = 'failed'"
            ),
            1,
        )
        .await;
        // Failed within the wait above (seconds): refused at once, not retried for hours.
        let error: String = sqlx::query_scalar(
            "SELECT delivery_error FROM messages WHERE dialog_id = $1 AND delivery = 'failed'",
        )
        .bind(dialog.as_i64().expect("dialog id"))
        .fetch_one(&pool)
        .await
        .expect("the failed message");
        assert!(error.contains("private or local"), "{url}: {error}");
    }
    assert!(receiver.calls().is_empty(), "nothing reached the receiver");
}
