//! The reconciliation report of one day (UTC): per source, how many payments came in with
//! each outcome, status and decision, their totals, and what they reported to the ledger.

use super::super::error::Page;
use super::super::layout::{framed_in, locale_of, view_mode, Section};
use super::super::messages::{t, M};
use super::super::session::Signed;
use super::super::table::param;
use super::collection_tabs;
use crate::pages::format::amount;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::Timestamp;
use kumbu_engine::EngineError;
use maud::html;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

/// The day before and after `date` (`YYYY-MM-DD`), if it is one.
fn around(date: &str) -> Option<(String, String)> {
    let t = Timestamp::parse_rfc3339(&format!("{date}T00:00:00Z"))?;
    let day = |t: Timestamp| t.to_rfc3339()[..10].to_owned();
    Some((day(t.minus(DAY)), day(t.plus(DAY))))
}

/// `GET /dashboard/collections/report[?date=YYYY-MM-DD]` (today, UTC, by default).
pub(in crate::dashboard) async fn report(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let today = state.engine.now().to_rfc3339()[..10].to_owned();
    let date = param(query.as_deref(), "date").unwrap_or(today);
    let (report, status, refusal) = match state
        .engine
        .reconciliation_report(&s.actor.auth(mode), &date, None)
        .await
    {
        Ok(r) => (Some(r), StatusCode::OK, None),
        Err(EngineError::Rejected(r)) => (None, StatusCode::BAD_REQUEST, Some(r.message)),
        Err(e) => return Err(Page::from_engine(e, locale)),
    };
    let body = html! {
        (collection_tabs(locale, "/dashboard/collections/report"))
        form.filters method="get" action="/dashboard/collections/report" {
            label for="date" { (t(locale, M::Day)) }
            input id="date" name="date" type="date" value=(date) required;
            button type="submit" { (t(locale, M::Show)) }
        }
        @if let Some(why) = refusal { p.error role="alert" { (why) } }
        @if let Some((before, after)) = around(&date) {
            p {
                a href={ "/dashboard/collections/report?date=" (before) } { "← " (before) }
                " · "
                a href={ "/dashboard/collections/report?date=" (after) } { (after) " →" }
            }
        }
        @if let Some(r) = report {
            @if r.lines.is_empty() {
                p { (t(locale, M::NothingThatDay)) }
            } @else {
                div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                    thead {
                        tr {
                            th scope="col" { (t(locale, M::Source)) }
                            th scope="col" { (t(locale, M::Outcome)) }
                            th scope="col" { (t(locale, M::Status)) }
                            th scope="col" { (t(locale, M::Decision)) }
                            th.num scope="col" { (t(locale, M::Count)) }
                            th.num scope="col" { (t(locale, M::Total)) }
                        }
                    }
                    tbody {
                        @for l in &r.lines {
                            tr {
                                th scope="row" { (l.source) }
                                td { (l.outcome.as_str()) }
                                td { (l.status.as_str()) }
                                td { (l.resolution.map_or("—", |d| d.as_str())) }
                                td.num { (l.count) }
                                td.num { (amount(locale, l.currency, l.total)) }
                            }
                        }
                    }
                } }
                h2 { (t(locale, M::LedgerEffect)) }
                ul {
                    @for (currency, minor) in &r.ledger_effect {
                        li { (amount(locale, *currency, *minor)) }
                    }
                }
            }
        }
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Collections, Some(t(locale, M::Reconciliation))),
        status,
        body,
    ))
}
