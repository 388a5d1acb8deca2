//! `/dashboard/people`: the merchant's people, for owners. Inviting someone shows their
//! one-time link once, to be sent to them by a channel the owner trusts, and e-mails it to them
//! when the gateway has an SMTP relay (`--smtp-url`); roles change and people are removed
//! (their sessions end at once). The engine refuses the same to anyone else (403), whatever
//! the form says.

use super::error::{refused_or, Page};
use super::layout::locale_of;
use super::layout::{framed, Section};
use super::mail;
use super::messages::{t, tf, M};
use super::session::{session_form, Signed};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Locale, Role};
use kumbu_engine::{DashboardSession, Person};
use maud::{html, Markup};
use secrecy::ExposeSecret;

fn role_select(locale: Locale, id: &str, selected: Role) -> Markup {
    html! {
        select id=(id) name="role" {
            @for r in Role::ALL {
                option value=(r.as_str()) selected[r == selected] { (t(locale, M::role(r))) }
            }
        }
    }
}

/// Refuses a person whose role may not manage people (403 page).
fn require(s: &DashboardSession, locale: Locale) -> Result<(), Page> {
    s.actor
        .require(Action::ManagePeople)
        .map_err(|_| Page::NotPermitted(locale, s.actor.person.role))
}

async fn page(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let people = state
        .engine
        .people(&s.actor.person.merchant_id)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let csrf = state.engine.session_form_token(s);
    let body = html! {
        @if let Some(n) = notice { (n) }
        div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
            thead {
                tr {
                    th scope="col" { (t(locale, M::Email)) }
                    th scope="col" { (t(locale, M::Role)) }
                    th scope="col" { (t(locale, M::SecondFactorTitle)) }
                    th scope="col" { span.visually-hidden { (t(locale, M::ChangeRole)) } }
                }
            }
            tbody {
                @for p in &people {
                    tr {
                        th scope="row" {
                            (p.email)
                            @if p.id == s.actor.person.id { " (" (t(locale, M::You)) ")" }
                            @if !p.has_password { br; small { (t(locale, M::InvitationPending)) } }
                        }
                        td { (t(locale, M::role(p.role))) }
                        td { (t(locale, if p.two_factor { M::TwoFactorOn } else { M::TwoFactorOff })) }
                        td {
                            @if p.id != s.actor.person.id {
                                form.inline method="post" action={ "/dashboard/people/" (p.id) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="do" value="role";
                                    label.visually-hidden for={ "role-" (p.id) } { (t(locale, M::Role)) }
                                    (role_select(locale, &format!("role-{}", p.id), p.role))
                                    button type="submit" { (t(locale, M::ChangeRole)) }
                                }
                                form.inline method="post" action={ "/dashboard/people/" (p.id) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="do" value="remove";
                                    label {
                                        input type="checkbox" name="confirm" value="1" required;
                                        " " (t(locale, M::RemoveConfirm))
                                    }
                                    button type="submit" { (t(locale, M::Remove)) }
                                }
                            }
                        }
                    }
                }
            }
        } }
        section aria-labelledby="invite" {
            h2 id="invite" { (t(locale, M::InviteTitle)) }
            form method="post" action="/dashboard/people" {
                input type="hidden" name="csrf" value=(csrf);
                label for="email" { (t(locale, M::Email)) }
                input id="email" name="email" type="email" required autocomplete="off";
                label for="role" { (t(locale, M::Role)) }
                (role_select(locale, "role", Role::Viewer))
                button.primary type="submit" { (t(locale, M::Invite)) }
            }
        }
    };
    Ok(framed(state, s, locale, Section::People, status, body))
}

/// `GET /dashboard/people`.
pub(super) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    require(&s, locale)?;
    page(&state, &s, locale, StatusCode::OK, None).await
}

/// `POST /dashboard/people`: invite someone (address and role).
pub(super) async fn invite(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    require(&s, locale)?;
    let role = form
        .get("role")
        .and_then(Role::parse)
        .ok_or(Page::BadForm(locale))?;
    let email = form.get("email").unwrap_or_default();
    let done = state
        .engine
        .create_person(&s.actor.person.merchant_id, email, role, &s.actor.actor())
        .await;
    let (status, notice) = match refused_or(done, locale)? {
        Ok(link) => {
            let url = state.public_url.welcome(link.token.expose_secret());
            let mailed = mail_invitation(&state, &s, locale, &link.person, &url).await;
            let shown = html! {
                div.notice role="status" {
                    p { (tf(locale, M::InviteLinkOnce, &[("email", &link.person.email)])) }
                    p { code id="invite-link" { (url) } }
                    @if let Some(m) = mailed { p id="invite-mail" { (m) } }
                }
            };
            (StatusCode::OK, shown)
        }
        Err(refused) => refused,
    };
    page(&state, &s, locale, status, Some(notice)).await
}

/// E-mails `person` their invitation at `url`, if the gateway sends e-mail: what became of it,
/// to say under the link (which the owner can still pass on themselves).
async fn mail_invitation(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    person: &Person,
    url: &str,
) -> Option<String> {
    let mailer = state.mailer.as_ref()?;
    let merchant = &s.actor.person.merchant_id;
    let business = match state.engine.branding(merchant).await {
        Ok(b) => b.name,
        Err(_) => merchant.clone(),
    };
    let letter = mail::invitation(locale, person, (&s.actor.person.email, &business), url);
    let email = person.email.as_str();
    Some(match mailer.send(&letter).await {
        Ok(()) => {
            tracing::info!(person = %person.id, relay = mailer.relay(), "invitation e-mailed");
            tf(locale, M::InviteEmailed, &[("email", email)])
        }
        Err(e) => {
            // The relay's address and answer are the gateway operator's business: the log has
            // them, the merchant's page only that it failed.
            tracing::warn!(person = %person.id, error = %e, "invitation not e-mailed");
            tf(locale, M::InviteNotEmailed, &[("email", email)])
        }
    })
}

/// `POST /dashboard/people/{id}`: `do=role` with `role`, or `do=remove` with `confirm=1`.
pub(super) async fn change(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    require(&s, locale)?;
    let role = match (form.get("do"), form.get("confirm")) {
        (Some("role"), _) => Some(
            form.get("role")
                .and_then(Role::parse)
                .ok_or(Page::BadForm(locale))?,
        ),
        (Some("remove"), Some("1")) => None,
        _ => return Err(Page::BadForm(locale)),
    };
    let done = state.engine.change_person(&s.actor, &id, role).await;
    match refused_or(done, locale)? {
        Ok(_) => Ok(Redirect::to("/dashboard/people").into_response()),
        Err((status, notice)) => page(&state, &s, locale, status, Some(notice)).await,
    }
}
