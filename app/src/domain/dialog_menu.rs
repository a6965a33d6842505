//! The dialog menu of the inbox list (C6): what it shows for one dialog and one user.

use serde::{Deserialize, Serialize};

/// One dialog as its menu shows it to the signed-in user: the per-user marks (read, pinned,
/// system messages hidden), whether the client is blocked, and whether this user may block
/// or unblock them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DialogMenu {
    pub unread: bool,
    pub pinned: bool,
    pub hide_system: bool,
    pub client_blocked: bool,
    pub can_block: bool,
}
