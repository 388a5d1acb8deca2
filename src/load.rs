//! `kumbu load`: a load generator for a running Kumbu. It creates payments with Idempotency-Keys
//! at a given concurrency for a given time, reads them back by id, and measures how fast the
//! created payments reach a final state (from the server's own transition counters). It fails
//! (exit 1) on any error answer, on payments ending other than expected, and on webhooks that
//! never arrived: a figure is printed only for the work it claims.
//!
//! Over 700 lines: the load generator's phases (create, read, webhooks), their checks and its
//! report are one command; it is a tool, not part of the gateway.

use anyhow::{bail, Context};
use clap::Args;
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of `kumbu load`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The server's metrics listener (its --metrics-listen): the load generator reads there how
    /// many payments have reached a final status.
    #[arg(
        long,
        env = "KUMBU_METRICS_URL",
        default_value = "http://127.0.0.1:9464"
    )]
    pub metrics_url: String,
    /// API key: a test key (the sandbox), or a live key whose merchant has a connector set.
    #[arg(long, env = "KUMBU_KEY")]
    pub key: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds spent creating payments.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Create exactly this many payments, however long it takes, instead of creating for
    /// --duration (e.g. 2,000 held at once by an operator: scripts/bench-mpesa.sh).
    #[arg(long)]
    pub count: Option<u64>,
    /// Seconds spent reading them back by id.
    #[arg(long, default_value_t = 10)]
    pub read_duration: u64,
    /// Payer phone (its last digits choose the sandbox outcome).
    #[arg(long, default_value = "+2250700000789")]
    pub phone: String,
    /// Operator code.
    #[arg(long, default_value = "orange_ci")]
    pub operator: String,
    /// Currency.
    #[arg(long, default_value = "XOF")]
    pub currency: String,
    /// Also measure webhooks: start a local receiver, register it for every event, and report
    /// deliveries per second and the delay from an event's commit to its delivery.
    #[arg(long)]
    pub webhooks: bool,
    /// With --webhooks: measure how fast a backlog drains, instead of the delay under load.
    /// Point it at a server started with `--dispatch-tasks 0`; once every payment is final it
    /// prints `backlog ready`, and reports the delivery rate after a dispatching server on the
    /// same database (start it then; scripts/bench-webhooks.sh does) has delivered them all.
    #[arg(long, requires = "webhooks")]
    pub backlog: bool,
    /// With --webhooks: also register a second endpoint for every event, one that answers
    /// only after this many milliseconds (a slow neighbour of the measured endpoint, from the
    /// same merchant). The figures printed are the measured endpoint's.
    #[arg(long, requires = "webhooks", conflicts_with = "backlog")]
    pub slow_neighbour_ms: Option<u64>,
    /// Longest wait for created payments to reach a final state, in seconds.
    #[arg(long, default_value_t = 300)]
    pub settle_timeout: u64,
    /// The final status every payment must reach (the payer phone decides it in the sandbox):
    /// `settled`, `failed`, `expired`, `cancelled`, or `any`. Any other ending fails the run.
    #[arg(long, default_value = "settled", value_parser = ["settled", "failed", "expired", "cancelled", "any"])]
    pub expect: String,
}

/// The final statuses a payment can reach, as `/metrics` names them.
const FINALS: [&str; 4] = ["settled", "failed", "expired", "cancelled"];

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

/// What one client of a phase measured: answers it took, refusals and failures by kind.
struct Tally {
    latency: Histogram<u64>,
    ok: u64,
    /// `HTTP 503`, `timeout`, `connect`, `no id in the answer`, … and how many of each.
    errors: std::collections::BTreeMap<String, u64>,
    error_latency: Histogram<u64>,
}

impl Tally {
    fn new() -> Self {
        Self {
            latency: histogram(),
            ok: 0,
            errors: std::collections::BTreeMap::new(),
            error_latency: histogram(),
        }
    }

    fn ok(&mut self, took: Duration) {
        self.ok += 1;
        let _ = self.latency.record(micros(took));
    }

    fn error(&mut self, kind: String, took: Duration) {
        *self.errors.entry(kind).or_default() += 1;
        let _ = self.error_latency.record(micros(took));
    }

    /// What went wrong with a request that got no good answer.
    fn kind(e: &reqwest::Error) -> String {
        if e.is_timeout() {
            "timeout".to_owned()
        } else if e.is_connect() {
            "connect".to_owned()
        } else {
            "transport".to_owned()
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

struct PhaseReport {
    name: &'static str,
    tally: Tally,
    elapsed: Duration,
}

impl PhaseReport {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            tally: Tally::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn add(&mut self, t: &Tally) {
        self.tally.latency.add(&t.latency).ok();
        self.tally.error_latency.add(&t.error_latency).ok();
        self.tally.ok += t.ok;
        for (k, n) in &t.errors {
            *self.tally.errors.entry(k.clone()).or_default() += n;
        }
    }

    fn errors(&self) -> u64 {
        self.tally.errors.values().sum()
    }

    fn print(&self) {
        let ms = |v: u64| v as f64 / 1000.0;
        let h = &self.tally.latency;
        println!(
            "{:<7} {:>8} ok {:>6} errors {:>9.1} req/s   p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms",
            self.name,
            self.tally.ok,
            self.errors(),
            self.tally.ok as f64 / self.elapsed.as_secs_f64(),
            ms(h.value_at_quantile(0.50)),
            ms(h.value_at_quantile(0.90)),
            ms(h.value_at_quantile(0.99)),
            ms(h.max()),
        );
        if self.errors() > 0 {
            let e = &self.tally.error_latency;
            let kinds: Vec<String> = self
                .tally
                .errors
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            println!(
                "{:<7} {:>8} errors: {}   p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms",
                self.name,
                self.errors(),
                kinds.join(", "),
                ms(e.value_at_quantile(0.50)),
                ms(e.value_at_quantile(0.99)),
                ms(e.max()),
            );
        }
    }
}

/// The server's transitions into each final status so far (in [`FINALS`]' order), read from
/// `/metrics` on its metrics listener.
async fn final_transitions(client: &reqwest::Client, metrics: &str) -> anyhow::Result<[u64; 4]> {
    let text = client
        .get(format!("{metrics}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let mut totals = [0u64; 4];
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("kumbu_payment_transitions_total{") {
            for (i, s) in FINALS.iter().enumerate() {
                if rest.contains(&format!("to=\"{s}\"")) {
                    if let Some(v) = rest.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) {
                        totals[i] += v as u64;
                    }
                }
            }
        }
    }
    Ok(totals)
}

/// `after - before`, status by status.
fn since(after: [u64; 4], before: [u64; 4]) -> [u64; 4] {
    std::array::from_fn(|i| after[i].saturating_sub(before[i]))
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let base = args.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let ready = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .with_context(|| format!("is Kumbu running at {base}?"))?;
    if !ready.status().is_success() {
        bail!("{base}/readyz answered {}", ready.status());
    }
    let metrics = args.metrics_url.trim_end_matches('/').to_owned();
    let final_before = final_transitions(&client, &metrics)
        .await
        .with_context(|| {
            format!(
                "cannot read {metrics}/metrics: give the server's --metrics-listen address with \
             --metrics-url (the load generator counts finished payments there)"
            )
        })?;
    let receiver = if args.webhooks {
        Some(WebhookReceiver::start(&client, &base, &args.key, args.slow_neighbour_ms).await?)
    } else {
        None
    };
    println!(
        "kumbu load: {} clients, {} create + {} s read against {base}",
        args.concurrency,
        args.count.map_or_else(
            || format!("{} s", args.duration),
            |c| format!("{c} payments")
        ),
        args.read_duration
    );

    // Phase 1: create.
    let body = serde_json::json!({
        "amount": 5000, "currency": args.currency,
        "payer": {"phone": args.phone, "operator": args.operator},
        "description": "kumbu load"
    })
    .to_string();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let counter = Arc::new(AtomicU64::new(0));
    let count = args.count;
    let mut tasks = Vec::new();
    for worker in 0..args.concurrency {
        let (client, base, key, body, counter) = (
            client.clone(),
            base.clone(),
            args.key.clone(),
            body.clone(),
            counter.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            let (mut ids, mut acknowledged) = (Vec::new(), 0u64);
            while count.is_some() || Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if count.is_some_and(|c| n >= c) {
                    break;
                }
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/v1/payments"))
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .header(
                        "idempotency-key",
                        format!("load-{}-{worker}-{n}", started.elapsed().as_nanos()),
                    )
                    .body(body.clone())
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().is_success() => {
                        // Acknowledged: the server committed a payment, id or not.
                        acknowledged += 1;
                        let v: serde_json::Value = resp.json().await.unwrap_or_default();
                        if let Some(id) = v.get("id").and_then(|i| i.as_str()) {
                            ids.push(id.to_owned());
                            tally.ok(t.elapsed());
                        } else {
                            tally.error("2xx without an id".to_owned(), t.elapsed());
                        }
                    }
                    Ok(resp) => {
                        tally.error(format!("HTTP {}", resp.status().as_u16()), t.elapsed())
                    }
                    Err(e) => tally.error(Tally::kind(&e), t.elapsed()),
                }
            }
            (tally, ids, acknowledged)
        }));
    }
    let mut create = PhaseReport::new("create");
    let (mut ids, mut acknowledged) = (Vec::new(), 0u64);
    for t in tasks {
        let (tally, mut i, a) = t.await?;
        create.add(&tally);
        acknowledged += a;
        ids.append(&mut i);
    }
    create.elapsed = started.elapsed();
    create.print();
    if ids.is_empty() {
        bail!("no payment was created; check the key and the server log");
    }

    // Watch, while reads run, for the moment every acknowledged payment is final.
    let monitor = {
        let (client, metrics) = (client.clone(), metrics.clone());
        let timeout = Duration::from_secs(args.settle_timeout);
        tokio::spawn(async move {
            let deadline = Instant::now() + timeout;
            loop {
                let now = final_transitions(&client, &metrics)
                    .await
                    .map(|n| since(n, final_before))
                    .unwrap_or_default();
                if now.iter().sum::<u64>() >= acknowledged {
                    return Ok((started.elapsed(), now));
                }
                if Instant::now() > deadline {
                    return Err(now);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // Phase 2: read back by id.
    let ids = Arc::new(ids);
    let read_started = Instant::now();
    let deadline = read_started + Duration::from_secs(args.read_duration);
    let mut tasks = Vec::new();
    for worker in 0..args.concurrency {
        let (client, base, key, ids) =
            (client.clone(), base.clone(), args.key.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new();
            let mut i = worker;
            while Instant::now() < deadline {
                let id = &ids[i % ids.len()];
                i += 7919;
                let t = Instant::now();
                match client
                    .get(format!("{base}/v1/payments/{id}"))
                    .bearer_auth(&key)
                    .send()
                    .await
                {
                    Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                        Ok(_) => tally.ok(t.elapsed()),
                        Err(e) => tally.error(Tally::kind(&e), t.elapsed()),
                    },
                    Ok(resp) => {
                        tally.error(format!("HTTP {}", resp.status().as_u16()), t.elapsed());
                    }
                    Err(e) => tally.error(Tally::kind(&e), t.elapsed()),
                }
            }
            tally
        }));
    }
    let mut read = PhaseReport::new("read");
    for t in tasks {
        read.add(&t.await?);
    }
    read.elapsed = read_started.elapsed();
    if args.read_duration > 0 {
        read.print();
    }

    // Phase 3: how fast payments were carried to a final state, and which.
    let endings = |n: [u64; 4]| {
        FINALS
            .iter()
            .zip(n)
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let finals = match monitor.await? {
        Ok((elapsed, finals)) => {
            let expected = FINALS.iter().position(|s| *s == args.expect);
            let reached = expected.map_or(finals.iter().sum(), |i| finals[i]);
            println!(
                "final   {:>8} payments final {:>6.2} s after the first create ({}): {:.1} payments/s created and carried to {}",
                acknowledged,
                elapsed.as_secs_f64(),
                endings(finals),
                reached as f64 / elapsed.as_secs_f64(),
                if expected.is_some() { args.expect.as_str() } else { "a final state" },
            );
            finals
        }
        Err(done) => bail!(
            "only {} of {acknowledged} acknowledged payments final after {} s ({}; is the server's KUMBU_SANDBOX_DELAY_MS small?)",
            done.iter().sum::<u64>(),
            args.settle_timeout,
            endings(done),
        ),
    };
    let mut failures = Vec::new();
    if let Some(i) = FINALS.iter().position(|s| *s == args.expect) {
        if finals[i] != acknowledged {
            failures.push(format!(
                "{} of {acknowledged} payments {} ({}), not all",
                finals[i],
                args.expect,
                endings(finals)
            ));
        }
    }
    for phase in [&create, &read] {
        if phase.errors() > 0 {
            failures.push(format!("{} {} requests failed", phase.errors(), phase.name));
        }
    }

    // Phase 4: webhooks (each settled sandbox payment emits 5 events).
    if let Some(rx) = receiver {
        let expected = acknowledged * 5;
        if args.backlog {
            use std::io::Write;
            println!("backlog ready: {expected} deliveries wait for a dispatcher");
            std::io::stdout().flush()?;
        }
        let deadline = Instant::now() + Duration::from_secs(args.settle_timeout);
        while (rx.distinct() as u64) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if args.backlog {
            rx.report_drain(expected).await;
        } else {
            rx.report(expected);
        }
        rx.unregister(&client, &base, &args.key).await;
        let distinct = rx.distinct() as u64;
        if distinct < expected {
            failures.push(format!(
                "{distinct} of {expected} events delivered within {} s",
                args.settle_timeout
            ));
        }
    }
    if !failures.is_empty() {
        bail!(
            "the run did not do what it measured: {}",
            failures.join("; ")
        );
    }
    Ok(())
}

/// A local endpoint that records when each event arrives and when it was committed.
struct WebhookReceiver {
    /// Each delivery: when it arrived, its commit→delivery delay in ms, its event id.
    got: Arc<std::sync::Mutex<Vec<(Instant, f64, String)>>>,
    /// The last body received, replayed by the baseline.
    sample: Arc<std::sync::Mutex<axum::body::Bytes>>,
    /// Where the baseline POSTs (answered like deliveries, not recorded).
    baseline_url: String,
    endpoint_id: String,
    /// The slow neighbour's endpoint, and how slow it answers.
    slow: Option<(String, u64)>,
}

/// Registers a receiver for every event; returns the endpoint's id.
async fn register(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    url: &str,
    description: &str,
) -> anyhow::Result<String> {
    let r = client
        .post(format!("{base}/v1/webhook_endpoints"))
        .bearer_auth(key)
        .json(&serde_json::json!({"url": url, "events": ["*"], "description": description}))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!(
            "could not register the load receiver: {}",
            r.text().await.unwrap_or_default()
        );
    }
    let endpoint: serde_json::Value = r.json().await?;
    Ok(endpoint["id"]
        .as_str()
        .context("the new webhook endpoint has no id")?
        .to_owned())
}

/// Requests in flight in the baseline: as many as the dispatcher may send to one endpoint at
/// once (its default `max_concurrency`).
const BASELINE_CONCURRENCY: usize = kumbu_engine::DEFAULT_MAX_CONCURRENCY as usize;

impl WebhookReceiver {
    async fn start(
        client: &reqwest::Client,
        base: &str,
        key: &str,
        slow_ms: Option<u64>,
    ) -> anyhow::Result<Self> {
        use axum::routing::post;
        let got: Arc<std::sync::Mutex<Vec<(Instant, f64, String)>>> = Arc::default();
        let sample: Arc<std::sync::Mutex<axum::body::Bytes>> = Arc::default();
        let (sink, last) = (got.clone(), sample.clone());
        let app = axum::Router::new()
            .route(
                "/hook",
                post(
                    move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                        let (sink, last) = (sink.clone(), last.clone());
                        async move {
                            let event = headers
                                .get("kumbu-event-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned();
                            if let Ok(mut l) = last.lock() {
                                *l = body.clone();
                            }
                            let now = std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .unwrap_or_default()
                                .as_secs_f64();
                            let delay_ms = serde_json::from_slice::<serde_json::Value>(&body)
                                .ok()
                                .and_then(|v| {
                                    v["created_at"]
                                        .as_str()
                                        .and_then(kumbu_core::Timestamp::parse_rfc3339)
                                })
                                .map(|t| (now - t.as_micros() as f64 / 1e6) * 1000.0)
                                .unwrap_or(f64::NAN);
                            if let Ok(mut g) = sink.lock() {
                                g.push((Instant::now(), delay_ms, event));
                            }
                            axum::http::StatusCode::NO_CONTENT
                        }
                    },
                ),
            )
            .route(
                "/baseline",
                post(|_body: axum::body::Bytes| async { axum::http::StatusCode::NO_CONTENT }),
            )
            .route(
                "/slow",
                post(move |_body: axum::body::Bytes| async move {
                    tokio::time::sleep(Duration::from_millis(slow_ms.unwrap_or(0))).await;
                    axum::http::StatusCode::NO_CONTENT
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let baseline_url = format!("http://{}/baseline", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let endpoint_id = register(client, base, key, &url, "kumbu load").await?;
        let slow = match slow_ms {
            Some(ms) => {
                let slow_url = url.replace("/hook", "/slow");
                let id =
                    register(client, base, key, &slow_url, "kumbu load: slow neighbour").await?;
                Some((id, ms))
            }
            None => None,
        };
        Ok(Self {
            got,
            sample,
            baseline_url,
            endpoint_id,
            slow,
        })
    }

    /// Reports how fast the backlog drained, beside a baseline measured now: the same number of
    /// plain POSTs of the last delivered body to this receiver, 16 at a time, from this process
    /// (no database, no signing): the most any dispatcher could do here.
    async fn report_drain(&self, expected: u64) {
        let got = self.got.lock().map(|g| g.clone()).unwrap_or_default();
        let (Some(first), Some(last)) = (got.first(), got.last()) else {
            println!("webhook no deliveries arrived");
            return;
        };
        let span = last.0.duration_since(first.0).as_secs_f64().max(1e-3);
        let (total, repeated) = self.received();
        let distinct = total - repeated;
        println!(
            "webhook {distinct:>8} of {expected} backlogged events delivered in {span:.2} s: {:>9.1} events/s ({repeated} redeliveries apart)",
            distinct as f64 / span,
        );
        let body = self.sample.lock().map(|b| b.clone()).unwrap_or_default();
        let client = reqwest::Client::new();
        let next = Arc::new(AtomicU64::new(0));
        let n = got.len() as u64;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..BASELINE_CONCURRENCY {
            let (client, url, body, next) = (
                client.clone(),
                self.baseline_url.clone(),
                body.clone(),
                next.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    let _ = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let baseline = n as f64 / started.elapsed().as_secs_f64().max(1e-3);
        println!(
            "baseline {n:>7} plain POSTs of the same body to the same receiver ({BASELINE_CONCURRENCY} at a time, no database) {baseline:>9.1} per s",
        );
    }

    /// Deletes the endpoints, so later events are not sent to a receiver that is gone.
    async fn unregister(&self, client: &reqwest::Client, base: &str, key: &str) {
        let slow = self.slow.as_ref().map(|(id, _)| id);
        for id in std::iter::once(&self.endpoint_id).chain(slow) {
            let r = client
                .delete(format!("{base}/v1/webhook_endpoints/{id}"))
                .bearer_auth(key)
                .send()
                .await;
            if !matches!(&r, Ok(r) if r.status().is_success()) {
                eprintln!("warning: could not delete webhook endpoint {id}; delete it by hand");
            }
        }
    }

    /// Distinct events received (a redelivered event counts once).
    fn distinct(&self) -> usize {
        self.got
            .lock()
            .map(|g| {
                g.iter()
                    .map(|(_, _, e)| e.as_str())
                    .collect::<std::collections::HashSet<_>>()
                    .len()
            })
            .unwrap_or(0)
    }

    /// Deliveries received, and how many of them repeated an event already received.
    fn received(&self) -> (usize, usize) {
        let total = self.got.lock().map(|g| g.len()).unwrap_or(0);
        (total, total - self.distinct())
    }

    fn report(&self, expected: u64) {
        let got = self.got.lock().map(|g| g.clone()).unwrap_or_default();
        let (Some(first), Some(last)) = (got.first(), got.last()) else {
            println!("webhook no deliveries arrived");
            return;
        };
        let span = last.0.duration_since(first.0).as_secs_f64().max(1e-3);
        let (total, repeated) = self.received();
        let distinct = total - repeated;
        let mut h = histogram();
        for (_, d, _) in &got {
            if d.is_finite() {
                let _ = h.record((d.max(0.0) * 1000.0) as u64 + 1);
            }
        }
        let ms = |v: u64| v as f64 / 1000.0;
        let beside = match &self.slow {
            Some((_, slow)) => format!("   (beside an endpoint answering in {slow} ms)"),
            None => String::new(),
        };
        println!(
            "webhook {distinct:>8} of {expected} events delivered {:>9.1} events/s ({repeated} redeliveries apart)   commit→delivery p50 {:>7.2} ms  p99 {:>8.2} ms  max {:>8.2} ms{beside}",
            distinct as f64 / span,
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.99)),
            ms(h.max()),
        );
    }
}
