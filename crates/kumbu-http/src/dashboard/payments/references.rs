//! The merchant's Multicaixa payment references (ProxyPay), newest first: the number the
//! payer types at the ATM, the amount it asks (or any), until when, and whether it was paid.

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
use kumbu_core::{Currency, Locale, Reference};
use maud::{html, Markup};

const COLUMNS: [Col; 5] = [
    Col::Text(M::Reference),
    Col::Num(M::Amount),
    Col::Text(M::Status),
    Col::Text(M::Until),
    Col::Text(M::Created),
];

fn line(locale: Locale, r: &Reference) -> Markup {
    html! {
        tr {
            th scope="row" { code { (format!("{:09}", r.id)) } }
            td.num { @match r.amount { Some(a) => (amount(locale, Currency::Aoa, a)), None => (t(locale, M::AnyAmount)) } }
            td { (r.status.as_str()) }
            td { @match r.end_at { Some(e) => (receipt_time(e)), None => "—" } }
            td { (receipt_time(r.created_at)) }
        }
    }
}

/// `GET /dashboard/references[?after=…]`.
pub(in crate::dashboard) async fn references(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let after = param(query.as_deref(), "after").and_then(|a| a.parse::<u64>().ok());
    let (rows, has_more) = page_or_empty(
        state
            .engine
            .list_references(&s.actor.auth(mode), after, 50)
            .await,
        locale,
    )?;
    let more = older("/dashboard/references?", &rows, has_more, |r| {
        r.id.to_string()
    });
    let lines: Vec<Markup> = rows.iter().map(|r| line(locale, r)).collect();
    let body = html! {
        (payment_tabs(locale, "/dashboard/references"))
        (listing(locale, &COLUMNS, &lines, M::NoReferences, more))
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Payments, Some(t(locale, M::References))),
        StatusCode::OK,
        body,
    ))
}
