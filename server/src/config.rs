//! Configuration from environment variables, with defaults that run on a laptop. The README
//! has the table; keep the two in step.

use std::path::PathBuf;

use anyhow::Context;
use leptos::config::LeptosOptions;

#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`: an existing PostgreSQL. Unset: a private cluster under `data_dir`.
    pub database_url: Option<String>,
    /// `DIALOGS_DATA_DIR`: where the private cluster lives.
    pub data_dir: PathBuf,
    /// `LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT` and the other `LEPTOS_*` settings.
    pub leptos: LeptosOptions,
    /// `DIALOGS_MAX_BODY_BYTES`: the largest request body accepted.
    pub max_body_bytes: usize,
    /// `DIALOGS_SECURE_COOKIES`: mark cookies Secure (serve over HTTPS).
    pub secure_cookies: bool,
    /// `DIALOGS_DEMO`: `auto` seeds the demo account into a new private cluster; `always`
    /// seeds it into any database that has no accounts; `never`.
    pub demo: DemoMode,
    /// Where messenger APIs and files live.
    pub channels: ChannelsConfig,
    /// `DIALOGS_API_RATE` and `DIALOGS_API_BURST`: how fast one REST API token may call
    /// (requests a second, and the burst above it).
    pub api_rate: crate::api_v1::limits::ApiRate,
}

/// Messenger endpoints (overridable, so tests and staging can point at local fakes) and the
/// file store.
#[derive(Clone, Debug)]
pub struct ChannelsConfig {
    /// `TELEGRAM_API_BASE`: the Bot API, `https://api.telegram.org` by default.
    pub telegram_api_base: String,
    /// `WHATSAPP_GRAPH_BASE`: Meta's Graph API, `https://graph.facebook.com` by default.
    pub whatsapp_graph_base: String,
    /// `DIALOGS_FILES_DIR`: where files of messages are kept; `<data dir>/files` by default.
    pub files_dir: PathBuf,
    /// `DIALOGS_S3_BUCKET` and friends: keep files in an S3-compatible bucket instead, so
    /// several app servers share them.
    pub s3: Option<S3Config>,
    /// `DIALOGS_WORKERS`: `0` starts no delivery and job workers in this process (for
    /// servers that only answer requests).
    pub workers: bool,
    /// `DIALOGS_PUBLIC_URL`: the address the world reaches this app at (links to files sent
    /// over the API channel); `http://<bound address>` by default.
    pub public_url: Option<String>,
    /// `DIALOGS_ALLOW_PRIVATE_URLS=1`: webhooks and API channels may reach private and local
    /// addresses (see `outbound`); off by default.
    pub allow_private_urls: bool,
}

/// An S3-compatible bucket for files (AWS S3, MinIO, Ceph, Yandex Object Storage, …).
#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    /// `DIALOGS_S3_ENDPOINT`: the server's address for anything but AWS itself; buckets are
    /// then addressed by path.
    pub endpoint: Option<String>,
    /// `DIALOGS_S3_REGION` (or `AWS_REGION`), `us-east-1` by default.
    pub region: String,
    /// `DIALOGS_S3_ACCESS_KEY_ID` / `DIALOGS_S3_SECRET_ACCESS_KEY`; when unset, the usual
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` are used.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl ChannelsConfig {
    /// Where webhooks and API channels may send.
    pub fn reach(&self) -> crate::outbound::Reach {
        if self.allow_private_urls {
            crate::outbound::Reach::Anywhere
        } else {
            crate::outbound::Reach::PublicOnly
        }
    }

    pub fn new(data_dir: &std::path::Path) -> ChannelsConfig {
        ChannelsConfig {
            telegram_api_base: env("TELEGRAM_API_BASE")
                .map(|v| v.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| "https://api.telegram.org".into()),
            whatsapp_graph_base: env("WHATSAPP_GRAPH_BASE")
                .map(|v| v.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| "https://graph.facebook.com".into()),
            files_dir: env("DIALOGS_FILES_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("files")),
            s3: env("DIALOGS_S3_BUCKET").map(|bucket| S3Config {
                bucket,
                endpoint: env("DIALOGS_S3_ENDPOINT").map(|v| v.trim_end_matches('/').to_owned()),
                region: env("DIALOGS_S3_REGION")
                    .or_else(|| env("AWS_REGION"))
                    .unwrap_or_else(|| "us-east-1".into()),
                access_key_id: env("DIALOGS_S3_ACCESS_KEY_ID"),
                secret_access_key: env("DIALOGS_S3_SECRET_ACCESS_KEY"),
            }),
            workers: !matches!(env("DIALOGS_WORKERS").as_deref(), Some("0") | Some("false")),
            public_url: env("DIALOGS_PUBLIC_URL").map(|v| v.trim_end_matches('/').to_owned()),
            allow_private_urls: matches!(
                env("DIALOGS_ALLOW_PRIVATE_URLS").as_deref(),
                Some("1") | Some("true") | Some("yes")
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoMode {
    Auto,
    Always,
    Never,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let mut leptos = leptos::config::get_configuration(None)
            .context("reading the LEPTOS_* settings")?
            .leptos_options;
        if leptos.output_name.is_empty() {
            leptos.output_name = "dialogs".into();
        }
        let max_body_bytes = match env("DIALOGS_MAX_BODY_BYTES") {
            Some(v) => v
                .parse()
                .with_context(|| format!("DIALOGS_MAX_BODY_BYTES={v:?} is not a number"))?,
            None => 1024 * 1024,
        };
        let demo = match env("DIALOGS_DEMO").as_deref() {
            None | Some("auto") => DemoMode::Auto,
            Some("always") | Some("1") | Some("true") => DemoMode::Always,
            Some("never") | Some("0") | Some("false") => DemoMode::Never,
            Some(other) => anyhow::bail!("DIALOGS_DEMO={other:?}: expected auto, always or never"),
        };
        let mut api_rate = crate::api_v1::limits::ApiRate::default();
        for (name, slot) in [
            ("DIALOGS_API_RATE", &mut api_rate.per_second),
            ("DIALOGS_API_BURST", &mut api_rate.burst),
        ] {
            if let Some(v) = env(name) {
                *slot = v
                    .parse()
                    .with_context(|| format!("{name}={v:?} is not a positive whole number"))?;
            }
        }
        let data_dir = env("DIALOGS_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("data"));
        Ok(Config {
            database_url: env("DATABASE_URL"),
            channels: ChannelsConfig::new(&data_dir),
            data_dir,
            leptos,
            max_body_bytes,
            secure_cookies: matches!(
                env("DIALOGS_SECURE_COOKIES").as_deref(),
                Some("1") | Some("true")
            ),
            demo,
            api_rate,
        })
    }
}
