//! Refunds: the rules (settled money only, never more than collected, one in flight), the race
//! for one balance, the sandbox's failure trigger, ledger reversal and events.

use crate::both;
use crate::harness::{TestApp, DELAY};
use reqwest::Method;
use serde_json::{json, Value};

/// A payment carried to `settled`.
async fn settled(app: &TestApp, amount: i64) -> String {
    let p = app.create(amount, "+2250700000789").await;
    app.tick().await;
    app.steps(3).await;
    let id = p["id"].as_str().unwrap().to_owned();
    assert_eq!(app.status_of(&id).await, "settled");
    id
}

/// Moves every refund as far as the sandbox takes it (pending → processing → end).
async fn run_refunds(app: &TestApp) {
    for _ in 0..3 {
        app.clock.advance(DELAY);
        while app.engine.run_refund_batch().await.unwrap() > 0 {}
    }
}

async fn refund(app: &TestApp, body: Value) -> (u16, Value) {
    let (s, v) = app.post("/v1/refunds", &body).await;
    (s.as_u16(), v)
}

async fn full_and_partial_refunds(app: TestApp) -> Option<TestApp> {
    // All that remains, by default.
    let pid = settled(&app, 10_000).await;
    let (s, r) = refund(&app, json!({"payment": pid, "reason": "customer request"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["amount"].as_i64(), r["status"].as_str()),
        (Some(10_000), Some("pending"))
    );
    run_refunds(&app).await;
    let (_, r) = app
        .get(&format!("/v1/refunds/{}", r["id"].as_str().unwrap()))
        .await;
    assert_eq!(r["status"], "succeeded", "{r}");
    let p = app.payment(&pid).await;
    assert_eq!(
        (p["status"].as_str(), p["amount_refunded"].as_i64()),
        (Some("refunded"), Some(10_000))
    );
    let (s, e) = refund(&app, json!({"payment": pid})).await;
    assert_eq!(s, 409, "nothing left: {e}");

    // Part, then the rest; never more than what remains.
    let pid = settled(&app, 5_000).await;
    let (s, r1) = refund(&app, json!({"payment": pid, "amount": 2_000})).await;
    assert_eq!(s, 200, "{r1}");
    let (s, e) = refund(&app, json!({"payment": pid, "amount": 1_000})).await;
    assert_eq!(s, 409, "one refund in flight per payment: {e}");
    run_refunds(&app).await;
    assert_eq!(app.status_of(&pid).await, "partially_refunded");
    let (s, e) = refund(&app, json!({"payment": pid, "amount": 3_001})).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["param"], "amount");
    let (s, _) = refund(&app, json!({"payment": pid, "amount": 3_000})).await;
    assert_eq!(s, 200);
    run_refunds(&app).await;
    assert_eq!(app.status_of(&pid).await, "refunded");

    // Listing by payment, and the events in order.
    let (_, list) = app.get(&format!("/v1/refunds?payment={pid}")).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    // A page of one, then the page after it: the other refund, and nothing more.
    let (_, one) = app.get(&format!("/v1/refunds?payment={pid}&limit=1")).await;
    assert_eq!(
        (one["data"].as_array().unwrap().len(), &one["has_more"]),
        (1, &json!(true))
    );
    let after = one["data"][0]["id"].as_str().unwrap();
    let (_, two) = app
        .get(&format!(
            "/v1/refunds?payment={pid}&limit=1&starting_after={after}"
        ))
        .await;
    assert_eq!(two["data"].as_array().unwrap().len(), 1, "{two}");
    assert_ne!(two["data"][0]["id"], one["data"][0]["id"]);
    assert_eq!(two["has_more"], false);
    let (_, events) = app.get("/v1/events?limit=100").await;
    let types: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for t in [
        "refund.created",
        "refund.succeeded",
        "payment.partially_refunded",
        "payment.refunded",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    app.ledger_ok().await;
    // The merchant's available balance lost the refunds (fees are not given back).
    let (_, balance) = app.get("/v1/balance").await;
    let xof = balance["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["currency"] == "XOF")
        .cloned()
        .unwrap();
    assert!(xof["available"].as_i64().unwrap() < 0, "{balance}");
    Some(app)
}

async fn refund_rules(app: TestApp) -> Option<TestApp> {
    // Only money that moved: a payment still waiting is refused.
    let waiting = app.create(1_000, "+2250700000009").await;
    let (s, e) = refund(&app, json!({"payment": waiting["id"]})).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "payment_state_conflict");
    // Unknown payments, bad amounts, unknown fields.
    let (s, _) = refund(&app, json!({"payment": "pay_nope"})).await;
    assert_eq!(s, 404);
    let pid = settled(&app, 2_000).await;
    for (body, param) in [
        (json!({"payment": pid, "amount": 0}), "amount"),
        (json!({"payment": pid, "amount": -5}), "amount"),
        (json!({"payment": pid, "amount": "10"}), "amount"),
        (json!({"payment": pid, "colour": "red"}), "colour"),
        (json!({"amount": 5}), "payment"),
    ] {
        let (s, e) = refund(&app, body.clone()).await;
        assert_eq!(s, 400, "{body}: {e}");
        assert_eq!(e["error"]["param"], param, "{body}: {e}");
    }
    // The sandbox trigger: an amount ending in 13 fails; the money is then free to refund.
    let (s, r) = refund(&app, json!({"payment": pid, "amount": 1_013})).await;
    assert_eq!(s, 200);
    run_refunds(&app).await;
    let (_, r) = app
        .get(&format!("/v1/refunds/{}", r["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (r["status"].as_str(), r["failure_code"].as_str()),
        (Some("failed"), Some("PROVIDER_ERROR"))
    );
    assert_eq!(app.status_of(&pid).await, "settled");
    let (s, r) = refund(&app, json!({"payment": pid})).await;
    assert_eq!((s, r["amount"].as_i64()), (200, Some(2_000)));
    // Live refunds need a live connector, which does not exist yet.
    let merchant = app
        .engine
        .authenticate(crate::harness::KEY)
        .await
        .unwrap()
        .merchant_id;
    let live = app
        .engine
        .create_api_key(&merchant, kumbu_core::Mode::Live)
        .await
        .unwrap();
    let auth = format!(
        "Bearer {}",
        secrecy::ExposeSecret::expose_secret(&live.secret)
    );
    let (s, _, e) = app
        .send(
            Method::POST,
            "/v1/refunds",
            Some(r#"{"payment": "pay_x"}"#),
            &[("Authorization", &auth)],
        )
        .await;
    // Live refunds go to the payment's operator (tests/e2e/live.rs); a live key never sees a
    // test payment.
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (404, Some("resource_missing"))
    );
    // Idempotency: a retry returns the same refund.
    let pid2 = settled(&app, 3_000).await;
    let body = json!({"payment": pid2, "amount": 100}).to_string();
    let idem = [("Idempotency-Key", "refund-1")];
    let (_, _, a) = app
        .send(Method::POST, "/v1/refunds", Some(&body), &idem)
        .await;
    let (_, h, b) = app
        .send(Method::POST, "/v1/refunds", Some(&body), &idem)
        .await;
    assert_eq!(a["id"], b["id"]);
    assert_eq!(h["idempotent-replayed"], "true");
    run_refunds(&app).await;
    app.ledger_ok().await;
    Some(app)
}

/// Two refunds racing for one payment's balance: exactly one is accepted.
async fn racing_refunds_never_over_refund(app: TestApp) -> Option<TestApp> {
    for round in 0..5 {
        let pid = settled(&app, 1_000).await;
        let body = json!({"payment": pid, "amount": 800});
        let (a, b) = tokio::join!(refund(&app, body.clone()), refund(&app, body.clone()));
        let mut codes = [a.0, b.0];
        codes.sort_unstable();
        assert_eq!(codes, [200, 409], "round {round}: {a:?} {b:?}");
        run_refunds(&app).await;
        let p = app.payment(&pid).await;
        assert_eq!(p["amount_refunded"], 800, "round {round}");
    }
    app.ledger_ok().await;
    Some(app)
}

both!(
    full_and_partial_refunds,
    refund_rules,
    racing_refunds_never_over_refund
);
