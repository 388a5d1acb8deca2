//! A page's error: a refusal or a failure rendered as HTML in the page's language, never JSON.

use super::layout::{document, page_response};
use super::messages::{t, Msg};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kumbu_core::Locale;
use kumbu_engine::EngineError;
use maud::{html, Markup};
/// Why a page could not be shown, rendered as a page in words.
#[derive(Debug)]
pub(crate) enum PageError {
    /// No session behind the link.
    NotFound(Locale),
    /// The form's CSRF token did not match.
    Csrf(Locale),
    /// The form body could not be read.
    BadForm,
    /// The database failed.
    Unavailable(Locale),
}

impl PageError {
    /// An engine error met while loading a page or acting on it: a refusal means the link
    /// leads nowhere; a store failure is logged and answered "try again shortly".
    pub(crate) fn from_engine(e: EngineError, locale: Locale) -> Self {
        match e {
            EngineError::Rejected(_) => PageError::NotFound(locale),
            EngineError::Store(s) => {
                tracing::error!(error = %s, "checkout page failed in the store");
                PageError::Unavailable(locale)
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, locale, title, help) = match self {
            PageError::NotFound(l) => (
                StatusCode::NOT_FOUND,
                l,
                Msg::NotFound,
                t(l, Msg::NotFoundHelp),
            ),
            PageError::Csrf(l) => (StatusCode::FORBIDDEN, l, Msg::Title, t(l, Msg::FormExpired)),
            PageError::BadForm => (
                StatusCode::BAD_REQUEST,
                Locale::En,
                Msg::Title,
                t(Locale::En, Msg::FormExpired),
            ),
            PageError::Unavailable(l) => (
                StatusCode::SERVICE_UNAVAILABLE,
                l,
                Msg::Title,
                t(l, Msg::ErrUnavailable),
            ),
        };
        page_response(status, bare(locale, title, help))
    }
}

/// A page for an unknown link or a refused form, without a session.
fn bare(locale: Locale, title: Msg, help: &str) -> Markup {
    let body = html! {
        body {
            main {
                div role="alert" {
                    h1 { (t(locale, title)) }
                    p { (help) }
                }
            }
        }
    };
    document(locale, t(locale, title), html! {}, body)
}
