//! Posts the account's events to its webhook subscriptions (F3). A delivery row was written
//! in the transaction of the event itself (`events::publish`); this worker claims due rows,
//! posts `{"id", "type", "created_at", "data"}` signed with the subscription's secret, and
//! records each attempt's outcome, which is the delivery log API clients read.
//!
//! At least once: a receiver that does not answer 2xx (a 5xx, 408, 429, a timeout, a
//! refused connection) gets the same event again with the same `Idempotency-Key`, so it
//! must deduplicate on it. Other answers (4xx, redirects) end the delivery at once: the
//! receiver said no, or the URL is wrong.

use std::time::Duration;

use anyhow::Context;
use app::store::webhooks::{self, DueDelivery};
use serde_json::{Value, json};
use sqlx::PgPool;

use super::backoff;
use crate::channels::api::{SIGNATURE_HEADER, signature};
use crate::channels::retry_after;
use crate::outbound::{Reach, check_url};

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 12;
/// The longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long a claimed delivery stays claimed; longer than any post takes.
const LEASE: Duration = Duration::from_secs(60);
/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Posts in flight per server.
const IN_FLIGHT: usize = 32;
/// Back-off steps skipped: the first retry comes after about 2 s rather than 0.5 s, so the
/// twelve attempts span about an hour, a typical receiver's restart or deploy.
const BACKOFF_OFFSET: i32 = 2;

/// Starts the worker; it ends when the pool is closed.
pub fn spawn(pool: PgPool, reach: Reach) -> anyhow::Result<()> {
    // Subscriptions name their own URLs: only public addresses unless allowed (`outbound`).
    let http = crate::outbound::guarded(reqwest::Client::builder(), reach)
        .connect_timeout(Duration::from_secs(5))
        .timeout(TIMEOUT)
        // A redirect would resend the signed body somewhere the account did not name.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Dialogs-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the webhook HTTP client")?;
    let worker_pool = pool.clone();
    super::run_queue(
        pool,
        webhooks::WEBHOOKS_CHANNEL,
        IN_FLIGHT,
        |pool, limit| async move { webhooks::claim(&pool, limit, LEASE).await },
        move |delivery| {
            let (pool, http) = (worker_pool.clone(), http.clone());
            async move {
                let id = delivery.id;
                if let Err(err) = deliver(&pool, &http, reach, delivery).await {
                    // The lease runs out and the delivery is claimed again.
                    tracing::error!(
                        delivery = id,
                        error = format!("{err:#}"),
                        "webhook delivery"
                    );
                }
            }
        },
    );
    Ok(())
}

/// What one attempt came to.
#[derive(Debug, PartialEq)]
enum Outcome {
    Delivered(u16),
    /// Worth another attempt, after the receiver's `Retry-After` when it gave one.
    Retry {
        status: Option<u16>,
        error: String,
        after: Option<Duration>,
    },
    /// No point trying again.
    GiveUp {
        status: Option<u16>,
        error: String,
    },
}

/// One attempt at one delivery, recorded.
async fn deliver(
    pool: &PgPool,
    http: &reqwest::Client,
    reach: Reach,
    delivery: DueDelivery,
) -> anyhow::Result<()> {
    let outcome = match check_url(&delivery.url, reach) {
        Ok(_) => attempt(http, &delivery).await,
        Err(error) => Outcome::GiveUp {
            status: None,
            error,
        },
    };
    match outcome {
        Outcome::Delivered(status) => {
            tracing::debug!(delivery = delivery.id, event = %delivery.event_id, status, "webhook delivered");
            webhooks::delivered(pool, delivery.id, status).await
        }
        Outcome::Retry {
            status,
            error,
            after,
        } if delivery.attempts < MAX_ATTEMPTS => {
            let delay = after
                .map(|a| a.min(MAX_BACKOFF))
                .unwrap_or_else(|| backoff(delivery.attempts + BACKOFF_OFFSET, MAX_BACKOFF));
            webhooks::failed(pool, delivery.id, status, &error, Some(delay)).await
        }
        Outcome::Retry { status, error, .. } | Outcome::GiveUp { status, error } => {
            tracing::warn!(delivery = delivery.id, subscription = delivery.subscription_id, attempts = delivery.attempts, error, "webhook delivery given up");
            webhooks::failed(pool, delivery.id, status, &error, None).await
        }
    }
    .context("recording a webhook attempt")
}

async fn attempt(http: &reqwest::Client, delivery: &DueDelivery) -> Outcome {
    if !delivery.active {
        return Outcome::GiveUp {
            status: None,
            error: "The subscription is switched off".into(),
        };
    }
    let (Some(payload), Some(created_at)) = (&delivery.payload, delivery.event_created_at) else {
        return Outcome::GiveUp {
            status: None,
            error: "The event is no longer stored".into(),
        };
    };
    let body = json!({
        "id": delivery.event_id,
        "type": delivery.event_type,
        "created_at": created_at,
        "data": data_of(&payload.0),
    });
    let raw = match serde_json::to_vec(&body) {
        Ok(raw) => raw,
        Err(err) => {
            return Outcome::GiveUp {
                status: None,
                error: format!("encoding the event: {err}"),
            };
        }
    };
    let sent = http
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            signature(delivery.secret.as_bytes(), &raw),
        )
        .header("idempotency-key", format!("event-{}", delivery.event_id))
        .header("x-dialogs-event", delivery.event_type.as_str())
        .body(raw)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(err) => {
            if let Some(error) = crate::outbound::refusal(&err) {
                return Outcome::GiveUp {
                    status: None,
                    error,
                };
            }
            let error = if err.is_timeout() {
                format!("No answer within {} s", TIMEOUT.as_secs())
            } else if err.is_connect() {
                "The receiver is unreachable".to_owned()
            } else {
                format!("The request failed: {err}")
            };
            return Outcome::Retry {
                status: None,
                error,
                after: None,
            };
        }
    };
    classify(response.status(), retry_after(response.headers()))
}

/// What a receiver's status means for the delivery.
fn classify(status: reqwest::StatusCode, retry_after: Option<Duration>) -> Outcome {
    let code = status.as_u16();
    if status.is_success() {
        Outcome::Delivered(code)
    } else if status.is_server_error() || code == 408 || code == 429 {
        Outcome::Retry {
            status: Some(code),
            error: format!("The receiver answered {status}"),
            after: retry_after,
        }
    } else if status.is_redirection() {
        Outcome::GiveUp {
            status: Some(code),
            error: format!("The receiver redirected ({status}); subscribe its final URL"),
        }
    } else {
        Outcome::GiveUp {
            status: Some(code),
            error: format!("The receiver refused the event ({status})"),
        }
    }
}

/// The event's own fields: its payload without the `type` tag, which the envelope carries.
fn data_of(payload: &Value) -> Value {
    match payload {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "type")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn server_errors_and_throttling_are_retried_and_refusals_are_not() {
        assert_eq!(classify(StatusCode::OK, None), Outcome::Delivered(200));
        assert_eq!(
            classify(StatusCode::NO_CONTENT, None),
            Outcome::Delivered(204)
        );
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, None),
            Outcome::Retry {
                status: Some(502),
                ..
            }
        ));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(7))),
            Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            classify(StatusCode::NOT_FOUND, None),
            Outcome::GiveUp {
                status: Some(404),
                ..
            }
        ));
        assert!(matches!(
            classify(StatusCode::MOVED_PERMANENTLY, None),
            Outcome::GiveUp {
                status: Some(301),
                ..
            }
        ));
    }

    #[test]
    fn the_data_is_the_payload_without_its_type() {
        let payload = json!({"type": "dialog.updated", "dialog_id": 3});
        assert_eq!(data_of(&payload), json!({"dialog_id": 3}));
    }
}
