//! `kumbu serve` (and `kumbu` alone): the gateway's options, and running it.

use super::db::DbArgs;
use crate::{redact, Application, Config};
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use kumbu_core::{FeeSchedule, Operator};
use kumbu_engine::{Bootstrap, EngineConfig};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KUMBU_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Also serve the ProxyPay API v2 face at the root of this address (it is always served under
    /// /compat/proxypay/ too), for ProxyPay clients that only let you change the host.
    #[arg(long, env = "KUMBU_PROXYPAY_LISTEN")]
    proxypay_listen: Option<SocketAddr>,
    /// The address customers' browsers reach this gateway at, e.g. https://pay.example.com:
    /// checkout page URLs (`url`, Simiz's `paymentUrl`) are built on it, and pages set `Secure`
    /// cookies when it is https. Default: http://<--listen>.
    #[arg(long, env = "KUMBU_PUBLIC_URL")]
    public_url: Option<String>,
    /// A proxy in front of the gateway whose X-Forwarded-For names the client, for the checkout
    /// page's per-address limit and the count of failed sign-ins: an address or a network (10.0.0.0/8, fd00::/8); repeat for
    /// several. Naming any replaces the default, this machine only (127.0.0.0/8, ::1).
    #[arg(
        long = "trusted-proxy",
        env = "KUMBU_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDR"
    )]
    trusted_proxies: Vec<String>,
    /// Where Prometheus scrapes `/metrics` (with /healthz and /readyz), or `off`. Never on
    /// --listen: the figures name every merchant's endpoints, volumes and backlogs. Give each
    /// process on one machine its own.
    #[arg(long, env = "KUMBU_METRICS_LISTEN", default_value = "127.0.0.1:9464", value_parser = address_or_off)]
    metrics_listen: AddressOrOff,
    /// Seconds a client has to send a request's headers: from connecting (its first request)
    /// or from their first byte (later ones on a kept-alive connection); slower, it is
    /// disconnected (slow-loris).
    #[arg(long, env = "KUMBU_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    header_read_timeout_secs: u64,
    /// Seconds a kept-alive connection may wait for its next request before it is closed (and a
    /// client may take none of its response). Behind a load balancer, make it longer than the
    /// balancer's own idle timeout (60 s on AWS).
    #[arg(long, env = "KUMBU_IDLE_TIMEOUT_SECS", default_value_t = 75)]
    idle_timeout_secs: u64,
    /// Most client connections open at once on each listener; more wait in the kernel's queue
    /// until one closes. Keep it under the process's open-file limit (`ulimit -n`) less the
    /// database pool.
    #[arg(long, env = "KUMBU_MAX_OPEN_CONNECTIONS", default_value_t = 2048)]
    max_open_connections: usize,
    /// Requests per minute per API key on the native API and the PlexosPay, Simiz and Kulpay
    /// faces before 429 with Retry-After (0: unlimited). Counted per process.
    #[arg(long, env = "KUMBU_API_RATE_LIMIT", default_value_t = 6000)]
    api_rate_limit: u32,
    /// Most webhook endpoints one merchant may have in each mode (an event or a resend fans out
    /// to all of them); beyond, 409 limit_reached.
    #[arg(long, env = "KUMBU_MAX_WEBHOOK_ENDPOINTS", default_value_t = 16)]
    max_webhook_endpoints: u32,
    /// Requests per minute per API key on the ProxyPay face before it answers 429 with
    /// Retry-After (0: unlimited). Counted per process.
    #[arg(long, env = "KUMBU_PROXYPAY_RATE_LIMIT", default_value_t = 6000)]
    proxypay_rate_limit: u32,
    /// Requests per minute per partner (merchant and mode) on the Adullam face before it
    /// answers 429 with Retry-After, as Adullam documents (0: unlimited). Also the failed token
    /// requests allowed per client and source address (ten times this per source). Counted per
    /// process.
    #[arg(long, env = "KUMBU_ADULLAM_RATE_LIMIT", default_value_t = 100)]
    adullam_rate_limit: u32,
    /// Requests per hour per partner on the Adullam face before it answers 429 with
    /// Retry-After, as Adullam documents (0: unlimited). Also the failed token requests allowed
    /// per client and source address in an hour. Counted per process.
    #[arg(long, env = "KUMBU_ADULLAM_HOURLY_RATE_LIMIT", default_value_t = 1000)]
    adullam_hourly_rate_limit: u32,
    /// Payment attempts one network address may start from checkout pages in 10 minutes before
    /// the page answers 429 (0: unlimited). Counted per process; behind a --trusted-proxy, the
    /// address is the last one the proxy added to X-Forwarded-For.
    #[arg(long, env = "KUMBU_CHECKOUT_IP_LIMIT", default_value_t = 30)]
    checkout_ip_limit: u32,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    operators: super::connector::OperatorArgs,
    /// Delay between sandbox simulator steps, in milliseconds (0 runs a payment to its end at once).
    #[arg(long, env = "KUMBU_SANDBOX_DELAY_MS", default_value_t = 2000)]
    sandbox_delay_ms: u64,
    /// Path of a JSON file of fee schedules; each operator it names replaces that operator's
    /// default, e.g. a file containing
    /// {"orange_ci": {"percent_bps": 75, "fixed": 0, "min": 10, "max": 5000}}.
    #[arg(long, env = "KUMBU_FEES")]
    fees: Option<PathBuf>,
    /// Maximum database connections.
    #[arg(long, env = "KUMBU_DB_MAX_CONNECTIONS", default_value_t = 16)]
    max_connections: u32,
    /// Serve the API only; run no background workers in this process.
    #[arg(long, env = "KUMBU_NO_WORKERS")]
    no_workers: bool,
    /// Concurrent payment-worker tasks in this process (they claim disjoint batches); 0 runs
    /// none here, for a process that only serves the API or only delivers webhooks.
    #[arg(long, env = "KUMBU_WORKER_TASKS", default_value_t = 2)]
    worker_tasks: usize,
    /// How often idle workers look for due work, in milliseconds.
    #[arg(long, env = "KUMBU_WORKER_INTERVAL_MS", default_value_t = 100)]
    worker_interval_ms: u64,
    /// Let webhook endpoints point at loopback, private or link-local addresses. Without it, live
    /// endpoints never may, and test endpoints may only while the gateway is reachable from this
    /// machine alone (listening on loopback, with a loopback --public-url or none): on a public
    /// gateway a test key must not make it call into its own network.
    #[arg(long, env = "KUMBU_ALLOW_INTERNAL_WEBHOOKS")]
    allow_internal_webhooks: bool,
    /// Seconds a claimed webhook delivery is reserved for this process; if it dies, another
    /// process retries the delivery after this. Deliveries created by this process's own
    /// commits are reserved to it the same way and sent at once, without a claim, if the lease
    /// covers 10 s of waiting for a slot of its endpoint, a send (10 s) and its recording (5 s):
    /// 25 s; otherwise every delivery waits for a claim.
    #[arg(long, env = "KUMBU_DELIVERY_LEASE_SECS", default_value_t = 60)]
    delivery_lease_secs: u64,
    /// How many due payments a worker task claims per transaction (smaller batches commit, and
    /// so publish their events, sooner; larger ones cost fewer commits).
    #[arg(long, env = "KUMBU_WORKER_BATCH", default_value_t = 256)]
    worker_batch: u32,
    /// Most due webhook deliveries one claim takes from the database (each endpoint gets at
    /// most what it can take soon: see docs/webhooks.md).
    #[arg(long, env = "KUMBU_DISPATCH_BATCH", default_value_t = 256)]
    dispatch_batch: u32,
    /// Webhook sending in this process: 0 sends nothing from here, leaving webhooks to other
    /// processes on the same database; N keeps up to 64 × N requests in flight in all, each
    /// endpoint within its own limit (max_concurrency, adapted to how it answers).
    #[arg(long, env = "KUMBU_DISPATCH_TASKS", default_value_t = 2)]
    dispatch_tasks: usize,
    /// An SMTP relay through which invitations and password-reset links are e-mailed to the
    /// people of a merchant: smtp://host:25 (plain, a relay on this machine),
    /// smtp://user:password@host:587?tls=required (STARTTLS) or smtps://user:password@host:465.
    /// Without it, an invitation's link is shown to the owner who invites, and a forgotten
    /// password needs `kumbu user reset-link`. Keep the password out of shell history: set
    /// KUMBU_SMTP_URL in the environment.
    #[arg(long, env = "KUMBU_SMTP_URL", hide_env_values = true, value_parser = secret)]
    smtp_url: Option<SecretString>,
    /// The sender of those e-mails, e.g. "Kumbu <no-reply@pay.example.com>" (an address the
    /// relay may send as).
    #[arg(long, env = "KUMBU_SMTP_FROM")]
    smtp_from: Option<String>,
    /// Log one JSON object per line instead of text (`text` or `json`).
    #[arg(long, env = "KUMBU_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

impl ServeArgs {
    fn into_config(self) -> anyhow::Result<Config> {
        let fee_overrides = match &self.fees {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read fees file {}", path.display()))?;
                parse_fees(&text)
                    .with_context(|| format!("invalid fees file {}", path.display()))?
            }
            None => BTreeMap::new(),
        };
        let sandbox_key = std::env::var("KUMBU_SANDBOX_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .map(SecretString::from);
        let mut engine = EngineConfig::default();
        self.operators.apply(&mut engine)?;
        Ok(Config {
            listen: self.listen,
            secret_key: self.db.secret_key(),
            proxypay_listen: self.proxypay_listen,
            public_url: self.public_url.clone(),
            trusted_proxies: if self.trusted_proxies.is_empty() {
                kumbu_http::TrustedProxies::default()
            } else {
                kumbu_http::TrustedProxies::parse(&self.trusted_proxies)
                    .map_err(|e| anyhow::anyhow!("--trusted-proxy {e}"))?
            },
            metrics_listen: self.metrics_listen.0,
            mail: match (&self.smtp_url, &self.smtp_from) {
                (Some(url), Some(from)) => Some(kumbu_http::MailSettings {
                    url: url.clone(),
                    from: from.clone(),
                }),
                (Some(_), None) => {
                    bail!("--smtp-url needs --smtp-from, the address e-mails come from")
                }
                (None, _) => None,
            },
            connections: kumbu_http::ConnectionLimits {
                header_read_timeout: Duration::from_secs(self.header_read_timeout_secs.max(1)),
                idle_timeout: Duration::from_secs(self.idle_timeout_secs.max(1)),
                max_connections: self.max_open_connections.max(1),
            },
            database_url: self.db.database_url,
            sandbox_key,
            engine: EngineConfig {
                sandbox_delay: Duration::from_millis(self.sandbox_delay_ms),
                worker_interval: Duration::from_millis(self.worker_interval_ms.max(1)),
                worker_tasks: self.worker_tasks.min(64),
                dispatch_tasks: self.dispatch_tasks.min(64),
                worker_batch: self.worker_batch.clamp(1, 10_000),
                dispatch_batch: self.dispatch_batch.clamp(1, 10_000),
                proxypay_requests_per_minute: self.proxypay_rate_limit,
                api_requests_per_minute: self.api_rate_limit,
                max_webhook_endpoints: self.max_webhook_endpoints.max(1),
                adullam_requests_per_minute: self.adullam_rate_limit,
                adullam_requests_per_hour: self.adullam_hourly_rate_limit,
                checkout_attempts_per_ip: self.checkout_ip_limit,
                internal_webhooks: if self.allow_internal_webhooks {
                    kumbu_engine::InternalWebhooks::Always
                } else {
                    kumbu_engine::InternalWebhooks::TestOnly
                },
                delivery_lease: Duration::from_secs(self.delivery_lease_secs.clamp(1, 3600)),
                fee_overrides,
                ..engine
            },
            workers: !self.no_workers,
            max_connections: self.max_connections.max(1),
        })
    }
}

/// A value that must never be printed (its `Debug` is redacted).
fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

/// An address to listen on, or none (`off`).
#[derive(Debug, Clone, Copy)]
struct AddressOrOff(Option<SocketAddr>);

fn address_or_off(value: &str) -> Result<AddressOrOff, String> {
    match value.trim() {
        "off" | "none" | "" => Ok(AddressOrOff(None)),
        v => v
            .parse()
            .map(|a| AddressOrOff(Some(a)))
            .map_err(|_| format!("`{v}` is not an address like 127.0.0.1:9464, nor `off`")),
    }
}

/// Parses a fee override file: `{"operator_code": {percent_bps, fixed, min, max}}`.
fn parse_fees(text: &str) -> anyhow::Result<BTreeMap<Operator, FeeSchedule>> {
    let raw: BTreeMap<String, FeeSchedule> = serde_json::from_str(text)?;
    raw.into_iter()
        .map(|(k, v)| {
            let op = Operator::parse(&k).with_context(|| format!("unknown operator {k:?}"))?;
            if !op.held_by_kumbu() {
                bail!("{k} carries no fee: its payments are reported from outside Kumbu, and their money is never Kumbu's to charge");
            }
            if let Some(problem) = v.problem() {
                bail!("fee schedule for {k} is inconsistent: {problem}");
            }
            Ok((op, v))
        })
        .collect()
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    crate::telemetry::init(matches!(args.log_format, LogFormat::Json));
    let config = args.into_config()?;
    let db = redact(&config.database_url);
    let app = Application::build(config).await?;
    let shutdown = crate::shutdown_signal()?;
    let base = format!("http://{}", app.local_addr());
    println!("Kumbu is listening on {base} (database: {db})");
    match app.proxypay_addr() {
        Some(addr) => {
            println!("ProxyPay API v2 is served at http://{addr} (and at {base}/compat/proxypay)")
        }
        None => println!("ProxyPay API v2 is served at {base}/compat/proxypay"),
    }
    println!(
        "PlexosPay, Adullam, Simiz and Kulpay at {base}/compat/plexospay, /compat/adullam, /compat/simiz/v1, /compat/kulpay/v1"
    );
    println!(
        "OpenAPI documents at {base}/openapi.json and {base}/compat/<face>/openapi.json (scripts/contract.sh proves them)"
    );
    match app.metrics_addr() {
        Some(addr) => println!(
            "Metrics (Prometheus) at http://{addr}/metrics (their own listener: --metrics-listen)"
        ),
        None => println!("Metrics are not served (--metrics-listen off)"),
    }
    println!(
        "Checkout pages at {}/pay/… (POST /v1/checkout/sessions hands them out; --public-url sets the address)",
        app.public_url()
    );
    println!(
        "The dashboard at {}/dashboard (`kumbu user create --merchant mer_… --email … --role owner` makes its first owner)",
        app.public_url()
    );
    let callback_host = reqwest::Url::parse(app.public_url())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    println!(
        "Live MTN MoMo payments go to {}; MTN calls back at {}/callbacks/mtn-momo/… (register callback host `{callback_host}` with MTN; `kumbu connector` sets credentials)",
        app.engine().config().operator_urls.mtn_momo,
        app.public_url()
    );
    println!(
        "Live Orange Money payments go to {}; payers are handed over at {}/pay/go/… and Orange notifies {}/callbacks/orange-money/…",
        app.engine().config().operator_urls.orange_money,
        app.public_url(),
        app.public_url()
    );
    println!(
        "Live Wave payments go to {}; register {}/callbacks/wave/events as the webhook in Wave's portal",
        app.engine().config().operator_urls.wave,
        app.public_url()
    );
    println!(
        "Live M-Pesa (Mozambique) payments go to {}; no callbacks: each C2B call is held until the payer answers (at most {} at once)",
        app.engine().config().operator_urls.mpesa_mz,
        app.engine().config().held_calls
    );
    println!(
        "Live Multicaixa references of merchants with ProxyPay credentials are issued at {}; register {}/callbacks/proxypay/<merchant id> as the webhook in ProxyPay",
        app.engine().config().operator_urls.proxypay,
        app.public_url()
    );
    match app.bootstrap() {
        Bootstrap::Created { merchant_id, key } => {
            let key = key.expose_secret();
            println!();
            println!("Created the sandbox merchant {merchant_id}. Its test secret key (shown once; keep it):");
            println!();
            println!("    {key}");
            println!();
            println!("Try it (a payment that settles in a few seconds):");
            println!();
            println!(
                "    curl -s {base}/v1/payments -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n      -d '{{\"amount\": 5000, \"currency\": \"XOF\", \"payer\": {{\"phone\": \"+2250700000789\", \"operator\": \"orange_ci\"}}}}'"
            );
            println!();
        }
        Bootstrap::Existing {
            merchant_id,
            chosen_key_added,
        } => {
            if *chosen_key_added {
                println!(
                    "Added KUMBU_SANDBOX_KEY as a test key of the sandbox merchant {merchant_id}."
                );
            } else {
                println!(
                    "Sandbox merchant {merchant_id} exists; its key was printed when it was created. \
                     New key: cargo run --release -- keys create --merchant {merchant_id} --mode test"
                );
            }
        }
    }
    tracing::info!(address = %base, database = %db, "kumbu serving");
    app.run(shutdown).await?;
    tracing::info!("kumbu stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_files_are_checked() {
        let ok =
            parse_fees(r#"{"orange_ci": {"percent_bps": 75, "min": 10, "max": 5000}}"#).unwrap();
        assert_eq!(ok[&Operator::OrangeCi].percent_bps, 75);
        assert!(parse_fees(r#"{"nope": {"percent_bps": 1}}"#).is_err());
        assert!(parse_fees(r#"{"orange_ci": {"percent_bps": 1, "min": 10, "max": 5}}"#).is_err());
        assert!(parse_fees(r#"{"orange_ci": {"percent_bps": 1, "bogus": 1}}"#).is_err());
    }
}
