//! Who is asking: the session cookie, the session it names, and the forms' CSRF tokens.
//!
//! The cookie holds a random token and nothing else (the session lives in the database, so
//! several processes share it and signing out ends it everywhere at once). Behind https it is
//! `__Host-kumbu_dashboard` (`Secure`, `Path=/`, no `Domain`: only this origin, over https);
//! over plain http (a gateway on localhost) `kumbu_dashboard`, `Path=/dashboard`. Always
//! `HttpOnly` and `SameSite=Lax`, and without `Max-Age` (it ends with the browser; the server
//! ends it after `--dashboard-idle-minutes` idle or 12 hours).
//!
//! A form inside a session carries an HMAC of the session (so a forged POST from another site
//! has nothing to copy); the forms before it (sign-in, a welcome link) the checkout's signed
//! double submit.

use super::error::Page;
use super::messages::M;
use crate::client_ip::ClientIp;
use crate::pages::{cookie, Csrf, CsrfCookie, FormFields};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::Locale;
use kumbu_engine::{DashboardSession, Engine, Stage};

/// The cookie's name over https and over http.
const SECURE_NAME: &str = "__Host-kumbu_dashboard";
const PLAIN_NAME: &str = "kumbu_dashboard";

/// The name for this gateway.
fn cookie_name(state: &AppState) -> &'static str {
    if state.public_url.is_https() {
        SECURE_NAME
    } else {
        PLAIN_NAME
    }
}

/// The `Set-Cookie` value that opens a session with `token`.
pub(super) fn open_cookie(state: &AppState, token: &str) -> HeaderValue {
    let v = if state.public_url.is_https() {
        format!("{SECURE_NAME}={token}; Path=/; Secure; HttpOnly; SameSite=Lax")
    } else {
        format!("{PLAIN_NAME}={token}; Path=/dashboard; HttpOnly; SameSite=Lax")
    };
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that forgets the session.
pub(super) fn clear_cookie(state: &AppState) -> HeaderValue {
    HeaderValue::from_static(if state.public_url.is_https() {
        "__Host-kumbu_dashboard=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"
    } else {
        "kumbu_dashboard=; Path=/dashboard; HttpOnly; SameSite=Lax; Max-Age=0"
    })
}

/// The session behind the request's cookie, at whatever stage.
pub(super) async fn session_of(
    state: &AppState,
    parts_headers: &HeaderMap,
    source: &str,
) -> Result<Option<DashboardSession>, Page> {
    let Some(token) = cookie(parts_headers, cookie_name(state)) else {
        return Ok(None);
    };
    state
        .engine
        .dashboard_session(token, source)
        .await
        .map_err(|e| Page::from_engine(e, super::layout::locale_of(parts_headers)))
}

/// A signed-in person, past every stage: the extractor of every page but sign-in's own. A
/// stranger is sent to the sign-in page; a session half-way (second factor, enrolment) to the
/// step it is at.
#[derive(Debug, Clone)]
pub(crate) struct Signed(pub DashboardSession);

/// A session at any stage (the second-factor and enrolment pages).
#[derive(Debug, Clone)]
pub(crate) struct AnyStage(pub DashboardSession);

impl FromRequestParts<AppState> for AnyStage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or(ClientIp(None));
        let source = ip.unwrap_or_else(|| "unknown".to_owned());
        match session_of(state, &parts.headers, &source).await {
            Ok(Some(s)) => Ok(AnyStage(s)),
            Ok(None) => Err(Redirect::to("/dashboard/login").into_response()),
            Err(page) => Err(page.into_response()),
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let AnyStage(s) = AnyStage::from_request_parts(parts, state).await?;
        match s.stage {
            Stage::Ready => Ok(Signed(s)),
            Stage::SecondFactor => Err(Redirect::to("/dashboard/login/code").into_response()),
            Stage::Enrol => Err(Redirect::to("/dashboard/security/two-factor").into_response()),
        }
    }
}

/// A form posted in session `s`: read, and refused (the "form expired" page, 403) unless it
/// carries the session's token.
pub(super) fn session_form(
    engine: &Engine,
    s: &DashboardSession,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<FormFields, Page> {
    let locale = super::layout::locale_of(headers);
    let form = FormFields::parse(body).map_err(|_| Page::BadForm(locale))?;
    if form
        .get("csrf")
        .is_some_and(|f| engine.session_form_token_ok(s, f))
    {
        Ok(form)
    } else {
        Err(Page::Refused(locale, M::FormExpired))
    }
}

/// What the forms before a session guard (their double-submit tokens are bound to it).
pub(super) const VISITOR_FORMS: &str = "dashboard-visitor";

/// The visitor's CSRF token (and the cookie to set, when new).
pub(super) fn visitor_csrf(engine: &Engine, headers: &HeaderMap) -> Csrf {
    Csrf::for_request(engine, VISITOR_FORMS, headers)
}

/// The visitor's CSRF cookie's reach.
pub(super) fn visitor_cookie(state: &AppState) -> CsrfCookie {
    CsrfCookie {
        secure: state.public_url.is_https(),
        path: "/dashboard",
    }
}

/// A page before sign-in (its forms guarded by `csrf`): `body` in the bare frame, titled
/// `title`, at `here`, with the visitor's CSRF cookie when it is new.
pub(super) fn visitor_page(
    state: &AppState,
    csrf: &Csrf,
    status: StatusCode,
    (locale, title, here): (Locale, &str, &str),
    body: maud::Markup,
) -> Response {
    let mut resp = super::layout::respond(status, super::layout::bare(locale, title, here, body));
    if let Some(c) = csrf.set_cookie_for(visitor_cookie(state)) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// A visitor's form: read, and refused unless it carries the token of their cookie.
pub(super) fn visitor_form(
    engine: &Engine,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<FormFields, Page> {
    let locale = super::layout::locale_of(headers);
    let form = FormFields::parse(body).map_err(|_| Page::BadForm(locale))?;
    if Csrf::verify(engine, VISITOR_FORMS, headers, form.get("csrf")) {
        Ok(form)
    } else {
        Err(Page::Refused(locale, M::FormExpired))
    }
}
