//! Tags (F1): named, coloured labels on dialogs and clients, used to filter the inbox.
//!
//! Names are one line of 1 to `MAX_NAME` characters and unique in an account regardless of
//! case, so typing "vip" where "VIP" exists picks "VIP" instead of making a twin. Colours
//! are `#rrggbb` in lower case; the UI offers `PALETTE`, the API takes any such colour.

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

/// The colours offered when a tag is made or recoloured: mid-tone hues that read as a dot
/// or a chip edge on the light and the dark theme alike. The first is `DEFAULT_COLOR`.
pub const PALETTE: [&str; 10] = [
    DEFAULT_COLOR,
    "#e5484d", // red
    "#f76b15", // orange
    "#e2a336", // amber
    "#30a46c", // green
    "#12a594", // teal
    "#0090ff", // blue
    "#6e56cf", // violet
    "#d6409f", // pink
    "#a18072", // brown
];

/// The longest tag name, in characters (the table's CHECK says the same).
pub const MAX_NAME: usize = 100;

/// The most tags one account keeps: generous for any real catalogue, small enough that the
/// picker can hold them all.
pub const MAX_PER_ACCOUNT: i64 = 1_000;

/// The most tags one dialog, or one client, carries.
pub const MAX_PER_ITEM: i64 = 50;

/// Where a tag is put: on the dialog itself, or on its client (then every dialog of the
/// client matches a filter by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagTarget {
    Dialog,
    Client,
}

/// The tags an open dialog shows: its own and its client's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogTags {
    pub tags: Vec<Tag>,
    pub client_tags: Vec<Tag>,
}

/// Is this a colour a tag may have (`#rrggbb`, lower case)?
pub fn valid_color(color: &str) -> bool {
    color.len() == 7
        && color.starts_with('#')
        && color[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A colour as typed or picked: trimmed and lower-cased, then it must be `#rrggbb`.
pub fn parse_color(color: &str) -> Result<String, &'static str> {
    let color = color.trim().to_ascii_lowercase();
    if valid_color(&color) {
        Ok(color)
    } else {
        Err("tag.error.color")
    }
}

/// Characters that would make a name lie about itself on screen: bidirectional overrides
/// and isolates (they reorder the text around them).
fn deceptive(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A tag name: trimmed, runs of white space (line breaks and tabs too) made one space,
/// 1 to `MAX_NAME` characters, no other control characters.
pub fn parse_name(name: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(name.len());
    for word in name.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if word.chars().any(|c| c.is_control() || deceptive(c)) {
            return Err("tag.error.name_invalid");
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    match out.chars().count() {
        0 => Err("tag.error.name_empty"),
        n if n > MAX_NAME => Err("tag.error.name_long"),
        _ => Ok(out),
    }
}

/// The form names are compared in: two names with the same key are the same tag.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The account's tag named `typed` (regardless of case and surrounding space), if any.
pub fn find_by_name<'a>(tags: &'a [Tag], typed: &str) -> Option<&'a Tag> {
    let key = name_key(typed);
    tags.iter().find(|t| name_key(&t.name) == key)
}

/// The tags the picker offers for what was typed: every tag whose name contains it
/// (regardless of case), those starting with it first, each group by name; all of them
/// when nothing is typed. `except` are left out (already on the dialog or client).
pub fn suggest<'a>(tags: &'a [Tag], typed: &str, except: &[TagId]) -> Vec<&'a Tag> {
    let key = name_key(typed);
    let mut found: Vec<(bool, String, &Tag)> = tags
        .iter()
        .filter(|t| !except.contains(&t.id))
        .filter_map(|t| {
            let name = name_key(&t.name);
            if key.is_empty() || name.contains(&key) {
                Some((!name.starts_with(&key), name, t))
            } else {
                None
            }
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1, a.2.id.0).cmp(&(b.0, &b.1, b.2.id.0)));
    found.into_iter().map(|(_, _, t)| t).collect()
}

/// Whether the picker should offer to create a tag from what was typed: it is a valid
/// name and no tag has it yet.
pub fn may_create(tags: &[Tag], typed: &str) -> bool {
    parse_name(typed).is_ok() && find_by_name(tags, typed).is_none()
}

/// The colour offered first for a new tag: the palette's least used among `tags`, the
/// grey default only when every hue is used as often; earlier in the palette on a tie.
pub fn fresh_color(tags: &[Tag]) -> &'static str {
    let uses = |c: &str| tags.iter().filter(|t| t.color == c).count();
    PALETTE[1..]
        .iter()
        .chain(std::iter::once(&PALETTE[0]))
        .copied()
        .min_by_key(|c| uses(c))
        .unwrap_or(DEFAULT_COLOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(id: i64, name: &str) -> Tag {
        Tag {
            id: TagId(id),
            name: name.into(),
            color: DEFAULT_COLOR.into(),
        }
    }

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

    #[test]
    fn a_typed_colour_is_lower_cased_and_checked() {
        assert_eq!(parse_color(" #E5484D "), Ok("#e5484d".into()));
        assert_eq!(parse_color("red"), Err("tag.error.color"));
        assert_eq!(parse_color("#fff"), Err("tag.error.color"));
        assert_eq!(parse_color(""), Err("tag.error.color"));
        assert_eq!(parse_color("#e5484d;x"), Err("tag.error.color"));
    }

    #[test]
    fn the_palette_is_ten_distinct_valid_colours_starting_with_the_default() {
        assert_eq!(PALETTE[0], DEFAULT_COLOR);
        for color in PALETTE {
            assert!(valid_color(color), "{color}");
        }
        let mut unique = PALETTE.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), PALETTE.len());
    }

    #[test]
    fn names_are_trimmed_one_line_and_bounded() {
        assert_eq!(parse_name("  VIP\n\tclient  "), Ok("VIP client".into()));
        assert_eq!(parse_name("Опт  и розница"), Ok("Опт и розница".into()));
        assert_eq!(parse_name("   "), Err("tag.error.name_empty"));
        assert_eq!(parse_name(""), Err("tag.error.name_empty"));
        assert_eq!(parse_name(&"я".repeat(101)), Err("tag.error.name_long"));
        assert_eq!(parse_name(&"я".repeat(100)), Ok("я".repeat(100)));
    }

    #[test]
    fn control_and_direction_characters_are_refused() {
        assert_eq!(parse_name("bad\u{0}tag"), Err("tag.error.name_invalid"));
        assert_eq!(parse_name("bell\u{7}"), Err("tag.error.name_invalid"));
        assert_eq!(parse_name("\u{202e}piv"), Err("tag.error.name_invalid"));
        assert_eq!(parse_name("a\u{2066}b"), Err("tag.error.name_invalid"));
        // Emoji and other scripts are fine.
        assert_eq!(parse_name("🔥 Горячий"), Ok("🔥 Горячий".into()));
    }

    #[test]
    fn names_match_regardless_of_case_and_space() {
        let tags = [tag(1, "VIP"), tag(2, "Опт")];
        assert_eq!(find_by_name(&tags, " vip ").map(|t| t.id), Some(TagId(1)));
        assert_eq!(find_by_name(&tags, "ОПТ").map(|t| t.id), Some(TagId(2)));
        assert_eq!(find_by_name(&tags, "vi"), None);
        assert!(!may_create(&tags, "Vip"));
        assert!(may_create(&tags, "VIP client"));
        assert!(!may_create(&tags, "  "));
        assert!(!may_create(&tags, &"x".repeat(101)));
    }

    #[test]
    fn suggestions_put_names_starting_with_the_text_first() {
        let tags = [
            tag(1, "Wholesale"),
            tag(2, "Sale"),
            tag(3, "Complaint"),
            tag(4, "sales lead"),
        ];
        let names = |typed: &str, except: &[TagId]| -> Vec<String> {
            suggest(&tags, typed, except)
                .into_iter()
                .map(|t| t.name.clone())
                .collect()
        };
        assert_eq!(names("sale", &[]), ["Sale", "sales lead", "Wholesale"]);
        assert_eq!(names("SALE", &[TagId(2)]), ["sales lead", "Wholesale"]);
        assert_eq!(
            names("", &[]),
            ["Complaint", "Sale", "sales lead", "Wholesale"]
        );
        assert!(names("xyz", &[]).is_empty());
    }

    #[test]
    fn a_new_tag_is_offered_the_least_used_hue() {
        assert_eq!(fresh_color(&[]), PALETTE[1]);
        let mut tags = vec![tag(1, "a"), tag(2, "b")];
        tags[0].color = PALETTE[1].into();
        tags[1].color = PALETTE[2].into();
        assert_eq!(fresh_color(&tags), PALETTE[3]);
        let all: Vec<Tag> = PALETTE[1..]
            .iter()
            .enumerate()
            .map(|(i, c)| Tag {
                id: TagId(i as i64),
                name: format!("t{i}"),
                color: (*c).into(),
            })
            .collect();
        assert_eq!(fresh_color(&all), DEFAULT_COLOR);
    }

    #[test]
    fn targets_travel_as_plain_words() {
        assert_eq!(
            serde_json::to_string(&TagTarget::Client).unwrap(),
            r#""client""#
        );
        assert_eq!(
            serde_json::from_str::<TagTarget>(r#""dialog""#).unwrap(),
            TagTarget::Dialog
        );
    }
}
