//! The API channel: connects any messenger or bot that can make and take HTTP calls.
//!
//! Inbound: `POST /webhooks/api/{channel_id}` with a JSON event (or an array of them) and
//! `X-Dialogs-Signature: sha256=<hex HMAC-SHA256 of the raw body with the channel secret>`.
//! Outbound: the same kind of signed JSON is posted to the channel's `url`, with an
//! `Idempotency-Key` header that stays the same across retries of one message; receivers
//! must deduplicate on it. `docs/api.md` documents the format.

use std::time::Duration;

use app::domain::inbound::{
    AttachmentKind, InboundAttachment, InboundChat, InboundEvent, InboundMessage,
};
use app::domain::{ChannelKind, DeliveryState};
use app::store::inbound::ChannelRecord;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    ChannelAdapter, FetchedFile, Outgoing, RateLimits, SendError, WebhookError, credential,
    setting, transport_error,
};

use crate::outbound::{Reach, check_url};

pub const SIGNATURE_HEADER: &str = "x-dialogs-signature";
const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

pub struct ApiChannel {
    /// A client that reaches only what `reach` allows (`crate::outbound`).
    http: reqwest::Client,
    /// Where links to sent files point.
    public_url: String,
    reach: Reach,
}

impl ApiChannel {
    pub fn new(http: reqwest::Client, public_url: String, reach: Reach) -> ApiChannel {
        ApiChannel {
            http,
            public_url,
            reach,
        }
    }

    async fn post(
        &self,
        channel: &ChannelRecord,
        key: &str,
        body: &Value,
    ) -> Result<Value, SendError> {
        let url = setting(channel, "url").ok_or_else(|| {
            SendError::Permanent("The channel has no URL to send messages to".into())
        })?;
        let url = check_url(url, self.reach).map_err(SendError::Permanent)?;
        let secret = credential(channel, "secret")
            .ok_or_else(|| SendError::Permanent("The channel has no secret".into()))?;
        let raw = serde_json::to_vec(body)
            .map_err(|e| SendError::Permanent(format!("encoding the message: {e}")))?;
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature(secret.as_bytes(), &raw))
            .header("idempotency-key", key)
            .body(raw)
            .send()
            .await
            .map_err(|e| transport_error("the API endpoint", &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.json::<Value>().await.unwrap_or(Value::Null));
        }
        let after = super::retry_after(response.headers());
        if status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408 {
            return Err(SendError::Retry {
                after,
                reason: format!("The API endpoint answered {status}"),
            });
        }
        let text = response.text().await.unwrap_or_default();
        Err(SendError::Permanent(format!(
            "The API endpoint refused the message ({status}): {}",
            app::domain::inbound::cut(text.trim(), 200)
        )))
    }
}

/// `sha256=<hex>` of the body, keyed with the channel secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How long a link to a sent file works: a week.
pub const FILE_LINK_SECONDS: i64 = 7 * 24 * 3600;

/// The signature of a link to file `id` valid until `expires` (Unix seconds): hex
/// HMAC-SHA256 of `"{id}.{expires}"` keyed with the channel's secret.
pub fn file_signature(secret: &[u8], id: i64, expires: i64) -> String {
    signature(secret, format!("{id}.{expires}").as_bytes())
        .trim_start_matches("sha256=")
        .to_owned()
}

/// Checks a `sha256=<hex>` signature in constant time.
pub fn signature_matches(secret: &[u8], body: &[u8], given: &str) -> bool {
    let Some(hex_part) = given.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(bytes) = hex::decode(hex_part) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    Message(MessageIn),
    Edited(MessageIn),
    Deleted {
        message_ids: Vec<String>,
    },
    Status {
        message_id: String,
        state: DeliveryState,
        error: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageIn {
    message_id: String,
    chat: ChatIn,
    sender_name: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    attachments: Vec<FileIn>,
    sent_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatIn {
    id: String,
    #[serde(default)]
    name: String,
    username: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    #[serde(default)]
    is_group: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    url: String,
    file_name: String,
    mime_type: Option<String>,
    size_bytes: Option<i64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Body {
    Many(Vec<Event>),
    One(Box<Event>),
}

fn non_empty(value: &str, field: &str) -> Result<(), WebhookError> {
    if value.trim().is_empty() || value.len() > 200 {
        return Err(WebhookError::Malformed(format!(
            "{field} must be 1 to 200 characters"
        )));
    }
    Ok(())
}

impl MessageIn {
    fn into_inbound(self) -> Result<InboundMessage, WebhookError> {
        non_empty(&self.message_id, "message_id")?;
        non_empty(&self.chat.id, "chat.id")?;
        if self.text.trim().is_empty() && self.attachments.is_empty() {
            return Err(WebhookError::Malformed(
                "a message needs text or attachments".into(),
            ));
        }
        let attachments = self
            .attachments
            .into_iter()
            .map(|f| {
                if !(f.url.starts_with("https://") || f.url.starts_with("http://")) {
                    return Err(WebhookError::Malformed(
                        "attachments[].url must be an http(s) URL".into(),
                    ));
                }
                if f.file_name.trim().is_empty() {
                    return Err(WebhookError::Malformed(
                        "attachments[].file_name must not be empty".into(),
                    ));
                }
                let kind = match f.mime_type.as_deref() {
                    Some(m) if m.starts_with("image/") => AttachmentKind::Image,
                    Some(m) if m.starts_with("video/") => AttachmentKind::Video,
                    Some(m) if m.starts_with("audio/") => AttachmentKind::Audio,
                    _ => AttachmentKind::Document,
                };
                Ok(InboundAttachment {
                    kind,
                    file_name: f.file_name,
                    mime_type: f.mime_type,
                    size_bytes: f.size_bytes,
                    source: f.url,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InboundMessage {
            external_id: self.message_id,
            chat: InboundChat {
                external_id: self.chat.id,
                name: self.chat.name,
                username: self.chat.username,
                phone: self.chat.phone,
                email: self.chat.email,
                is_group: self.chat.is_group,
            },
            // `messages.sender_name` holds at most 300 characters.
            sender_name: self.sender_name.map(|n| app::domain::inbound::cut(&n, 300)),
            text: self.text,
            attachments,
            sent_at: self.sent_at,
            subject: None,
        })
    }
}

/// Parses an API channel webhook body: one event or an array of them.
pub fn parse_body(body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
    let events = match serde_json::from_slice::<Body>(body) {
        Ok(Body::Many(events)) => events,
        Ok(Body::One(event)) => vec![*event],
        // Untagged enums hide the cause; parse again as one event for a useful message.
        Err(_) => vec![
            serde_json::from_slice::<Event>(body)
                .map_err(|e| WebhookError::Malformed(e.to_string()))?,
        ],
    };
    if events.len() > 100 {
        return Err(WebhookError::Malformed(
            "at most 100 events per request".into(),
        ));
    }
    events
        .into_iter()
        .map(|event| {
            Ok(match event {
                Event::Message(m) => InboundEvent::Message(m.into_inbound()?),
                Event::Edited(m) => InboundEvent::Edited(m.into_inbound()?),
                Event::Deleted { message_ids } => InboundEvent::Deleted { message_ids },
                Event::Status {
                    message_id,
                    state,
                    error,
                } => InboundEvent::Status {
                    message_id,
                    state,
                    error,
                },
            })
        })
        .collect()
}

impl ChannelAdapter for ApiChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Webhook
    }

    fn verify(
        &self,
        channel: &ChannelRecord,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        super::verify_hmac_header(channel, "secret", SIGNATURE_HEADER, headers, body)
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
        parse_body(body)
    }

    fn send<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        message: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Option<String>, SendError>> {
        Box::pin(async move {
            let secret = credential(channel, "secret")
                .ok_or_else(|| SendError::Permanent("The channel has no secret".into()))?;
            let expires = chrono::Utc::now().timestamp() + FILE_LINK_SECONDS;
            let attachments: Vec<Value> = message
                .files
                .iter()
                .map(|f| {
                    json!({
                        "file_name": f.file_name,
                        "mime_type": f.mime_type,
                        "size_bytes": f.bytes.len(),
                        "url": format!(
                            "{}/files/{}/signed?expires={expires}&signature={}",
                            self.public_url,
                            f.attachment_id,
                            file_signature(secret.as_bytes(), f.attachment_id.0, expires)
                        ),
                    })
                })
                .collect();
            let body = json!({
                "type": "message",
                "message_id": message.idempotency_key,
                "chat_id": message.chat,
                "text": message.text,
                "reply_to": message.reply_to,
                "attachments": attachments,
                "buttons": message.buttons,
            });
            let answer = self.post(channel, &message.idempotency_key, &body).await?;
            let id = answer
                .get("id")
                .and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| message.idempotency_key.clone());
            Ok(Some(id))
        })
    }

    fn delete<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        chat: &'a str,
        external_id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let key = format!("delete:{external_id}");
            let body = json!({ "type": "delete", "chat_id": chat, "message_id": external_id });
            self.post(channel, &key, &body).await.map(|_| ())
        })
    }

    fn fetch_file<'a>(
        &'a self,
        _channel: &'a ChannelRecord,
        source: &'a str,
    ) -> BoxFuture<'a, Result<FetchedFile, SendError>> {
        Box::pin(async move {
            let url = check_url(source, self.reach).map_err(SendError::Permanent)?;
            let response = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| transport_error("the file's server", &e))?;
            super::download(response, "The file's server", MAX_FILE_BYTES).await
        })
    }

    fn file_sending(&self) -> super::FileSending {
        super::FileSending::Together
    }

    fn limits(&self) -> RateLimits {
        RateLimits {
            per_chat: Duration::ZERO,
            per_channel: Duration::from_millis(5),
        }
    }

    fn deduplicates_sends(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_matches_and_any_other_does_not() {
        let body = br#"{"type":"message"}"#;
        let good = signature(b"s3cret", body);
        assert!(good.starts_with("sha256="));
        assert!(signature_matches(b"s3cret", body, &good));
        assert!(!signature_matches(b"other", body, &good));
        assert!(!signature_matches(b"s3cret", b"{}", &good));
        assert!(!signature_matches(b"s3cret", body, "sha256=zz"));
        assert!(!signature_matches(
            b"s3cret",
            body,
            &good.replace("sha256=", "")
        ));
    }

    #[test]
    fn one_event_or_an_array_of_events_parse() {
        let one =
            br#"{"type":"message","message_id":"m1","chat":{"id":"c1","name":"Anna"},"text":"Hi"}"#;
        assert_eq!(parse_body(one).expect("parses").len(), 1);
        let many = br#"[{"type":"message","message_id":"m1","chat":{"id":"c1"},"text":"Hi"},
                        {"type":"status","message_id":"out-1","state":"delivered"},
                        {"type":"deleted","message_ids":["m1"]}]"#;
        let events = parse_body(many).expect("parses");
        assert!(matches!(
            events[1],
            InboundEvent::Status {
                state: DeliveryState::Delivered,
                ..
            }
        ));
    }

    #[test]
    fn an_overlong_sender_name_is_cut_to_what_is_stored() {
        // Found by the fuzz target's invariants (server/fuzz): `messages.sender_name` holds
        // at most 300 characters.
        let body = format!(
            r#"{{"type":"message","message_id":"m","chat":{{"id":"c","is_group":true}},"sender_name":"{}","text":"Hi"}}"#,
            "я".repeat(400)
        );
        let events = parse_body(body.as_bytes()).expect("parses");
        let InboundEvent::Message(m) = &events[0] else {
            panic!("not a message")
        };
        let sender = m.sender_name.as_deref().expect("kept");
        assert_eq!(sender.chars().count(), 300);
        assert!(sender.ends_with('…'));
    }

    #[test]
    fn bad_events_are_refused_with_the_reason() {
        for (body, needle) in [
            (&br#"{"type":"message","chat":{"id":"c1"},"text":"Hi"}"#[..], "message_id"),
            (br#"{"type":"message","message_id":"m","chat":{"id":"c"},"text":" "}"#, "text"),
            (br#"{"type":"nonsense"}"#, "nonsense"),
            (br#"{"type":"message","message_id":"m","chat":{"id":"c"},"text":"x","attachments":[{"url":"file:///etc/passwd","file_name":"p"}]}"#, "url"),
            // Found by the fuzz target's invariants (server/fuzz): the database refuses an
            // attachment without a name.
            (br#"{"type":"message","message_id":"m","chat":{"id":"c"},"attachments":[{"url":"https://x/a","file_name":" "}]}"#, "file_name"),
        ] {
            match parse_body(body) {
                Err(WebhookError::Malformed(m)) => assert!(m.contains(needle), "{m}"),
                Ok(_) => panic!("accepted {}", String::from_utf8_lossy(body)),
                Err(e) => panic!("{e}"),
            }
        }
    }
}
