//! Engine settings.

use kumbu_core::{FeeSchedule, Operator};
use std::collections::BTreeMap;
use std::time::Duration;

/// Tunables of the engine; [`EngineConfig::default`] is what `kumbu serve` uses unless told
/// otherwise.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Delay between simulator steps (`KUMBU_SANDBOX_DELAY_MS`).
    pub sandbox_delay: Duration,
    /// Expiry of a payment when the request does not say (`expires_in`).
    pub default_expires_in: Duration,
    /// How many due payments a worker claims per transaction.
    pub worker_batch: u32,
    /// Concurrent due-action worker tasks per process (they claim disjoint batches).
    pub worker_tasks: usize,
    /// How often an idle worker looks for due work.
    pub worker_interval: Duration,
    /// How long idempotency records are kept and replayed.
    pub idempotency_ttl: Duration,
    /// Most webhook endpoints a merchant may have in each mode (a resend or an event fans out
    /// to all of them).
    pub max_webhook_endpoints: u32,
    /// Which modes' webhook endpoints may point at internal (loopback, private…) addresses.
    pub internal_webhooks: InternalWebhooks,
    /// How long a claimed webhook delivery is reserved for its process before another may retry it.
    pub delivery_lease: Duration,
    /// How many deliveries one dispatcher pass claims.
    pub dispatch_batch: u32,
    /// Concurrent dispatcher tasks per process: while one waits on its batch's slowest endpoint
    /// or records its attempts, another claims and sends fresh deliveries.
    pub dispatch_tasks: usize,
    /// Requests per minute per API key on the native API and the faces an API key authenticates
    /// (0: unlimited); beyond it, 429.
    pub api_requests_per_minute: u32,
    /// Requests per minute per API key on the ProxyPay face (0: unlimited); beyond it, 429.
    pub proxypay_requests_per_minute: u32,
    /// Requests per minute per partner (merchant and mode) on the Adullam face (0: no
    /// per-minute limit); beyond it, 429. Adullam documents 100.
    pub adullam_requests_per_minute: u32,
    /// Requests per hour per partner on the Adullam face (0: no hourly limit). Adullam
    /// documents 1,000.
    pub adullam_requests_per_hour: u32,
    /// Payment attempts one network address may start from checkout pages in 10 minutes (0:
    /// unlimited); beyond it the page answers 429. Counted per process.
    pub checkout_attempts_per_ip: u32,
    /// Fee schedules replacing the built-in defaults.
    pub fee_overrides: BTreeMap<Operator, FeeSchedule>,
    /// Where each connector reaches its operator (`kumbu serve --help` names the flags): the operators'
    /// production APIs, or simulators of them.
    pub operator_urls: kumbu_rails::OperatorUrls,
    /// The gateway's public URL, where operators call back (the server sets it from
    /// `--public-url`); `None`: no callbacks are asked for, statuses are polled.
    pub callback_base: Option<String>,
    /// How long one call to an operator may take; past it, its outcome is unknown and the
    /// status is asked.
    pub operator_timeout: Duration,
    /// How often a live payment's status is asked while the operator has not decided (a
    /// callback makes it sooner).
    pub operator_poll_every: Duration,
    /// How long a live payment claimed for an operator call is reserved for its process; a
    /// process killed mid-call leaves it to another after this.
    pub operator_lease: Duration,
    /// Operator calls one worker pass makes at once.
    pub operator_concurrency: usize,
    /// How long a call an operator holds open until the payer answers (M-Pesa's C2B) may last;
    /// past it, its outcome is unknown and the status is asked.
    pub operator_prompt_timeout: Duration,
    /// Calls held open until the payer answers, at once, in this process.
    pub held_calls: usize,
    /// Of those, at once for any one merchant.
    pub held_calls_per_merchant: usize,
    /// How often each merchant's reference gateway queue (ProxyPay's `GET /payments`) is read,
    /// besides its webhook.
    pub upstream_poll_every: Duration,
    /// A dashboard session ends after this long without a request.
    pub dashboard_idle: Duration,
    /// A dashboard session ends this long after sign-in, however active.
    pub dashboard_lifetime: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            sandbox_delay: Duration::from_millis(2000),
            default_expires_in: Duration::from_secs(600),
            worker_batch: 256,
            worker_tasks: 2,
            worker_interval: Duration::from_millis(100),
            idempotency_ttl: Duration::from_secs(24 * 3600),
            internal_webhooks: InternalWebhooks::TestOnly,
            max_webhook_endpoints: 16,
            dispatch_batch: 256,
            dispatch_tasks: 2,
            delivery_lease: Duration::from_secs(60),
            proxypay_requests_per_minute: 6000,
            api_requests_per_minute: 6000,
            adullam_requests_per_minute: 100,
            adullam_requests_per_hour: 1000,
            checkout_attempts_per_ip: 30,
            fee_overrides: BTreeMap::new(),
            operator_urls: kumbu_rails::OperatorUrls::default(),
            callback_base: None,
            operator_timeout: Duration::from_secs(30),
            operator_poll_every: Duration::from_secs(10),
            operator_lease: Duration::from_secs(60),
            operator_concurrency: 64,
            operator_prompt_timeout: Duration::from_secs(120),
            held_calls: 2000,
            held_calls_per_merchant: 500,
            upstream_poll_every: Duration::from_secs(60),
            dashboard_idle: Duration::from_secs(30 * 60),
            dashboard_lifetime: Duration::from_secs(12 * 3600),
        }
    }
}

/// Which modes' webhook endpoints may point at internal addresses: loopback, private, link-local
/// and the rest of `delivery::client::is_internal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalWebhooks {
    /// Test mode only: a gateway reachable from this machine alone, where a developer's local
    /// receiver is a test endpoint (the embedded default).
    TestOnly,
    /// Neither mode: a gateway reachable from other machines, where a test key must not make it
    /// call into its own network either.
    Never,
    /// Both modes: the operator allowed it (`--allow-internal-webhooks`, a private deployment).
    Always,
}

impl InternalWebhooks {
    /// Whether endpoints of `mode` may point at internal addresses.
    pub fn allow(self, mode: kumbu_core::Mode) -> bool {
        match (self, mode) {
            (Self::Always, _) | (Self::TestOnly, kumbu_core::Mode::Test) => true,
            (Self::TestOnly, kumbu_core::Mode::Live) | (Self::Never, _) => false,
        }
    }
}
