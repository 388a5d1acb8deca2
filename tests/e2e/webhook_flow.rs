//! Per-endpoint isolation and flow control of webhook deliveries, with real local receivers: a
//! slow endpoint never delays a fast one, a small host drains a backlog without a cascade of
//! failures, an endpoint's limit holds across processes, and the API shows and sets it.

use crate::harness::{drop_database, fresh_database, Backend, TestApp, KEY};
use crate::processes::{
    create_backlog, create_backlog_as, events_in, metrics_text, register_endpoint, spawn,
    wait_all_settled, wait_for_events,
};
use crate::receiver::{Receiver, SmallHost};
use kumbu_engine::{Store, StoreOptions};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

crate::on_each_backend!(slow_neighbour_delays_no_one);
crate::both!(
    small_host_drains_a_backlog_without_a_cascade,
    max_concurrency_and_health_through_the_api
);

async fn get(client: &reqwest::Client, url: String) -> Value {
    let r = client.get(url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// One endpoint holds every request unanswered until the test lets it go; another answers at
/// once. The fast one gets all of its events while the slow one holds its first requests (a
/// dispatcher that made the fast endpoint wait for the slow one would never get there), the
/// API and `/metrics` show the slow one's slots taken, and once released the slow one gets
/// everything too, each delivery after one attempt (a held one may also have timed out once,
/// if the fast endpoint took longer than the 10 s delivery timeout to get everything).
async fn slow_neighbour_delays_no_one(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "slow_neighbour_delays_no_one").await else {
        return;
    };
    let client = reqwest::Client::new();
    let (fast, slow) = (Receiver::start().await, Receiver::start().await);
    slow.hold();
    let server = spawn(&url, &["--sandbox-delay-ms", "0"]).await;
    let base = server.base.clone();
    let slow_id = register_endpoint(&client, &base, &slow.url).await;
    register_endpoint(&client, &base, &fast.url).await;
    create_backlog(&client, &base, 60).await;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_all_settled(&store, 60, Duration::from_secs(60)).await;
    let total = usize::try_from(events_in(&url).await).unwrap();
    assert_eq!(total, 300, "five events per payment");
    let mut seen = HashMap::new();
    wait_for_events(&fast, &mut seen, total, Duration::from_secs(60)).await;
    assert_eq!(slow.count(), 0, "the slow endpoint answered nothing yet");
    assert!(
        slow.open() >= 1,
        "the slow endpoint was being sent to all along"
    );
    // Meanwhile the slow endpoint holds its slots (as reported within a second); the rest of its
    // deliveries wait, unattempted.
    let deadline = Instant::now() + Duration::from_secs(5);
    let health = loop {
        let health = get(&client, format!("{base}/v1/webhook_endpoints/{slow_id}")).await;
        if health["health"]["in_flight"].as_i64().unwrap() > 0 || Instant::now() > deadline {
            break health;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let h = &health["health"];
    assert!(h["in_flight"].as_i64().unwrap() >= 1, "{health}");
    assert!(
        h["in_flight"].as_i64().unwrap() <= h["concurrency_limit"].as_i64().unwrap(),
        "{health}"
    );
    assert!(
        h["pending"].as_i64().unwrap() > h["in_flight"].as_i64().unwrap(),
        "{health}"
    );
    // Per-endpoint gauges in /metrics (refreshed every second).
    let gauge = format!("kumbu_webhook_endpoint_in_flight{{endpoint=\"{slow_id}\"}} ");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let metrics = metrics_text(&client, &server.metrics).await;
        let value = metrics
            .lines()
            .find_map(|l| l.strip_prefix(&gauge))
            .and_then(|v| v.trim().parse::<f64>().ok());
        if value.is_some_and(|v| v >= 1.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no in-flight gauge for the slow endpoint: {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The slow endpoint recovers: everything reaches it.
    slow.release();
    let held: std::collections::HashSet<String> = slow.held().into_iter().collect();
    assert!(!held.is_empty());
    let mut seen_slow = HashMap::new();
    wait_for_events(&slow, &mut seen_slow, total, Duration::from_secs(90)).await;
    let slow_id = slow_id.as_str();
    let mut checked = 0;
    let mut after = String::new();
    loop {
        let page = get(&client, format!("{base}/v1/events?limit=100{after}")).await;
        let data = page["data"].as_array().unwrap();
        for e in data {
            let id = e["id"].as_str().unwrap();
            let attempts = get(&client, format!("{base}/v1/events/{id}/deliveries")).await;
            let mut per_endpoint: HashMap<&str, usize> = HashMap::new();
            for a in attempts["data"].as_array().unwrap() {
                *per_endpoint
                    .entry(a["endpoint"].as_str().unwrap())
                    .or_default() += 1;
            }
            assert_eq!(per_endpoint.len(), 2, "both endpoints: {attempts}");
            for (endpoint, n) in &per_endpoint {
                let allowed = if *endpoint == slow_id && held.contains(id) {
                    2
                } else {
                    1
                };
                assert!(
                    (1..=allowed).contains(n),
                    "one attempt per endpoint, held back or not: {attempts}"
                );
            }
            checked += 1;
        }
        if page["has_more"] != true {
            break;
        }
        let last = data.last().unwrap()["id"].as_str().unwrap();
        after = format!("&starting_after={last}");
    }
    assert_eq!(checked, total, "every event's attempts were read");
    drop(server);
    store.close().await;
    drop_database(db).await;
}

/// A host that serves two connections at once and drops the rest gets a backlog of 150
/// deliveries at once: a couple of attempts fail while the limit finds its size, then every
/// delivery goes through, in the same pass; the few that failed arrive at their retry.
async fn small_host_drains_a_backlog_without_a_cascade(app: TestApp) -> Option<TestApp> {
    let host = SmallHost::start(2, 5).await;
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": host.url, "events": ["*"]}),
        )
        .await;
    assert_eq!(s, 200, "{we}");
    for _ in 0..30 {
        app.create(1000, "+2250700000789").await;
    }
    app.tick().await;
    app.steps(3).await;
    let (_, all) = app.get("/v1/events?limit=100").await;
    let mut expected: Vec<String> = Vec::new();
    let mut page = all;
    loop {
        let data = page["data"].as_array().unwrap().clone();
        expected.extend(data.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        let last = data.last().unwrap()["id"].as_str().unwrap().to_owned();
        page = app
            .get(&format!("/v1/events?limit=100&starting_after={last}"))
            .await
            .1;
    }
    assert_eq!(expected.len(), 150);
    let attempted = app.engine.run_dispatch_until_idle().await.unwrap();
    let served = host.served();
    let failed = attempted - served.len();
    assert!(
        failed <= 4,
        "{failed} of {attempted} attempts failed ({} connections dropped): a cascade",
        host.dropped()
    );
    assert!(served.len() >= 146, "only {} served", served.len());
    // The failed ones come back at their retry (30 s later), under the lowered limit.
    app.clock.advance(Duration::from_secs(40));
    app.engine.run_dispatch_until_idle().await.unwrap();
    let mut got = host.served();
    got.sort();
    got.dedup();
    expected.sort();
    assert_eq!(got, expected, "every event served");
    let id = we["id"].as_str().unwrap();
    let (_, view) = app.get(&format!("/v1/webhook_endpoints/{id}")).await;
    assert!(
        view["health"]["concurrency_limit"].as_i64().unwrap() <= 2,
        "the limit learnt the host's size: {view}"
    );
    Some(app)
}

/// `max_concurrency` is set at creation and changed later; bad values are refused naming the
/// field; the endpoint's health shows what waits for it and how its attempts went.
async fn max_concurrency_and_health_through_the_api(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    for bad in [json!(0), json!(257), json!("8"), json!(1.5)] {
        let (s, e) = app
            .post(
                "/v1/webhook_endpoints",
                &json!({"url": rx.url, "events": ["*"], "max_concurrency": bad}),
            )
            .await;
        assert_eq!(s, 400, "{bad}: {e}");
        assert_eq!(e["error"]["param"], "max_concurrency", "{e}");
    }
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": rx.url, "events": ["*"], "max_concurrency": 2}),
        )
        .await;
    assert_eq!(s, 200, "{we}");
    assert_eq!(we["max_concurrency"], 2);
    assert!(we.get("health").is_none(), "health only in GET");
    let id = we["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/webhook_endpoints/{id}");
    let (_, view) = app.get(&path).await;
    assert_eq!(view["health"]["state"], "healthy", "{view}");
    assert_eq!(view["health"]["recent_attempts"], 0);
    assert_eq!(
        view["health"]["concurrency_limit"], 2,
        "never above the max"
    );
    // Events wait for the dispatcher: queued.
    for _ in 0..3 {
        app.create(1000, "+2250700000789").await;
    }
    let (_, view) = app.get(&path).await;
    assert_eq!(view["health"]["queued"], 3, "{view}");
    assert_eq!(view["health"]["pending"], 3);
    // At most two at once.
    rx.slow(50);
    app.tick().await;
    app.steps(3).await;
    app.engine.run_dispatch_until_idle().await.unwrap();
    assert_eq!(rx.count(), 15);
    assert!(rx.most_at_once() <= 2, "{} at once", rx.most_at_once());
    let (_, view) = app.get(&path).await;
    let h = &view["health"];
    assert_eq!(h["queued"], 0, "{view}");
    assert_eq!(h["pending"], 0);
    assert_eq!(h["in_flight"], 0);
    assert_eq!(h["recent_attempts"], 15);
    assert_eq!(h["recent_failures"], 0);
    assert!(h["latency_p50_ms"].as_i64().unwrap() >= 50, "{view}");
    assert_eq!(h["last_status_code"], 200);
    // Failures show.
    rx.answer(500);
    rx.slow(0);
    app.create(1000, "+2250700000789").await;
    app.engine.run_dispatch_until_idle().await.unwrap();
    let (_, view) = app.get(&path).await;
    assert_eq!(view["health"]["state"], "failing", "{view}");
    assert_eq!(view["health"]["last_status_code"], 500);
    assert_eq!(view["health"]["recent_failures"], 1);
    // A server that is gone: the limit every process shares comes down to one.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone_url = format!("http://{}/hook", gone.local_addr().unwrap());
    drop(gone);
    let (_, dead) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": gone_url, "events": ["*"]}),
        )
        .await;
    app.create(1000, "+2250700000789").await;
    app.engine.run_dispatch_until_idle().await.unwrap();
    let (_, view) = app
        .get(&format!(
            "/v1/webhook_endpoints/{}",
            dead["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(view["health"]["last_error"], "connection failed", "{view}");
    assert_eq!(view["health"]["concurrency_limit"], 1, "{view}");
    // Changed, then back to the default; unknown fields and bad values refused.
    let (s, changed) = app.post(&path, &json!({"max_concurrency": 40})).await;
    assert_eq!((s.as_u16(), &changed["max_concurrency"]), (200, &json!(40)));
    let (s, reset) = app.post(&path, &json!({"max_concurrency": null})).await;
    assert_eq!((s.as_u16(), &reset["max_concurrency"]), (200, &json!(16)));
    let (s, e) = app.post(&path, &json!({"max_concurrency": -1})).await;
    assert_eq!(
        (s.as_u16(), &e["error"]["param"]),
        (400, &json!("max_concurrency"))
    );
    let (s, _) = app.post(&path, &json!({"url": "http://elsewhere"})).await;
    assert_eq!(s, 400);
    let (s, e) = app.post(&path, &json!({})).await;
    assert_eq!(
        (s.as_u16(), &e["error"]["param"]),
        (400, &json!("max_concurrency")),
        "an empty update changes nothing: {e}"
    );
    let (_, view) = app.get(&path).await;
    assert_eq!(view["max_concurrency"], 16);
    let (s, _) = app
        .post(
            "/v1/webhook_endpoints/we_doesnotexist000000000",
            &json!({"max_concurrency": 3}),
        )
        .await;
    assert_eq!(s, 404);
    Some(app)
}

/// Two processes on one PostgreSQL deliver to one endpoint with `max_concurrency` 3: never more
/// than three requests at once, in all, and every event arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_hold_across_two_processes_postgres() {
    let Some((url, db)) = fresh_database(Backend::Postgres, "limits_hold_across_processes").await
    else {
        return;
    };
    let client = reqwest::Client::new();
    let rx = Receiver::start().await;
    rx.slow(60);
    let args = ["--sandbox-delay-ms", "0"];
    let (a, b) = (spawn(&url, &args).await, spawn(&url, &args).await);
    let r = client
        .post(format!("{}/v1/webhook_endpoints", a.base))
        .bearer_auth(KEY)
        .json(&json!({"url": rx.url, "events": ["*"], "max_concurrency": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Payments through both processes, so both have deliveries of their own to send.
    let (ca, cb) = (client.clone(), client.clone());
    let (ba, bb) = (a.base.clone(), b.base.clone());
    let ta = tokio::spawn(async move { create_backlog(&ca, &ba, 30).await });
    // Other idempotency keys than a's.
    let tb = tokio::spawn(async move { create_backlog_as(&cb, &bb, 30, "other").await });
    ta.await.unwrap();
    tb.await.unwrap();
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    wait_all_settled(&store, 60, Duration::from_secs(60)).await;
    let total = usize::try_from(events_in(&url).await).unwrap();
    let mut seen = HashMap::new();
    wait_for_events(&rx, &mut seen, total, Duration::from_secs(120)).await;
    assert!(
        rx.most_at_once() <= 3,
        "{} requests at once across the two processes",
        rx.most_at_once()
    );
    drop((a, b));
    store.close().await;
    drop_database(db).await;
}
