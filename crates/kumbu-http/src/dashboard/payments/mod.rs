//! `/dashboard/payments`: the merchant's payments in the mode the switch shows, newest first,
//! with filters (status, operator, currency, dates, amount) and search (id, merchant or
//! operator reference, phone, shown masked), cursor paging and CSV export of the filtered list;
//! one payment's page with its timeline; refund and cancel, for the roles that move money (live
//! money from a session signed in with the second factor), each audited with the change.
//!
//! The section's other pages: refunds, payouts (and a new one), hosted checkout sessions,
//! Multicaixa references.
//!
//! `mod.rs` the list and its CSV, `filters.rs` the filters' form and what they mean to the
//! store, `detail.rs` a payment's page and its two actions, `refunds.rs`, `payouts.rs`,
//! `sessions.rs`, `references.rs`, `trail.rs` (a payment's ledger postings and events).

mod detail;
mod filters;
mod payouts;
mod references;
mod refunds;
mod sessions;
mod trail;

pub(super) use detail::{cancel, refund, show};
pub(super) use payouts::{create as create_payout, payouts};
pub(super) use references::references;
pub(super) use refunds::refunds;
pub(super) use sessions::sessions;

use super::error::Page;
use super::layout::{framed_in, locale_of, tabs, view_mode, Section};
use super::messages::{t, M};
use super::session::Signed;
use crate::csv::{csv_field, csv_response};
use crate::pages::format::{amount, receipt_time};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use filters::{filter_form, phone_shown, Filters};
use kumbu_core::{Action, Locale};
use kumbu_engine::EngineError;
use maud::{html, Markup};

/// The section's pages, as tabs.
fn payment_tabs(locale: Locale, here: &str) -> Markup {
    tabs(
        locale,
        &[
            ("/dashboard/payments", M::Payments),
            ("/dashboard/refunds", M::Refunds),
            ("/dashboard/payouts", M::Payouts),
            ("/dashboard/checkout-sessions", M::CheckoutSessions),
            ("/dashboard/references", M::References),
        ],
        here,
    )
}

/// Payments a page shows.
const PAGE: u32 = 50;

/// Most payments one CSV export holds.
const EXPORT_MAX: usize = 10_000;

/// `GET /dashboard/payments`.
pub(super) async fn list(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let mode = view_mode(&headers);
    let (f, after) = Filters::parse(query.as_deref());
    let form = filter_form(&state, locale, &f);
    let filter = match f.to_filter(locale) {
        Ok(filter) => filter,
        Err(why) => {
            let body = html! { (form) p.error role="alert" { (why) } };
            let seen = (locale, mode);
            return Ok(framed_in(
                &state,
                &s,
                seen,
                (Section::Payments, None),
                StatusCode::BAD_REQUEST,
                body,
            ));
        }
    };
    // An id goes straight to its payment.
    if let Some(q) = f.q.as_deref().filter(|q| q.starts_with("pay_")) {
        if state.engine.payment(&s.actor.auth(mode), q).await.is_ok() {
            return Ok(Redirect::to(&format!("/dashboard/payments/{q}")).into_response());
        }
    }
    let auth = s.actor.auth(mode);
    let page = match state
        .engine
        .list_payments(&auth, &filter, after.as_deref(), PAGE)
        .await
    {
        Ok(p) => p,
        Err(EngineError::Rejected(_)) => kumbu_engine::PaymentPage {
            data: Vec::new(),
            has_more: false,
        },
        Err(e) => return Err(Page::from_engine(e, locale)),
    };
    let keep = f.query();
    let body = html! {
        (payment_tabs(locale, "/dashboard/payments"))
        (form)
        @if s.actor.person.role.may(Action::Export) {
            p { a href={ "/dashboard/payments.csv?" (keep) } download { (t(locale, M::ExportCsv)) } }
        }
        @if page.data.is_empty() {
            p { (t(locale, M::NoPayments)) }
        } @else {
            div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table.payments {
                thead {
                    tr {
                        th scope="col" { (t(locale, M::Payment)) }
                        th.num scope="col" { (t(locale, M::Amount)) }
                        th scope="col" { (t(locale, M::Status)) }
                        th scope="col" { (t(locale, M::Operator)) }
                        th scope="col" { (t(locale, M::When)) }
                    }
                }
                tbody {
                    @for p in &page.data {
                        tr {
                            th scope="row" {
                                a href={ "/dashboard/payments/" (p.id) } { code { (p.id) } }
                                @if let Some(r) = &p.reference { br; small { (r) } }
                            }
                            td.num { (amount(locale, p.currency, p.amount)) }
                            td { span class={ "status " (p.status.as_str()) } { (t(locale, M::payment_status(p.status))) } }
                            td { (p.operator.code()) br; small { (phone_shown(p)) } }
                            td { (receipt_time(p.created_at)) }
                        }
                    }
                }
            } }
            @if page.has_more {
                @if let Some(last) = page.data.last() {
                    p { a href={ "/dashboard/payments?" (keep) "&after=" (last.id) } { (t(locale, M::Older)) } }
                }
            }
        }
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Payments, None),
        StatusCode::OK,
        body,
    ))
}

/// `GET /dashboard/payments.csv`: the filtered list (up to 10,000 payments), phones masked.
pub(super) async fn export(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    s.actor
        .require(Action::Export)
        .map_err(|_| Page::NotPermitted(locale, s.actor.person.role))?;
    let (f, _) = Filters::parse(query.as_deref());
    let filter = f.to_filter(locale).map_err(|_| Page::BadForm(locale))?;
    let auth = s.actor.auth(view_mode(&headers));
    let mut csv = String::from(
        "id,created_at,status,amount,currency,fee,amount_refunded,operator,payer_phone,reference,operator_reference,failure_code,face\r\n",
    );
    let (mut after, mut n) = (None::<String>, 0);
    loop {
        let page = state
            .engine
            .list_payments(&auth, &filter, after.as_deref(), 100)
            .await
            .map_err(|e| Page::from_engine(e, locale))?;
        for p in &page.data {
            let row = [
                p.id.clone(),
                p.created_at.to_rfc3339(),
                p.status.as_str().to_owned(),
                p.currency.format_decimal(p.amount),
                p.currency.code().to_owned(),
                p.currency.format_decimal(p.fee),
                p.currency.format_decimal(p.amount_refunded),
                p.operator.code().to_owned(),
                phone_shown(p),
                p.reference.clone().unwrap_or_default(),
                p.operator_reference.clone().unwrap_or_default(),
                p.failure_code
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
                p.face.map(|f| f.as_str().to_owned()).unwrap_or_default(),
            ];
            let fields: Vec<String> = row.iter().map(|v| csv_field(v)).collect();
            csv.push_str(&fields.join(","));
            csv.push_str("\r\n");
            n += 1;
        }
        match page.data.last() {
            Some(last) if page.has_more && n < EXPORT_MAX => after = Some(last.id.clone()),
            Some(_) | None => break,
        }
    }
    Ok(csv_response("kumbu-payments.csv", csv))
}
