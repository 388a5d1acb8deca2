//! `/dashboard/developers/keys`: the merchant's API keys, with their last use. Owners and
//! developers create keys (the secret shown once), roll them with an overlap, and revoke them;
//! the others see the list only, and the engine refuses them anyway.

use super::super::error::{refused_or, Page};
use super::super::layout::{framed, locale_of, Section};
use super::super::messages::{t, tf, M};
use super::super::session::{session_form, Signed};
use crate::pages::format::receipt_time;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Locale, Mode};
use kumbu_engine::{DashboardSession, NewApiKey};
use maud::{html, Markup};
use secrecy::ExposeSecret;
use std::time::Duration;

/// The overlaps a roll offers, in seconds, with their names.
const OVERLAPS: [(u64, M); 4] = [
    (0, M::OverlapNone),
    (3600, M::OverlapHour),
    (86_400, M::OverlapDay),
    (604_800, M::OverlapWeek),
];

fn mode_name(locale: Locale, mode: Mode) -> &'static str {
    t(
        locale,
        match mode {
            Mode::Live => M::LiveData,
            Mode::Test => M::TestData,
        },
    )
}

async fn page(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let keys = state
        .engine
        .api_keys(&s.actor.person.merchant_id)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let csrf = state.engine.session_form_token(s);
    let may = s.actor.person.role.may(Action::ManageDevelopers);
    let now = state.engine.now();
    let body = html! {
        (super::developer_tabs(locale, "/dashboard/developers/keys"))
        @if let Some(n) = notice { (n) }
        div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
            thead {
                tr {
                    th scope="col" { (t(locale, M::Key)) }
                    th scope="col" { (t(locale, M::Created)) }
                    th scope="col" { (t(locale, M::LastUsed)) }
                    th scope="col" { (t(locale, M::KeyState)) }
                    @if may { th scope="col" { span.visually-hidden { (t(locale, M::Actions)) } } }
                }
            }
            tbody {
                @for k in &keys {
                    @let ended = k.revoked_at.is_some() || k.expires_at.is_some_and(|e| e <= now);
                    tr class=[(k.mode == Mode::Test).then_some("test")] {
                        th scope="row" { code { (k.hint) } br; small { (mode_name(locale, k.mode)) } }
                        td { (receipt_time(k.created_at)) }
                        td { (k.last_used_at.map_or_else(|| t(locale, M::Never).to_owned(), receipt_time)) }
                        td {
                            @if let Some(r) = k.revoked_at {
                                (t(locale, M::Revoked)) " " (receipt_time(r))
                            } @else if let Some(e) = k.expires_at {
                                (tf(locale, M::WorksUntil, &[("when", &receipt_time(e))]))
                            } @else {
                                (t(locale, M::Active))
                            }
                        }
                        @if may {
                            td {
                                @if !ended {
                                    form.inline method="post" action={ "/dashboard/developers/keys/" (k.id) } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="do" value="roll";
                                        label for={ "overlap-" (k.id) } { (t(locale, M::OldKeyWorks)) }
                                        select id={ "overlap-" (k.id) } name="overlap" {
                                            @for (secs, m) in OVERLAPS {
                                                option value=(secs) selected[secs == 86_400] { (t(locale, m)) }
                                            }
                                        }
                                        button type="submit" { (t(locale, M::Roll)) }
                                    }
                                    form.inline method="post" action={ "/dashboard/developers/keys/" (k.id) } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="do" value="revoke";
                                        label {
                                            input type="checkbox" name="confirm" value="1" required;
                                            " " (t(locale, M::RevokeConfirm))
                                        }
                                        button type="submit" { (t(locale, M::Revoke)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } }
        @if may {
            section aria-labelledby="new-key" {
                h2 id="new-key" { (t(locale, M::NewKey)) }
                form method="post" action="/dashboard/developers/keys" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="mode" { (t(locale, M::Mode)) }
                    select id="mode" name="mode" {
                        option value="test" { (mode_name(locale, Mode::Test)) }
                        option value="live" { (mode_name(locale, Mode::Live)) }
                    }
                    button.primary type="submit" { (t(locale, M::CreateKey)) }
                }
            }
        }
    };
    Ok(framed(state, s, locale, Section::Developers, status, body))
}

/// The new secret, shown once.
fn shown_once(locale: Locale, key: &NewApiKey) -> Markup {
    html! {
        div.notice role="status" {
            p { (t(locale, M::KeyShownOnce)) }
            p { code id="new-secret" { (key.secret.expose_secret()) } }
        }
    }
}

/// `GET /dashboard/developers/keys`.
pub(in crate::dashboard) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    page(&state, &s, locale_of(&headers), StatusCode::OK, None).await
}

/// `POST /dashboard/developers/keys`: a new key of `mode`.
pub(in crate::dashboard) async fn create(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let mode = form
        .get("mode")
        .and_then(Mode::parse)
        .ok_or(Page::BadForm(locale))?;
    let done = state.engine.create_key_as(&s.actor, mode).await;
    let (status, notice) = match refused_or(done, locale)? {
        Ok(key) => (StatusCode::OK, shown_once(locale, &key)),
        Err(refused) => refused,
    };
    page(&state, &s, locale, status, Some(notice)).await
}

/// `POST /dashboard/developers/keys/{id}`: `do=roll` with `overlap` (seconds), or `do=revoke`
/// with `confirm=1`.
pub(in crate::dashboard) async fn change(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let done = match (form.get("do"), form.get("confirm")) {
        (Some("roll"), _) => {
            let secs = form
                .get("overlap")
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|v| OVERLAPS.iter().any(|(o, _)| o == v))
                .ok_or(Page::BadForm(locale))?;
            state
                .engine
                .roll_key_as(&s.actor, &id, Duration::from_secs(secs))
                .await
                .map(Some)
        }
        (Some("revoke"), Some("1")) => state
            .engine
            .revoke_key_as(&s.actor, &id)
            .await
            .map(|()| None),
        _ => return Err(Page::BadForm(locale)),
    };
    let (status, notice) = match refused_or(done, locale)? {
        Ok(Some(key)) => (StatusCode::OK, shown_once(locale, &key)),
        Ok(None) => return Ok(Redirect::to("/dashboard/developers/keys").into_response()),
        Err(refused) => refused,
    };
    page(&state, &s, locale, status, Some(notice)).await
}
