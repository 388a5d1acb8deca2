//! `kumbu simulate <operator>`: runs a simulator of an operator's own API (today MTN MoMo), so
//! that a staging gateway, the tests and real client libraries can use it with no network.

use clap::{Args, Subcommand};
use kumbu_rails::mtn_momo::simulator::{Config, Faults, Sim};
use std::net::SocketAddr;
use std::time::Duration;

/// The operators that have a simulator.
#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// MTN MoMo's Open API: sandbox provisioning (`/v1_0/apiuser`), tokens, request to pay,
    /// transfers, deposits, refunds, statuses, balances, account-holder checks, and callbacks as
    /// MTN sends them. Outcomes are chosen by the number: MTN's sandbox numbers 46733123450–63,
    /// then Kumbu's suffix table (…019 limit, …029 no wallet, …039 refused, …049 no funds, …059
    /// never answers, …069 error, …079 unavailable, …129 no callback, …139 duplicate callbacks,
    /// …149 slow, …009 waits for POST /_simulator/transactions/{id}/approve|decline). State is
    /// in memory: a restart forgets it. Control endpoints: GET /_simulator/stats, PUT
    /// /_simulator/faults, POST /_simulator/tokens/expire.
    MtnMomo(MtnMomoArgs),
}

/// Options of the MTN MoMo simulator.
#[derive(Debug, Args)]
pub struct MtnMomoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Subscription keys to accept (repeat the flag); none: any non-empty key.
    #[arg(long = "subscription-key", env = "MTN_SIM_SUBSCRIPTION_KEY")]
    subscription_keys: Vec<String>,
    /// An API user known from the start, as `<uuid>:<api key>:<callback host>` (besides users
    /// provisioned through POST /v1_0/apiuser).
    #[arg(long, env = "MTN_SIM_API_USER", hide_env_values = true)]
    api_user: Option<String>,
    /// Milliseconds a payer takes to approve.
    #[arg(long, default_value_t = 2000)]
    approval_delay_ms: u64,
    /// Seconds before an unanswered request fails EXPIRED (MTN: 300).
    #[arg(long, default_value_t = 300)]
    approval_window_secs: u64,
    /// Seconds a token lives.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// Send callbacks with POST instead of PUT.
    #[arg(long)]
    callback_post: bool,
    /// Retries of a failed callback, one second apart (0: sent once).
    #[arg(long, default_value_t = 0)]
    callback_retries: u32,
    /// Milliseconds added to every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share (0–1) of calls answered 500 INTERNAL_PROCESSING_ERROR at random.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share (0–1) of transaction requests registered but answered only after 30 s (a timeout
    /// for the caller).
    #[arg(long, default_value_t = 0.0)]
    hang_rate: f64,
    /// Send every callback twice, plus a stale PENDING copy.
    #[arg(long)]
    duplicate_callbacks: bool,
    /// Send every callback again this many milliseconds later.
    #[arg(long, default_value_t = 0)]
    late_callback_ms: u64,
}

impl MtnMomoArgs {
    fn config(&self) -> anyhow::Result<Config> {
        let preset_user = match &self.api_user {
            Some(s) => {
                let mut parts = s.splitn(3, ':');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(id), Some(key), Some(host)) if !id.is_empty() && !key.is_empty() => {
                        Some((id.to_owned(), key.to_owned(), host.to_owned()))
                    }
                    _ => anyhow::bail!("--api-user must be <uuid>:<api key>:<callback host>"),
                }
            }
            None => None,
        };
        for (name, rate) in [
            ("--error-rate", self.error_rate),
            ("--hang-rate", self.hang_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                anyhow::bail!("{name} must be between 0 and 1");
            }
        }
        Ok(Config {
            approval_delay: Duration::from_millis(self.approval_delay_ms),
            approval_window: Duration::from_secs(self.approval_window_secs),
            token_ttl: Duration::from_secs(self.token_ttl_secs),
            subscription_keys: self.subscription_keys.clone(),
            preset_user,
            callback_put: !self.callback_post,
            callback_retries: self.callback_retries,
            faults: Faults {
                latency_ms: self.latency_ms,
                error_rate: self.error_rate,
                hang_rate: self.hang_rate,
                duplicate_callbacks: self.duplicate_callbacks,
                late_callback_ms: self.late_callback_ms,
                ..Faults::default()
            },
            ..Config::default()
        })
    }
}

/// Runs the chosen simulator until Ctrl-C.
pub async fn run(cmd: SimulateCommand) -> anyhow::Result<()> {
    match cmd {
        SimulateCommand::MtnMomo(args) => {
            let config = args.config()?;
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
            let addr = listener.local_addr()?;
            println!("MTN MoMo simulator on http://{addr}");
            println!("  point Kumbu at it:   kumbu serve --mtn-momo-url http://{addr}");
            println!("  point a client at it: base URL http://{addr}, target environment sandbox (EUR), mtnivorycoast (XOF) or mtncameroon (XAF)");
            tracing::info!(%addr, "MTN MoMo simulator listening");
            Sim::new(config)
                .serve(listener, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            Ok(())
        }
    }
}
