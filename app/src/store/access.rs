//! Line rights of a user, direct and through their groups.

use std::collections::HashMap;

use sqlx::PgExecutor;

use crate::auth::access::LineRights;
use crate::domain::{AccountId, GroupId, LineId, UserId};

/// Merged rights per line, the lines every user of the account may view, and the user's
/// groups, in one round trip.
pub async fn line_rights(
    db: impl PgExecutor<'_>,
    account: AccountId,
    user: UserId,
) -> sqlx::Result<(HashMap<LineId, LineRights>, Vec<LineId>, Vec<GroupId>)> {
    let rows: Vec<(LineId, bool, bool, bool, bool, Vec<GroupId>)> = sqlx::query_as(
        "SELECT l.id,
                coalesce(bool_or(a.can_view), false),
                coalesce(bool_or(a.can_send), false),
                coalesce(bool_or(a.can_admin), false),
                l.all_users_may_view,
                array(SELECT group_id FROM user_group_members
                       WHERE account_id = $1 AND user_id = $2)
           FROM lines l
           LEFT JOIN line_access a
                  ON a.line_id = l.id
                 AND (a.user_id = $2
                      OR a.group_id IN (SELECT group_id FROM user_group_members WHERE user_id = $2))
          WHERE l.account_id = $1
          GROUP BY l.id",
    )
    .bind(account)
    .bind(user)
    .fetch_all(db)
    .await?;
    let mut rights = HashMap::new();
    let mut public = Vec::new();
    let mut groups = Vec::new();
    for (line, view, send, admin, all_may_view, of_user) in rows {
        groups = of_user;
        if view || send || admin {
            // Send and administer imply view.
            rights.insert(
                line,
                LineRights {
                    view: true,
                    send,
                    admin,
                },
            );
        }
        if all_may_view {
            public.push(line);
        }
    }
    Ok((rights, public, groups))
}
