//! One payment's page (amounts, timeline, refunds) and its two actions, refund and cancel,
//! for the roles that move money; each acts once per form and writes its audit line with the
//! change.

use super::super::act::{confirm_and_submit, confirmed, once_fields};
use super::super::error::{refused_or, Page};
use super::super::layout::{framed_in, locale_of, not_here, view_mode, Section};
use super::super::messages::{reason, t, tf, M};
use super::super::session::Signed;
use super::filters::phone_shown;
use super::trail;
use crate::pages::format::{amount, receipt_time};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Face, Locale, Mode};
use kumbu_engine::{CreateRefund, DashboardSession, EngineError, EventFilter, Recorded};
use maud::{html, Markup};

async fn detail(
    state: &AppState,
    s: &DashboardSession,
    (locale, mode): (Locale, Mode),
    id: &str,
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let p = match state.engine.payment(&s.actor.auth(mode), id).await {
        Ok(p) => p,
        Err(EngineError::Rejected(_)) => {
            return Ok(not_here(
                state,
                s,
                (locale, mode),
                Section::Payments,
                (status, notice),
                (M::NoSuchPayment, ("/dashboard/payments", M::AllPayments)),
            ))
        }
        Err(e) => return Err(Page::from_engine(e, locale)),
    };
    let (refunds, _) = state
        .engine
        .list_refunds(&s.actor.auth(mode), Some(&p.id), None, 100)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let auth = s.actor.auth(mode);
    let postings = state
        .engine
        .payment_postings(&auth, &p.id)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let filter = EventFilter {
        object_id: Some(p.id.clone()),
        ..EventFilter::default()
    };
    let (events, _) = state
        .engine
        .list_events(&auth, &filter, None, 100)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let may = s.actor.person.role.may(Action::MoveMoney);
    let refundable = p.status.is_debited() && p.amount_refunded < p.amount;
    // Offered while nothing is debited; the engine refuses what an operator already holds.
    let cancellable = !p.status.is_terminal() && !p.status.is_debited();
    let path = format!("/dashboard/payments/{}", p.id);
    let body = html! {
        @if let Some(n) = notice { (n) }
        dl {
            dt { (t(locale, M::Amount)) } dd { (amount(locale, p.currency, p.amount)) }
            dt { (t(locale, M::Status)) } dd { (t(locale, M::payment_status(p.status))) }
            dt { (t(locale, M::Fee)) } dd { (amount(locale, p.currency, p.fee)) }
            dt { (t(locale, M::Refunded)) } dd { (amount(locale, p.currency, p.amount_refunded)) }
            dt { (t(locale, M::Operator)) } dd { (p.operator.code()) }
            dt { (t(locale, M::Face)) } dd { (p.face.map_or_else(|| t(locale, M::NoFace), Face::name)) }
            dt { (t(locale, M::Payer)) } dd { (phone_shown(&p)) }
            @if let Some(r) = &p.reference { dt { (t(locale, M::Reference)) } dd { (r) } }
            @if let Some(r) = &p.operator_reference { dt { (t(locale, M::OperatorReference)) } dd { code { (r) } } }
            @if let Some(c) = p.failure_code { dt { (t(locale, M::Failure)) } dd { (reason(locale, c)) " " small { code { (c.as_str()) } } } }
            dt { (t(locale, M::Mode)) } dd { (t(locale, if p.mode == Mode::Live { M::LiveData } else { M::TestData })) }
        }
        section aria-labelledby="timeline" {
            h2 id="timeline" { (t(locale, M::Timeline)) }
            ol.timeline {
                @for h in &p.history {
                    li {
                        (receipt_time(h.at)) " · " strong { (h.to.as_str()) }
                        @if !h.reason.is_empty() { " · " (h.reason) }
                    }
                }
            }
        }
        @if !refunds.is_empty() {
            section aria-labelledby="refunds" {
                h2 id="refunds" { (t(locale, M::RefundsOf)) }
                div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                    thead {
                        tr {
                            th scope="col" { (t(locale, M::Refund)) }
                            th.num scope="col" { (t(locale, M::Amount)) }
                            th scope="col" { (t(locale, M::Status)) }
                            th scope="col" { (t(locale, M::When)) }
                        }
                    }
                    tbody {
                        @for r in &refunds {
                            tr {
                                th scope="row" { code { (r.id) } @if let Some(why) = &r.reason { br; small { (why) } } }
                                td.num { (amount(locale, r.currency, r.amount)) }
                                td { (t(locale, M::refund_status(r.status))) }
                                td { (receipt_time(r.created_at)) }
                            }
                        }
                    }
                } }
            }
        }
        (trail::ledger(locale, &postings))
        (trail::events(locale, &events))
        @if may && refundable {
            section aria-labelledby="refund" {
                h2 id="refund" { (t(locale, M::RefundTitle)) }
                form method="post" action={ (path) "/refund" } {
                    (once_fields(state, s))
                    label for="refund-amount" { (tf(locale, M::RefundAmount, &[("currency", p.currency.code())])) }
                    input id="refund-amount" name="amount" type="text" inputmode="decimal"
                        aria-describedby="refund-hint";
                    p.hint id="refund-hint" { (t(locale, M::RefundHint)) }
                    label for="refund-reason" { (t(locale, M::Reason)) }
                    input id="refund-reason" name="reason" type="text" maxlength="500";
                    (confirm_and_submit(locale, M::RefundConfirm, M::Refund, true))
                }
            }
        }
        @if may && cancellable {
            section aria-labelledby="cancel" {
                h2 id="cancel" { (t(locale, M::CancelTitle)) }
                form method="post" action={ (path) "/cancel" } {
                    (once_fields(state, s))
                    (confirm_and_submit(locale, M::CancelConfirm, M::CancelPayment, false))
                }
            }
        }
        p { a href="/dashboard/payments" { (t(locale, M::AllPayments)) } }
    };
    let title = format!(
        "{} · {}",
        amount(locale, p.currency, p.amount),
        t(locale, M::payment_status(p.status))
    );
    Ok(framed_in(
        state,
        s,
        (locale, mode),
        (Section::Payments, Some(&title)),
        status,
        body,
    ))
}

/// `GET /dashboard/payments/{id}`.
pub(in crate::dashboard) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let seen = (locale_of(&headers), view_mode(&headers));
    detail(&state, &s, seen, &id, StatusCode::OK, None).await
}

/// `POST /dashboard/payments/{id}/refund`: `amount` (in the currency's units; empty: all that
/// remains), `reason`, `confirm=1`.
pub(in crate::dashboard) async fn refund(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let (locale, mode, form, idem) = confirmed(&state, &s, &headers, &body)?;
    let done = async {
        s.actor.require_money(mode)?;
        let p = state.engine.payment(&s.actor.auth(mode), &id).await?;
        let minor = match form.get("amount").map(str::trim).filter(|a| !a.is_empty()) {
            Some(text) => Some(p.currency.parse_decimal(text).map_err(|e| {
                EngineError::field(
                    kumbu_core::ErrorCode::ParameterInvalid,
                    kumbu_core::Field::Amount,
                    format!("amount: {e}"),
                )
            })?),
            None => None,
        };
        let shown = minor.map_or_else(
            || t(locale, M::AllThatRemains).to_owned(),
            |a| amount(locale, p.currency, a),
        );
        let reason = form
            .get("reason")
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        let auth = s.actor.acting(mode, "payment.refunded", &id, shown);
        let cmd = CreateRefund {
            payment_id: id.clone(),
            amount: minor,
            reason,
            metadata: std::collections::BTreeMap::new(),
        };
        state
            .engine
            .create_refund(&auth, cmd, Some(&idem), |r| Recorded {
                status: 200,
                body: r.id.clone(),
            })
            .await
    }
    .await;
    after_action(&state, &s, (locale, mode), &id, done).await
}

/// `POST /dashboard/payments/{id}/cancel`: `confirm=1`.
pub(in crate::dashboard) async fn cancel(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let (locale, mode, _, idem) = confirmed(&state, &s, &headers, &body)?;
    let done = async {
        s.actor.require_money(mode)?;
        let auth = s
            .actor
            .acting(mode, "payment.cancelled", &id, String::new());
        state
            .engine
            .cancel_payment(&auth, &id, Some(&idem), |p| Recorded {
                status: 200,
                body: p.id.clone(),
            })
            .await
    }
    .await;
    after_action(&state, &s, (locale, mode), &id, done).await
}

/// The payment's page again: after a change, by redirect (a reload sends nothing twice); after
/// a refusal, with the engine's words above it.
async fn after_action<T>(
    state: &AppState,
    s: &DashboardSession,
    seen: (Locale, Mode),
    id: &str,
    done: Result<T, EngineError>,
) -> Result<Response, Page> {
    match refused_or(done, seen.0)? {
        Ok(_) => Ok(Redirect::to(&format!("/dashboard/payments/{id}")).into_response()),
        Err((status, notice)) => detail(state, s, seen, id, status, Some(notice)).await,
    }
}
