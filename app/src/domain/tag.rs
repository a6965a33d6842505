//! Tags (F1): named, coloured labels on dialogs and clients, used to filter the inbox.

use serde::{Deserialize, Serialize};

use super::TagId;

/// A tag of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Tag {
    pub id: TagId,
    pub name: String,
    /// `#rrggbb`, lower case.
    pub color: String,
}

/// The colour a tag gets when none is chosen.
pub const DEFAULT_COLOR: &str = "#8a8f98";

/// Is this a colour a tag may have (`#rrggbb`, lower case)?
pub fn valid_color(color: &str) -> bool {
    color.len() == 7
        && color.starts_with('#')
        && color[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_lower_case_hex_triplets() {
        assert!(valid_color(DEFAULT_COLOR));
        assert!(valid_color("#00ff7f"));
        assert!(!valid_color("#00FF7F"));
        assert!(!valid_color("00ff7f"));
        assert!(!valid_color("#00ff7"));
        assert!(!valid_color("#00ff7g"));
        assert!(!valid_color("#ёёё"));
    }
}
