//! The native API's surface: bad inputs, filters, catalogue, health and metrics.

use crate::both;
use crate::harness::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn valid() -> Value {
    json!({"amount": 5000, "currency": "XOF", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}})
}

fn with(path: &[&str], v: Value) -> Value {
    let mut body = valid();
    let mut cur = &mut body;
    for k in &path[..path.len() - 1] {
        cur = &mut cur[*k];
    }
    cur[path[path.len() - 1]] = v;
    body
}

fn without(path: &[&str]) -> Value {
    let mut body = valid();
    let mut cur = &mut body;
    for k in &path[..path.len() - 1] {
        cur = &mut cur[*k];
    }
    cur.as_object_mut().unwrap().remove(path[path.len() - 1]);
    body
}

async fn bad_inputs_are_4xx_naming_the_field(app: TestApp) -> Option<TestApp> {
    let big_meta: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    // (body, status, code, param)
    let cases: Vec<(String, u16, &str, Option<&str>)> = vec![
        ("{\"amount\": 5000,".into(), 400, "invalid_json", None),
        ("[1, 2]".into(), 400, "parameter_invalid", None),
        ("{\"amount\": 01}".into(), 400, "invalid_json", None),
        (
            without(&["amount"]).to_string(),
            400,
            "parameter_missing",
            Some("amount"),
        ),
        (
            without(&["payer", "phone"]).to_string(),
            400,
            "parameter_missing",
            Some("payer.phone"),
        ),
        (
            with(&["amount"], json!("5000")).to_string(),
            400,
            "parameter_invalid",
            Some("amount"),
        ),
        (
            with(&["amount"], json!(50.5)).to_string(),
            400,
            "amount_too_precise",
            Some("amount"),
        ),
        (with(&["amount"], json!(5000.0)).to_string(), 400, "parameter_invalid", Some("amount")),
        (
            r#"{"amount": 5e3, "currency": "XOF", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}"#.to_owned(),
            400,
            "parameter_invalid",
            Some("amount"),
        ),
        (
            with(&["amount"], json!(0)).to_string(),
            400,
            "amount_out_of_range",
            Some("amount"),
        ),
        (
            with(&["amount"], json!(-100)).to_string(),
            400,
            "amount_out_of_range",
            Some("amount"),
        ),
        (
            with(&["amount"], json!(99)).to_string(),
            400,
            "amount_out_of_range",
            Some("amount"),
        ),
        (
            with(&["amount"], json!(2_000_001)).to_string(),
            400,
            "amount_out_of_range",
            Some("amount"),
        ),
        (
            with(&["amount"], json!(18_446_744_073_709_551_615u64)).to_string(),
            400,
            "amount_out_of_range",
            Some("amount"),
        ),
        (
            with(&["currency"], json!("EUR")).to_string(),
            400,
            "currency_not_supported",
            Some("currency"),
        ),
        (
            with(&["currency"], json!("XAF")).to_string(),
            400,
            "currency_not_supported",
            Some("currency"),
        ),
        (
            with(&["payer", "operator"], json!("orange")).to_string(),
            400,
            "operator_unknown",
            Some("payer.operator"),
        ),
        (
            with(&["payer", "operator"], json!("multicaixa")).to_string(),
            400,
            "operator_not_available",
            Some("payer.operator"),
        ),
        (
            with(&["payer", "phone"], json!("0700000789")).to_string(),
            400,
            "phone_invalid",
            Some("payer.phone"),
        ),
        (
            with(&["payer", "phone"], json!("+237670000789")).to_string(),
            400,
            "phone_invalid",
            Some("payer.phone"),
        ),
        // A nested object must be an object, its keys given once (serde's derive would read a
        // struct from an array by position, and take the last of repeated keys).
        (
            r#"{"amount":5000,"currency":"XOF","payer":["+2250700000789","orange_ci"]}"#
                .to_owned(),
            400,
            "parameter_invalid",
            Some("payer"),
        ),
        (
            r#"{"amount":5000,"currency":"XOF","payer":{"phone":"+2250700000789","operator":"orange_ci","operator":"mtn_ci"}}"#
                .to_owned(),
            400,
            "parameter_invalid",
            Some("payer"),
        ),
        (
            with(&["payer", "phone"], json!(225)).to_string(),
            400,
            "parameter_invalid",
            Some("payer.phone"),
        ),
        (
            with(&["metadata"], Value::Object(big_meta)).to_string(),
            400,
            "parameter_invalid",
            Some("metadata"),
        ),
        (
            with(&["metadata"], json!({"k": 1})).to_string(),
            400,
            "parameter_invalid",
            Some("metadata.k"),
        ),
        (
            with(&["expires_in"], json!(10)).to_string(),
            400,
            "parameter_invalid",
            Some("expires_in"),
        ),
        (
            with(&["description"], json!("x".repeat(501))).to_string(),
            400,
            "parameter_invalid",
            Some("description"),
        ),
        (
            with(&["reference"], json!("")).to_string(),
            400,
            "parameter_invalid",
            Some("reference"),
        ),
        (
            with(&["surprise"], json!(1)).to_string(),
            400,
            "parameter_unknown",
            Some("surprise"),
        ),
        (
            with(&["reference"], json!("a\u{0}b")).to_string(),
            400,
            "parameter_invalid",
            Some("reference"),
        ),
        (
            with(&["description"], json!("nul \u{0}")).to_string(),
            400,
            "parameter_invalid",
            Some("description"),
        ),
        (
            with(&["metadata"], json!({"k": "\u{0}"})).to_string(),
            400,
            "parameter_invalid",
            Some("metadata"),
        ),
        (
            with(&["payer", "name"], json!("x")).to_string(),
            400,
            "parameter_unknown",
            Some("payer.name"),
        ),
        (
            format!("{{\"description\": \"{}\"}}", "x".repeat(70 * 1024)),
            413,
            "body_too_large",
            None,
        ),
    ];
    for (body, status, code, param) in cases {
        let (s, _, e) = app
            .send(Method::POST, "/v1/payments", Some(&body), &[])
            .await;
        let shown: String = body.chars().take(80).collect();
        assert_eq!(s.as_u16(), status, "{shown}: {e}");
        assert_eq!(e["error"]["code"], code, "{shown}: {e}");
        assert_eq!(e["error"]["param"].as_str(), param, "{shown}: {e}");
        assert!(
            e["error"]["message"].as_str().is_some_and(|m| m.len() > 5),
            "{e}"
        );
    }
    // Wrong content type.
    let (s, _, e) = app
        .send(
            Method::POST,
            "/v1/payments",
            None,
            &[("content-type", "text/xml")],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    // Auth problems.
    for (auth, code) in [
        ("", "api_key_missing"),
        ("Bearer sk_test_nope", "api_key_invalid"),
        ("Bearer nonsense", "api_key_invalid"),
        ("Token sk_test_x", "api_key_invalid"),
    ] {
        let headers: Vec<(&str, &str)> = if auth.is_empty() {
            vec![]
        } else {
            vec![("authorization", auth)]
        };
        let mut req = app.client.get(app.url("/v1/payments"));
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], code, "{auth}");
    }
    // Bad ids and query parameters.
    for (path, status, code) in [
        ("/v1/payments/pay_doesnotexist", 404, "resource_missing"),
        ("/v1/payments/%FF%FE", 404, "resource_missing"),
        (
            "/v1/payments/'; drop table payments",
            404,
            "resource_missing",
        ),
        ("/v1/payments?limit=0", 400, "parameter_invalid"),
        ("/v1/payments?limit=101", 400, "parameter_invalid"),
        ("/v1/payments?limit=x", 400, "parameter_invalid"),
        ("/v1/payments?status=paid", 400, "parameter_invalid"),
        (
            "/v1/payments?starting_after=pay_unknown",
            404,
            "resource_missing",
        ),
        (
            "/v1/payments?created_gte=yesterday",
            400,
            "parameter_invalid",
        ),
        ("/v1/payments?colour=blue", 400, "parameter_unknown"),
        ("/v1/payments?reference=%00", 400, "parameter_invalid"),
        ("/v1/sandbox/prompts", 400, "parameter_missing"),
        ("/v1/nope", 404, "route_not_found"),
    ] {
        let (s, e) = app.get(path).await;
        assert_eq!(
            (s.as_u16(), e["error"]["code"].as_str()),
            (status, Some(code)),
            "{path}: {e}"
        );
    }
    let (s, _, e) = app.send(Method::DELETE, "/v1/payments", None, &[]).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    // Nothing above created a payment.
    let (_, list) = app.get("/v1/payments").await;
    assert_eq!(list["data"], json!([]));
    Some(app)
}

async fn create_with_every_field_and_filter(app: TestApp) -> Option<TestApp> {
    let body = json!({
        "amount": 250000, "currency": "CVE",
        "payer": {"phone": "+238 900 1234", "operator": "cvmovel"},
        "reference": "order-1001", "description": "Two pastéis", "metadata": {"cart": "42"},
        "customer": {"name": "Ana", "email": "ana@example.cv"}, "expires_in": 120
    });
    let (s, p) = app.post("/v1/payments", &body).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        p["payer"],
        json!({"phone": "+2389001234", "operator": "cvmovel"})
    );
    assert_eq!(
        (p["fee"].as_i64(), p["net"].as_i64()),
        (Some(5000), Some(245_000))
    );
    assert_eq!(
        p["customer"],
        json!({"name": "Ana", "email": "ana@example.cv"})
    );
    assert_eq!(p["metadata"], json!({"cart": "42"}));
    assert_eq!(p["livemode"], false);
    let (s, e) = app.post("/v1/payments", &body).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (409, Some("reference_already_used")),
        "{e}"
    );
    app.create(1000, "+2250700000789").await;
    for (q, n) in [
        ("reference=order-1001", 1),
        ("currency=CVE", 1),
        ("operator=orange_ci", 1),
        ("phone=%2B2389001234", 1),
        ("status=created", 2),
        ("status=settled", 0),
        ("created_gte=1790000000", 2),
        ("created_lt=1790000000", 0),
        ("created_gte=2026-01-01T00:00:00Z", 2),
    ] {
        let (s, list) = app.get(&format!("/v1/payments?{q}")).await;
        assert_eq!(s, StatusCode::OK, "{q}: {list}");
        assert_eq!(list["data"].as_array().unwrap().len(), n, "{q}");
    }
    Some(app)
}

/// Date windows over payments made days apart, edges included: a window finds exactly the
/// payments created in it, whichever index the store walks (the list narrows a past window
/// by `seq` bounds found from the dates).
async fn date_windows_find_exactly_their_payments(app: TestApp) -> Option<TestApp> {
    let mut made = Vec::new();
    for _ in 0..3 {
        for _ in 0..3 {
            let p = app.create(1000, "+2250700000789").await;
            made.push((
                p["id"].as_str().unwrap().to_owned(),
                kumbu_core::Timestamp::parse_rfc3339(p["created_at"].as_str().unwrap())
                    .unwrap()
                    .unix_seconds(),
            ));
            app.advance(std::time::Duration::from_secs(600)).await;
        }
        app.advance(std::time::Duration::from_secs(86_400)).await;
    }
    let window = |from: i64, to: i64| {
        let mut ids: Vec<String> = made
            .iter()
            .filter(|(_, at)| *at >= from && *at < to)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    };
    let times: Vec<i64> = made.iter().map(|(_, at)| *at).collect();
    for (from, to) in [
        (times[3], times[6]),         // the middle day, edges exact
        (times[3], times[5] + 1),     // the middle day, to just after its last
        (times[4], times[5]),         // one payment
        (times[0] + 1, times[8]),     // almost everything
        (times[8] + 1, times[8] + 2), // nothing
    ] {
        let (s, list) = app
            .get(&format!(
                "/v1/payments?created_gte={from}&created_lt={to}&limit=100"
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let mut got: Vec<String> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        assert_eq!(got, window(from, to), "{from}..{to}");
    }
    Some(app)
}

async fn catalogue_health_and_metrics(app: TestApp) -> Option<TestApp> {
    let r = app
        .client
        .get(app.url("/v1/operators"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ops: Value = r.json().await.unwrap();
    let codes: Vec<&str> = ops["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["operator"].as_str().unwrap())
        .collect();
    for c in [
        "cvmovel",
        "unitel_tmais",
        "multicaixa",
        "mpesa_mz",
        "emola",
        "orange_ci",
        "mtn_ci",
        "moov_ci",
        "wave_ci",
        "orange_cm",
        "mtn_cm",
        "mock",
    ] {
        assert!(codes.contains(&c), "{c} missing");
    }
    let orange = ops["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operator"] == "orange_ci")
        .unwrap();
    assert_eq!(orange["phone_format"]["dial_code"], "+225");
    assert_eq!(orange["currencies"], json!(["XOF"]));
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    app.create(1000, "+2250700000789").await;
    app.tick().await;
    // Metrics name every merchant's figures: not on the API's listener (issue 23, item 7)…
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // …but on their own.
    let r = app
        .client
        .get(format!("{}/metrics", app.metrics_base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    for needle in [
        "kumbu_http_requests_total",
        "kumbu_http_request_duration_seconds_bucket",
        "kumbu_payment_transitions_total",
        "kumbu_db_pool_connections",
    ] {
        assert!(text.contains(needle), "{needle} not in /metrics");
    }
    Some(app)
}

both!(
    date_windows_find_exactly_their_payments,
    bad_inputs_are_4xx_naming_the_field,
    create_with_every_field_and_filter,
    catalogue_health_and_metrics
);

/// Every API key has a request limit (issue 23, item 6), shared by the native API and the faces
/// it authenticates, answered 429 with Retry-After in each face's envelope. Before, the native
/// API had none: 6,000 requests from one key as fast as they came were all 200.
async fn requests_per_key_are_limited(backend: crate::harness::Backend) {
    let opts = crate::harness::Opts {
        api_per_minute: 5,
        ..crate::harness::Opts::default()
    };
    let Some(app) = TestApp::spawn_with(backend, "requests_per_key", opts).await else {
        return;
    };
    for i in 0..4 {
        let (s, _) = app.get("/v1/payments").await;
        assert_eq!(s, 200, "request {i}");
    }
    // The Simiz face counts against the same key.
    let simiz_key = format!(
        "smz_test_sk_{}",
        crate::harness::KEY.strip_prefix("sk_test_").unwrap()
    );
    let auth = format!("Bearer {simiz_key}");
    let (s, _, _) = app
        .send(
            Method::GET,
            "/compat/simiz/v1/payments",
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(s, 200);
    let (s, h, e) = app.send(Method::GET, "/v1/payments", None, &[]).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "{e}"
    );
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (s, h, e) = app
        .send(
            Method::GET,
            "/compat/simiz/v1/payments",
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "in Simiz's envelope: {e}"
    );
    assert!(h.contains_key("retry-after"));
    // Another key has its own count.
    let merchant = app.engine.create_merchant("Other").await.unwrap();
    let other = app
        .engine
        .create_api_key(&merchant.id, kumbu_core::Mode::Test)
        .await
        .unwrap();
    let auth = format!(
        "Bearer {}",
        secrecy::ExposeSecret::expose_secret(&other.secret)
    );
    let (s, _, _) = app
        .send(
            Method::GET,
            "/v1/payments",
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(s, 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_key_are_limited_sqlite() {
    requests_per_key_are_limited(crate::harness::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_key_are_limited_postgres() {
    requests_per_key_are_limited(crate::harness::Backend::Postgres).await;
}
