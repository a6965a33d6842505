//! Builds the application: database, migrations, the router with its middleware, and the
//! listener. `Application::build` binds first, so tests can start it on port 0.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use app::auth::session::SESSION_COOKIE;
use app::auth::{MaybeUser, ServerState, csrf, session};
use app::{App, shell};
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, extract::DefaultBodyLimit};
use axum_extra::extract::CookieJar;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::api_v1;
use crate::channels::directory::Directory;
use crate::channels::ingest::Ingestor;
use crate::channels::{Channels, ingest};
use crate::config::Config;
use crate::files::{self, FileStore};
use crate::realtime::{self, Hub};

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub pool: PgPool,
    pub hub: Hub,
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
    pub channels: Channels,
    /// The channels webhooks name, kept in memory.
    pub directory: Directory,
    /// The queue webhooks are stored through.
    pub ingestor: Ingestor,
    /// How fast each REST API token may call.
    pub api_limits: crate::api_v1::limits::ApiLimits,
    pub files: FileStore,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// Opens a pool on `url`.
pub async fn connect(url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .context("connecting to PostgreSQL")
}

/// Applies the embedded migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    app::store::MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub addr: SocketAddr,
}

impl Application {
    /// Binds `config.leptos.site_addr` (port 0 picks a free one) and builds the router on
    /// an already migrated database.
    pub async fn build(config: &Config, pool: PgPool) -> anyhow::Result<Application> {
        let hub = Hub::new();
        hub.listen(pool.clone()).await?;
        let directory = Directory::default();
        directory.listen(pool.clone()).await?;
        let ingestor = Ingestor::spawn(pool.clone());
        let listener = TcpListener::bind(config.leptos.site_addr)
            .await
            .with_context(|| format!("binding {}", config.leptos.site_addr))?;
        let addr = listener.local_addr()?;
        let public_url = config
            .channels
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let files = FileStore::open(&config.channels)?;
        let channels = Channels::new(&config.channels, &public_url, files.clone())?;
        crate::workers::housekeeping::spawn(pool.clone(), Duration::from_secs(3600), files.clone());
        if config.channels.workers {
            crate::workers::delivery::spawn(pool.clone(), channels.clone(), files.clone());
            crate::workers::files::spawn(pool.clone(), channels.clone(), files.clone());
            crate::workers::webhooks::spawn(pool.clone(), config.channels.reach())?;
            crate::workers::templates::spawn(pool.clone());
            crate::workers::mail::spawn(
                pool.clone(),
                channels.clone(),
                config.max_body_bytes as u64,
            );
        }
        let state = AppState {
            leptos: config.leptos.clone(),
            pool,
            hub,
            secure_cookies: config.secure_cookies,
            max_body_bytes: config.max_body_bytes,
            channels,
            directory,
            ingestor,
            api_limits: crate::api_v1::limits::ApiLimits::new(config.api_rate),
            files,
        };
        Ok(Application {
            listener,
            router: router(state),
            addr,
        })
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let server_state = ServerState {
        pool: state.pool.clone(),
        secure_cookies: state.secure_cookies,
    };
    let context = move || provide_context(server_state.clone());
    let leptos = state.leptos.clone();
    let max_body = state.max_body_bytes;

    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/ws", get(realtime::ws_handler))
        .route(
            "/webhooks/{kind}/{channel_id}",
            post(ingest::webhook).get(ingest::handshake),
        )
        .route("/files/{id}", get(files::download))
        .route("/files/{id}/signed", get(files::signed_download))
        .route(
            "/reports/close-reasons.csv",
            get(crate::reports::close_reasons_csv),
        )
        .nest("/api/v1", api_v1::router())
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(middleware::from_fn_with_state(max_body, limit_body))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(server_fn_status))
        // Operators' files to send have their own, larger limit.
        .merge(
            Router::new()
                .route("/files", post(files::upload))
                .route("/api/v1/files", post(api_v1::files::upload))
                .layer(middleware::from_fn_with_state(
                    app::domain::MAX_UPLOAD_BYTES,
                    limit_body,
                ))
                .layer(DefaultBodyLimit::max(app::domain::MAX_UPLOAD_BYTES)),
        )
        .layer(middleware::from_fn_with_state(state.clone(), resolve_session))
        .layer(middleware::from_fn(refuse_cross_origin))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// `GET /readyz`: ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Refuses bodies over the limit with a clear message, before reading them. Bodies without
/// a length are cut at the same limit by `DefaultBodyLimit`.
async fn limit_body(State(max): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max) {
        let message = format!("Request body too large: the limit is {max} bytes.");
        if is_rest_api(req.uri().path()) {
            return api_v1::ApiError::too_large(message).into_response();
        }
        return (StatusCode::PAYLOAD_TOO_LARGE, message).into_response();
    }
    next.run(req).await
}

/// A server function that failed before its body ran (arguments that do not parse, a
/// missing one) is answered by the framework as 500; its error, an `AppError`, knows
/// better (422 for bad input). Only server function errors are looked at (they carry the
/// `serverfnerror` header) and only 500s, so nothing else is read twice.
async fn server_fn_status(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = err.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// State-changing requests must come from our own pages.
async fn refuse_cross_origin(req: Request, next: Next) -> Response {
    // Webhooks carry no cookies and prove themselves with a secret or a signature; the REST
    // API authenticates only by a bearer token, which a browser never attaches by itself.
    let path = req.uri().path();
    let exempt = path.starts_with("/webhooks/") || is_rest_api(path);
    if !exempt && !csrf::is_same_origin(req.method(), req.headers()) {
        tracing::warn!(path = %req.uri().path(), "refused a cross-origin request");
        return (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response();
    }
    next.run(req).await
}

/// The REST API: bearer tokens only, never the session cookie.
fn is_rest_api(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

/// Paths served the same to everyone, with no use for the session.
fn is_anonymous(path: &str) -> bool {
    path == "/healthz"
        || path == "/readyz"
        || path == "/favicon.ico"
        || path.starts_with("/pkg/")
        || path.starts_with("/webhooks/")
        || is_rest_api(path)
}

/// Paths anyone may open without signing in (server functions and the socket check the
/// session themselves).
fn is_public(path: &str) -> bool {
    is_anonymous(path)
        || path == "/login"
        || path.starts_with("/api/")
        || path == "/ws"
        || path.starts_with("/files/")
}

/// Resolves the session cookie once per request into `MaybeUser`; sends signed-out page
/// visits to the sign-in page and signed-in visits of the sign-in page to the inbox.
async fn resolve_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Static files and probes never need the user: no session query for them.
    if is_anonymous(req.uri().path()) {
        req.extensions_mut().insert(MaybeUser(None));
        return next.run(req).await;
    }
    let jar = CookieJar::from_headers(req.headers());
    let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
    let user = match token {
        Some(token) => match session::resolve(&state.pool, &token).await {
            Ok(user) => user,
            Err(err) => {
                tracing::error!(error = %err, "resolving a session");
                return (StatusCode::SERVICE_UNAVAILABLE, "Please try again shortly.")
                    .into_response();
            }
        },
        None => None,
    };
    let path = req.uri().path().to_owned();
    let is_page = req.method() == Method::GET && !is_public(&path);
    if user.is_none() && is_page {
        let next_path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let target = format!("/login?next={}", urlencode(&next_path));
        return Redirect::to(&target).into_response();
    }
    if user.is_some() && path == "/login" {
        return Redirect::to("/dialogs").into_response();
    }
    let had_stale_cookie = jar.get(SESSION_COOKIE).is_some() && user.is_none();
    req.extensions_mut().insert(MaybeUser(user));
    let mut response = next.run(req).await;
    if had_stale_cookie
        && let Ok(value) =
            HeaderValue::from_str(&session::expired_session_cookie(state.secure_cookies))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
