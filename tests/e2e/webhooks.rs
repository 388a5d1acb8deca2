//! Signed webhooks to real local receivers: signatures recomputed, retries on controlled time.

use crate::both;
use crate::harness::{fresh_database, Backend, Opts, TestApp};
use crate::receiver::{Received, Receiver};
use kumbu_core::Mode;
use kumbu_engine::signature;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn endpoint(app: &TestApp, url: &str, events: Value) -> Value {
    let (s, e) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": url, "events": events, "description": "orders"}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    e
}

fn verified(app: &TestApp, r: &Received, secret: &str) -> Value {
    let now = app.clock.now_unix();
    assert!(
        signature::verify(&r.signature, secret, r.body.as_bytes(), now, 300),
        "bad signature {}",
        r.signature
    );
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        body["id"],
        r.event_id.as_str(),
        "Kumbu-Event-Id names the event"
    );
    assert_eq!(body["object"], "event");
    body
}

async fn deliver(app: &TestApp) -> usize {
    app.engine.run_dispatch_until_idle().await.unwrap()
}

async fn signed_delivered_and_retried(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let we = endpoint(&app, &rx.url, json!(["*"])).await;
    let secret = we["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        (we["status"].as_str(), we["livemode"].as_bool()),
        (Some("enabled"), Some(false))
    );
    let (_, got) = app
        .get(&format!(
            "/v1/webhook_endpoints/{}",
            we["id"].as_str().unwrap()
        ))
        .await;
    assert!(got.get("secret").is_none(), "the secret is shown once");

    // A payment's five events all arrive, signed.
    let p = app.create(5000, "+2250700000789").await;
    app.tick().await;
    app.steps(3).await;
    assert_eq!(deliver(&app).await, 5);
    let got = rx.take();
    let types: BTreeSet<String> = got
        .iter()
        .map(|r| {
            verified(&app, r, &secret)["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types.len(), 5);
    assert!(got
        .iter()
        .all(|r| r.body.contains(p["id"].as_str().unwrap())));
    let evt = &got[0].event_id;
    let (_, d) = app.get(&format!("/v1/events/{evt}/deliveries")).await;
    assert_eq!(d["data"].as_array().unwrap().len(), 1);
    assert_eq!(d["data"][0]["status_code"], 200);

    // The receiver fails: attempts are recorded and retried after the backoff.
    rx.answer(500);
    app.create(1000, "+2250700000029").await; // created, then failed at once
    app.tick().await;
    assert_eq!(deliver(&app).await, 2);
    let failed = rx.take();
    let (_, d) = app
        .get(&format!("/v1/events/{}/deliveries", failed[0].event_id))
        .await;
    assert_eq!(d["data"][0]["status_code"], 500, "{d}");
    app.clock.advance(Duration::from_secs(20));
    assert_eq!(
        deliver(&app).await,
        0,
        "not due before the first retry delay (30 s ± 10 %)"
    );
    rx.answer(302);
    app.clock.advance(Duration::from_secs(20));
    assert_eq!(deliver(&app).await, 2, "retried");
    assert_eq!(rx.take().len(), 2);
    rx.answer(200);
    app.clock.advance(Duration::from_secs(70));
    assert_eq!(
        deliver(&app).await,
        2,
        "a 3xx is a failure too: retried again"
    );
    let delivered = rx.take();
    assert_eq!(delivered.len(), 2);
    let (_, d) = app
        .get(&format!("/v1/events/{}/deliveries", failed[0].event_id))
        .await;
    let codes: Vec<i64> = d["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 302, 200]);
    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(deliver(&app).await, 0, "delivered means done");

    // Resend delivers again, now, with the same event id.
    let (s, r) = app
        .post(
            &format!("/v1/events/{}/resend", delivered[0].event_id),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), r["deliveries_due"].as_u64()),
        (200, Some(1)),
        "{r}"
    );
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(rx.take()[0].event_id, delivered[0].event_id);

    // Rotation: both secrets sign for 24 h, then only the new one.
    let (s, rotated) = app
        .post(
            &format!(
                "/v1/webhook_endpoints/{}/rotate_secret",
                we["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    // With an Idempotency-Key, a retried rotation answers the same secret rather than minting one.
    let path = format!(
        "/v1/webhook_endpoints/{}/rotate_secret",
        we["id"].as_str().unwrap()
    );
    let key = [("idempotency-key", "rotate-1")];
    let (_, _, once) = app.send(Method::POST, &path, Some("{}"), &key).await;
    let (_, h, again) = app.send(Method::POST, &path, Some("{}"), &key).await;
    assert_eq!(
        (
            once["secret"].clone(),
            h.contains_key("idempotent-replayed")
        ),
        (again["secret"].clone(), true)
    );
    let secret = new_secret; // the previous secret is now the first rotation's
    let new_secret = once["secret"].as_str().unwrap().to_owned();
    // Created, then failed at once: two events, each signed by both secrets.
    app.create(1000, "+2250700000079").await;
    app.tick().await;
    assert_eq!(deliver(&app).await, 2);
    let got = rx.take();
    assert_eq!(got.len(), 2, "both events arrived during the overlap");
    for r in got {
        assert_eq!(r.signature.matches("v1=").count(), 2, "{}", r.signature);
        verified(&app, &r, &new_secret);
        verified(&app, &r, &secret);
    }
    app.clock.advance(Duration::from_secs(25 * 3600));
    app.create(1000, "+2250700000079").await;
    app.tick().await;
    assert_eq!(deliver(&app).await, 2);
    let got = rx.take();
    assert_eq!(got.len(), 2, "both events arrived after the overlap");
    for r in got {
        assert_eq!(r.signature.matches("v1=").count(), 1, "{}", r.signature);
        verified(&app, &r, &new_secret);
    }
    Some(app)
}

async fn subscriptions_deletion_and_bad_input(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let we = endpoint(
        &app,
        &rx.url,
        json!(["payment.settled", "payment.user_confirming"]),
    )
    .await;
    assert_eq!(
        we["events"],
        json!(["payment.settled", "payment.user_confirming"])
    );
    app.create(1000, "+2250700000789").await;
    app.tick().await;
    app.steps(3).await;
    deliver(&app).await;
    let got: BTreeSet<String> = rx
        .take()
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            "payment.settled".to_owned(),
            "payment.user_confirming".to_owned()
        ])
    );
    // A receiver that is not listening: the attempt records why.
    let down = endpoint(&app, "http://127.0.0.1:9/hook", json!(["*"])).await;
    app.create(1000, "+2250700000029").await;
    app.tick().await;
    deliver(&app).await;
    let (_, list) = app.get("/v1/events?type=payment.failed").await;
    let (_, d) = app
        .get(&format!(
            "/v1/events/{}/deliveries",
            list["data"][0]["id"].as_str().unwrap()
        ))
        .await;
    let errors: Vec<&Value> = d["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["endpoint"] == down["id"])
        .collect();
    assert_eq!(errors[0]["error"], "connection failed", "{d}");
    // Deleted endpoints get nothing more.
    let (s, _, del) = app
        .send(
            Method::DELETE,
            &format!("/v1/webhook_endpoints/{}", we["id"].as_str().unwrap()),
            None,
            &[],
        )
        .await;
    assert_eq!((s.as_u16(), del["deleted"].as_bool()), (200, Some(true)));
    let (_, list) = app.get("/v1/webhook_endpoints").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    rx.take();
    app.create(1000, "+2250700000029").await;
    app.tick().await;
    app.clock.advance(Duration::from_secs(60));
    deliver(&app).await;
    assert!(rx.take().is_empty());
    for (body, param) in [
        (json!({"url": "ftp://x", "events": ["*"]}), "url"),
        (json!({"url": "https://", "events": ["*"]}), "url"),
        // A placeholder pasted as it was written (issue 28), and names no resolver takes.
        (json!({"url": "https://…", "events": ["*"]}), "url"),
        (
            json!({"url": "https://<your-host>/hook", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "https://a..b/hook", "events": ["*"]}), "url"),
        (json!({"url": rx.url, "events": ["payment.paid"]}), "events"),
        (json!({"url": rx.url, "events": []}), "events"),
        (json!({"url": rx.url}), "events"),
        (json!({"url": rx.url, "events": ["*"], "extra": 1}), "extra"),
    ] {
        let (s, e) = app.post("/v1/webhook_endpoints", &body).await;
        assert_eq!(
            (s.as_u16(), e["error"]["param"].as_str()),
            (400, Some(param)),
            "{body}: {e}"
        );
    }
    // Live endpoints may not point inside the network.
    let merchant = app.engine.create_merchant("Live shop").await.unwrap();
    let live = app
        .engine
        .create_api_key(&merchant.id, Mode::Live)
        .await
        .unwrap();
    let auth = format!("Bearer {}", live.secret.expose_secret());
    // Loopback, and every form that reaches a private network through another prefix (issue 23,
    // item 5): NAT64, IPv4-compatible and 6to4 IPv6 embedding 10.0.0.5, IPv4-mapped private
    // ranges, benchmarking, IETF protocol and reserved IPv4 ranges.
    for host in [
        "127.0.0.1",
        "[64:ff9b::a00:5]",
        "[2002:a00:5::1]",
        "[::a00:5]",
        "[::ffff:192.168.1.1]",
        "198.18.0.1",
        "192.0.0.8",
        "240.0.0.1",
    ] {
        let body = json!({"url": format!("http://{host}:8080/hook"), "events": ["*"]}).to_string();
        let (s, _, e) = app
            .send(
                Method::POST,
                "/v1/webhook_endpoints",
                Some(&body),
                &[("authorization", &auth)],
            )
            .await;
        assert_eq!(
            (s.as_u16(), e["error"]["param"].as_str()),
            (400, Some("url")),
            "{host}: {e}"
        );
        assert!(
            e["error"]["message"].as_str().unwrap().contains("internal"),
            "{host}: {e}"
        );
    }
    Some(app)
}

async fn receiver_down_for_hours_gets_every_event(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    rx.answer(503);
    endpoint(&app, &rx.url, json!(["*"])).await;
    for _ in 0..6 {
        app.create(1000, "+2250700000789").await;
    }
    app.tick().await;
    app.steps(3).await;
    let (_, all) = app.get("/v1/events?limit=100").await;
    let expected: BTreeSet<String> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(expected.len(), 30);
    // Six hours of failures.
    for _ in 0..40 {
        deliver(&app).await;
        app.clock.advance(Duration::from_secs(600));
    }
    rx.take();
    rx.answer(200);
    for _ in 0..20 {
        app.clock.advance(Duration::from_secs(1800));
        deliver(&app).await;
    }
    let got: BTreeSet<String> = rx.take().into_iter().map(|r| r.event_id).collect();
    assert_eq!(
        got, expected,
        "every event arrives once the receiver is back"
    );
    Some(app)
}

async fn failing_endpoint_is_disabled_after_three_days(app: TestApp) -> Option<TestApp> {
    let bad = Receiver::start().await;
    bad.answer(500);
    let watcher = Receiver::start().await;
    let we = endpoint(&app, &bad.url, json!(["*"])).await;
    let we_id = we["id"].as_str().unwrap().to_owned();
    endpoint(&app, &watcher.url, json!(["webhook_endpoint.disabled"])).await;
    app.create(1000, "+2250700000029").await;
    app.tick().await;
    let path = format!("/v1/webhook_endpoints/{we_id}");
    for _ in 0..70 {
        deliver(&app).await;
        app.clock.advance(Duration::from_secs(3600));
    }
    assert_eq!(
        app.get(&path).await.1["status"],
        "enabled",
        "failing for 70 h is not yet 3 days"
    );
    for _ in 0..12 {
        deliver(&app).await;
        app.clock.advance(Duration::from_secs(3600));
    }
    assert_eq!(
        app.get(&path).await.1["status"],
        "disabled",
        "3 days of failures disable it"
    );
    deliver(&app).await;
    let got = watcher.take();
    assert_eq!(
        got.len(),
        1,
        "the disabling is an event, delivered to subscribers"
    );
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert!(got[0].signature.contains(",v1="));
    assert_eq!(body["type"], "webhook_endpoint.disabled");
    assert_eq!(body["data"]["object"]["id"], we_id.as_str());
    assert!(
        body["data"]["object"].get("secret").is_none(),
        "never the secret: {body}"
    );
    let (_, q) = app
        .get("/v1/events?pending=true&type=webhook_endpoint.disabled")
        .await;
    assert_eq!(q["data"].as_array().unwrap().len(), 1);
    // Enabled again by hand, or disabled by hand.
    let (s, e) = app.post(&format!("{path}/enable"), &json!({})).await;
    assert_eq!((s.as_u16(), e["status"].as_str()), (200, Some("enabled")));
    let (s, e) = app.post(&format!("{path}/disable"), &json!({})).await;
    assert_eq!((s.as_u16(), e["status"].as_str()), (200, Some("disabled")));
    Some(app)
}

/// A delivery handed back by a process (shutdown, or too long in its queue) is made due only
/// while that process's lease still stands: once the lease ended another process may own it.
async fn release_only_while_the_lease_stands(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    endpoint(&app, &rx.url, json!(["payment.created"])).await;
    app.create(1000, "+2250700000789").await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (seq, due): (i64, i64) = sqlx::query_as("SELECT seq, next_attempt_at FROM deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    let leased_until = due + 60_000_000;
    sqlx::query("UPDATE deliveries SET next_attempt_at = $1 WHERE seq = $2")
        .bind(leased_until)
        .bind(seq)
        .execute(&pool)
        .await
        .unwrap();
    let at = |t: i64| kumbu_core::Timestamp::from_micros(t);
    let next_attempt_at = async || -> i64 {
        sqlx::query_scalar("SELECT next_attempt_at FROM deliveries")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let store = app.engine.store();
    // Another lease (this process's ended, someone claimed it since): left alone.
    store
        .release_deliveries(&[(seq, at(leased_until - 1))], at(due))
        .await
        .unwrap();
    assert_eq!(
        next_attempt_at().await,
        leased_until,
        "a lease that is not ours is not released"
    );
    // Our lease: due at once.
    store
        .release_deliveries(&[(seq, at(leased_until))], at(due))
        .await
        .unwrap();
    assert_eq!(next_attempt_at().await, due);
    pool.close().await;
    assert_eq!(deliver(&app).await, 1);
    assert_eq!(rx.count(), 1);
    Some(app)
}

/// A local endpoint that answers 200 and then streams its body without end, as a hostile or
/// broken receiver may; it counts the bytes it wrote and notes when the gateway hung up.
async fn endless_endpoint() -> (String, Arc<AtomicU64>, Arc<AtomicBool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (written, hung_up) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (w, h) = (written.clone(), hung_up.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (w, h) = (w.clone(), h.clone());
            tokio::spawn(async move {
                // The request's head (the body is small and is not needed).
                let mut buf = vec![0u8; 64 * 1024];
                let _ = sock.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
                loop {
                    if sock.write_all(chunk.as_bytes()).await.is_err() {
                        h.store(true, Ordering::SeqCst);
                        return;
                    }
                    w.fetch_add(0x4000, Ordering::SeqCst);
                }
            });
        }
    });
    (url, written, hung_up)
}

/// An answer is read only as far as the attempt keeps it (1 KiB), then the connection is let go:
/// an endpoint streaming an endless body is a delivered event, not ten seconds of the gateway
/// buffering at network speed until the timeout fails it (issue 23, item 2).
async fn endless_answer_is_cut_at_what_is_kept(app: TestApp) -> Option<TestApp> {
    let (url, written, hung_up) = endless_endpoint().await;
    endpoint(&app, &url, json!(["payment.created"])).await;
    app.create(5000, "+2250700000789").await;
    assert_eq!(deliver(&app).await, 1);
    let (_, events) = app.get("/v1/events?limit=1").await;
    let evt = events["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, d) = app.get(&format!("/v1/events/{evt}/deliveries")).await;
    let attempt = &d["data"][0];
    assert_eq!(attempt["status_code"], 200, "{d}");
    assert_eq!(attempt["error"], Value::Null, "delivered, not failed: {d}");
    assert_eq!(
        attempt["response_excerpt"].as_str().map(str::len),
        Some(1024),
        "{d}"
    );
    // The gateway hung up: the endpoint's next write fails (within the socket buffers' worth).
    for _ in 0..200 {
        if hung_up.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(hung_up.load(Ordering::SeqCst), "the connection is let go");
    let sent = written.load(Ordering::SeqCst);
    assert!(
        sent < 16 * 1024 * 1024,
        "the gateway stopped reading after its KiB; the endpoint wrote {sent} bytes"
    );
    Some(app)
}

/// A merchant's endpoints are bounded (16 per mode by default), and resends are throttled: an
/// event and each resend fan out to every endpoint (issue 23, item 6). Before, 150 endpoints
/// for one merchant were all accepted and every resend went through.
async fn endpoints_and_resends_are_bounded(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let mut ids = Vec::new();
    for _ in 0..16 {
        ids.push(
            endpoint(&app, &rx.url, json!(["*"])).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (s, e) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": rx.url, "events": ["*"]}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (409, Some("limit_reached")),
        "{e}"
    );
    // A deleted endpoint frees its place.
    let (s, _, _) = app
        .send(
            Method::DELETE,
            &format!("/v1/webhook_endpoints/{}", ids[0]),
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    endpoint(&app, &rx.url, json!(["*"])).await;
    // Resends: 60 a minute for a merchant's mode, then 429 with Retry-After.
    app.create(1000, "+2250700000789").await;
    let (_, events) = app.get("/v1/events?limit=1").await;
    let evt = events["data"][0]["id"].as_str().unwrap().to_owned();
    for i in 0..60 {
        let (s, r) = app
            .post(&format!("/v1/events/{evt}/resend"), &json!({}))
            .await;
        assert_eq!(s, 200, "resend {i}: {r}");
    }
    let (s, h, e) = app
        .send(
            Method::POST,
            &format!("/v1/events/{evt}/resend"),
            Some("{}"),
            &[],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "{e}"
    );
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    Some(app)
}

both!(
    endpoints_and_resends_are_bounded,
    endless_answer_is_cut_at_what_is_kept,
    release_only_while_the_lease_stands,
    signed_delivered_and_retried,
    subscriptions_deletion_and_bad_input,
    receiver_down_for_hours_gets_every_event,
    failing_endpoint_is_disabled_after_three_days,
);

/// A gateway started with `HTTP_PROXY`/`HTTPS_PROXY` in its environment still delivers
/// webhooks straight to the endpoint: a proxy would connect to whatever the endpoint's name
/// means to it, past the address checks made on Kumbu's side (issue 23, item 5).
#[tokio::test]
async fn deliveries_ignore_the_environments_proxy() {
    use crate::harness::tempfile_lite::TempDir;
    use std::io::BufRead;
    let rx = Receiver::start().await;
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let proxied = Arc::new(AtomicU64::new(0));
    let seen = proxied.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = proxy.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(sock);
        }
    });
    let dir = TempDir::new();
    let key = "sk_test_proxyproxyproxyproxyproxy00";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kumbu"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--sandbox-delay-ms",
            "0",
            "--metrics-listen",
            "off",
        ])
        .args([
            "--database-url",
            &format!("sqlite://{}/p.db", dir.path().display()),
        ])
        .env("KUMBU_SANDBOX_KEY", key)
        .env("RUST_LOG", "warn")
        .env("HTTP_PROXY", &proxy_url)
        .env("HTTPS_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("https_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn kumbu serve");
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut first).expect("read");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    std::thread::spawn(move || for _ in stdout.lines() {});
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let r = post(
        "/v1/webhook_endpoints",
        json!({"url": rx.url, "events": ["payment.created"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = post(
        "/v1/payments",
        json!({"amount": 5000, "currency": "XOF",
               "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    for _ in 0..400 {
        if rx.count() > 0 || proxied.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        proxied.load(Ordering::SeqCst),
        0,
        "a delivery went to the proxy"
    );
    assert_eq!(rx.count(), 1, "the event went straight to the endpoint");
}

/// On a gateway that other machines reach, a test key may not point webhooks into the gateway's
/// own network either (issue 23, item 4): refused at registration (400 naming `url`), and an
/// endpoint registered while the gateway was local is refused again when it is called. Before,
/// test mode took any address: `http://127.0.0.1:9200/_search` was accepted on a public gateway.
async fn test_webhooks_stay_outside_a_public_gateway(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "test_webhooks_public_gateway").await else {
        return;
    };
    let rx = Receiver::start().await;
    // A developer's gateway on this machine: a local receiver is a fine test endpoint.
    let local = TestApp::start(url.clone(), None, &Opts::default()).await;
    endpoint(&local, &rx.url, json!(["*"])).await;
    local.stop().await;
    let public = Opts {
        public_url: Some("https://pay.example.com".to_owned()),
        ..Opts::default()
    };
    let app = TestApp::start(url.clone(), Some(db), &public).await;
    for target in [
        "http://127.0.0.1:9200/_search",
        "http://10.0.0.5/",
        rx.url.as_str(),
    ] {
        let (s, e) = app
            .post(
                "/v1/webhook_endpoints",
                &json!({"url": target, "events": ["*"]}),
            )
            .await;
        assert_eq!(
            (s.as_u16(), e["error"]["param"].as_str()),
            (400, Some("url")),
            "{target}: {e}"
        );
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.contains("--allow-internal-webhooks"), "{message}");
    }
    // The endpoint from before is not called: its attempt is refused at connect time.
    app.create(1000, "+2250700000789").await;
    app.tick().await;
    deliver(&app).await;
    assert!(rx.take().is_empty(), "the internal receiver was called");
    let (_, events) = app.get("/v1/events?limit=1").await;
    let evt = events["data"][0]["id"].as_str().unwrap();
    let (_, d) = app.get(&format!("/v1/events/{evt}/deliveries")).await;
    let error = d["data"][0]["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("destination refused"), "{d}");
    let db = app.stop().await;
    // The operator may allow them (a private deployment).
    let app = TestApp::start(
        url,
        db,
        &Opts {
            allow_internal_webhooks: true,
            ..public
        },
    )
    .await;
    endpoint(&app, &rx.url, json!(["*"])).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_webhooks_stay_outside_a_public_gateway_sqlite() {
    test_webhooks_stay_outside_a_public_gateway(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_webhooks_stay_outside_a_public_gateway_postgres() {
    test_webhooks_stay_outside_a_public_gateway(Backend::Postgres).await;
}
