//! Outbound webhook subscriptions and their delivery log. A subscription receives every
//! event of the account (or the types it names), so only owners and admins manage them.
//! The worker that posts them is `workers::webhooks`.

use app::domain::{ServerEvent, UserId};
use app::store;
use app::store::webhooks::{DeliveryRecord, Subscription};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ApiUser, ErrorBody};
use crate::startup::AppState;

const MAX_URL_CHARS: usize = 2000;

/// A subscription: where the account's events are posted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Event types posted; empty means all.
    #[schema(example = json!(["message.created"]))]
    pub events: Vec<String>,
    pub active: bool,
    /// The user who created it.
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<Subscription> for Webhook {
    fn from(s: Subscription) -> Webhook {
        Webhook {
            id: s.id,
            url: s.url,
            events: s.events,
            active: s.active,
            created_by: s.created_by.map(|u: UserId| u.0),
            created_at: s.created_at,
        }
    }
}

/// A new subscription, with its signing secret (shown only in this answer).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// The key of the `X-Dialogs-Signature` HMAC. Keep it; it is not shown again.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<Webhook>,
}

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// An http or https URL that takes POSTs.
    #[schema(example = "https://bot.example.com/dialogs-events")]
    pub url: String,
    /// Event types to post: `message.created`, `message.updated`, `dialog.updated`.
    /// Absent or empty: all.
    #[serde(default)]
    pub events: Vec<String>,
    /// The signing secret, 16–200 characters; a random one when absent.
    pub secret: Option<String>,
}

/// One event posted (or being posted) to a subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryEntry {
    pub id: i64,
    pub event_id: i64,
    pub event_type: String,
    /// `pending` (more attempts ahead), `delivered`, or `failed` (given up).
    #[schema(example = "delivered")]
    pub state: String,
    pub attempts: i32,
    /// The receiver's HTTP status on the last attempt; null when no answer came.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryRecord> for DeliveryEntry {
    fn from(d: DeliveryRecord) -> DeliveryEntry {
        let state = match (d.delivered_at, d.next_attempt_at) {
            (Some(_), _) => "delivered",
            (None, Some(_)) => "pending",
            (None, None) => "failed",
        };
        DeliveryEntry {
            id: d.id,
            event_id: d.event_id.0,
            event_type: d.event_type,
            state: state.to_owned(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub data: Vec<DeliveryEntry>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// The account's subscriptions.
#[utoipa::path(
    get,
    operation_id = "list_webhooks",
    path = "/webhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "The subscriptions", body = WebhookList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an owner or admin", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, api: ApiUser) -> ApiResult<Json<WebhookList>> {
    allowed(&api)?;
    let subscriptions = store::webhooks::list(&state.pool, api.access.account_id).await?;
    Ok(Json(WebhookList {
        data: subscriptions.into_iter().map(Webhook::from).collect(),
    }))
}

/// Subscribes a URL to the account's events.
///
/// Each event is posted as JSON, signed with
/// `X-Dialogs-Signature: sha256=<hex HMAC-SHA256 of the body keyed with the secret>`.
#[utoipa::path(
    post,
    operation_id = "create_webhook",
    path = "/webhooks",
    tag = "webhooks",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "The subscription, with its secret", body = CreatedWebhook),
        (status = 400, description = "A field is invalid, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an owner or admin", body = ErrorBody),
        (status = 422, description = "The JSON has the wrong shape", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    api: ApiUser,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    allowed(&api)?;
    let url = checked_url(&body.url, state.channels.reach())?;
    let events = checked_events(&body.events)?;
    let secret = match body.secret {
        Some(secret) => {
            let secret = secret.trim().to_owned();
            if !(16..=200).contains(&secret.chars().count()) {
                return Err(ApiError::validation(
                    "secret",
                    "The secret must have 16 to 200 characters.",
                ));
            }
            secret
        }
        None => app::auth::session::new_token(),
    };
    let s = store::webhooks::create(
        &state.pool,
        api.access.account_id,
        &url,
        &secret,
        &events,
        api.user.user_id,
    )
    .await?;
    tracing::info!(subscription = s.id, user = %api.user.user_id, "webhook subscription created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            id: s.id,
            url: s.url,
            events: s.events,
            active: s.active,
            created_by: s.created_by.map(|u| u.0),
            created_at: s.created_at,
            secret,
        }),
    ))
}

/// One subscription.
#[utoipa::path(
    get,
    operation_id = "get_webhook",
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The subscription's id")),
    responses(
        (status = 200, description = "The subscription", body = Webhook),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an owner or admin", body = ErrorBody),
        (status = 404, description = "No such subscription in this account", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Webhook>> {
    allowed(&api)?;
    let s = store::webhooks::get(&state.pool, api.access.account_id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(s.into()))
}

/// Deletes a subscription.
///
/// Its pending deliveries are dropped with its log.
#[utoipa::path(
    delete,
    operation_id = "delete_webhook",
    path = "/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The subscription's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an owner or admin", body = ErrorBody),
        (status = 404, description = "No such subscription in this account", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    allowed(&api)?;
    if store::webhooks::delete(&state.pool, api.access.account_id, id).await? {
        tracing::info!(subscription = id, user = %api.user.user_id, "webhook subscription deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// The delivery log of a subscription, newest first.
#[utoipa::path(
    get,
    operation_id = "list_webhook_deliveries",
    path = "/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The subscription's id"), DeliveryQuery),
    responses(
        (status = 200, description = "The newest deliveries", body = DeliveryList),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an owner or admin", body = ErrorBody),
        (status = 404, description = "No such subscription in this account", body = ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<DeliveryList>> {
    allowed(&api)?;
    let limit = super::limit(q.limit, 50)?;
    let account = api.access.account_id;
    store::webhooks::get(&state.pool, account, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rows = store::webhooks::deliveries(&state.pool, account, id, limit).await?;
    Ok(Json(DeliveryList {
        data: rows.into_iter().map(DeliveryEntry::from).collect(),
    }))
}

fn allowed(api: &ApiUser) -> ApiResult<()> {
    if api.access.can_manage_webhooks() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Only owners and admins manage webhook subscriptions.",
        ))
    }
}

fn checked_url(raw: &str, reach: crate::outbound::Reach) -> ApiResult<String> {
    let raw = raw.trim();
    let bad = || {
        ApiError::validation(
            "url",
            "Give an absolute http or https URL, e.g. https://bot.example.com/hook.",
        )
    };
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::validation(
            "url",
            format!("The URL is longer than {MAX_URL_CHARS} characters."),
        ));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    // This machine and private networks are refused unless allowed (`outbound`).
    crate::outbound::check_url(url.as_str(), reach)
        .map_err(|reason| ApiError::validation("url", reason))?;
    Ok(url.to_string())
}

fn checked_events(events: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for event in events {
        let event = event.trim();
        if !ServerEvent::TYPES.contains(&event) {
            return Err(ApiError::validation(
                "events",
                format!(
                    "Unknown event type {event:?}; use {}.",
                    ServerEvent::TYPES.join(", ")
                ),
            ));
        }
        if !out.iter().any(|e| e == event) {
            out.push(event.to_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_are_taken() {
        use crate::outbound::Reach::{Anywhere, PublicOnly};
        assert!(checked_url("https://bot.example.com/hook", PublicOnly).is_ok());
        assert!(checked_url("http://127.0.0.1:8080/x", Anywhere).is_ok());
        assert!(checked_url("http://127.0.0.1:8080/x", PublicOnly).is_err());
        assert!(checked_url("ftp://example.com/x", Anywhere).is_err());
        assert!(checked_url("/relative", Anywhere).is_err());
        assert!(checked_url("not a url", Anywhere).is_err());
    }

    #[test]
    fn event_types_are_checked_and_deduplicated() {
        let events = vec!["message.created".to_owned(), "message.created".to_owned()];
        assert_eq!(
            checked_events(&events).ok(),
            Some(vec!["message.created".to_owned()])
        );
        assert!(checked_events(&["message.sent".to_owned()]).is_err());
        assert_eq!(checked_events(&[]).ok(), Some(vec![]));
    }
}
