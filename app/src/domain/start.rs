//! Starting a dialog from our side (C7): who the operator may write to first on each kind
//! of channel, and the form's input.

use serde::{Deserialize, Serialize};

use super::template::{TemplateChoice, TemplateView};
use super::{ChannelId, ChannelKind, LineId, UserId};

/// The longest email subject kept.
pub const MAX_SUBJECT_CHARS: usize = 500;

/// How a channel's clients are addressed when we write first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientKind {
    /// A phone number (WhatsApp), normalized to E.164.
    Phone,
    /// An email address; the first message needs a subject.
    Email,
    /// A Telegram chat id or the @username of someone who already wrote to the bot.
    ChatOrUsername,
    /// The chat id the connected system uses (API channel).
    ChatId,
}

impl RecipientKind {
    /// How a kind of channel is addressed, or None when we cannot write first on it.
    pub fn of(kind: ChannelKind) -> Option<RecipientKind> {
        match kind {
            ChannelKind::Whatsapp => Some(RecipientKind::Phone),
            ChannelKind::Email => Some(RecipientKind::Email),
            ChannelKind::Telegram => Some(RecipientKind::ChatOrUsername),
            ChannelKind::Webhook => Some(RecipientKind::ChatId),
            _ => None,
        }
    }

    /// The label key of the form's "who" field.
    pub fn label_key(self) -> &'static str {
        match self {
            RecipientKind::Phone => "start.recipient.phone",
            RecipientKind::Email => "start.recipient.email",
            RecipientKind::ChatOrUsername => "start.recipient.telegram",
            RecipientKind::ChatId => "start.recipient.chat",
        }
    }
}

/// What the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDialog {
    pub line_id: LineId,
    pub channel_id: ChannelId,
    /// Who answers the client; the operator themselves when None.
    pub assignee_id: Option<UserId>,
    /// Phone, email, chat id or @username, as the channel's `RecipientKind` says.
    pub recipient: String,
    /// Email only.
    #[serde(default)]
    pub subject: Option<String>,
    /// The first message; may be empty when a template is sent.
    #[serde(default)]
    pub text: String,
    /// WhatsApp only: an approved template to open the conversation with.
    #[serde(default)]
    pub template: Option<TemplateChoice>,
    /// Uploaded files sent with the first message.
    #[serde(default)]
    pub files: Vec<super::UploadId>,
}

/// Who a new dialog is with, as the channel knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// E.164 phone; the WhatsApp chat is the number without "+".
    Phone(String),
    /// Lower-case address.
    Email(String),
    /// A numeric Telegram chat id.
    TelegramChat(String),
    /// A Telegram @username without the "@", to be found among the bot's chats.
    TelegramUsername(String),
    /// An API channel's chat id.
    Chat(String),
}

/// Why the "who" field was refused: a message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientError(pub &'static str);

impl Recipient {
    /// Reads what the operator typed for a channel of this kind. `normalize_phone` turns a
    /// phone into E.164 (the server passes the `phonenumber` crate's rules).
    pub fn parse(
        kind: RecipientKind,
        raw: &str,
        normalize_phone: impl Fn(&str) -> Option<String>,
    ) -> Result<Recipient, RecipientError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(RecipientError("start.error.recipient_empty"));
        }
        if raw.chars().count() > 254 {
            return Err(RecipientError("start.error.recipient_long"));
        }
        match kind {
            RecipientKind::Phone => normalize_phone(raw)
                .map(Recipient::Phone)
                .ok_or(RecipientError("start.error.phone")),
            RecipientKind::Email => valid_email(raw)
                .map(Recipient::Email)
                .ok_or(RecipientError("start.error.email")),
            RecipientKind::ChatOrUsername => {
                let digits = raw.strip_prefix('-').unwrap_or(raw);
                if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                    return Ok(Recipient::TelegramChat(raw.to_owned()));
                }
                let name = raw
                    .strip_prefix("https://t.me/")
                    .or_else(|| raw.strip_prefix("t.me/"))
                    .unwrap_or(raw);
                let name = name.strip_prefix('@').unwrap_or(name);
                let valid = (4..=32).contains(&name.len())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if valid {
                    Ok(Recipient::TelegramUsername(name.to_owned()))
                } else {
                    Err(RecipientError("start.error.telegram"))
                }
            }
            RecipientKind::ChatId => {
                if raw.chars().count() > 200 || raw.chars().any(char::is_control) {
                    Err(RecipientError("start.error.recipient_long"))
                } else {
                    Ok(Recipient::Chat(raw.to_owned()))
                }
            }
        }
    }

    /// The client's id on the channel, once known (a username is looked up first).
    pub fn chat(&self) -> Option<String> {
        match self {
            Recipient::Phone(e164) => Some(e164.trim_start_matches('+').to_owned()),
            Recipient::Email(address) => Some(address.clone()),
            Recipient::TelegramChat(id) | Recipient::Chat(id) => Some(id.clone()),
            Recipient::TelegramUsername(_) => None,
        }
    }
}

/// A plausible single address, lower-cased: one "@", a dotted domain, no spaces.
pub fn valid_email(raw: &str) -> Option<String> {
    let address = raw.trim().to_lowercase();
    let (local, domain) = address.split_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c));
    ok.then_some(address)
}

/// One channel the form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartChannel {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
    pub recipient: RecipientKind,
    /// WhatsApp: the approved templates.
    pub templates: Vec<TemplateView>,
}

/// One line the form offers, with the channels on it we can write first on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartLine {
    pub id: LineId,
    pub name: String,
    pub channels: Vec<StartChannel>,
}

/// A user who may be made the assignee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserOption {
    pub id: UserId,
    pub name: String,
}

/// Everything the "New dialog" form needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartOptions {
    /// Lines this user may send on, with their channels.
    pub lines: Vec<StartLine>,
    /// The account's active users; the form preselects `me`.
    pub users: Vec<UserOption>,
    pub me: UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> Option<String> {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        (digits.len() == 11).then(|| format!("+{digits}"))
    }

    #[test]
    fn each_kind_of_channel_reads_its_own_address() {
        assert_eq!(
            Recipient::parse(RecipientKind::Phone, " +7 916 123-45-67 ", phone),
            Ok(Recipient::Phone("+79161234567".into()))
        );
        assert_eq!(
            Recipient::parse(RecipientKind::Phone, "12", phone),
            Err(RecipientError("start.error.phone"))
        );
        assert_eq!(
            Recipient::parse(RecipientKind::Email, "Anna@Example.COM", phone),
            Ok(Recipient::Email("anna@example.com".into()))
        );
        for bad in [
            "anna",
            "anna@",
            "@x.ru",
            "a@b",
            "a b@x.ru",
            "a@x..ru",
            "a@x.ru, b@y.ru",
        ] {
            assert_eq!(
                Recipient::parse(RecipientKind::Email, bad, phone),
                Err(RecipientError("start.error.email")),
                "{bad}"
            );
        }
        assert_eq!(
            Recipient::parse(RecipientKind::ChatOrUsername, "123456789", phone),
            Ok(Recipient::TelegramChat("123456789".into()))
        );
        assert_eq!(
            Recipient::parse(RecipientKind::ChatOrUsername, "-100123", phone),
            Ok(Recipient::TelegramChat("-100123".into()))
        );
        for name in ["@anna_k", "anna_k", "https://t.me/anna_k"] {
            assert_eq!(
                Recipient::parse(RecipientKind::ChatOrUsername, name, phone),
                Ok(Recipient::TelegramUsername("anna_k".into()))
            );
        }
        assert_eq!(
            Recipient::parse(RecipientKind::ChatOrUsername, "+7 916", phone),
            Err(RecipientError("start.error.telegram"))
        );
        assert_eq!(
            Recipient::parse(RecipientKind::ChatId, "visitor-9", phone),
            Ok(Recipient::Chat("visitor-9".into()))
        );
        assert_eq!(
            Recipient::parse(RecipientKind::ChatId, "  ", phone),
            Err(RecipientError("start.error.recipient_empty"))
        );
    }

    #[test]
    fn whatsapp_chats_are_numbers_without_plus() {
        assert_eq!(
            Recipient::Phone("+79161234567".into()).chat().as_deref(),
            Some("79161234567")
        );
        assert_eq!(Recipient::TelegramUsername("anna".into()).chat(), None);
    }

    #[test]
    fn only_channels_we_can_write_first_on_are_offered() {
        assert_eq!(
            RecipientKind::of(ChannelKind::Whatsapp),
            Some(RecipientKind::Phone)
        );
        assert_eq!(RecipientKind::of(ChannelKind::Ozon), None);
        assert_eq!(RecipientKind::of(ChannelKind::Internal), None);
    }
}
