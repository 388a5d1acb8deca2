//! How the merchant's customer-facing pages look (the checkout): the name customers see, a
//! brand colour, a logo (kept small and inline: the page loads nothing from elsewhere). Owners
//! change them; the logo is uploaded as a file (multipart).

use super::super::error::{refused_or, Page};
use super::super::layout::{framed, locale_of, Section};
use super::super::messages::{t, M};
use super::super::session::Signed;
use super::settings_tabs;
use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Locale, Mode};
use kumbu_engine::{DashboardSession, SetBranding};
use maud::{html, Markup};

async fn page(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    status: StatusCode,
    notice: Option<Markup>,
) -> Result<Response, Page> {
    let b = state
        .engine
        .branding(&s.actor.person.merchant_id)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let may = s.actor.person.role.may(Action::ManageSettings);
    let body = html! {
        (settings_tabs(locale, "/dashboard/settings/branding"))
        @if let Some(n) = notice { (n) }
        dl {
            dt { (t(locale, M::BrandName)) } dd { (b.name) }
            dt { (t(locale, M::BrandColour)) } dd { (b.brand_color.as_deref().unwrap_or("—")) }
            dt { (t(locale, M::Logo)) }
            dd { @match &b.logo { Some(src) => img src=(src) alt=(b.name) height="48"; , None => "—" } }
        }
        @if may {
            form method="post" action="/dashboard/settings/branding" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(state.engine.session_form_token(s));
                label for="brand-name" { (t(locale, M::BrandName)) }
                input id="brand-name" name="name" type="text" maxlength="100" required value=(b.name);
                label for="brand-colour" { (t(locale, M::BrandColour)) }
                input id="brand-colour" name="color" type="text" maxlength="7" placeholder="#0a7f3c"
                    value=[b.brand_color.as_deref()] aria-describedby="brand-colour-hint";
                p.hint id="brand-colour-hint" { (t(locale, M::BrandColourHint)) }
                label for="logo" { (t(locale, M::Logo)) }
                input id="logo" name="logo" type="file" accept=".png,.jpg,.jpeg,.webp,.svg" aria-describedby="logo-hint";
                p.hint id="logo-hint" { (t(locale, M::LogoHint)) }
                button.primary type="submit" { (t(locale, M::Save)) }
            }
        }
    };
    Ok(framed(state, s, locale, Section::Settings, status, body))
}

/// `GET /dashboard/settings/branding`.
pub(in crate::dashboard) async fn branding(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    page(&state, &s, locale_of(&headers), StatusCode::OK, None).await
}

/// The form: its CSRF token, and the change it asks (a logo only if a file was chosen).
async fn read(mut form: Multipart) -> Option<(String, SetBranding)> {
    let (mut csrf, mut change) = (None, SetBranding::default());
    while let Some(field) = form.next_field().await.ok()? {
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.ok()?),
            Some("name") => change.name = Some(field.text().await.ok()?),
            Some("color") => change.color = Some(field.text().await.ok()?.trim().to_owned()),
            Some("logo") => {
                let file = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.ok()?.to_vec();
                if !file.is_empty() && !bytes.is_empty() {
                    change.logo = Some((bytes, file));
                }
            }
            Some(_) | None => {}
        }
    }
    Some((csrf?, change))
}

/// `POST /dashboard/settings/branding` (multipart: `csrf`, `name`, `color`, `logo`).
pub(in crate::dashboard) async fn set_branding(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let (csrf, change) = match form {
        Ok(form) => read(form).await.ok_or(Page::BadForm(locale))?,
        Err(_) => return Err(Page::BadForm(locale)),
    };
    if !state.engine.session_form_token_ok(&s, &csrf) {
        return Err(Page::Refused(locale, M::FormExpired));
    }
    let done = async {
        s.actor.require(Action::ManageSettings)?;
        let detail = change.name.clone().unwrap_or_default();
        let auth = s.actor.acting(Mode::Live, "branding.set", "", detail);
        state.engine.set_branding_for(&auth, change).await
    }
    .await;
    match refused_or(done, locale)? {
        Ok(_) => Ok(Redirect::to("/dashboard/settings/branding").into_response()),
        Err((status, notice)) => page(&state, &s, locale, status, Some(notice)).await,
    }
}
