//! Uploading a bank file (an InterBancos MEPS file): what `kumbu reconcile` does, from the
//! browser, in the mode the dashboard shows, and only for this business's own SIMO entity.
//! Importing the same file again changes nothing; the page says what reconciliation made of
//! it and sends the person to the exceptions it raised.

use super::super::error::{refused_or, Page};
use super::super::layout::{framed_in, locale_of, view_mode, Section};
use super::super::messages::{t, tf, M};
use super::super::session::Signed;
use super::collection_tabs;
use crate::pages::format::amount;
use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::{Action, Currency, Locale, Mode};
use kumbu_engine::{DashboardSession, FileImport};
use maud::{html, Markup};

/// The largest file taken (about 150,000 payments).
pub(in crate::dashboard) const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The page: the form (for the roles that move money) and `shown` above it.
fn page(
    state: &AppState,
    s: &DashboardSession,
    (locale, mode): (Locale, Mode),
    status: StatusCode,
    shown: Option<Markup>,
) -> Response {
    let may = s.actor.person.role.may(Action::MoveMoney);
    let body = html! {
        (collection_tabs(locale, "/dashboard/collections/upload"))
        @if let Some(m) = shown { (m) }
        @if may {
            form method="post" action="/dashboard/collections/upload" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(state.engine.session_form_token(s));
                label for="file" { (t(locale, M::MepsFile)) }
                input id="file" name="file" type="file" required aria-describedby="file-hint";
                p.hint id="file-hint" { (t(locale, M::UploadHint)) }
                button.primary type="submit" { (t(locale, M::Import)) }
            }
        } @else {
            p { (t(locale, M::UploadNotYours)) }
        }
    };
    framed_in(
        state,
        s,
        (locale, mode),
        (Section::Collections, Some(t(locale, M::BankFile))),
        status,
        body,
    )
}

/// `GET /dashboard/collections/upload`.
pub(in crate::dashboard) async fn upload_form(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Response {
    let seen = (locale_of(&headers), view_mode(&headers));
    page(&state, &s, seen, StatusCode::OK, None)
}

/// The form's fields: its CSRF token and the file's text.
async fn fields(mut form: Multipart) -> Option<(String, Vec<u8>)> {
    let (mut csrf, mut file) = (None, None);
    while let Some(field) = form.next_field().await.ok()? {
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.ok()?),
            Some("file") => file = Some(field.bytes().await.ok()?.to_vec()),
            Some(_) | None => {}
        }
    }
    Some((csrf?, file?))
}

/// What the import made of the file, in words.
fn summary(locale: Locale, import: &FileImport) -> Markup {
    let exceptions = import
        .payments
        .iter()
        .filter(|p| p.outcome.is_exception() && p.decision.is_none())
        .count();
    let total: i64 = import.payments.iter().map(|p| p.amount).sum();
    let count = import.payments.len().to_string();
    let open = exceptions.to_string();
    let said = if import.already_imported {
        tf(locale, M::AlreadyImported, &[("file", &import.file_id)])
    } else {
        tf(
            locale,
            M::Imported,
            &[
                ("file", &import.file_id),
                ("count", &count),
                ("exceptions", &open),
            ],
        )
    };
    html! {
        div role="status" {
            p.notice { (said) " " (amount(locale, Currency::Mzn, total)) }
            @if let Some(g) = &import.gap {
                p.error { (tf(locale, M::FileGap, &[("previous", g)])) }
            }
            @if exceptions > 0 {
                p { a href="/dashboard/collections" { (t(locale, M::ExceptionsQueue)) } }
            }
        }
    }
}

/// `POST /dashboard/collections/upload` (multipart: `csrf`, `file`).
pub(in crate::dashboard) async fn upload(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Page> {
    let seen @ (locale, mode) = (locale_of(&headers), view_mode(&headers));
    let (csrf, bytes) = match form {
        Ok(form) => fields(form).await.ok_or(Page::BadForm(locale))?,
        Err(_) => return Err(Page::BadForm(locale)),
    };
    if !state.engine.session_form_token_ok(&s, &csrf) {
        return Err(Page::Refused(locale, M::FormExpired));
    }
    // MEPS files are ASCII; anything else is refused by the parser, naming the line.
    let text = String::from_utf8_lossy(&bytes);
    let done = async {
        s.actor.require_money(mode)?;
        let auth = s
            .actor
            .acting(mode, "bank_file.imported", "", String::new());
        state.engine.import_meps_for(&auth, &text).await
    }
    .await;
    Ok(match refused_or(done, locale)? {
        Ok(import) => page(
            &state,
            &s,
            seen,
            StatusCode::OK,
            Some(summary(locale, &import)),
        ),
        Err((status, notice)) => page(&state, &s, seen, status, Some(notice)),
    })
}
