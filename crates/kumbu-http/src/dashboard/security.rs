//! A person's own security: two-step verification (enrolment, recovery codes) and their open
//! sessions, with "sign out everywhere".

use super::error::Page;
use super::layout::locale_of;
use super::layout::{bare, code_field, framed, respond, Section};
use super::messages::{t, M};
use super::qr::qr_svg;
use super::session::{session_form, AnyStage, Signed};
use crate::pages::format::receipt_time;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::Locale;
use kumbu_engine::{DashboardSession, EngineError, Enrolment, Stage};
use maud::{html, Markup};
use secrecy::SecretString;

/// `GET /dashboard/security`.
pub(super) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let sessions = state
        .engine
        .open_sessions(&s)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let csrf = state.engine.session_form_token(&s);
    let two_factor = s.actor.person.two_factor;
    let body = html! {
        section aria-labelledby="two-step" {
            h2 id="two-step" { (t(locale, M::SecondFactorTitle)) }
            p { (t(locale, if two_factor { M::TwoFactorOn } else { M::TwoFactorOff })) }
            p { a.button href="/dashboard/security/two-factor" { (t(locale, M::EnrolTitle)) } }
            @if two_factor {
                form method="post" action="/dashboard/security/recovery-codes" {
                    input type="hidden" name="csrf" value=(csrf);
                    (password_field(locale))
                    button type="submit" { (t(locale, M::RecoveryNew)) }
                }
            }
        }
        section aria-labelledby="sessions" {
            h2 id="sessions" { (t(locale, M::Sessions)) }
            div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                thead { tr { th scope="col" { (t(locale, M::When)) } th scope="col" { (t(locale, M::From)) } } }
                tbody {
                    @for (current, created, source) in &sessions {
                        tr {
                            td { (receipt_time(*created)) @if *current { " (" (t(locale, M::You)) ")" } }
                            td { (source) }
                        }
                    }
                }
            } }
            p.hint { (t(locale, M::SessionsHelp)) }
            form method="post" action="/dashboard/logout" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="everywhere" value="1";
                button type="submit" { (t(locale, M::SignOutEverywhere)) }
            }
        }
    };
    Ok(framed(
        &state,
        &s,
        locale,
        Section::Security,
        StatusCode::OK,
        body,
    ))
}

fn enrol_page(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    status: StatusCode,
    e: &Enrolment,
    error: Option<&str>,
) -> Response {
    let csrf = state.engine.session_form_token(s);
    let body = html! {
        @if s.stage == Stage::Enrol {
            p.notice { (t(locale, M::EnrolRequired)) }
        }
        p { (t(locale, M::EnrolHelp)) }
        @if let Some(qr) = qr_svg(&e.uri, t(locale, M::QrLabel)) { p { (qr) } }
        p { a href=(e.uri) { (t(locale, M::OpenInApp)) } }
        dl {
            dt { (t(locale, M::EnrolSecret)) }
            dd { code id="totp-secret" { (e.secret) } }
        }
        form method="post" action="/dashboard/security/two-factor" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="enrolment" value=(e.sealed);
            (password_field(locale))
            (code_field(locale, error))
        }
    };
    respond(
        status,
        bare(
            locale,
            t(locale, M::EnrolTitle),
            "/dashboard/security/two-factor",
            body,
        ),
    )
}

/// The person's password, asked again before their second factor or recovery codes change (a
/// stolen session alone cannot change them).
fn password_field(locale: Locale) -> Markup {
    html! {
        label for="password" { (t(locale, M::PasswordToConfirm)) }
        input id="password" name="password" type="password" autocomplete="current-password" required;
    }
}

/// A new secret (carried in the form, sealed), shown with the code's form.
async fn fresh_enrolment(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, Page> {
    let e = state
        .engine
        .begin_enrolment(s)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    Ok(enrol_page(state, s, locale, status, &e, error))
}

/// `GET /dashboard/security/two-factor`: a new secret to enrol (a session still owing its
/// second factor gives it first).
pub(super) async fn show_enrol(
    State(state): State<AppState>,
    AnyStage(s): AnyStage,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    if s.stage == Stage::SecondFactor {
        return Ok(Redirect::to("/dashboard/login/code").into_response());
    }
    fresh_enrolment(&state, &s, locale, StatusCode::OK, None).await
}

/// `POST /dashboard/security/two-factor`: the first code from the new secret.
pub(super) async fn submit_enrol(
    State(state): State<AppState>,
    AnyStage(s): AnyStage,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    if s.stage == Stage::SecondFactor {
        return Ok(Redirect::to("/dashboard/login/code").into_response());
    }
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let password = SecretString::from(form.get("password").unwrap_or_default().to_owned());
    match state
        .engine
        .confirm_enrolment(
            &s,
            form.get("enrolment").unwrap_or_default(),
            form.get("code").unwrap_or_default(),
            password,
        )
        .await
    {
        Ok(codes) => Ok(codes_page(locale, &codes)),
        Err(EngineError::Rejected(r)) => {
            // A new secret, so that a code seen over someone's shoulder is worth nothing.
            let why = match r.field {
                Some(kumbu_core::Field::Password) => M::PasswordRefused,
                Some(_) | None => M::CodeRefused,
            };
            let refused = Some(t(locale, why));
            fresh_enrolment(&state, &s, locale, StatusCode::BAD_REQUEST, refused).await
        }
        Err(e) => Err(Page::from_engine(e, locale)),
    }
}

/// `POST /dashboard/security/recovery-codes`: ten new codes, the old ones void.
pub(super) async fn new_recovery_codes(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let password = SecretString::from(form.get("password").unwrap_or_default().to_owned());
    match state.engine.regenerate_recovery_codes(&s, password).await {
        Ok(codes) => Ok(codes_page(locale, &codes)),
        Err(EngineError::Rejected(_)) => Ok(super::layout::notice(
            StatusCode::BAD_REQUEST,
            locale,
            t(locale, M::PasswordRefused),
        )),
        Err(e) => Err(Page::from_engine(e, locale)),
    }
}

fn codes_page(locale: Locale, codes: &[String]) -> Response {
    let body: Markup = html! {
        p { (t(locale, M::RecoveryHelp)) }
        ol.codes id="recovery-codes" { @for c in codes { li { code { (c) } } } }
        p { a.button.primary href="/dashboard" { (t(locale, M::ContinueToDashboard)) } }
    };
    respond(
        StatusCode::OK,
        bare(
            locale,
            t(locale, M::RecoveryTitle),
            "/dashboard/security",
            body,
        ),
    )
}
