mod actions;
mod header;
mod message_list;

pub use actions::DialogActions;
pub use header::ChatHeader;
pub use message_list::MessageList;
