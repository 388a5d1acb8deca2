//! The event log of the mode shown, newest first, by type; an event's page (what it is about,
//! each delivery attempt to each endpoint with its answer), and sending it again to every
//! endpoint subscribed (owners and developers; audited with it).

use super::super::error::{refused_or, Page};
use super::super::layout::{framed_in, locale_of, not_here, view_mode, Section};
use super::super::messages::{t, M};
use super::super::session::{session_form, Signed};
use super::super::table::{choice_filter, listing, older, page_or_empty, param, Col};
use super::developer_tabs;
use crate::pages::format::receipt_time;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Locale, Mode};
use kumbu_engine::{DashboardSession, EngineError, Event, EventFilter, EventObject};
use maud::{html, Markup};

const COLUMNS: [Col; 4] = [
    Col::Text(M::Event),
    Col::Text(M::EventType),
    Col::Text(M::About),
    Col::Text(M::When),
];

/// Where the object an event is about is shown, if the dashboard shows it.
fn object_link(o: &EventObject) -> Option<String> {
    match o {
        EventObject::Payment(p) => Some(format!("/dashboard/payments/{}", p.id)),
        EventObject::IngestedPayment(i) => {
            Some(format!("/dashboard/collections/exceptions/{}", i.id))
        }
        EventObject::WebhookEndpoint(_)
        | EventObject::Refund(_)
        | EventObject::CheckoutSession(_)
        | EventObject::CollectionRequest(_)
        | EventObject::Payout(_) => None,
    }
}

fn about(o: &EventObject) -> Markup {
    html! {
        @match object_link(o) {
            Some(href) => a href=(href) { code { (o.id()) } },
            None => code { (o.id()) },
        }
    }
}

fn line(e: &Event) -> Markup {
    html! {
        tr {
            th scope="row" { a href={ "/dashboard/developers/events/" (e.id) } { code { (e.id) } } }
            td { (e.event_type) }
            td { (about(&e.object)) }
            td { (receipt_time(e.created_at)) }
        }
    }
}

/// `GET /dashboard/developers/events[?type=…][&after=evt_…]`.
pub(in crate::dashboard) async fn events(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let types = kumbu_engine::event_types();
    let chosen = param(query.as_deref(), "type").filter(|t| types.contains(t));
    let filter = EventFilter {
        event_type: chosen.clone(),
        ..EventFilter::default()
    };
    let after = param(query.as_deref(), "after");
    let (rows, has_more) = page_or_empty(
        state
            .engine
            .list_events(&s.actor.auth(mode), &filter, after.as_deref(), 50)
            .await,
        locale,
    )?;
    let base = match &chosen {
        Some(t) => format!("/dashboard/developers/events?type={t}&"),
        None => "/dashboard/developers/events?".to_owned(),
    };
    let more = older(&base, &rows, has_more, |e| e.id.clone());
    let lines: Vec<Markup> = rows.iter().map(line).collect();
    let names: Vec<&str> = types.iter().map(String::as_str).collect();
    let body = html! {
        (developer_tabs(locale, "/dashboard/developers/events"))
        (choice_filter(locale, "/dashboard/developers/events", ("type", M::EventType), &names, chosen.as_deref()))
        (listing(locale, &COLUMNS, &lines, M::NoEvents, more))
    };
    Ok(framed_in(
        &state,
        &s,
        (locale, mode),
        (Section::Developers, Some(t(locale, M::Events))),
        StatusCode::OK,
        body,
    ))
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
    let e = match state.engine.event(&auth, id).await {
        Ok(e) => e,
        Err(EngineError::Rejected(_)) => {
            return Ok(not_here(
                state,
                s,
                (locale, mode),
                Section::Developers,
                (status, notice),
                (M::NoSuchEvent, ("/dashboard/developers/events", M::Events)),
            ))
        }
        Err(e) => return Err(Page::from_engine(e, locale)),
    };
    let attempts = state
        .engine
        .deliveries(&auth, id)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let may = s.actor.person.role.may(Action::ManageDevelopers);
    let body = html! {
        @if let Some(n) = notice { (n) }
        dl {
            dt { (t(locale, M::EventType)) } dd { (e.event_type) }
            dt { (t(locale, M::About)) } dd { (about(&e.object)) }
            dt { (t(locale, M::When)) } dd { (receipt_time(e.created_at)) }
        }
        section aria-labelledby="deliveries" {
            h2 id="deliveries" { (t(locale, M::Deliveries)) }
            @if attempts.is_empty() {
                p { (t(locale, M::NoDeliveries)) }
            } @else {
                div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                    thead { tr {
                        th scope="col" { (t(locale, M::Endpoint)) }
                        th scope="col" { (t(locale, M::When)) }
                        th.num scope="col" { (t(locale, M::Answer)) }
                        th.num scope="col" { "ms" }
                    } }
                    tbody {
                        @for a in &attempts {
                            tr {
                                th scope="row" { code { (a.endpoint_id) } @if let Some(err) = &a.error { br; small.error { (err) } } }
                                td { (receipt_time(a.at)) }
                                td.num { (a.status_code.map_or_else(|| "—".to_owned(), |c| c.to_string())) }
                                td.num { (a.latency_ms) }
                            }
                        }
                    }
                } }
            }
        }
        @if may {
            form method="post" action={ "/dashboard/developers/events/" (e.id) "/resend" } {
                input type="hidden" name="csrf" value=(state.engine.session_form_token(s));
                button.primary type="submit" { (t(locale, M::Resend)) }
            }
        }
        p { a href="/dashboard/developers/events" { (t(locale, M::Events)) } }
    };
    let title = format!("{} · {}", e.event_type, e.object.id());
    Ok(framed_in(
        state,
        s,
        (locale, mode),
        (Section::Developers, Some(&title)),
        status,
        body,
    ))
}

/// `GET /dashboard/developers/events/{id}`.
pub(in crate::dashboard) async fn event(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let seen = (locale_of(&headers), view_mode(&headers));
    page(&state, &s, seen, &id, StatusCode::OK, None).await
}

/// `POST /dashboard/developers/events/{id}/resend`.
pub(in crate::dashboard) async fn resend(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let seen @ (locale, mode) = (locale_of(&headers), view_mode(&headers));
    session_form(&state.engine, &s, &headers, &body)?;
    let done = async {
        s.actor.require(Action::ManageDevelopers)?;
        let auth = s.actor.acting(mode, "event.resent", &id, String::new());
        state.engine.resend_event(&auth, &id).await
    }
    .await;
    match refused_or(done, locale)? {
        Ok(_) => Ok(Redirect::to(&format!("/dashboard/developers/events/{id}")).into_response()),
        Err((status, notice)) => page(&state, &s, seen, &id, status, Some(notice)).await,
    }
}
