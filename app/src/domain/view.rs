//! What the browser is sent: rows of the dialog list, an open dialog, its messages, the
//! counters and the signed-in user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    AccountRole, AttachmentId, ChannelId, ClientId, DeliveryState, DialogId, DialogStatus,
    Direction, LineId, Locale, MessageId, MessageKind, Section, Theme, UploadId, UserId,
};

/// The messenger behind a channel (B2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "channel_kind", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Telegram,
    Whatsapp,
    Email,
    Vk,
    Viber,
    Instagram,
    Facebook,
    Wildberries,
    Ozon,
    Internal,
    Webhook,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 11] = [
        ChannelKind::Telegram,
        ChannelKind::Whatsapp,
        ChannelKind::Email,
        ChannelKind::Vk,
        ChannelKind::Viber,
        ChannelKind::Instagram,
        ChannelKind::Facebook,
        ChannelKind::Wildberries,
        ChannelKind::Ozon,
        ChannelKind::Internal,
        ChannelKind::Webhook,
    ];

    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "telegram",
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::Email => "email",
            ChannelKind::Vk => "vk",
            ChannelKind::Viber => "viber",
            ChannelKind::Instagram => "instagram",
            ChannelKind::Facebook => "facebook",
            ChannelKind::Wildberries => "wildberries",
            ChannelKind::Ozon => "ozon",
            ChannelKind::Internal => "internal",
            ChannelKind::Webhook => "webhook",
        }
    }

    /// The name people know the messenger by.
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Telegram => "Telegram",
            ChannelKind::Whatsapp => "WhatsApp",
            ChannelKind::Email => "Email",
            ChannelKind::Vk => "VK",
            ChannelKind::Viber => "Viber",
            ChannelKind::Instagram => "Instagram",
            ChannelKind::Facebook => "Messenger",
            ChannelKind::Wildberries => "Wildberries",
            ChannelKind::Ozon => "Ozon",
            ChannelKind::Internal => "Internal",
            ChannelKind::Webhook => "API",
        }
    }
}

/// The signed-in user, as the browser sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: AccountRole,
    pub account_name: String,
    pub theme: Option<Theme>,
    pub locale: Locale,
    /// A client's dialogs shown as one history (D8).
    #[serde(default)]
    pub single_window: bool,
}

/// One row of the dialog list (C3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogRow {
    pub id: DialogId,
    pub number: i64,
    pub title: Option<String>,
    pub status: DialogStatus,
    pub client_id: ClientId,
    pub client_name: String,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub last_message_at: DateTime<Utc>,
    pub last_message_snippet: String,
    pub last_message_kind: MessageKind,
    pub unread: bool,
    pub pinned: bool,
    /// How many dialogs the account has with this client (C3: shown when more than one).
    #[serde(default)]
    pub client_dialogs: i64,
    /// The client is blocked (C6): their messages open no New dialogs.
    #[serde(default)]
    pub client_blocked: bool,
    /// The user was added as a co-assignee and has not read it since (D5): marked by colour.
    #[serde(default)]
    pub new_helper: bool,
}

/// Where the next page of the list starts (keyset pagination on the list order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    pub last_message_at: DateTime<Utc>,
    pub id: DialogId,
}

/// A page of the dialog list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogPage {
    pub rows: Vec<DialogRow>,
    /// Set when more rows follow.
    pub next: Option<ListCursor>,
}

/// How many dialogs of each section have unread messages (C2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    pub new: i64,
    pub in_work: i64,
    pub all: i64,
}

impl Counters {
    /// The largest count reported; more shows as "99+" (a badge past a hundred says "a lot"
    /// whatever the number, and a count stops sooner).
    pub const MAX: i64 = 100;

    /// A count as shown: "99+" past the largest one reported.
    pub fn label(n: i64) -> String {
        if n >= Counters::MAX {
            format!("{}+", Counters::MAX - 1)
        } else {
            n.to_string()
        }
    }

    pub fn get(&self, section: Section) -> i64 {
        match section {
            Section::New => self.new,
            Section::InWork => self.in_work,
            Section::All => self.all,
        }
    }
}

/// An open dialog's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogView {
    pub id: DialogId,
    pub number: i64,
    pub title: Option<String>,
    pub status: DialogStatus,
    pub line_id: LineId,
    pub line_name: String,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub client_id: ClientId,
    pub client_name: String,
    pub assignee_name: Option<String>,
    /// What the signed-in user may do here.
    pub can_send: bool,
    pub can_note: bool,
    /// The lifecycle actions the signed-in user may take now (D3).
    pub actions: Vec<crate::domain::lifecycle::ActionKind>,
    /// The signed-in user hid this dialog's system messages (D6).
    pub hide_system: bool,
    /// The reader shows a client's dialogs as one history (D8): `DialogDetail.messages`
    /// then come from every dialog in `DialogDetail.other_dialogs` too.
    #[serde(default)]
    pub single_window: bool,
    /// Co-assignees and observers (D5).
    #[serde(default)]
    pub helpers: Vec<Helper>,
    /// The signed-in user may add and remove them.
    #[serde(default)]
    pub can_manage_helpers: bool,
    /// The dialog's own tags and its client's (F1), each by name.
    #[serde(default)]
    pub tags: crate::domain::tag::DialogTags,
}

/// A co-assignee or observer of a dialog (D5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Helper {
    pub user_id: UserId,
    pub name: String,
    pub role: crate::domain::lifecycle::HelperRole,
}

/// What the signed-in user may write in a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogPermissions {
    pub can_send: bool,
    pub can_note: bool,
    pub status: DialogStatus,
    /// Buttons the dialog's messenger takes under a message (E10); None where it has none.
    pub buttons: Option<crate::domain::buttons::ButtonLimits>,
    /// The dialog's messenger: what its messages allow (deleting, E8).
    #[serde(default)]
    pub channel: Option<ChannelKind>,
    /// The user manages the dialog (assignee, supervisor, admin): may delete others' notes.
    #[serde(default)]
    pub manages: bool,
    /// The signed-in user (their own notes may be deleted).
    #[serde(default)]
    pub user: Option<UserId>,
}

/// One message, note or system message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    pub dialog_id: DialogId,
    pub kind: MessageKind,
    pub direction: Direction,
    pub author_name: Option<String>,
    /// The operator who wrote it (notes may be deleted by their author).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<UserId>,
    pub body: String,
    pub delivery: Option<DeliveryState>,
    /// Why delivery failed, in words for the operator.
    pub delivery_error: Option<String>,
    pub deleted: bool,
    pub edited: bool,
    /// Who wrote it in a group chat.
    pub sender_name: Option<String>,
    pub attachments: Vec<AttachmentView>,
    /// What a system message reports, shown in the reader's language (D6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<crate::domain::lifecycle::SystemEvent>,
    /// Buttons sent under the message (E10).
    #[serde(default)]
    pub buttons: Vec<String>,
    /// The body as cleaned HTML when an operator formatted it (E2); None shows the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The message this one answers, quoted above it (E8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<QuotedMessage>,
    /// Forwarded from another dialog (E8).
    #[serde(default)]
    pub forwarded: bool,
    /// Starred as important (E9).
    #[serde(default)]
    pub important: bool,
    /// Who deleted it and when; the message stays, marked (E8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<Deletion>,
    pub created_at: DateTime<Utc>,
}

/// The message a reply quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedMessage {
    pub id: MessageId,
    /// The operator who wrote it; None for the client.
    pub author_name: Option<String>,
    pub snippet: String,
}

/// How a message was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    /// The operator who deleted it; None when the client did.
    pub by: Option<String>,
    pub at: DateTime<Utc>,
    /// Why the messenger kept it at the client's side, when it refused to delete it there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A starred message in the Important tab (E9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportantMessage {
    pub message: MessageView,
    pub dialog_number: i64,
    pub dialog_title: Option<String>,
    pub client_name: String,
    pub starred_by: Option<String>,
}

/// A file of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub id: AttachmentId,
    pub kind: String,
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: Option<i64>,
    /// pending (being fetched from the messenger), stored, or failed.
    pub state: String,
}

/// A file uploaded to be sent, as the composer shows it before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadView {
    pub id: UploadId,
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: i64,
}

/// The most files one message carries.
pub const MAX_FILES_PER_MESSAGE: usize = 10;
/// The largest file an operator may send (Telegram bots upload at most 50 MB).
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

/// An open dialog with its newest messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogDetail {
    pub dialog: DialogView,
    pub messages: Vec<MessageView>,
    /// Set when older messages exist.
    pub has_earlier: bool,
    /// Set when newer messages exist (a long dialog opened as a window).
    #[serde(default)]
    pub has_later: bool,
    /// The message the window opened at: the one asked for, or the first unread.
    #[serde(default)]
    pub anchor: Option<MessageId>,
    /// The client's other dialogs this user may see, newest first (D7).
    #[serde(default)]
    pub other_dialogs: Vec<OtherDialog>,
}

/// One of the client's other dialogs, to expand inside the chat (D7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct OtherDialog {
    pub id: DialogId,
    pub number: i64,
    pub title: Option<String>,
    pub status: DialogStatus,
    pub channel_name: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}
