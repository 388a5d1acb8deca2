//! The merchant's hosted checkout sessions, newest first, by status: what each asks, how it
//! went, and the payment that paid it.

use super::super::error::Page;
use super::super::layout::{framed_in, locale_of, view_mode, Section};
use super::super::messages::{t, M};
use super::super::session::Signed;
use super::super::table::{choice_filter, listing, older, page_or_empty, param, Col};
use super::payment_tabs;
use crate::pages::format::{amount, receipt_time};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::{CheckoutSession, CheckoutStatus, Locale};
use maud::{html, Markup};

const COLUMNS: [Col; 5] = [
    Col::Text(M::CheckoutSession),
    Col::Num(M::Amount),
    Col::Text(M::Status),
    Col::Text(M::Payment),
    Col::Text(M::Created),
];

fn line(locale: Locale, c: &CheckoutSession) -> Markup {
    html! {
        tr {
            th scope="row" { code { (c.id) } @if let Some(d) = &c.description { br; small { (d) } } }
            td.num { (amount(locale, c.currency, c.amount)) }
            td { span class={ "status " (c.status.as_str()) } { (c.status.as_str()) } }
            td {
                @if let Some(a) = &c.attempt {
                    a href={ "/dashboard/payments/" (a.payment_id) } { code { (a.payment_id) } }
                    " · " (a.operator.code())
                } @else { "—" }
            }
            td { (receipt_time(c.created_at)) }
        }
    }
}

/// `GET /dashboard/checkout-sessions[?status=…][&after=cs_…]`.
pub(in crate::dashboard) async fn sessions(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let status = param(query.as_deref(), "status").and_then(|v| CheckoutStatus::parse(&v));
    let after = param(query.as_deref(), "after");
    let statuses: Vec<CheckoutStatus> = status.into_iter().collect();
    let (rows, has_more) = page_or_empty(
        state
            .engine
            .list_checkout_sessions(&s.actor.auth(mode), &statuses, after.as_deref(), 50)
            .await,
        locale,
    )?;
    let base = match status {
        Some(st) => format!("/dashboard/checkout-sessions?status={}&", st.as_str()),
        None => "/dashboard/checkout-sessions?".to_owned(),
    };
    let more = older(&base, &rows, has_more, |c| c.id.clone());
    let lines: Vec<Markup> = rows.iter().map(|c| line(locale, c)).collect();
    let body = html! {
        (payment_tabs(locale, "/dashboard/checkout-sessions"))
        (choice_filter(locale, "/dashboard/checkout-sessions", ("status", M::Status), &CheckoutStatus::ALL.map(|st| st.as_str()), status.map(|st| st.as_str())))
        (listing(locale, &COLUMNS, &lines, M::NoCheckoutSessions, more))
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Payments, Some(t(locale, M::CheckoutSessions))),
        StatusCode::OK,
        body,
    ))
}
