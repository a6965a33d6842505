//! Logs: `tracing` to stderr, filtered by `DIALOGS_LOG` (or `RUST_LOG`).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("DIALOGS_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // A second init (tests) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
