//! What a messenger tells us, in the product's words: every channel adapter turns its
//! provider's webhook into these, and one ingest path stores them.

use chrono::{DateTime, Utc};

use super::DeliveryState;

/// The longest message body stored (longer texts, e.g. long emails, are cut with a mark).
pub const MAX_BODY_CHARS: usize = 20_000;

/// One thing that happened on a channel.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundEvent {
    /// The client (or someone in a group chat) wrote.
    Message(InboundMessage),
    /// The client changed a message they had sent.
    Edited(InboundMessage),
    /// The client deleted messages (external ids).
    Deleted { message_ids: Vec<String> },
    /// The messenger reports the fate of one of our outgoing messages.
    Status {
        message_id: String,
        state: DeliveryState,
        error: Option<String>,
    },
    /// The provider changed the channel's message templates (a review passed or failed, a
    /// template paused or recategorised): they are read again.
    TemplatesChanged,
}

/// A message from the client's side.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// The messenger's id of the message, unique within the channel: the idempotency key.
    pub external_id: String,
    pub chat: InboundChat,
    /// Who wrote it, when the chat is a group.
    pub sender_name: Option<String>,
    pub text: String,
    pub attachments: Vec<InboundAttachment>,
    pub sent_at: Option<DateTime<Utc>>,
    /// An email's subject (replies answer it).
    pub subject: Option<String>,
}

/// The conversation a message belongs to: a person, or a group chat.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboundChat {
    /// The messenger's id of the chat (what we send replies to).
    pub external_id: String,
    pub name: String,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_group: bool,
}

/// A file that came with a message; `source` tells the adapter how to fetch it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundAttachment {
    pub kind: AttachmentKind,
    pub file_name: String,
    pub mime_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Image,
    Document,
    Voice,
    Audio,
    Video,
    Sticker,
}

impl AttachmentKind {
    /// The kind of a file an operator sends, by its type: images and videos show as media
    /// in messengers, audio as audio, everything else as a document.
    pub fn of_mime(mime: &str) -> AttachmentKind {
        let mime = mime.to_ascii_lowercase();
        if mime.starts_with("image/") && !mime.starts_with("image/svg") {
            AttachmentKind::Image
        } else if mime.starts_with("video/") {
            AttachmentKind::Video
        } else if mime == "audio/ogg" || mime == "audio/opus" {
            AttachmentKind::Voice
        } else if mime.starts_with("audio/") {
            AttachmentKind::Audio
        } else {
            AttachmentKind::Document
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Document => "document",
            AttachmentKind::Voice => "voice",
            AttachmentKind::Audio => "audio",
            AttachmentKind::Video => "video",
            AttachmentKind::Sticker => "sticker",
        }
    }
}

impl InboundMessage {
    /// The body as stored: the text cut to [`MAX_BODY_CHARS`], or a description of the
    /// files when there is no text.
    pub fn body(&self) -> String {
        let text = self.text.trim();
        if text.is_empty() {
            let names = self
                .attachments
                .iter()
                .map(|a| a.file_name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return cut(&names, MAX_BODY_CHARS);
        }
        cut(text, MAX_BODY_CHARS)
    }
}

/// Cuts `text` to at most `max` characters, marking the cut with an ellipsis. NUL
/// characters, which PostgreSQL text cannot hold, are dropped.
pub fn cut(text: &str, max: usize) -> String {
    if text.contains('\0') {
        return cut(&text.replace('\0', ""), max);
    }
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if text[i..].chars().nth(1).is_some() => format!("{}…", &text[..i]),
        _ => text.to_owned(),
    }
}

/// A phone number in E.164 (`+79161234567`), or None when it is not a valid number.
/// Numbers without a country code are read as Russian, the product's home market.
#[cfg(feature = "ssr")]
pub fn normalize_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let digits: String = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    // Russian habit: 8 9xx... means +7 9xx...
    let candidate = if !trimmed.starts_with('+') && digits.len() == 11 && digits.starts_with('8') {
        format!("+7{}", &digits[1..])
    } else if !trimmed.starts_with('+') && digits.len() > 10 {
        format!("+{digits}")
    } else {
        trimmed.to_owned()
    };
    let number = phonenumber::parse(Some(phonenumber::country::Id::RU), &candidate).ok()?;
    phonenumber::is_valid(&number)
        .then(|| number.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_with_a_mark_and_short_ones_kept() {
        assert_eq!(cut("hello", 5), "hello");
        assert_eq!(cut("hello!", 5), "hell…");
        assert_eq!(cut("привет", 3), "пр…");
        assert_eq!(cut("", 3), "");
        assert_eq!(cut("a\0b", 5), "ab");
    }

    #[test]
    fn many_long_file_names_never_make_an_overlong_body() {
        let file = InboundAttachment {
            kind: AttachmentKind::Document,
            file_name: "x".repeat(300),
            mime_type: None,
            size_bytes: None,
            source: "s".into(),
        };
        let message = InboundMessage {
            external_id: "1".into(),
            chat: InboundChat::default(),
            sender_name: None,
            text: String::new(),
            attachments: vec![file; 100],
            sent_at: None,
            subject: None,
        };
        assert_eq!(message.body().chars().count(), MAX_BODY_CHARS);
    }

    #[test]
    fn a_message_with_only_files_is_described_by_their_names() {
        let message = InboundMessage {
            external_id: "1".into(),
            chat: InboundChat::default(),
            sender_name: None,
            text: " ".into(),
            attachments: vec![InboundAttachment {
                kind: AttachmentKind::Document,
                file_name: "invoice.pdf".into(),
                mime_type: None,
                size_bytes: None,
                source: "x".into(),
            }],
            sent_at: None,
            subject: None,
        };
        assert_eq!(message.body(), "invoice.pdf");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn one_phone_written_many_ways_is_one_number() {
        for raw in [
            "+7 916 123-45-67",
            "89161234567",
            "79161234567",
            "+7(916)1234567",
        ] {
            assert_eq!(
                normalize_phone(raw).as_deref(),
                Some("+79161234567"),
                "{raw}"
            );
        }
        assert_eq!(
            normalize_phone("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(normalize_phone("hello"), None);
        assert_eq!(normalize_phone("123"), None);
    }
}
