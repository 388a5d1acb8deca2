//! `kumbu simulate <operator>`: runs a simulator of an operator's own API (MTN MoMo, Orange
//! Money, Wave, M-Pesa Mozambique), so that a staging gateway, the tests and real client libraries can use it with no
//! network.

use clap::{Args, Subcommand};
use kumbu_rails::mpesa_mz::simulator as mpesa;
use kumbu_rails::mtn_momo::simulator::{Config, Faults, Sim};
use kumbu_rails::orange_money::simulator as orange;
use kumbu_rails::wave::simulator as wave;
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
    /// Orange Money's Web Payment API: OAuth tokens (POST /oauth/v3/token, Basic
    /// client_id:secret), POST /orange-money-webpay/{dev|ci|cm}/v1/webpayment (201 with
    /// pay_token, payment_url, notif_token) and …/transactionstatus, the payer's page at
    /// payment_url (a number, then Payer, Refuser or Annuler), and the notification posted to
    /// notif_url. Paying follows the number typed: …039, …049, …069 refused, …059 never
    /// confirms, …129 no notification, …139 notified twice, any other pays. Also Cameroon's
    /// prompt API: POST /token, /omcoreapis/1.0.2/mp/init, mp/pay, GET mp/paymentstatus/{payToken}
    /// (Bearer and X-AUTH-TOKEN; WSO2 fault 900901 for a token Orange does not know), outcomes
    /// by the payer's number as above, …009 waiting for POST /_simulator/mp/{payToken}/approve or
    /// /decline. State is in memory. Control endpoints: GET /_simulator/stats, PUT
    /// /_simulator/faults, POST /_simulator/tokens/expire, POST
    /// /_simulator/webpayments/{pay_token}/pay|decline.
    OrangeMoney(OrangeMoneyArgs),
    /// Wave's Business API: checkout sessions (POST /v1/checkout/sessions; reads by id, by
    /// transaction_id, by client_reference; expire; refund) and the payer's page at
    /// wave_launch_url, payouts (POST /v1/payout with idempotency-key; reads, search, reverse),
    /// GET /v1/balance, and webhooks to --webhook-url signed with Wave-Signature (t=…,v1=…).
    /// Outcomes follow the number: …039, …049, …069 fail, …059 never confirms (payouts:
    /// processing, then succeeded), …129 no webhook, …139 webhook twice, any other pays. State is
    /// in memory. Control endpoints: GET /_simulator/stats, PUT /_simulator/faults, POST
    /// /_simulator/sessions/{id}/pay|fail.
    Wave(WaveArgs),
    /// M-Pesa Mozambique's iPG v1x API: C2B single stage (POST
    /// /ipg/v1x/c2bPayment/singleStage/, held open until the simulated payer answers), B2C (POST
    /// /ipg/v1x/b2cPayment/), reversal (PUT /ipg/v1x/reversal/) and the status query (GET
    /// /ipg/v1x/queryTransactionStatus/): each on its own port of --host as M-Pesa serves them
    /// (18352, 18345, 18353, 18354), or all on --listen. The Bearer must be an API key encrypted
    /// under the public key it prints. Outcomes follow the payer's number: …029 invalid
    /// (INS-2051), …039 refused (INS-5), …049 no funds (INS-2006), …069 failed (INS-6), …079
    /// overloaded (INS-16), …059 never answers (INS-9 after --platform-timeout-secs), …149 slow,
    /// …009 waits for POST /_simulator/transactions/{reference}/approve|decline; any other pays
    /// after --prompt-ms. State is in memory. Control endpoints: GET /_simulator/stats, PUT
    /// /_simulator/faults ({"fail_next", "hang_next", "duplicate_next", "code_next": "INS-…",
    /// "latency_ms"}), GET
    /// /_simulator/public_key, GET /_simulator/transactions/{reference}.
    MpesaMz(MpesaMzArgs),
}

/// Options of the M-Pesa simulator.
#[derive(Debug, Args)]
pub struct MpesaMzArgs {
    /// Serve every operation on this one address (for tests and `kumbu serve --mpesa-mz-url
    /// http://ADDR`).
    #[arg(long, conflicts_with = "host")]
    listen: Option<SocketAddr>,
    /// Serve each operation on its own port of this address, as M-Pesa does (18352 C2B, 18345
    /// B2C, 18353 query, 18354 reversal): what client libraries with fixed ports need.
    #[arg(long)]
    host: Option<std::net::IpAddr>,
    /// The RSA private key (PKCS#8 PEM) whose public key clients encrypt their API key under;
    /// none: a new one each start, printed.
    #[arg(long, value_name = "FILE")]
    private_key: Option<std::path::PathBuf>,
    /// An API key to accept (repeat the flag); none: any that decrypts.
    #[arg(long = "api-key", env = "MPESA_SIM_API_KEY", hide_env_values = true)]
    api_keys: Vec<String>,
    /// The initiator reversals must name, as `<identifier>:<security credential>`; none: any.
    #[arg(long, env = "MPESA_SIM_INITIATOR", hide_env_values = true)]
    initiator: Option<String>,
    /// Milliseconds a payer takes to answer the prompt (the C2B call is held that long).
    #[arg(long, default_value_t = 3000)]
    prompt_ms: u64,
    /// Seconds the platform waits for a payer before it gives up (INS-9).
    #[arg(long, default_value_t = 90)]
    platform_timeout_secs: u64,
    /// Milliseconds added to every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

impl MpesaMzArgs {
    fn config(&self) -> anyhow::Result<mpesa::Config> {
        let keys = match &self.private_key {
            Some(path) => {
                let pem = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("--private-key {}: {e}", path.display()))?;
                mpesa::Keys::from_pem(&pem)
                    .map_err(|e| anyhow::anyhow!("--private-key {}: {e}", path.display()))?
            }
            None => mpesa::Keys::generate(),
        };
        let initiator = match &self.initiator {
            Some(s) => match s.split_once(':') {
                Some((id, cred)) if !id.is_empty() && !cred.is_empty() => {
                    Some((id.to_owned(), cred.to_owned()))
                }
                Some(_) | None => {
                    anyhow::bail!("--initiator must be <identifier>:<security credential>")
                }
            },
            None => None,
        };
        Ok(mpesa::Config {
            api_keys: self.api_keys.clone(),
            initiator,
            prompt_time: Duration::from_millis(self.prompt_ms),
            platform_timeout: Duration::from_secs(self.platform_timeout_secs.max(1)),
            faults: mpesa::Faults {
                latency_ms: self.latency_ms,
                ..mpesa::Faults::default()
            },
            ..mpesa::Config::with_keys(keys)
        })
    }
}

/// Options of the Wave simulator.
#[derive(Debug, Args)]
pub struct WaveArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8093")]
    listen: SocketAddr,
    /// An API key to accept (repeat the flag); none: any key starting `wave_`.
    #[arg(long = "api-key", env = "WAVE_SIM_API_KEY", hide_env_values = true)]
    api_keys: Vec<String>,
    /// Require every API request to be signed (Wave-Signature) with this secret.
    #[arg(long, env = "WAVE_SIM_REQUEST_SIGNING_SECRET", hide_env_values = true)]
    request_signing_secret: Option<String>,
    /// Where to send webhooks.
    #[arg(long)]
    webhook_url: Option<String>,
    /// Sign webhooks (Wave-Signature) with this secret.
    #[arg(long, env = "WAVE_SIM_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Without a signing secret: send this shared secret as `Authorization: Bearer`.
    #[arg(long, env = "WAVE_SIM_WEBHOOK_SHARED_SECRET", hide_env_values = true)]
    webhook_shared_secret: Option<String>,
    /// Minutes a checkout session takes payments.
    #[arg(long, default_value_t = 30)]
    session_minutes: u64,
    /// Milliseconds a processing payout takes to succeed.
    #[arg(long, default_value_t = 2000)]
    payout_delay_ms: u64,
    /// Pay every checkout session this many milliseconds after it is made, from the number it
    /// names (restrict_payer_mobile) or one that pays, as a payer who opened it would (for load
    /// tests, where no browser opens the pages; `scripts/bench-live.sh`). Unset: only a payer, or
    /// POST /_simulator/sessions/{id}/pay, pays.
    #[arg(long, value_name = "MS")]
    sessions_paid_after_ms: Option<u64>,
    /// Milliseconds added to every API answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Send every webhook twice.
    #[arg(long)]
    duplicate_webhooks: bool,
}

impl WaveArgs {
    fn config(&self) -> anyhow::Result<wave::Config> {
        if let Some(u) = &self.webhook_url {
            reqwest::Url::parse(u).map_err(|e| anyhow::anyhow!("--webhook-url: {e}"))?;
        }
        Ok(wave::Config {
            api_keys: self.api_keys.clone(),
            request_signing_secret: self.request_signing_secret.clone(),
            webhook_url: self.webhook_url.clone(),
            webhook_secret: self.webhook_secret.clone(),
            webhook_shared_secret: self.webhook_shared_secret.clone(),
            session_ttl: Duration::from_secs(self.session_minutes * 60),
            payout_delay: Duration::from_millis(self.payout_delay_ms),
            sessions_paid_after: self.sessions_paid_after_ms.map(Duration::from_millis),
            faults: wave::Faults {
                latency_ms: self.latency_ms,
                duplicate_webhooks: self.duplicate_webhooks,
                ..wave::Faults::default()
            },
            ..wave::Config::default()
        })
    }
}

/// Options of the Orange Money simulator.
#[derive(Debug, Args)]
pub struct OrangeMoneyArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8092")]
    listen: SocketAddr,
    /// An OAuth client to accept, as `<client id>:<client secret>` (repeat the flag); none:
    /// any.
    #[arg(long = "client", env = "ORANGE_SIM_CLIENT", hide_env_values = true)]
    clients: Vec<String>,
    /// A merchant key to accept (repeat the flag); none: any non-empty key.
    #[arg(
        long = "merchant-key",
        env = "ORANGE_SIM_MERCHANT_KEY",
        hide_env_values = true
    )]
    merchant_keys: Vec<String>,
    /// A Cameroon API user to accept in X-AUTH-TOKEN, as `<username>:<password>` (repeat the
    /// flag); none: any.
    #[arg(long = "api-user", env = "ORANGE_SIM_API_USER", hide_env_values = true)]
    api_users: Vec<String>,
    /// The channel user's PIN Cameroon's mp/pay must carry; none: any.
    #[arg(long, env = "ORANGE_SIM_PIN", hide_env_values = true)]
    pin: Option<String>,
    /// Milliseconds a payer takes to answer a Cameroon prompt.
    #[arg(long, default_value_t = 2000)]
    approval_delay_ms: u64,
    /// Seconds a token lives.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// Seconds a payment page stays open before the payment is EXPIRED.
    #[arg(long, default_value_t = 600)]
    payment_window_secs: u64,
    /// Pay every payment page this many milliseconds after it is made, as a payer who opened
    /// it would (for load tests, where no browser opens the pages; `scripts/bench-live.sh`).
    /// Unset: only a payer, or POST /_simulator/webpayments/{pay_token}/pay, pays.
    #[arg(long, value_name = "MS")]
    pages_paid_after_ms: Option<u64>,
    /// Milliseconds added to every API answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Send every notification twice.
    #[arg(long)]
    duplicate_notifications: bool,
    /// Send every notification again this many milliseconds later.
    #[arg(long, default_value_t = 0)]
    late_notification_ms: u64,
    /// Precede every notification with a forged one (SUCCESS, a wrong notif_token).
    #[arg(long)]
    forged_notifications: bool,
}

impl OrangeMoneyArgs {
    fn config(&self) -> anyhow::Result<orange::Config> {
        let pairs = |given: &[String], flag: &str, shape: &str| {
            given
                .iter()
                .map(|c| match c.split_once(':') {
                    Some((a, b)) if !a.is_empty() && !b.is_empty() => {
                        Ok((a.to_owned(), b.to_owned()))
                    }
                    Some(_) | None => Err(anyhow::anyhow!("{flag} must be {shape}")),
                })
                .collect::<anyhow::Result<Vec<_>>>()
        };
        Ok(orange::Config {
            clients: pairs(&self.clients, "--client", "<client id>:<client secret>")?,
            merchant_keys: self.merchant_keys.clone(),
            api_users: pairs(&self.api_users, "--api-user", "<username>:<password>")?,
            pin: self.pin.clone(),
            approval_delay: Duration::from_millis(self.approval_delay_ms),
            token_ttl: Duration::from_secs(self.token_ttl_secs),
            payment_window: Duration::from_secs(self.payment_window_secs),
            pages_paid_after: self.pages_paid_after_ms.map(Duration::from_millis),
            faults: orange::Faults {
                latency_ms: self.latency_ms,
                duplicate_notifications: self.duplicate_notifications,
                late_notification_ms: self.late_notification_ms,
                forged_notifications: self.forged_notifications,
                ..orange::Faults::default()
            },
        })
    }
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
        SimulateCommand::MpesaMz(args) => {
            let sim = mpesa::Sim::new(args.config()?);
            let key = sim.public_key();
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            match (args.listen, args.host) {
                (Some(addr), _) => {
                    let listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
                    let addr = listener.local_addr()?;
                    println!("M-Pesa simulator on http://{addr}");
                    println!("  every operation on this one port");
                    println!("  point Kumbu at it:   kumbu serve --mpesa-mz-url http://{addr}");
                    println!("  public key (the connector's public_key): {key}");
                    tracing::info!(%addr, "M-Pesa simulator listening");
                    sim.serve(listener, shutdown).await?;
                }
                (None, host) => {
                    let host = host.unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
                    println!("M-Pesa simulator on http://{host}");
                    println!("  each operation on its own port, as M-Pesa's: 18352 C2B, 18345 B2C, 18353 query, 18354 reversal");
                    println!("  point a client at it: host http://{host}");
                    println!("  public key (the connector's public_key): {key}");
                    tracing::info!(%host, "M-Pesa simulator listening");
                    sim.serve_ports(host, shutdown).await?;
                }
            }
            Ok(())
        }
        SimulateCommand::Wave(args) => {
            let config = args.config()?;
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
            let addr = listener.local_addr()?;
            println!("Wave simulator on http://{addr}");
            println!("  point a client at it: base URL http://{addr}, an API key starting wave_");
            tracing::info!(%addr, "Wave simulator listening");
            wave::Sim::new(config)
                .serve(listener, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            Ok(())
        }
        SimulateCommand::OrangeMoney(args) => {
            let config = args.config()?;
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
            let addr = listener.local_addr()?;
            println!("Orange Money Web Payment simulator on http://{addr}");
            println!("  point a client at it: base URL http://{addr} (token at /oauth/v3/token, payments under /orange-money-webpay/dev/v1/)");
            tracing::info!(%addr, "Orange Money simulator listening");
            orange::Sim::new(config)
                .serve(listener, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            Ok(())
        }
    }
}
