//! Messengers behind one trait. Each adapter verifies and parses its provider's webhooks,
//! sends, deletes and fetches files in the provider's own protocol; everything else (storing,
//! delivery order, retries, rate limits) is shared.

pub mod api;
pub mod directory;
pub mod email;
pub mod imap;
pub mod ingest;
pub mod telegram;
pub mod whatsapp;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::domain::ChannelKind;
use app::domain::inbound::InboundEvent;
use app::store::inbound::ChannelRecord;
use futures::future::BoxFuture;
use http::HeaderMap;

use crate::config::ChannelsConfig;

/// Why a webhook was refused. Each maps to one HTTP status and a plain message.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("unknown channel")]
    UnknownChannel,
    #[error("the signature or secret does not match")]
    BadSignature,
    #[error("malformed payload: {0}")]
    Malformed(String),
    #[error("the channel is not connected to a line, or is switched off")]
    NotConnected,
}

/// A message to send to a client.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The client's id on the channel: chat id, phone number, address.
    pub chat: String,
    pub text: String,
    /// The messenger's id of the message this one answers.
    pub reply_to: Option<String>,
    /// The messenger's id of the client's newest message in the dialog: where an email
    /// reply threads when the operator did not answer a particular message.
    pub thread: Option<String>,
    /// Stable across retries of one message; providers that deduplicate on it never
    /// deliver a retry twice.
    pub idempotency_key: String,
    /// Email: the subject, when the dialog has one (its first email's, "Re: …" in replies).
    pub subject: Option<String>,
    /// WhatsApp: send this approved template instead of free text.
    pub template: Option<app::domain::template::SentTemplate>,
    /// Files to send with the text (E3): all of them for providers that take several in
    /// one message, else one, the text being its caption.
    pub files: Vec<OutgoingFile>,
    /// Button titles under the text (E10), within the messenger's limits
    /// (`app::domain::buttons`); empty for most messages.
    pub buttons: Vec<String>,
}

/// A file an operator sends.
#[derive(Clone)]
pub struct OutgoingFile {
    pub attachment_id: app::domain::AttachmentId,
    /// `image`, `video`, `audio`, `voice` or `document`.
    pub kind: String,
    pub file_name: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for OutgoingFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingFile")
            .field("attachment_id", &self.attachment_id)
            .field("kind", &self.kind)
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// How a provider takes a message with files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSending {
    /// Every file in one message with the text (email, the API channel).
    Together,
    /// One file per provider message; the text rides along as the first file's caption when
    /// it is at most `caption_max` characters, else it goes first on its own.
    OneByOne { caption_max: usize },
}

/// Why a send did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The provider did not take the message (overloaded, rate limit, unreachable): safe to
    /// try again, after `after` when the provider said so.
    #[error("{reason}")]
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// The provider refused the message for good (blocked bot, bad chat, bad token).
    #[error("{0}")]
    Permanent(String),
    /// The request left but no answer came: the provider may have taken the message.
    #[error("{0}")]
    Unclear(String),
}

/// A file fetched from a messenger.
pub struct FetchedFile {
    pub bytes: Vec<u8>,
    pub mime_type: Option<String>,
}

/// Sending limits of a provider.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Least time between two messages to one chat.
    pub per_chat: Duration,
    /// Least time between two messages of one channel.
    pub per_channel: Duration,
}

/// One messenger's protocol.
pub trait ChannelAdapter: Send + Sync {
    fn kind(&self) -> ChannelKind;

    /// Checks that a webhook came from the provider: a secret header, or a signature over
    /// the raw body, compared in constant time.
    fn verify(
        &self,
        channel: &ChannelRecord,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), WebhookError>;

    /// Answers a provider's subscription handshake, a `GET` on the webhook URL made before
    /// the provider sends anything (Meta's `hub.challenge`): Ok carries the plain text to
    /// answer with. Providers without one answer UnknownChannel.
    fn handshake(
        &self,
        _channel: &ChannelRecord,
        _query: &HashMap<String, String>,
    ) -> Result<String, WebhookError> {
        Err(WebhookError::UnknownChannel)
    }

    /// Turns a verified webhook body into events.
    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError>;

    /// Keeps what the parsed events refer to but no provider will serve later (the files
    /// inside an email), before the events are stored; a failure answers 503 and the
    /// provider retries. Providers that keep their files do nothing.
    fn keep_payload<'a>(
        &'a self,
        _channel: &'a ChannelRecord,
        _body: &'a [u8],
        _events: &'a [InboundEvent],
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Sends a message; Ok carries the provider's id of it.
    fn send<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        message: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Option<String>, SendError>>;

    /// Deletes a sent message at the client's side, where the provider allows it.
    fn delete<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        chat: &'a str,
        external_id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>>;

    /// Fetches a client's file named by the `source` the parser recorded.
    fn fetch_file<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        source: &'a str,
    ) -> BoxFuture<'a, Result<FetchedFile, SendError>>;

    fn limits(&self) -> RateLimits;

    /// How this provider takes files.
    fn file_sending(&self) -> FileSending;

    /// The longest text one message may carry; longer ones go out in pieces.
    fn max_text_chars(&self) -> Option<usize> {
        None
    }

    /// True when the provider deduplicates sends on the idempotency key, so a send with an
    /// unclear outcome may be repeated safely.
    fn deduplicates_sends(&self) -> bool;
}

/// The adapters of this server, by kind.
#[derive(Clone)]
pub struct Channels {
    reach: crate::outbound::Reach,
    telegram: Arc<telegram::Telegram>,
    api: Arc<api::ApiChannel>,
    whatsapp: Arc<whatsapp::WhatsApp>,
    email: Arc<email::Email>,
}

impl Channels {
    /// The adapters; `files` is where the email adapter keeps raw emails with attachments.
    pub fn new(
        config: &ChannelsConfig,
        public_url: &str,
        files: crate::files::FileStore,
    ) -> anyhow::Result<Channels> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("Dialogs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?;
        // API channels post to, and fetch files from, addresses their accounts give: only
        // public ones (`outbound`), and no redirects that would carry the signed body on.
        let reach = config.reach();
        let guarded = crate::outbound::guarded(reqwest::Client::builder(), reach)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Dialogs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("building the API channels' HTTP client: {e}"))?;
        Ok(Channels {
            reach,
            telegram: Arc::new(telegram::Telegram::new(
                http.clone(),
                config.telegram_api_base.clone(),
            )),
            whatsapp: Arc::new(whatsapp::WhatsApp::new(
                http.clone(),
                config.whatsapp_graph_base.clone(),
            )),
            api: Arc::new(api::ApiChannel::new(guarded, public_url.to_owned(), reach)),
            email: Arc::new(email::Email::new(files)),
        })
    }

    /// Where addresses accounts give may point (webhooks, API channels).
    pub fn reach(&self) -> crate::outbound::Reach {
        self.reach
    }

    /// The email adapter, for what only email has (kept raw emails).
    pub fn email(&self) -> &email::Email {
        &self.email
    }

    /// The WhatsApp adapter, for what only WhatsApp has (templates).
    pub fn whatsapp(&self) -> &whatsapp::WhatsApp {
        &self.whatsapp
    }

    /// The adapter of a kind, or None when this kind is not connected yet.
    pub fn adapter(&self, kind: ChannelKind) -> Option<&dyn ChannelAdapter> {
        match kind {
            ChannelKind::Telegram => Some(self.telegram.as_ref()),
            ChannelKind::Webhook => Some(self.api.as_ref()),
            ChannelKind::Whatsapp => Some(self.whatsapp.as_ref()),
            ChannelKind::Email => Some(self.email.as_ref()),
            _ => None,
        }
    }

    /// The adapter named in a webhook URL (`/webhooks/{name}/...`).
    pub fn by_path_name(&self, name: &str) -> Option<&dyn ChannelAdapter> {
        match name {
            "telegram" => self.adapter(ChannelKind::Telegram),
            "api" => self.adapter(ChannelKind::Webhook),
            "whatsapp" => self.adapter(ChannelKind::Whatsapp),
            "email" => self.adapter(ChannelKind::Email),
            _ => None,
        }
    }
}

/// A credential of a channel (`credentials->>name`).
pub fn credential<'a>(channel: &'a ChannelRecord, name: &str) -> Option<&'a str> {
    channel
        .credentials
        .0
        .get(name)
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A setting of a channel (`settings->>name`).
pub fn setting<'a>(channel: &'a ChannelRecord, name: &str) -> Option<&'a str> {
    channel
        .settings
        .0
        .get(name)
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    // Hashing first makes the comparison length-independent too.
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// How a `reqwest` failure reads for delivery: refused connections never reached the
/// provider (retry); timeouts after sending may have (unclear).
pub fn transport_error(provider: &str, err: &reqwest::Error) -> SendError {
    if let Some(reason) = crate::outbound::refusal(err) {
        return SendError::Permanent(reason);
    }
    if err.is_connect() || err.is_builder() {
        SendError::Retry {
            after: None,
            reason: format!("{provider} is unreachable"),
        }
    } else {
        SendError::Unclear(format!(
            "No answer from {provider}: the message may or may not have been delivered"
        ))
    }
}

/// Reads a file download: 5xx and 429 are worth retrying, other refusals are final, and a
/// file over `max` bytes is refused whether its length is declared or only found while
/// reading (read in chunks, so a server that lies about the length cannot fill memory).
pub async fn download(
    mut response: reqwest::Response,
    provider: &str,
    max: usize,
) -> Result<FetchedFile, SendError> {
    let status = response.status();
    if !status.is_success() {
        let reason = format!("{provider} answered {status} for a file");
        return Err(if status.is_server_error() || status.as_u16() == 429 {
            SendError::Retry {
                after: retry_after(response.headers()),
                reason,
            }
        } else {
            SendError::Permanent(reason)
        });
    }
    let too_large = || SendError::Permanent(format!("The file is over {} MB", max >> 20));
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mime_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| SendError::Retry {
        after: None,
        reason: format!("downloading a file from {provider}: {e}"),
    })? {
        if bytes.len() + chunk.len() > max {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(FetchedFile { bytes, mime_type })
}

/// Checks a `sha256=<hex>` HMAC header over the raw body, keyed with a channel credential
/// (the API channel's `secret`, WhatsApp's `app_secret`).
pub fn verify_hmac_header(
    channel: &ChannelRecord,
    credential_name: &str,
    header: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), WebhookError> {
    let secret = credential(channel, credential_name).ok_or(WebhookError::BadSignature)?;
    let given = headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .ok_or(WebhookError::BadSignature)?;
    if api::signature_matches(secret.as_bytes(), body, given) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// Reads an HTTP `Retry-After` given in seconds.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}
