//! The exceptions queue: bank payments reconciliation could not apply to a bill (no bill has
//! their reference, the bill is already paid, the amount does not fit), oldest decisions
//! first for nobody; one exception's page; and its two decisions, **match** it by hand to a
//! bill or mark it for **return**, taken once, by the roles that move money (in live mode from
//! a session signed in with the second factor), each audited with the change.

use super::super::act::{confirm_and_submit, confirmed, once_fields};
use super::super::error::{refused_or, Page};
use super::super::layout::{framed_in, locale_of, not_here, view_mode, Section};
use super::super::messages::{t, tf, M};
use super::super::session::Signed;
use super::super::table::{listing, older, page_or_empty, param, Col};
use super::collection_tabs;
use crate::pages::format::{amount, receipt_time};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, CollectionStatus, IngestedPayment, Locale, Mode, Resolution};
use kumbu_engine::{
    DashboardSession, EngineError, IngestFilter, Recorded, RequestFilter, ResolveException,
};
use maud::{html, Markup};

/// Lines a page of the queue shows.
const PAGE: u32 = 50;

/// Open bills offered as suggestions when matching by hand.
const SUGGESTED: u32 = 50;

/// What the payer's bank said they paid: the ERV or merchant reference.
fn reference_of(i: &IngestedPayment) -> &str {
    i.method
        .reference_number
        .as_deref()
        .or(i.reference.as_deref())
        .unwrap_or("—")
}

const COLUMNS: [Col; 5] = [
    Col::Text(M::Received),
    Col::Num(M::Amount),
    Col::Text(M::Outcome),
    Col::Text(M::Source),
    Col::Text(M::When),
];

/// A payment received, as a row of the queue.
fn line(locale: Locale, i: &IngestedPayment) -> Markup {
    html! {
        tr {
            th scope="row" {
                a href={ "/dashboard/collections/exceptions/" (i.id) } { code { (i.id) } }
                br; small { (reference_of(i)) }
            }
            td.num { (amount(locale, i.currency, i.amount)) }
            td { (outcome_text(locale, i)) }
            td { (i.source) }
            td { (receipt_time(i.processed_at)) }
        }
    }
}

/// `GET /dashboard/collections[?all=1][&after=ing_…]`: the open exceptions (or, with `all`,
/// every payment received), newest first.
pub(in crate::dashboard) async fn queue(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let all = param(query.as_deref(), "all").is_some();
    let after = param(query.as_deref(), "after").filter(|a| a.starts_with("ing_"));
    let filter = IngestFilter {
        open_exceptions: !all,
        ..IngestFilter::default()
    };
    let (rows, has_more) = page_or_empty(
        state
            .engine
            .list_ingested_payments(&s.actor.auth(mode), &filter, after.as_deref(), PAGE)
            .await,
        locale,
    )?;
    let base = if all {
        "/dashboard/collections?all=1&"
    } else {
        "/dashboard/collections?"
    };
    let more = older(base, &rows, has_more, |i| i.id.clone());
    let lines: Vec<Markup> = rows.iter().map(|i| line(locale, i)).collect();
    let body = html! {
        (collection_tabs(locale, "/dashboard/collections"))
        p {
            @if all {
                a href="/dashboard/collections" { (t(locale, M::OnlyOpenExceptions)) }
            } @else {
                (t(locale, M::ExceptionsHelp)) " "
                a href="/dashboard/collections?all=1" { (t(locale, M::AllReceived)) }
            }
        }
        (listing(locale, &COLUMNS, &lines, if all { M::NothingReceived } else { M::NoExceptions }, more))
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Collections, None),
        StatusCode::OK,
        body,
    ))
}

/// An ingested payment's outcome, and its decision when a person took one.
fn outcome_text(locale: Locale, i: &IngestedPayment) -> String {
    match &i.decision {
        Some(d) => format!("{} → {}", i.outcome.as_str(), d.resolution.as_str()),
        None if i.outcome.is_exception() => {
            format!("{} · {}", i.outcome.as_str(), t(locale, M::WaitsForYou))
        }
        None => i.outcome.as_str().to_owned(),
    }
}

/// `GET /dashboard/collections/exceptions/{id}`.
pub(in crate::dashboard) async fn exception(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let seen = (locale_of(&headers), view_mode(&headers));
    page(&state, &s, seen, &id, StatusCode::OK, None).await
}

async fn page(
    state: &AppState,
    s: &DashboardSession,
    (locale, mode): (Locale, Mode),
    id: &str,
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let auth = s.actor.auth(mode);
    let i = match state.engine.ingested_payment(&auth, id).await {
        Ok(i) => i,
        Err(EngineError::Rejected(_)) => {
            return Ok(not_here(
                state,
                s,
                (locale, mode),
                Section::Collections,
                (status, notice),
                (
                    M::NoSuchException,
                    ("/dashboard/collections", M::ExceptionsQueue),
                ),
            ))
        }
        Err(e) => return Err(Page::from_engine(e, locale)),
    };
    let open = i.decision.is_none()
        && i.outcome.is_exception()
        && i.status != kumbu_core::ExternalStatus::Failed;
    let may = s.actor.person.role.may(Action::MoveMoney);
    // Bills that could take it: open ones, in its currency.
    let bills = if open && may {
        let filter = RequestFilter {
            statuses: vec![CollectionStatus::Open, CollectionStatus::PartiallyPaid],
            ..RequestFilter::default()
        };
        state
            .engine
            .list_collection_requests(&auth, &filter, None, SUGGESTED)
            .await
            .map_err(|e| Page::from_engine(e, locale))?
            .0
            .into_iter()
            .filter(|b| b.currency == i.currency)
            .collect()
    } else {
        Vec::new()
    };
    // Who decided: a person by their address (a key by its id).
    let decider = match &i.decision {
        Some(d) if d.by.starts_with("usr_") => state
            .engine
            .people(&auth.merchant_id)
            .await
            .map_err(|e| Page::from_engine(e, locale))?
            .into_iter()
            .find(|p| p.id == d.by)
            .map_or_else(|| d.by.clone(), |p| p.email),
        Some(d) => d.by.clone(),
        None => String::new(),
    };
    let path = format!("/dashboard/collections/exceptions/{}", i.id);
    let body = html! {
        @if let Some(n) = notice { (n) }
        dl {
            dt { (t(locale, M::Amount)) } dd { (amount(locale, i.currency, i.amount)) }
            dt { (t(locale, M::Outcome)) } dd { (outcome_text(locale, &i)) }
            dt { (t(locale, M::Why)) } dd { (i.detail) }
            dt { (t(locale, M::Reference)) } dd { code { (reference_of(&i)) } }
            dt { (t(locale, M::Source)) } dd { (i.source) " · " code { (i.external_id) } }
            dt { (t(locale, M::Status)) } dd { (i.status.as_str()) }
            dt { (t(locale, M::Received)) } dd { (receipt_time(i.processed_at)) }
            @if let Some(f) = &i.file_id { dt { (t(locale, M::BankFile)) } dd { (f) } }
            @if let Some(c) = &i.collection_request_id { dt { (t(locale, M::CollectionRequest)) } dd { code { (c) } } }
            @if let Some(p) = &i.payment_id { dt { (t(locale, M::Payment)) } dd { a href={ "/dashboard/payments/" (p) } { code { (p) } } } }
            @if let Some(d) = &i.decision {
                dt { (t(locale, M::Decision)) }
                dd {
                    (tf(locale, M::DecidedBy, &[("resolution", d.resolution.as_str()), ("by", &decider), ("at", &receipt_time(d.at))]))
                    @if let Some(n) = &d.note { br; q { (n) } }
                }
            }
        }
        @if open && may {
            section aria-labelledby="match" {
                h2 id="match" { (t(locale, M::MatchTitle)) }
                form method="post" action=(path) {
                    (once_fields(state, s))
                    input type="hidden" name="decision" value="matched";
                    label for="bill" { (t(locale, M::CollectionRequest)) }
                    input id="bill" name="collection_request_id" type="text" required
                        list="bills" autocomplete="off" spellcheck="false" aria-describedby="bill-hint";
                    datalist id="bills" {
                        @for b in &bills {
                            option value=(b.id) {
                                (b.bill_number) " · " (amount(locale, b.currency, b.amount_due()))
                                @if let Some(d) = &b.description { " · " (d) }
                            }
                        }
                    }
                    p.hint id="bill-hint" { (t(locale, M::MatchHint)) }
                    label for="match-note" { (t(locale, M::Note)) }
                    input id="match-note" name="note" type="text" maxlength="500";
                    (confirm_and_submit(locale, M::MatchConfirm, M::MatchButton, true))
                }
            }
            section aria-labelledby="return" {
                h2 id="return" { (t(locale, M::ReturnTitle)) }
                form method="post" action=(path) {
                    (once_fields(state, s))
                    input type="hidden" name="decision" value="return";
                    p.hint { (t(locale, M::ReturnHint)) }
                    label for="return-note" { (t(locale, M::Note)) }
                    input id="return-note" name="note" type="text" maxlength="500";
                    (confirm_and_submit(locale, M::ReturnConfirm, M::ReturnButton, false))
                }
            }
        }
        p { a href="/dashboard/collections" { (t(locale, M::ExceptionsQueue)) } }
    };
    let title = format!(
        "{} · {}",
        amount(locale, i.currency, i.amount),
        i.outcome.as_str()
    );
    Ok(framed_in(
        state,
        s,
        (locale, mode),
        (Section::Collections, Some(&title)),
        status,
        body,
    ))
}

/// `POST /dashboard/collections/exceptions/{id}`: `decision` (`matched` with
/// `collection_request_id`, or `return`), `note`, `confirm=1`.
pub(in crate::dashboard) async fn decide(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let (locale, mode, form, idem) = confirmed(&state, &s, &headers, &body)?;
    let resolution = form
        .get("decision")
        .and_then(Resolution::parse)
        .ok_or(Page::BadForm(locale))?;
    let text = |name: &str| {
        form.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let cmd = ResolveException {
        resolution,
        collection_request_id: match resolution {
            Resolution::Matched => text("collection_request_id"),
            Resolution::Return => None,
        },
        note: text("note"),
    };
    let done = async {
        s.actor.require_money(mode)?;
        let detail = match &cmd.collection_request_id {
            Some(bill) => format!("{} → {bill}", resolution.as_str()),
            None => resolution.as_str().to_owned(),
        };
        let auth = s.actor.acting(mode, "exception.resolved", &id, detail);
        state
            .engine
            .resolve_exception(&auth, &id, cmd, Some(&idem), |i| Recorded {
                status: 200,
                body: i.id.clone(),
            })
            .await
    }
    .await;
    match refused_or(done, locale)? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/dashboard/collections/exceptions/{id}")).into_response())
        }
        Err((status, notice)) => page(&state, &s, (locale, mode), &id, status, Some(notice)).await,
    }
}
