//! Search across the inbox (C4): what the operator typed, read into words for the message
//! index and a pattern for clients, and the fragment of a found message with the matches
//! marked.
//!
//! Only letters and digits reach the full-text query, each word quoted (the last one as a
//! word beginning, `:*`), so `%`, `_`, quotes and tsquery operators are plain text: they split
//! words and are never syntax. The client pattern escapes `%`, `_` and `\`.

use serde::{Deserialize, Serialize};

use super::{ChannelKind, DialogId, DialogStatus, MessageId};

/// The shortest query searched, in characters.
pub const MIN_QUERY: usize = 2;
/// The longest query read, in characters.
pub const MAX_QUERY: usize = 200;
/// The most words one query looks for (all of them must match).
pub const MAX_WORDS: usize = 8;
/// The shortest last word searched as a word beginning (shorter ones match whole words:
/// "1" as a beginning would match every number starting with 1).
pub const MIN_PREFIX: usize = 3;
/// The shortest text matched inside client names, phones, usernames and emails.
pub const MIN_CLIENT_PATTERN: usize = 3;
/// The length of a found message's fragment, in characters.
pub const FRAGMENT: usize = 140;

/// A query as typed, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Lower-case words of letters and digits, in the order typed, without repeats.
    pub words: Vec<String>,
    /// The whole query, trimmed and lower-case, for clients' fields.
    pub text: String,
}

impl SearchQuery {
    /// Reads what was typed; a translation key when it is too short or too long.
    pub fn parse(input: &str) -> Result<SearchQuery, &'static str> {
        let text = fold(input.trim());
        let length = text.chars().count();
        if length < MIN_QUERY {
            return Err("search.error.short");
        }
        if length > MAX_QUERY {
            return Err("search.error.long");
        }
        let mut words: Vec<String> = Vec::new();
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if !word.is_empty() && !words.iter().any(|w| w == word) && words.len() < MAX_WORDS {
                words.push(word.to_owned());
            }
        }
        Ok(SearchQuery { words, text })
    }

    /// The full-text query for `to_tsquery`: every word quoted; the last one, still being
    /// typed, as a word beginning when it has `MIN_PREFIX` characters or more. Words before
    /// it are whole (in any of their forms: the index holds stems), which the index answers
    /// many times faster than beginnings. None when nothing searchable was typed.
    pub fn tsquery(&self) -> Option<String> {
        let last = self.words.len().checked_sub(1)?;
        Some(
            self.words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last && w.chars().count() >= MIN_PREFIX {
                        format!("'{w}':*")
                    } else {
                        format!("'{w}'")
                    }
                })
                .collect::<Vec<_>>()
                .join(" & "),
        )
    }

    /// The `LIKE` pattern for clients' search text (which is lower case), or None when the
    /// query is too short to look inside names with.
    pub fn client_pattern(&self) -> Option<String> {
        if self.text.chars().count() < MIN_CLIENT_PATTERN {
            return None;
        }
        // A phone typed any way matches the digits the client's phone is stored with.
        let phone_like = self
            .text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-' | '.'));
        let digits: String = self.text.chars().filter(char::is_ascii_digit).collect();
        if phone_like && digits.len() >= MIN_CLIENT_PATTERN {
            return Some(format!("%{digits}%"));
        }
        let mut pattern = String::from("%");
        for c in self.text.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        Some(pattern)
    }
}

/// Lower case with ё read as е, as the message index reads Russian.
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The stem a word's matches start with: the index finds word forms ("заказы" finds
/// "заказов"), so the marks drop a short ending of longer words.
fn stem(word: &str) -> String {
    let n = word.chars().count();
    let keep = if n > 5 {
        n - 2
    } else if n > 3 {
        n - 1
    } else {
        n
    };
    word.chars().take(keep).collect()
}

/// A piece of text with the parts that matched, as character ranges `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Marked {
    pub text: String,
    pub marks: Vec<(u32, u32)>,
}

impl Marked {
    /// The text cut into (piece, marked) runs, for display.
    pub fn runs(&self) -> Vec<(String, bool)> {
        let chars: Vec<char> = self.text.chars().collect();
        let mut out = Vec::new();
        let mut at = 0usize;
        for &(start, end) in &self.marks {
            let (start, end) = (start as usize, (end as usize).min(chars.len()));
            if start < at || start >= end {
                continue;
            }
            if start > at {
                out.push((chars[at..start].iter().collect(), false));
            }
            out.push((chars[start..end].iter().collect(), true));
            at = end;
        }
        if at < chars.len() {
            out.push((chars[at..].iter().collect(), false));
        }
        out
    }
}

/// `fold` character by character, keeping positions: a character whose lower case is
/// longer than one character stays as it is.
fn fold_chars(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some('ё'), None) => 'е',
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

/// Marks where the whole query occurs inside `text` (a client's name, phone, username or
/// email); a phone typed any way is found by its digits.
pub fn mark_within(text: &str, query: &SearchQuery) -> Marked {
    let folded = fold_chars(text);
    let needle: Vec<char> = query.text.chars().collect();
    let mut marks: Vec<(u32, u32)> = Vec::new();
    if !needle.is_empty() {
        let mut i = 0;
        while i + needle.len() <= folded.len() {
            if folded[i..].starts_with(&needle) {
                marks.push((i as u32, (i + needle.len()) as u32));
                i += needle.len();
            } else {
                i += 1;
            }
        }
    }
    let digits: Vec<char> = query.text.chars().filter(char::is_ascii_digit).collect();
    if marks.is_empty() && digits.len() >= MIN_CLIENT_PATTERN {
        // Positions of the text's digits, then the typed digits among them.
        let at: Vec<usize> = (0..folded.len())
            .filter(|&i| folded[i].is_ascii_digit())
            .collect();
        let only: Vec<char> = at.iter().map(|&i| folded[i]).collect();
        if let Some(k) = (0..=only.len().saturating_sub(digits.len()))
            .find(|&k| only.len() >= digits.len() && only[k..].starts_with(&digits))
        {
            marks.push((at[k] as u32, at[k + digits.len() - 1] as u32 + 1));
        }
    }
    Marked {
        text: text.to_owned(),
        marks,
    }
}

/// Marks where the query's words begin words of `text` (whole text, no cut).
pub fn mark(text: &str, query: &SearchQuery) -> Marked {
    let folded = fold_chars(text);
    let stems: Vec<Vec<char>> = query
        .words
        .iter()
        .map(|w| stem(w).chars().collect())
        .collect();
    let mut marks: Vec<(u32, u32)> = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        let starts_word =
            folded[i].is_alphanumeric() && (i == 0 || !folded[i - 1].is_alphanumeric());
        if starts_word
            && let Some(s) = stems
                .iter()
                .filter(|s| !s.is_empty() && folded[i..].starts_with(s))
                .max_by_key(|s| s.len())
        {
            // Mark to the end of the word.
            let mut end = i + s.len();
            while end < folded.len() && folded[end].is_alphanumeric() {
                end += 1;
            }
            marks.push((i as u32, end as u32));
            i = end;
            continue;
        }
        i += 1;
    }
    Marked {
        text: text.to_owned(),
        marks,
    }
}

/// The fragment of a message around its first match, at most `FRAGMENT` characters, on
/// one line, with an ellipsis where it was cut.
pub fn fragment(body: &str, query: &SearchQuery) -> Marked {
    let line: String = body
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let whole = mark(&line, query);
    let length = line.chars().count();
    if length <= FRAGMENT {
        return whole;
    }
    let first = whole.marks.first().map(|m| m.0 as usize).unwrap_or(0);
    let start = first.saturating_sub(FRAGMENT / 3).min(length - FRAGMENT);
    let end = start + FRAGMENT;
    let mut text: String = line.chars().skip(start).take(FRAGMENT).collect();
    let shift = u32::from(start > 0);
    if start > 0 {
        text.insert(0, '…');
    }
    if end < length {
        text.push('…');
    }
    let marks = whole
        .marks
        .iter()
        .filter(|m| m.0 as usize >= start && (m.1 as usize) <= end)
        .map(|m| (m.0 - start as u32 + shift, m.1 - start as u32 + shift))
        .collect();
    Marked { text, marks }
}

/// One found dialog: by one of its messages, or by its client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub dialog_id: DialogId,
    pub number: i64,
    pub status: DialogStatus,
    pub channel_kind: ChannelKind,
    pub client_name: Marked,
    /// The message found; None when the client matched.
    pub message_id: Option<MessageId>,
    /// The message's fragment, or the client field that matched.
    pub fragment: Marked,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What a search found: clients first (few, exact), then messages, newest first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchResults {
    pub clients: Vec<SearchHit>,
    pub messages: Vec<SearchHit>,
    /// More messages matched than were returned.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> SearchQuery {
        SearchQuery::parse(s).expect("a query")
    }

    #[test]
    fn operators_and_wildcards_are_plain_text() {
        assert_eq!(q("50% off").tsquery().as_deref(), Some("'50' & 'off':*"));
        assert_eq!(
            q("a & b | !c <-> 'd'").tsquery().as_deref(),
            Some("'a' & 'b' & 'c' & 'd'")
        );
        // The last word is a beginning once it is long enough to be one.
        assert_eq!(q("order 1").tsquery().as_deref(), Some("'order' & '1'"));
        assert_eq!(
            q("заказ дост").tsquery().as_deref(),
            Some("'заказ' & 'дост':*")
        );
        assert_eq!(q("''").tsquery(), None);
        assert_eq!(
            q("100%_\\x").client_pattern().as_deref(),
            Some("%100\\%\\_\\\\x%")
        );
        assert_eq!(q("Ёлка").words, vec!["елка"]);
        assert_eq!(
            q("+7 (999) 123-45").client_pattern().as_deref(),
            Some("%799912345%")
        );
    }

    #[test]
    fn too_short_and_too_long_queries_are_refused() {
        assert_eq!(SearchQuery::parse(" a "), Err("search.error.short"));
        assert_eq!(
            SearchQuery::parse(&"я".repeat(201)),
            Err("search.error.long")
        );
        assert!(SearchQuery::parse(&"я".repeat(200)).is_ok());
        assert_eq!(q("ab").client_pattern(), None);
    }

    #[test]
    fn words_are_lower_case_unique_and_bounded() {
        assert_eq!(q("Заказ заказ ORDER").words, vec!["заказ", "order"]);
        assert_eq!(q("a b c d e f g h i j").words.len(), MAX_WORDS);
    }

    #[test]
    fn marks_cover_word_forms_from_their_beginning() {
        let m = mark("Где мои Заказы? заказов много, наказ нет", &q("заказы"));
        let runs = m.runs();
        let marked: Vec<&str> = runs.iter().filter(|r| r.1).map(|r| r.0.as_str()).collect();
        assert_eq!(marked, vec!["Заказы", "заказов"]);
        let m = mark("Ёлочная игрушка", &q("елочная"));
        assert_eq!(m.marks, vec![(0, 7)]);
    }

    #[test]
    fn client_fields_are_marked_where_the_query_occurs() {
        let m = mark_within("Анна Ёлкина", &q("ЕЛК"));
        assert_eq!(m.marks, vec![(5, 8)]);
        let m = mark_within("+7 (999) 123-45-67", &q("99912345"));
        assert_eq!(m.runs()[1], ("999) 123-45".to_owned(), true));
        assert!(mark_within("anna@example.com", &q("bob")).marks.is_empty());
    }

    #[test]
    fn a_long_message_is_cut_around_its_first_match() {
        let body = format!(
            "{} order 12345 arrived {}",
            "word ".repeat(100),
            "tail ".repeat(100)
        );
        let f = fragment(&body, &q("order"));
        assert!(f.text.starts_with('…') && f.text.ends_with('…'));
        assert!(f.text.chars().count() <= FRAGMENT + 2);
        let runs = f.runs();
        assert!(runs.iter().any(|(t, m)| *m && t == "order"), "{runs:?}");
    }

    proptest::proptest! {
        /// Any input: an answer, never a panic; marks stay inside the text and in order.
        #[test]
        fn any_text_is_read_and_marked_safely(input in "\\PC{0,250}", body in "\\PC{0,400}") {
            if let Ok(query) = SearchQuery::parse(&input) {
                if let Some(ts) = query.tsquery() {
                    proptest::prop_assert!(!ts.contains("''"));
                }
                let f = fragment(&body, &query);
                let n = f.text.chars().count() as u32;
                let mut last = 0;
                for (s, e) in &f.marks {
                    proptest::prop_assert!(*s >= last && s < e && *e <= n);
                    last = *e;
                }
                let _ = f.runs();
            }
        }
    }
}
