//! The dialog lifecycle (D1–D5): one state machine for every action an operator takes on a
//! dialog, who may take it, and the system message it leaves (D6).
//!
//! `apply` is pure: the store loads a dialog's `DialogState` under a row lock, asks `apply`
//! for the next state, and writes it with the returned `SystemEvent`. The invariants the
//! property tests below hold it to:
//! - at most one assignee, who is never also a co-assignee or observer of the same dialog;
//! - an accepted (in work) dialog has its assignee; a queued one has none;
//! - a queue target (a user or group the dialog was redirected or passed to) exists only on
//!   a dialog returned to queue or passed for review;
//! - closed and passed-for-review dialogs never become active again, so a client keeps at
//!   most one active dialog per channel (D2), and nobody writes to the client in them.

use serde::{Deserialize, Serialize};

use super::{CloseReasonId, DialogStatus, GroupId, UserId};

/// The longest dialog title, in characters (the database enforces the same).
pub const MAX_TITLE_CHARS: usize = 200;

/// Where a dialog waits: for one user, or for anyone of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum QueueTarget {
    User(UserId),
    Group(GroupId),
}

impl QueueTarget {
    /// The target stored as a dialog's `queue_user_id` / `queue_group_id`.
    pub fn from_columns(user: Option<UserId>, group: Option<GroupId>) -> Option<QueueTarget> {
        match (user, group) {
            (Some(u), _) => Some(QueueTarget::User(u)),
            (None, Some(g)) => Some(QueueTarget::Group(g)),
            (None, None) => None,
        }
    }
}

/// A user's part in a dialog besides being its assignee (D5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "participant_role", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum HelperRole {
    /// Works on the dialog with the assignee: may reply.
    CoAssignee,
    /// Reads along: may write notes, changes nothing.
    Observer,
}

impl HelperRole {
    pub fn as_str(self) -> &'static str {
        match self {
            HelperRole::CoAssignee => "co_assignee",
            HelperRole::Observer => "observer",
        }
    }
}

/// What the lifecycle needs to know of a dialog.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DialogState {
    pub status: DialogStatus,
    pub assignee: Option<UserId>,
    pub queue: Option<QueueTarget>,
    pub co_assignees: Vec<UserId>,
    pub observers: Vec<UserId>,
    pub title: Option<String>,
    /// The line asks for a close reason (D11).
    pub reason_required: bool,
}

/// Who acts, with what the rights rules (`auth::Access`) say about them on this dialog's
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    /// May write to clients on the line ("send", or an owner or admin).
    pub may_send: bool,
    /// Owners, admins and supervisors manage every dialog of the account.
    pub supervises: bool,
    /// A member of the group the dialog waits for, if it waits for one.
    pub in_queue_group: bool,
}

/// An operator's action on one dialog (D3, D5). Passing for review makes a new dialog and
/// is `review_copy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Take the dialog: it becomes the actor's, in work.
    Accept,
    /// End the work: nobody writes to the client in it any more.
    Close {
        #[serde(default)]
        reason: Option<CloseReasonId>,
    },
    /// Give it to a user or a group: it waits in their New list (returned to queue).
    Redirect { to: QueueTarget },
    /// Give it back to the line's queue.
    ReturnToQueue,
    /// "Read" on a dialog passed for review: it closes.
    Read,
    /// Name the dialog (None: back to the client's name).
    Rename {
        #[serde(default)]
        title: Option<String>,
    },
    /// Add a co-assignee or observer.
    AddHelper { user: UserId, role: HelperRole },
    /// Remove a co-assignee or observer.
    RemoveHelper { user: UserId, role: HelperRole },
}

/// Why an action was refused. `key()` is the message shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The actor's role does not allow it.
    #[error("not allowed")]
    NotAllowed,
    /// Someone else accepted the dialog first.
    #[error("already accepted")]
    Taken,
    /// The dialog is closed (or passed for review) and takes no such action.
    #[error("closed")]
    Closed,
    /// The action does not apply to the dialog's status (accepting an accepted dialog, ...).
    #[error("wrong status")]
    WrongStatus,
    /// The line asks for a close reason and none was chosen.
    #[error("reason required")]
    ReasonRequired,
    /// Redirecting a dialog to the user it is already with.
    #[error("same target")]
    SameTarget,
    /// A title longer than allowed, or with line breaks.
    #[error("bad title")]
    BadTitle,
    /// Adding a helper who already has that role, or is the assignee; removing one who has
    /// not.
    #[error("bad helper")]
    BadHelper,
}

impl LifecycleError {
    pub fn key(self) -> &'static str {
        match self {
            LifecycleError::NotAllowed => "error.forbidden",
            LifecycleError::Taken => "error.dialog.taken",
            LifecycleError::Closed => "error.dialog.closed",
            LifecycleError::WrongStatus => "error.dialog.wrong_status",
            LifecycleError::ReasonRequired => "error.dialog.reason_required",
            LifecycleError::SameTarget => "error.dialog.same_target",
            LifecycleError::BadTitle => "error.dialog.bad_title",
            LifecycleError::BadHelper => "error.dialog.bad_helper",
        }
    }

    /// The form field the error belongs to, for validation errors.
    pub fn field(self) -> Option<&'static str> {
        match self {
            LifecycleError::ReasonRequired => Some("reason"),
            LifecycleError::SameTarget => Some("to"),
            LifecycleError::BadTitle => Some("title"),
            LifecycleError::BadHelper => Some("user"),
            _ => None,
        }
    }
}

impl DialogState {
    fn is_assignee(&self, user: UserId) -> bool {
        self.assignee == Some(user)
    }

    /// Waits for this actor in particular (redirected or passed to them or their group).
    fn waits_for(&self, actor: &Actor) -> bool {
        match self.queue {
            Some(QueueTarget::User(u)) => u == actor.user,
            Some(QueueTarget::Group(_)) => actor.in_queue_group,
            None => false,
        }
    }

    /// Changes the dialog's status or hands it on: the assignee, a supervisor, or, while it
    /// waits in the queue, anyone who may work on the line.
    fn may_manage(&self, actor: &Actor) -> bool {
        actor.supervises
            || self.is_assignee(actor.user)
            || (self.status.is_queued() && actor.may_send)
    }

    /// May this actor write to the client here? Replying to a queued dialog accepts it, so
    /// it needs what accepting needs.
    pub fn may_reply(&self, actor: &Actor) -> bool {
        self.status.is_active()
            && actor.may_send
            && (self.status.is_queued()
                || self.is_assignee(actor.user)
                || self.co_assignees.contains(&actor.user)
                || actor.supervises)
    }

    /// May this actor add and remove co-assignees and observers (D5)?
    pub fn may_manage_helpers(&self, actor: &Actor) -> bool {
        self.status.is_active() && self.may_manage(actor)
    }

    /// The actions this actor may take now, for the buttons (Rename and the helpers are
    /// offered whenever `Rename` is allowed).
    pub fn available(&self, actor: &Actor) -> Vec<Action> {
        let probes = [
            Action::Accept,
            Action::Close { reason: None },
            Action::Redirect {
                to: QueueTarget::User(UserId(i64::MIN)),
            },
            Action::ReturnToQueue,
            Action::Read,
            Action::Rename { title: None },
        ];
        probes
            .into_iter()
            .filter(|a| match apply(self, actor, a) {
                Ok(_) => true,
                // A missing reason is asked for in the close form.
                Err(LifecycleError::ReasonRequired) => true,
                Err(_) => false,
            })
            .collect()
    }
}

/// Someone or something to pick in an action's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

/// What the action forms of a dialog offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOptions {
    /// Other active users of the account (redirect, pass for review, helpers).
    pub users: Vec<Choice>,
    pub groups: Vec<Choice>,
    /// The close reasons, in the catalogue's order.
    pub reasons: Vec<Choice>,
    pub reason_required: bool,
}

/// The action buttons of a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Accept,
    Close,
    Redirect,
    ReturnToQueue,
    Read,
    Rename,
}

impl ActionKind {
    pub fn of(action: &Action) -> Option<ActionKind> {
        Some(match action {
            Action::Accept => ActionKind::Accept,
            Action::Close { .. } => ActionKind::Close,
            Action::Redirect { .. } => ActionKind::Redirect,
            Action::ReturnToQueue => ActionKind::ReturnToQueue,
            Action::Read => ActionKind::Read,
            Action::Rename { .. } => ActionKind::Rename,
            Action::AddHelper { .. } | Action::RemoveHelper { .. } => return None,
        })
    }
}

/// A trimmed title of at most `MAX_TITLE_CHARS` on one line; empty means none.
pub fn parse_title(title: Option<&str>) -> Result<Option<String>, LifecycleError> {
    let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if title.chars().count() > MAX_TITLE_CHARS || title.contains(['\r', '\n']) {
        return Err(LifecycleError::BadTitle);
    }
    Ok(Some(title.to_owned()))
}

/// The dialog after `action` by `actor`, or why not.
pub fn apply(
    state: &DialogState,
    actor: &Actor,
    action: &Action,
) -> Result<DialogState, LifecycleError> {
    use DialogStatus::*;
    let mut next = state.clone();
    let active = state.status.is_active();
    match action {
        Action::Accept => {
            match state.status {
                InWork if state.is_assignee(actor.user) => return Err(LifecycleError::WrongStatus),
                InWork => return Err(LifecycleError::Taken),
                Closed | ForReview => return Err(LifecycleError::Closed),
                New | Returned => {}
            }
            if !actor.may_send {
                return Err(LifecycleError::NotAllowed);
            }
            next.status = InWork;
            next.assignee = Some(actor.user);
            next.queue = None;
            next.co_assignees.retain(|u| *u != actor.user);
            next.observers.retain(|u| *u != actor.user);
        }
        Action::Close { reason } => {
            if !active {
                return Err(LifecycleError::Closed);
            }
            if !state.may_manage(actor) {
                return Err(LifecycleError::NotAllowed);
            }
            if state.reason_required && reason.is_none() {
                return Err(LifecycleError::ReasonRequired);
            }
            next.status = Closed;
            next.queue = None;
        }
        Action::Redirect { to } => {
            if !active {
                return Err(LifecycleError::Closed);
            }
            if !state.may_manage(actor) {
                return Err(LifecycleError::NotAllowed);
            }
            if state.queue == Some(*to)
                || matches!(to, QueueTarget::User(u) if state.is_assignee(*u))
            {
                return Err(LifecycleError::SameTarget);
            }
            next.status = Returned;
            next.assignee = None;
            next.queue = Some(*to);
        }
        Action::ReturnToQueue => {
            match state.status {
                InWork => {}
                Closed | ForReview => return Err(LifecycleError::Closed),
                New | Returned => return Err(LifecycleError::WrongStatus),
            }
            if !state.may_manage(actor) {
                return Err(LifecycleError::NotAllowed);
            }
            next.status = Returned;
            next.assignee = None;
            next.queue = None;
        }
        Action::Read => {
            if state.status != ForReview {
                return Err(LifecycleError::WrongStatus);
            }
            if !(state.waits_for(actor) || actor.supervises) {
                return Err(LifecycleError::NotAllowed);
            }
            next.status = Closed;
            next.queue = None;
        }
        Action::Rename { title } => {
            let allowed = state.may_manage(actor)
                || state.co_assignees.contains(&actor.user)
                || (state.status == ForReview && state.waits_for(actor))
                || (state.status == Closed && actor.may_send);
            if !allowed {
                return Err(LifecycleError::NotAllowed);
            }
            next.title = parse_title(title.as_deref())?;
        }
        Action::AddHelper { user, role } => {
            if !active {
                return Err(LifecycleError::Closed);
            }
            if !state.may_manage(actor) {
                return Err(LifecycleError::NotAllowed);
            }
            let list = match role {
                HelperRole::CoAssignee => &mut next.co_assignees,
                HelperRole::Observer => &mut next.observers,
            };
            if state.is_assignee(*user) || list.contains(user) {
                return Err(LifecycleError::BadHelper);
            }
            list.push(*user);
        }
        Action::RemoveHelper { user, role } => {
            // Anyone may leave; the assignee and supervisors may remove others.
            if !(state.may_manage(actor) || *user == actor.user) {
                return Err(LifecycleError::NotAllowed);
            }
            let list = match role {
                HelperRole::CoAssignee => &mut next.co_assignees,
                HelperRole::Observer => &mut next.observers,
            };
            let before = list.len();
            list.retain(|u| u != user);
            if list.len() == before {
                return Err(LifecycleError::BadHelper);
            }
        }
    }
    Ok(next)
}

/// A dialog passed to `to` for review: a closed copy of some messages, in their New list
/// until they press "Read" (D8). Anyone who may see the dialog may pass it on.
pub fn review_copy(to: UserId) -> DialogState {
    DialogState {
        status: DialogStatus::ForReview,
        queue: Some(QueueTarget::User(to)),
        ..DialogState::default()
    }
}

/// A service event written into the dialog as a system message (D6). Names are kept as
/// they were, so history does not change when someone is renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemEvent {
    Accepted {
        by: String,
    },
    Closed {
        by: String,
        #[serde(default)]
        reason: Option<String>,
    },
    Redirected {
        by: String,
        to: String,
    },
    ReturnedToQueue {
        by: String,
    },
    /// In the dialog passed on.
    PassedForReview {
        by: String,
        to: String,
    },
    /// In the copy made for review.
    ForReview {
        by: String,
        number: i64,
    },
    Read {
        by: String,
    },
    Renamed {
        by: String,
        #[serde(default)]
        title: Option<String>,
    },
    HelperAdded {
        by: String,
        user: String,
        role: HelperRole,
    },
    HelperRemoved {
        by: String,
        user: String,
        role: HelperRole,
    },
    /// The client was blocked (C6); `closed` when blocking closed this dialog.
    ClientBlocked {
        by: String,
        #[serde(default)]
        closed: bool,
    },
    ClientUnblocked {
        by: String,
    },
}

impl SystemEvent {
    /// The i18n key of the sentence; `args()` fills its placeholders.
    pub fn key(&self) -> &'static str {
        match self {
            SystemEvent::Accepted { .. } => "system.accepted",
            SystemEvent::Closed {
                reason: Some(_), ..
            } => "system.closed_reason",
            SystemEvent::Closed { reason: None, .. } => "system.closed",
            SystemEvent::Redirected { .. } => "system.redirected",
            SystemEvent::ReturnedToQueue { .. } => "system.returned",
            SystemEvent::PassedForReview { .. } => "system.passed",
            SystemEvent::ForReview { .. } => "system.for_review",
            SystemEvent::Read { .. } => "system.read",
            SystemEvent::Renamed { title: Some(_), .. } => "system.renamed",
            SystemEvent::Renamed { title: None, .. } => "system.renamed_back",
            SystemEvent::HelperAdded {
                role: HelperRole::CoAssignee,
                ..
            } => "system.co_assignee_added",
            SystemEvent::HelperAdded {
                role: HelperRole::Observer,
                ..
            } => "system.observer_added",
            SystemEvent::HelperRemoved {
                role: HelperRole::CoAssignee,
                ..
            } => "system.co_assignee_removed",
            SystemEvent::HelperRemoved {
                role: HelperRole::Observer,
                ..
            } => "system.observer_removed",
            SystemEvent::ClientBlocked { closed: false, .. } => "system.client_blocked",
            SystemEvent::ClientBlocked { closed: true, .. } => "system.client_blocked_closed",
            SystemEvent::ClientUnblocked { .. } => "system.client_unblocked",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            SystemEvent::Accepted { by }
            | SystemEvent::ReturnedToQueue { by }
            | SystemEvent::Read { by }
            | SystemEvent::Closed { by, reason: None }
            | SystemEvent::Renamed { by, title: None }
            | SystemEvent::ClientBlocked { by, .. }
            | SystemEvent::ClientUnblocked { by } => vec![("by", by.clone())],
            SystemEvent::Closed {
                by,
                reason: Some(reason),
            } => vec![("by", by.clone()), ("reason", reason.clone())],
            SystemEvent::Redirected { by, to } | SystemEvent::PassedForReview { by, to } => {
                vec![("by", by.clone()), ("to", to.clone())]
            }
            SystemEvent::ForReview { by, number } => {
                vec![("by", by.clone()), ("n", number.to_string())]
            }
            SystemEvent::Renamed {
                by,
                title: Some(title),
            } => vec![("by", by.clone()), ("title", title.clone())],
            SystemEvent::HelperAdded { by, user, .. }
            | SystemEvent::HelperRemoved { by, user, .. } => {
                vec![("by", by.clone()), ("user", user.clone())]
            }
        }
    }

    /// The sentence in a language, via the UI's string tables.
    pub fn sentence(&self, locale: super::Locale) -> String {
        let mut text = crate::i18n::translate(locale, self.key());
        for (name, value) in self.args() {
            text = text.replace(&format!("{{{name}}}"), &value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ME: UserId = UserId(1);
    const OTHER: UserId = UserId(2);

    fn operator(user: UserId) -> Actor {
        Actor {
            user,
            may_send: true,
            supervises: false,
            in_queue_group: false,
        }
    }

    fn state(status: DialogStatus, assignee: Option<UserId>) -> DialogState {
        DialogState {
            status,
            assignee,
            ..DialogState::default()
        }
    }

    #[test]
    fn accepting_a_new_dialog_makes_it_mine_and_in_work() {
        let next = apply(
            &state(DialogStatus::New, None),
            &operator(ME),
            &Action::Accept,
        )
        .unwrap();
        assert_eq!(next.status, DialogStatus::InWork);
        assert_eq!(next.assignee, Some(ME));
    }

    #[test]
    fn the_second_to_accept_is_told_it_is_taken() {
        let taken = state(DialogStatus::InWork, Some(OTHER));
        assert_eq!(
            apply(&taken, &operator(ME), &Action::Accept),
            Err(LifecycleError::Taken)
        );
    }

    #[test]
    fn accepting_needs_the_send_right() {
        let reader = Actor {
            may_send: false,
            ..operator(ME)
        };
        assert_eq!(
            apply(&state(DialogStatus::New, None), &reader, &Action::Accept),
            Err(LifecycleError::NotAllowed)
        );
    }

    #[test]
    fn an_observer_cannot_change_the_status() {
        let mut s = state(DialogStatus::InWork, Some(OTHER));
        s.observers.push(ME);
        for action in [
            Action::Close { reason: None },
            Action::ReturnToQueue,
            Action::Redirect {
                to: QueueTarget::User(UserId(3)),
            },
        ] {
            assert_eq!(
                apply(&s, &operator(ME), &action),
                Err(LifecycleError::NotAllowed),
                "{action:?}"
            );
        }
        assert!(!s.may_reply(&operator(ME)));
        assert!(s.available(&operator(ME)).is_empty());
    }

    #[test]
    fn a_co_assignee_replies_and_renames_but_does_not_close() {
        let mut s = state(DialogStatus::InWork, Some(OTHER));
        s.co_assignees.push(ME);
        assert!(s.may_reply(&operator(ME)));
        assert!(
            apply(
                &s,
                &operator(ME),
                &Action::Rename {
                    title: Some("Order 7".into())
                }
            )
            .is_ok()
        );
        assert_eq!(
            apply(&s, &operator(ME), &Action::Close { reason: None }),
            Err(LifecycleError::NotAllowed)
        );
    }

    #[test]
    fn closing_asks_for_a_reason_where_the_line_does() {
        let mut s = state(DialogStatus::InWork, Some(ME));
        s.reason_required = true;
        assert_eq!(
            apply(&s, &operator(ME), &Action::Close { reason: None }),
            Err(LifecycleError::ReasonRequired)
        );
        let closed = apply(
            &s,
            &operator(ME),
            &Action::Close {
                reason: Some(CloseReasonId(4)),
            },
        )
        .unwrap();
        assert_eq!(closed.status, DialogStatus::Closed);
        assert_eq!(
            closed.assignee,
            Some(ME),
            "the report credits who worked on it"
        );
    }

    #[test]
    fn redirecting_puts_it_in_the_targets_queue() {
        let s = state(DialogStatus::InWork, Some(ME));
        let to = QueueTarget::Group(GroupId(9));
        let next = apply(&s, &operator(ME), &Action::Redirect { to }).unwrap();
        assert_eq!(next.status, DialogStatus::Returned);
        assert_eq!(next.assignee, None);
        assert_eq!(next.queue, Some(to));
        assert_eq!(
            apply(
                &s,
                &operator(ME),
                &Action::Redirect {
                    to: QueueTarget::User(ME)
                }
            ),
            Err(LifecycleError::SameTarget)
        );
    }

    #[test]
    fn only_the_reviewer_reads_a_dialog_passed_for_review() {
        let s = review_copy(ME);
        assert_eq!(
            apply(&s, &operator(OTHER), &Action::Read),
            Err(LifecycleError::NotAllowed)
        );
        assert!(!s.may_reply(&operator(ME)), "review copies are read-only");
        assert_eq!(
            apply(&s, &operator(ME), &Action::Accept),
            Err(LifecycleError::Closed)
        );
        let read = apply(&s, &operator(ME), &Action::Read).unwrap();
        assert_eq!(read.status, DialogStatus::Closed);
        assert_eq!(read.queue, None);
    }

    #[test]
    fn titles_are_trimmed_and_limited() {
        assert_eq!(parse_title(Some("  Order 7 ")), Ok(Some("Order 7".into())));
        assert_eq!(parse_title(Some("   ")), Ok(None));
        assert_eq!(parse_title(Some("a\nb")), Err(LifecycleError::BadTitle));
        assert_eq!(
            parse_title(Some(&"я".repeat(MAX_TITLE_CHARS + 1))),
            Err(LifecycleError::BadTitle)
        );
        assert!(parse_title(Some(&"я".repeat(MAX_TITLE_CHARS))).is_ok());
    }

    #[test]
    fn system_events_round_trip_and_read_in_both_languages() {
        let e = SystemEvent::Closed {
            by: "Olga".into(),
            reason: Some("Spam".into()),
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"event":"closed","by":"Olga","reason":"Spam"}"#);
        assert_eq!(serde_json::from_str::<SystemEvent>(&json).unwrap(), e);
        let en = e.sentence(super::super::Locale::En);
        assert!(en.contains("Olga") && en.contains("Spam"), "{en}");
        let ru = e.sentence(super::super::Locale::Ru);
        assert!(ru.contains("Olga") && ru != en, "{ru}");
    }

    // Property tests: any sequence of actions by anyone keeps the invariants.

    fn any_user() -> impl Strategy<Value = UserId> {
        (1i64..=4).prop_map(UserId)
    }

    fn any_actor() -> impl Strategy<Value = Actor> {
        (any_user(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(user, may_send, supervises, in_queue_group)| Actor {
                user,
                may_send,
                supervises,
                in_queue_group,
            },
        )
    }

    fn any_action() -> impl Strategy<Value = Action> {
        let target = prop_oneof![
            any_user().prop_map(QueueTarget::User),
            (1i64..=2).prop_map(|g| QueueTarget::Group(GroupId(g))),
        ];
        let role = prop_oneof![Just(HelperRole::CoAssignee), Just(HelperRole::Observer)];
        prop_oneof![
            Just(Action::Accept),
            proptest::option::of((1i64..=3).prop_map(CloseReasonId))
                .prop_map(|reason| Action::Close { reason }),
            target.prop_map(|to| Action::Redirect { to }),
            Just(Action::ReturnToQueue),
            Just(Action::Read),
            proptest::option::of("[a-z ]{0,8}").prop_map(|title| Action::Rename { title }),
            (any_user(), role.clone()).prop_map(|(user, role)| Action::AddHelper { user, role }),
            (any_user(), role).prop_map(|(user, role)| Action::RemoveHelper { user, role }),
        ]
    }

    /// A client's dialogs on one channel: what a client message does (D2).
    fn client_writes(dialogs: &mut Vec<DialogState>) {
        if !dialogs.iter().any(|d| d.status.is_active()) {
            dialogs.push(DialogState::default());
        }
    }

    fn check(s: &DialogState) {
        if let Some(a) = s.assignee {
            assert!(
                !s.co_assignees.contains(&a),
                "assignee also co-assignee: {s:?}"
            );
            assert!(!s.observers.contains(&a), "assignee also observer: {s:?}");
        }
        if s.status == DialogStatus::InWork {
            assert!(s.assignee.is_some(), "in work without assignee: {s:?}");
        }
        if s.status.is_queued() {
            assert!(s.assignee.is_none(), "queued with an assignee: {s:?}");
        }
        if s.queue.is_some() {
            assert!(
                matches!(s.status, DialogStatus::Returned | DialogStatus::ForReview),
                "queue target on {s:?}"
            );
        }
        let mut co = s.co_assignees.clone();
        co.sort();
        co.dedup();
        assert_eq!(co.len(), s.co_assignees.len(), "a co-assignee twice: {s:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_sequence_of_actions_keeps_the_invariants(
            reason_required in any::<bool>(),
            steps in proptest::collection::vec(
                (0usize..3, any::<bool>(), any_actor(), any_action()), 1..60),
        ) {
            let mut dialogs: Vec<DialogState> = Vec::new();
            client_writes(&mut dialogs);
            dialogs[0].reason_required = reason_required;
            for (pick, client_first, actor, action) in steps {
                if client_first {
                    client_writes(&mut dialogs);
                }
                let i = pick % dialogs.len();
                let before = dialogs[i].clone();
                if let Ok(next) = apply(&before, &actor, &action) {
                    // Nothing comes back to life.
                    prop_assert!(before.status.is_active() || !next.status.is_active());
                    if !before.status.is_active() {
                        prop_assert!(next.status == before.status
                            || (before.status == DialogStatus::ForReview
                                && next.status == DialogStatus::Closed),
                            "status moved: {:?}", next);
                    }
                    prop_assert!(before.status.can_become(next.status)
                        || before.status == next.status);
                    check(&next);
                    dialogs[i] = next;
                }
                // A closed dialog takes no message for the client from anyone.
                for d in &dialogs {
                    if !d.status.is_active() {
                        prop_assert!(!d.may_reply(&actor));
                    }
                }
                prop_assert!(dialogs.iter().filter(|d| d.status.is_active()).count() <= 1);
            }
        }

        #[test]
        fn what_is_offered_is_what_is_allowed(
            status in proptest::sample::select(DialogStatus::ALL.to_vec()),
            assignee in proptest::option::of(any_user()),
            actor in any_actor(),
        ) {
            let s = DialogState {
                status,
                assignee: if status == DialogStatus::InWork { assignee.or(Some(UserId(4))) } else { None },
                ..DialogState::default()
            };
            for action in s.available(&actor) {
                let result = apply(&s, &actor, &action);
                prop_assert!(
                    result.is_ok() || matches!(result, Err(LifecycleError::ReasonRequired | LifecycleError::SameTarget)),
                    "{:?} offered but {:?}", action, result
                );
            }
        }
    }
}
