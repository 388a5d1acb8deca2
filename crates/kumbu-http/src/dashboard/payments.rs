//! `/dashboard/payments`: the merchant's payments in the mode the switch shows, newest first,
//! with filters (status, operator, currency, dates, amount) and search (id, merchant or
//! operator reference, phone, shown masked), cursor paging and CSV export of the filtered list;
//! one payment's page with its timeline; refund and cancel, for the roles that move money (live
//! money from a session signed in with the second factor), each audited with the change.

use super::csv::{csv_field, csv_response};
use super::error::{refused_or, Page};
use super::layout::{framed_in, locale_of, view_mode, Section};
use super::messages::{t, tf, M};
use super::session::{session_form, Signed};
use crate::pages::format::{amount, masked_phone, receipt_time};
use crate::pages::FormFields;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{
    Action, Currency, Locale, Mode, Msisdn, Operator, Payment, PaymentStatus, Timestamp,
};
use kumbu_engine::{
    CreateRefund, DashboardSession, EngineError, IdempotencyRequest, PaymentFilter, Recorded,
};
use maud::{html, Markup};

/// Payments a page shows.
const PAGE: u32 = 50;

/// Most payments one CSV export holds.
const EXPORT_MAX: usize = 10_000;

/// The list's filters as the form sends them (and the links carry them on).
#[derive(Debug, Default, Clone)]
struct Filters {
    status: Option<PaymentStatus>,
    operator: Option<Operator>,
    currency: Option<Currency>,
    from: Option<String>,
    to: Option<String>,
    min: Option<String>,
    max: Option<String>,
    q: Option<String>,
}

impl Filters {
    fn parse(query: Option<&str>) -> (Self, Option<String>) {
        let mut f = Filters::default();
        let mut after = None;
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let v = v.trim().to_owned();
            if v.is_empty() {
                continue;
            }
            match k.as_ref() {
                "status" => f.status = PaymentStatus::parse(&v),
                "operator" => f.operator = Operator::parse(&v),
                "currency" => f.currency = Currency::parse(&v).ok(),
                "from" => f.from = Some(v),
                "to" => f.to = Some(v),
                "min" => f.min = Some(v),
                "max" => f.max = Some(v),
                "q" => f.q = Some(v),
                "after" => after = Some(v),
                _ => {}
            }
        }
        (f, after)
    }

    /// Whether any filter besides the search narrows the list (the filters are then shown open).
    fn is_narrowed(&self) -> bool {
        self.status.is_some()
            || self.operator.is_some()
            || self.currency.is_some()
            || self.from.is_some()
            || self.to.is_some()
            || self.min.is_some()
            || self.max.is_some()
    }

    /// The query string that keeps these filters.
    fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("status", self.status.map(|s| s.as_str().to_owned())),
            ("operator", self.operator.map(|o| o.code().to_owned())),
            ("currency", self.currency.map(|c| c.code().to_owned())),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("min", self.min.clone()),
            ("max", self.max.clone()),
            ("q", self.q.clone()),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                q.append_pair(k, &v);
            }
        }
        q.finish()
    }

    /// The store's filter, or what is wrong with the form (in the person's words).
    fn to_filter(&self, locale: Locale) -> Result<PaymentFilter, String> {
        let day = |d: &str| -> Result<Timestamp, String> {
            Timestamp::parse_rfc3339(&format!("{d}T00:00:00Z"))
                .ok_or_else(|| tf(locale, M::BadDate, &[("date", d)]))
        };
        let money = |text: &str| -> Result<i64, String> {
            let c = self
                .currency
                .ok_or_else(|| t(locale, M::AmountNeedsCurrency).to_owned())?;
            c.parse_decimal(text)
                .map_err(|_| tf(locale, M::BadAmount, &[("amount", text)]))
        };
        let mut filter = PaymentFilter {
            status: self.status,
            operator: self.operator,
            currency: self.currency,
            created_gte: self.from.as_deref().map(day).transpose()?,
            created_lt: self
                .to
                .as_deref()
                .map(day)
                .transpose()?
                .map(|t| t.plus(std::time::Duration::from_secs(86_400))),
            amount_min: self.min.as_deref().map(money).transpose()?,
            amount_max: self.max.as_deref().map(money).transpose()?,
            ..PaymentFilter::default()
        };
        if let Some(q) = &self.q {
            // A phone (with or without +), else a merchant or operator reference.
            let digits: String = q
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '.'))
                .collect();
            let plus = if digits.starts_with('+') {
                digits.clone()
            } else {
                format!("+{digits}")
            };
            match Msisdn::parse(&plus) {
                Ok(m)
                    if digits
                        .trim_start_matches('+')
                        .bytes()
                        .all(|b| b.is_ascii_digit()) =>
                {
                    filter.phone = Some(m.as_str().to_owned());
                }
                Ok(_) | Err(_) => filter.either_reference = Some(q.clone()),
            }
        }
        Ok(filter)
    }
}

fn phone_shown(p: &Payment) -> String {
    p.payer_phone
        .as_ref()
        .map(|m| masked_phone(m, None))
        .unwrap_or_default()
}

/// A filter's `<select>`: "any", then each `(value, text, selected)`.
fn any_of<'a>(
    locale: Locale,
    name: &str,
    label: M,
    options: impl Iterator<Item = (&'a str, &'a str, bool)>,
) -> Markup {
    html! {
        div {
            label for=(name) { (t(locale, label)) }
            select id=(name) name=(name) {
                option value="" { (t(locale, M::Any)) }
                @for (value, text, selected) in options {
                    option value=(value) selected[selected] { (text) }
                }
            }
        }
    }
}

fn filter_form(state: &AppState, locale: Locale, f: &Filters) -> Markup {
    let operators = state.engine.catalogue().all();
    html! {
        form.filters method="get" action="/dashboard/payments" role="search" {
            div {
                label for="q" { (t(locale, M::Search)) }
                input id="q" name="q" type="search" value=[f.q.as_deref()]
                    aria-describedby="q-hint";
                p.hint id="q-hint" { (t(locale, M::SearchHint)) }
            }
            details open[f.is_narrowed()] {
            summary { (t(locale, M::Filters)) }
            div.grid {
                (any_of(locale, "status", M::Status, PaymentStatus::ALL.iter().map(|s| {
                    (s.as_str(), s.as_str(), f.status == Some(*s))
                })))
                (any_of(locale, "operator", M::Operator, operators.iter().map(|o| {
                    (o.operator.code(), o.name, f.operator == Some(o.operator))
                })))
                (any_of(locale, "currency", M::Currency, Currency::ALL.iter().map(|c| {
                    (c.code(), c.code(), f.currency == Some(*c))
                })))
                div {
                    label for="from" { (t(locale, M::DateFrom)) }
                    input id="from" name="from" type="date" value=[f.from.as_deref()];
                }
                div {
                    label for="to" { (t(locale, M::DateTo)) }
                    input id="to" name="to" type="date" value=[f.to.as_deref()];
                }
                div {
                    label for="min" { (t(locale, M::AmountMin)) }
                    input id="min" name="min" type="text" inputmode="decimal" value=[f.min.as_deref()];
                }
                div {
                    label for="max" { (t(locale, M::AmountMax)) }
                    input id="max" name="max" type="text" inputmode="decimal" value=[f.max.as_deref()];
                }
            }
            }
            button.primary type="submit" { (t(locale, M::Filter)) }
            " "
            a href="/dashboard/payments" { (t(locale, M::ClearFilters)) }
        }
    }
}

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
        (form)
        @if s.actor.person.role.may(Action::Export) {
            p { a href={ "/dashboard/payments.csv?" (keep) } download { (t(locale, M::ExportCsv)) } }
        }
        @if page.data.is_empty() {
            p { (t(locale, M::NoPayments)) }
        } @else {
            table.payments {
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
                            td { span class={ "status " (p.status.as_str()) } { (p.status.as_str()) } }
                            td { (p.operator.code()) br; small { (phone_shown(p)) } }
                            td { (receipt_time(p.created_at)) }
                        }
                    }
                }
            }
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
        "id,created_at,status,amount,currency,fee,amount_refunded,operator,payer_phone,reference,operator_reference,failure_code\r\n",
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
            // Not in this mode: a refusal is still said (with its status), above the way back.
            let status = if notice.is_some() {
                status
            } else {
                StatusCode::NOT_FOUND
            };
            let body = html! {
                @if let Some(n) = notice { (n) }
                p { (t(locale, M::NoSuchPayment)) }
                p { a href="/dashboard/payments" { (t(locale, M::AllPayments)) } }
            };
            return Ok(framed_in(
                state,
                s,
                (locale, mode),
                (Section::Payments, None),
                status,
                body,
            ));
        }
        Err(e) => return Err(Page::from_engine(e, locale)),
    };
    let (refunds, _) = state
        .engine
        .list_refunds(&s.actor.auth(mode), Some(&p.id), None, 100)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let csrf = state.engine.session_form_token(s);
    let may = s.actor.person.role.may(Action::MoveMoney);
    let refundable = p.status.is_debited() && p.amount_refunded < p.amount;
    // Offered while nothing is debited; the engine refuses what an operator already holds.
    let cancellable = !p.status.is_terminal() && !p.status.is_debited();
    let path = format!("/dashboard/payments/{}", p.id);
    let body = html! {
        @if let Some(n) = notice { (n) }
        dl {
            dt { (t(locale, M::Amount)) } dd { (amount(locale, p.currency, p.amount)) }
            dt { (t(locale, M::Status)) } dd { (p.status.as_str()) }
            dt { (t(locale, M::Fee)) } dd { (amount(locale, p.currency, p.fee)) }
            dt { (t(locale, M::Refunded)) } dd { (amount(locale, p.currency, p.amount_refunded)) }
            dt { (t(locale, M::Operator)) } dd { (p.operator.code()) }
            dt { (t(locale, M::Payer)) } dd { (phone_shown(&p)) }
            @if let Some(r) = &p.reference { dt { (t(locale, M::Reference)) } dd { (r) } }
            @if let Some(r) = &p.operator_reference { dt { (t(locale, M::OperatorReference)) } dd { code { (r) } } }
            @if let Some(c) = p.failure_code { dt { (t(locale, M::Failure)) } dd { (c.as_str()) } }
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
                table {
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
                                td { (r.status.as_str()) }
                                td { (receipt_time(r.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        @if may && refundable {
            section aria-labelledby="refund" {
                h2 id="refund" { (t(locale, M::RefundTitle)) }
                form method="post" action={ (path) "/refund" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="once" value=(kumbu_core::ids::random_token(24));
                    label for="refund-amount" { (tf(locale, M::RefundAmount, &[("currency", p.currency.code())])) }
                    input id="refund-amount" name="amount" type="text" inputmode="decimal"
                        aria-describedby="refund-hint";
                    p.hint id="refund-hint" { (t(locale, M::RefundHint)) }
                    label for="refund-reason" { (t(locale, M::Reason)) }
                    input id="refund-reason" name="reason" type="text" maxlength="500";
                    label {
                        input type="checkbox" name="confirm" value="1" required;
                        " " (t(locale, M::RefundConfirm))
                    }
                    button.primary type="submit" { (t(locale, M::Refund)) }
                }
            }
        }
        @if may && cancellable {
            section aria-labelledby="cancel" {
                h2 id="cancel" { (t(locale, M::CancelTitle)) }
                form method="post" action={ (path) "/cancel" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="once" value=(kumbu_core::ids::random_token(24));
                    label {
                        input type="checkbox" name="confirm" value="1" required;
                        " " (t(locale, M::CancelConfirm))
                    }
                    button type="submit" { (t(locale, M::CancelPayment)) }
                }
            }
        }
        p { a href="/dashboard/payments" { (t(locale, M::AllPayments)) } }
    };
    let title = format!(
        "{} · {}",
        amount(locale, p.currency, p.amount),
        p.status.as_str()
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
pub(super) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let seen = (locale_of(&headers), view_mode(&headers));
    detail(&state, &s, seen, &id, StatusCode::OK, None).await
}

/// A form that moves money: read, its token checked, its confirmation ticked; with the
/// language and the mode it acts in, and its one-time value as the command's Idempotency-Key
/// (a double click, or a browser sending the form again, acts once).
fn confirmed(
    state: &AppState,
    s: &DashboardSession,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Locale, Mode, FormFields, IdempotencyRequest), Page> {
    let locale = locale_of(headers);
    let form = session_form(&state.engine, s, headers, body)?;
    if form.get("confirm") != Some("1") {
        return Err(Page::BadForm(locale));
    }
    let once = form
        .get("once")
        .filter(|o| o.len() == 24 && o.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or(Page::BadForm(locale))?;
    let fingerprint = kumbu_engine::hash_key(&String::from_utf8_lossy(body));
    let idem = IdempotencyRequest::new(&format!("dashboard-{once}"), fingerprint)
        .map_err(|_| Page::BadForm(locale))?;
    Ok((locale, view_mode(headers), form, idem))
}

/// `POST /dashboard/payments/{id}/refund`: `amount` (in the currency's units; empty: all that
/// remains), `reason`, `confirm=1`.
pub(super) async fn refund(
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
pub(super) async fn cancel(
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
