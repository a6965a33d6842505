//! Lines and channel connections as administrators edit them (B1, B4).

use serde::{Deserialize, Serialize};

use super::{ChannelId, ChannelKind, LineId};

/// A line with the settings B4 names. `id` is None for a line being created.
/// Switches left out of a request are off (as an unchecked checkbox is).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LineSettings {
    pub id: Option<LineId>,
    pub name: String,
    /// Incoming messages are leads (appeals) for the CRM.
    pub incoming_are_leads: bool,
    /// Closing a dialog asks for a reason.
    pub close_requires_reason: bool,
    /// Unknown senders become clients; otherwise potential clients.
    pub unknown_become_clients: bool,
    /// Every user may read this line's dialogs.
    pub all_users_may_view: bool,
}

impl LineSettings {
    /// The longest line name.
    pub const MAX_NAME: usize = 200;

    /// The settings as stored: the name trimmed and checked. Err names the field and the
    /// message key.
    pub fn validated(mut self) -> Result<LineSettings, (&'static str, &'static str)> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(("name", "settings.error.name_empty"));
        }
        if self.name.chars().count() > Self::MAX_NAME {
            return Err(("name", "settings.error.name_long"));
        }
        Ok(self)
    }
}

/// A channel as the settings page lists it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSettings {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
    pub line_id: Option<LineId>,
    pub enabled: bool,
}

/// What the settings page shows an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// The lines this user administers.
    pub lines: Vec<LineSettings>,
    /// Channels on those lines, and channels on no line (for owners and admins).
    pub channels: Vec<ChannelSettings>,
    /// Owners and admins create lines and connect channels.
    pub can_create: bool,
}

/// A Telegram bot just connected: what the administrator needs to point the bot's webhook
/// at this channel (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedTelegram {
    pub channel_id: ChannelId,
    /// Path of the channel's webhook, to be prefixed with the app's public address.
    pub webhook_path: String,
    /// The secret Telegram must send in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: String,
}

/// A Telegram bot token: `<digits>:<35 or so characters>`.
pub fn valid_bot_token(token: &str) -> bool {
    let Some((id, key)) = token.trim().split_once(':') else {
        return false;
    };
    !id.is_empty()
        && id.chars().all(|c| c.is_ascii_digit())
        && (20..=100).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_name_is_trimmed_and_must_not_be_empty_or_too_long() {
        let line = LineSettings {
            name: "  Sales  ".into(),
            ..Default::default()
        };
        assert_eq!(line.validated().map(|l| l.name), Ok("Sales".into()));
        let empty = LineSettings {
            name: "   ".into(),
            ..Default::default()
        };
        assert_eq!(
            empty.validated(),
            Err(("name", "settings.error.name_empty"))
        );
        let long = LineSettings {
            name: "x".repeat(201),
            ..Default::default()
        };
        assert_eq!(long.validated(), Err(("name", "settings.error.name_long")));
    }

    #[test]
    fn bot_tokens_look_like_telegrams() {
        assert!(valid_bot_token(
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
        ));
        assert!(!valid_bot_token("123456789"));
        assert!(!valid_bot_token("abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!valid_bot_token("123:short"));
        assert!(!valid_bot_token("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs w"));
    }
}
