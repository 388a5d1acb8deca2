//! `/dashboard/forgot`: a forgotten password. The person types their address; if someone signs
//! in with it, a one-time link to choose a new password is e-mailed to it (`--smtp-url`). The
//! answer is the same, and as quick, either way (the link is made and sent after it), so the
//! form tells no one who has an account. Requests are limited per address and per source
//! ([`crate::RESET_REQUESTS_PER_HOUR`]), so that it cannot fill someone's mailbox. Without an
//! SMTP relay the page says who can make a link instead.

use super::error::Page;
use super::layout::locale_of;
use super::mail;
use super::messages::{t, tf, M};
use super::session::{visitor_csrf, visitor_form, visitor_page};
use crate::client_ip::ClientIp;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::person::normalize_email;
use maud::html;
use secrecy::ExposeSecret;
use std::time::Instant;

/// What the page says above its form.
enum Said {
    /// Nothing.
    Nothing,
    /// The address typed is not one.
    NotAnAddress(String),
    /// A link is on its way, if the address has an account.
    Sent(String),
    /// Too many requests: minutes to wait.
    Wait(u64),
}

fn page(state: &AppState, headers: &HeaderMap, status: StatusCode, said: Said) -> Response {
    let locale = locale_of(headers);
    let csrf = visitor_csrf(&state.engine, headers);
    let (typed, error) = match &said {
        Said::NotAnAddress(typed) => (typed.as_str(), Some(t(locale, M::EmailInvalid).to_owned())),
        Said::Wait(minutes) => (
            "",
            Some(tf(
                locale,
                M::ForgotWait,
                &[("minutes", &minutes.to_string())],
            )),
        ),
        Said::Nothing | Said::Sent(_) => ("", None),
    };
    let body = html! {
        @if let Said::Sent(email) = &said {
            p.notice role="status" { (tf(locale, M::ForgotSent, &[("email", email)])) }
        }
        @if let Some(e) = &error {
            p.error role="alert" id="forgot-error" { (e) }
        }
        @if state.mailer.is_some() {
            p { (t(locale, M::ForgotHelp)) }
            form method="post" action="/dashboard/forgot" {
                input type="hidden" name="csrf" value=(csrf.field);
                label for="email" { (t(locale, M::Email)) }
                input id="email" name="email" type="email" autocomplete="username" required
                    value=(typed) aria-invalid=[error.as_ref().map(|_| "true")]
                    aria-describedby=[error.as_ref().map(|_| "forgot-error")];
                button.primary type="submit" { (t(locale, M::ForgotSend)) }
            }
        } @else {
            p { (t(locale, M::ForgotNoMail)) }
        }
        p { a href="/dashboard/login" { (t(locale, M::BackToSignIn)) } }
    };
    let title = t(locale, M::ForgotTitle);
    visitor_page(
        state,
        &csrf,
        status,
        (locale, title, "/dashboard/forgot"),
        body,
    )
}

/// `GET /dashboard/forgot`.
pub(super) async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, &headers, StatusCode::OK, Said::Nothing)
}

/// `POST /dashboard/forgot`: `email`.
pub(super) async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = visitor_form(&state.engine, &headers, &body)?;
    let Some(mailer) = state.mailer.clone() else {
        return Ok(page(&state, &headers, StatusCode::OK, Said::Nothing));
    };
    let typed = form.get("email").unwrap_or_default().trim();
    let Some(email) = normalize_email(typed) else {
        let said = Said::NotAnAddress(typed.to_owned());
        return Ok(page(&state, &headers, StatusCode::BAD_REQUEST, said));
    };
    let source = ip.unwrap_or_else(|| "unknown".to_owned());
    let now = Instant::now();
    // The source first: a source past its limit uses up no one's address.
    for counted in [format!("source {source}"), format!("address {email}")] {
        if let Err(wait) = state.reset_requests.check(&counted, now) {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            let mut resp = page(
                &state,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                Said::Wait(minutes),
            );
            if let Ok(v) = wait.as_secs().max(1).to_string().parse() {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(resp);
        }
    }
    let (engine, public_url, asked) = (
        state.engine.clone(),
        state.public_url.clone(),
        email.clone(),
    );
    tokio::spawn(async move {
        let link = match engine.reset_link(&asked, Some(&source)).await {
            Ok(Some(link)) => link,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "could not make a password-reset link");
                return;
            }
        };
        let url = public_url.welcome(link.token.expose_secret());
        let letter = mail::reset(locale, &link.person, &source, &url);
        match mailer.send(&letter).await {
            Ok(()) => tracing::info!(person = %link.person.id, "password-reset link e-mailed"),
            Err(e) => {
                tracing::warn!(person = %link.person.id, error = %e, "password-reset link not e-mailed")
            }
        }
    });
    Ok(page(&state, &headers, StatusCode::OK, Said::Sent(email)))
}
