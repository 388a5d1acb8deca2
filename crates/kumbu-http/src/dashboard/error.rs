//! A dashboard page's refusal or failure, rendered as a page in the person's language.

use super::layout::notice;
use super::messages::{t, tf, M};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kumbu_core::{ErrorType, Locale};
use kumbu_engine::EngineError;

/// Why a dashboard page could not be shown as asked, rendered as a page in words.
#[derive(Debug)]
pub(crate) enum Page {
    /// A refusal in the person's language, with the status it carries (a form that expired:
    /// 403; a role that may not: 403).
    Refused(Locale, M),
    /// Refused for the person's role.
    NotPermitted(Locale, kumbu_core::Role),
    /// The form body could not be read.
    BadForm(Locale),
    /// The database failed.
    Unavailable(Locale),
}

impl Page {
    /// An engine error met while acting: its refusal in words, a store failure logged.
    pub(crate) fn from_engine(e: EngineError, locale: Locale) -> Self {
        match e {
            EngineError::Rejected(r) if r.code == kumbu_core::ErrorCode::NotPermitted => {
                Page::Refused(locale, M::NotAllowed)
            }
            EngineError::Rejected(r) => {
                tracing::info!(code = r.code.code(), "a dashboard action was refused");
                Page::BadForm(locale)
            }
            EngineError::Store(s) => {
                tracing::error!(error = %s, "a dashboard page failed in the store");
                Page::Unavailable(locale)
            }
        }
    }
}

impl From<crate::pages::PageError> for Page {
    fn from(_: crate::pages::PageError) -> Self {
        Page::BadForm(Locale::En)
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let (status, locale, text) = match self {
            Page::Refused(l, m) => (StatusCode::FORBIDDEN, l, t(l, m).to_owned()),
            Page::NotPermitted(l, role) => (
                StatusCode::FORBIDDEN,
                l,
                tf(l, M::NotPermitted, &[("role", t(l, M::role(role)))]),
            ),
            Page::BadForm(l) => (StatusCode::BAD_REQUEST, l, t(l, M::FormExpired).to_owned()),
            Page::Unavailable(l) => (
                StatusCode::SERVICE_UNAVAILABLE,
                l,
                t(l, M::Unavailable).to_owned(),
            ),
        };
        notice(status, locale, &text)
    }
}

/// The person's-language lead of a refusal of this kind.
fn lead(kind: ErrorType) -> M {
    match kind {
        ErrorType::InvalidRequestError => M::RefusedInvalid,
        ErrorType::AuthenticationError => M::RefusedAuth,
        ErrorType::IdempotencyError => M::RefusedRepeated,
        ErrorType::NotFoundError => M::RefusedMissing,
        ErrorType::ConflictError => M::RefusedState,
        ErrorType::RateLimitError => M::RefusedTooMany,
        ErrorType::ApiError => M::RefusedFailed,
    }
}

/// The engine's refusal as a notice: in English, its own words; in French or Portuguese, what
/// kind of refusal it is in the person's language, then the engine's words (which name the
/// field and the rule, in English, marked as such for screen readers).
fn refusal(r: &kumbu_core::Rejection, locale: Locale) -> maud::Markup {
    match locale {
        Locale::En => maud::html! { p.error role="alert" { (r.message) } },
        Locale::Fr | Locale::Pt => maud::html! {
            p.error role="alert" {
                (t(locale, lead(r.code.error_type()))) br;
                small { (t(locale, M::EngineSays)) " " span lang="en" { (r.message) } }
            }
        },
    }
}

/// What an action came to: `Ok` with its result, or the engine's refusal as a notice above
/// the page that was asked (see [`refusal`], with its status); a failure is a page of its own
/// (`Err`).
pub(super) fn refused_or<T>(
    done: Result<T, EngineError>,
    locale: Locale,
) -> Result<Result<T, (StatusCode, maud::Markup)>, Page> {
    match done {
        Ok(v) => Ok(Ok(v)),
        Err(EngineError::Rejected(r)) => Ok(Err((
            StatusCode::from_u16(r.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            refusal(&r, locale),
        ))),
        Err(e) => Err(Page::from_engine(e, locale)),
    }
}
