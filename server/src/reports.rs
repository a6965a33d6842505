//! Report downloads (G2): `GET /reports/close-reasons.csv?from=…&to=…&line_id=…&tz=…`,
//! the close reason report of the Reports page as a CSV file, for the signed-in user.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use app::auth::{Access, MaybeUser};
use app::domain::close_reason::{ReportQuery, to_csv};
use app::error::AppError;
use app::i18n::translate;

use crate::startup::AppState;

/// The query string (flat: `serde(flatten)` would read every value as text).
#[derive(Debug, serde::Deserialize)]
pub struct CsvQuery {
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    #[serde(default)]
    line_id: Option<app::domain::LineId>,
    /// The browser's offset from UTC in minutes (days are the user's days).
    #[serde(default)]
    tz: i32,
}

pub async fn close_reasons_csv(
    State(state): State<AppState>,
    Extension(MaybeUser(user)): Extension<MaybeUser>,
    query: Result<Query<CsvQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(user) = user else {
        return (StatusCode::UNAUTHORIZED, "Please sign in.").into_response();
    };
    let Ok(Query(q)) = query else {
        return error(AppError::validation("from", "error.validation"));
    };
    let access = match Access::load(&state.pool, &user).await {
        Ok(access) => access,
        Err(e) => return error(e),
    };
    let query = ReportQuery {
        from: q.from,
        to: q.to,
        line_id: q.line_id,
    };
    let rows =
        match app::api::close_reasons::report(&state.pool, &user, &access, &query, q.tz).await {
            Ok(rows) => rows,
            Err(e) => return error(e),
        };
    let t = |key: &str| translate(user.locale, key);
    let csv = to_csv(
        &rows,
        [
            &t("report.reason"),
            &t("report.line"),
            &t("report.operator"),
            &t("report.closed"),
        ],
        &t("report.no_reason"),
    );
    let name = format!("close-reasons-{}-{}.csv", query.from, query.to);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
        .into_response()
}

fn error(e: AppError) -> Response {
    (e.status(), Json(e)).into_response()
}
