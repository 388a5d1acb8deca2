//! Bank references in the native API: create (generated or chosen id), read, list, delete, the
//! sandbox's Multicaixa network, and the same references seen through the ProxyPay face.

use crate::both;
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn native_references(app: TestApp) -> Option<TestApp> {
    let body = json!({"amount": 970_184, "end_datetime": "2099-12-31",
                      "custom_fields": {"invoice": "A-1"}})
    .to_string();
    let idem = [("Idempotency-Key", "ref-1")];
    let (s, _, r) = app
        .send(Method::POST, "/v1/references", Some(&body), &idem)
        .await;
    assert_eq!(s, 200, "{r}");
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 9);
    assert_eq!(r["status"], "active");
    assert_eq!(r["amount"], 970_184);
    assert_eq!(r["end_at"], "2099-12-31T22:59:59.000Z", "23:59:59 GMT+1");
    assert!(r["entity"].as_i64().unwrap() >= 10_000);
    let (_, _, again) = app
        .send(Method::POST, "/v1/references", Some(&body), &idem)
        .await;
    assert_eq!(
        again["id"], id,
        "a retried create returns the same reference"
    );

    // A chosen id, zero-padded or not.
    let (s, _, r2) = app
        .send(
            Method::PUT,
            "/v1/references/012345678",
            Some(r#"{"custom_fields": {"k": "v"}}"#),
            &[],
        )
        .await;
    assert_eq!(s, 200, "{r2}");
    assert_eq!(r2["id"], "012345678");
    let (s, got) = app.get("/v1/references/12345678").await;
    assert_eq!(s, 200);
    assert_eq!(got["custom_fields"]["k"], "v");

    // Paying through the sandbox network: a settled AOA payment carrying the custom fields.
    let (s, p) = app
        .post(
            &format!("/v1/sandbox/references/{id}/pay"),
            &json!({"amount": 970_184}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "settled");
    assert_eq!(p["metadata"]["invoice"], "A-1");
    assert_eq!(p["bank_reference"]["reference"], id.as_str());
    assert!(p["bank_reference"]["payment_id"].as_i64().unwrap() > 100_000_000_000);
    let (_, r) = app.get(&format!("/v1/references/{id}")).await;
    assert_eq!(r["status"], "paid");
    let (s, e) = app
        .post(
            &format!("/v1/sandbox/references/{id}/pay"),
            &json!({"amount": 1}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["code"], "reference_amount_mismatch");
    assert_eq!(e["error"]["param"], "amount");
    let (_, events) = app.get("/v1/events?type=payment.settled").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1);

    // Listing, newest first, with cursors.
    let (_, list) = app.get("/v1/references?limit=1").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["has_more"], true);
    let last = list["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, rest) = app
        .get(&format!("/v1/references?limit=10&starting_after={last}"))
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["has_more"], false);

    // Deleted: shown as such, no longer payable; expired after its end.
    let (s, _, d) = app
        .send(Method::DELETE, "/v1/references/12345678", None, &[])
        .await;
    assert_eq!((s.as_u16(), d["status"].as_str()), (200, Some("deleted")));
    let (s, e) = app
        .post("/v1/sandbox/references/12345678/pay", &json!({"amount": 5}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["code"], "reference_not_payable");
    app.clock
        .advance(Duration::from_secs(100 * 366 * 24 * 3600));
    let (_, r) = app.get(&format!("/v1/references/{id}")).await;
    assert_eq!(r["status"], "expired");

    // Bad input names its field.
    for (body, field) in [
        (r#"{"amount": 0}"#, "amount"),
        (r#"{"amount": 10000000000}"#, "amount"),
        (r#"{"end_datetime": "2001-01-01"}"#, "end_datetime"),
        (r#"{"custom_fields": {"a": 1}}"#, "custom_fields.a"),
        (r#"{"colour": "red"}"#, "colour"),
    ] {
        let (s, _, e) = app
            .send(Method::POST, "/v1/references", Some(body), &[])
            .await;
        assert_eq!(s, 400, "{body}: {e}");
        assert_eq!(e["error"]["param"], field, "{body}: {e}");
    }
    let (s, _) = app.get("/v1/references/1234567890").await;
    assert_eq!(s, 404);
    Some(app)
}

async fn live_keys_cannot_simulate(app: TestApp) -> Option<TestApp> {
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
    let key = secrecy::ExposeSecret::expose_secret(&live.secret).to_owned();
    let auth = format!("Bearer {key}");
    let (s, _, r) = app
        .send(
            Method::PUT,
            "/v1/references/5",
            Some("{}"),
            &[("Authorization", &auth)],
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["livemode"], true);
    let (s, _, e) = app
        .send(
            Method::POST,
            "/v1/sandbox/references/5/pay",
            Some(r#"{"amount": 100}"#),
            &[("Authorization", &auth)],
        )
        .await;
    assert_eq!(s, 403, "{e}");
    // The test key does not see the live reference.
    let (s, _) = app.get("/v1/references/5").await;
    assert_eq!(s, 404);
    let _: Value = r;
    Some(app)
}

both!(native_references, live_keys_cannot_simulate);
