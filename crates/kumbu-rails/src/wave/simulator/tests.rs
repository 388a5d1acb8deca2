//! The simulator over a real socket: sessions paid and failed with signed webhooks, reads,
//! expiry and refunds, payouts with idempotency keys, credentials and request signing.

use super::{now, Config, Sim};
use crate::sim_http::testing::{receiver, until, Received};
use crate::wave::signature;
use serde_json::{json, Value};
use std::time::Duration;

/// A simulator sending webhooks to a receiver that keeps (signature, body).
async fn start(config: impl FnOnce(String) -> Config) -> (String, Received) {
    let (hook, got) = receiver().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(Sim::new(config(hook)).serve(listener, std::future::pending()));
    (url, got)
}

#[tokio::test]
async fn sessions_webhooks_and_payouts() {
    let (url, got) = start(|hook| Config {
        api_keys: vec!["wave_ci_prod_key".into()],
        webhook_url: Some(hook),
        webhook_secret: Some("wave_ci_WHS_secret".into()),
        payout_delay: Duration::from_millis(100),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::new();
    let api = |m: reqwest::Method, path: &str| {
        http.request(m, format!("{url}{path}"))
            .bearer_auth("wave_ci_prod_key")
    };
    // Credentials: missing, unknown.
    let r = http.get(format!("{url}/v1/balance")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "missing-auth-header"
    );
    let r = http
        .get(format!("{url}/v1/balance"))
        .bearer_auth("wave_ci_prod_other")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "no-matching-api-key"
    );

    // A session: amounts are strings of francs.
    let r = api(reqwest::Method::POST, "/v1/checkout/sessions")
        .json(&json!({"amount": 1000, "currency": "XOF", "success_url": "https://s.example/ok", "error_url": "https://s.example/ko"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["details"][0]["loc"][0],
        "amount"
    );
    let session = |reference: &'static str| {
        api(reqwest::Method::POST, "/v1/checkout/sessions")
            .json(
                &json!({"amount": "1500", "currency": "XOF", "success_url": "https://s.example/ok",
                "error_url": "https://s.example/ko", "client_reference": reference}),
            )
            .send()
    };
    let s: Value = session("order-1").await.unwrap().json().await.unwrap();
    assert_eq!(
        (&s["checkout_status"], &s["payment_status"]),
        (&json!("open"), &json!("processing"))
    );
    let id = s["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cos-"));
    assert_eq!(s["wave_launch_url"], json!(format!("{url}/c/{id}")));
    // A failed attempt, then a paid one, through the payer's page.
    let pay = |mobile: &'static str| {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let target = format!("{url}/c/{id}");
        async move {
            let r = client
                .post(target)
                .form(&[("action", "pay"), ("mobile", mobile)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            r.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(pay("+2250700000049").await, "https://s.example/ko");
    assert_eq!(pay("+2250700000789").await, "https://s.example/ok");
    until("two webhooks", || got.lock().unwrap().len() == 2).await;
    let hooks = got.lock().unwrap().clone();
    let at = now().unix_seconds();
    for (sig, body) in &hooks {
        assert!(
            signature::verify(sig, "wave_ci_WHS_secret", body.as_bytes(), at),
            "{sig}"
        );
    }
    let failed: Value = serde_json::from_str(&hooks[0].1).unwrap();
    let done: Value = serde_json::from_str(&hooks[1].1).unwrap();
    assert_eq!(failed["type"], "checkout.session.payment_failed");
    assert_eq!(
        failed["data"]["last_payment_error"]["code"],
        "insufficient-funds"
    );
    assert_eq!(done["type"], "checkout.session.completed");
    assert!(done["id"].as_str().unwrap().starts_with("EV_"));
    let transaction = done["data"]["transaction_id"].as_str().unwrap().to_owned();
    // Reads: by id, by transaction, by reference.
    let by_id: Value = api(reqwest::Method::GET, &format!("/v1/checkout/sessions/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&by_id["checkout_status"], &by_id["payment_status"]),
        (&json!("complete"), &json!("succeeded"))
    );
    let by_t: Value = api(
        reqwest::Method::GET,
        &format!("/v1/checkout/sessions?transaction_id={transaction}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(by_t["id"], json!(id));
    let found: Value = api(
        reqwest::Method::GET,
        "/v1/checkout/sessions/search?client_reference=order-1",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(found["result"].as_array().unwrap().len(), 1);
    // Refund once; expire only an open session.
    let refund = api(
        reqwest::Method::POST,
        &format!("/v1/checkout/sessions/{id}/refund"),
    );
    assert_eq!(refund.send().await.unwrap().status(), 200);
    let again = api(
        reqwest::Method::POST,
        &format!("/v1/checkout/sessions/{id}/refund"),
    );
    assert_eq!(again.send().await.unwrap().status(), 409);
    let other: Value = session("order-2").await.unwrap().json().await.unwrap();
    let other_id = other["id"].as_str().unwrap();
    let expire = api(
        reqwest::Method::POST,
        &format!("/v1/checkout/sessions/{other_id}/expire"),
    );
    assert_eq!(expire.send().await.unwrap().status(), 200);
    let r = api(
        reqwest::Method::POST,
        &format!("/v1/checkout/sessions/{id}/expire"),
    );
    assert_eq!(r.send().await.unwrap().status(), 409);

    // Payouts: idempotent by key; a number that fails; one processing, then succeeded.
    let payout = |mobile: &'static str, key: &'static str, amount: &'static str| {
        api(reqwest::Method::POST, "/v1/payout")
            .header("idempotency-key", key)
            .json(
                &json!({"currency": "XOF", "receive_amount": amount, "mobile": mobile,
                "client_reference": "payout-1"}),
            )
            .send()
    };
    let p: Value = payout("+2250700000789", "k-1", "2000")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&p["status"], &p["fee"]),
        (&json!("succeeded"), &json!("20")),
        "{p}"
    );
    let replay: Value = payout("+2250700000789", "k-1", "2000")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(replay["id"], p["id"]);
    assert_eq!(
        payout("+2250700000789", "k-1", "2001")
            .await
            .unwrap()
            .status(),
        409
    );
    let f: Value = payout("+2250700000049", "k-2", "2000")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&f["status"], &f["payout_error"]["error_code"]),
        (&json!("failed"), &json!("insufficient-funds"))
    );
    let slow: Value = payout("+2250700000059", "k-3", "2000")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(slow["status"], "processing");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let read: Value = api(
        reqwest::Method::GET,
        &format!("/v1/payout/{}", slow["id"].as_str().unwrap()),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(read["status"], "succeeded");
    let pid = p["id"].as_str().unwrap();
    let r = api(reqwest::Method::POST, &format!("/v1/payout/{pid}/reverse"));
    assert_eq!(r.send().await.unwrap().status(), 200);
    let searched: Value = api(
        reqwest::Method::GET,
        "/v1/payouts/search?client_reference=payout-1",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(searched["result"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn requests_signed_when_asked_and_webhook_faults() {
    let (url, got) = start(|hook| Config {
        request_signing_secret: Some("wave_ci_AKS_secret".into()),
        webhook_url: Some(hook),
        webhook_secret: Some("whs".into()),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::new();
    let body = r#"{"amount":"100","currency":"XOF","success_url":"https://s.example/ok","error_url":"https://s.example/ko"}"#;
    let post = |sig: Option<String>| {
        let mut r = http
            .post(format!("{url}/v1/checkout/sessions"))
            .bearer_auth("wave_ci_prod_any")
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = sig {
            r = r.header("Wave-Signature", s);
        }
        r.send()
    };
    let r = post(None).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "invalid-wave-signature"
    );
    let t = now().unix_seconds();
    let signed = signature::header(&["wave_ci_AKS_secret"], t, body.as_bytes());
    let s: Value = post(Some(signed)).await.unwrap().json().await.unwrap();
    let id = s["id"].as_str().unwrap();
    // Forged, stale, rotating: a forged copy first, then the real one signed ten minutes ago
    // with two v1 values.
    http.put(format!("{url}/_simulator/faults"))
        .json(&json!({"forged_webhooks": true, "stale_webhooks": true, "rotating_secret": true}))
        .send()
        .await
        .unwrap();
    let r = http
        .post(format!("{url}/_simulator/sessions/{id}/pay"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    until("two webhooks", || got.lock().unwrap().len() == 2).await;
    let hooks = got.lock().unwrap().clone();
    let at = now().unix_seconds();
    assert!(!signature::verify(
        &hooks[0].0,
        "whs",
        hooks[0].1.as_bytes(),
        at
    ));
    assert!(
        !signature::verify(&hooks[1].0, "whs", hooks[1].1.as_bytes(), at),
        "stale"
    );
    assert!(signature::verify(
        &hooks[1].0,
        "whs",
        hooks[1].1.as_bytes(),
        at - 600
    ));
    assert_eq!(hooks[1].0.matches("v1=").count(), 2);
}

/// Amounts beyond any wallet are refused, not overflowed; a payout the balance cannot cover
/// fails, even one that would have been processing; a session is refunded once.
#[tokio::test]
async fn huge_amounts_refused_and_the_balance_never_overdrawn() {
    let (url, _got) = start(|_| Config {
        opening_balance: 0,
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{url}/v1/payout"))
        .bearer_auth("wave_ci_prod_any")
        .json(&json!({"currency": "XOF", "receive_amount": "9223372036854775807", "mobile": "+2250700000789"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let s: Value = http
        .post(format!("{url}/v1/checkout/sessions"))
        .bearer_auth("wave_ci_prod_any")
        .json(&json!({"amount": "500", "currency": "XOF", "success_url": "https://s.example/ok", "error_url": "https://s.example/ko"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap();
    http.post(format!("{url}/_simulator/sessions/{id}/pay"))
        .send()
        .await
        .unwrap();
    // The 500 francs paid in cover a refund of 500, not a payout of 500 and its fee.
    let p: Value = http
        .post(format!("{url}/v1/payout"))
        .bearer_auth("wave_ci_prod_any")
        .json(&json!({"currency": "XOF", "receive_amount": "500", "mobile": "+2250700000059"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "failed", "{p}");
    let r = http
        .post(format!("{url}/v1/checkout/sessions/{id}/refund"))
        .bearer_auth("wave_ci_prod_any")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let again = http
        .post(format!("{url}/v1/checkout/sessions/{id}/refund"))
        .bearer_auth("wave_ci_prod_any")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

/// `sessions_paid_after` (`--sessions-paid-after-ms`, for load tests): a session is paid by the
/// number it names, or by one that pays, with its webhook; a named number that fails fails it.
#[tokio::test]
async fn sessions_paid_by_themselves_when_asked() {
    let (url, got) = start(|hook| Config {
        webhook_url: Some(hook),
        webhook_secret: Some("wave_ci_WHS_secret".into()),
        sessions_paid_after: Some(Duration::from_millis(20)),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::new();
    for restrict in [None, Some("+2250700000049")] {
        let mut body = json!({"amount": "1000", "currency": "XOF",
            "success_url": "https://s.example/ok", "error_url": "https://s.example/ko"});
        if let Some(m) = restrict {
            body["restrict_payer_mobile"] = json!(m);
        }
        let r = http
            .post(format!("{url}/v1/checkout/sessions"))
            .bearer_auth("wave_ci_prod_key")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    until("both webhooks", || got.lock().unwrap().len() == 2).await;
    let mut kinds: Vec<String> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "checkout.session.completed",
            "checkout.session.payment_failed"
        ]
    );
}
