//! WhatsApp Cloud API (Meta): webhooks signed with `X-Hub-Signature-256` (HMAC-SHA256 of the
//! raw body keyed with the app secret), calls to `{WHATSAPP_GRAPH_BASE}/{version}/...` with
//! the channel's access token as a Bearer token.
//!
//! Channel row: `settings.phone_number_id` (the business number that sends),
//! `credentials.access_token`, `credentials.app_secret` and `credentials.verify_token` (the
//! token typed into Meta's webhook form, echoed back in the `GET` handshake).
//!
//! Ids: a chat is the client's `wa_id` (their phone number in digits), a message its
//! `wamid`. Meta reports the fate of our messages in the same webhook as `statuses[]`, keyed
//! by the `wamid` the send answered with.

use std::collections::HashMap;
use std::time::Duration;

use app::domain::inbound::{
    AttachmentKind, InboundAttachment, InboundChat, InboundEvent, InboundMessage,
};
use app::domain::template::{
    ButtonKind, HeaderValue, SentTemplate, TemplateButton, TemplateHeader, TemplateParts,
};
use app::domain::{ChannelKind, DeliveryState};
use app::store::inbound::ChannelRecord;
use app::store::templates::ListedTemplate;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    ChannelAdapter, FetchedFile, Outgoing, RateLimits, SendError, WebhookError, credential,
    same_secret, setting, transport_error,
};

/// The header Meta signs webhooks with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The Graph API version this adapter speaks; Meta keeps each version for about two years.
pub const GRAPH_VERSION: &str = "v21.0";
/// WhatsApp's limit on one text message.
pub const MAX_TEXT_CHARS: usize = 4096;
/// The largest media WhatsApp carries (documents) is 100 MB.
const MAX_FILE_BYTES: usize = 100 * 1024 * 1024;
/// "Re-engagement message": the customer service window closed.
pub const REENGAGEMENT_ERROR: i64 = 131047;
/// Throughput, spam, pair and account rate limits: the message may go later.
const RATE_LIMIT_ERRORS: [i64; 4] = [130429, 131048, 131056, 80007];
/// What the operator reads when the 24-hour window has closed.
pub const TEMPLATE_REQUIRED: &str = "More than 24 hours have passed since the client last wrote: \
     WhatsApp now delivers only an approved template message. Send a template, or wait for the \
     client to write again.";

pub struct WhatsApp {
    http: reqwest::Client,
    base: String,
}

impl WhatsApp {
    pub fn new(http: reqwest::Client, base: String) -> WhatsApp {
        WhatsApp { http, base }
    }

    fn token<'a>(&self, channel: &'a ChannelRecord) -> Result<&'a str, SendError> {
        credential(channel, "access_token")
            .ok_or_else(|| SendError::Permanent("The channel has no WhatsApp access token".into()))
    }

    fn messages_url(&self, channel: &ChannelRecord) -> Result<String, SendError> {
        let number = setting(channel, "phone_number_id")
            .filter(|n| is_graph_id(n))
            .ok_or_else(|| {
                SendError::Permanent("The channel has no WhatsApp phone number id".into())
            })?;
        Ok(format!("{}/{GRAPH_VERSION}/{number}/messages", self.base))
    }

    /// Posts a message body (text or template) to `/{phone_number_id}/messages` and returns
    /// the `wamid` Meta gave it.
    pub async fn post_message(
        &self,
        channel: &ChannelRecord,
        body: &Value,
    ) -> Result<Option<String>, SendError> {
        let token = self.token(channel)?;
        let url = self.messages_url(channel)?;
        let response = self
            .http
            .post(&url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(|e| transport_error("WhatsApp", &e))?;
        let status = response.status();
        if status.is_success() {
            // Meta took the message; an unreadable answer only costs us its status updates.
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            let id = answer
                .pointer("/messages/0/id")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if id.is_none() {
                tracing::warn!("WhatsApp accepted a message without giving its id");
            }
            return Ok(id);
        }
        Err(refusal(response).await)
    }

    /// Uploads a file to the number's media store (`POST /{phone_number_id}/media`,
    /// multipart) and returns the media id a message can send.
    async fn upload_media(
        &self,
        channel: &ChannelRecord,
        file: &super::OutgoingFile,
    ) -> Result<String, SendError> {
        let token = self.token(channel)?;
        let url = self.messages_url(channel)?.replace("/messages", "/media");
        let part = reqwest::multipart::Part::bytes(file.bytes.clone())
            .file_name(file.file_name.clone())
            .mime_str(&file.mime_type)
            .map_err(|e| {
                SendError::Permanent(format!("WhatsApp cannot take this file type: {e}"))
            })?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", file.mime_type.clone())
            .part("file", part);
        let response = self
            .http
            .post(&url)
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .map_err(|e| transport_error("WhatsApp", &e))?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let answer: Value = response.json().await.map_err(|e| SendError::Retry {
            after: None,
            reason: format!("WhatsApp answered the upload unreadably: {e}"),
        })?;
        answer
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| SendError::Retry {
                after: None,
                reason: "WhatsApp took the upload without giving its id".into(),
            })
    }

    /// The message templates of the channel's WhatsApp Business Account
    /// (`GET /{waba_id}/message_templates`, every page), for the composer's template picker.
    pub async fn list_templates(
        &self,
        channel: &ChannelRecord,
    ) -> Result<Vec<ListedTemplate>, SendError> {
        let token = self.token(channel)?;
        let account = setting(channel, "business_account_id")
            .filter(|n| is_graph_id(n))
            .ok_or_else(|| {
                SendError::Permanent(
                    "The channel has no WhatsApp Business Account id (business_account_id)".into(),
                )
            })?;
        let mut url = format!(
            "{}/{GRAPH_VERSION}/{account}/message_templates?fields=name,language,status,category,components&limit=100",
            self.base
        );
        let mut listed = Vec::new();
        // Meta pages with `paging.next`; a bound keeps a looping server from holding us.
        for _ in 0..50 {
            let page: Value =
                self.get(token, &url)
                    .await?
                    .json()
                    .await
                    .map_err(|e| SendError::Retry {
                        after: None,
                        reason: format!("WhatsApp answered the template list unreadably: {e}"),
                    })?;
            listed.extend(parse_templates(&page));
            match page.pointer("/paging/next").and_then(Value::as_str) {
                Some(next) if next.starts_with(&self.base) => url = next.to_owned(),
                _ => break,
            }
        }
        Ok(listed)
    }

    /// A Graph GET with the channel's token, for media.
    async fn get(&self, token: &str, url: &str) -> Result<reqwest::Response, SendError> {
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| transport_error("WhatsApp", &e))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(refusal(response).await)
        }
    }
}

/// Graph ids (phone number ids, media ids) are digits; anything else would change the path.
fn is_graph_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The Graph API's error object.
#[derive(Debug, Default, Deserialize)]
struct GraphError {
    message: Option<String>,
    code: Option<i64>,
    error_data: Option<ErrorData>,
    error_user_msg: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorData {
    details: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: GraphError,
}

/// Reads a refused call into a send outcome.
async fn refusal(response: reqwest::Response) -> SendError {
    let status = response.status().as_u16();
    let wait = super::retry_after(response.headers());
    let error = response
        .json::<ErrorAnswer>()
        .await
        .map(|a| a.error)
        .unwrap_or_default();
    classify(status, wait, &error)
}

/// What a refusal means for delivery: rate limits and server trouble pass, a closed
/// service window and other refusals do not.
fn classify(status: u16, wait: Option<Duration>, error: &GraphError) -> SendError {
    let code = error.code;
    if code == Some(REENGAGEMENT_ERROR) {
        return SendError::Permanent(TEMPLATE_REQUIRED.into());
    }
    let text = describe(
        code,
        None,
        error.error_user_msg.as_deref().or(error.message.as_deref()),
        error.error_data.as_ref().and_then(|d| d.details.as_deref()),
    )
    .unwrap_or_else(|| format!("WhatsApp answered {status}"));
    if status == 429 || code.is_some_and(|c| RATE_LIMIT_ERRORS.contains(&c)) {
        return SendError::Retry {
            after: wait,
            reason: format!("WhatsApp is limiting how fast this number sends: {text}"),
        };
    }
    if status >= 500 {
        return SendError::Retry {
            after: wait,
            reason: text,
        };
    }
    SendError::Permanent(format!("WhatsApp refused the message: {text}"))
}

fn clean(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// One line out of Meta's error fields, which often repeat each other.
fn describe(
    code: Option<i64>,
    title: Option<&str>,
    message: Option<&str>,
    details: Option<&str>,
) -> Option<String> {
    if code == Some(REENGAGEMENT_ERROR) {
        return Some(TEMPLATE_REQUIRED.into());
    }
    let (title, message, details) = (clean(title), clean(message), clean(details));
    let mut parts: Vec<&str> = Vec::new();
    for part in [title, message, details].into_iter().flatten() {
        if !parts.iter().any(|p| p.contains(part)) {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        return code.map(|c| format!("error {c}"));
    }
    let text = parts.join(": ");
    Some(match code {
        Some(c) if !text.contains(&c.to_string()) => format!("{text} (error {c})"),
        _ => text,
    })
}

/// The JSON of a text message to `to`, answering `reply_to` when given.
pub fn text_body(to: &str, text: &str, reply_to: Option<&str>) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": { "body": text },
    });
    if let Some(id) = reply_to {
        body["context"] = json!({ "message_id": id });
    }
    body
}

/// An interactive message with reply buttons (E10). A tap comes back as an `interactive`
/// `button_reply` message carrying the title, stored as the client's text.
pub fn buttons_body(to: &str, text: &str, buttons: &[String], reply_to: Option<&str>) -> Value {
    let buttons: Vec<Value> = buttons
        .iter()
        .enumerate()
        .map(|(i, title)| json!({ "type": "reply", "reply": { "id": format!("b{}", i + 1), "title": title } }))
        .collect();
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": { "text": text },
            "action": { "buttons": buttons },
        },
    });
    if let Some(id) = reply_to {
        body["context"] = json!({ "message_id": id });
    }
    body
}

/// The templates of one page of `GET /{waba_id}/message_templates`. Templates without a
/// name or language are skipped; the body is the text of the `BODY` component, and the
/// header and buttons are kept as far as sending needs values for them.
pub fn parse_templates(page: &Value) -> Vec<ListedTemplate> {
    let Some(data) = page.get("data").and_then(Value::as_array) else {
        return Vec::new();
    };
    data.iter()
        .filter_map(|t| {
            let text = |key: &str| t.get(key).and_then(Value::as_str).map(str::trim);
            let name = text("name").filter(|n| !n.is_empty() && n.len() <= 512)?;
            let language = text("language").filter(|l| !l.is_empty() && l.len() <= 20)?;
            let components = t
                .get("components")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (body, mut parts) = template_components(components);
            // Named placeholders ({{first_name}}) are sent by name; only numbered ones are
            // offered here.
            if text("parameter_format").is_some_and(|f| f.eq_ignore_ascii_case("named")) {
                parts.unsupported = Some("named parameters".to_owned());
            }
            Some(ListedTemplate {
                name: name.to_owned(),
                language: language.to_owned(),
                category: text("category").unwrap_or("").to_owned(),
                status: text("status").unwrap_or("").to_ascii_uppercase(),
                variables: app::domain::template::count_variables(&body),
                body,
                parts,
            })
        })
        .collect()
}

/// A listed template's body text, and its header and the buttons that take a value.
fn template_components(components: &[Value]) -> (String, TemplateParts) {
    let clip = |v: Option<&Value>| -> String {
        v.and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .take(MAX_TEXT_CHARS)
            .collect()
    };
    let upper = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_ascii_uppercase();
    let mut body = String::new();
    let mut parts = TemplateParts::default();
    let mut unsupported = |what: String| {
        parts.unsupported.get_or_insert(what);
    };
    let mut header = None;
    let mut buttons = Vec::new();
    for component in components {
        match upper(component.get("type")).as_str() {
            "BODY" => body = clip(component.get("text")),
            "FOOTER" => {}
            "HEADER" => match upper(component.get("format")).as_str() {
                "TEXT" => {
                    header = Some(TemplateHeader::Text {
                        text: clip(component.get("text")),
                    })
                }
                "IMAGE" => header = Some(TemplateHeader::Image),
                "VIDEO" => header = Some(TemplateHeader::Video),
                "DOCUMENT" => header = Some(TemplateHeader::Document),
                other => unsupported(format!("{} header", other.to_ascii_lowercase())),
            },
            "BUTTONS" => {
                let listed = component
                    .get("buttons")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for (index, button) in listed.iter().enumerate() {
                    let caption = clip(button.get("text"));
                    match upper(button.get("type")).as_str() {
                        "QUICK_REPLY" | "PHONE_NUMBER" | "VOICE_CALL" => {}
                        "URL" => {
                            let url = clip(button.get("url"));
                            if app::domain::template::count_variables(&url) > 0 {
                                buttons.push(TemplateButton {
                                    index,
                                    kind: ButtonKind::Url,
                                    text: caption,
                                    url,
                                });
                            }
                        }
                        "COPY_CODE" => buttons.push(TemplateButton {
                            index,
                            kind: ButtonKind::CopyCode,
                            text: caption,
                            url: String::new(),
                        }),
                        other => unsupported(format!("{} button", other.to_ascii_lowercase())),
                    }
                }
            }
            other => unsupported(other.to_ascii_lowercase()),
        }
    }
    parts.header = header;
    parts.buttons = buttons;
    (body, parts)
}

/// The JSON of an approved template message: its header, `{{1}}`, `{{2}}`… of its body and
/// its buttons filled with the values sent. The only kind of message WhatsApp delivers
/// outside the 24-hour window. Add `"to"` before posting it.
pub fn template_body(sent: &SentTemplate) -> Value {
    let mut template = json!({ "name": sent.name, "language": { "code": sent.language } });
    let mut components = Vec::new();
    if let Some(header) = &sent.header {
        let parameter = match header {
            HeaderValue::Text(text) => json!({ "type": "text", "text": text }),
            HeaderValue::Image(link) => json!({ "type": "image", "image": { "link": link } }),
            HeaderValue::Video(link) => json!({ "type": "video", "video": { "link": link } }),
            HeaderValue::Document(link) => {
                json!({ "type": "document", "document": { "link": link } })
            }
        };
        components.push(json!({ "type": "header", "parameters": [parameter] }));
    }
    if !sent.variables.is_empty() {
        let parameters: Vec<Value> = sent
            .variables
            .iter()
            .map(|v| json!({ "type": "text", "text": v }))
            .collect();
        components.push(json!({ "type": "body", "parameters": parameters }));
    }
    for button in &sent.buttons {
        let (sub_type, parameter) = match button.kind {
            ButtonKind::Url => ("url", json!({ "type": "text", "text": button.value })),
            ButtonKind::CopyCode => (
                "copy_code",
                json!({ "type": "coupon_code", "coupon_code": button.value }),
            ),
        };
        components.push(json!({
            "type": "button", "sub_type": sub_type, "index": button.index.to_string(),
            "parameters": [parameter],
        }));
    }
    if !components.is_empty() {
        template["components"] = Value::Array(components);
    }
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "type": "template",
        "template": template,
    })
}

/// Answers Meta's subscription handshake: the challenge, when the verify token is the
/// channel's.
pub fn handshake(
    channel: &ChannelRecord,
    query: &HashMap<String, String>,
) -> Result<String, WebhookError> {
    let mode = query.get("hub.mode").map(String::as_str);
    let (Some(token), Some(challenge)) =
        (query.get("hub.verify_token"), query.get("hub.challenge"))
    else {
        return Err(WebhookError::Malformed(
            "hub.verify_token and hub.challenge are required".into(),
        ));
    };
    if mode != Some("subscribe") {
        return Err(WebhookError::Malformed("hub.mode must be subscribe".into()));
    }
    // Meta sends a number; anything long or odd is not Meta.
    if challenge.is_empty()
        || challenge.len() > 200
        || !challenge.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(WebhookError::Malformed(
            "hub.challenge is not a token".into(),
        ));
    }
    let expected = credential(channel, "verify_token").ok_or(WebhookError::BadSignature)?;
    if same_secret(token.as_bytes(), expected.as_bytes()) {
        Ok(challenge.clone())
    } else {
        Err(WebhookError::BadSignature)
    }
}

// The parts of a webhook this product uses; every other field is ignored.

#[derive(Deserialize)]
struct Notification {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    field: String,
    value: Value,
}

#[derive(Deserialize)]
struct ChangeValue {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize)]
struct Contact {
    wa_id: String,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Message {
    id: String,
    from: String,
    timestamp: Option<Value>,
    #[serde(rename = "type")]
    kind: String,
    text: Option<Text>,
    image: Option<Media>,
    document: Option<Media>,
    audio: Option<Media>,
    voice: Option<Media>,
    video: Option<Media>,
    sticker: Option<Media>,
    location: Option<Location>,
    contacts: Option<Vec<SharedContact>>,
    interactive: Option<Interactive>,
    button: Option<Button>,
    reaction: Option<Reaction>,
    system: Option<System>,
}

#[derive(Deserialize)]
struct Text {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct Media {
    id: String,
    mime_type: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
    /// Set on audio recorded in the app (a voice note) rather than sent as a file.
    #[serde(default)]
    voice: bool,
}

#[derive(Deserialize)]
struct Location {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct SharedContact {
    name: Option<ContactName>,
    #[serde(default)]
    phones: Vec<ContactPhone>,
}

#[derive(Deserialize)]
struct ContactName {
    formatted_name: Option<String>,
}

#[derive(Deserialize)]
struct ContactPhone {
    phone: Option<String>,
}

#[derive(Deserialize)]
struct Interactive {
    #[serde(rename = "type")]
    kind: String,
    button_reply: Option<Reply>,
    list_reply: Option<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    title: String,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Button {
    text: Option<String>,
    payload: Option<String>,
}

#[derive(Deserialize)]
struct Reaction {
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct System {
    body: Option<String>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    code: Option<i64>,
    title: Option<String>,
    message: Option<String>,
    error_data: Option<ErrorData>,
}

/// Meta writes Unix seconds as a string; accept a number too.
fn unix_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let seconds = match value? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    DateTime::<Utc>::from_timestamp(seconds, 0)
}

/// A file name for media that came without one.
fn default_name(stem: &str, mime: Option<&str>) -> String {
    let essence = mime
        .and_then(|m| m.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let ext = match essence.as_deref() {
        Some("image/jpeg") => "jpg",
        Some("image/png") => "png",
        Some("image/webp") => "webp",
        Some("audio/ogg") => "ogg",
        Some("audio/mpeg") => "mp3",
        Some("audio/mp4") => "m4a",
        Some("audio/aac") => "aac",
        Some("audio/amr") => "amr",
        Some("video/mp4") => "mp4",
        Some("video/3gpp") => "3gp",
        Some("application/pdf") => "pdf",
        _ => return stem.to_owned(),
    };
    format!("{stem}.{ext}")
}

fn join_lines(lines: impl IntoIterator<Item = String>) -> String {
    lines
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Message {
    /// None for what is no message to an operator (a reaction taken back).
    fn into_inbound(self, names: &HashMap<String, String>) -> Option<InboundMessage> {
        let mut attachments = Vec::new();
        let mut captions = Vec::new();
        for (media, kind, stem) in [
            (self.image, AttachmentKind::Image, "image"),
            (self.document, AttachmentKind::Document, "document"),
            (self.audio, AttachmentKind::Audio, "audio"),
            (self.voice, AttachmentKind::Voice, "voice"),
            (self.video, AttachmentKind::Video, "video"),
            (self.sticker, AttachmentKind::Sticker, "sticker"),
        ] {
            let Some(m) = media else { continue };
            let kind = if m.voice { AttachmentKind::Voice } else { kind };
            let stem = if m.voice { "voice" } else { stem };
            captions.extend(m.caption);
            attachments.push(InboundAttachment {
                kind,
                file_name: m
                    .filename
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| default_name(stem, m.mime_type.as_deref())),
                mime_type: m.mime_type,
                size_bytes: None,
                source: m.id,
            });
        }

        let text = match self.kind.as_str() {
            "text" => self.text.map(|t| t.body).unwrap_or_default(),
            "location" => self
                .location
                .map(|l| {
                    join_lines([
                        format!("📍 {:.6}, {:.6}", l.latitude, l.longitude),
                        l.name.unwrap_or_default(),
                        l.address.unwrap_or_default(),
                    ])
                })
                .unwrap_or_default(),
            "contacts" => join_lines(self.contacts.unwrap_or_default().into_iter().map(|c| {
                let name = c.name.and_then(|n| n.formatted_name).unwrap_or_default();
                let phones: Vec<String> = c.phones.into_iter().filter_map(|p| p.phone).collect();
                format!("📇 {} {}", name.trim(), phones.join(", "))
                    .trim()
                    .to_owned()
            })),
            "interactive" => match self.interactive {
                Some(Interactive {
                    button_reply: Some(reply),
                    ..
                }) => reply.title,
                Some(Interactive {
                    list_reply: Some(reply),
                    ..
                }) => join_lines([reply.title, reply.description.unwrap_or_default()]),
                Some(other) => format!("[unsupported message type: interactive {}]", other.kind),
                None => String::new(),
            },
            "button" => self
                .button
                .and_then(|b| b.text.or(b.payload))
                .unwrap_or_default(),
            "reaction" => match self.reaction.and_then(|r| r.emoji) {
                Some(emoji) if !emoji.trim().is_empty() => format!("Reacted {emoji}"),
                _ => return None,
            },
            "system" => self.system.and_then(|s| s.body).unwrap_or_default(),
            _ => join_lines(captions),
        };
        let text = if text.trim().is_empty() && attachments.is_empty() {
            match self.kind.as_str() {
                // Meta's own word for what it does not pass on (polls, view-once media).
                "unsupported" => "[unsupported message type]".to_owned(),
                kind => format!("[unsupported message type: {kind}]"),
            }
        } else {
            text
        };

        let is_phone = !self.from.is_empty() && self.from.chars().all(|c| c.is_ascii_digit());
        Some(InboundMessage {
            external_id: self.id,
            chat: InboundChat {
                name: names.get(&self.from).cloned().unwrap_or_default(),
                phone: is_phone.then(|| format!("+{}", self.from)),
                external_id: self.from,
                username: None,
                email: None,
                is_group: false,
            },
            sender_name: None,
            text,
            attachments,
            sent_at: unix_time(self.timestamp.as_ref()),
            subject: None,
        })
    }
}

impl Status {
    /// None for states this product does not track (`deleted`, `warning`, `played`…).
    fn into_inbound(self) -> Option<InboundEvent> {
        let state = match self.status.as_str() {
            "sent" => DeliveryState::Sent,
            "delivered" => DeliveryState::Delivered,
            "read" => DeliveryState::Read,
            "failed" => DeliveryState::Failed,
            _ => return None,
        };
        let error = (state == DeliveryState::Failed).then(|| {
            let described: Vec<String> = self
                .errors
                .iter()
                .filter_map(|e| {
                    describe(
                        e.code,
                        e.title.as_deref(),
                        e.message.as_deref(),
                        e.error_data.as_ref().and_then(|d| d.details.as_deref()),
                    )
                })
                .collect();
            if described.is_empty() {
                "WhatsApp could not deliver the message".to_owned()
            } else {
                described.join("; ")
            }
        });
        Some(InboundEvent::Status {
            message_id: self.id,
            state,
            error,
        })
    }
}

/// Webhook fields telling that the business account's templates changed.
const TEMPLATE_FIELDS: [&str; 4] = [
    "message_template_status_update",
    "message_template_quality_update",
    "message_template_components_update",
    "template_category_update",
];

/// Parses a `whatsapp_business_account` webhook.
pub fn parse_notification(body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
    let malformed = |e: serde_json::Error| WebhookError::Malformed(e.to_string());
    let notification: Notification = serde_json::from_slice(body).map_err(malformed)?;
    if notification.object != "whatsapp_business_account" {
        return Err(WebhookError::Malformed(format!(
            "object is {:?}, not whatsapp_business_account",
            notification.object
        )));
    }
    let mut events = Vec::new();
    for change in notification.entry.into_iter().flat_map(|e| e.changes) {
        // Template reviews and updates: read the templates again (once per notification).
        if TEMPLATE_FIELDS.contains(&change.field.as_str()) {
            if !events.contains(&InboundEvent::TemplatesChanged) {
                events.push(InboundEvent::TemplatesChanged);
            }
            continue;
        }
        // Quality, account and other updates come to the same URL.
        if change.field != "messages" {
            continue;
        }
        let value: ChangeValue = serde_json::from_value(change.value).map_err(malformed)?;
        let names: HashMap<String, String> = value
            .contacts
            .into_iter()
            .filter_map(|c| Some((c.wa_id, c.profile?.name)))
            .collect();
        for message in value.messages {
            if message.id.trim().is_empty() || message.from.trim().is_empty() {
                return Err(WebhookError::Malformed(
                    "messages[].id and messages[].from must not be empty".into(),
                ));
            }
            events.extend(message.into_inbound(&names).map(InboundEvent::Message));
        }
        events.extend(value.statuses.into_iter().filter_map(Status::into_inbound));
    }
    Ok(events)
}

impl ChannelAdapter for WhatsApp {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Whatsapp
    }

    fn verify(
        &self,
        channel: &ChannelRecord,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        super::verify_hmac_header(channel, "app_secret", SIGNATURE_HEADER, headers, body)
    }

    fn handshake(
        &self,
        channel: &ChannelRecord,
        query: &HashMap<String, String>,
    ) -> Result<String, WebhookError> {
        handshake(channel, query)
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
        parse_notification(body)
    }

    fn send<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        message: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Option<String>, SendError>> {
        Box::pin(async move {
            if let Some(template) = &message.template {
                let mut body = template_body(template);
                body["to"] = json!(message.chat);
                return self.post_message(channel, &body).await;
            }
            if let Some(file) = message.files.first() {
                let media = self.upload_media(channel, file).await?;
                let kind = match file.kind.as_str() {
                    "image" => "image",
                    "video" => "video",
                    "audio" | "voice" => "audio",
                    _ => "document",
                };
                let mut object = json!({ "id": media });
                // Audio takes no caption; a document keeps its name.
                if kind != "audio" && !message.text.trim().is_empty() {
                    object["caption"] = json!(message.text);
                }
                if kind == "document" {
                    object["filename"] = json!(file.file_name);
                }
                let mut body = json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": message.chat,
                    "type": kind,
                    kind: object,
                });
                if let Some(id) = message.reply_to.as_deref() {
                    body["context"] = json!({ "message_id": id });
                }
                return self.post_message(channel, &body).await;
            }
            if message.text.chars().count() > MAX_TEXT_CHARS {
                return Err(SendError::Permanent(format!(
                    "WhatsApp takes at most {MAX_TEXT_CHARS} characters in one message"
                )));
            }
            let body = if message.buttons.is_empty() {
                text_body(&message.chat, &message.text, message.reply_to.as_deref())
            } else {
                buttons_body(
                    &message.chat,
                    &message.text,
                    &message.buttons,
                    message.reply_to.as_deref(),
                )
            };
            self.post_message(channel, &body).await
        })
    }

    fn delete<'a>(
        &'a self,
        _channel: &'a ChannelRecord,
        _chat: &'a str,
        _external_id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async {
            Err(SendError::Permanent(
                "WhatsApp does not allow deleting messages".into(),
            ))
        })
    }

    fn fetch_file<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        source: &'a str,
    ) -> BoxFuture<'a, Result<FetchedFile, SendError>> {
        Box::pin(async move {
            let token = self.token(channel)?;
            if !is_graph_id(source) {
                return Err(SendError::Permanent("Not a WhatsApp media id".into()));
            }
            // Media ids live 30 days; the download URL they give lives minutes, so it is
            // asked for at each attempt.
            let meta: Value = self
                .get(token, &format!("{}/{GRAPH_VERSION}/{source}", self.base))
                .await?
                .json()
                .await
                .map_err(|e| SendError::Retry {
                    after: None,
                    reason: format!("WhatsApp gave unreadable media details: {e}"),
                })?;
            let url = meta
                .get("url")
                .and_then(Value::as_str)
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .ok_or_else(|| SendError::Permanent("WhatsApp gave no media URL".into()))?;
            let declared = match meta.get("file_size") {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.parse::<u64>().ok(),
                _ => None,
            };
            let too_large = || SendError::Permanent("The file is over 100 MB".into());
            if declared.is_some_and(|n| n > MAX_FILE_BYTES as u64) {
                return Err(too_large());
            }
            let response = self.get(token, url).await?;
            let mut file = super::download(response, "WhatsApp", MAX_FILE_BYTES).await?;
            if let Some(declared) = meta.get("mime_type").and_then(Value::as_str) {
                file.mime_type = Some(declared.to_owned());
            }
            Ok(file)
        })
    }

    fn max_text_chars(&self) -> Option<usize> {
        Some(MAX_TEXT_CHARS)
    }

    fn file_sending(&self) -> super::FileSending {
        super::FileSending::OneByOne { caption_max: 1024 }
    }

    fn limits(&self) -> RateLimits {
        // Cloud API throughput is 80 messages a second per business number by default;
        // WhatsApp sets no per-chat pace beyond its pair rate limit, answered as 131056.
        RateLimits {
            per_chat: Duration::ZERO,
            per_channel: Duration::from_millis(13),
        }
    }

    fn deduplicates_sends(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{AccountId, ChannelId};
    use sqlx::types::Json;

    fn channel(credentials: Value) -> ChannelRecord {
        ChannelRecord {
            id: ChannelId(1),
            account_id: AccountId(1),
            kind: ChannelKind::Whatsapp,
            name: "+1 555 0100".into(),
            line_id: None,
            enabled: true,
            settings: Json(json!({ "phone_number_id": "1065550001" })),
            credentials: Json(credentials),
        }
    }

    /// A webhook carrying one `messages` change with this value.
    fn webhook(value: Value) -> Vec<u8> {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": value }] }]
        })
        .to_string()
        .into_bytes()
    }

    fn from_anna(message: Value) -> Vec<u8> {
        webhook(json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550100", "phone_number_id": "1065550001" },
            "contacts": [{ "profile": { "name": "Anna Petrova" }, "wa_id": "79161234567" }],
            "messages": [message],
        }))
    }

    fn one_message(body: &[u8]) -> InboundMessage {
        let mut events = parse_notification(body).expect("parses");
        assert_eq!(events.len(), 1, "{events:?}");
        match events.remove(0) {
            InboundEvent::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn a_text_message_names_the_client_and_gives_their_phone() {
        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQTdCNTg", "timestamp": "1700000000",
            "type": "text", "text": { "body": "Do you deliver to Kazan?" }
        })));
        assert_eq!(m.external_id, "wamid.HBgLNzkxNjEyMzQ1NjcVAgASGBQzQTdCNTg");
        assert_eq!(m.chat.external_id, "79161234567");
        assert_eq!(m.chat.name, "Anna Petrova");
        assert_eq!(m.chat.phone.as_deref(), Some("+79161234567"));
        assert!(!m.chat.is_group);
        assert_eq!(m.text, "Do you deliver to Kazan?");
        assert_eq!(m.sent_at, DateTime::<Utc>::from_timestamp(1_700_000_000, 0));
    }

    #[test]
    fn media_become_attachments_named_by_their_media_id_with_the_caption_as_text() {
        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.1", "timestamp": "1700000000", "type": "image",
            "image": { "caption": "The broken part", "mime_type": "image/jpeg", "sha256": "abc", "id": "1479537139650973" }
        })));
        assert_eq!(m.text, "The broken part");
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!(a.kind, AttachmentKind::Image);
        assert_eq!(a.source, "1479537139650973");
        assert_eq!(a.file_name, "image.jpg");
        assert_eq!(a.mime_type.as_deref(), Some("image/jpeg"));

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.2", "type": "document",
            "document": { "filename": "invoice.pdf", "mime_type": "application/pdf", "id": "555" }
        })));
        assert_eq!(m.attachments[0].file_name, "invoice.pdf");
        assert_eq!(m.attachments[0].kind, AttachmentKind::Document);
        assert_eq!(m.body(), "invoice.pdf");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.3", "type": "audio",
            "audio": { "mime_type": "audio/ogg; codecs=opus", "id": "556", "voice": true }
        })));
        assert_eq!(m.attachments[0].kind, AttachmentKind::Voice);
        assert_eq!(m.attachments[0].file_name, "voice.ogg");

        for (kind, want) in [
            ("voice", AttachmentKind::Voice),
            ("video", AttachmentKind::Video),
            ("sticker", AttachmentKind::Sticker),
        ] {
            let m = one_message(&from_anna(json!({
                "from": "79161234567", "id": format!("wamid.{kind}"), "type": kind,
                kind: { "mime_type": "application/octet-stream", "id": "557" }
            })));
            assert_eq!(m.attachments[0].kind, want, "{kind}");
            assert_eq!(m.attachments[0].source, "557");
        }
    }

    #[test]
    fn locations_shared_contacts_and_button_presses_read_as_text() {
        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.4", "type": "location",
            "location": { "latitude": 55.7558, "longitude": 37.6173, "name": "Office", "address": "Tverskaya 1" }
        })));
        assert_eq!(m.text, "📍 55.755800, 37.617300\nOffice\nTverskaya 1");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.5", "type": "contacts",
            "contacts": [{ "name": { "formatted_name": "Ivan Sidorov", "first_name": "Ivan" },
                           "phones": [{ "phone": "+7 916 000 00 00", "wa_id": "79160000000", "type": "CELL" }] }]
        })));
        assert_eq!(m.text, "📇 Ivan Sidorov +7 916 000 00 00");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.6", "type": "interactive",
            "interactive": { "type": "button_reply", "button_reply": { "id": "yes", "title": "Yes, please" } }
        })));
        assert_eq!(m.text, "Yes, please");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.7", "type": "interactive",
            "interactive": { "type": "list_reply",
                             "list_reply": { "id": "d2", "title": "Courier", "description": "Tomorrow" } }
        })));
        assert_eq!(m.text, "Courier\nTomorrow");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.8", "type": "button",
            "context": { "from": "15550100", "id": "wamid.template" },
            "button": { "payload": "STOP", "text": "Stop promotions" }
        })));
        assert_eq!(m.text, "Stop promotions");
    }

    #[test]
    fn unknown_types_are_stored_as_a_note_and_taken_back_reactions_skipped() {
        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.9", "type": "order",
            "order": { "catalog_id": "1", "product_items": [] }
        })));
        assert_eq!(m.text, "[unsupported message type: order]");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.10", "type": "unsupported",
            "errors": [{ "code": 131051, "title": "Message type unknown" }]
        })));
        assert_eq!(m.text, "[unsupported message type]");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.11", "type": "interactive",
            "interactive": { "type": "nfm_reply", "nfm_reply": { "response_json": "{}" } }
        })));
        assert_eq!(m.text, "[unsupported message type: interactive nfm_reply]");

        let m = one_message(&from_anna(json!({
            "from": "79161234567", "id": "wamid.12", "type": "reaction",
            "reaction": { "message_id": "wamid.out", "emoji": "👍" }
        })));
        assert_eq!(m.text, "Reacted 👍");
        let removed = from_anna(json!({
            "from": "79161234567", "id": "wamid.13", "type": "reaction",
            "reaction": { "message_id": "wamid.out" }
        }));
        assert!(parse_notification(&removed).expect("parses").is_empty());
    }

    #[test]
    fn statuses_report_delivery_and_failures_explain_themselves() {
        let events = parse_notification(&webhook(json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550100", "phone_number_id": "1065550001" },
            "statuses": [
                { "id": "wamid.out1", "status": "sent", "timestamp": "1700000001", "recipient_id": "79161234567" },
                { "id": "wamid.out1", "status": "delivered", "timestamp": "1700000002", "recipient_id": "79161234567" },
                { "id": "wamid.out1", "status": "read", "timestamp": "1700000003", "recipient_id": "79161234567" },
                { "id": "wamid.out2", "status": "failed", "timestamp": "1700000004", "recipient_id": "79161234567",
                  "errors": [{ "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                               "error_data": { "details": "The recipient is not on WhatsApp" } }] },
                { "id": "wamid.out3", "status": "failed", "timestamp": "1700000005", "recipient_id": "79161234567",
                  "errors": [{ "code": 131047, "title": "Re-engagement message", "message": "Re-engagement message" }] },
                { "id": "wamid.out4", "status": "deleted", "timestamp": "1700000006" }
            ]
        })))
        .expect("parses");
        let states: Vec<_> = events
            .iter()
            .map(|e| match e {
                InboundEvent::Status {
                    message_id,
                    state,
                    error,
                } => (message_id.as_str(), *state, error.clone()),
                other => panic!("not a status: {other:?}"),
            })
            .collect();
        assert_eq!(states.len(), 5, "unknown states are skipped");
        assert_eq!(states[0].1, DeliveryState::Sent);
        assert_eq!(states[1].1, DeliveryState::Delivered);
        assert_eq!(states[2].1, DeliveryState::Read);
        assert_eq!(states[0].2, None);
        assert_eq!(states[3].1, DeliveryState::Failed);
        assert_eq!(
            states[3].2.as_deref(),
            Some("Message undeliverable: The recipient is not on WhatsApp (error 131026)")
        );
        assert_eq!(states[4].2.as_deref(), Some(TEMPLATE_REQUIRED));
    }

    #[test]
    fn template_updates_ask_for_a_refresh_other_fields_are_ignored_and_garbage_is_refused() {
        let template_review = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "1", "changes": [{ "field": "message_template_status_update",
                "value": { "event": "APPROVED", "message_template_id": 1, "message_template_name": "x" } }] }]
        });
        assert_eq!(
            parse_notification(template_review.to_string().as_bytes()).expect("parses"),
            vec![InboundEvent::TemplatesChanged]
        );
        let account_update = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "1", "changes": [{ "field": "account_update",
                "value": { "event": "VERIFIED_ACCOUNT" } }] }]
        });
        assert!(
            parse_notification(account_update.to_string().as_bytes())
                .expect("parses")
                .is_empty()
        );
        for body in [
            &b"{not json"[..],
            br#"{"object":"page","entry":[]}"#,
            br#"{"object":"whatsapp_business_account","entry":"x"}"#,
            &webhook(json!({ "messages": [{ "id": "wamid.1", "type": "text" }] })),
            &webhook(json!({ "messages": [{ "id": "", "from": "1", "type": "text" }] })),
            &webhook(
                json!({ "messages": [{ "id": "wamid.1", "from": "1", "type": "image", "image": {} }] }),
            ),
            &webhook(json!({ "statuses": [{ "id": "wamid.1" }] })),
        ] {
            assert!(
                matches!(parse_notification(body), Err(WebhookError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn only_a_body_signed_with_the_app_secret_is_accepted() {
        let adapter = WhatsApp::new(reqwest::Client::new(), "http://127.0.0.1:9".into());
        let ch = channel(json!({ "app_secret": "meta-app-secret" }));
        let body =
            from_anna(json!({ "from": "1", "id": "w", "type": "text", "text": { "body": "hi" } }));
        let signed = |secret: &[u8], body: &[u8]| {
            let mut headers = HeaderMap::new();
            let value = super::super::api::signature(secret, body);
            headers.insert(SIGNATURE_HEADER, value.parse().expect("header value"));
            headers
        };
        assert!(
            adapter
                .verify(&ch, &signed(b"meta-app-secret", &body), &body)
                .is_ok()
        );
        for (headers, body) in [
            (signed(b"other-secret", &body), body.clone()),
            (signed(b"meta-app-secret", b"{}"), body.clone()),
            (HeaderMap::new(), body.clone()),
        ] {
            assert!(matches!(
                adapter.verify(&ch, &headers, &body),
                Err(WebhookError::BadSignature)
            ));
        }
        // A channel without an app secret accepts nothing.
        let bare = channel(json!({}));
        assert!(adapter.verify(&bare, &signed(b"", &body), &body).is_err());
    }

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_the_verify_token() {
        let ch = channel(json!({ "verify_token": "tok-123" }));
        let query = |mode: &str, token: &str, challenge: &str| {
            HashMap::from([
                ("hub.mode".to_owned(), mode.to_owned()),
                ("hub.verify_token".to_owned(), token.to_owned()),
                ("hub.challenge".to_owned(), challenge.to_owned()),
            ])
        };
        assert_eq!(
            handshake(&ch, &query("subscribe", "tok-123", "1158201444")).expect("answers"),
            "1158201444"
        );
        assert!(matches!(
            handshake(&ch, &query("subscribe", "wrong", "1158201444")),
            Err(WebhookError::BadSignature)
        ));
        assert!(matches!(
            handshake(&ch, &query("unsubscribe", "tok-123", "1")),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            handshake(&ch, &query("subscribe", "tok-123", "<script>")),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            handshake(&ch, &HashMap::new()),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn refusals_map_to_retry_or_a_permanent_reason() {
        let error = |code: i64, message: &str| GraphError {
            message: Some(message.into()),
            code: Some(code),
            ..GraphError::default()
        };
        assert!(matches!(
            classify(400, None, &error(130429, "Rate limit hit")),
            SendError::Retry { .. }
        ));
        for code in [131048, 131056, 80007] {
            assert!(matches!(
                classify(400, None, &error(code, "limited")),
                SendError::Retry { .. }
            ));
        }
        assert_eq!(
            classify(429, Some(Duration::from_secs(7)), &GraphError::default()),
            SendError::Retry {
                after: Some(Duration::from_secs(7)),
                reason: "WhatsApp is limiting how fast this number sends: WhatsApp answered 429"
                    .into()
            }
        );
        assert!(matches!(
            classify(503, None, &GraphError::default()),
            SendError::Retry { .. }
        ));
        assert_eq!(
            classify(400, None, &error(131047, "(#131047) Re-engagement message")),
            SendError::Permanent(TEMPLATE_REQUIRED.into())
        );
        match classify(
            401,
            None,
            &error(190, "Error validating access token: Session has expired"),
        ) {
            SendError::Permanent(reason) => {
                assert!(reason.contains("Session has expired"), "{reason}");
                assert!(reason.contains("190"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_replies_and_templates_have_the_cloud_api_shape() {
        assert_eq!(
            text_body("79161234567", "Hello", Some("wamid.in1")),
            json!({
                "messaging_product": "whatsapp", "recipient_type": "individual",
                "to": "79161234567", "type": "text", "text": { "body": "Hello" },
                "context": { "message_id": "wamid.in1" }
            })
        );
        assert!(text_body("1", "x", None).get("context").is_none());
        let sent = |variables: &[&str], header, buttons| SentTemplate {
            name: "order_ready".into(),
            language: "en_US".into(),
            variables: variables.iter().map(|v| (*v).to_owned()).collect(),
            header,
            buttons,
        };
        assert_eq!(
            template_body(&sent(&["Anna", "A-1042"], None, Vec::new())),
            json!({
                "messaging_product": "whatsapp", "recipient_type": "individual",
                "type": "template",
                "template": {
                    "name": "order_ready",
                    "language": { "code": "en_US" },
                    "components": [{ "type": "body", "parameters": [
                        { "type": "text", "text": "Anna" },
                        { "type": "text", "text": "A-1042" }
                    ] }]
                }
            })
        );
        assert!(
            template_body(&sent(&[], None, Vec::new()))["template"]
                .get("components")
                .is_none()
        );
        let full = sent(
            &["Anna"],
            Some(HeaderValue::Document("https://cdn.test/invoice.pdf".into())),
            vec![
                app::domain::template::ButtonValue {
                    index: 1,
                    kind: ButtonKind::Url,
                    value: "A-1042".into(),
                },
                app::domain::template::ButtonValue {
                    index: 2,
                    kind: ButtonKind::CopyCode,
                    value: "SPRING".into(),
                },
            ],
        );
        assert_eq!(
            template_body(&full)["template"]["components"],
            json!([
                { "type": "header", "parameters": [
                    { "type": "document", "document": { "link": "https://cdn.test/invoice.pdf" } }
                ] },
                { "type": "body", "parameters": [{ "type": "text", "text": "Anna" }] },
                { "type": "button", "sub_type": "url", "index": "1",
                  "parameters": [{ "type": "text", "text": "A-1042" }] },
                { "type": "button", "sub_type": "copy_code", "index": "2",
                  "parameters": [{ "type": "coupon_code", "coupon_code": "SPRING" }] }
            ])
        );
    }

    #[test]
    fn listed_templates_keep_what_their_header_and_buttons_need() {
        let page = json!({"data": [
            {"name": "shipped", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
             "components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://x"]}},
                {"type": "BODY", "text": "Hi {{1}}"},
                {"type": "FOOTER", "text": "Reply STOP"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Stop"},
                    {"type": "URL", "text": "Track", "url": "https://t.test/{{1}}"},
                    {"type": "URL", "text": "Shop", "url": "https://shop.test"},
                    {"type": "COPY_CODE", "example": "SPRING"}]}]},
            {"name": "where", "language": "en_US", "status": "APPROVED",
             "components": [{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "Here"}]},
            {"name": "titled", "language": "ru", "status": "APPROVED",
             "components": [{"type": "HEADER", "format": "TEXT", "text": "Заказ {{1}}"}, {"type": "BODY", "text": "Готов"}]},
            {"name": "named", "language": "en_US", "status": "APPROVED", "parameter_format": "NAMED",
             "components": [{"type": "BODY", "text": "Hi {{first_name}}"}]}
        ]});
        let listed = parse_templates(&page);
        assert_eq!(listed.len(), 4);
        assert_eq!(
            listed[3].parts.unsupported.as_deref(),
            Some("named parameters")
        );
        let shipped = &listed[0].parts;
        assert_eq!(shipped.header, Some(TemplateHeader::Image));
        assert_eq!(
            shipped.buttons,
            vec![
                TemplateButton {
                    index: 1,
                    kind: ButtonKind::Url,
                    text: "Track".into(),
                    url: "https://t.test/{{1}}".into()
                },
                TemplateButton {
                    index: 3,
                    kind: ButtonKind::CopyCode,
                    text: String::new(),
                    url: String::new()
                },
            ]
        );
        assert_eq!(shipped.unsupported, None);
        assert_eq!(
            listed[1].parts.unsupported.as_deref(),
            Some("location header")
        );
        assert_eq!(
            listed[2].parts.header,
            Some(TemplateHeader::Text {
                text: "Заказ {{1}}".into()
            })
        );
    }
}
