mod header;
mod message_list;

pub use header::ChatHeader;
pub use message_list::MessageList;
