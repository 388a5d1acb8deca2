//! Live mode across real `kumbu serve` processes and the operators' simulators: a process killed
//! between MTN's acceptance of a request and the commit of that news loses nothing and sends
//! nothing twice; one killed while Orange makes a payment page leaves a payment the next process
//! makes a new page for, under a new order id, and the payer pays once (and likewise Wave's
//! checkout sessions); one killed while M-Pesa holds its C2B call open leaves a payment the next
//! process asks about, never sends again; two processes on one PostgreSQL share the live work
//! (MTN's requests, M-Pesa's held calls) without sending a request twice.

use crate::harness::{drop_database, fresh_database, Backend, KEY, SECRET_KEY};
use crate::live::{credentials, start_sim};
use crate::processes::spawn;

use kumbu_engine::{Engine, EngineConfig, Store, StoreOptions};
use kumbu_rails::mtn_momo::simulator::{Config as SimConfig, Faults, Sim};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sandbox merchant's live key, with MTN credentials set, through an engine of our own
/// over the servers' database.
async fn live_key(url: &str) -> String {
    live_key_with(url, kumbu_core::Operator::MtnCi, credentials()).await
}

/// The same with credentials `creds` for operator `op`.
async fn live_key_with(url: &str, op: kumbu_core::Operator, creds: Value) -> String {
    let store = Store::connect(url, &StoreOptions::default()).await.unwrap();
    let keyring = kumbu::load_keyring(
        &kumbu::SecretKeySource::Keys(secrecy::SecretString::from(SECRET_KEY)),
        url,
    )
    .unwrap();
    let engine = Engine::new(
        store,
        Arc::new(kumbu_core::SystemClock),
        EngineConfig::default(),
        keyring,
        kumbu_http::webhook_faces(&kumbu_http::PublicUrl::new("http://127.0.0.1:9")),
    );
    let merchant = engine.authenticate(KEY).await.unwrap().merchant_id;
    let key = engine
        .create_api_key(&merchant, kumbu_core::Mode::Live)
        .await
        .unwrap();
    engine.put_connector(&merchant, op, creds).await.unwrap();
    engine.store().close().await;
    secrecy::ExposeSecret::expose_secret(&key.secret).to_owned()
}

async fn pay(client: &reqwest::Client, base: &str, key: &str, amount: i64) -> String {
    let r = client
        .post(format!("{base}/v1/payments"))
        .bearer_auth(key)
        .json(&json!({"amount": amount, "currency": "XOF", "payer": {"phone": "+2250500000789", "operator": "mtn_ci"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

async fn wait_settled(store: &Store, n: i64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let settled =
            crate::processes::count_status(store, kumbu_core::PaymentStatus::Settled).await;
        if settled >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{settled} of {n} settled in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn args(sim_url: &str) -> Vec<String> {
    [
        "--mtn-momo-url",
        sim_url,
        "--operator-lease-secs",
        "2",
        "--operator-poll-ms",
        "200",
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn until(
    sim: &Sim,
    what: &str,
    cond: impl Fn(&kumbu_rails::mtn_momo::simulator::Stats) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond(&sim.stats()) {
        assert!(Instant::now() < deadline, "{what}: {:?}", sim.stats());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn killed_between_call_and_commit(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "killed_between_call_and_commit").await else {
        return;
    };
    // MTN registers the request, then holds its answer: the process is waiting on MTN.
    let (sim, sim_url, _stop) = start_sim(SimConfig {
        approval_delay: Duration::ZERO,
        faults: Faults {
            hang_next: 1,
            hang_ms: 20_000,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let extra = args(&sim_url);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut first = spawn(&url, &extra).await;
    let key = live_key(&url).await;
    let client = reqwest::Client::new();
    let id = pay(&client, &first.base, &key, 2500).await;
    until(&sim, "MTN registered the request", |s| s.registered == 1).await;
    // SIGKILL while the answer is awaited: MTN has the request; our database does not know.
    first.child.kill().await.unwrap();
    let second = spawn(&url, &extra).await;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_settled(&store, 1, Duration::from_secs(30)).await;
    // The payment was committed as "may have been sent" before the call: the second process
    // asked MTN instead of sending (the status said SUCCESSFUL). One transaction, one POST.
    let s = sim.stats();
    assert_eq!((s.posts, s.registered, s.duplicates), (1, 1, 0), "{s:?}");
    let p: Value = client
        .get(format!("{}/v1/payments/{id}", second.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "settled", "{p}");
    assert_eq!(store.duplicate_transitions().await.unwrap(), 0);
    let (problems, _) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    drop(second);
    store.close().await;
    drop_database(db).await;
}

mod killed_between_call_and_commit {
    use crate::harness::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::killed_between_call_and_commit(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::killed_between_call_and_commit(Backend::Postgres).await;
    }
}

async fn killed_while_orange_makes_a_page(backend: Backend) {
    // Orange makes the page, then holds its answer: the process is waiting on Orange.
    let (orange, orange_url, _stop) = crate::live::start_orange().await;
    orange.set_faults(kumbu_rails::orange_money::simulator::Faults {
        hang_next: 1,
        hang_ms: 20_000,
        ..Default::default()
    });
    let (made, paid) = (orange.clone(), orange.clone());
    killed_while_a_page_is_made(
        backend,
        RedirectOperator {
            test: "killed_while_orange_makes_a_page",
            url_flag: "--orange-money-url",
            sim_url: orange_url,
            operator: kumbu_core::Operator::OrangeCi,
            credentials: json!({"country": "ci", "web_payment": {"client_id": "c",
                "client_secret": "s", "merchant_key": "m"}}),
            made: Box::new(move || made.stats().webpayments),
            paid: Box::new(move || paid.stats().paid),
            payer: [("action", "pay"), ("phone", "0700000789")],
        },
    )
    .await;
    // The second page was made under a new order id: Orange refused nothing.
    assert_eq!(orange.stats().refused, 0);
}

/// What differs between the operators whose payer pays on the operator's page, for
/// [`killed_while_a_page_is_made`].
struct RedirectOperator {
    test: &'static str,
    url_flag: &'static str,
    sim_url: String,
    operator: kumbu_core::Operator,
    credentials: Value,
    /// Pages (sessions) the operator made so far.
    made: Box<dyn Fn() -> u64>,
    /// Pages paid so far.
    paid: Box<dyn Fn() -> u64>,
    /// The payer's form on the operator's page.
    payer: [(&'static str, &'static str); 2],
}

/// SIGKILL while the operator's answer to a new page is awaited: the operator has a page nobody
/// has the URL of. Once the lease runs out, another process makes a new page (the hand-over URL
/// is the gateway's, so it works on any process); the payer pays it; no webhook or notification
/// reaches this gateway here, so the next poll learns it; settled once.
async fn killed_while_a_page_is_made(backend: Backend, op: RedirectOperator) {
    let Some((url, db)) = fresh_database(backend, op.test).await else {
        return;
    };
    let extra = [
        op.url_flag,
        op.sim_url.as_str(),
        "--operator-lease-secs",
        "2",
        "--operator-poll-ms",
        "200",
    ];
    let mut first = spawn(&url, &extra).await;
    let key = live_key_with(&url, op.operator, op.credentials.clone()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/v1/payments", first.base))
        .bearer_auth(&key)
        .json(&json!({"amount": 2500, "currency": "XOF",
            "payer": {"phone": "+2250700000789", "operator": op.operator.code()}}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let handover = v["next_action"]["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while (op.made)() < 1 {
        assert!(Instant::now() < deadline, "no page made");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.child.kill().await.unwrap();
    let second = spawn(&url, &extra).await;
    let handover = handover.replace(&first.base, &second.base);
    let page = loop {
        let r = client.get(&handover).send().await.unwrap();
        if r.status() == 303 {
            break r.headers()["location"].to_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no page after the restart");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let r = client.post(&page).form(&op.payer).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_settled(&store, 1, Duration::from_secs(30)).await;
    assert_eq!(((op.made)(), (op.paid)()), (2, 1), "pages made, paid");
    assert_eq!(store.duplicate_transitions().await.unwrap(), 0);
    let (problems, _) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    drop(second);
    store.close().await;
    drop_database(db).await;
}

mod killed_while_orange_makes_a_page {
    use crate::harness::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::killed_while_orange_makes_a_page(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::killed_while_orange_makes_a_page(Backend::Postgres).await;
    }
}

/// The same for Wave's checkout sessions.
async fn killed_while_wave_makes_a_session(backend: Backend) {
    let (wave, wave_url, _stop) = crate::live::start_wave().await;
    wave.set_faults(kumbu_rails::wave::simulator::Faults {
        hang_next: 1,
        hang_ms: 20_000,
        ..Default::default()
    });
    let (made, paid) = (wave.clone(), wave.clone());
    killed_while_a_page_is_made(
        backend,
        RedirectOperator {
            test: "killed_while_wave_makes_a_session",
            url_flag: "--wave-url",
            sim_url: wave_url,
            operator: kumbu_core::Operator::WaveCi,
            credentials: json!({"api_key": "wave_ci_prod_killed"}),
            made: Box::new(move || made.stats().sessions),
            paid: Box::new(move || paid.stats().paid),
            payer: [("action", "pay"), ("mobile", "+2250700000789")],
        },
    )
    .await;
}

mod killed_while_wave_makes_a_session {
    use crate::harness::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::killed_while_wave_makes_a_session(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::killed_while_wave_makes_a_session(Backend::Postgres).await;
    }
}

/// Two processes over one PostgreSQL (SQLite is single-process by design) take live payments
/// from one backlog: each request reaches MTN once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_live_work_postgres() {
    let Some((url, db)) = fresh_database(Backend::Postgres, "two_processes_share_live_work").await
    else {
        return;
    };
    let (sim, sim_url, _stop) = start_sim(SimConfig {
        approval_delay: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await;
    let extra = args(&sim_url);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let a = spawn(&url, &extra).await;
    let b = spawn(&url, &extra).await;
    let key = live_key(&url).await;
    let client = reqwest::Client::new();
    let n = 60;
    for i in 0..n {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        pay(&client, base, &key, 1000 + i).await;
    }
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_settled(&store, n, Duration::from_secs(60)).await;
    let s = sim.stats();
    assert_eq!((s.registered, s.duplicates), (n as u64, 0), "{s:?}");
    assert_eq!(store.duplicate_transitions().await.unwrap(), 0);
    let (problems, _) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    drop((a, b));
    store.close().await;
    drop_database(db).await;
}

/// SIGKILL while M-Pesa holds the C2B call open (the payer has the prompt): the payer still
/// answers, M-Pesa still pays. The payment was committed "may have been sent" before the call,
/// leased for as long as the call may last; when that runs out the next process asks the query
/// API (never sends again) and settles it. One request, one transaction.
async fn killed_while_mpesa_holds_the_call(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "killed_while_mpesa_holds_the_call").await else {
        return;
    };
    let (mpesa, mpesa_url, _stop) = crate::live::start_mpesa().await;
    let extra = [
        "--mpesa-mz-url",
        mpesa_url.as_str(),
        "--operator-lease-secs",
        "1",
        "--operator-prompt-timeout-secs",
        "1",
        "--operator-poll-ms",
        "200",
    ];
    let mut first = spawn(&url, &extra).await;
    let creds = json!({"api_key": crate::live::MPESA_API_KEY, "public_key": mpesa.public_key(),
                       "service_provider_code": "171717"});
    let key = live_key_with(&url, kumbu_core::Operator::MpesaMz, creds).await;
    let client = reqwest::Client::new();
    // …009: the payer waits until told, so the call is surely open when the process dies.
    let r = client
        .post(format!("{}/v1/payments", first.base))
        .bearer_auth(&key)
        .json(&json!({"amount": 2500, "currency": "MZN",
            "payer": {"phone": "+258841000009", "operator": "mpesa_mz"}}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_owned();
    let reference = v["operator_reference"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while mpesa.stats().open_calls < 1 {
        assert!(Instant::now() < deadline, "{:?}", mpesa.stats());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.child.kill().await.unwrap();
    // The payer enters their PIN after the process died.
    let r = client
        .post(format!(
            "{mpesa_url}/_simulator/transactions/{reference}/approve"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let second = spawn(&url, &extra).await;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_settled(&store, 1, Duration::from_secs(30)).await;
    let s = mpesa.stats();
    assert_eq!(
        (s.c2b_requests, s.c2b_registered, s.duplicates),
        (1, 1, 0),
        "{s:?}"
    );
    assert!(s.queries >= 1, "the second process asked: {s:?}");
    let p: Value = client
        .get(format!("{}/v1/payments/{id}", second.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "settled", "{p}");
    assert_eq!(store.duplicate_transitions().await.unwrap(), 0);
    let (problems, _) = store.verify_ledger().await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    drop(second);
    store.close().await;
    drop_database(db).await;
}

mod killed_while_mpesa_holds_the_call {
    use crate::harness::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::killed_while_mpesa_holds_the_call(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::killed_while_mpesa_holds_the_call(Backend::Postgres).await;
    }
}

/// Two processes over one PostgreSQL hold M-Pesa's C2B calls for one backlog: each payer is
/// prompted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_held_calls_postgres() {
    let Some((url, db)) = fresh_database(Backend::Postgres, "two_processes_share_held_calls").await
    else {
        return;
    };
    let (mpesa, mpesa_url, _stop) = crate::live::start_mpesa().await;
    let extra = [
        "--mpesa-mz-url",
        mpesa_url.as_str(),
        "--operator-poll-ms",
        "200",
    ];
    let a = spawn(&url, &extra).await;
    let b = spawn(&url, &extra).await;
    let creds = json!({"api_key": crate::live::MPESA_API_KEY, "public_key": mpesa.public_key(),
                       "service_provider_code": "171717"});
    let key = live_key_with(&url, kumbu_core::Operator::MpesaMz, creds).await;
    let client = reqwest::Client::new();
    let n = 40;
    for i in 0..n {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let r = client
            .post(format!("{base}/v1/payments"))
            .bearer_auth(&key)
            .json(&json!({"amount": 1000 + i, "currency": "MZN",
                "payer": {"phone": "+258841000001", "operator": "mpesa_mz"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_settled(&store, n, Duration::from_secs(60)).await;
    let s = mpesa.stats();
    assert_eq!(
        (s.c2b_requests, s.c2b_registered, s.duplicates),
        (n as u64, n as u64, 0),
        "{s:?}"
    );
    assert_eq!(store.duplicate_transitions().await.unwrap(), 0);
    drop((a, b));
    store.close().await;
    drop_database(db).await;
}

/// SIGKILL while ProxyPay takes a live reference (the gateway holds the call): the reference was
/// committed "to send" before the call, so the next process sends it (to ProxyPay, here a second
/// Kumbu playing it), and it is payable there.
async fn killed_while_proxypay_takes_a_reference(backend: Backend) {
    let test = "killed_while_proxypay_takes_a_reference";
    let Some((url, db)) = fresh_database(backend, test).await else {
        return;
    };
    // The gateway: a second `kumbu serve` playing ProxyPay (its face in test mode, its
    // sandbox key the merchant's ProxyPay key).
    let Some((gateway_url, gateway_db)) = fresh_database(backend, &format!("{test}_gateway")).await
    else {
        return;
    };
    let gateway = spawn(&gateway_url, &[]).await;
    // A gateway that takes the connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    // It tells when the reference's PUT has arrived (the queue is read at start too).
    let (held_tx, mut held_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = silent.accept().await {
            let held_tx = held_tx.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = vec![0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                if buf[..n].starts_with(b"PUT /references/") {
                    let _ = held_tx.send(());
                }
                // Never answer: hold the connection until the test ends.
                tokio::time::sleep(Duration::from_secs(600)).await;
                drop(socket);
            });
        }
    });
    let mut first = spawn(
        &url,
        &[
            "--proxypay-url",
            &silent_url,
            "--operator-timeout-ms",
            "3000",
        ],
    )
    .await;
    let key = live_key_with(
        &url,
        kumbu_core::Operator::Multicaixa,
        json!({"api_key": KEY}),
    )
    .await;
    let put = {
        let (base, key) = (first.base.clone(), key.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .put(format!("{base}/compat/proxypay/references/123123123"))
                .header("Authorization", format!("Token {key}"))
                .json(&json!({"amount": "100.00"}))
                .send()
                .await
        })
    };
    let arrived = tokio::time::timeout(Duration::from_secs(30), held_rx.recv()).await;
    if arrived.is_err() {
        let answer = put.await.unwrap().map(|r| r.status());
        panic!("the reference never reached the gateway; the caller got {answer:?}");
    }
    arrived
        .expect("the process sent the reference to the gateway")
        .expect("a PUT");
    // The PUT is on its way and the reference was committed "to send" before it.
    first.child.kill().await.unwrap();
    assert!(put.await.unwrap().is_err(), "the caller got no answer");
    let second = spawn(
        &url,
        &[
            "--proxypay-url",
            &format!("{}/compat/proxypay", gateway.base),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = client
            .get(format!("{}/v1/references/123123123", gateway.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        if r.status() == reqwest::StatusCode::OK {
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["amount"], 10_000, "{v}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reference never reached the gateway"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop((second, gateway));
    drop_database(db).await;
    drop_database(gateway_db).await;
}

mod killed_while_proxypay_takes_a_reference {
    use crate::harness::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::killed_while_proxypay_takes_a_reference(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::killed_while_proxypay_takes_a_reference(Backend::Postgres).await;
    }
}
