//! A simulator of Wave's Business API, for live-mode tests and staging with no network. Checkout:
//! `POST /v1/checkout/sessions`, reads by id, by `transaction_id` and by `client_reference`,
//! `expire`, `refund`, and the payer's page at `wave_launch_url` (a number, then pay, fail or give
//! up). Payouts: `POST /v1/payout` with `idempotency-key` (synchronous; `processing` resolves when
//! read later), reads, search, `reverse`. `GET /v1/balance`. Webhooks to the configured URL,
//! `{"id", "type", "data"}`, signed `Wave-Signature: t=…,v1=…` (or, with a shared secret,
//! `Authorization: Bearer <secret>`). Served by `kumbu simulate wave --listen <addr>`; PyPI
//! `wave-business-api` runs unchanged against it (scripts/fidelity/wave/).
//!
//! Outcomes follow the number (Kumbu's sandbox suffixes: `page.rs`). Control endpoints under
//! `/_simulator/` let tests inject faults, pay without a browser and read counters. Wave documents
//! no sandbox: where its behaviour is not documented the simulator chooses, and says so
//! (docs/operators/wave.md).

mod answers;
mod handlers;
mod page;
mod payouts;
mod state;
mod webhooks;

pub use state::{Faults, Stats, Webhook};

use kumbu_core::Timestamp;
use std::sync::Arc;
use std::time::Duration;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// API keys accepted; empty: any key starting `wave_`.
    pub api_keys: Vec<String>,
    /// When set, every API request must carry a `Wave-Signature` under this secret (Wave's
    /// optional request signing).
    pub request_signing_secret: Option<String>,
    /// Where webhooks go; none: no webhooks.
    pub webhook_url: Option<String>,
    /// The webhook signing secret (`Wave-Signature`).
    pub webhook_secret: Option<String>,
    /// The webhook shared secret (`Authorization: Bearer`), used when no signing secret is set.
    pub webhook_shared_secret: Option<String>,
    /// How long a checkout session takes payments.
    pub session_ttl: Duration,
    /// How long a `processing` payout takes to resolve.
    pub payout_delay: Duration,
    /// When set, each checkout session is paid this long after it is made, by the number it
    /// names (`restrict_payer_mobile`) or one that pays, as a payer opening its page would: for
    /// load tests, where no browser opens the pages. `None`: only a payer (or
    /// `/_simulator/sessions/{id}/pay`) pays.
    pub sessions_paid_after: Option<Duration>,
    /// The merchant's name shown on sessions and the page.
    pub business_name: String,
    /// The wallet's balance at start, whole francs.
    pub opening_balance: i64,
    /// Faults in force at start.
    pub faults: Faults,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_keys: Vec::new(),
            request_signing_secret: None,
            webhook_url: None,
            webhook_secret: None,
            webhook_shared_secret: None,
            session_ttl: Duration::from_secs(30 * 60),
            payout_delay: Duration::from_secs(2),
            sessions_paid_after: None,
            business_name: "Boutique Simulée".to_owned(),
            opening_balance: 10_000_000,
            faults: Faults::default(),
        }
    }
}

/// A running simulator's shared state.
#[derive(Debug, Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

type Inner = crate::sim_http::Core<Config, state::State>;

/// Now, from the system clock.
fn now() -> Timestamp {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    Timestamp::from_micros(micros)
}

impl Sim {
    /// A simulator with `config`.
    pub fn new(config: Config) -> Self {
        let st = state::State {
            webhook: Webhook {
                url: config.webhook_url.clone(),
                signing_secret: config.webhook_secret.clone(),
                shared_secret: config.webhook_shared_secret.clone(),
            },
            request_signing_secret: config.request_signing_secret.clone(),
            faults: config.faults.clone(),
            balance: config.opening_balance,
            ..state::State::default()
        };
        Self {
            // Wave waits five seconds for a webhook's answer.
            inner: Arc::new(Inner::new(config, st, Duration::from_secs(5))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, state::State> {
        self.inner.lock()
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// The HTTP app.
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .fallback(handlers::handle)
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::sim_http::serve(self.router(), listener, shutdown).await
    }
}

#[cfg(test)]
mod tests;
