//! The merchant's refunds, newest first, each with the payment it returns money from.

use super::super::error::Page;
use super::super::layout::{framed_in, locale_of, view_mode, Section};
use super::super::messages::{t, M};
use super::super::session::Signed;
use super::super::table::{listing, older, page_or_empty, param, Col};
use super::payment_tabs;
use crate::pages::format::{amount, receipt_time};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::{Locale, Refund};
use maud::{html, Markup};

const COLUMNS: [Col; 5] = [
    Col::Text(M::Refund),
    Col::Num(M::Amount),
    Col::Text(M::Status),
    Col::Text(M::Payment),
    Col::Text(M::When),
];

fn line(locale: Locale, r: &Refund) -> Markup {
    html! {
        tr {
            th scope="row" { code { (r.id) } @if let Some(why) = &r.reason { br; small { (why) } } }
            td.num { (amount(locale, r.currency, r.amount)) }
            td { span class={ "status " (r.status.as_str()) } { (t(locale, M::refund_status(r.status))) } }
            td { a href={ "/dashboard/payments/" (r.payment_id) } { code { (r.payment_id) } } }
            td { (receipt_time(r.created_at)) }
        }
    }
}

/// `GET /dashboard/refunds[?after=rf_…]`.
pub(in crate::dashboard) async fn refunds(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let after = param(query.as_deref(), "after");
    let (rows, has_more) = page_or_empty(
        state
            .engine
            .list_refunds(&s.actor.auth(mode), None, after.as_deref(), 50)
            .await,
        locale,
    )?;
    let more = older("/dashboard/refunds?", &rows, has_more, |r| r.id.clone());
    let lines: Vec<Markup> = rows.iter().map(|r| line(locale, r)).collect();
    let body = html! {
        (payment_tabs(locale, "/dashboard/refunds"))
        p.hint { (t(locale, M::RefundsHelp)) }
        (listing(locale, &COLUMNS, &lines, M::NoRefunds, more))
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Payments, Some(t(locale, M::Refunds))),
        StatusCode::OK,
        body,
    ))
}
