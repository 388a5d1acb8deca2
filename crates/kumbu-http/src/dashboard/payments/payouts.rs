//! The merchant's payouts, newest first, and a new payout to a mobile wallet from the
//! available balance: for the roles that move money, confirmed, and in live mode only with a
//! code from the person's authenticator given at that moment (besides a session signed in
//! with it). Acts once per form; audited with the change.

use super::super::act::{confirmed, once_fields};
use super::super::error::{refused_or, Page};
use super::super::layout::{code_field_named, framed_in, locale_of, view_mode, Section};
use super::super::messages::{reason, t, tf, M};
use super::super::session::Signed;
use super::super::table::{listing, older, page_or_empty, param, Col};
use super::payment_tabs;
use crate::pages::format::{amount, masked_phone, receipt_time};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{
    Action, Currency, ErrorCode, Field, Locale, Mode, Msisdn, Operator, Payout, RailKind,
};
use kumbu_engine::{CodeCheck, CreatePayout, DashboardSession, EngineError, Recorded};
use maud::{html, Markup};

const COLUMNS: [Col; 5] = [
    Col::Text(M::Payout),
    Col::Num(M::Amount),
    Col::Text(M::Status),
    Col::Text(M::Payee),
    Col::Text(M::When),
];

fn line(locale: Locale, p: &Payout) -> Markup {
    html! {
        tr {
            th scope="row" {
                code { (p.id) }
                @if let Some(r) = &p.reference { br; small { (r) } }
                @if let Some(f) = p.failure_code { br; small.error { (reason(locale, f)) } }
            }
            td.num { (amount(locale, p.currency, p.amount)) }
            td { span class={ "status " (p.status.as_str()) } { (t(locale, M::payout_status(p.status))) } }
            td { (p.operator.code()) br; small { (masked_phone(&p.payee_phone, None)) } }
            td { (receipt_time(p.created_at)) }
        }
    }
}

/// The new payout's form: the wallets Kumbu can push to, their currencies.
fn payout_form(state: &AppState, s: &DashboardSession, (locale, mode): (Locale, Mode)) -> Markup {
    let operators: Vec<_> = state
        .engine
        .catalogue()
        .all()
        .iter()
        .filter(|o| o.kind == RailKind::MobileMoneyPush && (mode == Mode::Test || !o.test_only))
        .collect();
    let mut currencies: Vec<Currency> = operators
        .iter()
        .flat_map(|o| o.currencies.clone())
        .collect();
    currencies.sort_by_key(|c| c.code());
    currencies.dedup();
    html! {
        section aria-labelledby="new-payout" {
            h2 id="new-payout" { (t(locale, M::NewPayout)) }
            form method="post" action="/dashboard/payouts" {
                (once_fields(state, s))
                div.grid {
                    div {
                        label for="payout-amount" { (t(locale, M::Amount)) }
                        input id="payout-amount" name="amount" type="text" inputmode="decimal" required;
                    }
                    div {
                        label for="payout-currency" { (t(locale, M::Currency)) }
                        select id="payout-currency" name="currency" required {
                            @for c in &currencies { option value=(c.code()) { (c.code()) } }
                        }
                    }
                    div {
                        label for="payout-operator" { (t(locale, M::Operator)) }
                        select id="payout-operator" name="operator" required {
                            @for o in &operators { option value=(o.operator.code()) { (o.name) } }
                        }
                    }
                    div {
                        label for="payout-phone" { (t(locale, M::PayeePhone)) }
                        input id="payout-phone" name="phone" type="tel" inputmode="tel" autocomplete="off" required;
                    }
                }
                label for="payout-reference" { (t(locale, M::Reference)) }
                input id="payout-reference" name="reference" type="text" maxlength="128";
                label {
                    input type="checkbox" name="confirm" value="1" required;
                    " " (t(locale, M::PayoutConfirm))
                }
                @if mode == Mode::Live {
                    (code_field_named(locale, "payout-code", None, M::PayOut))
                } @else {
                    button.primary type="submit" { (t(locale, M::PayOut)) }
                }
            }
        }
    }
}

async fn page(
    state: &AppState,
    s: &DashboardSession,
    query: Option<&str>,
    (locale, mode): (Locale, Mode),
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let after = param(query, "after");
    let (rows, has_more) = page_or_empty(
        state
            .engine
            .list_payouts(&s.actor.auth(mode), after.as_deref(), 50)
            .await,
        locale,
    )?;
    let more = older("/dashboard/payouts?", &rows, has_more, |p| p.id.clone());
    let lines: Vec<Markup> = rows.iter().map(|p| line(locale, p)).collect();
    let may = s.actor.person.role.may(Action::MoveMoney);
    let body = html! {
        (payment_tabs(locale, "/dashboard/payouts"))
        @if let Some(n) = notice { (n) }
        (listing(locale, &COLUMNS, &lines, M::NoPayouts, more))
        @if may { (payout_form(state, s, (locale, mode))) }
    };
    Ok(framed_in(
        state,
        s,
        (locale, mode),
        (Section::Payments, Some(t(locale, M::Payouts))),
        status,
        body,
    ))
}

/// `GET /dashboard/payouts[?after=po_…]`.
pub(in crate::dashboard) async fn payouts(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let seen = (locale_of(&headers), view_mode(&headers));
    page(&state, &s, query.as_deref(), seen, StatusCode::OK, None).await
}

fn invalid(field: Field, code: ErrorCode, msg: String) -> EngineError {
    EngineError::field(code, field, msg)
}

/// `POST /dashboard/payouts`: `amount` (in the currency's units), `currency`, `operator`,
/// `phone`, `reference`, `confirm=1`, and in live mode `code`.
pub(in crate::dashboard) async fn create(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let (locale, mode, form, idem) = confirmed(&state, &s, &headers, &body)?;
    let done = async {
        s.actor.require_money(mode)?;
        let currency = Currency::parse(form.get("currency").unwrap_or_default()).map_err(|e| {
            invalid(
                Field::Currency,
                ErrorCode::CurrencyNotSupported,
                format!("currency: {e}"),
            )
        })?;
        let minor = currency
            .parse_decimal(form.get("amount").unwrap_or_default().trim())
            .map_err(|e| {
                invalid(
                    Field::Amount,
                    ErrorCode::ParameterInvalid,
                    format!("amount: {e}"),
                )
            })?;
        let operator =
            Operator::parse(form.get("operator").unwrap_or_default()).ok_or_else(|| {
                invalid(
                    Field::Operator,
                    ErrorCode::ParameterInvalid,
                    "choose an operator".to_owned(),
                )
            })?;
        let phone = Msisdn::parse(form.get("phone").unwrap_or_default()).map_err(|e| {
            invalid(
                Field::PayeePhone,
                ErrorCode::PhoneInvalid,
                format!("phone: {e}"),
            )
        })?;
        if mode == Mode::Live {
            let code = form.get("code").unwrap_or_default();
            match state.engine.confirm_second_factor(&s, code).await? {
                CodeCheck::Accepted => {}
                CodeCheck::Refused => {
                    return Err(invalid(
                        Field::Code,
                        ErrorCode::NotPermitted,
                        t(locale, M::CodeRefused).to_owned(),
                    ))
                }
                CodeCheck::Wait(w) => {
                    let secs = w.as_secs().max(1).to_string();
                    return Err(invalid(
                        Field::Code,
                        ErrorCode::NotPermitted,
                        tf(locale, M::SignInWait, &[("seconds", &secs)]),
                    ));
                }
            }
        }
        let reference = form
            .get("reference")
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        let detail = format!(
            "{} to {}",
            amount(locale, currency, minor),
            masked_phone(&phone, None)
        );
        let auth = s.actor.acting(mode, "payout.created", "", detail);
        let cmd = CreatePayout {
            amount: minor,
            currency,
            operator,
            payee_phone: phone,
            reference,
            description: None,
            metadata: std::collections::BTreeMap::new(),
        };
        state
            .engine
            .create_payout(&auth, cmd, Some(&idem), |p| Recorded {
                status: 200,
                body: p.id.clone(),
            })
            .await
    }
    .await;
    match refused_or(done, locale)? {
        Ok(_) => Ok(Redirect::to("/dashboard/payouts").into_response()),
        Err((status, notice)) => page(&state, &s, None, (locale, mode), status, Some(notice)).await,
    }
}
