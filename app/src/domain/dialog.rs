//! Dialog statuses (D1), the inbox sections they are listed under (C2), and the allowed
//! transitions between them (D3, D4, D8).

use serde::{Deserialize, Serialize};

/// Where a dialog is in its life. Ordered as declared (lists and URLs use that order).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "dialog_status", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum DialogStatus {
    /// A new appeal nobody has taken yet.
    #[default]
    New,
    /// Someone is responsible for it and works on it.
    InWork,
    /// Redirected to a user or role and waiting there; listed under New.
    Returned,
    /// Work is over; nobody can write into it any more.
    Closed,
    /// Messages passed to a user to read; listed under New until they press "Read".
    ForReview,
}

impl DialogStatus {
    pub const ALL: [DialogStatus; 5] = [
        DialogStatus::New,
        DialogStatus::InWork,
        DialogStatus::Returned,
        DialogStatus::Closed,
        DialogStatus::ForReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DialogStatus::New => "new",
            DialogStatus::InWork => "in_work",
            DialogStatus::Returned => "returned",
            DialogStatus::Closed => "closed",
            DialogStatus::ForReview => "for_review",
        }
    }

    /// Active dialogs accept new messages; a client has at most one per channel (D2).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            DialogStatus::New | DialogStatus::InWork | DialogStatus::Returned
        )
    }

    /// Waiting in a queue for someone to take it.
    pub fn is_queued(self) -> bool {
        matches!(self, DialogStatus::New | DialogStatus::Returned)
    }

    /// Whether the lifecycle allows going from `self` to `to`.
    pub fn can_become(self, to: DialogStatus) -> bool {
        use DialogStatus::*;
        match (self, to) {
            // accept, or reply to a new dialog
            (New | Returned, InWork) => true,
            // redirect to a user or a role
            (New | InWork | Returned, Returned) => true,
            // close (with a reason where the line asks for one)
            (New | InWork | Returned, Closed) => true,
            // "Read" on a dialog passed for review
            (ForReview, Closed) => true,
            _ => false,
        }
    }
}

/// The tabs of the dialog list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// New, returned to queue, passed for review.
    #[default]
    New,
    /// Accepted and being worked on.
    InWork,
    /// New and In work together, plus closed ones when the filter asks for them.
    All,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::New, Section::InWork, Section::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::New => "new",
            Section::InWork => "in_work",
            Section::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Section> {
        match s {
            "new" => Some(Section::New),
            "in_work" => Some(Section::InWork),
            "all" => Some(Section::All),
            _ => None,
        }
    }

    /// The statuses listed in this section.
    pub fn statuses(self, include_closed: bool) -> Vec<DialogStatus> {
        use DialogStatus::*;
        match self {
            Section::New => vec![New, Returned, ForReview],
            Section::InWork => vec![InWork],
            Section::All if include_closed => DialogStatus::ALL.to_vec(),
            Section::All => vec![New, Returned, ForReview, InWork],
        }
    }

    pub fn contains(self, status: DialogStatus, include_closed: bool) -> bool {
        self.statuses(include_closed).contains(&status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returned_and_for_review_dialogs_are_listed_under_new() {
        assert!(Section::New.contains(DialogStatus::Returned, false));
        assert!(Section::New.contains(DialogStatus::ForReview, false));
        assert!(!Section::New.contains(DialogStatus::InWork, false));
    }

    #[test]
    fn closed_dialogs_show_in_all_only_when_the_filter_asks() {
        assert!(!Section::All.contains(DialogStatus::Closed, false));
        assert!(Section::All.contains(DialogStatus::Closed, true));
        assert!(!Section::New.contains(DialogStatus::Closed, true));
        assert!(!Section::InWork.contains(DialogStatus::Closed, true));
    }

    #[test]
    fn every_status_but_closed_is_in_all() {
        for status in DialogStatus::ALL {
            assert_eq!(
                Section::All.contains(status, false),
                status != DialogStatus::Closed
            );
        }
    }

    #[test]
    fn a_closed_dialog_never_reopens() {
        for to in DialogStatus::ALL {
            assert!(!DialogStatus::Closed.can_become(to));
        }
    }

    #[test]
    fn a_dialog_passed_for_review_can_only_be_closed() {
        for to in DialogStatus::ALL {
            assert_eq!(
                DialogStatus::ForReview.can_become(to),
                to == DialogStatus::Closed
            );
        }
    }

    #[test]
    fn only_active_dialogs_are_unique_per_client_and_channel() {
        let active: Vec<_> = DialogStatus::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .collect();
        assert_eq!(
            active,
            vec![
                DialogStatus::New,
                DialogStatus::InWork,
                DialogStatus::Returned
            ]
        );
    }

    #[test]
    fn sections_round_trip_through_their_url_words() {
        for section in Section::ALL {
            assert_eq!(Section::parse(section.as_str()), Some(section));
        }
        assert_eq!(Section::parse("closed"), None);
    }
}
