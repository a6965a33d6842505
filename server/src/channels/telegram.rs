//! Telegram Bot API: webhooks checked against `X-Telegram-Bot-Api-Secret-Token`, calls to
//! `{TELEGRAM_API_BASE}/bot{token}/{method}`.
//!
//! Ids: a chat is the client's (or group's) `chat.id`; a message is `"{chat.id}:{message_id}"`,
//! since Telegram numbers messages per chat.

use std::time::Duration;

use app::domain::ChannelKind;
use app::domain::inbound::{
    AttachmentKind, InboundAttachment, InboundChat, InboundEvent, InboundMessage, cut,
};
use app::store::inbound::ChannelRecord;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ChannelAdapter, FetchedFile, Outgoing, RateLimits, SendError, WebhookError, credential,
    same_secret, setting, transport_error,
};

/// The header Telegram sends with the secret given in `setWebhook`.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Telegram's limit on one text message.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Bots may download files up to 20 MB.
const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

pub struct Telegram {
    http: reqwest::Client,
    base: String,
}

impl Telegram {
    pub fn new(http: reqwest::Client, base: String) -> Telegram {
        Telegram { http, base }
    }

    fn token<'a>(&self, channel: &'a ChannelRecord) -> Result<&'a str, SendError> {
        credential(channel, "bot_token")
            .ok_or_else(|| SendError::Permanent("The channel has no bot token".into()))
    }

    /// The Bot API server of a channel: the public one, or the channel's own `api_base`
    /// (a self-hosted Bot API server, or `dialogs fake-client` in the demo).
    fn base<'a>(&'a self, channel: &'a ChannelRecord) -> &'a str {
        setting(channel, "api_base")
            .map(|b| b.trim_end_matches('/'))
            .unwrap_or(&self.base)
    }

    /// Calls a Bot API method and returns its `result`.
    async fn call(
        &self,
        channel: &ChannelRecord,
        method: &str,
        body: &Value,
    ) -> Result<Value, SendError> {
        self.call_with(channel, method, |request| request.json(body))
            .await
    }

    /// A Bot API call whose body `build` sets (JSON, or multipart for files).
    async fn call_with(
        &self,
        channel: &ChannelRecord,
        method: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Value, SendError> {
        let token = self.token(channel)?;
        let url = format!("{}/bot{}/{}", self.base(channel), token, method);
        let response = build(self.http.post(&url))
            .send()
            .await
            .map_err(|e| transport_error("Telegram", &e))?;
        let status = response.status();
        let header_wait = super::retry_after(response.headers());
        let answer: ApiAnswer = match response.json().await {
            Ok(answer) => answer,
            Err(_) if status.is_server_error() || status.as_u16() == 429 => {
                return Err(SendError::Retry {
                    after: header_wait,
                    reason: format!("Telegram answered {status}"),
                });
            }
            Err(e) => {
                return Err(SendError::Unclear(format!(
                    "Telegram answered {status} with an unreadable body: {e}"
                )));
            }
        };
        if answer.ok {
            return Ok(answer.result.unwrap_or(Value::Null));
        }
        let description = answer
            .description
            .unwrap_or_else(|| format!("Telegram answered {status}"));
        let code = answer.error_code.unwrap_or(status.as_u16() as i64);
        if code == 429 || code >= 500 {
            let after = answer
                .parameters
                .and_then(|p| p.retry_after)
                .map(Duration::from_secs)
                .or(header_wait);
            return Err(SendError::Retry {
                after,
                reason: description,
            });
        }
        Err(SendError::Permanent(description))
    }
}

impl Telegram {
    /// One file as multipart/form-data, the message's text as its caption: photos, videos,
    /// voice and audio as such (photos over 10 MB as documents, Telegram's limit), anything
    /// else as a document.
    async fn send_file(
        &self,
        channel: &ChannelRecord,
        message: &Outgoing,
        file: &super::OutgoingFile,
        reply: Option<Value>,
    ) -> Result<Value, SendError> {
        const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
        let (method, field) = match file.kind.as_str() {
            "image" if file.bytes.len() <= MAX_PHOTO_BYTES && file.mime_type != "image/gif" => {
                ("sendPhoto", "photo")
            }
            "video" => ("sendVideo", "video"),
            "voice" => ("sendVoice", "voice"),
            "audio" => ("sendAudio", "audio"),
            _ => ("sendDocument", "document"),
        };
        let part =
            reqwest::multipart::Part::bytes(file.bytes.clone()).file_name(file.file_name.clone());
        // A type the browser reported oddly is left out rather than failing the send.
        let valid_type = reqwest::multipart::Part::bytes(Vec::new())
            .mime_str(&file.mime_type)
            .is_ok();
        let part = if valid_type {
            part.mime_str(&file.mime_type)
                .map_err(|e| SendError::Permanent(format!("Bad file type: {e}")))?
        } else {
            part
        };
        let mut form = reqwest::multipart::Form::new()
            .text("chat_id", message.chat.clone())
            .part(field, part);
        if !message.text.trim().is_empty() {
            let (caption, entities) = app::domain::formatting::telegram(&message.text);
            form = form.text("caption", caption);
            if !entities.is_empty() {
                form = form.text("caption_entities", json!(entities).to_string());
            }
        }
        if let Some(reply) = reply {
            form = form.text("reply_parameters", reply.to_string());
        }
        if let Some(keyboard) = reply_keyboard(&message.buttons) {
            form = form.text("reply_markup", keyboard.to_string());
        }
        self.call_with(channel, method, |request| request.multipart(form))
            .await
    }
}

/// Buttons (E10) as a reply keyboard, one button a row: a tap sends the button's text as
/// the client's own message, so it arrives like any other. The keyboard hides once used.
fn reply_keyboard(buttons: &[String]) -> Option<Value> {
    (!buttons.is_empty()).then(|| {
        let rows: Vec<Value> = buttons.iter().map(|b| json!([{ "text": b }])).collect();
        json!({ "keyboard": rows, "one_time_keyboard": true, "resize_keyboard": true })
    })
}

#[derive(Deserialize)]
struct ApiAnswer {
    ok: bool,
    result: Option<Value>,
    description: Option<String>,
    error_code: Option<i64>,
    parameters: Option<ResponseParameters>,
}

#[derive(Deserialize)]
struct ResponseParameters {
    retry_after: Option<u64>,
}

// The parts of an Update this product uses; every other field is ignored.

#[derive(Deserialize)]
struct Update {
    #[allow(dead_code)]
    update_id: i64,
    message: Option<Message>,
    edited_message: Option<Message>,
    business_message: Option<Message>,
    edited_business_message: Option<Message>,
    deleted_business_messages: Option<DeletedMessages>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    from: Option<User>,
    chat: Chat,
    date: Option<i64>,
    text: Option<String>,
    caption: Option<String>,
    photo: Option<Vec<PhotoSize>>,
    document: Option<File>,
    voice: Option<File>,
    audio: Option<File>,
    video: Option<File>,
    video_note: Option<File>,
    animation: Option<File>,
    sticker: Option<Sticker>,
    contact: Option<Contact>,
    location: Option<Location>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    first_name: String,
    last_name: Option<String>,
    username: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
    title: Option<String>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct PhotoSize {
    file_id: String,
    file_size: Option<i64>,
}

#[derive(Deserialize)]
struct File {
    file_id: String,
    file_name: Option<String>,
    mime_type: Option<String>,
    file_size: Option<i64>,
}

#[derive(Deserialize)]
struct Sticker {
    file_id: String,
    emoji: Option<String>,
    file_size: Option<i64>,
}

#[derive(Deserialize)]
struct Contact {
    phone_number: String,
    first_name: String,
    last_name: Option<String>,
    user_id: Option<i64>,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
}

#[derive(Deserialize)]
struct DeletedMessages {
    chat: Chat,
    message_ids: Vec<i64>,
}

fn full_name(first: &str, last: Option<&str>) -> String {
    match last {
        Some(last) if !last.trim().is_empty() => format!("{} {}", first.trim(), last.trim()),
        _ => first.trim().to_owned(),
    }
}

fn message_id(chat: i64, message: i64) -> String {
    format!("{chat}:{message}")
}

impl Message {
    fn into_inbound(self) -> InboundMessage {
        let is_group = self.chat.kind != "private";
        let from_name = self
            .from
            .as_ref()
            .map(|u| full_name(&u.first_name, u.last_name.as_deref()));
        let chat_name = if is_group {
            self.chat.title.clone().unwrap_or_default()
        } else {
            match &self.chat.first_name {
                Some(first) => full_name(first, self.chat.last_name.as_deref()),
                None => from_name.clone().unwrap_or_default(),
            }
        };
        let username = if is_group {
            self.chat.username.clone()
        } else {
            self.chat
                .username
                .clone()
                .or_else(|| self.from.as_ref().and_then(|u| u.username.clone()))
        };
        // A client sharing their own contact tells us their phone number.
        let own_phone = self.contact.as_ref().and_then(|c| {
            let sender = self.from.as_ref().map(|u| u.id);
            (c.user_id.is_some() && c.user_id == sender).then(|| c.phone_number.clone())
        });

        let mut attachments = Vec::new();
        let mut push = |kind, name: String, mime: Option<String>, size, id: String| {
            attachments.push(InboundAttachment {
                kind,
                file_name: name,
                mime_type: mime,
                size_bytes: size,
                source: id,
            });
        };
        if let Some(best) = self
            .photo
            .as_ref()
            .and_then(|sizes| sizes.iter().max_by_key(|p| p.file_size.unwrap_or(0)))
        {
            push(
                AttachmentKind::Image,
                "photo.jpg".into(),
                Some("image/jpeg".into()),
                best.file_size,
                best.file_id.clone(),
            );
        }
        for (file, kind, default_name) in [
            (&self.document, AttachmentKind::Document, "document"),
            (&self.voice, AttachmentKind::Voice, "voice.ogg"),
            (&self.audio, AttachmentKind::Audio, "audio.mp3"),
            (&self.video, AttachmentKind::Video, "video.mp4"),
            (&self.video_note, AttachmentKind::Video, "video-note.mp4"),
            (&self.animation, AttachmentKind::Video, "animation.mp4"),
        ] {
            if let Some(f) = file {
                push(
                    kind,
                    f.file_name
                        .clone()
                        .filter(|n| !n.trim().is_empty())
                        .unwrap_or_else(|| default_name.into()),
                    f.mime_type.clone(),
                    f.file_size,
                    f.file_id.clone(),
                );
            }
        }
        if let Some(s) = &self.sticker {
            push(
                AttachmentKind::Sticker,
                "sticker.webp".into(),
                Some("image/webp".into()),
                s.file_size,
                s.file_id.clone(),
            );
        }

        let mut text = self.text.or(self.caption).unwrap_or_default();
        if let Some(c) = &self.contact {
            let line = format!(
                "📇 {} {}",
                full_name(&c.first_name, c.last_name.as_deref()),
                c.phone_number
            );
            text = if text.is_empty() {
                line
            } else {
                format!("{text}\n{line}")
            };
        }
        if let Some(l) = &self.location {
            let line = format!("📍 {:.6}, {:.6}", l.latitude, l.longitude);
            text = if text.is_empty() {
                line
            } else {
                format!("{text}\n{line}")
            };
        }
        if text.is_empty()
            && attachments.is_empty()
            && let Some(emoji) = self.sticker.as_ref().and_then(|s| s.emoji.clone())
        {
            text = emoji;
        }

        InboundMessage {
            external_id: message_id(self.chat.id, self.message_id),
            chat: InboundChat {
                external_id: self.chat.id.to_string(),
                name: chat_name,
                username,
                phone: own_phone,
                email: None,
                is_group,
            },
            // `messages.sender_name` holds at most 300 characters.
            sender_name: if is_group {
                from_name.map(|n| cut(&n, 300))
            } else {
                None
            },
            text,
            attachments,
            sent_at: self
                .date
                .and_then(|d| DateTime::<Utc>::from_timestamp(d, 0)),
            subject: None,
        }
    }
}

/// Parses one Update (what a Telegram webhook carries).
pub fn parse_update(body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
    let update: Update =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let mut events = Vec::new();
    if let Some(m) = update.message.or(update.business_message) {
        events.push(InboundEvent::Message(m.into_inbound()));
    }
    if let Some(m) = update.edited_message.or(update.edited_business_message) {
        events.push(InboundEvent::Edited(m.into_inbound()));
    }
    if let Some(d) = update.deleted_business_messages {
        events.push(InboundEvent::Deleted {
            message_ids: d
                .message_ids
                .iter()
                .map(|id| message_id(d.chat.id, *id))
                .collect(),
        });
    }
    Ok(events)
}

/// Reads `"{chat}:{message}"` back into Telegram's message id.
fn telegram_message_id(external_id: &str) -> Option<i64> {
    external_id
        .rsplit_once(':')
        .and_then(|(_, m)| m.parse().ok())
}

/// Telegram takes a chat id as a number, or `@channelusername`.
fn chat_id(chat: &str) -> Value {
    chat.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(chat))
}

impl ChannelAdapter for Telegram {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Telegram
    }

    fn verify(
        &self,
        channel: &ChannelRecord,
        headers: &HeaderMap,
        _body: &[u8],
    ) -> Result<(), WebhookError> {
        let expected = credential(channel, "webhook_secret").ok_or(WebhookError::BadSignature)?;
        let given = headers
            .get(SECRET_HEADER)
            .map(|v| v.as_bytes())
            .ok_or(WebhookError::BadSignature)?;
        if same_secret(given, expected.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::BadSignature)
        }
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
        parse_update(body)
    }

    fn send<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        message: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Option<String>, SendError>> {
        Box::pin(async move {
            if message.text.chars().count() > MAX_TEXT_CHARS {
                return Err(SendError::Permanent(format!(
                    "Telegram takes at most {MAX_TEXT_CHARS} characters in one message"
                )));
            }
            let reply = message
                .reply_to
                .as_deref()
                .and_then(telegram_message_id)
                .map(|reply| json!({ "message_id": reply, "allow_sending_without_reply": true }));
            let result = match message.files.first() {
                Some(file) => self.send_file(channel, message, file, reply).await?,
                None => {
                    let (text, entities) = app::domain::formatting::telegram(&message.text);
                    let mut body = json!({ "chat_id": chat_id(&message.chat), "text": text });
                    if !entities.is_empty() {
                        body["entities"] = json!(entities);
                    }
                    if let Some(reply) = reply {
                        body["reply_parameters"] = reply;
                    }
                    if let Some(keyboard) = reply_keyboard(&message.buttons) {
                        body["reply_markup"] = keyboard;
                    }
                    self.call(channel, "sendMessage", &body).await?
                }
            };
            let id = result.get("message_id").and_then(Value::as_i64);
            Ok(id.map(|id| format!("{}:{id}", message.chat)))
        })
    }

    fn delete<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        chat: &'a str,
        external_id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let id = telegram_message_id(external_id)
                .ok_or_else(|| SendError::Permanent("Not a Telegram message id".into()))?;
            self.call(
                channel,
                "deleteMessage",
                &json!({ "chat_id": chat_id(chat), "message_id": id }),
            )
            .await?;
            Ok(())
        })
    }

    fn fetch_file<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        source: &'a str,
    ) -> BoxFuture<'a, Result<FetchedFile, SendError>> {
        Box::pin(async move {
            let token = self.token(channel)?;
            let file = self
                .call(channel, "getFile", &json!({ "file_id": source }))
                .await?;
            let path = file
                .get("file_path")
                .and_then(Value::as_str)
                .ok_or_else(|| SendError::Permanent("Telegram gave no file path".into()))?;
            let url = format!("{}/file/bot{}/{}", self.base(channel), token, path);
            let response = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| transport_error("Telegram", &e))?;
            super::download(response, "Telegram", MAX_FILE_BYTES).await
        })
    }

    fn max_text_chars(&self) -> Option<usize> {
        Some(MAX_TEXT_CHARS)
    }

    fn file_sending(&self) -> super::FileSending {
        super::FileSending::OneByOne { caption_max: 1024 }
    }

    fn limits(&self) -> RateLimits {
        // https://core.telegram.org/bots/faq: about one message a second per chat and 30 a
        // second per bot.
        RateLimits {
            per_chat: Duration::from_millis(1000),
            per_channel: Duration::from_millis(34),
        }
    }

    fn deduplicates_sends(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(body: &str) -> InboundEvent {
        let mut events = parse_update(body.as_bytes()).expect("parses");
        assert_eq!(events.len(), 1);
        events.remove(0)
    }

    #[test]
    fn a_private_text_message_names_the_client_and_the_chat() {
        let event = one(
            r#"{"update_id":1,"message":{"message_id":7,"date":1700000000,
                "from":{"id":42,"is_bot":false,"first_name":"Anna","last_name":"Petrova","username":"anna_p"},
                "chat":{"id":42,"type":"private","first_name":"Anna","last_name":"Petrova","username":"anna_p"},
                "text":"Hello"}}"#,
        );
        let InboundEvent::Message(m) = event else {
            panic!("not a message")
        };
        assert_eq!(m.external_id, "42:7");
        assert_eq!(m.chat.external_id, "42");
        assert_eq!(m.chat.name, "Anna Petrova");
        assert_eq!(m.chat.username.as_deref(), Some("anna_p"));
        assert!(!m.chat.is_group);
        assert_eq!(m.sender_name, None);
        assert_eq!(m.text, "Hello");
        assert!(m.sent_at.is_some());
    }

    #[test]
    fn a_group_message_is_the_groups_and_names_who_wrote_it() {
        let event = one(
            r#"{"update_id":2,"message":{"message_id":3,"date":1700000000,
                "from":{"id":5,"is_bot":false,"first_name":"Ivan"},
                "chat":{"id":-100123,"type":"supergroup","title":"Shop partners"},
                "text":"Any news?"}}"#,
        );
        let InboundEvent::Message(m) = event else {
            panic!("not a message")
        };
        assert!(m.chat.is_group);
        assert_eq!(m.chat.name, "Shop partners");
        assert_eq!(m.sender_name.as_deref(), Some("Ivan"));
        assert_eq!(m.external_id, "-100123:3");
    }

    #[test]
    fn photos_documents_and_voice_become_attachments_with_the_caption_as_text() {
        let event = one(
            r#"{"update_id":3,"message":{"message_id":9,"date":1700000000,
                "from":{"id":42,"first_name":"Anna"},"chat":{"id":42,"type":"private","first_name":"Anna"},
                "caption":"See this",
                "photo":[{"file_id":"small","file_unique_id":"a","width":90,"height":90,"file_size":1000},
                         {"file_id":"big","file_unique_id":"b","width":800,"height":800,"file_size":90000}],
                "document":{"file_id":"doc1","file_unique_id":"c","file_name":"invoice.pdf","mime_type":"application/pdf","file_size":5000},
                "voice":{"file_id":"v1","file_unique_id":"d","duration":3}}}"#,
        );
        let InboundEvent::Message(m) = event else {
            panic!("not a message")
        };
        assert_eq!(m.text, "See this");
        let files: Vec<_> = m
            .attachments
            .iter()
            .map(|a| (a.kind, a.file_name.as_str(), a.source.as_str()))
            .collect();
        assert_eq!(
            files,
            vec![
                (AttachmentKind::Image, "photo.jpg", "big"),
                (AttachmentKind::Document, "invoice.pdf", "doc1"),
                (AttachmentKind::Voice, "voice.ogg", "v1"),
            ]
        );
    }

    #[test]
    fn edits_and_business_deletions_are_recognised() {
        let InboundEvent::Edited(m) = one(
            r#"{"update_id":4,"edited_message":{"message_id":7,"date":1700000000,"edit_date":1700000100,
                "chat":{"id":42,"type":"private","first_name":"Anna"},"text":"Hello again"}}"#,
        ) else {
            panic!("not an edit")
        };
        assert_eq!(m.external_id, "42:7");
        assert_eq!(m.text, "Hello again");
        let InboundEvent::Deleted { message_ids } = one(
            r#"{"update_id":5,"deleted_business_messages":{"business_connection_id":"x",
                "chat":{"id":42,"type":"private"},"message_ids":[7,8]}}"#,
        ) else {
            panic!("not a deletion")
        };
        assert_eq!(message_ids, vec!["42:7", "42:8"]);
    }

    #[test]
    fn a_client_sharing_their_own_contact_gives_their_phone() {
        let InboundEvent::Message(m) = one(
            r#"{"update_id":6,"message":{"message_id":1,"date":1700000000,
                "from":{"id":42,"first_name":"Anna"},"chat":{"id":42,"type":"private","first_name":"Anna"},
                "contact":{"phone_number":"+79161234567","first_name":"Anna","user_id":42}}}"#,
        ) else {
            panic!("not a message")
        };
        assert_eq!(m.chat.phone.as_deref(), Some("+79161234567"));
        assert!(m.text.contains("+79161234567"));
    }

    #[test]
    fn empty_file_names_and_overlong_sender_names_still_fit_what_is_stored() {
        // Found by the fuzz target's invariants (server/fuzz): the database refuses an
        // attachment without a name and a sender name over 300 characters.
        let long = "x".repeat(400);
        let InboundEvent::Message(m) = one(&format!(
            r#"{{"update_id":9,"message":{{"message_id":4,"from":{{"id":5,"first_name":"{long}"}},
                "chat":{{"id":-100123,"type":"group","title":"Shop partners"}},
                "document":{{"file_id":"doc1","file_name":" "}}}}}}"#
        )) else {
            panic!("not a message")
        };
        assert_eq!(m.attachments[0].file_name, "document");
        let sender = m.sender_name.expect("a group message names its sender");
        assert_eq!(sender.chars().count(), 300);
        assert!(sender.ends_with('…'));
    }

    #[test]
    fn updates_of_other_kinds_are_accepted_and_ignored_but_garbage_is_refused() {
        assert!(
            parse_update(br#"{"update_id":7,"callback_query":{"id":"1"}}"#)
                .expect("parses")
                .is_empty()
        );
        assert!(matches!(
            parse_update(b"{not json"),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            parse_update(br#"{"update_id":8,"message":{"message_id":"x"}}"#),
            Err(WebhookError::Malformed(_))
        ));
    }
}
