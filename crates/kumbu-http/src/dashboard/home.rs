//! `/dashboard`: the home page. Balances from the ledger, live and test apart (test data is
//! marked as such); then, for the data the switch shows, the last day, 7 or 30 days: payments
//! per day that succeeded and failed (an SVG chart), and by operator how many, the success
//! rate and the volume; and the latest failures. The figures come from the daily summary the
//! engine keeps as payments change (`Engine::payment_days`), so the page answers as fast for a
//! million payments as for ten.

use super::chart::{rate, stacked_bars, Bar};
use super::error::Page;
use super::layout::{framed_in, locale_of, view_mode, Section};
use super::messages::{reason, t, tf, M};
use super::session::Signed;
use super::table::{listing, param, Col};
use crate::pages::format::{amount, receipt_time};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::{Currency, Locale, Mode, Operator, PaymentStatus};
use kumbu_engine::{Balance, PaymentDay, PaymentFilter};
use maud::{html, Markup};
use std::collections::BTreeMap;
use std::time::Duration;

/// The periods offered, in days (today is one).
const PERIODS: [(u32, M); 3] = [(1, M::Today), (7, M::Last7Days), (30, M::Last30Days)];

/// Failures listed.
const FAILURES: u32 = 5;

fn balances(locale: Locale, mode: Mode, rows: &[Balance]) -> Markup {
    let (title, class) = match mode {
        Mode::Live => (M::LiveData, "live"),
        Mode::Test => (M::TestData, "test"),
    };
    html! {
        section class=(class) aria-labelledby={ "balances-" (mode.as_str()) } {
            h2 id={ "balances-" (mode.as_str()) } { (t(locale, M::Balances)) " · " (t(locale, title)) }
            @if rows.is_empty() {
                p { (t(locale, M::NoBalances)) }
            } @else {
                div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                    thead {
                        tr {
                            th scope="col" { (t(locale, M::Currency)) }
                            th.num scope="col" { (t(locale, M::Available)) }
                            th.num scope="col" { (t(locale, M::Pending)) }
                            th.num scope="col" { (t(locale, M::Reported)) }
                        }
                    }
                    tbody {
                        @for b in rows {
                            tr {
                                th scope="row" { (b.currency.code()) }
                                td.num { (amount(locale, b.currency, b.available)) }
                                td.num { (amount(locale, b.currency, b.pending)) }
                                td.num { (amount(locale, b.currency, b.reported)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// The period's days, oldest first, each with what succeeded and failed (days without
/// payments included, as zeros).
fn per_day(state: &AppState, days: u32, rows: &[PaymentDay]) -> Vec<Bar> {
    let today = state.engine.now();
    let mut by_day: BTreeMap<String, (i64, i64)> = (0..days)
        .map(|back| {
            let d = today.minus(Duration::from_secs(86_400 * u64::from(back)));
            (d.to_rfc3339()[..10].to_owned(), (0, 0))
        })
        .collect();
    for r in rows {
        if let Some(sum) = by_day.get_mut(&r.day) {
            sum.0 += r.succeeded;
            sum.1 += r.failed;
        }
    }
    by_day
        .into_iter()
        .map(|(label, (good, bad))| Bar { label, good, bad })
        .collect()
}

/// The period by operator and currency: succeeded, failed, volume.
fn by_operator(rows: &[PaymentDay]) -> BTreeMap<(&'static str, Currency), Sums> {
    let mut out: BTreeMap<_, Sums> = BTreeMap::new();
    for r in rows {
        let e = out.entry((r.operator.code(), r.currency)).or_insert(Sums {
            operator: r.operator,
            currency: r.currency,
            ok: 0,
            failed: 0,
            volume: 0,
        });
        e.ok += r.succeeded;
        e.failed += r.failed;
        e.volume += r.succeeded_amount;
    }
    out
}

/// One operator's period in one currency.
struct Sums {
    operator: Operator,
    currency: Currency,
    ok: i64,
    failed: i64,
    volume: i64,
}

const OPERATOR_COLUMNS: [Col; 5] = [
    Col::Text(M::Operator),
    Col::Num(M::Succeeded),
    Col::Num(M::Failed),
    Col::Text(M::SuccessRate),
    Col::Num(M::Volume),
];

fn activity(state: &AppState, locale: Locale, days: u32, rows: &[PaymentDay]) -> Markup {
    let bars = per_day(state, days, rows);
    let n = days.to_string();
    let chart = stacked_bars(
        "per-day",
        t(locale, M::PaymentsPerDay),
        &tf(locale, M::PaymentsPerDayDesc, &[("days", &n)]),
        &bars,
        |b| {
            let (good, bad) = (b.good.to_string(), b.bad.to_string());
            tf(
                locale,
                M::BarTip,
                &[("day", &b.label), ("ok", &good), ("failed", &bad)],
            )
        },
    );
    let lines: Vec<Markup> = by_operator(rows)
        .into_values()
        .map(|s| {
            html! {
                tr {
                    th scope="row" { (s.operator.code()) }
                    td.num { (s.ok) }
                    td.num { (s.failed) }
                    td { @if let Some((bar, text)) = rate(s.ok, s.ok + s.failed) { (bar) " " (text) } @else { "—" } }
                    td.num { (amount(locale, s.currency, s.volume)) }
                }
            }
        })
        .collect();
    html! {
        section aria-labelledby="activity" {
            h2 id="activity" { (t(locale, M::Activity)) }
            nav.tabs aria-label=(t(locale, M::Period)) {
                ul {
                    @for (d, name) in PERIODS {
                        li { a href={ "/dashboard?days=" (d) } aria-current=[(d == days).then_some("page")] { (t(locale, name)) } }
                    }
                }
            }
            @if rows.is_empty() {
                p { (t(locale, M::NoActivity)) }
            } @else {
                (chart)
                (listing(locale, &OPERATOR_COLUMNS, &lines, M::NoActivity, None))
            }
        }
    }
}

/// `GET /dashboard[?days=1|7|30]` (7 by default).
pub(super) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let days = param(query.as_deref(), "days")
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|d| PERIODS.iter().any(|(p, _)| p == d))
        .unwrap_or(7);
    let failed = |e| Page::from_engine(e, locale);
    let mut sections = Vec::new();
    for m in [Mode::Live, Mode::Test] {
        let rows = state
            .engine
            .balance(&s.actor.auth(m))
            .await
            .map_err(failed)?;
        sections.push(balances(locale, m, &rows));
    }
    let auth = s.actor.auth(mode);
    let rows = state
        .engine
        .payment_days(&auth, days)
        .await
        .map_err(failed)?;
    let filter = PaymentFilter {
        status: Some(PaymentStatus::Failed),
        ..PaymentFilter::default()
    };
    let failures = state
        .engine
        .list_payments(&auth, &filter, None, FAILURES)
        .await
        .map_err(failed)?
        .data;
    let body = html! {
        @for section in &sections { (section) }
        (activity(&state, locale, days, &rows))
        section aria-labelledby="failures" {
            h2 id="failures" { (t(locale, M::RecentFailures)) }
            @if failures.is_empty() {
                p { (t(locale, M::NoFailures)) }
            } @else {
                ul.failures {
                    @for p in &failures {
                        li {
                            a href={ "/dashboard/payments/" (p.id) } { code { (p.id) } }
                            " · " (amount(locale, p.currency, p.amount)) " · " (p.operator.code())
                            @if let Some(c) = p.failure_code { " · " (reason(locale, c)) }
                            " · " (receipt_time(p.created_at))
                        }
                    }
                }
                p { a href="/dashboard/payments?status=failed" { (t(locale, M::AllFailures)) } }
            }
        }
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Home, None),
        StatusCode::OK,
        body,
    ))
}
