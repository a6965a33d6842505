mod status;
mod topbar;

pub use status::{Avatar, StatusBadge};
pub use topbar::Topbar;
