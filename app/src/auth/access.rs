//! The one place that decides what a user may see and do (A2, A3, D4).
//!
//! The rule, in words:
//! - Owners, admins and supervisors see every dialog of their account.
//! - An operator sees a dialog when they take part in it (assignee, initiator, co-assignee,
//!   observer), or when they may view its line and the dialog is waiting in the queue or
//!   closed, or when its line lets all users view.
//! - Sending a message to the client needs: seeing the dialog, the dialog being active, and
//!   "send" on its line (owners and admins always have it).
//! - Notes need only seeing the dialog.
//!
//! The rule exists twice by necessity: in Rust (`can_view`, for live events) and in SQL
//! (`push_dialog_scope`, for lists). Both live here, and a test checks they agree.

use std::collections::HashMap;

use sqlx::{PgPool, Postgres, QueryBuilder};

use super::CurrentUser;
use crate::domain::lifecycle::{Actor, DialogState};
use crate::domain::{
    AccountId, AccountRole, ChannelKind, DialogPermissions, DialogStatus, GroupId, LineId, UserId,
    event::DialogFacts,
};
use crate::error::AppResult;
use crate::store;

/// A user's rights on one line (direct and through their groups, merged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineRights {
    pub view: bool,
    pub send: bool,
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: AccountRole,
    pub lines: HashMap<LineId, LineRights>,
    /// Lines with "all users may view".
    pub public_lines: Vec<LineId>,
    /// The user groups this user belongs to (dialogs redirected to a group wait for them).
    pub groups: Vec<GroupId>,
}

impl Access {
    pub async fn load(pool: &PgPool, user: &CurrentUser) -> AppResult<Access> {
        let (lines, public_lines, groups) =
            store::access::line_rights(pool, user.account_id, user.user_id).await?;
        Ok(Access {
            account_id: user.account_id,
            user_id: user.user_id,
            role: user.role,
            lines,
            public_lines,
            groups,
        })
    }

    /// The rights of another active user of the account (say, whom a dialog is redirected
    /// to), or None for an unknown, inactive or other account's user.
    pub async fn of_user(
        conn: &mut sqlx::PgConnection,
        account: AccountId,
        user: UserId,
    ) -> AppResult<Option<Access>> {
        let role: Option<AccountRole> = sqlx::query_scalar(
            "SELECT role FROM users WHERE account_id = $1 AND id = $2 AND active",
        )
        .bind(account)
        .bind(user)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(role) = role else {
            return Ok(None);
        };
        let (lines, public_lines, groups) =
            store::access::line_rights(&mut *conn, account, user).await?;
        Ok(Some(Access {
            account_id: account,
            user_id: user,
            role,
            lines,
            public_lines,
            groups,
        }))
    }

    fn rights(&self, line: LineId) -> LineRights {
        self.lines.get(&line).copied().unwrap_or_default()
    }

    /// May this user see a dialog with these facts?
    pub fn can_view(&self, facts: &DialogFacts) -> bool {
        if self.role.sees_everything() {
            return true;
        }
        let takes_part = facts.assignee_id == Some(self.user_id)
            || facts.participant_ids.contains(&self.user_id);
        let line_viewer = self.rights(facts.line_id).view
            && matches!(
                facts.status,
                DialogStatus::New | DialogStatus::Returned | DialogStatus::Closed
            );
        takes_part
            || line_viewer
            || self.waits_for(facts)
            || self.public_lines.contains(&facts.line_id)
    }

    /// Is the dialog redirected, or passed for review, to this user or one of their groups?
    fn waits_for(&self, facts: &DialogFacts) -> bool {
        matches!(
            facts.status,
            DialogStatus::Returned | DialogStatus::ForReview
        ) && (facts.queue_user_id == Some(self.user_id)
            || facts
                .queue_group_id
                .is_some_and(|g| self.groups.contains(&g)))
    }

    /// May this user see an event about a dialog: as it is now, or as it was before the
    /// change (so a dialog accepted by someone else leaves their list at once).
    pub fn can_see_event(&self, facts: &DialogFacts) -> bool {
        self.can_view(facts) || facts.before.as_deref().is_some_and(|b| self.can_view(b))
    }

    /// The lifecycle's view of this user on a dialog (D3, D4).
    pub fn actor(&self, facts: &DialogFacts) -> Actor {
        Actor {
            user: self.user_id,
            may_send: self.role.is_admin() || self.rights(facts.line_id).send,
            supervises: self.role.sees_everything(),
            in_queue_group: facts
                .queue_group_id
                .is_some_and(|g| self.groups.contains(&g)),
        }
    }

    /// May this user send a message to the client in this dialog?
    pub fn can_send(&self, facts: &DialogFacts) -> bool {
        self.can_view(facts)
            && facts.status.is_active()
            && (self.role.is_admin() || self.rights(facts.line_id).send)
    }

    /// May this user write an internal note in this dialog?
    pub fn can_note(&self, facts: &DialogFacts) -> bool {
        self.can_view(facts)
    }

    /// May this user write to the client in this dialog, given their part in it: its line's
    /// "send" right, and being its assignee or co-assignee, or a supervisor, or the dialog
    /// waiting in the queue (replying accepts it). Observers write notes only (D5).
    pub fn can_reply(&self, facts: &DialogFacts, state: &DialogState) -> bool {
        self.can_send(facts) && state.may_reply(&self.actor(facts))
    }

    /// Everything the composer needs to know, in one value: this user's rights in the
    /// dialog and what its messenger can carry.
    pub fn permissions(
        &self,
        facts: &DialogFacts,
        state: &DialogState,
        channel: ChannelKind,
    ) -> DialogPermissions {
        DialogPermissions {
            can_send: self.can_reply(facts, state),
            can_note: self.can_note(facts),
            status: facts.status,
            buttons: crate::domain::buttons::limits(channel),
            channel: Some(channel),
            manages: self.manages(facts),
            user: Some(self.user_id),
        }
    }

    /// Does this user manage the dialog: its assignee, or one who supervises every line?
    pub fn manages(&self, facts: &DialogFacts) -> bool {
        facts.assignee_id == Some(self.user_id) || self.role.sees_everything()
    }

    /// May this user delete a message of this dialog (E8), and if not, why (a translation
    /// key). `message` describes the message; its rights fields are filled in here.
    pub fn may_delete_message(
        &self,
        facts: &DialogFacts,
        state: &DialogState,
        message: crate::domain::message::DeleteCase,
    ) -> Result<(), &'static str> {
        if !self.can_view(facts) {
            return Err("error.not_found");
        }
        crate::domain::message::may_delete(&crate::domain::message::DeleteCase {
            may_reply: self.can_reply(facts, state),
            manages: self.manages(facts),
            ..message
        })
    }

    /// May this user block or unblock the client of this dialog (C6)? Those who see the
    /// dialog and may send on its line, and supervisors, admins and owners.
    pub fn can_block_client(&self, facts: &DialogFacts) -> bool {
        self.can_view(facts) && (self.role.sees_everything() || self.rights(facts.line_id).send)
    }

    /// May this user start a dialog on this line (C7)? They must see the line and be allowed
    /// to send on it.
    pub fn can_start_dialog(&self, line: LineId) -> bool {
        self.can_view_line(line) && (self.role.is_admin() || self.rights(line).send)
    }

    /// May this user change a channel on this line (or on none): its line, on/off, reading
    /// its mailbox now? Those who administer the line; a channel on no line, owners and
    /// admins.
    pub fn can_admin_channel(&self, line: Option<LineId>) -> bool {
        match line {
            Some(line) => self.can_admin_line(line),
            None => self.can_create_lines(),
        }
    }

    /// Owners and admins create lines and connect channels (B1).
    pub fn can_create_lines(&self) -> bool {
        self.role.is_admin()
    }

    /// May this user change this line's settings?
    pub fn can_admin_line(&self, line: LineId) -> bool {
        self.role.is_admin() || self.rights(line).admin
    }

    /// May this user see this line and its dialogs' queue? Owners, admins and supervisors
    /// see every line; an operator the lines they have rights on or that are open to all.
    pub fn can_view_line(&self, line: LineId) -> bool {
        self.role.sees_everything() || self.rights(line).view || self.public_lines.contains(&line)
    }

    /// May this user see a channel on this line? A channel on no line yet has no dialogs
    /// anyone else may see, so only those who see everything see it.
    pub fn can_view_channel(&self, line: Option<LineId>) -> bool {
        match line {
            Some(line) => self.can_view_line(line),
            None => self.role.sees_everything(),
        }
    }

    /// This user's effective rights on a line, as the API reports them.
    pub fn line_rights(&self, line: LineId) -> LineRights {
        let own = self.rights(line);
        LineRights {
            view: self.can_view_line(line),
            send: self.role.is_admin() || own.send,
            admin: self.can_admin_line(line),
        }
    }

    /// Every user of the account may look up, create and update clients: operators and bots
    /// acting for them record what clients tell them (F3).
    pub fn can_manage_clients(&self) -> bool {
        true
    }

    /// Owners and admins keep the account's close reason catalogue (D11).
    pub fn can_manage_close_reasons(&self) -> bool {
        self.role.is_admin()
    }

    /// May this user put tags on a dialog and on its client, and take them off (F1)? Anyone
    /// who sees the dialog: tags sort work, they say nothing to the client.
    pub fn can_tag(&self, facts: &DialogFacts) -> bool {
        self.can_view(facts)
    }

    /// Every user may make a tag while tagging (picking a name nobody used yet).
    pub fn can_create_tags(&self) -> bool {
        true
    }

    /// Renaming, recolouring and deleting tags changes them on every dialog and client of
    /// the account, so it is for owners and admins (the settings screen).
    pub fn can_manage_tags(&self) -> bool {
        self.role.is_admin()
    }

    /// Reports count every dialog of the account, so only those who see everything read
    /// them (owners, admins, supervisors).
    pub fn can_read_reports(&self) -> bool {
        self.role.sees_everything()
    }

    /// Outbound webhooks carry every event of the account, so only those who see everything
    /// and administer the account (owners, admins) manage them.
    pub fn can_manage_webhooks(&self) -> bool {
        self.role.is_admin()
    }

    /// An API token acts as any user of the account, so only owners and admins make and
    /// revoke them.
    pub fn can_manage_api_tokens(&self) -> bool {
        self.role.is_admin()
    }

    /// Appends ` AND (...)` limiting `alias` (the dialogs table) to what `can_view` allows,
    /// including the account. Every dialog query goes through this.
    pub fn push_dialog_scope(&self, qb: &mut QueryBuilder<Postgres>, alias: &str) {
        qb.push(format!(" AND {alias}.account_id = "));
        qb.push_bind(self.account_id);
        if self.role.sees_everything() {
            return;
        }
        let viewable: Vec<i64> = self
            .lines
            .iter()
            .filter(|(_, r)| r.view)
            .map(|(l, _)| l.0)
            .collect();
        let public: Vec<i64> = self.public_lines.iter().map(|l| l.0).collect();
        qb.push(format!(" AND ({alias}.assignee_id = "));
        qb.push_bind(self.user_id);
        qb.push(format!(
            " OR EXISTS (SELECT 1 FROM dialog_participants p WHERE p.dialog_id = {alias}.id AND p.user_id = "
        ));
        qb.push_bind(self.user_id);
        qb.push(format!(") OR ({alias}.line_id = ANY("));
        qb.push_bind(viewable);
        qb.push(format!(
            ") AND {alias}.status IN ('new', 'returned', 'closed')) OR {alias}.line_id = ANY("
        ));
        qb.push_bind(public);
        qb.push(format!(
            ") OR ({alias}.status IN ('returned', 'for_review') AND ({alias}.queue_user_id = "
        ));
        qb.push_bind(self.user_id);
        qb.push(format!(" OR {alias}.queue_group_id = ANY("));
        qb.push_bind(self.groups.iter().map(|g| g.0).collect::<Vec<i64>>());
        qb.push("))))");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(lines: &[(i64, LineRights)]) -> Access {
        Access {
            account_id: AccountId(1),
            user_id: UserId(10),
            role: AccountRole::Operator,
            lines: lines.iter().map(|(l, r)| (LineId(*l), *r)).collect(),
            public_lines: vec![],
            groups: vec![],
        }
    }

    fn facts(line: i64, status: DialogStatus, assignee: Option<i64>) -> DialogFacts {
        DialogFacts {
            line_id: LineId(line),
            status,
            assignee_id: assignee.map(UserId),
            participant_ids: assignee.map(UserId).into_iter().collect(),
            queue_user_id: None,
            queue_group_id: None,
            before: None,
        }
    }

    const VIEW: LineRights = LineRights {
        view: true,
        send: false,
        admin: false,
    };
    const SEND: LineRights = LineRights {
        view: true,
        send: true,
        admin: false,
    };

    #[test]
    fn an_operator_sees_the_queue_of_lines_they_may_view() {
        let a = operator(&[(1, VIEW)]);
        assert!(a.can_view(&facts(1, DialogStatus::New, None)));
        assert!(a.can_view(&facts(1, DialogStatus::Returned, None)));
        assert!(!a.can_view(&facts(2, DialogStatus::New, None)));
    }

    #[test]
    fn an_accepted_dialog_belongs_to_its_assignee() {
        let a = operator(&[(1, SEND)]);
        assert!(!a.can_view(&facts(1, DialogStatus::InWork, Some(99))));
        assert!(a.can_view(&facts(1, DialogStatus::InWork, Some(10))));
    }

    #[test]
    fn a_co_assignee_sees_the_dialog_even_without_line_rights() {
        let a = operator(&[]);
        let mut f = facts(5, DialogStatus::InWork, Some(99));
        f.participant_ids.push(UserId(10));
        assert!(a.can_view(&f));
        assert!(!a.can_send(&f), "no send right on the line");
        assert!(a.can_note(&f));
    }

    #[test]
    fn a_user_without_send_can_read_but_not_reply() {
        let a = operator(&[(1, VIEW)]);
        let f = facts(1, DialogStatus::New, None);
        assert!(a.can_view(&f));
        assert!(!a.can_send(&f));
        let b = operator(&[(1, SEND)]);
        assert!(b.can_send(&f));
    }

    #[test]
    fn nobody_sends_into_a_closed_dialog() {
        let mut a = operator(&[(1, SEND)]);
        a.role = AccountRole::Owner;
        assert!(!a.can_send(&facts(1, DialogStatus::Closed, Some(10))));
    }

    #[test]
    fn a_line_open_to_all_is_read_only_for_those_without_rights() {
        let mut a = operator(&[]);
        a.public_lines.push(LineId(3));
        let f = facts(3, DialogStatus::InWork, Some(99));
        assert!(a.can_view(&f));
        assert!(!a.can_send(&f));
    }

    #[test]
    fn an_operator_sees_only_lines_they_have_rights_on_or_that_are_open_to_all() {
        let mut a = operator(&[(1, VIEW)]);
        a.public_lines.push(LineId(3));
        assert!(a.can_view_line(LineId(1)));
        assert!(!a.can_view_line(LineId(2)));
        assert!(a.can_view_line(LineId(3)));
        assert!(a.can_view_channel(Some(LineId(1))));
        assert!(!a.can_view_channel(None));
        assert_eq!(a.line_rights(LineId(1)), VIEW);
        assert!(!a.can_manage_webhooks());
        a.role = AccountRole::Supervisor;
        assert!(a.can_view_line(LineId(2)));
        assert!(a.can_view_channel(None));
        assert!(!a.line_rights(LineId(2)).send);
        assert!(!a.can_manage_webhooks());
        a.role = AccountRole::Admin;
        assert_eq!(
            a.line_rights(LineId(2)),
            LineRights {
                view: true,
                send: true,
                admin: true
            }
        );
        assert!(a.can_manage_webhooks());
    }

    #[test]
    fn supervisors_see_everything_but_send_only_with_line_rights() {
        let mut a = operator(&[]);
        a.role = AccountRole::Supervisor;
        let f = facts(7, DialogStatus::InWork, Some(99));
        assert!(a.can_view(&f));
        assert!(!a.can_send(&f));
        a.role = AccountRole::Admin;
        assert!(a.can_send(&f));
    }

    #[test]
    fn tagging_follows_sight_and_the_catalogue_is_for_admins() {
        let reader = operator(&[(1, VIEW)]);
        assert!(reader.can_tag(&facts(1, DialogStatus::New, None)));
        assert!(
            !reader.can_tag(&facts(2, DialogStatus::New, None)),
            "out of sight"
        );
        assert!(!reader.can_tag(&facts(1, DialogStatus::InWork, Some(99))));
        assert!(reader.can_create_tags());
        assert!(!reader.can_manage_tags());
        let mut supervisor = operator(&[]);
        supervisor.role = AccountRole::Supervisor;
        assert!(supervisor.can_tag(&facts(7, DialogStatus::InWork, Some(99))));
        assert!(!supervisor.can_manage_tags());
        supervisor.role = AccountRole::Admin;
        assert!(supervisor.can_manage_tags());
    }

    #[test]
    fn blocking_a_client_needs_send_on_the_line_or_a_supervisor() {
        let f = facts(1, DialogStatus::New, None);
        assert!(operator(&[(1, SEND)]).can_block_client(&f));
        assert!(!operator(&[(1, VIEW)]).can_block_client(&f), "a reader");
        assert!(!operator(&[(2, SEND)]).can_block_client(&f), "another line");
        let mut supervisor = operator(&[]);
        supervisor.role = AccountRole::Supervisor;
        assert!(supervisor.can_block_client(&f));
    }
}
