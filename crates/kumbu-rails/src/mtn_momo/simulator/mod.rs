//! A simulator of MTN MoMo's Open API, for live-mode tests and staging with no network: sandbox
//! provisioning, tokens, request to pay, transfers, deposits and refunds with their statuses,
//! balances, the account-holder check, callbacks as MTN sends them, and injectable faults.
//! Served by `kumbu simulate mtn-momo --listen <addr>`; real MTN client libraries run unchanged
//! against it (scripts/fidelity/mtn-momo/).
//!
//! Outcomes are chosen by the number (see `behaviour`). Control endpoints under `/_simulator/`
//! (not MTN's) let tests inject faults, expire tokens, answer manual prompts and read counters.

mod behaviour;
mod callbacks;
mod handlers;
mod state;

pub use behaviour::{for_number, Behaviour, Side};
pub use state::{Faults, Stats};

use std::sync::Arc;
use std::time::Duration;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a payer takes to approve (and a payee's network to answer).
    pub approval_delay: Duration,
    /// MTN's approval window: a request nobody answers fails `EXPIRED` after it.
    pub approval_window: Duration,
    /// How long issued tokens live (`expires_in`).
    pub token_ttl: Duration,
    /// Subscription keys accepted; empty: any non-empty key.
    pub subscription_keys: Vec<String>,
    /// An API user known from the start (id, key, callback host), besides provisioned ones.
    pub preset_user: Option<(String, String, String)>,
    /// Callbacks are sent with PUT (`true`) or POST.
    pub callback_put: bool,
    /// Retries of a callback that fails (0: sent once, as MTN's older documentation says).
    pub callback_retries: u32,
    /// Pause between callback retries.
    pub callback_retry_every: Duration,
    /// Balance of the disbursement account at start, in major units.
    pub opening_balance: i128,
    /// Faults in force at start.
    pub faults: Faults,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            approval_delay: Duration::from_secs(2),
            approval_window: crate::mtn_momo::APPROVAL_WINDOW,
            token_ttl: Duration::from_secs(3600),
            subscription_keys: Vec::new(),
            preset_user: None,
            callback_put: true,
            callback_retries: 0,
            callback_retry_every: Duration::from_secs(1),
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

impl Sim {
    /// A simulator with `config`.
    pub fn new(config: Config) -> Self {
        let mut st = state::State {
            faults: config.faults.clone(),
            ..state::State::default()
        };
        if let Some((id, key, host)) = &config.preset_user {
            st.users.insert(
                id.clone(),
                state::User {
                    callback_host: host.clone(),
                    api_key: Some(key.clone()),
                },
            );
        }
        Self {
            // MTN's callback sender waits 2 s for an answer.
            inner: Arc::new(Inner::new(config, st, Duration::from_secs(2))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, state::State> {
        self.inner.lock()
    }

    /// The counters so far.
    /// How long a payer takes to answer, and how long MTN waits for one.
    fn timings(&self) -> (Duration, Duration) {
        (
            self.inner.config.approval_delay,
            self.inner.config.approval_window,
        )
    }

    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Makes every issued token stop working (as if they expired).
    pub fn expire_tokens(&self) {
        self.lock().tokens.clear();
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
