//! Local fakes of the messenger providers, speaking their protocols as the providers
//! document them: the Telegram Bot API (`/bot{token}/{method}`, `/file/bot{token}/{path}`)
//! and an API-channel receiver. Tests script failures (500, 429 with retry_after, 403) and
//! read back every call.

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

/// A failure the fake answers with instead of doing the call.
#[derive(Debug, Clone)]
pub enum Failure {
    /// 500 with an HTML body, as a proxy in front of the provider would.
    ServerError,
    /// 429 with `parameters.retry_after` (Telegram) or `Retry-After` (API channel).
    TooMany { retry_after: u64 },
    /// 403 "bot was blocked by the user".
    Blocked,
}

/// A call the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub body: Value,
    pub headers: HeaderMap,
    /// Whether the fake did the call (false when it answered with a scripted failure).
    pub accepted: bool,
    /// A file sent as multipart/form-data: field, file name, type, bytes.
    pub upload: Option<(String, String, String, Vec<u8>)>,
    /// When the call arrived.
    pub at: std::time::Instant,
}

/// Reads a multipart/form-data body: its text fields as a JSON object, and its file.
pub async fn read_multipart(
    headers: &HeaderMap,
    body: Bytes,
) -> Option<(Value, Option<(String, String, String, Vec<u8>)>)> {
    let boundary = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())?;
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut fields = serde_json::Map::new();
    let mut upload = None;
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let mime = field
                    .content_type()
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                let bytes = field.bytes().await.ok()?.to_vec();
                upload = Some((name, file_name, mime, bytes));
            }
            None => {
                let text = field.text().await.ok()?;
                fields.insert(name, Value::String(text));
            }
        }
    }
    Some((Value::Object(fields), upload))
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    failures: VecDeque<Failure>,
    next_message_id: HashMap<String, i64>,
    files: HashMap<String, (String, Vec<u8>)>,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeTelegram {
    pub async fn start(token: &str) -> FakeTelegram {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = (token.to_owned(), inner.clone());
        let router = Router::new()
            .route("/{bot}/{method}", post(telegram_method))
            .route("/file/{bot}/{*path}", get(telegram_file))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fake");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeTelegram { addr, inner }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next calls fail like this, in order.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = Failure>) {
        self.inner
            .lock()
            .expect("fake state")
            .failures
            .extend(failures);
    }

    /// A file the bot may download with getFile.
    pub fn add_file(&self, file_id: &str, path: &str, bytes: &[u8]) {
        self.inner
            .lock()
            .expect("fake state")
            .files
            .insert(file_id.to_owned(), (path.to_owned(), bytes.to_vec()));
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().expect("fake state").calls.clone()
    }

    /// Texts the fake accepted through sendMessage, in order.
    pub fn sent_texts(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.accepted && c.method == "sendMessage")
            .filter_map(|c| c.body["text"].as_str().map(str::to_owned))
            .collect()
    }
}

type TelegramState = (String, Arc<Mutex<Inner>>);

/// A reply keyboard as the Bot API takes it: rows of buttons, each with its text (a
/// multipart call carries it as a JSON string).
fn valid_reply_markup(markup: &Value) -> bool {
    let markup = match markup {
        Value::Null => return true,
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => v,
            Err(_) => return false,
        },
        other => other.clone(),
    };
    markup["keyboard"].as_array().is_some_and(|rows| {
        !rows.is_empty()
            && rows.iter().all(|row| {
                row.as_array().is_some_and(|b| {
                    !b.is_empty()
                        && b.iter()
                            .all(|b| b["text"].as_str().is_some_and(|t| !t.is_empty()))
                })
            })
    })
}

async fn telegram_method(
    State((token, inner)): State<TelegramState>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (body, upload) = match read_multipart(&headers, body.clone()).await {
        Some((fields, upload)) => (fields, upload),
        None => (serde_json::from_slice(&body).unwrap_or(Value::Null), None),
    };
    let mut inner = inner.lock().expect("fake state");
    if bot != format!("bot{token}") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
        )
            .into_response();
    }
    let failure = inner.failures.pop_front();
    inner.calls.push(Call {
        method: method.clone(),
        body: body.clone(),
        headers,
        accepted: failure.is_none(),
        upload,
        at: std::time::Instant::now(),
    });
    if let Some(failure) = failure {
        return match failure {
            Failure::ServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "<html>502 Bad Gateway</html>",
            )
                .into_response(),
            Failure::TooMany { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"ok": false, "error_code": 429,
                    "description": format!("Too Many Requests: retry after {retry_after}"),
                    "parameters": {"retry_after": retry_after}})),
            )
                .into_response(),
            Failure::Blocked => (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"ok": false, "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user"})),
            )
                .into_response(),
        };
    }
    let ok = |result: Value| axum::Json(json!({"ok": true, "result": result})).into_response();
    match method.as_str() {
        "sendMessage" if !valid_reply_markup(&body["reply_markup"]) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"ok": false, "error_code": 400,
                "description": "Bad Request: can't parse reply keyboard markup JSON object"})),
        )
            .into_response(),
        "sendMessage" => {
            let chat = body["chat_id"].to_string();
            let id = inner.next_message_id.entry(chat).or_insert(1000);
            *id += 1;
            ok(json!({"message_id": *id, "date": 1_700_000_000, "chat": {"id": body["chat_id"], "type": "private"}, "text": body["text"]}))
        }
        "sendPhoto" | "sendDocument" | "sendVideo" | "sendVoice" | "sendAudio" => {
            let chat = body["chat_id"].as_str().unwrap_or_default().to_owned();
            let id = inner.next_message_id.entry(chat.clone()).or_insert(1000);
            *id += 1;
            ok(json!({"message_id": *id, "date": 1_700_000_000, "chat": {"id": chat, "type": "private"}, "caption": body["caption"]}))
        }
        "deleteMessage" => ok(json!(true)),
        "getFile" => {
            let id = body["file_id"].as_str().unwrap_or_default();
            match inner.files.get(id) {
                Some((path, bytes)) => ok(json!({"file_id": id, "file_unique_id": id,
                    "file_size": bytes.len(), "file_path": path})),
                None => (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"ok": false, "error_code": 400,
                        "description": "Bad Request: invalid file_id"})),
                )
                    .into_response(),
            }
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})),
        )
            .into_response(),
    }
}

async fn telegram_file(
    State((token, inner)): State<TelegramState>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    if bot != format!("bot{token}") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let inner = inner.lock().expect("fake state");
    match inner.files.values().find(|(p, _)| *p == path) {
        Some((_, bytes)) => ([("content-type", "application/pdf")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A receiver of API-channel messages: answers `{"id": "..."}` or scripted failures.
#[derive(Clone)]
pub struct FakeReceiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeReceiver {
    pub async fn start() -> FakeReceiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let router = Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fake");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeReceiver { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn fail_next(&self, failures: impl IntoIterator<Item = Failure>) {
        self.inner
            .lock()
            .expect("fake state")
            .failures
            .extend(failures);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().expect("fake state").calls.clone()
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut inner = inner.lock().expect("fake state");
    let failure = inner.failures.pop_front();
    inner.calls.push(Call {
        method: body["type"].as_str().unwrap_or_default().to_owned(),
        body: body.clone(),
        headers,
        accepted: failure.is_none(),
        upload: None,
        at: std::time::Instant::now(),
    });
    match failure {
        None => axum::Json(json!({"id": format!("ext-{}", inner.calls.len())})).into_response(),
        Some(Failure::ServerError) => StatusCode::BAD_GATEWAY.into_response(),
        Some(Failure::TooMany { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after.to_string())],
        )
            .into_response(),
        Some(Failure::Blocked) => (StatusCode::FORBIDDEN, "unknown chat").into_response(),
    }
}
