//! Email: replies go out over SMTP (`lettre`), clients' emails come in from an inbound-mail
//! webhook as the raw RFC 5322 message (`mail-parser`).
//!
//! Channel row: `settings.smtp_host`, `smtp_port` (default 25 / 587 / 465 by `smtp_tls`),
//! `smtp_tls` (`none`, `starttls` — the default — or `tls`), `from_address`, `from_name`,
//! `default_subject`; `credentials.smtp_username`, `smtp_password` (both optional) and
//! `inbound_secret` (the key of the webhook's `X-Dialogs-Signature`).
//!
//! Ids: a chat is the client's address in lower case, a message its `Message-ID` with the
//! angle brackets (`<…@…>`); an email without one is known by `sha256:<hex of the raw
//! message>`. Our replies carry `Message-ID: <dialogs-message-{id}@{from domain}>` and, when
//! they answer a message, `In-Reply-To`/`References` naming it, so mail clients thread them.
//!
//! Files: the bytes of attachments are inside the email. Before the events are stored the
//! raw email is kept in the file store (`email/{channel}/{sha256}.eml`, only when it has
//! attachments); each attachment's source is `email:{sha256}:{index}` and `fetch_file` cuts
//! it out of the kept email, so the shared fetch job stores it like any messenger's file.
//! Once every attachment of a kept email is stored (or given up), the email is deleted
//! (`Email::release_kept`).

use std::time::Duration;

use app::domain::ChannelKind;
use app::domain::inbound::{
    AttachmentKind, InboundAttachment, InboundChat, InboundEvent, InboundMessage,
};
use app::store::inbound::ChannelRecord;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http::HeaderMap;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use super::{
    ChannelAdapter, FetchedFile, Outgoing, RateLimits, SendError, WebhookError, credential, setting,
};
use crate::files::FileStore;

/// The header the inbound-mail webhook is signed with (`sha256=<hex HMAC>` of the raw body).
pub const SIGNATURE_HEADER: &str = "x-dialogs-signature";
/// The largest attachment taken from an email.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// At most this many attachments of one email are kept.
const MAX_ATTACHMENTS: usize = 20;
/// Longest wait for one SMTP step.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Longer Message-IDs are not real ones; the email is then known by its hash.
const MAX_MESSAGE_ID: usize = 500;

pub struct Email {
    files: FileStore,
}

impl Email {
    pub fn new(files: FileStore) -> Email {
        Email { files }
    }

    async fn send_mail(
        &self,
        channel: &ChannelRecord,
        outgoing: &Outgoing,
    ) -> Result<Option<String>, SendError> {
        let host = setting(channel, "smtp_host").ok_or_else(|| {
            SendError::Permanent("The channel has no SMTP server (smtp_host)".into())
        })?;
        let tls = Security::of(channel)?;
        let port = match setting(channel, "smtp_port") {
            Some(p) => p.trim().parse::<u16>().map_err(|_| {
                SendError::Permanent(format!("The channel's smtp_port {p:?} is not a port"))
            })?,
            None => tls.default_port(),
        };
        let (email, message_id) = build(channel, outgoing)?;
        let envelope = email.envelope().clone();
        let raw = email.formatted();

        let hello = ClientId::default();
        let parameters = || {
            TlsParameters::new(host.to_owned()).map_err(|e| {
                SendError::Permanent(format!("TLS settings for {host} are not usable: {e}"))
            })
        };
        let wrapper = match tls {
            Security::Tls => Some(parameters()?),
            _ => None,
        };
        // Until the message is handed over, nothing has reached the client: every failure
        // but a refusal for good may be retried.
        let mut connection = AsyncSmtpConnection::connect_tokio1(
            (host, port),
            Some(SMTP_TIMEOUT),
            &hello,
            wrapper,
            None,
        )
        .await
        .map_err(|e| before_data(host, &e))?;
        let prepared = async {
            if tls == Security::StartTls {
                connection
                    .starttls(parameters()?, &hello)
                    .await
                    .map_err(|e| before_data(host, &e))?;
            }
            if let Some(user) = credential(channel, "smtp_username") {
                let password = credential(channel, "smtp_password").unwrap_or_default();
                connection
                    .auth(
                        DEFAULT_MECHANISMS,
                        &Credentials::new(user.to_owned(), password.to_owned()),
                    )
                    .await
                    .map_err(|e| before_data(host, &e))?;
            }
            Ok(())
        }
        .await;
        if let Err(err) = prepared {
            connection.abort().await;
            return Err(err);
        }
        match connection.send(&envelope, &raw).await {
            Ok(_) => {
                // The message is taken; a slow goodbye changes nothing.
                let _ = tokio::time::timeout(Duration::from_secs(5), connection.quit()).await;
                Ok(Some(message_id))
            }
            Err(err) => {
                connection.abort().await;
                Err(during_send(&err))
            }
        }
    }
}

/// How the SMTP connection is protected (`settings.smtp_tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    None,
    StartTls,
    Tls,
}

impl Security {
    fn of(channel: &ChannelRecord) -> Result<Security, SendError> {
        match setting(channel, "smtp_tls").map(|s| s.trim().to_ascii_lowercase()) {
            None => Ok(Security::StartTls),
            Some(s) if s == "starttls" => Ok(Security::StartTls),
            Some(s) if s == "none" => Ok(Security::None),
            Some(s) if s == "tls" => Ok(Security::Tls),
            Some(other) => Err(SendError::Permanent(format!(
                "The channel's smtp_tls {other:?} is not none, starttls or tls"
            ))),
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }
}

/// `<id>` as written in headers.
fn bracketed(id: &str) -> String {
    let id = id.trim();
    if id.starts_with('<') && id.ends_with('>') {
        id.to_owned()
    } else {
        format!("<{}>", id.trim_matches(|c| c == '<' || c == '>'))
    }
}

/// The email of a reply and its Message-ID.
fn build(channel: &ChannelRecord, outgoing: &Outgoing) -> Result<(Message, String), SendError> {
    let from_address: lettre::Address = setting(channel, "from_address")
        .ok_or_else(|| SendError::Permanent("The channel has no from_address".into()))?
        .trim()
        .parse()
        .map_err(|e| {
            SendError::Permanent(format!("The channel's from_address is not an address: {e}"))
        })?;
    let to: lettre::Address = outgoing.chat.trim().parse().map_err(|_| {
        SendError::Permanent(format!("{:?} is not an email address", outgoing.chat))
    })?;
    let message_id = format!("<{}@{}>", outgoing.idempotency_key, from_address.domain());
    let from = Mailbox::new(
        setting(channel, "from_name").map(|n| n.trim().to_owned()),
        from_address,
    );
    // An operator's reply threads under the message it answers, else under the client's
    // newest message, so mail clients keep the conversation together.
    let parent = outgoing
        .reply_to
        .as_deref()
        .or(outgoing.thread.as_deref())
        .filter(|p| p.contains('@'));
    let subject = outgoing
        .subject
        .clone()
        .unwrap_or_else(|| subject(channel, parent.is_some()));
    let mut builder = Message::builder()
        .from(from)
        .to(Mailbox::new(None, to))
        .subject(subject)
        .message_id(Some(message_id.clone()));
    if let Some(parent) = parent {
        let parent = bracketed(parent);
        builder = builder.in_reply_to(parent.clone()).references(parent);
    }
    let built = if outgoing.files.is_empty() {
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(outgoing.text.clone())
    } else {
        // The text, then every file as an attachment, in one email.
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(outgoing.text.clone()));
        for file in &outgoing.files {
            let kind = ContentType::parse(&file.mime_type).unwrap_or_else(|_| {
                ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
            });
            parts = parts
                .singlepart(Attachment::new(file.file_name.clone()).body(file.bytes.clone(), kind));
        }
        builder.multipart(parts)
    };
    let email =
        built.map_err(|e| SendError::Permanent(format!("The email could not be built: {e}")))?;
    Ok((email, message_id))
}

/// The subject when the dialog has none (it began with the client's email; its subject is
/// not kept): the channel's `default_subject`, as a reply when answering.
fn subject(channel: &ChannelRecord, replying: bool) -> String {
    let base = setting(channel, "default_subject")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| format!("Your message to {}", channel.name));
    if replying { reply_subject(&base) } else { base }
}

/// "Re: subject", without piling up "Re: Re:".
pub fn reply_subject(subject: &str) -> String {
    let subject = subject.trim();
    if subject.to_ascii_lowercase().starts_with("re:") {
        subject.to_owned()
    } else {
        format!("Re: {subject}")
    }
}

/// A failure before the message was handed over: never delivered.
fn before_data(host: &str, err: &lettre::transport::smtp::Error) -> SendError {
    if err.is_permanent() || err.is_client() {
        SendError::Permanent(format!("The mail server {host} refused: {err}"))
    } else {
        SendError::Retry {
            after: None,
            reason: format!("The mail server {host} is unreachable: {err}"),
        }
    }
}

/// A failure while handing the message over: a reply code says what happened; silence may
/// come after the server took it.
fn during_send(err: &lettre::transport::smtp::Error) -> SendError {
    if err.is_permanent() {
        SendError::Permanent(format!("The mail server refused the message: {err}"))
    } else if err.is_transient() {
        SendError::Retry {
            after: None,
            reason: format!("The mail server deferred the message: {err}"),
        }
    } else if err.is_client() {
        SendError::Permanent(format!("The email could not be sent: {err}"))
    } else {
        SendError::Unclear(format!(
            "No answer from the mail server ({err}): the message may or may not have been delivered"
        ))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Where a raw email with attachments is kept in the file store.
fn kept_key(channel: &ChannelRecord, sha: &str) -> String {
    format!("email/{}/{sha}.eml", channel.id)
}

impl Email {
    /// Deletes the kept raw email an attachment came from (`source` = `email:{sha}:{n}`)
    /// once none of its attachments waits to be fetched any more: the files are in the
    /// store by then, and the email's text is in the message.
    pub async fn release_kept(
        &self,
        pool: &sqlx::PgPool,
        channel: &ChannelRecord,
        source: &str,
    ) -> anyhow::Result<()> {
        let Some(sha) = source
            .strip_prefix("email:")
            .and_then(|rest| rest.split(':').next())
            .filter(|sha| sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()))
        else {
            return Ok(());
        };
        let sha = sha.to_ascii_lowercase();
        let waiting = app::store::attachments::pending_with_source(
            pool,
            channel.id,
            &format!("email:{sha}:"),
        )
        .await?;
        if !waiting {
            self.files.delete(&kept_key(channel, &sha)).await?;
        }
        Ok(())
    }
}

/// Reads a raw email into an inbound message.
pub fn parse_email(raw: &[u8]) -> Result<InboundMessage, WebhookError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(WebhookError::Malformed("the body is empty".into()));
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| WebhookError::Malformed("not an email".into()))?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| looks_like_address(a))
        .ok_or_else(|| WebhookError::Malformed("the email has no From address".into()))?;
    let name = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| from.split('@').next().unwrap_or_default().to_owned());
    let sha = sha256_hex(raw);
    let external_id = message
        .message_id()
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= MAX_MESSAGE_ID)
        .map(bracketed)
        .unwrap_or_else(|| format!("sha256:{sha}"));
    let sent_at = message
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| DateTime::<Utc>::from_timestamp(d.to_timestamp(), 0));

    let mut text = strip_quoted(&body_text(&message));
    if text.trim().is_empty()
        && let Some(subject) = message.subject()
    {
        text = subject.trim().to_owned();
    }

    let attachments = message
        .attachments()
        .take(MAX_ATTACHMENTS)
        .enumerate()
        .map(|(i, part)| {
            let mime = part.content_type().map(|c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub).to_ascii_lowercase(),
                None => c.ctype().to_ascii_lowercase(),
            });
            let kind = match mime.as_deref().and_then(|m| m.split('/').next()) {
                Some("image") => AttachmentKind::Image,
                Some("audio") => AttachmentKind::Audio,
                Some("video") => AttachmentKind::Video,
                _ => AttachmentKind::Document,
            };
            let file_name = part
                .attachment_name()
                .map(|n| {
                    n.trim()
                        .replace(['/', '\\'], "_")
                        .chars()
                        .take(200)
                        .collect::<String>()
                })
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("attachment-{}", i + 1));
            InboundAttachment {
                kind,
                file_name,
                mime_type: mime,
                size_bytes: Some(part.len() as i64),
                source: format!("email:{sha}:{i}"),
            }
        })
        .collect();

    Ok(InboundMessage {
        external_id,
        chat: InboundChat {
            external_id: from.clone(),
            name,
            email: Some(from),
            ..InboundChat::default()
        },
        sender_name: None,
        text,
        attachments,
        sent_at,
        subject: message
            .subject()
            .map(|s| app::domain::inbound::cut(s.trim(), 500))
            .filter(|s| !s.is_empty() && !s.contains(['\r', '\n'])),
    })
}

fn looks_like_address(a: &str) -> bool {
    let mut parts = a.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None)
        if !l.is_empty() && !d.is_empty() && !a.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// The text an operator reads: the plain-text body when there is one, else the HTML body
/// sanitized (scripts and styles dropped with their content) and turned into text.
fn body_text(message: &mail_parser::Message<'_>) -> String {
    if let Some(plain) = message
        .text_bodies()
        .find(|p| p.is_text() && !p.is_text_html())
        .and_then(|p| p.text_contents())
    {
        return plain.replace("\r\n", "\n");
    }
    if let Some(html) = message
        .html_bodies()
        .find(|p| p.is_text_html())
        .and_then(|p| p.text_contents())
    {
        return html_to_text(html);
    }
    String::new()
}

/// HTML to plain text, through `ammonia` first so nothing of scripts or styles survives.
pub fn html_to_text(html: &str) -> String {
    let clean = ammonia::Builder::default().clean(html).to_string();
    let text = mail_parser::decoders::html::html_to_text(&clean);
    // Collapse the runs of blank lines HTML layouts leave.
    let mut out = Vec::new();
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push(line);
    }
    out.join("\n").trim().to_owned()
}

/// Drops the quoted history under a reply: from an attribution line ("On … wrote:",
/// "… пишет:", "-----Original Message-----") to the end when what follows is quoted or the
/// attribution is followed only by the quote, and a trailing block of `>` lines. Keeps the
/// text whole when nothing would be left.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim();
        let attribution = (l.starts_with("On ") && l.ends_with("wrote:"))
            || l.ends_with("пишет:")
            || l.eq_ignore_ascii_case("-----Original Message-----");
        if attribution {
            end = i;
            break;
        }
    }
    while end > 0 {
        let l = lines[end - 1].trim();
        if l.is_empty() || l.starts_with('>') {
            end -= 1;
        } else {
            break;
        }
    }
    let kept = lines[..end].join("\n").trim().to_owned();
    if kept.is_empty() {
        text.trim().to_owned()
    } else {
        kept
    }
}

impl ChannelAdapter for Email {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    fn verify(
        &self,
        channel: &ChannelRecord,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        super::verify_hmac_header(channel, "inbound_secret", SIGNATURE_HEADER, headers, body)
    }

    fn parse(&self, body: &[u8]) -> Result<Vec<InboundEvent>, WebhookError> {
        Ok(vec![InboundEvent::Message(parse_email(body)?)])
    }

    fn keep_payload<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        body: &'a [u8],
        events: &'a [InboundEvent],
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let has_files = events.iter().any(|e| match e {
                InboundEvent::Message(m) | InboundEvent::Edited(m) => !m.attachments.is_empty(),
                _ => false,
            });
            if has_files {
                self.files
                    .put(&kept_key(channel, &sha256_hex(body)), body)
                    .await?;
            }
            Ok(())
        })
    }

    fn send<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        message: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Option<String>, SendError>> {
        Box::pin(self.send_mail(channel, message))
    }

    fn delete<'a>(
        &'a self,
        _channel: &'a ChannelRecord,
        _chat: &'a str,
        _external_id: &'a str,
    ) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async { Err(SendError::Permanent("Email cannot be unsent".into())) })
    }

    fn fetch_file<'a>(
        &'a self,
        channel: &'a ChannelRecord,
        source: &'a str,
    ) -> BoxFuture<'a, Result<FetchedFile, SendError>> {
        Box::pin(async move {
            let bad = || SendError::Permanent(format!("{source:?} is not an email attachment"));
            let mut parts = source.split(':');
            let (Some("email"), Some(sha), Some(index), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            let index: u32 = index.parse().map_err(|_| bad())?;
            let key = kept_key(channel, &sha.to_ascii_lowercase());
            let raw = match self.files.find(&key).await {
                Ok(Some(raw)) => raw,
                Ok(None) => {
                    return Err(SendError::Permanent("The email is no longer kept".into()));
                }
                Err(e) => {
                    return Err(SendError::Retry {
                        after: None,
                        reason: format!("reading a kept email: {e:#}"),
                    });
                }
            };
            let message = MessageParser::default()
                .parse(&raw)
                .ok_or_else(|| SendError::Permanent("The kept email is unreadable".into()))?;
            let part = message
                .attachments()
                .nth(index as usize)
                .ok_or_else(|| SendError::Permanent("The email has no such attachment".into()))?;
            let bytes = part.contents();
            if bytes.len() > MAX_ATTACHMENT_BYTES {
                return Err(SendError::Permanent(format!(
                    "The file is over {} MB",
                    MAX_ATTACHMENT_BYTES >> 20
                )));
            }
            let mime_type = part.content_type().map(|c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub).to_ascii_lowercase(),
                None => c.ctype().to_ascii_lowercase(),
            });
            Ok(FetchedFile {
                bytes: bytes.to_vec(),
                mime_type,
            })
        })
    }

    fn file_sending(&self) -> super::FileSending {
        super::FileSending::Together
    }

    fn limits(&self) -> RateLimits {
        RateLimits {
            per_chat: Duration::ZERO,
            per_channel: Duration::from_millis(100),
        }
    }

    fn deduplicates_sends(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_history_is_dropped_and_only_quotes_are_kept() {
        let reply = "Thanks, that works.\n\nOn Mon, 23 Nov 2026 at 10:00, Help <help@acme.test> wrote:\n> Try again\n> please";
        assert_eq!(strip_quoted(reply), "Thanks, that works.");
        assert_eq!(strip_quoted("Yes\n\n> old\n> older\n"), "Yes");
        assert_eq!(strip_quoted("> only a quote"), "> only a quote");
        assert_eq!(
            strip_quoted("Line 1\n> inline\nLine 2"),
            "Line 1\n> inline\nLine 2"
        );
    }

    #[test]
    fn html_becomes_text_without_scripts_or_styles() {
        let text = html_to_text(
            "<html><head><style>p{color:red}</style></head><body><p>Hello <b>there</b></p>\
             <script>alert(1)</script><p>Second&nbsp;line &amp; more</p></body></html>",
        );
        assert!(text.contains("Hello there"), "{text}");
        assert!(text.contains("Second"), "{text}");
        assert!(text.contains("& more"), "{text}");
        assert!(!text.contains("alert"), "{text}");
        assert!(!text.contains("color"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }

    #[test]
    fn an_email_names_its_sender_id_and_date() {
        let raw = b"From: Anna Smith <Anna@Example.COM>\r\nTo: help@acme.test\r\nSubject: Hi\r\n\
Message-ID: <abc@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHello!\r\n";
        let m = parse_email(raw).expect("parses");
        assert_eq!(m.external_id, "<abc@example.com>");
        assert_eq!(m.chat.external_id, "anna@example.com");
        assert_eq!(m.chat.email.as_deref(), Some("anna@example.com"));
        assert_eq!(m.chat.name, "Anna Smith");
        assert_eq!(m.text, "Hello!");
        assert_eq!(
            m.sent_at.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-23T10:00:00+00:00")
        );
        let bare = b"From: x@example.com\r\n\r\nHi\r\n";
        let m = parse_email(bare).expect("parses");
        assert!(m.external_id.starts_with("sha256:"), "{}", m.external_id);
        assert!(parse_email(b"").is_err());
        assert!(parse_email(b"just some words, not an email").is_err());
    }
}
