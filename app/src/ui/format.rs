//! Formatting shared by the list and the chat: times, initials, avatar colours.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Timelike, Utc};

fn local(ts: DateTime<Utc>, offset_minutes: i32) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"));
    ts.with_timezone(&offset)
}

/// The list's time column: "14:05" today, "12.11" this year, "12.11.25" before.
pub fn list_time(ts: DateTime<Utc>, now: DateTime<Utc>, offset_minutes: i32) -> String {
    let t = local(ts, offset_minutes);
    let n = local(now, offset_minutes);
    // Formatted by hand: chrono's format strings cost the browser bundle tens of KB.
    if t.date_naive() == n.date_naive() {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else if t.year() == n.year() {
        format!("{:02}.{:02}", t.day(), t.month())
    } else {
        format!(
            "{:02}.{:02}.{:02}",
            t.day(),
            t.month(),
            t.year().rem_euclid(100)
        )
    }
}

/// A message's time: "14:05".
pub fn clock(ts: DateTime<Utc>, offset_minutes: i32) -> String {
    let t = local(ts, offset_minutes);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Which day a message belongs to, for separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Day {
    Today,
    Yesterday,
    Date(String),
}

pub fn day(ts: DateTime<Utc>, now: DateTime<Utc>, offset_minutes: i32) -> Day {
    let t = local(ts, offset_minutes).date_naive();
    let n = local(now, offset_minutes).date_naive();
    if t == n {
        Day::Today
    } else if t + Duration::days(1) == n {
        Day::Yesterday
    } else {
        Day::Date(format!("{:02}.{:02}.{}", t.day(), t.month(), t.year()))
    }
}

/// Up to two initials of a name, for avatars.
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .collect();
    if letters.is_empty() {
        "?".to_owned()
    } else {
        letters.to_uppercase()
    }
}

/// A stable avatar colour class for an id.
pub fn avatar_class(id: i64) -> String {
    format!("dlg-avatar--c{}", id.rem_euclid(8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn list_time_shows_the_clock_today_and_the_date_otherwise() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let today = Utc.with_ymd_and_hms(2026, 11, 23, 9, 5, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 11, 2, 9, 5, 0).unwrap();
        let last_year = Utc.with_ymd_and_hms(2025, 1, 2, 9, 5, 0).unwrap();
        assert_eq!(list_time(today, now, 0), "09:05");
        assert_eq!(list_time(today, now, 180), "12:05");
        assert_eq!(list_time(earlier, now, 0), "02.11");
        assert_eq!(list_time(last_year, now, 0), "02.01.25");
    }

    #[test]
    fn days_follow_the_browser_time_zone() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 22, 30, 0).unwrap();
        let ts = Utc.with_ymd_and_hms(2026, 11, 23, 20, 0, 0).unwrap();
        assert_eq!(day(ts, now, 0), Day::Today);
        // In Moscow (UTC+3) "now" is already the 24th, so the 23rd is yesterday.
        assert_eq!(day(ts, now, 180), Day::Yesterday);
    }

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Анна Петрова"), "АП");
        assert_eq!(initials("john"), "J");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("Mary Jane Watson"), "MJ");
    }
}
