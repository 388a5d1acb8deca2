//! `/dashboard/welcome/{token}`: a one-time link (from `kumbu user create`, an invitation, or a
//! forgotten password: `kumbu user reset-link` or the e-mail `/dashboard/forgot` sends) where a
//! person sets their password. The token is a secret of its own; the page sends no
//! referrer, so it never leaves in a `Referer`.

use super::error::Page;
use super::layout::locale_of;
use super::messages::{t, tf, M};
use super::session::{visitor_csrf, visitor_form, visitor_page};
use crate::client_ip::ClientIp;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_engine::{EngineError, LinkPurpose, Person};
use maud::html;
use secrecy::SecretString;

fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    (person, purpose): &(Person, LinkPurpose),
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let locale = locale_of(headers);
    let csrf = visitor_csrf(&state.engine, headers);
    let role = t(locale, M::role(person.role));
    let here = format!("/dashboard/welcome/{token}");
    let (title, help) = match purpose {
        LinkPurpose::Invitation => (
            M::WelcomeTitle,
            tf(
                locale,
                M::WelcomeHelp,
                &[("email", &person.email), ("role", role)],
            ),
        ),
        LinkPurpose::Reset => (
            M::ResetTitle,
            tf(locale, M::ResetHelp, &[("email", &person.email)]),
        ),
    };
    let body = html! {
        p { (help) }
        @if let Some(e) = &error {
            p.error role="alert" id="password-error" { (e) }
        }
        form method="post" action=(here) {
            input type="hidden" name="csrf" value=(csrf.field);
            // For password managers: the account the password belongs to.
            input type="hidden" name="username" autocomplete="username" value=(person.email);
            label for="password" { (t(locale, M::NewPassword)) }
            input id="password" name="password" type="password" autocomplete="new-password"
                required minlength="10" maxlength="256" aria-describedby="password-hint"
                aria-invalid=[error.as_ref().map(|_| "true")];
            p.hint id="password-hint" { (t(locale, M::PasswordHint)) }
            label for="repeat" { (t(locale, M::RepeatPassword)) }
            input id="repeat" name="repeat" type="password" autocomplete="new-password" required;
            button.primary type="submit" { (t(locale, M::SetPassword)) }
        }
    };
    visitor_page(
        state,
        &csrf,
        status,
        (locale, t(locale, title), &here),
        body,
    )
}

fn gone(headers: &HeaderMap) -> Response {
    let locale = locale_of(headers);
    super::layout::notice(StatusCode::NOT_FOUND, locale, t(locale, M::LinkGone))
}

/// `GET /dashboard/welcome/{token}`.
pub(super) async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    match state
        .engine
        .link_person(&token)
        .await
        .map_err(|e| Page::from_engine(e, locale))?
    {
        Some(link) => Ok(form_page(
            &state,
            &headers,
            &token,
            &link,
            StatusCode::OK,
            None,
        )),
        None => Ok(gone(&headers)),
    }
}

/// `POST /dashboard/welcome/{token}`: the new password, twice.
pub(super) async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = visitor_form(&state.engine, &headers, &body)?;
    let Some(link) = state
        .engine
        .link_person(&token)
        .await
        .map_err(|e| Page::from_engine(e, locale))?
    else {
        return Ok(gone(&headers));
    };
    let password = form.get("password").unwrap_or_default();
    if form.get("repeat") != Some(password) {
        return Ok(form_page(
            &state,
            &headers,
            &token,
            &link,
            StatusCode::BAD_REQUEST,
            Some(t(locale, M::PasswordsDiffer).to_owned()),
        ));
    }
    let source = ip.unwrap_or_else(|| "unknown".to_owned());
    match state
        .engine
        .set_password_by_link(&token, &SecretString::from(password.to_owned()), &source)
        .await
    {
        Ok(Some(_)) => Ok(Redirect::to("/dashboard/login?welcome=1").into_response()),
        Ok(None) => Ok(gone(&headers)),
        Err(EngineError::Rejected(_)) => Ok(form_page(
            &state,
            &headers,
            &token,
            &link,
            StatusCode::BAD_REQUEST,
            Some(t(locale, M::PasswordHint).to_owned()),
        )),
        Err(e) => Err(Page::from_engine(e, locale)),
    }
}
