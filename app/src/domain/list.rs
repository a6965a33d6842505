//! The dialog list as the browser holds it (C3, C9): pages appended as the reader scrolls,
//! and rows patched in place when live events change dialogs, without loading pages again.

use std::cmp::Reverse;

use super::{DialogId, DialogPage, DialogRow, ListCursor};

/// The loaded part of the list, in list order: pinned first, then newest activity first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedList {
    pub rows: Vec<DialogRow>,
    /// Where the next page starts; None when everything is loaded.
    pub next: Option<ListCursor>,
}

/// The list order as a sortable key.
fn order(r: &DialogRow) -> (bool, Reverse<(chrono::DateTime<chrono::Utc>, i64)>) {
    (!r.pinned, Reverse((r.last_message_at, r.id.0)))
}

impl LoadedList {
    /// The first page.
    pub fn first(page: DialogPage) -> LoadedList {
        LoadedList {
            rows: page.rows,
            next: page.next,
        }
    }

    /// Adds the next page (rows already held are not repeated).
    pub fn append(&mut self, page: DialogPage) {
        for row in page.rows {
            if !self.rows.iter().any(|r| r.id == row.id) {
                self.rows.push(row);
            }
        }
        self.next = page.next;
    }

    /// What is now known of the dialogs `ids`: `fresh` holds those of them that pass the
    /// filter. The others leave the list; these take their place in the order, unless they
    /// fall past the loaded part (their page brings them).
    pub fn patch(&mut self, ids: &[DialogId], fresh: Vec<DialogRow>) {
        self.rows.retain(|r| !ids.contains(&r.id));
        for row in fresh {
            let beyond = !row.pinned
                && self
                    .next
                    .is_some_and(|c| (row.last_message_at, row.id.0) < (c.last_message_at, c.id.0));
            if beyond || self.rows.iter().any(|r| r.id == row.id) {
                continue;
            }
            let key = order(&row);
            let at = self.rows.partition_point(|r| order(r) < key);
            self.rows.insert(at, row);
        }
    }

    /// The pinned rows (shown first, under Favorites) and the rest.
    pub fn split(&self) -> (&[DialogRow], &[DialogRow]) {
        let pinned = self.rows.partition_point(|r| r.pinned);
        self.rows.split_at(pinned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChannelKind, ClientId, DialogStatus, MessageKind};

    fn row(id: i64, minute: i64, pinned: bool) -> DialogRow {
        DialogRow {
            id: DialogId(id),
            number: id,
            title: None,
            status: DialogStatus::New,
            client_id: ClientId(1),
            client_name: format!("Client {id}"),
            channel_kind: ChannelKind::Telegram,
            channel_name: "bot".into(),
            last_message_at: chrono::DateTime::from_timestamp(1_800_000_000 + minute * 60, 0)
                .expect("a time"),
            last_message_snippet: String::new(),
            last_message_kind: MessageKind::Message,
            unread: false,
            pinned,
            client_dialogs: 1,
            client_blocked: false,
            new_helper: false,
        }
    }

    fn ids(list: &LoadedList) -> Vec<i64> {
        list.rows.iter().map(|r| r.id.0).collect()
    }

    fn loaded() -> LoadedList {
        // Pinned 9; then 5, 4, 3 loaded, more after 3.
        LoadedList::first(DialogPage {
            rows: vec![
                row(9, 1, true),
                row(5, 50, false),
                row(4, 40, false),
                row(3, 30, false),
            ],
            next: Some(ListCursor {
                last_message_at: row(3, 30, false).last_message_at,
                id: DialogId(3),
            }),
        })
    }

    #[test]
    fn a_new_message_moves_a_row_to_the_top_of_its_group() {
        let mut list = loaded();
        list.patch(&[DialogId(3)], vec![row(3, 60, false)]);
        assert_eq!(ids(&list), vec![9, 3, 5, 4]);
        list.patch(&[DialogId(9)], vec![row(9, 70, true)]);
        assert_eq!(ids(&list), vec![9, 3, 5, 4], "pinned stays first");
    }

    #[test]
    fn rows_that_stop_matching_leave_and_new_ones_arrive_in_order() {
        let mut list = loaded();
        list.patch(&[DialogId(4), DialogId(7)], vec![row(7, 45, false)]);
        assert_eq!(ids(&list), vec![9, 5, 7, 3]);
        // Past the loaded part: its page brings it.
        list.patch(&[DialogId(2)], vec![row(2, 10, false)]);
        assert_eq!(ids(&list), vec![9, 5, 7, 3]);
        // Pinning a row moves it up among the pinned, newest first, whatever its time.
        list.patch(&[DialogId(2)], vec![row(2, 10, true)]);
        assert_eq!(ids(&list), vec![2, 9, 5, 7, 3]);
    }

    #[test]
    fn a_complete_list_takes_rows_at_its_end_and_pages_never_repeat_rows() {
        let mut list = loaded();
        list.append(DialogPage {
            rows: vec![row(3, 30, false), row(1, 5, false)],
            next: None,
        });
        assert_eq!(ids(&list), vec![9, 5, 4, 3, 1]);
        list.patch(&[DialogId(8)], vec![row(8, 1, false)]);
        assert_eq!(ids(&list), vec![9, 5, 4, 3, 1, 8]);
        let (pinned, rest) = list.split();
        assert_eq!(pinned.len(), 1);
        assert_eq!(rest.len(), 5);
    }
}
