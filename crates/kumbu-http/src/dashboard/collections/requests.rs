//! The collection requests (bills): newest first, by status, with what each asks, what is
//! paid, and its ERV reference (what the payer types at the bank).

use super::super::error::Page;
use super::super::layout::{framed_in, locale_of, view_mode, Section};
use super::super::messages::{t, M};
use super::super::session::Signed;
use super::super::table::{choice_filter, listing, older, page_or_empty, param, Col};
use super::collection_tabs;
use crate::pages::format::{amount, receipt_time};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::{CollectionRequest, CollectionStatus, Locale};
use kumbu_engine::RequestFilter;
use maud::{html, Markup};

/// Bills a page shows.
const PAGE: u32 = 50;

const COLUMNS: [Col; 5] = [
    Col::Text(M::CollectionRequest),
    Col::Num(M::Amount),
    Col::Num(M::Paid),
    Col::Text(M::Status),
    Col::Text(M::Created),
];

/// A bill, as a row.
fn line(locale: Locale, b: &CollectionRequest) -> Markup {
    html! {
        tr {
            th scope="row" {
                code { (b.id) } br;
                small {
                    (b.bill_number)
                    @if let Some(e) = &b.erv { " · ERV " (e.entity) " " (e.reference) }
                    @if let Some(d) = &b.description { " · " (d) }
                }
            }
            td.num { (amount(locale, b.currency, b.balance.amount)) }
            td.num { (amount(locale, b.currency, b.balance.amount_paid)) }
            td { (b.status().as_str()) }
            td { (receipt_time(b.created_at)) }
        }
    }
}

/// `GET /dashboard/collections/requests[?status=…][&after=col_…]`.
pub(in crate::dashboard) async fn requests(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let status = param(query.as_deref(), "status").and_then(|v| CollectionStatus::parse(&v));
    let after = param(query.as_deref(), "after");
    let filter = RequestFilter {
        statuses: status.into_iter().collect(),
        ..RequestFilter::default()
    };
    let (bills, has_more) = page_or_empty(
        state
            .engine
            .list_collection_requests(&s.actor.auth(mode), &filter, after.as_deref(), PAGE)
            .await,
        locale,
    )?;
    let base = match status {
        Some(st) => format!("/dashboard/collections/requests?status={}&", st.as_str()),
        None => "/dashboard/collections/requests?".to_owned(),
    };
    let more = older(&base, &bills, has_more, |b| b.id.clone());
    let rows: Vec<Markup> = bills.iter().map(|b| line(locale, b)).collect();
    let body = html! {
        (collection_tabs(locale, "/dashboard/collections/requests"))
        (choice_filter(locale, "/dashboard/collections/requests", ("status", M::Status), &CollectionStatus::ALL.map(|st| st.as_str()), status.map(|st| st.as_str())))
        (listing(locale, &COLUMNS, &rows, M::NoRequests, more))
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Collections, Some(t(locale, M::CollectionRequests))),
        StatusCode::OK,
        body,
    ))
}
