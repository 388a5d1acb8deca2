//! The `kumbu` command line.

mod connector;
mod db;

use crate::{open_store, redact, Application, Config};
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use db::engine_with;
pub use db::DbArgs;
use kumbu_core::{FeeSchedule, Mode, Operator};
use kumbu_engine::{Bootstrap, Engine, EngineConfig};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Kumbu: a self-hostable payment gateway for African mobile money and bank references.
///
/// With no command, `kumbu` runs `serve`: the API on 127.0.0.1:8080 over a SQLite file
/// ./kumbu.db, with the sandbox simulator. On an empty database it creates a sandbox merchant and
/// prints its test key.
#[derive(Debug, Parser)]
#[command(name = "kumbu", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway: HTTP API, sandbox simulator and workers (the default command).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DbArgs),
    /// Manage merchants.
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check the double-entry ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Manage client credentials, exchanged for access tokens (Adullam's /auth/token and
    /// /oauth/token).
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Manage webhook endpoints (as the merchant whose key is in KUMBU_API_KEY).
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Import a bank's file of payments (an InterBancos MEPS file) and reconcile each payment
    /// against the collection requests of the merchant whose SIMO entity the file names.
    /// Checked whole first: a file whose records, count or totals do not add up is refused,
    /// naming the line. Importing a file twice changes nothing.
    Reconcile {
        /// The MEPS file.
        file: PathBuf,
        /// Reconcile against test-mode (sandbox) collection requests instead of live ones.
        #[arg(long)]
        test: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load generator: drive a running server and report throughput and latency.
    Load(crate::load::LoadArgs),
    /// Manage merchants' operator credentials for live mode (sealed at rest, never printed).
    #[command(subcommand)]
    Connector(connector::ConnectorCommand),
    /// Run a simulator of an operator's own API (for staging, tests and client libraries).
    #[command(subcommand)]
    Simulate(crate::simulate::SimulateCommand),
    /// Print a new random secret key (for KUMBU_SECRET_KEY or a key file) and exit.
    SecretKey,
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
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
    /// Requests per minute per API key on the ProxyPay face before it answers 429 with
    /// Retry-After (0: unlimited). Counted per process.
    #[arg(long, env = "KUMBU_PROXYPAY_RATE_LIMIT", default_value_t = 6000)]
    proxypay_rate_limit: u32,
    /// Requests per minute per partner (merchant and mode) on the Adullam face before it
    /// answers 429 with Retry-After, as Adullam documents (0: unlimited). Counted per process.
    #[arg(long, env = "KUMBU_ADULLAM_RATE_LIMIT", default_value_t = 100)]
    adullam_rate_limit: u32,
    /// Requests per hour per partner on the Adullam face before it answers 429 with
    /// Retry-After, as Adullam documents (0: unlimited). Counted per process.
    #[arg(long, env = "KUMBU_ADULLAM_HOURLY_RATE_LIMIT", default_value_t = 1000)]
    adullam_hourly_rate_limit: u32,
    /// Payment attempts one network address may start from checkout pages in 10 minutes before
    /// the page answers 429 (0: unlimited). Counted per process; behind a proxy on a private
    /// network, the address is the last one the proxy added to X-Forwarded-For.
    #[arg(long, env = "KUMBU_CHECKOUT_IP_LIMIT", default_value_t = 30)]
    checkout_ip_limit: u32,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    operators: connector::OperatorArgs,
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
    /// Let live webhook endpoints point at loopback, private or link-local addresses (refused by
    /// default, so that a merchant cannot make the gateway call into its own network).
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
    /// Log one JSON object per line instead of text (`text` or `json`).
    #[arg(long, env = "KUMBU_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum MerchantCommand {
    /// Create a merchant and print its id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set how the merchant's checkout pages look: the name customers see, a brand colour for
    /// buttons, and a logo (png, jpg, webp or svg, at most 24 KiB, stored in the database).
    Brand {
        /// Merchant id (mer_…; `kumbu serve` prints the sandbox merchant's).
        #[arg(long)]
        merchant: String,
        /// The name customers see.
        #[arg(long)]
        name: Option<String>,
        /// `#rrggbb`; an empty string goes back to Kumbu's blue.
        #[arg(long)]
        color: Option<String>,
        /// A logo file; an empty string removes the logo.
        #[arg(long)]
        logo: Option<std::path::PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set the merchant's SIMO entity (5 digits, given by SIMO): the entity payers pay its
    /// collection requests to, and how MEPS files name it. Required for live SIMO/ERV bills;
    /// the sandbox assigns one on first use.
    ErvEntity {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// The entity, e.g. 90002.
        entity: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a secret key and print it once, alone on its line. Only its hash is stored.
    Create {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// Which world the key works in.
        #[arg(long, value_enum)]
        mode: ModeArg,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum CredentialsCommand {
    /// Issue a client id and secret (printed once; only the secret's hash is stored). With
    /// --phone, the phone and secret also work as /v1/auth/token's phone and password.
    Create {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// Which world the tokens work in.
        #[arg(long, value_enum)]
        mode: ModeArg,
        /// E.164 phone the credential may also be named by.
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a credential and every access token issued for it.
    Revoke {
        /// The client id (cli_…).
        #[arg(long)]
        client: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum WebhooksCommand {
    /// Create an endpoint for the merchant and mode of the API key in KUMBU_API_KEY (kept out of
    /// the command line). `--format proxypay` sends ProxyPay's flat payment object for payments
    /// by reference, signed with X-Signature under that same key; `simiz` sends Simiz's
    /// `transaction.*` events for checkout payments, signed with X-Simiz-Signature; `native` and
    /// `simiz` print the endpoint's whsec_ signing secret, once.
    Create {
        /// Where to POST.
        #[arg(long)]
        url: String,
        /// `native`, `proxypay` or `simiz`.
        #[arg(long, value_enum, default_value = "native")]
        format: FormatArg,
        /// Event types for a native endpoint (repeatable); all when omitted.
        #[arg(long = "event")]
        events: Vec<String>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Native,
    Proxypay,
    Simiz,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    Test,
    Live,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Check that every journal balances per currency and every balance equals the sum of its
    /// entries. Exits 1 and names the culprits otherwise.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
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
                adullam_requests_per_minute: self.adullam_rate_limit,
                adullam_requests_per_hour: self.adullam_hourly_rate_limit,
                checkout_attempts_per_ip: self.checkout_ip_limit,
                allow_internal_webhooks: self.allow_internal_webhooks,
                delivery_lease: Duration::from_secs(self.delivery_lease_secs.clamp(1, 3600)),
                fee_overrides,
                ..engine
            },
            workers: !self.no_workers,
            max_connections: self.max_connections.max(1),
        })
    }
}

/// Parses a fee override file: `{"operator_code": {percent_bps, fixed, min, max}}`.
fn parse_fees(text: &str) -> anyhow::Result<BTreeMap<Operator, FeeSchedule>> {
    let raw: BTreeMap<String, FeeSchedule> = serde_json::from_str(text)?;
    raw.into_iter()
        .map(|(k, v)| {
            let op = Operator::parse(&k).with_context(|| format!("unknown operator {k:?}"))?;
            if v.min < 0
                || v.fixed < 0
                || v.max.is_some_and(|m| m < v.min)
                || v.percent_bps > 10_000
            {
                bail!("fee schedule for {k} is inconsistent (negative, max < min, or over 100 %)");
            }
            Ok((op, v))
        })
        .collect()
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(db)) => {
            crate::telemetry::init(false);
            open_store(&db.database_url, 2).await?;
            println!("database {} is up to date", redact(&db.database_url));
            Ok(())
        }
        Some(Command::Merchant(MerchantCommand::Create { name, db })) => {
            let engine = engine_for(&db).await?;
            let m = engine.create_merchant(&name).await?;
            println!("{}", m.id);
            Ok(())
        }
        Some(Command::Merchant(MerchantCommand::Brand {
            merchant,
            name,
            color,
            logo,
            db,
        })) => {
            let engine = engine_for(&db).await?;
            let logo = match logo {
                Some(p) if p.as_os_str().is_empty() => Some((Vec::new(), String::new())),
                Some(p) => Some((
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?,
                    p.display().to_string(),
                )),
                None => None,
            };
            let b = engine
                .set_branding(&merchant, kumbu_engine::SetBranding { name, color, logo })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{merchant}: name {:?}, colour {}, logo {}",
                b.name,
                b.brand_color.as_deref().unwrap_or("(Kumbu's)"),
                b.logo.as_ref().map_or_else(
                    || "none".to_owned(),
                    |l| format!("{} bytes as a data URI", l.len())
                )
            );
            Ok(())
        }
        Some(Command::Keys(KeysCommand::Create { merchant, mode, db })) => {
            let engine = engine_for(&db).await?;
            let mode = match mode {
                ModeArg::Test => Mode::Test,
                ModeArg::Live => Mode::Live,
            };
            let key = engine.create_api_key(&merchant, mode).await?;
            println!("{}", key.secret.expose_secret());
            Ok(())
        }
        Some(Command::Ledger(LedgerCommand::Verify { db })) => {
            let store = open_store(&db.database_url, 2).await?;
            let (problems, entries) = store.verify_ledger().await?;
            if problems.is_empty() {
                println!("ledger OK: {entries} entries; every journal balances and every balance equals its entries");
                return Ok(());
            }
            for p in &problems {
                match p {
                    kumbu_store::LedgerProblem::UnbalancedJournal {
                        journal_id,
                        currency,
                        sum,
                    } => {
                        println!("UNBALANCED journal {journal_id}: {currency} entries sum to {sum}, not 0");
                    }
                    kumbu_store::LedgerProblem::BalanceMismatch {
                        account,
                        stored,
                        entries,
                    } => {
                        println!("MISMATCH account {account}: stored balance {stored}, entries sum to {entries}");
                    }
                }
            }
            bail!("ledger verification failed: {} problem(s)", problems.len())
        }
        Some(Command::Credentials(CredentialsCommand::Create {
            merchant,
            mode,
            phone,
            db,
        })) => {
            let engine = engine_for(&db).await?;
            let phone = phone
                .as_deref()
                .map(kumbu_core::Msisdn::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--phone: {e}"))?;
            let mode = match mode {
                ModeArg::Test => Mode::Test,
                ModeArg::Live => Mode::Live,
            };
            let c = engine
                .create_credential(&merchant, mode, phone)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("client_id: {}", c.client_id);
            println!("client_secret: {}", c.client_secret.expose_secret());
            if let Some(p) = c.phone {
                println!("phone: {p}");
            }
            Ok(())
        }
        Some(Command::Credentials(CredentialsCommand::Revoke { client, db })) => {
            let engine = engine_for(&db).await?;
            if engine
                .revoke_credential(&client)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                println!("revoked {client} and its access tokens");
                Ok(())
            } else {
                bail!("no active credential {client}")
            }
        }
        Some(Command::Webhooks(WebhooksCommand::Create {
            url,
            format,
            events,
            description,
            db,
        })) => {
            let key = std::env::var("KUMBU_API_KEY")
                .ok()
                .filter(|k| !k.trim().is_empty())
                .context(
                    "set KUMBU_API_KEY to the merchant's secret key (sk_test_… or sk_live_…)",
                )?;
            let engine = engine_for(&db).await?;
            let auth = engine
                .authenticate(key.trim())
                .await
                .map_err(|e| anyhow::anyhow!("KUMBU_API_KEY: {e}"))?;
            let cmd = kumbu_engine::CreateEndpoint {
                url,
                events: if events.is_empty() {
                    vec!["*".to_owned()]
                } else {
                    events
                },
                description,
                format: match format {
                    FormatArg::Native => kumbu_engine::WebhookFormat::Native,
                    FormatArg::Proxypay => kumbu_engine::WebhookFormat::Proxypay,
                    FormatArg::Simiz => kumbu_engine::WebhookFormat::Simiz,
                },
                signing_key: Some(SecretString::from(key.trim().to_owned())),
                max_concurrency: None,
            };
            let outcome = engine
                .create_endpoint(&auth, cmd, None, |e| kumbu_engine::Recorded {
                    status: 200,
                    body: format!(
                        "{} {} {}{}",
                        e.id,
                        e.format.as_str(),
                        e.url,
                        e.secret
                            .as_ref()
                            .map(|s| format!("\nsigning secret (shown once): {s}"))
                            .unwrap_or_default()
                    ),
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", outcome.response.body);
            Ok(())
        }
        Some(Command::Merchant(MerchantCommand::ErvEntity {
            merchant,
            entity,
            db,
        })) => {
            let engine = engine_for(&db).await?;
            engine
                .set_erv_entity(&merchant, &entity)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("merchant {merchant} collects by SIMO entity {entity}");
            Ok(())
        }
        Some(Command::Reconcile { file, test, db }) => {
            crate::telemetry::init(false);
            let engine = engine_for(&db).await?;
            let mode = if test {
                kumbu_core::Mode::Test
            } else {
                kumbu_core::Mode::Live
            };
            crate::reconcile::run(&engine, &file, mode).await
        }
        Some(Command::Load(args)) => crate::load::run(args).await,
        Some(Command::Connector(cmd)) => {
            crate::telemetry::init(false);
            connector::run(cmd).await
        }
        Some(Command::Simulate(cmd)) => {
            crate::telemetry::init(false);
            crate::simulate::run(cmd).await
        }
        Some(Command::SecretKey) => {
            println!("{}", kumbu_engine::generate_key());
            Ok(())
        }
    }
}

/// An engine for a one-off command, holding the database's secret key (checked against it).
async fn engine_for(db: &DbArgs) -> anyhow::Result<Engine> {
    engine_with(db, EngineConfig::default()).await
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
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
    println!(
        "Checkout pages at {}/pay/… (POST /v1/checkout/sessions hands them out; --public-url sets the address)",
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

    #[test]
    fn cli_parses() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let c = Cli::try_parse_from([
            "kumbu",
            "keys",
            "create",
            "--merchant",
            "mer_x",
            "--mode",
            "live",
        ])
        .unwrap();
        assert!(matches!(c.command, Some(Command::Keys(_))));
        let c = Cli::try_parse_from(["kumbu", "--listen", "127.0.0.1:9"]).unwrap();
        assert!(c.command.is_none());
    }
}
