//! `/dashboard`: the home page. Balances from the ledger, live and test apart (test data is
//! marked as such).

use super::error::Page;
use super::layout::locale_of;
use super::layout::{framed, Section};
use super::messages::{t, M};
use super::session::Signed;
use crate::pages::format::amount;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::{Locale, Mode};
use kumbu_engine::Balance;
use maud::{html, Markup};

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
                table {
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
                }
            }
        }
    }
}

/// `GET /dashboard`.
pub(super) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let mut sections = Vec::new();
    for mode in [Mode::Live, Mode::Test] {
        let rows = state
            .engine
            .balance(&s.actor.auth(mode))
            .await
            .map_err(|e| Page::from_engine(e, locale))?;
        sections.push(balances(locale, mode, &rows));
    }
    let body = html! { @for section in &sections { (section) } };
    Ok(framed(
        &state,
        &s,
        locale,
        Section::Home,
        StatusCode::OK,
        body,
    ))
}
