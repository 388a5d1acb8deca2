//! Pages for people: the hosted checkout at `/pay/{token}` (docs/checkout.md), and the
//! hand-over to an operator's own page at `/pay/go/{token}` (docs/operators/orange-money.md).
//!
//! Server-rendered HTML that works with JavaScript off (forms, and a waiting view that
//! refreshes itself), enhanced by one small script of Kumbu's own. Nothing is loaded from
//! elsewhere: no CDN, no web fonts. Every response carries the same protections: a
//! Content-Security-Policy without `unsafe-inline` (the one `<style>`, the brand colour, carries
//! a per-response nonce), no framing, no referrer, no caching, no indexing. Every POST carries a
//! CSRF token bound to the session and to a cookie of the browser (signed double submit).
//!
//! Layout: `layout.rs` (security headers, the HTML response, assets, the language), `guard.rs`
//! (client address, CSRF), `error.rs` (`PageError`), `messages.rs` (the catalogue in French,
//! Portuguese and English), `format.rs` (amounts, phones, times), and one folder per page:
//! `checkout/` (`mod.rs` the handlers, `views.rs` the HTML), `handover.rs` (the hand-over and
//! its waiting page).

mod checkout;
mod error;
mod form;
pub(crate) mod format;
mod guard;
mod handover;
pub(crate) mod layout;
pub(crate) mod messages;

use crate::AppState;
use axum::routing::get;
use axum::Router;
use layout::{css, js};

pub(crate) use error::PageError;
pub(crate) use form::FormFields;
pub(crate) use guard::{cookie, Csrf, CsrfCookie};
pub(crate) use layout::{html_response, locale_for, secure};

/// The pages' routes: the checkout page, its forms and its assets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pay/assets/checkout.css", get(css))
        .route("/pay/assets/checkout.js", get(js))
        .route("/pay/{token}", get(checkout::show).post(checkout::start))
        .route("/pay/go/{token}", get(handover::go))
        .route("/pay/go/{token}/back", get(handover::back))
        .route("/pay/{token}/cancel", axum::routing::post(checkout::cancel))
        .route(
            "/pay/{token}/sandbox",
            axum::routing::post(checkout::sandbox),
        )
        .route("/pay/{token}/status", get(checkout::status))
        .route(
            "/pay/{token}/predict",
            axum::routing::post(checkout::predict),
        )
}
