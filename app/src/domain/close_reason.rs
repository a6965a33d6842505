//! Close reasons (D11): the account's catalogue the close form offers, and the report of
//! dialogs closed per reason, line and operator.

use serde::{Deserialize, Serialize};

use super::{CloseReasonId, LineId, UserId};

/// The longest reason name, in characters (the database enforces the same).
pub const MAX_NAME_CHARS: usize = 100;

/// A reason of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CloseReason {
    pub id: CloseReasonId,
    pub name: String,
    /// No longer offered; dialogs closed with it keep it.
    pub archived: bool,
    /// How many dialogs were closed with it.
    pub used: i64,
}

/// A trimmed name of 1 to `MAX_NAME_CHARS` characters on one line, or the error key.
pub fn parse_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("close_reasons.error.empty");
    }
    if name.chars().count() > MAX_NAME_CHARS || name.contains(['\r', '\n']) {
        return Err("close_reasons.error.long");
    }
    Ok(name.to_owned())
}

/// What the report counts: dialogs closed in a period, optionally on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// First day, inclusive, in the user's time zone (YYYY-MM-DD).
    pub from: chrono::NaiveDate,
    /// Last day, inclusive.
    pub to: chrono::NaiveDate,
    #[serde(default)]
    pub line_id: Option<LineId>,
}

/// The longest period one report covers, in days.
pub const MAX_REPORT_DAYS: i64 = 366;

impl ReportQuery {
    /// Checks the period: not reversed, at most `MAX_REPORT_DAYS` long.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.to < self.from {
            return Err("report.error.reversed");
        }
        if (self.to - self.from).num_days() >= MAX_REPORT_DAYS {
            return Err("report.error.too_long");
        }
        Ok(())
    }
}

/// One row of the report: closed dialogs of a reason, line and operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ReportRow {
    /// None: closed without a reason.
    pub reason: Option<String>,
    pub line_id: LineId,
    pub line: String,
    /// Who worked on it (its assignee when closed, else who closed it).
    pub operator_id: Option<UserId>,
    pub operator: Option<String>,
    pub closed: i64,
}

/// The report as CSV (RFC 4180, a header row, UTF-8 with a byte order mark so spreadsheet
/// programs read Cyrillic right). Cells starting with =, +, - or @ are prefixed with an
/// apostrophe so a spreadsheet never runs them as formulas.
pub fn to_csv(rows: &[ReportRow], headers: [&str; 4], none: &str) -> String {
    fn cell(out: &mut String, value: &str) {
        let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_owned()
        };
        if guarded.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&guarded.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&guarded);
        }
    }
    let mut out = String::from("\u{feff}");
    for (i, h) in headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell(&mut out, h);
    }
    out.push_str("\r\n");
    for row in rows {
        cell(&mut out, row.reason.as_deref().unwrap_or(none));
        out.push(',');
        cell(&mut out, &row.line);
        out.push(',');
        cell(&mut out, row.operator.as_deref().unwrap_or(none));
        out.push(',');
        out.push_str(&row.closed.to_string());
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(reason: Option<&str>, operator: &str, closed: i64) -> ReportRow {
        ReportRow {
            reason: reason.map(str::to_owned),
            line_id: LineId(1),
            line: "Sales".into(),
            operator_id: Some(UserId(2)),
            operator: Some(operator.into()),
            closed,
        }
    }

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(parse_name("  Spam "), Ok("Spam".into()));
        assert_eq!(parse_name(" "), Err("close_reasons.error.empty"));
        assert_eq!(parse_name("a\nb"), Err("close_reasons.error.long"));
        assert!(parse_name(&"я".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(parse_name(&"я".repeat(MAX_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_never_carries_a_formula() {
        let csv = to_csv(
            &[
                row(Some("Price, too high"), "Olga \"O\"", 3),
                row(None, "=HYPERLINK(\"x\")", 1),
            ],
            ["Reason", "Line", "Operator", "Closed"],
            "—",
        );
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "Reason,Line,Operator,Closed");
        assert_eq!(lines[1], "\"Price, too high\",Sales,\"Olga \"\"O\"\"\",3");
        assert_eq!(lines[2], "—,Sales,\"'=HYPERLINK(\"\"x\"\")\",1");
        assert!(csv.starts_with('\u{feff}'));
    }

    #[test]
    fn a_period_is_checked() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let q = |from, to| ReportQuery {
            from: d(from),
            to: d(to),
            line_id: None,
        };
        assert!(q("2026-01-01", "2026-01-31").validate().is_ok());
        assert_eq!(
            q("2026-02-01", "2026-01-31").validate(),
            Err("report.error.reversed")
        );
        assert_eq!(
            q("2025-01-01", "2026-01-31").validate(),
            Err("report.error.too_long")
        );
    }
}
