//! A simulator of M-Pesa Mozambique's iPG v1x API, for live-mode tests and staging with no
//! network: C2B single stage (`POST /ipg/v1x/c2bPayment/singleStage/`, held open until the
//! simulated payer answers), B2C (`POST /ipg/v1x/b2cPayment/`), reversal (`PUT
//! /ipg/v1x/reversal/`) and the status query (`GET /ipg/v1x/queryTransactionStatus/`), each on its
//! own port as M-Pesa serves them (18352, 18345, 18354, 18353), or all on one port for tests. The
//! Bearer is checked by decrypting it with the simulator's private key, whose public key clients
//! are given. Bodies are M-Pesa's `output_…` fields; every `INS-…` code comes with its HTTP status.
//!
//! Outcomes follow the payer's number (Kumbu's sandbox suffixes): …029 `INS-2051` at once, …039
//! refused (`INS-5`), …049 insufficient balance (`INS-2006`), …069 failed (`INS-6`), …079
//! overloaded (503 `INS-16`, nothing registered), …059 never answers (the platform gives up:
//! 408 `INS-9`, then `Expired`), …149 answers after three prompt times, …009 waits for
//! `POST /_simulator/transactions/{reference}/approve|decline`; any other pays after the prompt
//! time. Faults (`PUT /_simulator/faults`): latency, 5xx, hung answers, `INS-10` duplicates.
//! Counters: `GET /_simulator/stats`; one transaction: `GET /_simulator/transactions/{reference}`. Served by `kumbu simulate mpesa-mz`; PyPI
//! `paymentsds-mpesa` runs unchanged against it (scripts/fidelity/mpesa-mz/). Where M-Pesa's
//! behaviour is not documented the simulator chooses, and docs/operators/mpesa-mz.md says so.

mod handlers;
mod keys;
mod state;

pub use keys::Keys;
pub use state::{Faults, Stats};

use super::client::Op;
use axum::routing::{get, post, put};
use std::sync::Arc;
use std::time::Duration;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Its key pair.
    pub keys: Keys,
    /// API keys accepted; empty: any key that decrypts.
    pub api_keys: Vec<String>,
    /// Short codes served; empty: any of 5 or 6 digits.
    pub service_provider_codes: Vec<String>,
    /// The initiator reversals must name, and its security credential; none: any.
    pub initiator: Option<(String, String)>,
    /// How long a payer takes to answer the prompt.
    pub prompt_time: Duration,
    /// How long the platform waits for a payer before giving up (`INS-9`).
    pub platform_timeout: Duration,
    /// How long a hung answer is held (the hang fault).
    pub hang_for: Duration,
    /// The merchant's balance at start, centavos (B2C pays from it).
    pub opening_balance: i64,
    /// Faults in force at start.
    pub faults: Faults,
}

impl Config {
    /// The defaults, with `keys`.
    pub fn with_keys(keys: Keys) -> Self {
        Self {
            keys,
            api_keys: Vec::new(),
            service_provider_codes: Vec::new(),
            initiator: None,
            prompt_time: Duration::from_secs(3),
            platform_timeout: Duration::from_secs(90),
            hang_for: Duration::from_secs(600),
            opening_balance: 100_000_000,
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
            balance: config.opening_balance,
            faults: config.faults.clone(),
            ..state::State::default()
        };
        Self {
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

    /// The public key clients encrypt their API key under (base64 DER, as Vodacom's portal
    /// shows one).
    pub fn public_key(&self) -> String {
        self.inner.config.keys.public_base64()
    }

    /// The HTTP app serving `ops` (and the control endpoints).
    pub fn router(&self, ops: &[Op]) -> axum::Router {
        let mut r = axum::Router::new();
        for op in ops {
            let path = op.path();
            let bare = path.trim_end_matches('/');
            r = match op {
                Op::C2b => r
                    .route(path, post(handlers::c2b))
                    .route(bare, post(handlers::c2b)),
                Op::B2c => r
                    .route(path, post(handlers::b2c))
                    .route(bare, post(handlers::b2c)),
                Op::Query => r
                    .route(path, get(handlers::query))
                    .route(bare, get(handlers::query)),
                Op::Reversal => r
                    .route(path, put(handlers::reversal))
                    .route(bare, put(handlers::reversal)),
            };
        }
        r.route("/_simulator/stats", get(handlers::stats))
            .route("/_simulator/faults", put(handlers::faults))
            .route("/_simulator/public_key", get(handlers::public_key))
            .route(
                "/_simulator/transactions/{reference}",
                get(handlers::transaction),
            )
            .route(
                "/_simulator/transactions/{reference}/{what}",
                post(handlers::answer_prompt),
            )
            .with_state(self.clone())
    }

    /// Serves every operation on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::sim_http::serve(self.router(&Op::ALL), listener, shutdown).await
    }

    /// Serves each operation on its own port of `host`, as M-Pesa does, until `shutdown`
    /// completes. Binds every port before serving any: an error names the port taken.
    pub async fn serve_ports(
        self,
        host: std::net::IpAddr,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut listeners = Vec::new();
        for op in Op::ALL {
            let addr = std::net::SocketAddr::new(host, op.port());
            let l = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot listen on {addr} ({}): {e}", op.name()),
                )
            })?;
            listeners.push((op, l));
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut servers = tokio::task::JoinSet::new();
        for (op, l) in listeners {
            let mut stopped = stopped.clone();
            servers.spawn(crate::sim_http::serve(self.router(&[op]), l, async move {
                let _ = stopped.changed().await;
            }));
        }
        shutdown.await;
        let _ = stop.send(true);
        while let Some(done) = servers.join_next().await {
            done.map_err(std::io::Error::other)??;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
