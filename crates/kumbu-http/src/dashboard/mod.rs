//! The merchant dashboard at `/dashboard` (docs/dashboard.md): the people of a business sign in
//! (password, then a second factor) and see and act on their money.
//!
//! Built on the checkout's stack: server-rendered HTML that works with JavaScript off, the same
//! security headers (CSP without `unsafe-inline`, no framing, no referrer, no caching), CSRF on
//! every form, French, Portuguese and English. The engine decides everything (who may do what
//! included: [`kumbu_engine::DashboardActor::require`]); these files only translate.
//!
//! Layout: `error.rs` (`Page`, a refusal or failure as a page), `session.rs` (the cookie, the
//! session extractors, CSRF), `layout.rs` (the frame every
//! page shares, the language), `messages.rs` (the catalogue), then one file per page or family:
//! `sign_in.rs` (sign-in, second factor, sign-out), `forgot.rs` (a forgotten password: a link
//! by e-mail), `welcome.rs` (a one-time link to set a password), `mail.rs` (the e-mails' text), `security.rs` (two-step enrolment with `qr.rs`, recovery codes, sessions), `home.rs`,
//! `payments/` (the list, its CSV, a payment's page, refund and cancel), `collections/` (the
//! exceptions queue and its decisions, bills, the reconciliation report, a bank file's
//! upload), `act.rs` (what forms that change money share), `csv.rs`, `people.rs`
//! (people, invitations, roles), `developers/` (API keys, webhook endpoints, events), `settings/` (connectors, branding, the SIMO entity), `audit.rs` (the audit log and its export).

mod act;
mod audit;
mod chart;
mod collections;
mod developers;
mod error;
mod forgot;
mod home;
mod layout;
mod mail;
mod messages;
mod payments;
mod people;
mod qr;
mod security;
mod session;
mod settings;
mod sign_in;
mod table;
mod welcome;

use crate::pages::layout::asset;
use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;

/// The dashboard's stylesheet.
const CSS: &str = include_str!("assets/dashboard.css");

/// The dashboard's routes. Every path under `/dashboard` that is not one of them sends a
/// stranger to the sign-in page (and a signed-in person to the home page).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(home::show))
        .route("/dashboard/", get(|| async { Redirect::to("/dashboard") }))
        .route(
            "/dashboard/assets/dashboard.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route("/dashboard/lang/{code}", get(layout::choose_language))
        .route("/dashboard/view/{mode}", get(layout::choose_view))
        .route("/dashboard/payments", get(payments::list))
        .route("/dashboard/payments.csv", get(payments::export))
        .route("/dashboard/payments/{id}", get(payments::show))
        .route("/dashboard/payments/{id}/refund", post(payments::refund))
        .route("/dashboard/payments/{id}/cancel", post(payments::cancel))
        .route("/dashboard/refunds", get(payments::refunds))
        .route(
            "/dashboard/payouts",
            get(payments::payouts).post(payments::create_payout),
        )
        .route("/dashboard/checkout-sessions", get(payments::sessions))
        .route("/dashboard/references", get(payments::references))
        .route("/dashboard/collections", get(collections::queue))
        .route(
            "/dashboard/collections/exceptions/{id}",
            get(collections::exception).post(collections::decide),
        )
        .route(
            "/dashboard/collections/requests",
            get(collections::requests),
        )
        .route("/dashboard/collections/report", get(collections::report))
        .route(
            "/dashboard/collections/upload",
            get(collections::upload_form)
                .post(collections::upload)
                .layer(DefaultBodyLimit::max(collections::MAX_FILE_BYTES)),
        )
        .route("/dashboard/login", get(sign_in::show).post(sign_in::submit))
        .route(
            "/dashboard/login/code",
            get(sign_in::show_code).post(sign_in::submit_code),
        )
        .route("/dashboard/logout", post(sign_in::sign_out))
        .route("/dashboard/forgot", get(forgot::show).post(forgot::submit))
        .route(
            "/dashboard/welcome/{token}",
            get(welcome::show).post(welcome::submit),
        )
        .route("/dashboard/security", get(security::show))
        .route(
            "/dashboard/security/two-factor",
            get(security::show_enrol).post(security::submit_enrol),
        )
        .route(
            "/dashboard/security/recovery-codes",
            post(security::new_recovery_codes),
        )
        .route("/dashboard/people", get(people::show).post(people::invite))
        .route("/dashboard/people/{id}", post(people::change))
        .route(
            "/dashboard/developers/keys",
            get(developers::show).post(developers::create),
        )
        .route("/dashboard/developers/keys/{id}", post(developers::change))
        .route(
            "/dashboard/developers/webhooks",
            get(developers::endpoints).post(developers::create_endpoint),
        )
        .route(
            "/dashboard/developers/webhooks/{id}",
            post(developers::change_endpoint),
        )
        .route("/dashboard/developers/events", get(developers::events))
        .route("/dashboard/developers/events/{id}", get(developers::event))
        .route(
            "/dashboard/developers/events/{id}/resend",
            post(developers::resend),
        )
        .route(
            "/dashboard/settings/connectors",
            get(settings::connectors).post(settings::set_connector),
        )
        .route(
            "/dashboard/settings/connectors/{operator}",
            post(settings::change_connector),
        )
        .route(
            "/dashboard/settings/branding",
            get(settings::branding)
                .post(settings::set_branding)
                .layer(DefaultBodyLimit::max(256 * 1024)),
        )
        .route(
            "/dashboard/settings/entity",
            get(settings::entity).post(settings::set_entity),
        )
        .route("/dashboard/audit", get(audit::show))
        .route("/dashboard/audit.csv", get(audit::export))
        .route(
            "/dashboard/{*rest}",
            get(|| async { Redirect::to("/dashboard") }),
        )
}
