//! `kumbu connector …`: merchants' operator credentials for live mode, from the command line of
//! the gateway's operator (the native API's `/v1/connectors` does the same with a live key), and
//! the connector settings `serve` shares.

use super::db::{engine_with, DbArgs};
use clap::{Args, Subcommand};
use kumbu_core::Operator;
use kumbu_engine::EngineConfig;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// Where operators are reached, and how patiently.
#[derive(Debug, Clone, Args)]
pub struct OperatorArgs {
    /// MTN MoMo's API. MTN's production API by default; point it at `kumbu simulate mtn-momo`
    /// for staging and tests.
    #[arg(long, env = "KUMBU_MTN_MOMO_URL", default_value = kumbu_rails::mtn_momo::PRODUCTION_URL)]
    pub mtn_momo_url: String,
    /// Orange Money's APIs (Web Payment). Orange's production API by default; point it at
    /// `kumbu simulate orange-money` for staging and tests.
    #[arg(long, env = "KUMBU_ORANGE_MONEY_URL", default_value = kumbu_rails::orange_money::PRODUCTION_URL)]
    pub orange_money_url: String,
    /// Wave's API (Checkout). Wave's production API by default; point it at `kumbu simulate
    /// wave` for staging and tests.
    #[arg(long, env = "KUMBU_WAVE_URL", default_value = kumbu_rails::wave::PRODUCTION_URL)]
    pub wave_url: String,
    /// M-Pesa Mozambique's API. Vodacom's production API by default (each operation on its own
    /// port: 18352 C2B, 18345 B2C, 18353 query, 18354 reversal); a URL with a port sends every
    /// operation there, as `kumbu simulate mpesa-mz --listen` serves them.
    #[arg(long, env = "KUMBU_MPESA_MZ_URL", default_value = kumbu_rails::mpesa_mz::PRODUCTION_URL)]
    pub mpesa_mz_url: String,
    /// ProxyPay's API, upstream of live Multicaixa references (a merchant with ProxyPay
    /// credentials has its live references issued there and its payments recorded from there).
    /// ProxyPay's production API by default; point it at another Kumbu's ProxyPay face (its test
    /// mode: mock payments stand for Multicaixa payers) for staging and tests.
    #[arg(long, env = "KUMBU_PROXYPAY_URL", default_value = kumbu_rails::proxypay::PRODUCTION_URL)]
    pub proxypay_url: String,
    /// Seconds between reads of each merchant's ProxyPay payments queue (GET /payments), besides
    /// ProxyPay's webhook: what arrives while Kumbu is down, or a webhook lost.
    #[arg(long, env = "KUMBU_PROXYPAY_POLL_SECS", default_value_t = 60)]
    pub proxypay_poll_secs: u64,
    /// Milliseconds one operator call may take; past it the outcome is unknown, and the status
    /// is asked (a request is never sent again under a new reference).
    #[arg(long, env = "KUMBU_OPERATOR_TIMEOUT_MS", default_value_t = 30_000)]
    pub operator_timeout_ms: u64,
    /// Milliseconds between status queries while an operator has not decided (its callback
    /// makes the next query immediate).
    #[arg(long, env = "KUMBU_OPERATOR_POLL_MS", default_value_t = 10_000)]
    pub operator_poll_ms: u64,
    /// Seconds a live payment claimed for an operator call is reserved for this process; if the
    /// process dies mid-call, another takes the payment over after this.
    #[arg(long, env = "KUMBU_OPERATOR_LEASE_SECS", default_value_t = 60)]
    pub operator_lease_secs: u64,
    /// Seconds a call an operator holds open until the payer answers (M-Pesa's C2B, which
    /// answers after the payer's PIN or when M-Pesa gives up, 60-90 s) may last; past it, the
    /// outcome is unknown and the status is asked.
    #[arg(
        long,
        env = "KUMBU_OPERATOR_PROMPT_TIMEOUT_SECS",
        default_value_t = 120
    )]
    pub operator_prompt_timeout_secs: u64,
    /// Calls held open until the payer answers (M-Pesa's C2B), at once, in this process; a
    /// payment that finds no room waits its turn. Each costs an open connection and a task, no
    /// worker.
    #[arg(long, env = "KUMBU_HELD_CALLS", default_value_t = 2000)]
    pub held_calls: usize,
    /// Of those, at once for any one merchant, so that one merchant's rush leaves room for the
    /// others.
    #[arg(long, env = "KUMBU_HELD_CALLS_PER_MERCHANT", default_value_t = 500)]
    pub held_calls_per_merchant: usize,
}

impl OperatorArgs {
    /// Writes these settings into `config`.
    pub fn apply(&self, config: &mut EngineConfig) -> anyhow::Result<()> {
        config.operator_urls.mtn_momo = http_url(
            "--mtn-momo-url",
            &self.mtn_momo_url,
            kumbu_rails::mtn_momo::PRODUCTION_URL,
        )?;
        config.operator_urls.orange_money = http_url(
            "--orange-money-url",
            &self.orange_money_url,
            kumbu_rails::orange_money::PRODUCTION_URL,
        )?;
        config.operator_urls.wave = http_url(
            "--wave-url",
            &self.wave_url,
            kumbu_rails::wave::PRODUCTION_URL,
        )?;
        config.operator_urls.mpesa_mz = http_url(
            "--mpesa-mz-url",
            &self.mpesa_mz_url,
            kumbu_rails::mpesa_mz::PRODUCTION_URL,
        )?;
        config.operator_urls.proxypay = http_url(
            "--proxypay-url",
            &self.proxypay_url,
            kumbu_rails::proxypay::PRODUCTION_URL,
        )?;
        config.upstream_poll_every = Duration::from_secs(self.proxypay_poll_secs.clamp(1, 86_400));
        config.operator_prompt_timeout =
            Duration::from_secs(self.operator_prompt_timeout_secs.clamp(1, 3600));
        config.held_calls = self.held_calls.max(1);
        config.held_calls_per_merchant = self.held_calls_per_merchant.max(1);
        config.operator_timeout =
            Duration::from_millis(self.operator_timeout_ms.clamp(100, 300_000));
        config.operator_poll_every =
            Duration::from_millis(self.operator_poll_ms.clamp(10, 3_600_000));
        config.operator_lease = Duration::from_secs(self.operator_lease_secs.clamp(1, 3600));
        Ok(())
    }
}

/// `given` if it is an http(s) URL; otherwise an error naming the flag and an example.
fn http_url(flag: &str, given: &str, example: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(given).map_err(|e| anyhow::anyhow!("{flag} {given}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        anyhow::bail!("{flag} must be an http(s) URL, e.g. {example}");
    }
    Ok(given.to_owned())
}

/// `kumbu connector …`.
#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// Set (or replace) a merchant's credentials for an operator, from a JSON file (or `-` for
    /// standard input, so that no secret sits in the shell history), e.g. for MTN MoMo:
    /// {"target_environment": "mtnivorycoast", "callback_host": "pay.example.com",
    ///  "collection": {"subscription_key": "…", "api_user": "…", "api_key": "…"},
    ///  "disbursement": {"subscription_key": "…", "api_user": "…", "api_key": "…"}};
    /// for Orange Money: {"country": "ci", "web_payment": {"client_id": "…",
    ///  "client_secret": "…", "merchant_key": "…"}} (docs/operators/orange-money.md);
    /// for Wave: {"api_key": "wave_ci_prod_…", "webhook_secret": "…"} (docs/operators/wave.md);
    /// for M-Pesa: {"api_key": "…", "public_key": "MIICIjANBgkq…", "service_provider_code":
    ///  "171717", "initiator_identifier": "…", "security_credential": "…"}
    ///  (docs/operators/mpesa-mz.md); for ProxyPay (live Multicaixa references):
    ///  {"api_key": "…"} (docs/operators/proxypay.md).
    /// Sealed at rest with the gateway's secret key; never printed.
    Set {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// Operator: mtn_ci, mtn_cm, orange_ci, orange_cm, wave_ci, mpesa_mz or proxypay.
        #[arg(long)]
        operator: String,
        /// The credentials file, or `-`.
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List merchants' connectors (no secrets).
    List {
        /// Only this merchant's.
        #[arg(long)]
        merchant: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Ask each operator for a token with every stored credential; exits 1 if any is refused.
    Check {
        /// Only this merchant's.
        #[arg(long)]
        merchant: Option<String>,
        #[command(flatten)]
        operators: OperatorArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove a merchant's credentials for an operator (its live payments are then refused).
    Remove {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// Operator: mtn_ci, mtn_cm, orange_ci, orange_cm, wave_ci, mpesa_mz or proxypay.
        #[arg(long)]
        operator: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn operator(code: &str) -> anyhow::Result<Operator> {
    // ProxyPay is the gateway of Multicaixa references: its credentials are Multicaixa's.
    if code == kumbu_rails::proxypay::SLUG {
        return Ok(Operator::Multicaixa);
    }
    Operator::parse(code).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown operator `{code}` (mtn_ci, mtn_cm, orange_ci, orange_cm, wave_ci or mpesa_mz)"
        )
    })
}

/// The settings file as JSON; the operator's connector checks its fields.
fn read_settings(file: &PathBuf) -> anyhow::Result<serde_json::Value> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    }
    // serde's message names the field; it never echoes a value.
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// Runs a `kumbu connector` command.
pub async fn run(cmd: ConnectorCommand) -> anyhow::Result<()> {
    match cmd {
        ConnectorCommand::Set {
            merchant,
            operator: op,
            file,
            db,
        } => {
            let op = operator(&op)?;
            let settings = read_settings(&file)?;
            let engine = engine_with(&db, EngineConfig::default()).await?;
            let (summary, created) = engine
                .put_connector(&merchant, op, settings)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{} {} credentials for merchant {merchant}: target environment {}, products {}",
                if created { "stored" } else { "replaced" },
                op.code(),
                summary.target_environment,
                summary.products.join(", ")
            );
            println!(
                "check them against the operator with: kumbu connector check --merchant {merchant}"
            );
            Ok(())
        }
        ConnectorCommand::List { merchant, db } => {
            let engine = engine_with(&db, EngineConfig::default()).await?;
            let rows = engine
                .store()
                .list_operator_credentials(merchant.as_deref())
                .await?;
            if rows.is_empty() {
                println!("no connector is set");
            }
            for r in rows {
                println!("{}\t{}\t{}", r.merchant_id, r.operator.code(), r.summary);
            }
            Ok(())
        }
        ConnectorCommand::Check {
            merchant,
            operators,
            db,
        } => {
            let mut config = EngineConfig::default();
            operators.apply(&mut config)?;
            let urls = config.operator_urls.clone();
            let engine = engine_with(&db, config).await?;
            let checks = engine
                .check_connectors(merchant.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if checks.is_empty() {
                println!("no connector is set");
            }
            let mut failed = 0;
            for c in &checks {
                match &c.problem {
                    None => println!(
                        "ok\t{}\t{}\t{}",
                        c.merchant_id,
                        c.operator.code(),
                        c.product
                    ),
                    Some(why) => {
                        failed += 1;
                        println!(
                            "FAIL\t{}\t{}\t{}\t{why}",
                            c.merchant_id,
                            c.operator.code(),
                            c.product
                        );
                    }
                }
            }
            if failed > 0 {
                anyhow::bail!(
                    "{failed} credential(s) refused by the operator or not reachable. MTN MoMo was \
                     asked at {}, Orange Money at {}, Wave at {} and M-Pesa at {}: the operators' \
                     production APIs unless --mtn-momo-url, --orange-money-url, --wave-url and \
                     --mpesa-mz-url (or KUMBU_MTN_MOMO_URL, KUMBU_ORANGE_MONEY_URL, \
                     KUMBU_WAVE_URL, KUMBU_MPESA_MZ_URL) name others, such as `kumbu simulate \
                     mtn-momo`",
                    urls.mtn_momo,
                    urls.orange_money,
                    urls.wave,
                    urls.mpesa_mz
                );
            }
            Ok(())
        }
        ConnectorCommand::Remove {
            merchant,
            operator: op,
            db,
        } => {
            let op = operator(&op)?;
            let engine = engine_with(&db, EngineConfig::default()).await?;
            let auth = kumbu_engine::AuthContext {
                merchant_id: merchant.clone(),
                mode: kumbu_core::Mode::Live,
                key_id: "kumbu".to_owned(),
                audit: Some(kumbu_engine::AuditAs {
                    actor: kumbu_engine::Actor::Command,
                    action: "connector.removed",
                    subject: op.code().to_owned(),
                    detail: String::new(),
                }),
                face: None,
            };
            match engine.remove_connector(&auth, op).await {
                Ok(()) => {
                    println!("removed {} credentials of merchant {merchant}", op.code());
                    Ok(())
                }
                Err(kumbu_engine::EngineError::Rejected(_)) => {
                    anyhow::bail!("merchant {merchant} has no {} credentials", op.code())
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
