//! `GET /lines`: the lines the token's user may see, with their rights on each.

use app::store;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, ApiUser, ErrorBody};
use crate::startup::AppState;

/// A line: a group of channels with its own routing and access rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct Line {
    pub id: i64,
    pub name: String,
    /// Every user of the account may view its dialogs.
    pub all_users_may_view: bool,
    /// The token's user may see the line's queue.
    pub can_view: bool,
    /// The token's user may send messages to clients in its dialogs.
    pub can_send: bool,
    /// The token's user may change its settings.
    pub can_admin: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineList {
    pub data: Vec<Line>,
}

/// Lines the token's user may see, by name.
#[utoipa::path(
    get,
    operation_id = "list_lines",
    path = "/lines",
    tag = "lines",
    responses(
        (status = 200, description = "The lines", body = LineList),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, api: ApiUser) -> ApiResult<Json<LineList>> {
    let lines = store::lines::list(&state.pool, api.access.account_id).await?;
    let data = lines
        .into_iter()
        .filter(|l| api.access.can_view_line(l.id))
        .map(|l| {
            let rights = api.access.line_rights(l.id);
            Line {
                id: l.id.0,
                name: l.name,
                all_users_may_view: l.all_users_may_view,
                can_view: rights.view,
                can_send: rights.send,
                can_admin: rights.admin,
                created_at: l.created_at,
            }
        })
        .collect();
    Ok(Json(LineList { data }))
}
