//! One file per screen.

mod chat;
mod important;
pub mod inbox;
mod login;
mod not_found;
mod reports;
mod settings;

pub use chat::ChatPage;
pub use important::ImportantPage;
pub use inbox::{EmptyChat, InboxPage};
pub use login::LoginPage;
pub use not_found::{NotFound, NotFoundPane};
pub use reports::ReportsPage;
pub use settings::SettingsPage;
