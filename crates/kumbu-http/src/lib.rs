//! Kumbu's HTTP faces. A face is translation only: it parses its wire format into engine
//! commands, calls the [`Engine`], and renders results and errors in its own format.
//!
//! This crate serves the native API (`/v1/…`), health and readiness, Prometheus metrics and the
//! generated OpenAPI document, the hosted checkout page (`pages/`) and the five compatibility faces
//! (`compat/<face>/`).

mod callbacks;
mod canonical_json;
mod client_ip;
mod compat;
mod csv;
mod dashboard;
mod error;
mod extract;
mod health;
mod idempotency;
pub mod mail;
mod native;
mod openapi;
mod pages;
mod query;
pub mod rate_limit;
mod reply;
mod server;
pub mod sign_in;
mod telemetry;
mod throttle;
mod urls;
mod webhook_faces;

pub use client_ip::TrustedProxies;
pub use mail::{MailSettings, Mailer};
pub use openapi::openapi_json;
pub use server::{serve, ConnectionLimits};
pub use telemetry::metrics_handle;
pub use urls::PublicUrl;
pub use webhook_faces::webhook_faces;

use axum::Router;
use kumbu_engine::Engine;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// Resends one merchant may ask for a minute in each mode; beyond, 429.
pub const RESENDS_PER_MINUTE: u32 = 60;

/// Failed dashboard sign-ins allowed per address and source address, a minute and an hour
/// (ten times that per source over all addresses).
pub const DASHBOARD_FAILURES_PER_MINUTE: u32 = 10;
/// See [`DASHBOARD_FAILURES_PER_MINUTE`].
pub const DASHBOARD_FAILURES_PER_HOUR: u32 = 60;

/// Password-reset e-mails one address, and one source address, may ask for in an hour; beyond,
/// 429 (counted whether or not anyone signs in with the address, so it tells nothing).
pub const RESET_REQUESTS_PER_HOUR: u32 = 5;

/// How often an operator's callback may move one payment's status query forward (a forged
/// callback costs at most one query per payment in this time, per process).
pub const CALLBACK_PULL_INTERVAL: Duration = Duration::from_secs(5);

/// Largest request body accepted (64 KiB); larger bodies get 413 `body_too_large`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Shared state of every handler (one per process, shared by all its listeners).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// Requests per API key a minute (`--api-rate-limit`): the native API and the faces an API
    /// key authenticates.
    pub api_limit: std::sync::Arc<rate_limit::RateLimiter>,
    /// Resends per merchant and mode a minute (each fans out to every endpoint).
    pub resend_limit: std::sync::Arc<rate_limit::RateLimiter>,
    /// Operator callbacks that may move a status query forward: one per payment reference in
    /// [`CALLBACK_PULL_INTERVAL`].
    pub callback_pulls: std::sync::Arc<rate_limit::RateLimiter>,
    /// ProxyPay's per-key request limit.
    pub proxypay_limit: std::sync::Arc<rate_limit::RateLimiter>,
    /// Adullam's documented limits per partner: 100 a minute and 1,000 an hour unless
    /// configured otherwise.
    pub adullam_limit: std::sync::Arc<rate_limit::RateLimiter>,
    /// Failed Adullam token requests, per client and source address (the same limits).
    pub adullam_sign_ins: std::sync::Arc<sign_in::SignInThrottle>,
    /// Where customers reach this gateway (checkout page URLs are under it).
    pub public_url: PublicUrl,
    /// Failed dashboard sign-ins, per address and source (the engine slows each account too).
    pub dashboard_sign_ins: std::sync::Arc<sign_in::SignInThrottle>,
    /// Checkout payment attempts per network address in 10 minutes.
    pub checkout_ip_limit: std::sync::Arc<rate_limit::RateLimiter>,
    /// The proxies whose `X-Forwarded-For` names the client (the checkout page's per-address
    /// limit).
    pub trusted_proxies: std::sync::Arc<TrustedProxies>,
    /// Where invitations and password-reset links are e-mailed (`--smtp-url`); none: the links
    /// are only shown to the inviter, or printed by `kumbu user`.
    pub mailer: Option<std::sync::Arc<Mailer>>,
    /// Password-reset e-mails asked for, per address and per source (mail bombing).
    pub reset_requests: std::sync::Arc<rate_limit::RateLimiter>,
}

impl AppState {
    /// State for `engine`, with the limits its configuration sets.
    pub fn new(engine: Engine) -> Self {
        let per_minute = engine.config().proxypay_requests_per_minute;
        let limit = |max: u32, window: Duration| {
            std::sync::Arc::new(rate_limit::RateLimiter::new(vec![rate_limit::Rule {
                max,
                window,
            }]))
        };
        Self {
            api_limit: limit(
                engine.config().api_requests_per_minute,
                Duration::from_secs(60),
            ),
            resend_limit: limit(RESENDS_PER_MINUTE, Duration::from_secs(60)),
            callback_pulls: limit(1, CALLBACK_PULL_INTERVAL),
            proxypay_limit: std::sync::Arc::new(rate_limit::RateLimiter::new(vec![
                rate_limit::Rule {
                    max: per_minute,
                    window: Duration::from_secs(60),
                },
            ])),
            adullam_limit: std::sync::Arc::new(rate_limit::RateLimiter::new(vec![
                rate_limit::Rule {
                    max: engine.config().adullam_requests_per_minute,
                    window: Duration::from_secs(60),
                },
                rate_limit::Rule {
                    max: engine.config().adullam_requests_per_hour,
                    window: Duration::from_secs(3600),
                },
            ])),
            adullam_sign_ins: std::sync::Arc::new(sign_in::SignInThrottle::new(
                engine.config().adullam_requests_per_minute,
                engine.config().adullam_requests_per_hour,
            )),
            dashboard_sign_ins: std::sync::Arc::new(sign_in::SignInThrottle::new(
                DASHBOARD_FAILURES_PER_MINUTE,
                DASHBOARD_FAILURES_PER_HOUR,
            )),
            checkout_ip_limit: std::sync::Arc::new(rate_limit::RateLimiter::new(vec![
                rate_limit::Rule {
                    max: engine.config().checkout_attempts_per_ip,
                    window: Duration::from_secs(600),
                },
            ])),
            engine,
            public_url: PublicUrl::default(),
            trusted_proxies: std::sync::Arc::default(),
            mailer: None,
            reset_requests: limit(RESET_REQUESTS_PER_HOUR, Duration::from_secs(3600)),
        }
    }

    /// The same state, e-mailing invitations and reset links through `mailer`.
    pub fn with_mailer(mut self, mailer: Option<Mailer>) -> Self {
        self.mailer = mailer.map(std::sync::Arc::new);
        self
    }

    /// The same state, believing `X-Forwarded-For` only from `proxies`.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = std::sync::Arc::new(proxies);
        self
    }

    /// The same state, handing out page URLs under `url`.
    pub fn with_public_url(mut self, url: PublicUrl) -> Self {
        self.public_url = url;
        self
    }
}

/// The whole HTTP application: native API, faces, pages, health and OpenAPI, with request ids,
/// access logs, metrics, a body limit and panic protection. `/metrics` is not here: see
/// [`metrics_router`].
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(native::routes())
        .merge(health::routes())
        .merge(callbacks::routes())
        .merge(pages::routes())
        .merge(dashboard::routes())
        .nest("/compat/proxypay", compat::proxypay::routes())
        .nest("/compat/plexospay", compat::plexospay::routes())
        .nest("/compat/adullam", compat::adullam::routes())
        .nest("/compat/simiz", compat::simiz::routes())
        .nest("/compat/kulpay", compat::kulpay::routes())
        .route("/openapi.json", axum::routing::get(openapi::serve))
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed);
    with_layers(routes, state)
}

/// The ProxyPay face alone, at the root (for `--proxypay-listen`: some clients can only change
/// the host they call). Only `/healthz` besides.
pub fn proxypay_router(state: AppState) -> Router {
    let routes =
        compat::proxypay::root_routes().route("/healthz", axum::routing::get(health::healthz));
    with_layers(routes, state)
}

/// Prometheus metrics (`/metrics`) and the health probes, for the operator's own listener
/// (`--metrics-listen`): the figures name every merchant's endpoints, volumes and backlogs, so
/// they are not served where the API is.
pub fn metrics_router(state: AppState) -> Router {
    with_layers(
        health::metrics_routes().fallback(error::route_not_found),
        state,
    )
}

/// Installs the process's metrics recorder (once; later calls do nothing). Call it before
/// anything counts: a count made before it exists is lost.
pub fn install_metrics() {
    let _ = telemetry::metrics_handle();
}

/// State and the layers every listener shares.
fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    // Install the recorder before the first request so no early measurement is lost.
    let _ = telemetry::metrics_handle();
    routes
        .with_state(state)
        .layer(axum::middleware::from_fn(throttle::retry_after))
        .layer(axum::middleware::from_fn(telemetry::track))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(telemetry::request_id_layers())
}
