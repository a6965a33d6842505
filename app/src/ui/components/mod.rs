//! Components grouped by area: the inbox list, the chat, the composer, settings, and common parts.

pub mod chat;
pub mod common;
pub mod composer;
pub mod inbox;
pub mod settings;
