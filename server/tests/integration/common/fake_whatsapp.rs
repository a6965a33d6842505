//! A local fake of Meta's Graph API for the WhatsApp Cloud API, as Meta documents it:
//! `POST /{version}/{phone_number_id}/messages` answering `messages[0].id`, media details at
//! `GET /{version}/{media_id}` and the media itself at the URL those give, every call
//! checked for the Bearer token. Tests script refusals and read back every call.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// A refusal the fake answers a send with instead of taking it.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// 500 with Meta's generic error 131000.
    ServerError,
    /// 429 with error 130429 and `Retry-After`.
    RateLimited { retry_after: u64 },
    /// 400 with error 131047: the customer service window has closed.
    ReEngagement,
}

/// A call the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `messages`, `media` (details) or `download`.
    pub what: String,
    /// The path's id: the phone number id of a send, the media id of a media call.
    pub id: String,
    pub body: Value,
    pub headers: HeaderMap,
    /// Whether the fake did the call (false when it answered with a refusal).
    pub accepted: bool,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    refusals: VecDeque<Refusal>,
    sent: u64,
    media: HashMap<String, (String, Vec<u8>)>,
    templates: Vec<Value>,
    /// Files uploaded to the number's media store: id → (file name, type, bytes).
    pub uploads: HashMap<String, (String, String, Vec<u8>)>,
}

#[derive(Clone)]
struct Shared {
    token: String,
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

#[derive(Clone)]
pub struct FakeGraph {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeGraph {
    pub async fn start(token: &str) -> FakeGraph {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fake");
        let addr = listener.local_addr().expect("address");
        let shared = Shared {
            token: token.to_owned(),
            addr,
            inner: inner.clone(),
        };
        let router = Router::new()
            .route("/{version}/{phone_number_id}/messages", post(messages))
            .route("/{version}/{phone_number_id}/media", post(upload_media))
            .route("/{version}/{media_id}", get(media))
            .route("/{version}/{account_id}/message_templates", get(templates))
            .route("/whatsapp_business/attachments/{media_id}", get(download))
            .with_state(shared);
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeGraph { addr, inner }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next sends are refused like this, in order.
    pub fn refuse_next(&self, refusals: impl IntoIterator<Item = Refusal>) {
        self.inner
            .lock()
            .expect("fake state")
            .refusals
            .extend(refusals);
    }

    /// Media a client sent, downloadable by its id.
    pub fn add_media(&self, media_id: &str, mime_type: &str, bytes: &[u8]) {
        self.inner
            .lock()
            .expect("fake state")
            .media
            .insert(media_id.to_owned(), (mime_type.to_owned(), bytes.to_vec()));
    }

    /// The business account's message templates, as Meta lists them (`data` items).
    pub fn set_templates(&self, templates: Vec<Value>) {
        self.inner.lock().expect("fake state").templates = templates;
    }

    /// A file the app uploaded, by media id.
    pub fn uploaded(&self, media_id: &str) -> Option<(String, String, Vec<u8>)> {
        self.inner
            .lock()
            .expect("fake state")
            .uploads
            .get(media_id)
            .cloned()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().expect("fake state").calls.clone()
    }

    /// Bodies of the sends the fake accepted, in order.
    pub fn sent(&self) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|c| c.accepted && c.what == "messages")
            .map(|c| c.body)
            .collect()
    }
}

fn graph_error(status: StatusCode, code: i64, message: &str, details: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {
            "message": message, "type": "OAuthException", "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "AbCdEf"
        }})),
    )
        .into_response()
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", shared.token))
}

fn unauthorized() -> Response {
    graph_error(
        StatusCode::UNAUTHORIZED,
        190,
        "Invalid OAuth access token - Cannot parse access token",
        "",
    )
}

async fn messages(
    State(shared): State<Shared>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&shared, &headers) {
        return unauthorized();
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(problem) = invalid_interactive(&body) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            131009,
            "(#131009) Parameter value is not valid",
            problem,
        );
    }
    let mut inner = shared.inner.lock().expect("fake state");
    let refusal = inner.refusals.pop_front();
    inner.calls.push(Call {
        what: "messages".into(),
        id: phone_number_id,
        body: body.clone(),
        headers,
        accepted: refusal.is_none(),
    });
    match refusal {
        Some(Refusal::ServerError) => graph_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            131000,
            "Something went wrong",
            "Something went wrong",
        ),
        Some(Refusal::RateLimited { retry_after }) => {
            let mut response = graph_error(
                StatusCode::TOO_MANY_REQUESTS,
                130429,
                "(#130429) Rate limit hit",
                "Cloud API message throughput has been reached.",
            );
            if let Ok(value) = retry_after.to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
        Some(Refusal::ReEngagement) => graph_error(
            StatusCode::BAD_REQUEST,
            131047,
            "(#131047) Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        None => {
            inner.sent += 1;
            let to = body["to"].clone();
            axum::Json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": format!("wamid.OUT{}", inner.sent), "message_status": "accepted"}]
            }))
            .into_response()
        }
    }
}

/// What the Cloud API refuses in an interactive reply-button message: a missing body, no
/// buttons or more than three, a title over 20 characters, repeated ids or titles.
fn invalid_interactive(body: &Value) -> Option<&'static str> {
    if body["type"] != "interactive" {
        return None;
    }
    let interactive = &body["interactive"];
    if interactive["type"] != "button" {
        return Some("interactive.type must be button here");
    }
    let text = interactive["body"]["text"].as_str().unwrap_or_default();
    if text.trim().is_empty() || text.chars().count() > 1024 {
        return Some("interactive.body.text is required, at most 1024 characters");
    }
    let buttons = interactive["action"]["buttons"].as_array()?;
    if buttons.is_empty() || buttons.len() > 3 {
        return Some("between 1 and 3 buttons");
    }
    let mut seen = std::collections::HashSet::new();
    for b in buttons {
        let (id, title) = (b["reply"]["id"].as_str()?, b["reply"]["title"].as_str()?);
        if b["type"] != "reply" || title.is_empty() || title.chars().count() > 20 {
            return Some("a reply button has a title of 1 to 20 characters");
        }
        if !seen.insert(id.to_owned()) || !seen.insert(format!("title:{title}")) {
            return Some("button ids and titles must be unique");
        }
    }
    None
}

async fn media(
    State(shared): State<Shared>,
    Path((_version, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&shared, &headers) {
        return unauthorized();
    }
    let mut inner = shared.inner.lock().expect("fake state");
    let found = inner.media.get(&media_id).cloned();
    inner.calls.push(Call {
        what: "media".into(),
        id: media_id.clone(),
        body: Value::Null,
        headers,
        accepted: found.is_some(),
    });
    match found {
        Some((mime, bytes)) => axum::Json(json!({
            "messaging_product": "whatsapp",
            "url": format!("http://{}/whatsapp_business/attachments/{media_id}", shared.addr),
            "mime_type": mime,
            "sha256": "unused",
            "file_size": bytes.len().to_string(),
            "id": media_id,
        }))
        .into_response(),
        None => graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "Unsupported get request. Object with ID does not exist",
            "",
        ),
    }
}

async fn download(
    State(shared): State<Shared>,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut inner = shared.inner.lock().expect("fake state");
    let found = inner.media.get(&media_id).cloned();
    inner.calls.push(Call {
        what: "download".into(),
        id: media_id,
        body: Value::Null,
        headers,
        accepted: found.is_some(),
    });
    match found {
        Some((mime, bytes)) => ([("content-type", mime)], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /{version}/{waba_id}/message_templates`: two templates a page, with Meta's
/// `paging.next` cursor URL.
async fn templates(
    State(shared): State<Shared>,
    Path((version, account)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&shared, &headers) {
        return unauthorized();
    }
    let mut inner = shared.inner.lock().expect("fake state");
    inner.calls.push(Call {
        what: "templates".into(),
        id: account.clone(),
        body: Value::Null,
        headers: headers.clone(),
        accepted: true,
    });
    let start: usize = query.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = inner
        .templates
        .iter()
        .skip(start)
        .take(2)
        .cloned()
        .collect();
    let mut answer = json!({ "data": page });
    if start + 2 < inner.templates.len() {
        answer["paging"] = json!({
            "cursors": { "after": (start + 2).to_string() },
            "next": format!("http://{}/{version}/{account}/message_templates?limit=2&after={}", shared.addr, start + 2),
        });
    }
    axum::Json(answer).into_response()
}

/// `POST /{version}/{phone_number_id}/media`: multipart with `messaging_product`, `type` and
/// `file`; answers `{"id": media id}`.
async fn upload_media(
    State(shared): State<Shared>,
    Path((_version, number)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&shared, &headers) {
        return unauthorized();
    }
    let Some((fields, Some((_, file_name, mime, bytes)))) =
        super::fakes::read_multipart(&headers, body).await
    else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "Invalid parameter",
            "file is required",
        );
    };
    if fields["messaging_product"] != "whatsapp" {
        return graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "Invalid parameter",
            "messaging_product",
        );
    }
    let mut inner = shared.inner.lock().expect("fake state");
    let id = format!("media-{}", inner.uploads.len() + 1);
    inner.uploads.insert(id.clone(), (file_name, mime, bytes));
    inner.calls.push(Call {
        what: "upload".into(),
        id: number,
        body: fields,
        headers,
        accepted: true,
    });
    axum::Json(json!({ "id": id })).into_response()
}
