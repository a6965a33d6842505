//! Folders (C5): a user's saved filters in the list's sidebar, in their order, each with
//! its unread count.

use serde::{Deserialize, Serialize};

use super::FolderId;

/// The most folders one user keeps.
pub const MAX_FOLDERS: i64 = 20;
/// The longest folder name, in characters.
pub const MAX_NAME: usize = 100;

/// A folder as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderView {
    pub id: FolderId,
    pub name: String,
    /// The canonical query string of its filter (`domain::filter`).
    pub filter: String,
    /// Unread dialogs it holds, up to `Counters::MAX`.
    pub unread: i64,
}

/// A folder name: trimmed, one line, 1 to `MAX_NAME` characters.
pub fn parse_name(name: &str) -> Result<String, &'static str> {
    let name: String = name
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match name.chars().count() {
        0 => Err("folder.error.name_empty"),
        n if n > MAX_NAME => Err("folder.error.name_long"),
        _ => Ok(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_one_line_and_bounded() {
        assert_eq!(parse_name("  VIP\nclients "), Ok("VIP clients".into()));
        assert_eq!(parse_name("   "), Err("folder.error.name_empty"));
        assert_eq!(parse_name(&"я".repeat(101)), Err("folder.error.name_long"));
        assert!(parse_name(&"я".repeat(100)).is_ok());
    }
}
