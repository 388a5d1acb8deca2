//! Signing in (`/dashboard/login`), the second factor (`/dashboard/login/code`) and signing
//! out. Failures are slowed down twice: per address and source here (the Adullam face's
//! throttle, [`crate::sign_in::SignInThrottle`]), per account in the engine.

use super::error::Page;
use super::layout::locale_of;
use super::layout::{bare, code_field, respond};
use super::messages::{t, tf, M};
use super::session::{
    clear_cookie, open_cookie, session_form, session_of, visitor_csrf, visitor_form, visitor_page,
    AnyStage,
};
use crate::client_ip::ClientIp;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::Locale;
use kumbu_engine::{CodeCheck, SignIn, Stage};
use maud::html;
use secrecy::SecretString;
use std::time::Instant;

/// Where a session at `stage` goes next.
fn next_step(stage: Stage) -> &'static str {
    match stage {
        Stage::SecondFactor => "/dashboard/login/code",
        Stage::Enrol => "/dashboard/security/two-factor",
        Stage::Ready => "/dashboard",
    }
}

fn source_of(ip: Option<String>) -> String {
    ip.unwrap_or_else(|| "unknown".to_owned())
}

/// What the sign-in form says above itself.
enum Note {
    /// Nothing.
    Plain,
    /// Back from a welcome link: the password was saved.
    Welcome,
    /// Why the last try failed.
    Error(String),
}

/// The sign-in form, with `note` above it and the address typed so far.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    note: Note,
) -> Response {
    let locale = locale_of(headers);
    let csrf = visitor_csrf(&state.engine, headers);
    let welcome = matches!(note, Note::Welcome);
    let error = match note {
        Note::Error(e) => Some(e),
        Note::Plain | Note::Welcome => None,
    };
    let body = html! {
        @if welcome {
            p.notice role="status" { (t(locale, M::PasswordSet)) }
        }
        @if let Some(e) = &error {
            p.error role="alert" id="login-error" { (e) }
        }
        form method="post" action="/dashboard/login" {
            input type="hidden" name="csrf" value=(csrf.field);
            label for="email" { (t(locale, M::Email)) }
            input id="email" name="email" type="email" autocomplete="username" required
                value=(email) aria-invalid=[error.as_ref().map(|_| "true")]
                aria-describedby=[error.as_ref().map(|_| "login-error")];
            label for="password" { (t(locale, M::Password)) }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button.primary type="submit" { (t(locale, M::SignInButton)) }
        }
        p.hint { a href="/dashboard/forgot" { (t(locale, M::ForgotPassword)) } }
    };
    let title = t(locale, M::SignInTitle);
    visitor_page(
        state,
        &csrf,
        status,
        (locale, title, "/dashboard/login"),
        body,
    )
}

/// `GET /dashboard/login`.
pub(super) async fn show(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    if let Some(s) = session_of(&state, &headers, &source_of(ip)).await? {
        return Ok(Redirect::to(next_step(s.stage)).into_response());
    }
    let note = if query.as_deref() == Some("welcome=1") {
        Note::Welcome
    } else {
        Note::Plain
    };
    Ok(login_page(&state, &headers, StatusCode::OK, "", note))
}

/// `POST /dashboard/login`: address and password.
pub(super) async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = visitor_form(&state.engine, &headers, &body)?;
    let email = form.get("email").unwrap_or_default().trim().to_lowercase();
    let password = SecretString::from(form.get("password").unwrap_or_default().to_owned());
    let source = source_of(ip);
    let attempt = match state
        .dashboard_sign_ins
        .admit(&email, Some(&source), Instant::now())
    {
        Ok(a) => a,
        Err(wait) => return Ok(wait_page(&state, &headers, &email, wait.as_secs().max(1))),
    };
    match state
        .engine
        .sign_in(&email, password, &source)
        .await
        .map_err(|e| Page::from_engine(e, locale))?
    {
        SignIn::Opened { token, person } => {
            attempt.succeeded(Instant::now());
            let next = if person.two_factor {
                Stage::SecondFactor
            } else if person.role.requires_second_factor() {
                Stage::Enrol
            } else {
                Stage::Ready
            };
            let mut resp = Redirect::to(next_step(next)).into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                open_cookie(&state, secrecy::ExposeSecret::expose_secret(&token)),
            );
            Ok(resp)
        }
        SignIn::Refused => {
            attempt.failed();
            Ok(login_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                &email,
                Note::Error(t(locale, M::SignInRefused).to_owned()),
            ))
        }
        SignIn::Wait(wait) => Ok(wait_page(&state, &headers, &email, wait.as_secs().max(1))),
    }
}

fn wait_page(state: &AppState, headers: &HeaderMap, email: &str, seconds: u64) -> Response {
    let locale = locale_of(headers);
    let text = tf(locale, M::SignInWait, &[("seconds", &seconds.to_string())]);
    let mut resp = login_page(
        state,
        headers,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        Note::Error(text),
    );
    if let Ok(v) = seconds.to_string().parse() {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn code_page(
    state: &AppState,
    s: &kumbu_engine::DashboardSession,
    locale: Locale,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let csrf = state.engine.session_form_token(s);
    let body = html! {
        p { (t(locale, M::SecondFactorHelp)) }
        form method="post" action="/dashboard/login/code" {
            input type="hidden" name="csrf" value=(csrf);
            (code_field(locale, error.as_deref()))
        }
        form method="post" action="/dashboard/logout" {
            input type="hidden" name="csrf" value=(csrf);
            button.link type="submit" { (t(locale, M::SignOut)) }
        }
    };
    respond(
        status,
        bare(
            locale,
            t(locale, M::SecondFactorTitle),
            "/dashboard/login/code",
            body,
        ),
    )
}

/// `GET /dashboard/login/code`.
pub(super) async fn show_code(
    State(state): State<AppState>,
    AnyStage(s): AnyStage,
    headers: HeaderMap,
) -> Response {
    if s.stage != Stage::SecondFactor {
        return Redirect::to(next_step(s.stage)).into_response();
    }
    code_page(&state, &s, locale_of(&headers), StatusCode::OK, None)
}

/// `POST /dashboard/login/code`: a TOTP or recovery code.
pub(super) async fn submit_code(
    State(state): State<AppState>,
    AnyStage(s): AnyStage,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    if s.stage != Stage::SecondFactor {
        return Ok(Redirect::to(next_step(s.stage)).into_response());
    }
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let code = form.get("code").unwrap_or_default();
    match state
        .engine
        .give_second_factor(&s, code)
        .await
        .map_err(|e| Page::from_engine(e, locale))?
    {
        CodeCheck::Accepted => Ok(Redirect::to("/dashboard").into_response()),
        CodeCheck::Refused => Ok(code_page(
            &state,
            &s,
            locale,
            StatusCode::UNAUTHORIZED,
            Some(t(locale, M::CodeRefused).to_owned()),
        )),
        CodeCheck::Wait(wait) => Ok(code_page(
            &state,
            &s,
            locale,
            StatusCode::TOO_MANY_REQUESTS,
            Some(tf(
                locale,
                M::SignInWait,
                &[("seconds", &wait.as_secs().max(1).to_string())],
            )),
        )),
    }
}

/// `POST /dashboard/logout` (`everywhere=1`: every session of the person).
pub(super) async fn sign_out(
    State(state): State<AppState>,
    AnyStage(s): AnyStage,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let everywhere = form.get("everywhere") == Some("1");
    state
        .engine
        .sign_out(&s, everywhere)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let mut resp = Redirect::to("/dashboard/login").into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, clear_cookie(&state));
    Ok(resp)
}
