//! Reports (G2): dialogs closed per reason, line and operator in a period (D11), on the
//! page and as a CSV download.

use chrono::{Duration, NaiveDate, Utc};
use leptos::prelude::*;

use crate::api::close_reasons::close_report;
use crate::domain::LineId;
use crate::domain::close_reason::{ReportQuery, ReportRow};
use crate::i18n::use_i18n;
use crate::ui::components::common::Topbar;
use crate::ui::prefs::PagePrefs;

#[component]
pub fn ReportsPage() -> impl IntoView {
    let i18n = use_i18n();
    let prefs = expect_context::<PagePrefs>();
    let tz = prefs.tz_offset_minutes;
    let today = (Utc::now() + Duration::minutes(tz.into())).date_naive();
    let from = RwSignal::new(today - Duration::days(29));
    let to = RwSignal::new(today);
    let line = RwSignal::new(None::<LineId>);
    // What the table shows: changed by "Show", not by every keystroke.
    let asked = RwSignal::new(ReportQuery {
        from: from.get_untracked(),
        to: to.get_untracked(),
        line_id: None,
    });
    let report = Resource::new(move || asked.get(), move |query| close_report(query, tz));
    let show = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        asked.set(ReportQuery {
            from: from.get_untracked(),
            to: to.get_untracked(),
            line_id: line.get_untracked(),
        });
    };
    let csv_href = move || {
        let q = asked.get();
        let line = q
            .line_id
            .map(|l| format!("&line_id={l}"))
            .unwrap_or_default();
        format!(
            "/reports/close-reasons.csv?from={}&to={}{line}&tz={tz}",
            q.from, q.to
        )
    };
    let date_input = move |label: &'static str, value: RwSignal<NaiveDate>| {
        view! {
            <label class="dlg-field">
                <span class="dlg-field__label">{move || i18n.t(label)}</span>
                <input
                    class="dlg-input"
                    type="date"
                    required
                    prop:value=move || format_day(value.get())
                    on:change=move |ev| {
                        if let Some(d) = parse_day(&event_target_value(&ev)) {
                            value.set(d);
                        }
                    }
                />
            </label>
        }
    };

    view! {
        <div class="dlg-app">
            <Topbar />
            <main class="dlg-settings dlg-report">
                <h1>{move || i18n.t("report.title")}</h1>
                <form class="dlg-report__filters" on:submit=show>
                    {date_input("report.from", from)}
                    {date_input("report.to", to)}
                    <label class="dlg-field">
                        <span class="dlg-field__label">{move || i18n.t("report.line")}</span>
                        <select
                            class="dlg-input"
                            name="line"
                            on:change=move |ev| {
                                line.set(event_target_value(&ev).parse::<i64>().ok().map(LineId))
                            }
                        >
                            <option value="">{move || i18n.t("report.all_lines")}</option>
                            <Transition>
                                {move || Suspend::new(async move {
                                    report
                                        .await
                                        .map(|(_, lines)| {
                                            lines
                                                .lines
                                                .into_iter()
                                                .map(|(id, name)| {
                                                    view! {
                                                        <option
                                                            value=id.0.to_string()
                                                            selected=move || line.get() == Some(id)
                                                        >
                                                            {name}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()
                                        })
                                        .ok()
                                })}
                            </Transition>
                        </select>
                    </label>
                    <button type="submit" class="dlg-button dlg-button--primary">
                        {move || i18n.t("report.show")}
                    </button>
                    <a class="dlg-button" href=csv_href download="" rel="external">
                        {move || i18n.t("report.csv")}
                    </a>
                </form>
                <Transition fallback=move || view! { <p>{move || i18n.t("inbox.loading")}</p> }>
                    {move || Suspend::new(async move {
                        match report.await {
                            Ok((rows, _)) if rows.is_empty() => {
                                view! { <p class="dlg-settings__hint">{move || i18n.t("report.empty")}</p> }
                                    .into_any()
                            }
                            Ok((rows, _)) => view! { <ReportTables rows /> }.into_any(),
                            Err(e) => {
                                let key = e.key().to_owned();
                                view! { <p class="dlg-settings__error" role="alert">{move || i18n.t(&key)}</p> }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
            </main>
        </div>
    }
}

/// Totals per reason, then every reason × line × operator row.
#[component]
fn ReportTables(rows: Vec<ReportRow>) -> impl IntoView {
    let i18n = use_i18n();
    let total: i64 = rows.iter().map(|r| r.closed).sum();
    let mut by_reason: Vec<(Option<String>, i64)> = Vec::new();
    for row in &rows {
        match by_reason.iter_mut().find(|(r, _)| *r == row.reason) {
            Some((_, n)) => *n += row.closed,
            None => by_reason.push((row.reason.clone(), row.closed)),
        }
    }
    by_reason.sort_by_key(|r| std::cmp::Reverse(r.1));
    let reason_name = move |r: Option<String>| r.unwrap_or_else(|| i18n.t("report.no_reason"));
    let share = move |n: i64| {
        if total == 0 {
            0.0
        } else {
            n as f64 * 100.0 / total as f64
        }
    };
    view! {
        <section class="dlg-settings__section">
            <h2>{move || i18n.t("report.by_reason")}</h2>
            <ul class="dlg-report__bars">
                {by_reason
                    .into_iter()
                    .map(|(reason, n)| {
                        let pct = share(n);
                        view! {
                            <li class="dlg-report__bar" style=format!("--share: {pct:.1}%")>
                                <span class="dlg-report__bar-name">{reason_name(reason)}</span>
                                <span class="dlg-report__bar-value">{format!("{n} · {pct:.0}%")}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <section class="dlg-settings__section">
            <table class="dlg-report__table">
                <thead>
                    <tr>
                        <th scope="col">{move || i18n.t("report.reason")}</th>
                        <th scope="col">{move || i18n.t("report.line")}</th>
                        <th scope="col">{move || i18n.t("report.operator")}</th>
                        <th scope="col" class="dlg-report__num">{move || i18n.t("report.closed")}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td>{reason_name(r.reason)}</td>
                                    <td>{r.line}</td>
                                    <td>{r.operator.unwrap_or_else(|| i18n.t("report.none"))}</td>
                                    <td class="dlg-report__num">{r.closed}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
                <tfoot>
                    <tr>
                        <th scope="row" colspan="3">{move || i18n.t("report.total")}</th>
                        <td class="dlg-report__num">{total}</td>
                    </tr>
                </tfoot>
            </table>
        </section>
    }
}

/// "2026-12-02" from a date input. By hand: chrono's format parser would add tens of
/// kilobytes to the browser bundle for one field.
fn parse_day(value: &str) -> Option<NaiveDate> {
    let mut parts = value.splitn(3, '-').map(str::parse::<u32>);
    let (y, m, d) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

fn format_day(day: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", day.year(), day.month(), day.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_the_date_input_format() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(format_day(day), "2026-03-09");
        assert_eq!(parse_day("2026-03-09"), Some(day));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day(""), None);
        assert_eq!(parse_day("x-1-1"), None);
    }
}
