//! The merchant's SIMO entity (5 digits): what its ERV bills carry, and what a MEPS file must
//! name to be imported for it. Owners set it; one entity belongs to one merchant.

use super::super::error::{refused_or, Page};
use super::super::layout::{framed, locale_of, Section};
use super::super::messages::{t, M};
use super::super::session::{session_form, Signed};
use super::settings_tabs;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Locale, Mode};
use kumbu_engine::DashboardSession;
use maud::{html, Markup};

async fn page(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let current = state
        .engine
        .erv_entity(&s.actor.auth(Mode::Live))
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let may = s.actor.person.role.may(Action::ManageSettings);
    let body = html! {
        (settings_tabs(locale, "/dashboard/settings/entity"))
        @if let Some(n) = notice { (n) }
        p { (t(locale, M::SimoEntityHelp)) }
        dl { dt { (t(locale, M::SimoEntity)) } dd { (current.as_deref().unwrap_or("—")) } }
        @if may {
            form method="post" action="/dashboard/settings/entity" {
                input type="hidden" name="csrf" value=(state.engine.session_form_token(s));
                label for="entity" { (t(locale, M::SimoEntity)) }
                input id="entity" name="entity" type="text" inputmode="numeric" maxlength="5"
                    pattern="[0-9]{5}" required value=[current.as_deref()];
                button.primary type="submit" { (t(locale, M::Save)) }
            }
        }
    };
    Ok(framed(state, s, locale, Section::Settings, status, body))
}

/// `GET /dashboard/settings/entity`.
pub(in crate::dashboard) async fn entity(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    page(&state, &s, locale_of(&headers), StatusCode::OK, None).await
}

/// `POST /dashboard/settings/entity`: `entity`.
pub(in crate::dashboard) async fn set_entity(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let entity = form.get("entity").unwrap_or_default().trim().to_owned();
    let done = async {
        s.actor.require(Action::ManageSettings)?;
        let auth = s
            .actor
            .acting(Mode::Live, "simo_entity.set", &entity, String::new());
        state.engine.set_erv_entity_for(&auth, &entity).await
    }
    .await;
    match refused_or(done, locale)? {
        Ok(()) => Ok(Redirect::to("/dashboard/settings/entity").into_response()),
        Err((status, notice)) => page(&state, &s, locale, status, Some(notice)).await,
    }
}
