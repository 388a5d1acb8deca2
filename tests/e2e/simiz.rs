//! The Simiz face, requests written from its documentation (../shared/seeds/simiz-create-payment.txt):
//! payments paid on Kumbu's page, checkout sessions, refunds, webhooks signed with
//! `X-Simiz-Signature` (recomputed here with HMAC-SHA256 by a real receiver), errors in its
//! envelope naming the field.

use crate::both;
use crate::checkout::Visitor;
use crate::harness::{TestApp, KEY};
use crate::receiver::Receiver;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeSet;

/// The sandbox key as Simiz prints keys.
fn simiz_key() -> String {
    format!("smz_test_sk_{}", KEY.strip_prefix("sk_test_").unwrap())
}

async fn smz(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&str>,
    idem: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = app
        .client
        .request(method, app.url(&format!("/compat/simiz/v1{path}")))
        .header("authorization", format!("Bearer {}", simiz_key()));
    if let Some(k) = idem {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap_or(Value::Null))
}

/// The seed's request body, verbatim.
const SEED_BODY: &str = r#"{
    "userId": "550e8400-e29b-41d4-a716-446655440000",
    "amount": 5000,
    "currency": "XAF",
    "returnUrl": "https://merchant.com/payment/success",
    "cancelUrl": "https://merchant.com/payment/cancel",
    "description": "Order #1234"
  }"#;

fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok())
}

async fn payments_as_documented(app: TestApp) -> Option<TestApp> {
    let (s, h, p) = smz(
        &app,
        Method::POST,
        "/payments",
        Some(SEED_BODY),
        Some("unique-key-123"),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert!(h.get("idempotent-replayed").is_none());
    // Exactly the documented response's fields.
    let keys: BTreeSet<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    let documented: BTreeSet<&str> = [
        "id",
        "token",
        "projectId",
        "amount",
        "currency",
        "status",
        "paymentUrl",
        "description",
        "livemode",
        "createdAt",
        "completedAt",
    ]
    .into();
    assert_eq!(keys, documented, "{p}");
    assert!(is_uuid(&p["id"]) && is_uuid(&p["projectId"]), "{p}");
    let token = p["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("pay_") && token.len() >= 36, "{token}");
    assert_eq!(p["amount"], 5000);
    assert_eq!(p["currency"], "XAF");
    assert_eq!(p["status"], "PENDING");
    assert_eq!(p["livemode"], false);
    assert_eq!(p["completedAt"], Value::Null);
    assert_eq!(p["paymentUrl"], format!("{}/pay/{token}", app.base));
    assert!(p["createdAt"].as_str().unwrap().ends_with('Z'));
    // The same key replays the same payment; another body under it is refused.
    let (s2, h2, again) = smz(
        &app,
        Method::POST,
        "/payments",
        Some(SEED_BODY),
        Some("unique-key-123"),
    )
    .await;
    assert_eq!((s2.as_u16(), &again), (200, &p));
    assert_eq!(h2["idempotent-replayed"], "true");
    let other = SEED_BODY.replace("5000", "6000");
    let (s3, _, e) = smz(
        &app,
        Method::POST,
        "/payments",
        Some(&other),
        Some("unique-key-123"),
    )
    .await;
    assert_eq!(
        (s3.as_u16(), e["error"]["code"].as_str()),
        (400, Some("idempotency_error"))
    );
    // Read back by token and by id.
    let (_, _, by_token) = smz(&app, Method::GET, &format!("/payments/{token}"), None, None).await;
    let id = p["id"].as_str().unwrap();
    let (_, _, by_id) = smz(
        &app,
        Method::GET,
        &format!("/payments/{id}?expand=customer"),
        None,
        None,
    )
    .await;
    assert_eq!(by_token, p);
    assert_eq!(by_id, p);

    // Nothing to refund before it is paid.
    let (s, _, e) = smz(
        &app,
        Method::POST,
        "/refunds",
        Some(&json!({"paymentId": token}).to_string()),
        None,
    )
    .await;
    assert_eq!(
        (
            s.as_u16(),
            e["error"]["code"].as_str(),
            e["error"]["param"].as_str()
        ),
        (409, Some("conflict"), Some("paymentId"))
    );
    // The customer pays on the page Simiz handed out.
    let (v, page) = Visitor::open(p["paymentUrl"].as_str().unwrap(), Some("fr")).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("5\u{202f}000\u{a0}XAF"));
    assert_eq!(
        v.post("", &[("phone", "+237690000789"), ("operator", "orange_cm")])
            .await
            .status,
        303
    );
    app.tick().await;
    app.steps(1).await;
    let (_, _, processing) =
        smz(&app, Method::GET, &format!("/payments/{token}"), None, None).await;
    assert_eq!(processing["status"], "PROCESSING", "{processing}");
    app.steps(4).await;
    let (_, _, done) = smz(&app, Method::GET, &format!("/payments/{token}"), None, None).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["paymentMethod"], "ORANGE_MONEY");
    assert_eq!(done["payerPhone"], "+237690000789");
    assert!(
        done["payerName"].is_string() && done["reference"].is_string(),
        "{done}"
    );
    assert!(done["completedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        done["paymentUrl"],
        Value::Null,
        "a completed payment has no page to pay"
    );

    let (_, _, list) = smz(&app, Method::GET, "/payments?limit=5", None, None).await;
    assert_eq!(list["data"][0]["id"], p["id"]);
    assert_eq!(list["has_more"], false);

    // A refund of all of it.
    let (s, _, r) = smz(
        &app,
        Method::POST,
        "/refunds",
        Some(&json!({"paymentId": token, "reason": "customer_request"}).to_string()),
        Some("rf-1"),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["amount"].as_i64(), r["status"].as_str(), &r["paymentId"]),
        (Some(5000), Some("PENDING"), &p["id"])
    );
    for _ in 0..3 {
        app.advance(crate::harness::DELAY).await;
        app.engine.run_refund_batch().await.unwrap();
    }
    let (_, _, r2) = smz(
        &app,
        Method::GET,
        &format!("/refunds/{}", r["id"].as_str().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(r2["status"], "COMPLETED", "{r2}");
    let (_, _, refunded) = smz(&app, Method::GET, &format!("/payments/{token}"), None, None).await;
    assert_eq!(refunded["status"], "REFUNDED");
    app.ledger_ok().await;
    Some(app)
}

async fn errors_name_the_field(app: TestApp) -> Option<TestApp> {
    let seed: Value = serde_json::from_str(SEED_BODY).unwrap();
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (json!({"userId": null}), 400, "validation_error", "userId"),
        (
            json!({"userId": "user-42"}),
            400,
            "validation_error",
            "userId",
        ),
        (json!({"amount": 99}), 400, "validation_error", "amount"),
        (json!({"amount": 100.5}), 400, "validation_error", "amount"),
        (json!({"amount": "5000"}), 400, "validation_error", "amount"),
        (
            json!({"returnUrl": null}),
            400,
            "validation_error",
            "returnUrl",
        ),
        (
            json!({"cancelUrl": "/cancel"}),
            400,
            "validation_error",
            "cancelUrl",
        ),
        (
            json!({"currency": "EUR"}),
            400,
            "validation_error",
            "currency",
        ),
        (
            json!({"amount": 2_000_001, "currency": "XOF"}),
            400,
            "validation_error",
            "amount",
        ),
    ];
    for (patch, status, code, param) in cases {
        let mut body = seed.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let (s, _, e) = smz(
            &app,
            Method::POST,
            "/payments",
            Some(&body.to_string()),
            None,
        )
        .await;
        assert_eq!(s.as_u16(), status, "{patch}: {e}");
        assert_eq!(e["error"]["code"], code, "{patch}: {e}");
        assert_eq!(e["error"]["param"], param, "{patch}: {e}");
    }
    // 100 XOF, the documented minimum, is taken; a whole amount written 5000.0 too.
    let ok = seed.clone();
    let mut xof = ok.clone();
    xof["amount"] = json!(100);
    xof["currency"] = json!("XOF");
    assert_eq!(
        smz(
            &app,
            Method::POST,
            "/payments",
            Some(&xof.to_string()),
            None
        )
        .await
        .0,
        200
    );
    let float = SEED_BODY.replace("5000", "5000.0");
    let (s, _, p) = smz(&app, Method::POST, "/payments", Some(&float), None).await;
    assert_eq!((s.as_u16(), p["amount"].as_i64()), (200, Some(5000)));
    // Amounts are read on their text, never through a float: 5e3 is 5000, but a number a
    // double would round to a whole one is not whole (issue 23: it became a payment of 1000).
    let exp = SEED_BODY.replace("5000", "5e3");
    let (s, _, p) = smz(&app, Method::POST, "/payments", Some(&exp), None).await;
    assert_eq!((s.as_u16(), p["amount"].as_i64()), (200, Some(5000)));
    for (text, why) in [
        ("999.99999999999999999", "not whole"),
        ("4999.5", "not whole"),
        ("1e30", "beyond any payment"),
    ] {
        let body = SEED_BODY.replace("5000", text);
        let (s, _, e) = smz(&app, Method::POST, "/payments", Some(&body), None).await;
        assert_eq!(
            (s.as_u16(), e["error"]["param"].as_str()),
            (400, Some("amount")),
            "{text} ({why}): {e}"
        );
        assert_eq!(e["error"]["code"], "validation_error", "{text}: {e}");
    }
    let (s, _, e) = smz(&app, Method::POST, "/payments", Some("{not json"), None).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (400, Some("validation_error"))
    );
    // Keys: a wrong one is `invalid_api_key`; the plain sk_test_ form works too.
    let r = app
        .client
        .get(app.url("/compat/simiz/v1/payments"))
        .header("authorization", "Bearer smz_test_sk_nope000000000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "invalid_api_key");
    let r = app
        .client
        .get(app.url("/compat/simiz/v1/payments"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, _, e) = smz(&app, Method::GET, "/payments/pay_nothing", None, None).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (s, _, e) = smz(&app, Method::GET, "/nowhere", None, None).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    Some(app)
}

async fn checkout_sessions(app: TestApp) -> Option<TestApp> {
    let (_, _, p) = smz(&app, Method::POST, "/payments", Some(SEED_BODY), None).await;
    let project = p["projectId"].as_str().unwrap().to_owned();
    let body = json!({
        "amount": 2500, "currency": "XOF", "successUrl": "https://merchant.com/ok",
        "cancelUrl": "https://merchant.com/no", "description": "Ticket",
        "customer": {"name": "Awa", "phone": "+2250700000789"}, "metadata": {"ticket": 9}
    });
    let (s, _, cs) = smz(
        &app,
        Method::POST,
        &format!("/projects/{project}/checkout/sessions"),
        Some(&body.to_string()),
        None,
    )
    .await;
    assert_eq!(s, 200, "{cs}");
    assert!(cs["id"].as_str().unwrap().starts_with("cs_"));
    assert_eq!(cs["status"], "idle");
    assert_eq!(cs["merchantName"], "Sandbox merchant");
    assert_eq!(
        cs["paymentMethods"],
        json!(["ORANGE_MONEY", "MTN_MOMO", "MOOV_MONEY", "WAVE"])
    );
    assert_eq!(cs["metadata"]["ticket"], "9");
    let (v, page) = Visitor::open(cs["url"].as_str().unwrap(), None).await;
    assert!(
        page.html.contains("value=\"+2250700000789\""),
        "the customer's phone is prefilled"
    );
    v.post(
        "",
        &[("phone", "+2250700000789"), ("operator", "orange_ci")],
    )
    .await;
    app.tick().await;
    app.steps(1).await;
    let path = format!(
        "/projects/{project}/checkout/sessions/{}",
        cs["id"].as_str().unwrap()
    );
    let (_, _, pending) = smz(&app, Method::GET, &path, None, None).await;
    assert_eq!(pending["status"], "pending_ussd", "{pending}");
    app.steps(4).await;
    let (_, _, done) = smz(&app, Method::GET, &path, None, None).await;
    assert_eq!(
        (done["status"].as_str(), done["paymentMethod"].as_str()),
        (Some("success"), Some("ORANGE_MONEY"))
    );
    let other = "00000000-0000-4000-8000-000000000000";
    let (s, _, e) = smz(
        &app,
        Method::POST,
        &format!("/projects/{other}/checkout/sessions"),
        Some(&body.to_string()),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["param"].as_str()),
        (404, Some("projectId"))
    );
    Some(app)
}

fn hmac_hex(secret: &str, preimage: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(preimage.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

async fn webhooks_signed_as_simiz_signs(app: TestApp) -> Option<TestApp> {
    let rx = Receiver::start().await;
    let body = json!({"url": rx.url, "events": ["transaction.created", "transaction.completed"]});
    let (s, _, w) = smz(
        &app,
        Method::POST,
        "/webhooks",
        Some(&body.to_string()),
        None,
    )
    .await;
    assert_eq!(s, 200, "{w}");
    let secret = w["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        w["events"],
        json!(["transaction.created", "transaction.completed"])
    );
    let (s, _, e) = smz(
        &app,
        Method::POST,
        "/webhooks",
        Some(&json!({"url": rx.url, "events": ["payment.weird"]}).to_string()),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["param"].as_str()),
        (400, Some("events"))
    );

    let (_, _, p) = smz(&app, Method::POST, "/payments", Some(SEED_BODY), None).await;
    let (v, _) = Visitor::open(p["paymentUrl"].as_str().unwrap(), None).await;
    v.post("", &[("phone", "+237670000789"), ("operator", "mtn_cm")])
        .await;
    app.steps(5).await;
    app.engine.run_dispatch_until_idle().await.unwrap();
    let got = rx.take();
    let mut got = got;
    got.sort_by_key(|r| {
        serde_json::from_str::<Value>(&r.body).unwrap()["data"]["status"] != "PENDING"
    });
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        ["transaction.created", "transaction.completed"],
        "only subscribed events"
    );
    for r in &got {
        let (t, v1) = r.simiz_signature.split_once(',').unwrap();
        let t = t.strip_prefix("t=").unwrap();
        assert_eq!(
            v1.strip_prefix("v1=").unwrap(),
            hmac_hex(&secret, &format!("{t}.{}", r.body))
        );
        let e: Value = serde_json::from_str(&r.body).unwrap();
        assert!(e["id"].as_str().unwrap().starts_with("evt_"));
        assert!(e["created_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(e["data"]["id"], p["id"]);
    }
    let last: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(last["data"]["status"], "COMPLETED");
    assert_eq!(last["data"]["paymentMethod"], "MTN_MOMO");
    let (_, _, list) = smz(&app, Method::GET, "/webhooks", None, None).await;
    assert_eq!(list["data"][0]["status"], "active");
    assert!(list["data"][0].get("secret").is_none());
    Some(app)
}

/// The limits `/compat/simiz/openapi.json` states are the ones the gateway enforces: at each
/// limit a request is accepted, one past it refused with 400.
async fn document_limits_are_enforced(app: TestApp) -> Option<TestApp> {
    let doc = crate::openapi::document(&app, "/compat/simiz/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    let payment = |extra: Value| {
        let mut b: Value = serde_json::from_str(SEED_BODY).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let (_, _, p) = smz(&app, Method::POST, "/payments", Some(SEED_BODY), None).await;
    let project = p["projectId"].as_str().unwrap().to_owned();
    let sessions = format!("/projects/{project}/checkout/sessions");
    let session = |extra: Value| {
        let mut b = json!({"amount": 5000, "successUrl": "https://merchant.com/ok"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let many = |n: u64| Value::Object((0..n).map(|i| (format!("k{i}"), json!("v"))).collect());
    let keys = schemas["PaymentMetadata"]["maxProperties"]
        .as_u64()
        .unwrap();
    // (what, path, request at the limit, the same one past it)
    let mut cases: Vec<(String, &str, Value, Value)> = vec![(
        format!("{keys} payment metadata keys"),
        "/payments",
        payment(json!({"metadata": many(keys)})),
        payment(json!({"metadata": many(keys + 1)})),
    )];
    for (request, path, make) in [
        (
            "PaymentRequest",
            "/payments",
            &payment as &dyn Fn(Value) -> Value,
        ),
        ("SessionRequest", sessions.as_str(), &session),
    ] {
        for variant in schemas[request]["oneOf"].as_array().unwrap() {
            let currency = variant["title"].as_str().unwrap();
            let amount = &variant["properties"]["amount"];
            let (lo, hi) = (
                amount["minimum"].as_i64().unwrap(),
                amount["maximum"].as_i64().unwrap(),
            );
            cases.push((
                format!("{request} {currency} from {lo}"),
                path,
                make(json!({"currency": currency, "amount": lo})),
                make(json!({"currency": currency, "amount": lo - 1})),
            ));
            cases.push((
                format!("{request} {currency} to {hi}"),
                path,
                make(json!({"currency": currency, "amount": hi})),
                make(json!({"currency": currency, "amount": hi + 1})),
            ));
        }
    }
    let minutes = &schemas["SessionMinutes"];
    for (bound, past) in [("minimum", -1), ("maximum", 1)] {
        let at = minutes[bound].as_i64().unwrap();
        cases.push((
            format!("expiresInMinutes {at}"),
            sessions.as_str(),
            session(json!({"expiresInMinutes": at})),
            session(json!({"expiresInMinutes": at + past})),
        ));
    }
    let text = |n: u64| "x".repeat(n as usize);
    let (name, description) = (
        schemas["Text200"]["maxLength"].as_u64().unwrap(),
        schemas["Text500"]["maxLength"].as_u64().unwrap(),
    );
    cases.push((
        format!("customer name {name}"),
        sessions.as_str(),
        session(json!({"customer": {"name": text(name)}})),
        session(json!({"customer": {"name": text(name + 1)}})),
    ));
    cases.push((
        format!("description {description}"),
        "/payments",
        payment(json!({"description": text(description)})),
        payment(json!({"description": text(description + 1)})),
    ));
    for (what, path, ok, bad) in cases {
        let (s, _, v) = smz(&app, Method::POST, path, Some(&ok.to_string()), None).await;
        assert_eq!(s, 200, "{what} is accepted: {v}");
        let (s, _, v) = smz(&app, Method::POST, path, Some(&bad.to_string()), None).await;
        assert_eq!(s, 400, "past {what} is refused: {v}");
    }
    Some(app)
}

both!(
    payments_as_documented,
    errors_name_the_field,
    checkout_sessions,
    webhooks_signed_as_simiz_signs,
    document_limits_are_enforced,
);
