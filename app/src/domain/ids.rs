//! Typed ids, so a dialog id can never be passed where a client id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[cfg_attr(feature = "ssr", sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type!(
    /// A tenant: one company using the product.
    AccountId,
    /// A staff member who signs in.
    UserId,
    /// A named group of channel connections with its own routing and access rules.
    LineId,
    /// One connected messenger account.
    ChannelId,
    /// The person on the other side.
    ClientId,
    /// One conversation episode with a client on one channel.
    DialogId,
    /// One entry in a dialog.
    MessageId,
    /// One entry of the live event stream.
    EventId,
    /// A file of a message.
    AttachmentId,
    /// An approved WhatsApp message template of a channel.
    TemplateId,
    /// A file an operator uploaded to send.
    UploadId,
    /// A named group of users (a role a dialog can be redirected to).
    GroupId,
    /// An entry of the account's catalogue of close reasons (D11).
    CloseReasonId,
    /// A label on dialogs and clients (F1).
    TagId,
    /// A user's saved filter in the sidebar (C5).
    FolderId,
);
