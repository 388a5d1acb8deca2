//! Real `kumbu serve` processes: a restart after SIGKILL mid-processing loses nothing, and two
//! processes on one PostgreSQL share a backlog without ever applying a transition twice.

use crate::harness::{drop_database, fresh_database, Backend, KEY};
use kumbu_engine::{Store, StoreOptions};
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Declares `async fn name(backend: Backend)` scenarios as tests on each backend:
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_each_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::harness::Backend;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(Backend::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(Backend::Postgres).await;
                }
            }
        )*
    };
}

on_each_backend!(
    restart_mid_processing_loses_nothing,
    kill_mid_delivery_loses_nothing,
    dispatcher_in_another_process,
    handoff_and_graceful_stop,
    reference_ids_unique_across_processes,
    checkout_sessions_across_processes,
    ingests_race_across_processes,
);

pub(crate) struct Proc {
    pub child: Child,
    pub base: String,
    /// Root of its metrics listener.
    pub metrics: String,
}

pub(crate) async fn spawn(url: &str, extra: &[&str]) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kumbu"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            url,
            "--worker-interval-ms",
            "20",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env("KUMBU_SANDBOX_KEY", KEY)
        .env("KUMBU_SECRET_KEY", crate::harness::SECRET_KEY)
        .env(
            "RUST_LOG",
            std::env::var("KUMBU_TEST_PROCESS_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .env_remove("KUMBU_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kumbu");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (base, metrics) = tokio::time::timeout(Duration::from_secs(60), async {
        let mut base = None;
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            let first_word = |rest: &str| rest.split(' ').next().unwrap_or_default().to_owned();
            if let Some(rest) = line.strip_prefix("Kumbu is listening on ") {
                base = Some(first_word(rest));
            } else if let Some(rest) = line.strip_prefix("Metrics (Prometheus) at ") {
                let metrics = first_word(rest).trim_end_matches("/metrics").to_owned();
                return (base.expect("the API's address first"), metrics);
            }
        }
        panic!("kumbu exited before listening");
    })
    .await
    .expect("kumbu starts within 60 s");
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Proc {
        child,
        base,
        metrics,
    }
}

pub(crate) async fn create_backlog(client: &reqwest::Client, base: &str, n: usize) -> Vec<String> {
    create_backlog_as(client, base, n, "backlog").await
}

/// Creates `n` payments, 8 clients at a time, under idempotency keys `<prefix>-<i>`.
pub(crate) async fn create_backlog_as(
    client: &reqwest::Client,
    base: &str,
    n: usize,
    prefix: &'static str,
) -> Vec<String> {
    let mut tasks = Vec::new();
    for t in 0..8 {
        let (client, base) = (client.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (t..n).step_by(8) {
                let r = client
                    .post(format!("{base}/v1/payments"))
                    .bearer_auth(KEY)
                    .header("idempotency-key", format!("{prefix}-{i}"))
                    .json(&json!({"amount": 1000 + i, "currency": "XOF", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}))
                    .send()
                    .await
                    .expect("create");
                assert_eq!(r.status(), 200);
                let v: Value = r.json().await.unwrap();
                ids.push(v["id"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

pub(crate) async fn count_status(store: &Store, status: kumbu_core::PaymentStatus) -> i64 {
    store
        .count_by_status()
        .await
        .unwrap()
        .into_iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| n)
}

pub(crate) async fn wait_all_settled(store: &Store, n: i64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        if count_status(store, kumbu_core::PaymentStatus::Settled).await == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not all {n} payments settled in time: {:?}",
            store.count_by_status().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A process's `/metrics` page (`base`: its metrics listener's root).
pub(crate) async fn metrics_text(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn transitions_done(client: &reqwest::Client, base: &str) -> f64 {
    metrics_text(client, base)
        .await
        .lines()
        .filter(|l| l.starts_with("kumbu_payment_transitions_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn restart_mid_processing_loses_nothing(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "restart_mid_processing_loses_nothing").await
    else {
        return;
    };
    let client = reqwest::Client::new();
    let mut first = spawn(&url, &["--sandbox-delay-ms", "150"]).await;
    let ids = create_backlog(&client, &first.base, 80).await;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    // Kill it for real (SIGKILL) once processing is under way but not finished.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let debited = count_status(&store, kumbu_core::PaymentStatus::Debited).await;
        let settled = count_status(&store, kumbu_core::PaymentStatus::Settled).await;
        if debited > 0 && settled < 80 {
            break;
        }
        assert!(Instant::now() < deadline, "processing never got under way");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.child.kill().await.unwrap();
    let second = spawn(&url, &["--sandbox-delay-ms", "150"]).await;
    wait_all_settled(&store, 80, Duration::from_secs(60)).await;
    assert_eq!(store.duplicate_transitions().await.unwrap(), 0);
    for id in ids.iter().take(10) {
        let p: Value = client
            .get(format!("{}/v1/payments/{id}", second.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(p["history"].as_array().unwrap().len(), 5, "{p}");
    }
    let (problems, _) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    drop(second);
    store.close().await;
    drop_database(db).await;
}

/// Several processes over one PostgreSQL (SQLite is single-process by design).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_a_backlog_postgres() {
    let Some((url, db)) = fresh_database(Backend::Postgres, "two_processes_share_a_backlog").await
    else {
        return;
    };
    let client = reqwest::Client::new();
    let api = spawn(&url, &["--no-workers", "--sandbox-delay-ms", "0"]).await;
    let n = 1500;
    create_backlog(&client, &api.base, n).await;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(
        count_status(&store, kumbu_core::PaymentStatus::Created).await,
        n as i64,
        "no worker ran yet"
    );
    let (a, b) = tokio::join!(
        spawn(&url, &["--sandbox-delay-ms", "0"]),
        spawn(&url, &["--sandbox-delay-ms", "0"])
    );
    wait_all_settled(&store, n as i64, Duration::from_secs(120)).await;
    assert_eq!(
        store.duplicate_transitions().await.unwrap(),
        0,
        "a transition was applied twice"
    );
    // A process counts a batch's transitions after its commit, so the database can show every
    // payment settled a moment before the last batch is counted: wait for the counters.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (ta, tb) = loop {
        let counts = (
            transitions_done(&client, &a.metrics).await,
            transitions_done(&client, &b.metrics).await,
        );
        if (counts.0 + counts.1) as usize >= n * 4 || std::time::Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "two processes: {ta} and {tb} transitions ({} expected in all)\n",
            n * 4
        )
        .as_bytes(),
    );
    assert_eq!(
        (ta + tb) as usize,
        n * 4,
        "every transition made exactly once across both processes"
    );
    assert!(ta > 0.0 && tb > 0.0, "both processes worked the backlog");
    let (problems, entries) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        entries as usize,
        n * 7,
        "3 entries per debit, 4 per settlement"
    );
    drop((api, a, b));
    store.close().await;
    drop_database(db).await;
}

pub(crate) async fn events_in(url: &str) -> i64 {
    counts(url, ["SELECT CAST(COUNT(*) AS BIGINT) FROM events"]).await[0]
}

pub(crate) async fn register_endpoint(
    client: &reqwest::Client,
    base: &str,
    rx_url: &str,
) -> String {
    let r = client
        .post(format!("{base}/v1/webhook_endpoints"))
        .bearer_auth(KEY)
        .json(&json!({"url": rx_url, "events": ["*"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// Waits until the receiver has seen `n` distinct events; returns how many requests it got.
pub(crate) async fn wait_for_events(
    rx: &crate::receiver::Receiver,
    seen: &mut std::collections::HashMap<String, usize>,
    n: usize,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    loop {
        for r in rx.take() {
            *seen.entry(r.event_id).or_default() += 1;
        }
        if seen.len() >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} events delivered in time",
            seen.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Without crashes, two processes sharing a PostgreSQL deliver each event to each endpoint once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_deliver_each_event_once_postgres() {
    let Some((url, db)) =
        fresh_database(Backend::Postgres, "two_processes_deliver_each_event_once").await
    else {
        return;
    };
    let client = reqwest::Client::new();
    let rx = crate::receiver::Receiver::start().await;
    let api = spawn(&url, &["--no-workers", "--sandbox-delay-ms", "0"]).await;
    register_endpoint(&client, &api.base, &rx.url).await;
    create_backlog(&client, &api.base, 300).await;
    let (a, b) = tokio::join!(
        spawn(&url, &["--sandbox-delay-ms", "0"]),
        spawn(&url, &["--sandbox-delay-ms", "0"])
    );
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_all_settled(&store, 300, Duration::from_secs(120)).await;
    let total = usize::try_from(events_in(&url).await).unwrap();
    assert_eq!(total, 1500);
    let mut seen = std::collections::HashMap::new();
    wait_for_events(&rx, &mut seen, total, Duration::from_secs(120)).await;
    each_delivered_once(&url, &rx, &mut seen).await;
    drop((api, a, b));
    store.close().await;
    drop_database(db).await;
}

/// A window long enough for any process that would send a delivery again to have done so: three
/// times the dispatcher's longest gap between two scans of due deliveries (1 s), thirty times
/// its default worker interval.
const QUIET_WINDOW: Duration = Duration::from_secs(3);

/// The answers of `queries` (each a `SELECT CAST(COUNT(*) AS BIGINT) …`) on the database at `url`.
pub(crate) async fn counts<const N: usize>(url: &str, queries: [&str; N]) -> [i64; N] {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut answers = [0; N];
    for (answer, sql) in answers.iter_mut().zip(queries) {
        *answer = sqlx::query_scalar::<sqlx::Any, i64>(sql)
            .fetch_one(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    answers
}

/// How many deliveries the database at `url` holds, how many of them are not delivered yet, and
/// how many attempts it recorded.
async fn delivery_counts(url: &str) -> (i64, i64, i64) {
    let [all, undelivered, attempts] = counts(
        url,
        [
            "SELECT CAST(COUNT(*) AS BIGINT) FROM deliveries",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM deliveries WHERE status <> 'delivered'",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM delivery_attempts",
        ],
    )
    .await;
    (all, undelivered, attempts)
}

/// Once the database records every delivery as delivered, each after exactly one attempt,
/// nothing more reaches `rx` over a [`QUIET_WINDOW`], and no event reached it twice (`seen`
/// holds what arrived so far).
async fn each_delivered_once(
    url: &str,
    rx: &crate::receiver::Receiver,
    seen: &mut std::collections::HashMap<String, usize>,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let (deliveries, attempts) = loop {
        let (deliveries, undelivered, attempts) = delivery_counts(url).await;
        if undelivered == 0 {
            break (deliveries, attempts);
        }
        assert!(
            Instant::now() < deadline,
            "{undelivered} of {deliveries} deliveries still not delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        usize::try_from(deliveries).unwrap(),
        seen.len(),
        "one delivery per event"
    );
    tokio::time::sleep(QUIET_WINDOW).await;
    assert_eq!(
        delivery_counts(url).await.2,
        attempts,
        "an attempt after every delivery was done"
    );
    assert_eq!(
        attempts, deliveries,
        "each delivery took exactly one attempt"
    );
    for r in rx.take() {
        *seen.entry(r.event_id).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
}

/// Waits until `rx` has had `n` requests.
async fn wait_received(rx: &crate::receiver::Receiver, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while rx.count() < n {
        assert!(Instant::now() < deadline, "deliveries never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Starts another process on `url`; it must settle all `payments` and deliver every event to
/// `rx` within a minute (and, if `exactly_once`, none twice). Then removes the database.
async fn another_process_delivers_everything(
    url: &str,
    db: crate::harness::Db,
    args: &[&str],
    rx: &crate::receiver::Receiver,
    payments: i64,
    exactly_once: bool,
) {
    let second = spawn(url, args).await;
    let store = Store::connect(url, &StoreOptions::default()).await.unwrap();
    wait_all_settled(&store, payments, Duration::from_secs(60)).await;
    let total = usize::try_from(events_in(url).await).unwrap();
    let mut seen = std::collections::HashMap::new();
    wait_for_events(rx, &mut seen, total, Duration::from_secs(60)).await;
    if exactly_once {
        each_delivered_once(url, rx, &mut seen).await;
    }
    drop(second);
    store.close().await;
    drop_database(db).await;
}

/// Starts a process with `args` on `url` delivering to a receiver that answers after
/// `slow_ms`, creates 40 payments, and returns once 5 deliveries arrived.
async fn delivering(url: &str, args: &[&str], slow_ms: u64) -> (Proc, crate::receiver::Receiver) {
    let client = reqwest::Client::new();
    let rx = crate::receiver::Receiver::start().await;
    rx.slow(slow_ms);
    let first = spawn(url, args).await;
    register_endpoint(&client, &first.base, &rx.url).await;
    create_backlog(&client, &first.base, 40).await;
    wait_received(&rx, 5).await;
    (first, rx)
}

/// A process killed in the middle of a delivery batch loses nothing: after the lease, the
/// restarted process delivers every event (at least once).
async fn kill_mid_delivery_loses_nothing(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "kill_mid_delivery_loses_nothing").await else {
        return;
    };
    let args = ["--sandbox-delay-ms", "0", "--delivery-lease-secs", "2"];
    let (mut first, rx) = delivering(&url, &args, 150).await;
    first.child.kill().await.unwrap();
    rx.slow(0);
    another_process_delivers_everything(&url, db, &args, &rx, 40, false).await;
}

/// Roles can be split between processes: one started with `--dispatch-tasks 0` creates and
/// settles payments but sends nothing; a dispatching process started later on the same database
/// delivers the whole backlog, each event once.
async fn dispatcher_in_another_process(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "dispatcher_in_another_process").await else {
        return;
    };
    let client = reqwest::Client::new();
    let rx = crate::receiver::Receiver::start().await;
    let mut api = spawn(&url, &["--sandbox-delay-ms", "0", "--dispatch-tasks", "0"]).await;
    register_endpoint(&client, &api.base, &rx.url).await;
    create_backlog(&client, &api.base, 20).await;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_all_settled(&store, 20, Duration::from_secs(60)).await;
    let total = usize::try_from(events_in(&url).await).unwrap();
    assert_eq!(total, 100, "five events per settled payment");
    // Every delivery is due now; over a window in which any dispatcher would have claimed and
    // sent them, nothing is sent and no attempt recorded.
    let (deliveries, _, _) = delivery_counts(&url).await;
    assert_eq!(deliveries, 100, "one delivery per event");
    tokio::time::sleep(QUIET_WINDOW).await;
    assert_eq!(
        (rx.count(), delivery_counts(&url).await),
        (0, (100, 100, 0)),
        "a process with no dispatcher delivered webhooks"
    );
    api.child.kill().await.unwrap();
    store.close().await;
    another_process_delivers_everything(&url, db, &["--worker-tasks", "0"], &rx, 20, true).await;
}

/// Fresh deliveries go from the committing transaction straight to the process's dispatcher,
/// and a graceful stop hands back the ones still queued: a process started after it delivers
/// them long before their hour-long lease would have ended.
async fn handoff_and_graceful_stop(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "handoff_and_graceful_stop").await else {
        return;
    };
    let args = [
        "--sandbox-delay-ms",
        "0",
        "--delivery-lease-secs",
        "3600",
        "--dispatch-batch",
        "8",
    ];
    // Slow enough that fresh deliveries queue up behind the first pass when the stop comes.
    let (mut first, rx) = delivering(&url, &args, 1500).await;
    let metrics = metrics_text(&reqwest::Client::new(), &first.metrics).await;
    let handed: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("kumbu_webhook_handoffs_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(handed > 0.0, "no delivery was handed off:\n{metrics}");
    let pid = first.child.id().expect("pid").to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exited = tokio::time::timeout(Duration::from_secs(30), first.child.wait())
        .await
        .expect("a graceful stop within 30 s")
        .unwrap();
    assert!(exited.success(), "kumbu serve exits 0 on SIGTERM: {exited}");
    rx.slow(0);
    another_process_delivers_everything(&url, db, &args, &rx, 40, true).await;
}

/// Two processes on one database hand out reference ids and record Multicaixa payments
/// concurrently: no id is given twice, and every payment gets its own ProxyPay payment id.
async fn reference_ids_unique_across_processes(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "reference_ids_unique_across_processes").await
    else {
        return;
    };
    let a = spawn(&url, &[]).await;
    let b = spawn(&url, &[]).await;
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let base = if t % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..50 {
                let r = client
                    .post(format!("{base}/compat/proxypay/reference_ids"))
                    .header("authorization", format!("Token {KEY}"))
                    .send()
                    .await
                    .expect("reference id");
                assert_eq!(r.status(), 200);
                let id: u64 = r.text().await.unwrap().parse().unwrap();
                let put = client
                    .put(format!("{base}/compat/proxypay/references/{id}"))
                    .header("authorization", format!("Token {KEY}"))
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(put.status(), 204);
                let paid = client
                    .post(format!("{base}/compat/proxypay/payments"))
                    .header("authorization", format!("Token {KEY}"))
                    .json(&json!({"reference_id": id, "amount": "10.00"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(paid.status(), 200);
                let p: Value = paid.json().await.unwrap();
                got.push((id, p["id"].as_i64().unwrap()));
            }
            got
        }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut payment_ids = std::collections::HashSet::new();
    for t in tasks {
        for (id, pid) in t.await.unwrap() {
            assert!(ids.insert(id), "reference id {id} handed out twice");
            assert!(payment_ids.insert(pid), "payment id {pid} given twice");
        }
    }
    assert_eq!((ids.len(), payment_ids.len()), (400, 400));
    drop((a, b));
    drop_database(db).await;
}

async fn checkout_sessions_across_processes(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "checkout_sessions_across_processes").await
    else {
        return;
    };
    let a = spawn(&url, &["--sandbox-delay-ms", "50"]).await;
    let b = spawn(&url, &["--sandbox-delay-ms", "50"]).await;
    let client = reqwest::Client::new();
    let mut sessions = Vec::new();
    for _ in 0..10 {
        let s: Value = client
            .post(format!("{}/v1/checkout/sessions", a.base))
            .bearer_auth(KEY)
            .json(&json!({"amount": 1000, "currency": "XOF", "return_url": "https://shop.example/ok"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sessions.push(s);
    }
    // Four tabs per page, each opened on one process; half of them submit to the other one
    // (the CSRF token is the server key's, shared by every process).
    let mut tabs = Vec::new();
    for s in &sessions {
        for t in 0..4 {
            let (mut v, _) = crate::checkout::Visitor::open(s["url"].as_str().unwrap(), None).await;
            if t % 2 == 1 {
                v.path = v.path.replace(&a.base, &b.base);
            }
            tabs.push(v);
        }
    }
    let mut posts = Vec::new();
    for (i, v) in tabs.into_iter().enumerate() {
        posts.push(tokio::spawn(async move {
            let phone = format!("+22507000{:02}789", i % 100);
            v.post("", &[("phone", &phone), ("operator", "orange_ci")])
                .await
                .status
        }));
    }
    for p in posts {
        assert_eq!(p.await.unwrap(), 303);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    for s in &sessions {
        let id = s["id"].as_str().unwrap();
        loop {
            let v: Value = client
                .get(format!("{}/v1/checkout/sessions/{id}", b.base))
                .bearer_auth(KEY)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["status"] == "completed" {
                assert_eq!(v["attempts"], 1, "{v}");
                break;
            }
            assert!(Instant::now() < deadline, "session never completed: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let completed: i64 = sqlx::query_scalar::<sqlx::Any, i64>(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM events WHERE type = 'checkout.completed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(completed, 10, "each session completed exactly once");
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    // Sessions complete at the debit; the settlements follow.
    wait_all_settled(&store, 10, Duration::from_secs(60)).await;
    let (problems, _) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    store.close().await;
    drop((a, b));
    drop_database(db).await;
}

/// The same bank payments reported to two processes at once, each report several times:
/// one ingested payment and one payment record each, every bill paid once, the ledger whole.
async fn ingests_race_across_processes(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "ingests_race_across_processes").await else {
        return;
    };
    let a = spawn(&url, &[]).await;
    let b = spawn(&url, &[]).await;
    let client = reqwest::Client::new();
    let mut reports = Vec::new();
    for i in 0..20 {
        let bill: Value = client
            .post(format!("{}/v1/collection_requests", a.base))
            .bearer_auth(KEY)
            .json(&json!({"amount": 1000 + i, "currency": "MZN", "methods": ["simo_erv"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reports.push(json!({
            "source": "Bank", "external_id": format!("race-{i}"), "amount": 1000 + i,
            "currency": "MZN", "status": "completed", "processed_at": "2026-09-21T10:00:00Z",
            "entity_number": bill["erv"]["entity"], "reference_number": bill["erv"]["reference"],
        }));
    }
    let mut sends = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        for copy in 0..4 {
            let base = if (i + copy) % 2 == 0 {
                &a.base
            } else {
                &b.base
            };
            let req = client
                .post(format!("{base}/v1/ingested_payments"))
                .bearer_auth(KEY)
                .json(r);
            sends.push(tokio::spawn(async move {
                let resp = req.send().await.unwrap();
                let status = resp.status();
                let v: Value = resp.json().await.unwrap();
                (status, v["id"].as_str().unwrap_or_default().to_owned(), v)
            }));
        }
    }
    let mut ids = std::collections::BTreeSet::new();
    for s in sends {
        let (status, id, v) = s.await.unwrap();
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["outcome"], "matched", "{v}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 20, "one ingested payment per report");
    let rows = counts(
        &url,
        [
            "SELECT CAST(COUNT(*) AS BIGINT) FROM ingested_payments",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM payments WHERE operator = 'external'",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM collection_requests WHERE status = 'paid'",
        ],
    )
    .await;
    assert_eq!(rows, [20, 20, 20], "ingested, recorded, paid");
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    let (problems, _) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    store.close().await;
    drop((a, b));
    drop_database(db).await;
}
