//! A simulator of Orange Money's APIs, for live-mode tests and staging with no network. Web
//! Payment: OAuth tokens (`/oauth/v3/token`), `webpayment` and `transactionstatus` under
//! `/orange-money-webpay/{dev|ci|cm|…}/v1/`, the payer's payment page (pay, decline, give up), the
//! notification Orange posts to `notif_url` (`{"status", "notif_token", "txnid"}`, unsigned).
//! Cameroon's "mp" prompt API (`push.rs`): `/token`, `mp/init`, `mp/pay`, `mp/paymentstatus`,
//! `X-AUTH-TOKEN`, the WSO2 faults `900901`/`900902`. And injectable faults. Served by `kumbu simulate orange-money --listen <addr>`; PyPI `o-money`
//! runs unchanged against it (scripts/fidelity/orange-money/).
//!
//! Outcomes follow the number the payer types on the page (Kumbu's sandbox suffixes: `page.rs`).
//! Control endpoints under `/_simulator/` (not Orange's) let tests inject faults, expire tokens,
//! pay or decline without a browser, and read counters.
//!
//! Where Orange's behaviour is not documented, the simulator chooses, and says so: a reused
//! `order_id` is refused (400); gateway errors use Orange's API body (`code`, `message`,
//! `description`); a payment page is open for `payment_window` (10 minutes by default), then
//! the payment is `EXPIRED`.

mod handlers;
mod notify;
mod page;
mod push;
mod state;

pub use state::{outcome_for, Outcome};
pub use state::{Faults, Stats, Status};

use std::sync::Arc;
use std::time::Duration;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// OAuth clients accepted, as (client id, client secret); empty: any.
    pub clients: Vec<(String, String)>,
    /// Merchant keys accepted; empty: any non-empty key.
    pub merchant_keys: Vec<String>,
    /// Cameroon's API users (`X-AUTH-TOKEN` is base64 of `username:password`); empty: any.
    pub api_users: Vec<(String, String)>,
    /// The channel user's PIN `mp/pay` must carry; `None`: any.
    pub pin: Option<String>,
    /// How long a payer takes to answer a Cameroon prompt.
    pub approval_delay: Duration,
    /// How long issued tokens live (`expires_in`).
    pub token_ttl: Duration,
    /// How long a payment page stays open before the payment is `EXPIRED`.
    pub payment_window: Duration,
    /// When set, each payment page is paid this long after it is made, as a payer opening it
    /// would pay it: for load tests, where no browser opens the pages. `None`: only a payer
    /// (or `/_simulator/webpayments/{pay_token}/pay`) pays.
    pub pages_paid_after: Option<Duration>,
    /// Faults in force at start.
    pub faults: Faults,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            clients: Vec::new(),
            merchant_keys: Vec::new(),
            api_users: Vec::new(),
            pin: None,
            approval_delay: Duration::from_secs(2),
            token_ttl: Duration::from_secs(3600),
            payment_window: Duration::from_secs(600),
            pages_paid_after: None,
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
        let st = state::State {
            faults: config.faults.clone(),
            ..state::State::default()
        };
        Self {
            // Orange's notification sender: a short wait, like every operator's.
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

#[cfg(test)]
mod tests;
