//! The PlexosPay face, requests written from its documentation: payments, refunds, customers,
//! webhooks (signature recomputed by a real receiver), errors in its envelope.

use crate::both;
use crate::harness::{TestApp, DELAY, KEY};
use crate::receiver::Receiver;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn px(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
    idem: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, app.url(&format!("/compat/plexospay/v1{path}")))
        .bearer_auth(KEY);
    if let Some(k) = idem {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

const SEED_BODY: &str = r#"{
  "amount": 10000,
  "operator": "CVMOVEL",
  "operatorPhone": "+2389001234",
  "currency": "CVE",
  "externalId": "order-1",
  "customer": {"phone": "+2389001234", "operator": "CVMOVEL", "name": "Ana", "email": "ana@example.cv"},
  "description": "Order 1",
  "statementDescriptor": "LOJA CENTRAL",
  "metadata": {"order": "1", "items": 3}
}"#;

async fn payments_as_documented(app: TestApp) -> Option<TestApp> {
    let body: Value = serde_json::from_str(SEED_BODY).unwrap();
    let (s, p) = px(
        &app,
        Method::POST,
        "/payments",
        Some(body.clone()),
        Some("px-1"),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pi_"), "{id}");
    assert_eq!(p["amount"], "10000");
    assert_eq!(p["currency"], "CVE");
    assert_eq!(p["operator"], "CVMOVEL");
    assert_eq!(p["operatorPhone"], "+2389001234");
    assert_eq!(p["status"], "CREATED");
    assert_eq!(p["externalId"], "order-1");
    assert_eq!(p["statementDescriptor"], "LOJA CENTRAL");
    assert_eq!(p["metadata"]["items"], "3");
    let fee: i64 = p["feeAmount"].as_str().unwrap().parse().unwrap();
    let net: i64 = p["netAmount"].as_str().unwrap().parse().unwrap();
    assert_eq!(fee + net, 10_000);
    for f in [
        "operatorTxId",
        "failureCode",
        "failureMessage",
        "customerId",
        "expiresAt",
        "createdAt",
        "updatedAt",
    ] {
        assert!(p.get(f).is_some(), "{f} present: {p}");
    }
    // The Idempotency-Key replays the same payment.
    let (_, again) = px(&app, Method::POST, "/payments", Some(body), Some("px-1")).await;
    assert_eq!(again["id"], id.as_str());
    // Through its lifecycle to SETTLED; GET shows it.
    app.tick().await;
    app.steps(3).await;
    let (s, got) = px(&app, Method::GET, &format!("/payments/{id}"), None, None).await;
    assert_eq!(
        (s.as_u16(), got["status"].as_str()),
        (200, Some("SETTLED")),
        "{got}"
    );
    assert!(got["operatorTxId"].is_string());
    // List: {data, hasMore}, cursor by starting_after.
    let (_, second) = px(
        &app,
        Method::POST,
        "/payments",
        Some(json!({"amount": 500, "operator": "UNITEL_TMAIS", "operatorPhone": "+2389101234"})),
        None,
    )
    .await;
    assert_eq!(
        second["currency"], "CVE",
        "the operator's currency by default: {second}"
    );
    let (_, page) = px(&app, Method::GET, "/payments?limit=1", None, None).await;
    assert_eq!(
        (
            page["data"].as_array().unwrap().len(),
            page["hasMore"].as_bool()
        ),
        (1, Some(true))
    );
    let last = page["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, rest) = px(
        &app,
        Method::GET,
        &format!("/payments?limit=100&starting_after={last}"),
        None,
        None,
    )
    .await;
    assert_eq!(rest["hasMore"], false);
    assert_eq!(rest["data"][0]["id"], id.as_str());
    // Cancel before debit.
    let sid = second["id"].as_str().unwrap();
    let (s, c) = px(
        &app,
        Method::POST,
        &format!("/payments/{sid}/cancel"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), c["status"].as_str()),
        (200, Some("CANCELLED")),
        "{c}"
    );
    assert_eq!(c["failureCode"], "CANCELLED");
    let (s, e) = px(
        &app,
        Method::POST,
        &format!("/payments/{id}/cancel"),
        None,
        None,
    )
    .await;
    assert_eq!((s.as_u16(), error_code(&e)), (409, "CONFLICT"));
    Some(app)
}

async fn errors_in_plexospays_envelope(app: TestApp) -> Option<TestApp> {
    for (body, code) in [
        (
            json!({"amount": 0, "operator": "CVMOVEL", "operatorPhone": "+2389001234"}),
            "VALIDATION_ERROR",
        ),
        (
            json!({"amount": 100000001, "operator": "CVMOVEL", "operatorPhone": "+2389001234"}),
            "VALIDATION_ERROR",
        ),
        (
            json!({"amount": 100, "operator": "ORANGE", "operatorPhone": "+2389001234"}),
            "VALIDATION_ERROR",
        ),
        (
            json!({"amount": 100, "operator": "CVMOVEL", "operatorPhone": "12"}),
            "VALIDATION_ERROR",
        ),
        (
            json!({"amount": 100, "operator": "CVMOVEL", "operatorPhone": "+2389001234", "currency": "EUR"}),
            "VALIDATION_ERROR",
        ),
        (
            json!({"operator": "CVMOVEL", "operatorPhone": "+2389001234"}),
            "VALIDATION_ERROR",
        ),
        (
            json!({"amount": 100, "operator": "CVMOVEL", "operatorPhone": "+2389001234", "customerId": "cu_nope"}),
            "VALIDATION_ERROR",
        ),
    ] {
        let (s, e) = px(&app, Method::POST, "/payments", Some(body.clone()), None).await;
        assert_eq!((s.as_u16(), error_code(&e)), (400, code), "{body}: {e}");
        assert!(e["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let (s, e) = px(&app, Method::GET, "/payments/pi_doesnotexist", None, None).await;
    assert_eq!((s.as_u16(), error_code(&e)), (404, "NOT_FOUND"));
    let resp = app
        .client
        .get(app.url("/compat/plexospay/v1/payments"))
        .bearer_auth("sk_test_nobody000000000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&e), "UNAUTHORIZED");
    let (s, e) = px(&app, Method::GET, "/payments?limit=500", None, None).await;
    assert_eq!((s.as_u16(), error_code(&e)), (400, "VALIDATION_ERROR"));
    Some(app)
}

async fn refunds_and_customers(app: TestApp) -> Option<TestApp> {
    let (s, cu) = px(&app, Method::POST, "/customers", Some(json!({"phone": "+2389001234", "operator": "CVMOVEL", "country": "CV", "name": "Ana", "email": "ana@example.cv", "metadata": {"tier": "gold"}})), None).await;
    assert_eq!(s, 200, "{cu}");
    let cid = cu["id"].as_str().unwrap().to_owned();
    assert!(cid.starts_with("cu_"));
    let (_, got) = px(&app, Method::GET, &format!("/customers/{cid}"), None, None).await;
    assert_eq!(got["name"], "Ana");
    let (_, list) = px(&app, Method::GET, "/customers", None, None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let (_, p) = px(&app, Method::POST, "/payments", Some(json!({"amount": 10000, "operator": "CVMOVEL", "operatorPhone": "+2389001234", "customerId": cid})), None).await;
    assert_eq!(p["customerId"], cid.as_str());
    let pid = p["id"].as_str().unwrap().to_owned();
    app.tick().await;
    app.steps(3).await;
    let (s, r) = px(
        &app,
        Method::POST,
        "/refunds",
        Some(json!({"paymentIntentId": pid, "amount": 4000, "reason": "requested_by_customer"})),
        Some("rf-1"),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["status"].as_str(),
            r["amount"].as_str(),
            r["paymentIntentId"].as_str()
        ),
        (Some("PENDING"), Some("4000"), Some(pid.as_str()))
    );
    for _ in 0..3 {
        app.clock.advance(DELAY);
        while app.engine.run_refund_batch().await.unwrap() > 0 {}
    }
    let (_, r) = px(
        &app,
        Method::GET,
        &format!("/refunds/{}", r["id"].as_str().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(r["status"], "SUCCEEDED");
    let (_, p) = px(&app, Method::GET, &format!("/payments/{pid}"), None, None).await;
    assert_eq!(p["status"], "PARTIALLY_REFUNDED");
    let (_, list) = px(
        &app,
        Method::GET,
        &format!("/refunds?payment_intent_id={pid}"),
        None,
        None,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (s, e) = px(
        &app,
        Method::POST,
        "/refunds",
        Some(json!({"paymentIntentId": pid, "amount": 7000})),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), error_code(&e)),
        (400, "VALIDATION_ERROR"),
        "{e}"
    );
    app.ledger_ok().await;
    Some(app)
}

async fn webhooks_signed_as_plexospay(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let (s, w) = px(&app, Method::POST, "/webhooks", Some(json!({"url": rx.url, "events": ["payment.created", "payment.settled"], "description": "shop"})), None).await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["status"], "ACTIVE");
    let secret = w["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let (_, p) = px(
        &app,
        Method::POST,
        "/payments",
        Some(json!({"amount": 10000, "operator": "CVMOVEL", "operatorPhone": "+2389001234"})),
        None,
    )
    .await;
    app.tick().await;
    app.steps(3).await;
    assert_eq!(app.engine.run_dispatch_until_idle().await.unwrap(), 2);
    let got = rx.take();
    assert_eq!(got.len(), 2);
    for r in &got {
        let t: i64 = r.plexos_timestamp.parse().unwrap();
        assert_eq!(
            r.plexos_signature,
            kumbu_engine::signature::v1(&secret, t, r.body.as_bytes())
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(body["data"]["id"], p["id"]);
        assert_eq!(body["data"]["amount"], "10000");
        assert!(body["createdAt"].is_string());
    }
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(types.contains(&"payment.settled".to_owned()));
    let (s, e) = px(
        &app,
        Method::POST,
        "/webhooks",
        Some(json!({"url": rx.url, "events": ["settlement.completed"]})),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), error_code(&e)), (400, "VALIDATION_ERROR"));
    Some(app)
}

async fn checkout_sessions_as_documented(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let (_, w) = px(
        &app,
        Method::POST,
        "/webhooks",
        Some(json!({"url": rx.url, "events": ["checkout.completed", "checkout.expired"]})),
        None,
    )
    .await;
    let secret = w["secret"].as_str().unwrap().to_owned();
    let body = json!({
        "currency": "CVE",
        "items": [{"productId": "prod_1", "name": "Caderno", "quantity": 3, "unitPrice": "1500", "currency": "CVE"}],
        "returnUrl": "https://loja.cv/carrinho",
        "completionUrl": "https://loja.cv/obrigado",
        "expiresInMinutes": 60,
        "metadata": {"order": 12}
    });
    let (s, cs) = px(
        &app,
        Method::POST,
        "/checkout/sessions",
        Some(body.clone()),
        Some("cs-1"),
    )
    .await;
    assert_eq!(s, 200, "{cs}");
    let id = cs["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cs_"));
    assert_eq!(
        (cs["amount"].as_str(), cs["status"].as_str()),
        (Some("4500"), Some("OPEN"))
    );
    assert_eq!(cs["items"][0]["unitPrice"], "1500");
    assert_eq!(cs["items"][0]["productId"], "prod_1");
    assert_eq!(cs["completionUrl"], "https://loja.cv/obrigado");
    assert_eq!(cs["returnUrl"], "https://loja.cv/carrinho");
    let (_, again) = px(
        &app,
        Method::POST,
        "/checkout/sessions",
        Some(body),
        Some("cs-1"),
    )
    .await;
    assert_eq!(again["id"], cs["id"]);

    let (v, page) =
        crate::checkout::Visitor::open(cs["url"].as_str().unwrap(), Some("pt-CV")).await;
    assert!(
        page.html.contains("lang=\"pt\"") && page.html.contains("45,00\u{a0}CVE"),
        "{}",
        page.html
    );
    assert_eq!(
        v.post("", &[("phone", "+2389001234"), ("operator", "cvmovel")])
            .await
            .status,
        303
    );
    app.steps(5).await;
    let (_, done) = px(
        &app,
        Method::GET,
        &format!("/checkout/sessions/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let pi = done["paymentIntentId"].as_str().unwrap();
    let (s, p) = px(&app, Method::GET, &format!("/payments/{pi}"), None, None).await;
    assert_eq!((s.as_u16(), p["amount"].as_str()), (200, Some("4500")));

    let (_, other) = px(
        &app,
        Method::POST,
        "/checkout/sessions",
        Some(json!({"amount": 1000, "returnUrl": "https://loja.cv/x"})),
        None,
    )
    .await;
    let other_id = other["id"].as_str().unwrap();
    let (s, exp) = px(
        &app,
        Method::POST,
        &format!("/checkout/sessions/{other_id}/expire"),
        None,
        None,
    )
    .await;
    assert_eq!((s.as_u16(), exp["status"].as_str()), (200, Some("EXPIRED")));
    let (_, list) = px(
        &app,
        Method::GET,
        "/checkout/sessions?status=COMPLETED",
        None,
        None,
    )
    .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], id.as_str());
    let (s, e) = px(
        &app,
        Method::GET,
        "/checkout/sessions?status=PAID",
        None,
        None,
    )
    .await;
    assert_eq!((s.as_u16(), error_code(&e)), (400, "VALIDATION_ERROR"));
    let (s, e) = px(
        &app,
        Method::POST,
        "/checkout/sessions",
        Some(json!({"amount": 1000, "currency": "AOA", "returnUrl": "https://loja.cv/x"})),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), error_code(&e)),
        (400, "VALIDATION_ERROR"),
        "{e}"
    );
    let (s, e) = px(
        &app,
        Method::POST,
        &format!("/checkout/sessions/{id}/expire"),
        None,
        None,
    )
    .await;
    assert_eq!((s.as_u16(), error_code(&e)), (409, "CONFLICT"));

    app.engine.run_dispatch_until_idle().await.unwrap();
    let mut types = Vec::new();
    for r in rx.take() {
        let t: i64 = r.plexos_timestamp.parse().unwrap();
        assert_eq!(
            r.plexos_signature,
            kumbu_engine::signature::v1(&secret, t, r.body.as_bytes())
        );
        let b: Value = serde_json::from_str(&r.body).unwrap();
        types.push((
            b["type"].as_str().unwrap().to_owned(),
            b["data"]["id"].as_str().unwrap().to_owned(),
        ));
    }
    types.sort();
    assert_eq!(
        types,
        [
            ("checkout.completed".to_owned(), id.clone()),
            ("checkout.expired".to_owned(), other_id.to_owned())
        ]
    );
    Some(app)
}

/// The limits `/compat/plexospay/openapi.json` states are the ones the gateway enforces: at
/// each limit a request is accepted, one past it refused with 400.
async fn document_limits_are_enforced(app: TestApp) -> Option<TestApp> {
    let doc = crate::openapi::document(&app, "/compat/plexospay/openapi.json").await;
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    let num = |v: &Value| v.as_u64().unwrap() as usize;
    let text = |n: usize| "x".repeat(n);
    let payment = |extra: Value| {
        let mut b = json!({"amount": 100, "operator": "MOCK", "operatorPhone": "+2389001234"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // (what, request at the limit, the same one past it)
    let mut cases: Vec<(String, &str, Value, Value)> = Vec::new();
    for (name, field) in [
        ("Text100", "statementDescriptor"),
        ("Text128", "externalId"),
        ("Text500", "description"),
    ] {
        let max = num(&schema(name)["maxLength"]);
        cases.push((
            format!("{field} {max}"),
            "/payments",
            payment(json!({field: text(max)})),
            payment(json!({field: text(max + 1)})),
        ));
    }
    for (name, field) in [("Text200", "name"), ("Text254", "email")] {
        let max = num(&schema(name)["maxLength"]);
        cases.push((
            format!("customer {field} {max}"),
            "/customers",
            json!({field: text(max)}),
            json!({field: text(max + 1)}),
        ));
    }
    let m = schema("FaceMetadata");
    let keys = num(&m["maxProperties"]);
    let key_len = num(&m["propertyNames"]["maxLength"]);
    let value_len = num(&m["additionalProperties"]["anyOf"][0]["maxLength"]);
    let many = |n: usize| Value::Object((0..n).map(|i| (format!("k{i}"), json!("v"))).collect());
    cases.push((
        format!("{keys} metadata keys"),
        "/customers",
        json!({"metadata": many(keys)}),
        json!({"metadata": many(keys + 1)}),
    ));
    cases.push((
        format!("metadata keys of {key_len}"),
        "/customers",
        json!({"metadata": {text(key_len): "v"}}),
        json!({"metadata": {text(key_len + 1): "v"}}),
    ));
    cases.push((
        format!("metadata values of {value_len}"),
        "/customers",
        json!({"metadata": {"k": text(value_len)}}),
        json!({"metadata": {"k": text(value_len + 1)}}),
    ));
    let session =
        |items: Value| json!({"items": items, "completionUrl": "https://shop.example/paid"});
    let quantity = schema("Quantity")["maximum"].as_i64().unwrap();
    cases.push((
        format!("quantity {quantity}"),
        "/checkout/sessions",
        session(json!([{"name": "a", "unitPrice": 1, "quantity": quantity}])),
        session(json!([{"name": "a", "unitPrice": 1, "quantity": quantity + 1}])),
    ));
    let max_items = num(
        &doc["components"]["schemas"]["SessionRequest"]["anyOf"][2]["properties"]["items"]
            ["maxItems"],
    );
    let items = |n: usize| Value::Array(vec![json!({"name": "a", "unitPrice": 1}); n]);
    cases.push((
        format!("{max_items} items"),
        "/checkout/sessions",
        session(items(max_items)),
        session(items(max_items + 1)),
    ));
    let minutes = schema("SessionMinutes");
    for (bound, past) in [("minimum", -1), ("maximum", 1)] {
        let at = minutes[bound].as_i64().unwrap();
        cases.push((
            format!("expiresInMinutes {at}"),
            "/checkout/sessions",
            json!({"amount": 100, "completionUrl": "https://a.example", "expiresInMinutes": at}),
            json!({"amount": 100, "completionUrl": "https://a.example", "expiresInMinutes": at + past}),
        ));
    }
    let amount =
        &doc["components"]["schemas"]["PaymentRequest"]["oneOf"][0]["properties"]["amount"];
    let hi = amount["maximum"].as_i64().unwrap();
    cases.push((
        format!("amount {hi}"),
        "/payments",
        json!({"amount": hi, "operator": "CVMOVEL", "operatorPhone": "+2389001234"}),
        json!({"amount": hi + 1, "operator": "CVMOVEL", "operatorPhone": "+2389001234"}),
    ));
    for (what, path, ok, bad) in cases {
        let (s, v) = px(&app, Method::POST, path, Some(ok), None).await;
        assert_eq!(s, 200, "{what} is accepted: {v}");
        let (s, v) = px(&app, Method::POST, path, Some(bad), None).await;
        assert_eq!(s, 400, "past {what} is refused: {v}");
    }
    Some(app)
}

both!(
    payments_as_documented,
    errors_in_plexospays_envelope,
    refunds_and_customers,
    webhooks_signed_as_plexospay,
    checkout_sessions_as_documented,
    document_limits_are_enforced,
);
