//! The ProxyPay API v2 face over real sockets, on its own listener and under /compat/proxypay:
//! every endpoint and error path, one test per habit of real clients
//! (`../shared/reference/proxypay-clients.md`), and a signed webhook to a real receiver.

use crate::both;
use crate::harness::{TestApp, KEY};
use crate::receiver::Receiver;
use kumbu_core::Mode;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;

const V2: &str = "application/vnd.proxypay.v2+json";

/// A raw answer: status, content type and body text.
struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The `param` of a ProxyPay 400 (a list of `{param, message}`).
    fn param(&self) -> String {
        assert_eq!(self.status, 400, "{}", self.text);
        self.json()[0]["param"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Sends a request to the ProxyPay listener with `Authorization: Token <key>`; `body` is
/// (content type, text).
async fn pp_as(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<(&str, &str)>,
) -> Answer {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.proxypay_base))
        .header("Authorization", format!("Token {key}"))
        .header("Accept", V2);
    if let Some((ct, text)) = body {
        req = req.header("Content-Type", ct).body(text.to_owned());
    }
    let resp = req.send().await.expect("request");
    Answer {
        status: resp.status(),
        content_type: resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        text: resp.text().await.unwrap_or_default(),
    }
}

async fn pp(app: &TestApp, method: Method, path: &str, body: Option<(&str, &str)>) -> Answer {
    pp_as(app, KEY, method, path, body).await
}

const JSON: &str = "application/json";

async fn put_reference(app: &TestApp, id: &str, body: &Value) {
    let a = pp(
        app,
        Method::PUT,
        &format!("/references/{id}"),
        Some((JSON, &body.to_string())),
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert!(a.text.is_empty());
}

async fn mock(app: &TestApp, body: &Value) -> Answer {
    pp(
        app,
        Method::POST,
        "/payments",
        Some((JSON, &body.to_string())),
    )
    .await
}

async fn queue(app: &TestApp) -> Vec<Value> {
    let a = pp(app, Method::GET, "/payments", None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.json().as_array().cloned().unwrap_or_default()
}

/// The documented shape: ids integers, amounts 2-decimal strings, datetimes ISO 8601.
fn check_payment_object(p: &Value, reference: u64, amount: &str) {
    let id = p["id"].as_i64().expect("id is an integer");
    assert!((100_000_000_000..1_000_000_000_000).contains(&id), "{p}");
    assert_eq!(p["amount"], amount);
    assert!(p["fee"].as_str().unwrap().contains('.'), "{p}");
    assert_eq!(p["reference_id"].as_u64(), Some(reference));
    let entity = p["entity_id"].as_i64().unwrap();
    assert!((10_000..100_000).contains(&entity), "5-digit entity: {p}");
    let period = p["period_id"].as_i64().unwrap();
    assert_eq!(id / 100_000_000, period);
    assert_eq!(id % 100_000_000, p["transaction_id"].as_i64().unwrap());
    for f in ["datetime", "period_start_datetime", "period_end_datetime"] {
        let t = p[f].as_str().unwrap();
        assert!(
            t.len() == 20 && t.ends_with('Z') && kumbu_core::Timestamp::parse_rfc3339(t).is_some(),
            "{f}: {t}"
        );
    }
    let tt = p["terminal_type"].as_str().unwrap();
    assert!(["ATM", "POS", "IB", "MB"].contains(&tt));
    for f in [
        "product_id",
        "parameter_id",
        "terminal_location",
        "terminal_id",
    ] {
        assert!(p.get(f).is_some(), "{f} present (null or a value): {p}");
    }
    assert!(p["custom_fields"].is_object());
}

async fn references_payments_and_the_queue(app: TestApp) -> Option<TestApp> {
    let a = pp(&app, Method::POST, "/reference_ids", None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, "application/json");
    let id: u64 = a.text.parse().expect("a bare integer, nothing else");
    assert!((1..=999_999_999).contains(&id));

    put_reference(
        &app,
        &id.to_string(),
        &json!({"amount": "9701.84", "end_datetime": "2099-12-31",
                "custom_fields": {"invoice": "2018/0333"}}),
    )
    .await;
    // Updating is a PUT too.
    put_reference(
        &app,
        &id.to_string(),
        &json!({"amount": "9701.84", "end_datetime": "2099-12-31",
                "custom_fields": {"invoice": "2018/0334"}}),
    )
    .await;
    let a = mock(&app, &json!({"reference_id": id, "amount": "9701.84"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let paid = a.json();
    check_payment_object(&paid, id, "9701.84");
    assert_eq!(paid["custom_fields"]["invoice"], "2018/0334");
    assert_eq!(paid["fee"], "50.00", "Multicaixa's minimum fee");

    // The queue holds it, oldest first, the same object; also under /compat/proxypay.
    let q = queue(&app).await;
    assert_eq!(q, vec![paid.clone()]);
    let compat = app
        .client
        .get(app.url("/compat/proxypay/payments?n=1"))
        .header("Authorization", format!("Token {KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(compat.json::<Value>().await.unwrap(), json!([paid.clone()]));
    // A second payment (the reference stays payable until its end), then n=1 shows the first.
    let second = mock(&app, &json!({"reference_id": id, "amount": 9701.84})).await;
    assert_eq!(second.status, 200);
    let a = pp(&app, Method::GET, "/payments?n=1", None).await;
    assert_eq!(a.json(), json!([paid.clone()]));
    // Acknowledging takes it off, and again is harmless.
    let pid = paid["id"].as_i64().unwrap();
    for _ in 0..2 {
        let a = pp(&app, Method::DELETE, &format!("/payments/{pid}"), None).await;
        assert_eq!(a.status, 204, "{}", a.text);
    }
    let q = queue(&app).await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["id"], second.json()["id"]);

    // In the native API it is an ordinary settled AOA payment, posted to the ledger.
    let (_, list) = app.get("/v1/payments?limit=10").await;
    let native = &list["data"][0];
    assert_eq!(native["status"], "settled");
    assert_eq!(native["currency"], "AOA");
    assert_eq!(native["payer"]["operator"], "multicaixa");
    assert_eq!(native["payer"]["phone"], Value::Null);
    app.ledger_ok().await;

    // GET /references/{id} is not a v2 endpoint: 404, as on ProxyPay.
    let a = pp(&app, Method::GET, &format!("/references/{id}"), None).await;
    assert_eq!(a.status, 404);
    // Deleting the reference: 204, and again 204 (clients retry after timeouts); an id that
    // never existed is 404.
    for _ in 0..2 {
        let a = pp(&app, Method::DELETE, &format!("/references/{id}"), None).await;
        assert_eq!(a.status, 204);
    }
    let a = pp(&app, Method::DELETE, "/references/999999997", None).await;
    assert_eq!(a.status, 404);
    Some(app)
}

async fn refusals_leave_no_payment(app: TestApp) -> Option<TestApp> {
    put_reference(
        &app,
        "100000001",
        &json!({"amount": "500.00", "end_datetime": "2026-12-31T10:00:00Z"}),
    )
    .await;
    put_reference(&app, "100000002", &json!({})).await;
    let unknown = mock(
        &app,
        &json!({"reference_id": 999_999_998, "amount": "1.00"}),
    )
    .await;
    assert_eq!(unknown.param(), "reference_id");
    let wrong = mock(
        &app,
        &json!({"reference_id": 100_000_001, "amount": "500.01"}),
    )
    .await;
    assert_eq!(wrong.param(), "amount");
    pp(&app, Method::DELETE, "/references/100000002", None).await;
    let deleted = mock(
        &app,
        &json!({"reference_id": 100_000_002, "amount": "5.00"}),
    )
    .await;
    assert_eq!(deleted.param(), "reference_id");
    // Past its end (controlled time): expired.
    app.clock.advance(Duration::from_secs(3600 * 24 * 400));
    let expired = mock(
        &app,
        &json!({"reference_id": 100_000_001, "amount": "500.00"}),
    )
    .await;
    assert_eq!(expired.param(), "reference_id");
    assert!(expired.text.contains("expired"), "{}", expired.text);
    // No payment and no event came of any of them.
    let (_, payments) = app.get("/v1/payments").await;
    assert_eq!(payments["data"].as_array().unwrap().len(), 0);
    let (_, events) = app.get("/v1/events").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 0);
    assert!(queue(&app).await.is_empty());
    Some(app)
}

async fn bad_input_answers_400_naming_the_param(app: TestApp) -> Option<TestApp> {
    let put = |id: &'static str, body: Value| {
        let app = &app;
        async move {
            pp(
                app,
                Method::PUT,
                &format!("/references/{id}"),
                Some((JSON, &body.to_string())),
            )
            .await
        }
    };
    assert_eq!(
        put("123", json!({"amount": "1.234"})).await.param(),
        "amount"
    );
    assert_eq!(put("123", json!({"amount": "0"})).await.param(), "amount");
    assert_eq!(
        put("123", json!({"amount": "100000000.00"})).await.param(),
        "amount"
    );
    assert_eq!(put("123", json!({"amount": -5})).await.param(), "amount");
    assert_eq!(put("123", json!({"amount": true})).await.param(), "amount");
    assert_eq!(
        put("123", json!({"end_datetime": "2001-01-01"}))
            .await
            .param(),
        "end_datetime"
    );
    assert_eq!(
        put("123", json!({"end_datetime": "tomorrow"}))
            .await
            .param(),
        "end_datetime"
    );
    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    assert_eq!(
        put("123", json!({"custom_fields": eleven})).await.param(),
        "custom_fields"
    );
    assert_eq!(
        put("123", json!({"custom_fields": {"n": 5}})).await.param(),
        "custom_fields"
    );
    assert_eq!(put("1234567890", json!({})).await.param(), "id");
    assert_eq!(put("0", json!({})).await.param(), "id");
    // JSON numbers with leading zeros are invalid JSON (RFC 4627).
    let a = pp(
        &app,
        Method::POST,
        "/payments",
        Some((JSON, r#"{"reference_id": 012345678, "amount": "1.00"}"#)),
    )
    .await;
    assert_eq!(a.param(), "body");
    assert_eq!(
        mock(&app, &json!({"amount": "1.00"})).await.param(),
        "reference_id"
    );
    assert_eq!(
        mock(&app, &json!({"reference_id": 5})).await.param(),
        "amount"
    );
    for n in ["0", "101", "abc", "-1"] {
        let a = pp(&app, Method::GET, &format!("/payments?n={n}"), None).await;
        assert_eq!(a.param(), "n", "n={n}");
    }
    let a = pp(&app, Method::GET, "/payments?n=100", None).await;
    assert_eq!(a.status, 200);

    // 401, 404, 405, 406.
    let a = pp_as(
        &app,
        "sk_test_nobody0000000000000000",
        Method::GET,
        "/payments",
        None,
    )
    .await;
    assert_eq!(a.status, 401);
    let a = app
        .client
        .get(format!("{}/payments", app.proxypay_base))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 401);
    let a = pp(&app, Method::GET, "/nothing/here", None).await;
    assert_eq!(a.status, 404);
    let a = pp(&app, Method::DELETE, "/payments/123456789012", None).await;
    assert_eq!(a.status, 404);
    let a = pp(&app, Method::PATCH, "/payments", None).await;
    assert_eq!(a.status, 405);
    let a = app
        .client
        .get(format!("{}/payments", app.proxypay_base))
        .header("Authorization", format!("Token {KEY}"))
        .header("Accept", "application/vnd.proxypay.v1+json")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 406);
    for accept in ["application/json", "*/*"] {
        let a = app
            .client
            .get(format!("{}/payments", app.proxypay_base))
            .header("Authorization", format!("Token {KEY}"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(a.status(), 200, "Accept: {accept} gets the latest");
    }

    // Mock payments do not exist for live keys.
    let merchant = app.engine.authenticate(KEY).await.unwrap().merchant_id;
    let live = app
        .engine
        .create_api_key(&merchant, Mode::Live)
        .await
        .unwrap();
    let a = pp_as(
        &app,
        live.secret.expose_secret(),
        Method::POST,
        "/payments",
        Some((JSON, r#"{"reference_id": 1, "amount": "1.00"}"#)),
    )
    .await;
    assert_eq!(a.status, 404);
    Some(app)
}

// One test per habit in ../shared/reference/proxypay-clients.md.

async fn habit_trailing_slashes(app: TestApp) -> Option<TestApp> {
    let a = pp(&app, Method::POST, "/reference_ids/", None).await;
    assert_eq!(a.status, 200);
    let a = pp(&app, Method::GET, "/payments/", None).await;
    assert_eq!((a.status, a.text.as_str()), (StatusCode::OK, "[]"));
    put_reference(&app, "200000001/", &json!({})).await;
    Some(app)
}

async fn habit_bodies_on_bodyless_requests(app: TestApp) -> Option<TestApp> {
    // Content-Type: application/json with an empty body on GET and DELETE (proxypay-py).
    let a = pp(&app, Method::GET, "/payments", Some((JSON, ""))).await;
    assert_eq!(a.status, 200);
    // A literal {} on POST /reference_ids and DELETE /payments/{id} (django-proxypay, Kotlin).
    let a = pp(&app, Method::POST, "/reference_ids", Some((JSON, "{}"))).await;
    assert_eq!(a.status, 200);
    put_reference(&app, "300000001", &json!({})).await;
    let paid = mock(
        &app,
        &json!({"reference_id": 300_000_001, "amount": "10.00"}),
    )
    .await;
    let pid = paid.json()["id"].as_i64().unwrap();
    let a = pp(
        &app,
        Method::DELETE,
        &format!("/payments/{pid}"),
        Some((JSON, "{}")),
    )
    .await;
    assert_eq!(a.status, 204);
    // A form Content-Type with an empty body on POST /reference_ids (mercynet).
    let a = pp(
        &app,
        Method::POST,
        "/reference_ids",
        Some(("application/x-www-form-urlencoded", "")),
    )
    .await;
    assert_eq!(a.status, 200);
    Some(app)
}

async fn habit_form_encoded_put(app: TestApp) -> Option<TestApp> {
    let a = pp(
        &app,
        Method::PUT,
        "/references/400000001",
        Some((
            "application/x-www-form-urlencoded",
            "amount=1200&end_datetime=2099-11-25&custom_fields%5Border%5D=X1&custom_fields%5Buuid%5D=6f1c",
        )),
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.text);
    let paid = mock(
        &app,
        &json!({"reference_id": 400_000_001, "amount": "1200.00"}),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(
        paid.json()["custom_fields"],
        json!({"order": "X1", "uuid": "6f1c"})
    );
    Some(app)
}

async fn habit_amount_types(app: TestApp) -> Option<TestApp> {
    for (i, (amount, paid_as, shown)) in [
        (json!(1780.78), json!("1780.78"), "1780.78"),
        (json!(100), json!(100), "100.00"),
        (json!("1500.5"), json!(1500.50), "1500.50"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("50000000{i}");
        put_reference(&app, &id, &json!({"amount": amount})).await;
        let p = mock(&app, &json!({"reference_id": id, "amount": paid_as})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(p.json()["amount"], shown);
    }
    Some(app)
}

async fn habit_padded_and_chosen_ids(app: TestApp) -> Option<TestApp> {
    // Padded to 9 digits with a leading zero: the same reference as without it.
    put_reference(&app, "012345678", &json!({"amount": "10.00"})).await;
    let p = mock(
        &app,
        &json!({"reference_id": 12_345_678, "amount": "10.00"}),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json()["reference_id"], 12_345_678);
    let p = mock(
        &app,
        &json!({"reference_id": "012345678", "amount": "10.00"}),
    )
    .await;
    assert_eq!(p.status, 200, "a string id, padded");
    let a = pp(&app, Method::DELETE, "/references/12345678", None).await;
    assert_eq!(a.status, 204);
    // Caller-chosen ids without /reference_ids (nellcorp, basalt).
    put_reference(&app, "987654321", &json!({})).await;
    Some(app)
}

async fn habit_product_ids_and_escaped_json(app: TestApp) -> Option<TestApp> {
    // proxypay-py sends product_ids: [] on every PUT; PHP escapes "/" as "\/".
    let a = pp(
        &app,
        Method::PUT,
        "/references/600000001",
        Some((
            JSON,
            r#"{"amount":"25.00","custom_fields":{"invoice":"2018\/0333"},"product_ids":[]}"#,
        )),
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.text);
    let p = mock(
        &app,
        &json!({"reference_id": 600_000_001, "amount": "25.00"}),
    )
    .await;
    assert_eq!(p.json()["custom_fields"]["invoice"], "2018/0333");
    // PHP's json_encode of an empty array for custom_fields.
    put_reference(&app, "600000002", &json!({"custom_fields": []})).await;
    Some(app)
}

async fn habit_end_datetime_forms(app: TestApp) -> Option<TestApp> {
    for (i, end) in [
        "2099-12-31",
        "2099-12-31T18:00:00Z",
        "2099-12-31T18:00:00.123456789+01:00",
        "2099/03/14",
    ]
    .into_iter()
    .enumerate()
    {
        put_reference(&app, &format!("70000000{i}"), &json!({"end_datetime": end})).await;
    }
    Some(app)
}

async fn habit_reference_ids_are_bare_integers(app: TestApp) -> Option<TestApp> {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let a = pp(&app, Method::POST, "/reference_ids", None).await;
        assert_eq!(a.status, 200);
        assert_eq!(a.text.trim(), a.text, "no whitespace around {:?}", a.text);
        assert!(a.text.bytes().all(|b| b.is_ascii_digit()), "{:?}", a.text);
        assert!(seen.insert(a.text.clone()), "no repeat");
    }
    Some(app)
}

async fn proxypay_webhook_signed_with_the_api_key(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": rx.url, "format": "proxypay"}),
        )
        .await;
    assert_eq!(s, 200, "{we}");
    assert_eq!(we["format"], "proxypay");
    assert_eq!(we["events"], json!(["payment.settled"]));
    assert!(we.get("secret").is_none(), "the API key is not echoed");
    let stored =
        crate::secrets::raw(&app.database_url, "SELECT secret FROM webhook_endpoints").await;
    assert!(
        stored[0].starts_with("kv1.") && !stored[0].contains(KEY),
        "the signing key is sealed at rest"
    );
    // A mobile-money payment does not go to a ProxyPay endpoint…
    app.create(1000, "+2250700000789").await;
    app.tick().await;
    app.steps(3).await;
    // …a payment by reference does, as the flat object signed with the API key.
    put_reference(
        &app,
        "800000001",
        &json!({"custom_fields": {"djpp_uuid_ref": "u-1"}}),
    )
    .await;
    let paid = mock(
        &app,
        &json!({"reference_id": 800_000_001, "amount": "77.00"}),
    )
    .await;
    assert_eq!(app.engine.run_dispatch_until_idle().await.unwrap(), 1);
    let got = rx.take();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        r.x_signature,
        kumbu_engine::signature::plain_hex(KEY, r.body.as_bytes())
    );
    assert!(
        r.signature.is_empty(),
        "no Kumbu-Signature on ProxyPay bodies"
    );
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body, paid.json());
    assert_eq!(body["custom_fields"]["djpp_uuid_ref"], "u-1");
    // A failed delivery is retried like any other.
    rx.answer(500);
    mock(
        &app,
        &json!({"reference_id": 800_000_001, "amount": "1.00"}),
    )
    .await;
    assert_eq!(app.engine.run_dispatch_until_idle().await.unwrap(), 1);
    rx.answer(204);
    app.clock.advance(Duration::from_secs(40));
    assert_eq!(app.engine.run_dispatch_until_idle().await.unwrap(), 1);
    assert_eq!(rx.take().len(), 2);
    // Delivered by webhook, so not also served by the queue ("otherwise … Get Payments").
    assert!(queue(&app).await.is_empty());
    // Rotating makes no sense for a key-signed endpoint.
    let (s, _) = app
        .post(
            &format!(
                "/v1/webhook_endpoints/{}/rotate_secret",
                we["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(s, 400);
    Some(app)
}

async fn too_many_requests(backend: crate::harness::Backend) {
    let opts = crate::harness::Opts {
        proxypay_per_minute: 5,
        ..crate::harness::Opts::default()
    };
    let Some(app) = TestApp::spawn_with(backend, "proxypay_too_many_requests", opts).await else {
        return;
    };
    for _ in 0..5 {
        assert_eq!(pp(&app, Method::GET, "/payments", None).await.status, 200);
    }
    let resp = app
        .client
        .get(format!("{}/payments", app.proxypay_base))
        .header("Authorization", format!("Token {KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Counted per key and shared by both listeners: /compat/proxypay is limited too.
    let compat = app
        .client
        .get(app.url("/compat/proxypay/payments"))
        .header("Authorization", format!("Token {KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(compat.status(), 429);
    // The native API is not limited by it.
    let (s, _) = app.get("/v1/payments").await;
    assert_eq!(s, 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_sqlite() {
    too_many_requests(crate::harness::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_postgres() {
    too_many_requests(crate::harness::Backend::Postgres).await;
}

both!(
    references_payments_and_the_queue,
    refusals_leave_no_payment,
    bad_input_answers_400_naming_the_param,
    habit_trailing_slashes,
    habit_bodies_on_bodyless_requests,
    habit_form_encoded_put,
    habit_amount_types,
    habit_padded_and_chosen_ids,
    habit_product_ids_and_escaped_json,
    habit_end_datetime_forms,
    habit_reference_ids_are_bare_integers,
    proxypay_webhook_signed_with_the_api_key,
);
