//! Server functions, by resource. Each one is thin: authenticate, authorize, validate, call
//! the store, map errors. Rules live in `domain`, rights in `auth`, SQL in `store`.

pub mod close_reasons;
pub mod dialog_menu;
pub mod dialogs;
pub mod emoji;
pub mod folders;
pub mod lifecycle;
pub mod messages;
pub mod search;
pub mod session;
pub mod settings;
pub mod tags;
