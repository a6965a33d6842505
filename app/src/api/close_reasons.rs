//! The close reason catalogue (D11, G1) and its report (G2). Owners and admins edit the
//! catalogue; those who see every dialog (owners, admins, supervisors) read the report.

use leptos::prelude::*;

use crate::domain::close_reason::{CloseReason, ReportQuery, ReportRow};
use crate::domain::{CloseReasonId, LineId};
use crate::error::AppError;

/// The catalogue with archived reasons, for the settings screen.
#[server(endpoint = "list_close_reasons")]
pub async fn list_close_reasons() -> Result<Vec<CloseReason>, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_manage_close_reasons() {
                return Err(AppError::Forbidden);
            }
            Ok(crate::store::close_reasons::list(&state.pool, user.account_id, true).await?)
        }
        .await,
    )
}

/// A change to the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CatalogueChange {
    Add {
        name: String,
    },
    Rename {
        id: CloseReasonId,
        name: String,
    },
    Archive {
        id: CloseReasonId,
    },
    Restore {
        id: CloseReasonId,
    },
    /// Deleted when no dialog was closed with it; archived otherwise.
    Delete {
        id: CloseReasonId,
    },
    /// The active reasons in their new order.
    Reorder {
        ids: Vec<CloseReasonId>,
    },
}

/// Changes the catalogue; answers with it as it is after the change.
#[server(endpoint = "change_close_reasons", input = leptos::server_fn::codec::Json)]
pub async fn change_close_reasons(change: CatalogueChange) -> Result<Vec<CloseReason>, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::close_reason::parse_name;
            use crate::store::close_reasons::{self as reasons, Changed};

            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_manage_close_reasons() {
                return Err(AppError::Forbidden);
            }
            let account = user.account_id;
            let mut tx = state.pool.begin().await?;
            let name = |n: &str| parse_name(n).map_err(|key| AppError::validation("name", key));
            let taken = || AppError::validation("name", "error.close_reasons.taken");
            match &change {
                CatalogueChange::Add { name: n } => {
                    reasons::add(&mut tx, account, &name(n)?)
                        .await?
                        .ok_or_else(taken)?;
                }
                CatalogueChange::Rename { id, name: n } => {
                    match reasons::rename(&mut tx, account, *id, &name(n)?).await? {
                        Changed::Done => {}
                        Changed::NotFound => return Err(AppError::NotFound),
                        Changed::NameTaken => return Err(taken()),
                    }
                }
                CatalogueChange::Archive { id } | CatalogueChange::Restore { id } => {
                    let archived = matches!(change, CatalogueChange::Archive { .. });
                    if !reasons::set_archived(&mut tx, account, *id, archived).await? {
                        return Err(AppError::NotFound);
                    }
                }
                CatalogueChange::Delete { id } => {
                    if !reasons::remove(&mut tx, account, *id).await? {
                        return Err(AppError::NotFound);
                    }
                }
                CatalogueChange::Reorder { ids } => {
                    if ids.len() > 1_000 {
                        return Err(AppError::validation("ids", "error.validation"));
                    }
                    reasons::reorder(&mut tx, account, ids).await?;
                }
            }
            let list = reasons::list(&mut *tx, account, true).await?;
            tx.commit().await?;
            Ok(list)
        }
        .await,
    )
}

/// What the report page offers: the lines to filter by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportLines {
    pub lines: Vec<(LineId, String)>,
}

/// The report: dialogs closed in the period per reason, line and operator.
#[server(endpoint = "close_report")]
pub async fn close_report(
    query: ReportQuery,
    tz_offset_minutes: i32,
) -> Result<(Vec<ReportRow>, ReportLines), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            let rows = report(&state.pool, &user, &access, &query, tz_offset_minutes).await?;
            let lines = crate::store::lines::list(&state.pool, user.account_id)
                .await?
                .into_iter()
                .map(|l| (l.id, l.name))
                .collect();
            Ok((rows, ReportLines { lines }))
        }
        .await,
    )
}

/// The report's rows for the page and the CSV download.
#[cfg(feature = "ssr")]
pub async fn report(
    pool: &sqlx::PgPool,
    user: &crate::auth::CurrentUser,
    access: &crate::auth::Access,
    query: &ReportQuery,
    tz_offset_minutes: i32,
) -> Result<Vec<ReportRow>, AppError> {
    if !access.can_read_reports() {
        return Err(AppError::Forbidden);
    }
    query
        .validate()
        .map_err(|key| AppError::validation("to", key))?;
    if tz_offset_minutes.abs() > 14 * 60 {
        return Err(AppError::validation(
            "tz_offset_minutes",
            "error.validation",
        ));
    }
    Ok(
        crate::store::close_reasons::report(pool, user.account_id, query, tz_offset_minutes, None)
            .await?,
    )
}
