//! Pure types shared by the browser and the server: ids, statuses and their rules,
//! validated inputs, views and the live event wire type. No IO here.

pub mod buttons;
pub mod close_reason;
pub mod dialog;
pub mod dialog_menu;
pub mod emoji;
pub mod event;
pub mod filter;
pub mod folder;
pub mod formatting;
pub mod ids;
pub mod inbound;
pub mod lifecycle;
pub mod list;
pub mod message;
pub mod presence;
pub mod search;
pub mod settings;
pub mod start;
pub mod tag;
pub mod template;
pub mod user;
pub mod view;

pub use dialog::{DialogStatus, Section};
pub use event::{LiveEvent, ServerEvent};
pub use ids::*;
pub use message::{ComposerMode, DeliveryState, Direction, Draft, MessageKind};
pub use user::{AccountRole, Locale, Theme};
pub use view::*;
