//! The checkout page's handlers: show the session, start an attempt, cancel, answer the
//! sandbox prompt, and a small status document for the script.
//!
//! Every form posts back and is answered with a redirect to the page (post/redirect/get), so a
//! reload never sends a payment twice; refusals re-render the form with the error beside its
//! field, in the page's language. The engine decides everything; this file only translates.
//!
//! Just over 500 lines: the page's six handlers share one session context and form reader;
//! its views are `views.rs`.

mod views;

use super::layout::chosen_lang;
use super::messages::{t, tf, Msg};
use super::{html_response, locale_for, Csrf, FormFields, PageError};
use crate::client_ip::ClientIp;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use kumbu_core::{Catalogue, ErrorCode, Field, Locale, Msisdn, Operator};
use kumbu_engine::{Answer, CheckoutPage, EngineError, PHONE_WINDOW};
use views::{Ctx, FormError, View};

/// The session token from the path: Simiz hands out `pay_<token>`, the others `<token>`.
fn token(raw: &str) -> &str {
    raw.strip_prefix("pay_").unwrap_or(raw)
}

/// Where to go back to after a form: the page, in the chosen language.
fn back_to(path: &str, lang: Option<Locale>) -> Response {
    match lang {
        Some(l) => Redirect::to(&format!("{path}?lang={}", l.as_str())).into_response(),
        None => Redirect::to(path).into_response(),
    }
}

struct Rendered<'a> {
    state: &'a AppState,
    page: &'a CheckoutPage,
    path: String,
    chosen: Option<Locale>,
    locale: Locale,
    csrf: Csrf,
}

impl<'a> Rendered<'a> {
    fn new(
        state: &'a AppState,
        page: &'a CheckoutPage,
        raw: &str,
        chosen: Option<Locale>,
        headers: &HeaderMap,
    ) -> Self {
        let locale = locale_for(chosen, page.session.locale, headers);
        let csrf = Csrf::for_request(&state.engine, &page.session.token, headers);
        Self {
            state,
            page,
            path: format!("/pay/{raw}"),
            chosen,
            locale,
            csrf,
        }
    }

    fn respond(
        self,
        status: StatusCode,
        view: &View,
        phone: Option<String>,
        operator: Option<Operator>,
        error: Option<FormError>,
    ) -> Response {
        let nonce = kumbu_core::ids::random_token(22);
        let ctx = Ctx {
            locale: self.locale,
            chosen: self.chosen.is_some(),
            path: self.path,
            csrf: self.csrf.field.clone(),
            nonce: nonce.clone(),
            page: self.page,
            phone,
            operator,
            error,
        };
        let markup = views::page(&ctx, view);
        let mut resp = html_response(status, markup.into_string(), &nonce);
        if let Some(c) = self.csrf.set_cookie(self.state.public_url.is_https()) {
            resp.headers_mut().append(axum::http::header::SET_COOKIE, c);
        }
        resp
    }
}

/// `GET /pay/{token}`: the page as the session is now.
pub async fn show(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let page = load(&state, &raw, &headers).await?;
    let chosen = chosen_lang(query.as_deref());
    let view = View::of(&page);
    Ok(
        Rendered::new(&state, &page, &raw, chosen, &headers).respond(
            StatusCode::OK,
            &view,
            None,
            None,
            None,
        ),
    )
}

async fn load(state: &AppState, raw: &str, headers: &HeaderMap) -> Result<CheckoutPage, PageError> {
    state
        .engine
        .checkout_page(token(raw))
        .await
        .map_err(|e| PageError::from_engine(e, locale_for(None, None, headers)))
}

/// A form posted to the page: the session as it is, the form's fields (its CSRF token
/// checked), and the language chosen with the switch.
struct Posted {
    page: CheckoutPage,
    form: FormFields,
    chosen: Option<Locale>,
}

async fn posted(
    state: &AppState,
    raw: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Posted, PageError> {
    let page = load(state, raw, headers).await?;
    let form = FormFields::parse(body)?;
    check_csrf(state, &page, headers, &form)?;
    let chosen = form.get("lang").and_then(Locale::parse);
    Ok(Posted { page, form, chosen })
}

/// Checks the form's CSRF token against the cookie; the refusal is a page in words.
fn check_csrf(
    state: &AppState,
    page: &CheckoutPage,
    headers: &HeaderMap,
    form: &FormFields,
) -> Result<(), PageError> {
    if Csrf::verify(
        &state.engine,
        &page.session.token,
        headers,
        form.get("csrf"),
    ) {
        Ok(())
    } else {
        Err(PageError::Csrf(locale_for(
            form.get("lang").and_then(Locale::parse),
            page.session.locale,
            headers,
        )))
    }
}

/// The number the page gives as an example: one of the first operator offered (the session
/// offers at least one).
fn example_phone(catalogue: &Catalogue, operators: &[Operator]) -> String {
    operators
        .iter()
        .find_map(|o| catalogue.get(*o).example_phone())
        .unwrap_or_else(|| "+2250500000789".to_owned())
}

/// The number as typed, made E.164: a leading `00` becomes `+`, and a number written without
/// its country code gets the page's country's (when all its operators are of one country).
fn normalise_phone(typed: &str, page: &CheckoutPage, catalogue: &Catalogue) -> Option<Msisdn> {
    let cleaned: String = typed
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    if let Some(rest) = cleaned.strip_prefix("00") {
        return Msisdn::parse(&format!("+{rest}")).ok();
    }
    if cleaned.starts_with('+') {
        return Msisdn::parse(&cleaned).ok();
    }
    let mut countries = page
        .session
        .operators
        .iter()
        .filter_map(|o| catalogue.get(*o).country);
    let first = countries.next()?;
    if countries.any(|c| c != first) {
        return None;
    }
    let national = cleaned.strip_prefix(first.dial_code()).unwrap_or(&cleaned);
    Msisdn::parse(&format!("+{}{national}", first.dial_code())).ok()
}

/// `POST /pay/{token}`: start a payment attempt.
pub async fn start(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let Posted { page, form, chosen } = posted(&state, &raw, &headers, &body).await?;
    let path = format!("/pay/{raw}");
    let typed = form.get("phone").unwrap_or("").to_owned();
    let operator = form.get("operator").and_then(Operator::parse);
    let r = Rendered::new(&state, &page, &raw, chosen, &headers);
    let locale = r.locale;
    let catalogue = state.engine.catalogue();
    let example = &example_phone(catalogue, &page.session.operators);
    let refuse = |r: Rendered<'_>, status, field, text| {
        r.respond(
            status,
            &View::Form { failed: None },
            Some(typed.clone()),
            operator,
            Some(FormError { field, text }),
        )
    };
    if !matches!(View::of(&page), View::Form { .. }) {
        // Another tab already paid, cancelled or started a payment: show where things are.
        return Ok(back_to(&path, chosen));
    }
    let Some(phone) = normalise_phone(&typed, &page, catalogue) else {
        let text = tf(locale, Msg::ErrPhone, &[("example", example)]);
        return Ok(refuse(r, StatusCode::BAD_REQUEST, Some("phone"), text));
    };
    let limited = ip
        .as_deref()
        .map(|ip| state.checkout_ip_limit.check(ip, std::time::Instant::now()));
    if let Some(Err(wait)) = limited {
        let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
        let text = tf(locale, Msg::ErrTooManyIp, &[("minutes", &minutes)]);
        return Ok(refuse(r, StatusCode::TOO_MANY_REQUESTS, None, text));
    }
    let operator = match operator {
        Some(op) => op,
        None => {
            // No operator chosen: take the number's, when exactly one offered operator serves it.
            let predicted: Vec<Operator> = catalogue
                .predict(&phone)
                .map(|(_, ops)| ops)
                .unwrap_or_default()
                .into_iter()
                .filter(|o| page.session.operators.contains(o))
                .collect();
            match predicted.as_slice() {
                [only] => *only,
                [] => {
                    let text = t(locale, Msg::ErrOperator).to_owned();
                    return Ok(refuse(r, StatusCode::BAD_REQUEST, Some("operator"), text));
                }
                [first, ..] => {
                    let first = *first;
                    return Ok(r.respond(
                        StatusCode::BAD_REQUEST,
                        &View::Form { failed: None },
                        Some(typed.clone()),
                        Some(first),
                        Some(FormError {
                            field: Some("operator"),
                            text: t(locale, Msg::ErrOperatorGuess).to_owned(),
                        }),
                    ));
                }
            }
        }
    };
    match state
        .engine
        .start_checkout_attempt(&page.session.token, operator, phone)
        .await
    {
        // Paid on the operator's own page: straight on to it.
        Ok(s) => match s.attempt.and_then(|a| a.handover) {
            Some(h) => Ok(back_to(&format!("/pay/go/{h}"), chosen)),
            None => Ok(back_to(&path, chosen)),
        },
        Err(EngineError::Rejected(rej)) => {
            let (status, field, text) = match rej.code {
                ErrorCode::CheckoutAttemptInProgress => return Ok(back_to(&path, chosen)),
                ErrorCode::CheckoutSessionNotOpen => {
                    // Closed meanwhile (the page then shows how), or about to expire.
                    let now = load(&state, &raw, &headers).await?;
                    if !matches!(View::of(&now), View::Form { .. }) {
                        return Ok(back_to(&path, chosen));
                    }
                    (
                        StatusCode::CONFLICT,
                        None,
                        t(locale, Msg::ErrClosing).to_owned(),
                    )
                }
                ErrorCode::PhoneInvalid => (
                    StatusCode::BAD_REQUEST,
                    Some("phone"),
                    tf(locale, Msg::ErrPhoneCountry, &[("example", example)]),
                ),
                ErrorCode::OperatorNotAvailable | ErrorCode::OperatorUnknown => (
                    StatusCode::BAD_REQUEST,
                    Some("operator"),
                    t(locale, Msg::ErrOperator).to_owned(),
                ),
                ErrorCode::RateLimited if rej.field == Some(Field::PayerPhone) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    Some("phone"),
                    tf(
                        locale,
                        Msg::ErrTooManyPhone,
                        &[("minutes", &(PHONE_WINDOW.as_secs() / 60).to_string())],
                    ),
                ),
                ErrorCode::RateLimited => (
                    StatusCode::TOO_MANY_REQUESTS,
                    None,
                    t(locale, Msg::ErrTooMany).to_owned(),
                ),
                other @ (ErrorCode::InvalidJson
                | ErrorCode::ParameterMissing
                | ErrorCode::ParameterInvalid
                | ErrorCode::ParameterUnknown
                | ErrorCode::AmountOutOfRange
                | ErrorCode::AmountTooPrecise
                | ErrorCode::CurrencyNotSupported
                | ErrorCode::BodyTooLarge
                | ErrorCode::UnsupportedMediaType
                | ErrorCode::ApiKeyMissing
                | ErrorCode::ApiKeyInvalid
                | ErrorCode::TestModeOnly
                | ErrorCode::ResourceMissing
                | ErrorCode::RouteNotFound
                | ErrorCode::MethodNotAllowed
                | ErrorCode::IdempotencyKeyInvalid
                | ErrorCode::IdempotencyKeyReused
                | ErrorCode::IdempotencyKeyInUse
                | ErrorCode::ReferenceAlreadyUsed
                | ErrorCode::PaymentStateConflict
                | ErrorCode::PromptNotPending
                | ErrorCode::ReferenceNotPayable
                | ErrorCode::ReferenceAmountMismatch
                | ErrorCode::CollectionRequestNotOpen
                | ErrorCode::IngestConflict
                | ErrorCode::ExceptionAlreadyResolved
                | ErrorCode::ErvEntityNotConfigured
                | ErrorCode::ConnectorNotConfigured
                | ErrorCode::BalanceInsufficient
                | ErrorCode::LimitReached
                | ErrorCode::LiveModeOnly
                | ErrorCode::NotPermitted
                | ErrorCode::ServiceUnavailable
                | ErrorCode::InternalError) => (
                    StatusCode::from_u16(other.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
                    None,
                    tf(locale, Msg::ErrGeneric, &[("detail", &rej.message)]),
                ),
            };
            Ok(refuse(r, status, field, text))
        }
        Err(e @ EngineError::Store(_)) => Err(PageError::from_engine(e, locale)),
    }
}

/// `POST /pay/{token}/cancel`: the customer gives up (an attempt in flight is cancelled).
pub async fn cancel(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let Posted { page, chosen, .. } = posted(&state, &raw, &headers, &body).await?;
    let locale = locale_for(chosen, page.session.locale, &headers);
    match state.engine.cancel_checkout(&page.session.token).await {
        // Refused (a prompt is on the phone, or it just closed): the page shows where it is.
        Ok(_) | Err(EngineError::Rejected(_)) => Ok(back_to(&format!("/pay/{raw}"), chosen)),
        Err(e @ EngineError::Store(_)) => Err(PageError::from_engine(e, locale)),
    }
}

/// `POST /pay/{token}/sandbox`: test mode, answer the `…009` prompt as the payer's phone would.
pub async fn sandbox(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let Posted { page, form, chosen } = posted(&state, &raw, &headers, &body).await?;
    let answer = match form.get("answer") {
        Some("confirm") => Answer::Confirm,
        Some("decline") => Answer::Decline,
        Some(_) | None => return Err(PageError::BadForm),
    };
    match state
        .engine
        .answer_checkout_prompt(&page.session.token, answer)
        .await
    {
        Ok(()) => Ok(back_to(&format!("/pay/{raw}"), chosen)),
        Err(EngineError::Rejected(_)) => {
            let r = Rendered::new(&state, &page, &raw, chosen, &headers);
            let text = t(r.locale, Msg::ErrNoPrompt).to_owned();
            let view = View::of(&page);
            Ok(r.respond(
                StatusCode::CONFLICT,
                &view,
                None,
                None,
                Some(FormError { field: None, text }),
            ))
        }
        Err(EngineError::Store(e)) => {
            tracing::error!(error = %e, "sandbox answer failed in the store");
            Err(PageError::Unavailable(locale_for(
                chosen,
                page.session.locale,
                &headers,
            )))
        }
    }
}

/// `POST /pay/{token}/predict` (`csrf`, `phone`): the page's operators that serve the number,
/// most likely first, for the script to pre-select one. A POST, so the number stays out of
/// URLs and logs.
pub async fn predict(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let Posted { page, form, .. } = posted(&state, &raw, &headers, &body).await?;
    let catalogue = state.engine.catalogue();
    let operators: Vec<&'static str> =
        normalise_phone(form.get("phone").unwrap_or(""), &page, catalogue)
            .and_then(|p| catalogue.predict(&p).ok())
            .map(|(_, ops)| ops)
            .unwrap_or_default()
            .into_iter()
            .filter(|o| page.session.operators.contains(o))
            .map(Operator::code)
            .collect();
    let mut resp = Json(serde_json::json!({ "operators": operators })).into_response();
    super::secure(&mut resp, None);
    Ok(resp)
}

/// What `GET /pay/{token}/status` answers: the view's version (the script reloads when it
/// changes) and the seconds left.
#[derive(Debug, serde::Serialize)]
pub struct Status {
    /// Changes whenever the page would show something else.
    pub version: String,
    /// Seconds until the waiting attempt, or the session, stops accepting payment.
    pub seconds_left: i64,
}

/// `GET /pay/{token}/status`.
pub async fn status(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let page = load(&state, &raw, &headers).await?;
    let view = View::of(&page);
    let until = match &view {
        View::Waiting(a) => a.expires_at,
        View::Form { .. } | View::Paid | View::Expired | View::Cancelled => page.session.expires_at,
    };
    let body = Status {
        version: view.version(&page),
        seconds_left: (until.unix_seconds() - page.now.unix_seconds()).max(0),
    };
    let mut resp = Json(body).into_response();
    super::secure(&mut resp, None);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simiz_tokens_lose_their_prefix() {
        assert_eq!(token("pay_abc"), "abc");
        assert_eq!(token("abc"), "abc");
    }
}
