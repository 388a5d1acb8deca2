//! What every form that changes money shares: its token checked, its confirmation ticked, and
//! its one-time value (`once`, set when the page was drawn) made the command's Idempotency-Key,
//! so a double click, or a browser sending the form again, acts once.

use super::error::Page;
use super::layout::{locale_of, view_mode};
use super::session::session_form;
use crate::pages::FormFields;
use crate::AppState;
use axum::body::Bytes;
use axum::http::HeaderMap;
use kumbu_core::{Locale, Mode};
use kumbu_engine::{DashboardSession, IdempotencyRequest};
use maud::{html, Markup};

/// The hidden fields of a form that acts once: the session's CSRF token and a fresh `once`.
pub(super) fn once_fields(state: &AppState, s: &DashboardSession) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(state.engine.session_form_token(s));
        input type="hidden" name="once" value=(kumbu_core::ids::random_token(24));
    }
}

/// A form that changes money, read: its token checked, its confirmation ticked; with the
/// language and the mode it acts in, and its `once` value as the command's Idempotency-Key.
pub(super) fn confirmed(
    state: &AppState,
    s: &DashboardSession,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Locale, Mode, FormFields, IdempotencyRequest), Page> {
    let locale = locale_of(headers);
    let form = session_form(&state.engine, s, headers, body)?;
    if form.get("confirm") != Some("1") {
        return Err(Page::BadForm(locale));
    }
    let idem = once_key(form.get("once"), body).ok_or(Page::BadForm(locale))?;
    Ok((locale, view_mode(headers), form, idem))
}

/// The Idempotency-Key of a form whose one-time value is `once` and whose whole body is `body`
/// (the same value with another body is refused by the engine, as with the API).
pub(super) fn once_key(once: Option<&str>, body: &[u8]) -> Option<IdempotencyRequest> {
    let once = once.filter(|o| o.len() == 24 && o.bytes().all(|b| b.is_ascii_alphanumeric()))?;
    let fingerprint = kumbu_engine::hash_key(&String::from_utf8_lossy(body));
    IdempotencyRequest::new(&format!("dashboard-{once}"), fingerprint).ok()
}

/// The confirmation a form that changes money asks (`said`), and its button (`button`,
/// the main action when `primary`).
pub(super) fn confirm_and_submit(
    locale: Locale,
    said: super::messages::M,
    button: super::messages::M,
    primary: bool,
) -> Markup {
    use super::messages::t;
    html! {
        label {
            input type="checkbox" name="confirm" value="1" required;
            " " (t(locale, said))
        }
        @if primary {
            button.primary type="submit" { (t(locale, button)) }
        } @else {
            button type="submit" { (t(locale, button)) }
        }
    }
}
