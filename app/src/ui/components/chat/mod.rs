mod actions;
mod header;
mod message_list;
mod message_menu;
pub mod presence;
mod selection;
mod tags;

pub use actions::DialogActions;
pub use header::ChatHeader;
pub use message_list::MessageList;
pub use message_menu::{ChatContext, ForwardModal, MessageMenu, MessageWindow, ReplyStrip};
pub use selection::SelectionBar;
pub use tags::{TagBar, TagSwatches};
