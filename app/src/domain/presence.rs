//! Presence in a dialog: who else has it open and who is typing in it. Ephemeral, never
//! stored: browsers report over their live socket, app servers pass it on to the sockets
//! of those who may see the dialog.

use serde::{Deserialize, Serialize};

use crate::domain::{DialogId, UserId};

/// The largest report a browser may send; anything longer is ignored unread.
pub const MAX_REPORT_BYTES: usize = 128;

/// A browser's report, `{"presence":{"dialog":123,"typing":false}}`; `"dialog":null` when
/// its user left the dialog. Sent when a dialog opens, as a heartbeat while it stays open
/// and while the composer's text changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceReport {
    pub presence: ReportBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// Required, `null` included: an empty report is not a way of leaving.
    #[serde(deserialize_with = "Option::deserialize")]
    pub dialog: Option<DialogId>,
    #[serde(default)]
    pub typing: bool,
}

impl PresenceReport {
    pub fn new(dialog: Option<DialogId>, typing: bool) -> PresenceReport {
        PresenceReport {
            presence: ReportBody { dialog, typing },
        }
    }

    /// A report from a socket text frame, or None for anything else (too long, another
    /// shape, a dialog id that cannot exist).
    pub fn parse(text: &str) -> Option<PresenceReport> {
        if text.len() > MAX_REPORT_BYTES {
            return None;
        }
        let report: PresenceReport = serde_json::from_str(text).ok()?;
        match report.presence.dialog {
            Some(DialogId(id)) if id <= 0 => None,
            _ => Some(report),
        }
    }
}

/// What another user is doing in a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceState {
    Viewing,
    Typing,
    Left,
}

/// The server's frame about another user, `{"presence":{"dialog":123,"user":5,
/// "name":"Anna","state":"typing"}}`; live events are arrays, so the two never mix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceFrame {
    pub presence: PresenceUpdate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceUpdate {
    pub dialog: DialogId,
    pub user: UserId,
    pub name: String,
    pub state: PresenceState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_read_only_in_its_exact_shape() {
        assert_eq!(
            PresenceReport::parse(r#"{"presence":{"dialog":12,"typing":true}}"#),
            Some(PresenceReport::new(Some(DialogId(12)), true))
        );
        assert_eq!(
            PresenceReport::parse(r#"{"presence":{"dialog":null}}"#),
            Some(PresenceReport::new(None, false))
        );
        for garbage in [
            "",
            "hello",
            "[]",
            r#"{"presence":{}}"#,
            r#"{"presence":{"dialog":"12"}}"#,
            r#"{"presence":{"dialog":0}}"#,
            r#"{"presence":{"dialog":-3}}"#,
            r#"{"presence":{"dialog":12,"typing":"yes"}}"#,
            r#"{"presence":{"dialog":12,"user":1}}"#,
            r#"{"presence":{"dialog":12},"x":1}"#,
        ] {
            assert_eq!(PresenceReport::parse(garbage), None, "{garbage}");
        }
        let long = format!(r#"{{"presence":{{"dialog":12{}}}}}"#, " ".repeat(200));
        assert_eq!(PresenceReport::parse(&long), None);
    }

    #[test]
    fn a_frame_names_the_state_in_words() {
        let frame = PresenceFrame {
            presence: PresenceUpdate {
                dialog: DialogId(3),
                user: UserId(5),
                name: "Anna".into(),
                state: PresenceState::Typing,
            },
        };
        let json = serde_json::to_string(&frame).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"presence":{"dialog":3,"user":5,"name":"Anna","state":"typing"}}"#
        );
    }
}
