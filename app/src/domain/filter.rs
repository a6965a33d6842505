//! The inbox filter (C5): which dialogs the list shows, in one value that lives in the URL.
//!
//! `DialogFilter::parse` is the only reader of the inbox's query string and `to_query` its
//! only writer. Every value is checked here (known words, positive ids, bounded lists and
//! numbers, real dates); the SQL binds the parsed values as parameters and never sees the
//! text. The written form is canonical: fixed key order, sorted and deduplicated values,
//! defaults left out, so one filter has one URL and one folder string.
//!
//! `matches` is the same rule in Rust, for live events; a test checks it agrees with the SQL.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::tag::Tag;
use super::{ChannelKind, DialogStatus, LineId, Section, TagId, UserId};

/// The most values one list key (`line=1,2,…`) takes.
pub const MAX_VALUES: usize = 50;
/// The longest query string read.
pub const MAX_QUERY: usize = 4096;
/// The longest "waiting for our reply" threshold, in minutes (30 days).
pub const MAX_WAITING_MINUTES: u32 = 30 * 24 * 60;

/// Whose dialogs: mine, nobody's, or one user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AssigneeFilter {
    Me,
    Unassigned,
    User(UserId),
}

impl AssigneeFilter {
    fn parse(s: &str) -> Option<AssigneeFilter> {
        match s {
            "me" => Some(AssigneeFilter::Me),
            "none" => Some(AssigneeFilter::Unassigned),
            _ => positive_id(s).map(|id| AssigneeFilter::User(UserId(id))),
        }
    }

    fn as_query(self) -> String {
        match self {
            AssigneeFilter::Me => "me".into(),
            AssigneeFilter::Unassigned => "none".into(),
            AssigneeFilter::User(id) => id.0.to_string(),
        }
    }

    /// The user id this stands for, for the given viewer; `None` for "nobody".
    pub fn user(self, me: UserId) -> Option<UserId> {
        match self {
            AssigneeFilter::Me => Some(me),
            AssigneeFilter::Unassigned => None,
            AssigneeFilter::User(id) => Some(id),
        }
    }
}

/// Everything the list can be narrowed by. `Default` is the New section, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DialogFilter {
    pub section: Section,
    /// Closed dialogs are listed too (section All).
    pub closed: bool,
    /// Only these statuses (within the section); empty: all of the section's.
    pub statuses: Vec<DialogStatus>,
    pub lines: Vec<LineId>,
    pub channels: Vec<ChannelKind>,
    pub assignee: Option<AssigneeFilter>,
    /// Dialogs carrying any of these tags, themselves or through their client.
    pub tags: Vec<TagId>,
    pub unread: bool,
    pub pinned: bool,
    /// The client's last message has waited for our reply at least this many minutes.
    pub waiting: Option<u32>,
    /// Last activity on or after this day (the user's time zone).
    pub from: Option<NaiveDate>,
    /// Last activity on or before this day (the user's time zone).
    pub to: Option<NaiveDate>,
}

/// Why a query string is not a filter: the key at fault, and a translation key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid filter {key}: {message}")]
pub struct FilterError {
    pub key: String,
    pub message: &'static str,
}

fn error(key: &str, message: &'static str) -> FilterError {
    FilterError {
        key: key.chars().take(40).collect(),
        message,
    }
}

fn positive_id(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().filter(|&n| n > 0)
}

fn flag(key: &str, value: &str) -> Result<bool, FilterError> {
    match value {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(error(key, "filter.error.flag")),
    }
}

fn list<T: Ord>(
    key: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, FilterError> {
    let mut out = Vec::new();
    for part in value.split(',').filter(|p| !p.is_empty()) {
        if out.len() == MAX_VALUES {
            return Err(error(key, "filter.error.too_many"));
        }
        out.push(parse(part).ok_or_else(|| error(key, "filter.error.value"))?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn date(key: &str, value: &str) -> Result<NaiveDate, FilterError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|day| value.len() == 10 && (2000..=2100).contains(&day.year()))
        .ok_or_else(|| error(key, "filter.error.date"))
}

impl DialogFilter {
    /// Reads a query string (with or without the leading `?`). Keys it does not know are
    /// left alone (they belong to other parts of the page); a known key with a bad value
    /// is an error.
    pub fn parse(query: &str) -> Result<DialogFilter, FilterError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        if query.len() > MAX_QUERY {
            return Err(error("query", "filter.error.too_long"));
        }
        let mut f = DialogFilter::default();
        let mut seen: Vec<&str> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            // Commas are the one character a browser may have escaped in our values.
            let value = raw.replace("%2C", ",").replace("%2c", ",");
            let value = value.as_str();
            let known = matches!(
                key,
                "section"
                    | "closed"
                    | "status"
                    | "line"
                    | "channel"
                    | "assignee"
                    | "tag"
                    | "unread"
                    | "pinned"
                    | "waiting"
                    | "from"
                    | "to"
            );
            if !known {
                continue;
            }
            if seen.contains(&key) {
                return Err(error(key, "filter.error.repeated"));
            }
            seen.push(key);
            match key {
                "section" => {
                    f.section =
                        Section::parse(value).ok_or_else(|| error(key, "filter.error.value"))?
                }
                "closed" => f.closed = flag(key, value)?,
                "status" => {
                    f.statuses = list(key, value, |s| {
                        DialogStatus::ALL.into_iter().find(|x| x.as_str() == s)
                    })?
                }
                "line" => f.lines = list(key, value, |s| positive_id(s).map(LineId))?,
                "channel" => f.channels = list(key, value, ChannelKind::parse)?,
                "assignee" if value.is_empty() => f.assignee = None,
                "assignee" => {
                    f.assignee = Some(
                        AssigneeFilter::parse(value)
                            .ok_or_else(|| error(key, "filter.error.value"))?,
                    )
                }
                "tag" => f.tags = list(key, value, |s| positive_id(s).map(TagId))?,
                "unread" => f.unread = flag(key, value)?,
                "pinned" => f.pinned = flag(key, value)?,
                "waiting" if value.is_empty() => f.waiting = None,
                "waiting" => {
                    let minutes = positive_id(value)
                        .filter(|&m| m <= i64::from(MAX_WAITING_MINUTES))
                        .ok_or_else(|| error(key, "filter.error.waiting"))?;
                    f.waiting = u32::try_from(minutes).ok();
                }
                "from" if value.is_empty() => f.from = None,
                "from" => f.from = Some(date(key, value)?),
                "to" if value.is_empty() => f.to = None,
                "to" => f.to = Some(date(key, value)?),
                _ => {}
            }
        }
        if let (Some(from), Some(to)) = (f.from, f.to)
            && from > to
        {
            return Err(error("to", "filter.error.period"));
        }
        Ok(f.canonical())
    }

    /// The same filter with redundant parts removed: statuses outside the section dropped,
    /// `closed` implied by the statuses when they are given.
    pub fn canonical(mut self) -> DialogFilter {
        if !self.statuses.is_empty() {
            let section = self.section;
            self.statuses.retain(|s| {
                section.contains(*s, true)
                    && (*s != DialogStatus::Closed || section == Section::All)
            });
            self.closed = self.statuses.contains(&DialogStatus::Closed);
        }
        if self.section != Section::All {
            self.closed = false;
        }
        self
    }

    /// The canonical query string, without `?`; empty for the default filter.
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.section != Section::default() {
            parts.push(format!("section={}", self.section.as_str()));
        }
        if self.closed && self.statuses.is_empty() {
            parts.push("closed=1".into());
        }
        let join = |items: Vec<String>| items.join(",");
        if !self.statuses.is_empty() {
            parts.push(format!(
                "status={}",
                join(
                    self.statuses
                        .iter()
                        .map(|s| s.as_str().to_owned())
                        .collect()
                )
            ));
        }
        if !self.lines.is_empty() {
            parts.push(format!(
                "line={}",
                join(self.lines.iter().map(|l| l.0.to_string()).collect())
            ));
        }
        if !self.channels.is_empty() {
            parts.push(format!(
                "channel={}",
                join(
                    self.channels
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect()
                )
            ));
        }
        if let Some(a) = self.assignee {
            parts.push(format!("assignee={}", a.as_query()));
        }
        if !self.tags.is_empty() {
            parts.push(format!(
                "tag={}",
                join(self.tags.iter().map(|t| t.0.to_string()).collect())
            ));
        }
        if self.unread {
            parts.push("unread=1".into());
        }
        if self.pinned {
            parts.push("pinned=1".into());
        }
        if let Some(w) = self.waiting {
            parts.push(format!("waiting={w}"));
        }
        if let Some(d) = self.from {
            parts.push(format!("from={}", d.format("%Y-%m-%d")));
        }
        if let Some(d) = self.to {
            parts.push(format!("to={}", d.format("%Y-%m-%d")));
        }
        parts.join("&")
    }

    /// The statuses this filter lists.
    pub fn statuses(&self) -> Vec<DialogStatus> {
        let section = self.section.statuses(self.closed);
        if self.statuses.is_empty() {
            section
        } else {
            section
                .into_iter()
                .filter(|s| self.statuses.contains(s))
                .collect()
        }
    }

    /// Does anything beyond the section and the closed switch narrow the list?
    pub fn narrows(&self) -> bool {
        let plain = DialogFilter {
            section: self.section,
            closed: self.closed,
            ..DialogFilter::default()
        };
        plain != *self
    }

    /// The same filter on another section (tabs keep the other filters).
    pub fn with_section(&self, section: Section) -> DialogFilter {
        DialogFilter {
            section,
            closed: self.closed,
            ..self.clone()
        }
        .canonical()
    }

    /// The period as instants: `[start, end)`, for a user `tz_offset_minutes` east of UTC.
    pub fn period(&self, tz_offset_minutes: i32) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let offset = Duration::minutes(i64::from(tz_offset_minutes.clamp(-14 * 60, 14 * 60)));
        let start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .map(|t| Utc.from_utc_datetime(&t) - offset)
        };
        (
            self.from.and_then(start),
            self.to.and_then(|d| d.succ_opt()).and_then(start),
        )
    }

    /// Does a dialog with these facts pass the filter? The Rust twin of the SQL in
    /// `store::dialogs`.
    pub fn matches(
        &self,
        d: &FilterFacts,
        me: UserId,
        now: DateTime<Utc>,
        tz_offset_minutes: i32,
    ) -> bool {
        if !self.statuses().contains(&d.status) {
            return false;
        }
        if !self.lines.is_empty() && !self.lines.contains(&d.line_id) {
            return false;
        }
        if !self.channels.is_empty() && !self.channels.contains(&d.channel_kind) {
            return false;
        }
        if let Some(a) = self.assignee
            && d.assignee_id != a.user(me)
        {
            return false;
        }
        if !self.tags.is_empty() && !self.tags.iter().any(|t| d.tags.contains(t)) {
            return false;
        }
        if self.unread && !d.unread {
            return false;
        }
        if self.pinned && !d.pinned {
            return false;
        }
        if let Some(minutes) = self.waiting {
            let waited = d.status.is_active()
                && d.waiting_since
                    .is_some_and(|since| since <= now - Duration::minutes(i64::from(minutes)));
            if !waited {
                return false;
            }
        }
        let (start, end) = self.period(tz_offset_minutes);
        if start.is_some_and(|s| d.last_message_at < s)
            || end.is_some_and(|e| d.last_message_at >= e)
        {
            return false;
        }
        true
    }
}

/// What `DialogFilter::matches` looks at in a dialog, for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterFacts {
    pub status: DialogStatus,
    pub line_id: LineId,
    pub channel_kind: ChannelKind,
    pub assignee_id: Option<UserId>,
    /// The dialog's tags and its client's.
    pub tags: Vec<TagId>,
    pub unread: bool,
    pub pinned: bool,
    pub last_message_at: DateTime<Utc>,
    pub waiting_since: Option<DateTime<Utc>>,
}

/// What the filter bar offers to pick from: the lines the user sees, the account's kinds of
/// channel, its active users and its tags.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FilterOptions {
    pub lines: Vec<(LineId, String)>,
    pub channels: Vec<ChannelKind>,
    pub users: Vec<(UserId, String)>,
    pub tags: Vec<Tag>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_filter_is_the_empty_query() {
        assert_eq!(DialogFilter::parse("").unwrap(), DialogFilter::default());
        assert_eq!(DialogFilter::default().to_query(), "");
        assert_eq!(DialogFilter::parse("?section=new").unwrap().to_query(), "");
    }

    #[test]
    fn a_full_filter_reads_and_writes_in_canonical_order() {
        let f = DialogFilter::parse(
            "to=2026-11-30&tag=9,3,9&pinned=1&unread=true&assignee=me&channel=whatsapp,telegram\
             &line=5,2&status=closed,new&section=all&waiting=30&from=2026-11-01&dialog=7",
        )
        .unwrap();
        assert_eq!(f.lines, vec![LineId(2), LineId(5)]);
        assert_eq!(f.tags, vec![TagId(3), TagId(9)]);
        assert_eq!(
            f.channels,
            vec![ChannelKind::Telegram, ChannelKind::Whatsapp]
        );
        assert_eq!(f.statuses, vec![DialogStatus::New, DialogStatus::Closed]);
        assert!(f.closed, "closed follows from the statuses");
        assert_eq!(
            f.to_query(),
            "section=all&status=new,closed&line=2,5&channel=telegram,whatsapp&assignee=me\
             &tag=3,9&unread=1&pinned=1&waiting=30&from=2026-11-01&to=2026-11-30"
        );
        assert_eq!(DialogFilter::parse(&f.to_query()).unwrap(), f);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (query, key) in [
            ("line=1,x", "line"),
            ("line=0", "line"),
            ("line=-3", "line"),
            ("line=99999999999999999999", "line"),
            ("tag=1;DROP TABLE dialogs", "tag"),
            ("status=open", "status"),
            ("channel=fax", "channel"),
            ("assignee=someone", "assignee"),
            ("unread=yes", "unread"),
            ("waiting=0", "waiting"),
            ("waiting=100000", "waiting"),
            ("from=2026-13-01", "from"),
            ("from=1999-12-31", "from"),
            ("from=2026-1-1", "from"),
            ("from=2026-11-02&to=2026-11-01", "to"),
            ("section=closed", "section"),
            ("line=1&line=2", "line"),
        ] {
            let err = DialogFilter::parse(query).expect_err(query);
            assert_eq!(err.key, key, "{query}");
        }
        let many = (1..=51)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            DialogFilter::parse(&format!("line={many}"))
                .unwrap_err()
                .message,
            "filter.error.too_many"
        );
        assert_eq!(
            DialogFilter::parse(&"a".repeat(MAX_QUERY + 1))
                .unwrap_err()
                .key,
            "query"
        );
    }

    #[test]
    fn statuses_outside_the_section_are_dropped() {
        let f = DialogFilter::parse("section=new&status=in_work,returned,closed").unwrap();
        assert_eq!(f.statuses, vec![DialogStatus::Returned]);
        assert!(!f.closed);
        assert_eq!(f.statuses(), vec![DialogStatus::Returned]);
        let f = DialogFilter::parse("section=in_work&closed=1").unwrap();
        assert!(!f.closed, "only All lists closed dialogs");
        assert_eq!(f.to_query(), "section=in_work");
    }

    #[test]
    fn the_period_is_whole_days_in_the_users_zone() {
        let f = DialogFilter::parse("from=2026-11-01&to=2026-11-01").unwrap();
        let (start, end) = f.period(180); // Moscow, UTC+3
        assert_eq!(start.unwrap().to_rfc3339(), "2026-10-31T21:00:00+00:00");
        assert_eq!(end.unwrap().to_rfc3339(), "2026-11-01T21:00:00+00:00");
    }

    fn facts() -> FilterFacts {
        FilterFacts {
            status: DialogStatus::InWork,
            line_id: LineId(1),
            channel_kind: ChannelKind::Telegram,
            assignee_id: Some(UserId(7)),
            tags: vec![TagId(4)],
            unread: true,
            pinned: false,
            last_message_at: "2026-11-20T10:00:00Z".parse().unwrap(),
            waiting_since: Some("2026-11-20T09:00:00Z".parse().unwrap()),
        }
    }

    #[test]
    fn matches_each_part() {
        let now: DateTime<Utc> = "2026-11-20T10:30:00Z".parse().unwrap();
        let me = UserId(7);
        let ok = |q: &str| {
            DialogFilter::parse(q)
                .unwrap()
                .matches(&facts(), me, now, 0)
        };
        assert!(ok(
            "section=in_work&line=1&channel=telegram&assignee=me&tag=4,5&unread=1"
        ));
        assert!(!ok(""), "the New section holds no dialog in work");
        assert!(ok("section=all"));
        assert!(!ok("section=all&line=2"));
        assert!(!ok("section=all&channel=email"));
        assert!(!ok("section=all&assignee=none"));
        assert!(ok("section=all&assignee=7"));
        assert!(!ok("section=all&tag=5"));
        assert!(!ok("section=all&pinned=1"));
        assert!(ok("section=all&waiting=90"));
        assert!(!ok("section=all&waiting=91"));
        assert!(ok("section=all&from=2026-11-20&to=2026-11-20"));
        assert!(!ok("section=all&from=2026-11-21"));
        assert!(!ok("section=all&to=2026-11-19"));
    }

    const PIECES: [&str; 38] = [
        "section=",
        "all",
        "new",
        "in_work",
        "closed=",
        "status=",
        "line=",
        "channel=",
        "telegram",
        "assignee=",
        "me",
        "none",
        "tag=",
        "unread=",
        "pinned=",
        "waiting=",
        "from=",
        "to=",
        "2026-11-01",
        "2026-02-30",
        "1",
        "0",
        "42",
        "-1",
        ",",
        "&",
        "=",
        "%2C",
        "%",
        "'",
        "\"",
        "é",
        "ё",
        "\u{0}",
        "returned",
        "for_review",
        "x",
        "9223372036854775807",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// Query strings made of the filter's own words in any order never panic the
        /// parser, and whatever parses writes back to a string that parses to the same
        /// filter.
        #[test]
        fn word_salad_parses_or_fails_cleanly_and_round_trips(
            picks in proptest::collection::vec(0..PIECES.len(), 0..14)
        ) {
            let q: String = picks.iter().map(|&i| PIECES[i]).collect();
            if let Ok(f) = DialogFilter::parse(&q) {
                let written = f.to_query();
                proptest::prop_assert_eq!(DialogFilter::parse(&written), Ok(f.clone()), "{} → {}", q, written);
                proptest::prop_assert_eq!(f.clone().canonical(), f);
            }
        }

        /// Any text at all: an answer, never a panic.
        #[test]
        fn any_text_parses_or_fails_cleanly(q in "\\PC{0,300}") {
            let _ = DialogFilter::parse(&q);
        }
    }
}
