//! The merchant's webhook endpoints in the mode shown, each with its health (healthy,
//! degraded, failing, disabled; what waits; the latest answer; latency), and for owners and
//! developers: a new endpoint (its signing secret shown once), a new secret (the old one signs
//! beside it for 24 hours; shown once), disable and enable. Each change audited with it.

use super::super::act::once_key;
use super::super::error::{refused_or, Page};
use super::super::layout::{framed_in, locale_of, view_mode, Section};
use super::super::messages::{t, M};
use super::super::session::{session_form, Signed};
use super::developer_tabs;
use crate::pages::format::receipt_time;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Locale, Mode};
use kumbu_engine::{
    CreateEndpoint, DashboardSession, Endpoint, EndpointHealth, Recorded, WebhookFormat,
};
use maud::{html, Markup};

fn endpoint_line(
    locale: Locale,
    csrf: &str,
    may: bool,
    e: &Endpoint,
    h: Option<&EndpointHealth>,
) -> Markup {
    let action = format!("/dashboard/developers/webhooks/{}", e.id);
    html! {
        tr {
            th scope="row" {
                code { (e.url) } br;
                small { code { (e.id) } " · " (e.events.join(", ")) @if let Some(d) = &e.description { " · " (d) } }
            }
            td {
                @if let Some(h) = h {
                    span class={ "status " (h.state.as_str()) } { (h.state.as_str()) }
                    br; small {
                        (h.pending) " " (t(locale, M::Waiting))
                        @if let Some(p) = h.latency_p50_ms { " · p50 " (p) " ms" }
                        @if let Some(at) = h.last_attempt_at {
                            br; (receipt_time(at)) " · "
                            (h.last_status_code.map_or_else(|| "—".to_owned(), |c| c.to_string()))
                            @if let Some(err) = &h.last_error { " · " (err) }
                        }
                    }
                } @else { (e.status) }
            }
            td {
                @if may {
                    form.inline method="post" action=(action) {
                        input type="hidden" name="csrf" value=(csrf);
                        @if e.status == "enabled" {
                            button type="submit" name="do" value="disable" { (t(locale, M::Disable)) }
                        } @else {
                            button type="submit" name="do" value="enable" { (t(locale, M::Enable)) }
                        }
                        @if e.format == WebhookFormat::Native {
                            input type="hidden" name="once" value=(kumbu_core::ids::random_token(24));
                            button type="submit" name="do" value="rotate" { (t(locale, M::RotateSecret)) }
                            @if e.status == "enabled" {
                                button type="submit" name="do" value="test" { (t(locale, M::SendTestEvent)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn page(
    state: &AppState,
    s: &DashboardSession,
    (locale, mode): (Locale, Mode),
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let auth = s.actor.auth(mode);
    let list = state
        .engine
        .endpoints(&auth)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let mut lines = Vec::with_capacity(list.len());
    let may = s.actor.person.role.may(Action::ManageDevelopers);
    let csrf = state.engine.session_form_token(s);
    for e in &list {
        let h = state.engine.endpoint_health(&auth, &e.id).await.ok();
        lines.push(endpoint_line(locale, &csrf, may, e, h.as_ref()));
    }
    let body = html! {
        (developer_tabs(locale, "/dashboard/developers/webhooks"))
        @if let Some(n) = notice { (n) }
        @if lines.is_empty() {
            p { (t(locale, M::NoEndpoints)) }
        } @else {
            div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                thead { tr {
                    th scope="col" { (t(locale, M::Endpoint)) }
                    th scope="col" { (t(locale, M::Health)) }
                    th scope="col" { (t(locale, M::Actions)) }
                } }
                tbody { @for l in &lines { (l) } }
            } }
        }
        @if may {
            section aria-labelledby="new-endpoint" {
                h2 id="new-endpoint" { (t(locale, M::NewEndpoint)) }
                form method="post" action="/dashboard/developers/webhooks" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="once" value=(kumbu_core::ids::random_token(24));
                    label for="endpoint-url" { (t(locale, M::EndpointUrl)) }
                    input id="endpoint-url" name="url" type="url" required placeholder="https://" aria-describedby="endpoint-url-hint";
                    p.hint id="endpoint-url-hint" { (t(locale, M::EndpointUrlHint)) }
                    label for="endpoint-events" { (t(locale, M::EndpointEvents)) }
                    input id="endpoint-events" name="events" type="text" value="*" aria-describedby="endpoint-events-hint";
                    p.hint id="endpoint-events-hint" { (t(locale, M::EndpointEventsHint)) }
                    label for="endpoint-description" { (t(locale, M::Description)) }
                    input id="endpoint-description" name="description" type="text" maxlength="200";
                    button.primary type="submit" { (t(locale, M::CreateEndpoint)) }
                }
            }
        }
    };
    Ok(framed_in(
        state,
        s,
        (locale, mode),
        (Section::Developers, Some(t(locale, M::Webhooks))),
        status,
        body,
    ))
}

/// `GET /dashboard/developers/webhooks`.
pub(in crate::dashboard) async fn endpoints(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let seen = (locale_of(&headers), view_mode(&headers));
    page(&state, &s, seen, StatusCode::OK, None).await
}

/// The secret, shown once, above the page.
fn secret_shown(locale: Locale, secret: &str) -> Markup {
    html! {
        div.notice role="status" {
            p { (t(locale, M::SecretShownOnce)) }
            p { code id="endpoint-secret" { (secret) } }
        }
    }
}

/// The new secret in an engine's recorded answer (the dashboard's render records it).
fn recorded_secret(e: &Endpoint) -> Recorded {
    Recorded {
        status: 200,
        body: e.secret.clone().unwrap_or_default(),
    }
}

/// `POST /dashboard/developers/webhooks`: `url`, `events` (comma-separated, or `*`),
/// `description`.
pub(in crate::dashboard) async fn create_endpoint(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let seen @ (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let idem = once_key(form.get("once"), &body).ok_or(Page::BadForm(locale))?;
    let url = form.get("url").unwrap_or_default().trim().to_owned();
    let done = async {
        s.actor.require(Action::ManageDevelopers)?;
        let cmd = CreateEndpoint {
            url: url.clone(),
            events: form
                .get("events")
                .unwrap_or("*")
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
            description: form
                .get("description")
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            format: WebhookFormat::Native,
            signing_key: None,
            max_concurrency: None,
        };
        let auth = s
            .actor
            .acting(mode, "webhook_endpoint.created", "", url.clone());
        state
            .engine
            .create_endpoint(&auth, cmd, Some(&idem), recorded_secret)
            .await
    }
    .await;
    match refused_or(done, locale)? {
        Ok(outcome) => {
            page(
                &state,
                &s,
                seen,
                StatusCode::OK,
                Some(secret_shown(locale, &outcome.response.body)),
            )
            .await
        }
        Err((status, notice)) => page(&state, &s, seen, status, Some(notice)).await,
    }
}

/// Where a change of an endpoint leads.
enum Next {
    /// Back to the list.
    List,
    /// The list with the new secret shown once (the recorded answer's body).
    Secret(String),
    /// The page of the event just sent (its deliveries).
    Event(String),
}

/// `POST /dashboard/developers/webhooks/{id}`: `do` = `disable`, `enable`, `rotate` or `test`.
pub(in crate::dashboard) async fn change_endpoint(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let seen @ (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let what = form.get("do").unwrap_or_default().to_owned();
    let done = async {
        s.actor.require(Action::ManageDevelopers)?;
        match what.as_str() {
            "disable" | "enable" => {
                let enable = what == "enable";
                let action = if enable {
                    "webhook_endpoint.enabled"
                } else {
                    "webhook_endpoint.disabled"
                };
                let auth = s.actor.acting(mode, action, &id, String::new());
                state
                    .engine
                    .set_endpoint_enabled(&auth, &id, enable)
                    .await?;
                Ok(Next::List)
            }
            "test" => {
                let auth = s
                    .actor
                    .acting(mode, "webhook_endpoint.test_sent", &id, String::new());
                Ok(Next::Event(state.engine.send_test_event(&auth, &id).await?))
            }
            _ => {
                let idem = once_key(form.get("once"), &body);
                let auth =
                    s.actor
                        .acting(mode, "webhook_endpoint.secret_rotated", &id, String::new());
                let outcome = state
                    .engine
                    .rotate_endpoint_secret(&auth, &id, idem.as_ref(), recorded_secret)
                    .await?;
                Ok(Next::Secret(outcome.response.body))
            }
        }
    }
    .await;
    match refused_or(done, locale)? {
        Ok(Next::List) => Ok(Redirect::to("/dashboard/developers/webhooks").into_response()),
        Ok(Next::Event(id)) => {
            Ok(Redirect::to(&format!("/dashboard/developers/events/{id}")).into_response())
        }
        Ok(Next::Secret(secret)) => {
            page(
                &state,
                &s,
                seen,
                StatusCode::OK,
                Some(secret_shown(locale, &secret)),
            )
            .await
        }
        Err((status, notice)) => page(&state, &s, seen, status, Some(notice)).await,
    }
}
