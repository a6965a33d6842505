//! Messages, notes and system messages (E1, D6), and the composer's input rules.

use serde::{Deserialize, Serialize};

/// The longest message body accepted, in characters (the database enforces the same).
pub const MAX_BODY_CHARS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "message_kind", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Sent to or received from the client.
    Message,
    /// Internal, seen by staff only.
    Note,
    /// A service event: opened, accepted, closed, assignee changed, ...
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Message => "message",
            MessageKind::Note => "note",
            MessageKind::System => "system",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "message_direction", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the client.
    In,
    /// To the client.
    Out,
    /// Notes and system messages.
    Internal,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Internal => "internal",
        }
    }
}

/// Delivery state of an outgoing message (E11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "delivery_state", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Sending,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Read => "read",
            DeliveryState::Failed => "failed",
        }
    }
}

/// The composer's toggle (E1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComposerMode {
    #[default]
    Message,
    Note,
}

/// Why a draft cannot be sent. The variants map to translated messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than {MAX_BODY_CHARS} characters")]
    TooLong,
}

impl DraftError {
    /// Translation key of the message shown to the operator.
    pub fn key(self) -> &'static str {
        match self {
            DraftError::Empty => "composer.error_empty",
            DraftError::TooLong => "composer.error_too_long",
        }
    }
}

/// What the composer will store: a message for the client or an internal note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: MessageKind,
    pub body: String,
}

impl Draft {
    /// Turns the composer's text into a message or a note. Text that starts with "/" is a
    /// quick note whatever the toggle says; the slash itself is not stored.
    pub fn parse(text: &str, mode: ComposerMode) -> Result<Draft, DraftError> {
        let trimmed = text.trim();
        let (kind, body) = match trimmed.strip_prefix('/') {
            Some(rest) => (MessageKind::Note, rest.trim()),
            None if mode == ComposerMode::Note => (MessageKind::Note, trimmed),
            None => (MessageKind::Message, trimmed),
        };
        if body.is_empty() {
            return Err(DraftError::Empty);
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(DraftError::TooLong);
        }
        Ok(Draft {
            kind,
            body: body.to_owned(),
        })
    }
}

/// A message as deleting it sees it (E8).
#[derive(Debug, Clone, Copy)]
pub struct DeleteCase {
    pub kind: MessageKind,
    pub direction: Direction,
    pub channel: crate::domain::ChannelKind,
    pub age: chrono::Duration,
    pub deleted: bool,
    /// The deleting user wrote it.
    pub own: bool,
    /// The user may write to the client in the dialog.
    pub may_reply: bool,
    /// The user manages the dialog (its assignee, a supervisor or an admin).
    pub manages: bool,
}

/// Whether a message may be deleted, and if not, the translation key of why. A message
/// deleted here is deleted at the client's side too, so only messengers that allow it
/// (and within their time limit) offer it; notes are ours to delete.
pub fn may_delete(case: &DeleteCase) -> Result<(), &'static str> {
    use crate::domain::ChannelKind;
    if case.deleted {
        return Err("message.delete.already");
    }
    match case.kind {
        MessageKind::System => return Err("message.delete.system"),
        MessageKind::Note if case.own || case.manages => return Ok(()),
        MessageKind::Note => return Err("message.delete.not_author"),
        MessageKind::Message => {}
    }
    if !case.may_reply {
        return Err("message.delete.no_rights");
    }
    match (case.channel, case.direction) {
        // Bots delete their messages and, in private chats, the client's, for 48 hours.
        (ChannelKind::Telegram, _) if case.age < chrono::Duration::hours(48) => Ok(()),
        (ChannelKind::Telegram, _) => Err("message.delete.too_old"),
        // The integration behind an API channel is told, and decides.
        (ChannelKind::Webhook, Direction::Out) => Ok(()),
        // Nothing leaves Dialogs on the internal channel.
        (ChannelKind::Internal, _) => Ok(()),
        (ChannelKind::Whatsapp, _) => Err("message.delete.whatsapp"),
        (ChannelKind::Email, _) => Err("message.delete.email"),
        (_, Direction::In) => Err("message.delete.incoming"),
        _ => Err("message.delete.unsupported"),
    }
}

/// The one-line preview of a message in the dialog list.
pub fn snippet(body: &str) -> String {
    const MAX: usize = 140;
    let mut out = String::with_capacity(body.len().min(MAX * 4));
    for word in body.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= MAX {
            break;
        }
    }
    if out.chars().count() > MAX {
        out = out.chars().take(MAX - 1).collect();
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_starting_with_a_slash_becomes_a_note_without_the_slash() {
        let draft = Draft::parse("/call him back tomorrow", ComposerMode::Message).unwrap();
        assert_eq!(draft.kind, MessageKind::Note);
        assert_eq!(draft.body, "call him back tomorrow");
    }

    #[test]
    fn the_note_toggle_makes_a_note() {
        let draft = Draft::parse("internal", ComposerMode::Note).unwrap();
        assert_eq!(draft.kind, MessageKind::Note);
    }

    #[test]
    fn plain_text_in_message_mode_is_a_message_with_whitespace_trimmed() {
        let draft = Draft::parse("  Hello!\nHow are you?  ", ComposerMode::Message).unwrap();
        assert_eq!(draft.kind, MessageKind::Message);
        assert_eq!(draft.body, "Hello!\nHow are you?");
    }

    #[test]
    fn empty_and_blank_drafts_are_refused() {
        assert_eq!(
            Draft::parse("", ComposerMode::Message),
            Err(DraftError::Empty)
        );
        assert_eq!(
            Draft::parse(" \n\t", ComposerMode::Note),
            Err(DraftError::Empty)
        );
        assert_eq!(
            Draft::parse("/  ", ComposerMode::Message),
            Err(DraftError::Empty)
        );
    }

    #[test]
    fn oversize_drafts_are_refused_counting_characters_not_bytes() {
        let cyrillic = "я".repeat(MAX_BODY_CHARS);
        assert!(Draft::parse(&cyrillic, ComposerMode::Message).is_ok());
        let longer = "я".repeat(MAX_BODY_CHARS + 1);
        assert_eq!(
            Draft::parse(&longer, ComposerMode::Message),
            Err(DraftError::TooLong)
        );
    }

    fn case(
        kind: MessageKind,
        direction: Direction,
        channel: crate::domain::ChannelKind,
    ) -> DeleteCase {
        DeleteCase {
            kind,
            direction,
            channel,
            age: chrono::Duration::minutes(5),
            deleted: false,
            own: false,
            may_reply: true,
            manages: false,
        }
    }

    #[test]
    fn deleting_follows_the_messenger_and_the_author() {
        use crate::domain::ChannelKind::*;
        use Direction::{In, Out};
        assert_eq!(
            may_delete(&case(MessageKind::Message, Out, Telegram)),
            Ok(())
        );
        assert_eq!(
            may_delete(&case(MessageKind::Message, In, Telegram)),
            Ok(())
        );
        let old = DeleteCase {
            age: chrono::Duration::hours(49),
            ..case(MessageKind::Message, Out, Telegram)
        };
        assert_eq!(may_delete(&old), Err("message.delete.too_old"));
        assert_eq!(
            may_delete(&case(MessageKind::Message, Out, Whatsapp)),
            Err("message.delete.whatsapp")
        );
        assert_eq!(
            may_delete(&case(MessageKind::Message, Out, Email)),
            Err("message.delete.email")
        );
        assert_eq!(
            may_delete(&case(MessageKind::Message, In, Webhook)),
            Err("message.delete.incoming")
        );
        assert_eq!(
            may_delete(&case(MessageKind::System, Direction::Internal, Telegram)),
            Err("message.delete.system")
        );
        // Notes: their author or the dialog's manager, whatever the messenger.
        let note = case(MessageKind::Note, Direction::Internal, Whatsapp);
        assert_eq!(may_delete(&note), Err("message.delete.not_author"));
        assert_eq!(
            may_delete(&DeleteCase {
                own: true,
                may_reply: false,
                ..note
            }),
            Ok(())
        );
        assert_eq!(
            may_delete(&DeleteCase {
                manages: true,
                ..note
            }),
            Ok(())
        );
        // An observer cannot delete what the client sees; nothing is deleted twice.
        let observer = DeleteCase {
            may_reply: false,
            ..case(MessageKind::Message, Out, Telegram)
        };
        assert_eq!(may_delete(&observer), Err("message.delete.no_rights"));
        let twice = DeleteCase {
            deleted: true,
            own: true,
            ..note
        };
        assert_eq!(may_delete(&twice), Err("message.delete.already"));
    }

    #[test]
    fn snippets_are_one_line_and_bounded() {
        assert_eq!(snippet("a\n\nb   c"), "a b c");
        let long = "word ".repeat(100);
        let s = snippet(&long);
        assert!(s.chars().count() <= 140);
        assert!(s.ends_with('…'));
    }
}
