//! Live mode through the M-Pesa Mozambique connector (iPG v1x), against M-Pesa's simulator over a
//! real socket: the C2B call held open until the payer answers, made outside the worker's pass
//! within bounded numbers; outcomes by number, each `INS-…` kept as the operator code; unknown
//! outcomes (a hung answer, a 5xx, the platform's `INS-9`) resolved by the query API, and
//! `INS-10` taken as proof of an earlier try, each request registered once; refunds by reversal
//! and payouts by B2C; credentials checked, sealed, live only; only Vodacom's numbers.

use super::{quick, run, Live};
use kumbu_rails::mpesa_mz::simulator::Faults;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

live_both!(
    mpesa_outcomes => (super::quick(), crate::harness::Opts::default()),
    mpesa_unknown_outcomes_are_asked => (super::quick(), crate::harness::Opts {
        prompt_timeout: std::time::Duration::from_millis(700),
        ..crate::harness::Opts::default()
    }),
    mpesa_refunds_and_payouts => (super::quick(), crate::harness::Opts::default()),
    held_calls_are_bounded_and_stall_nothing => (super::quick(), crate::harness::Opts {
        held_calls_per_merchant: 2,
        ..crate::harness::Opts::default()
    }),
    mpesa_keys_are_live_secret_and_checked => (super::quick(), crate::harness::Opts::default()),
    kulpay_collects_through_mpesa => (super::quick(), crate::harness::Opts::default()),
);

use super::MPESA_API_KEY as API_KEY;

impl Live {
    /// The merchant's M-Pesa credentials, for the simulator's key pair.
    fn mpesa_credentials(&self) -> Value {
        json!({"api_key": API_KEY, "public_key": self.mpesa.public_key(),
               "service_provider_code": "171717", "initiator_identifier": "kumbu-initiator",
               "security_credential": "Mpesa2019"})
    }

    async fn with_mpesa(self) -> Self {
        let body = self.mpesa_credentials();
        let (s, v) = self
            .call(Method::PUT, "/v1/connectors/mpesa_mz", Some(&body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert!(!v.to_string().contains(API_KEY), "{v}");
        assert_eq!(v["products"], json!(["c2b", "b2c", "reversal"]), "{v}");
        self
    }

    async fn pay_mpesa(&self, amount: i64, phone: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/payments",
                Some(&json!({"amount": amount, "currency": "MZN", "payer": {"phone": phone, "operator": "mpesa_mz"}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// Runs worker passes (the held calls run in tasks of their own, on real time) until payment
    /// `id` is final, moving the clock by `step` each round.
    async fn mpesa_until_final(&self, id: &str, step: Duration) -> Value {
        let start = Instant::now();
        loop {
            self.app.tick().await;
            let p = self.payment(id).await;
            if ["settled", "failed", "expired", "cancelled"]
                .contains(&p["status"].as_str().unwrap())
            {
                return p;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "never final: {p}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
            self.app.clock.advance(step);
        }
    }
}

async fn mpesa_outcomes(live: Live) -> Live {
    let live = live.with_mpesa().await;
    // Paid: the call was held while the payer answered; M-Pesa's transaction id is kept.
    let id = live.pay_mpesa(750_000, "+258841000001").await;
    let p = live.mpesa_until_final(&id, Duration::ZERO).await;
    live.settled_once(&id).await;
    let reference = p["operator_reference"].as_str().unwrap();
    assert!(reference.starts_with("KB") && reference.len() == 20, "{p}");
    assert_eq!(live.mpesa.stats().c2b_registered, 1);
    // Refusals: each INS code kept beside ours.
    for (phone, code, ins) in [
        ("+258841000039", "PAYMENT_DECLINED", "INS-5"),
        ("+258851000049", "INSUFFICIENT_BALANCE", "INS-2006"),
        ("+258841000069", "PROVIDER_ERROR", "INS-6"),
        ("+258841000029", "PAYER_NOT_FOUND", "INS-2051"),
    ] {
        let id = live.pay_mpesa(10_000, phone).await;
        live.mpesa_until_final(&id, Duration::ZERO).await;
        live.assert_ended(&id, ("failed", Some(code), Some(ins)))
            .await;
    }
    // The payer never answers: M-Pesa gives up (408 INS-9, an unknown outcome to Kumbu); the
    // query says the prompt expired.
    let id = live.pay_mpesa(10_000, "+258841000059").await;
    live.mpesa_until_final(&id, Duration::from_secs(1)).await;
    live.assert_ended(&id, ("expired", Some("PAYMENT_EXPIRED"), Some("Expired")))
        .await;
    // Not a Vodacom number: refused before anything is created or sent.
    let before = live.mpesa.stats().c2b_requests;
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/payments",
            Some(&json!({"amount": 10_000, "currency": "MZN", "payer": {"phone": "+258821000001", "operator": "mpesa_mz"}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["param"].as_str()),
        (400, Some("payer.phone")),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("84"),
        "{v}"
    );
    assert_eq!(live.mpesa.stats().c2b_requests, before);
    live.app.ledger_ok().await;
    live
}

async fn mpesa_unknown_outcomes_are_asked(live: Live) -> Live {
    let live = live.with_mpesa().await;
    // The answer never comes (Kumbu gives up after 700 ms): the query finds it paid.
    live.mpesa.set_faults(Faults {
        hang_next: 1,
        ..Faults::default()
    });
    let id = live.pay_mpesa(20_000, "+258841000001").await;
    live.mpesa_until_final(&id, Duration::from_secs(1)).await;
    live.settled_once(&id).await;
    // A 500 that did nothing: the query says N/A, and the request goes again under the same
    // reference.
    live.mpesa.set_faults(Faults {
        fail_next: 1,
        ..Faults::default()
    });
    let id2 = live.pay_mpesa(20_000, "+258841000001").await;
    live.mpesa_until_final(&id2, Duration::from_secs(1)).await;
    live.settled_once(&id2).await;
    // INS-10: an earlier try got through: asked, never sent under a new reference.
    live.mpesa.set_faults(Faults {
        duplicate_next: 1,
        ..Faults::default()
    });
    let id3 = live.pay_mpesa(20_000, "+258841000001").await;
    live.mpesa_until_final(&id3, Duration::from_secs(1)).await;
    live.settled_once(&id3).await;
    let s = live.mpesa.stats();
    assert_eq!(s.c2b_registered, 3, "each payment registered once: {s:?}");
    assert_eq!(
        s.c2b_requests, 4,
        "the 500 was sent again, nothing else: {s:?}"
    );
    assert!(s.queries >= 3, "{s:?}");
    live.app.ledger_ok().await;
    live
}

async fn mpesa_refunds_and_payouts(live: Live) -> Live {
    let live = live.with_mpesa().await;
    let id = live.pay_mpesa(500_000, "+258841000001").await;
    live.mpesa_until_final(&id, Duration::ZERO).await;
    // A partial refund is a reversal of M-Pesa's transaction, for that amount.
    let (s, r) = live
        .call(
            Method::POST,
            "/v1/refunds",
            Some(&json!({"payment": id, "amount": 200_000})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let rid = r["id"].as_str().unwrap().to_owned();
    while live.app.engine.run_refund_batch().await.unwrap() > 0 {}
    let (_, r) = live
        .call(Method::GET, &format!("/v1/refunds/{rid}"), None)
        .await;
    assert_eq!(r["status"], "succeeded", "{r}");
    // More than is left: M-Pesa refuses the reversal (INS-15)... Kumbu refuses it first.
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/refunds",
            Some(&json!({"payment": id, "amount": 400_000})),
        )
        .await;
    assert_eq!(s.as_u16(), 400, "{v}");
    assert_eq!(live.mpesa.stats().reversals, 1);
    // A payout is a B2C payment to the payee's wallet.
    let (s, po) = live
        .call(
            Method::POST,
            "/v1/payouts",
            Some(&json!({"amount": 100_000, "currency": "MZN", "payee": {"phone": "+258851000002", "operator": "mpesa_mz"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{po}");
    let pid = po["id"].as_str().unwrap().to_owned();
    while live.app.engine.run_payout_batch().await.unwrap() > 0 {}
    let (_, po) = live
        .call(Method::GET, &format!("/v1/payouts/{pid}"), None)
        .await;
    assert_eq!(po["status"], "succeeded", "{po}");
    // A payout whose answer is lost (500 after nothing happened) is asked about, then sent again
    // under its reference, and paid once.
    live.mpesa.set_faults(Faults {
        fail_next: 1,
        ..Faults::default()
    });
    let (_, po) = live
        .call(
            Method::POST,
            "/v1/payouts",
            Some(&json!({"amount": 50_000, "currency": "MZN", "payee": {"phone": "+258851000002", "operator": "mpesa_mz"}})),
        )
        .await;
    let pid = po["id"].as_str().unwrap().to_owned();
    for _ in 0..10 {
        while live.app.engine.run_payout_batch().await.unwrap() > 0 {}
        live.app.clock.advance(Duration::from_secs(15));
    }
    let (_, po) = live
        .call(Method::GET, &format!("/v1/payouts/{pid}"), None)
        .await;
    assert_eq!(po["status"], "succeeded", "{po}");
    assert_eq!(
        live.mpesa.stats().b2c_requests,
        3,
        "{:?}",
        live.mpesa.stats()
    );
    live.app.ledger_ok().await;
    // Without an initiator, refunds are refused before anything is made, saying what to set.
    let mut creds = live.mpesa_credentials();
    let o = creds.as_object_mut().unwrap();
    o.remove("initiator_identifier");
    o.remove("security_credential");
    let (s, _) = live
        .call(Method::PUT, "/v1/connectors/mpesa_mz", Some(&creds))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/refunds",
            Some(&json!({"payment": id, "amount": 100})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("connector_not_configured")),
        "{v}"
    );
    // Payouts (B2C) need no initiator: still taken.
    let (s, po) = live
        .call(
            Method::POST,
            "/v1/payouts",
            Some(&json!({"amount": 10_000, "currency": "MZN", "payee": {"phone": "+258851000002", "operator": "mpesa_mz"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{po}");
    live
}

async fn held_calls_are_bounded_and_stall_nothing(live: Live) -> Live {
    let live = live.with_mpesa().await;
    // Five payers who wait for a person (…009): at most two calls open for this merchant.
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(live.pay_mpesa(10_000, "+258841000009").await);
    }
    let start = Instant::now();
    while live.mpesa.stats().open_calls < 2 {
        live.app.tick().await;
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            live.mpesa.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    live.app.tick().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(live.mpesa.stats().open_calls, 2, "{:?}", live.mpesa.stats());
    // Meanwhile an MTN payment goes through: nothing waits behind the held calls.
    let mtn = live.pay(1000, "+2250500000001").await;
    let start = Instant::now();
    while live.status(&mtn).await != "settled" {
        live.app.tick().await;
        live.app.clock.advance(Duration::from_secs(1));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "MTN waited behind M-Pesa"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The payers answer, one after another as calls open: every payment settles, none was
    // prompted twice, and never more than two at once.
    let http = reqwest::Client::new();
    let start = Instant::now();
    loop {
        live.app.tick().await;
        let mut open = 0;
        for id in &ids {
            let p = live.payment(id).await;
            if p["status"] != "settled" {
                open += 1;
                let r = p["operator_reference"].as_str().unwrap();
                let _ = http
                    .post(format!(
                        "{}/_simulator/transactions/{r}/approve",
                        live.mpesa_url
                    ))
                    .send()
                    .await;
            }
        }
        if open == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{:?}",
            live.mpesa.stats()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Payments that found no room are looked at again a moment later.
        live.app.clock.advance(Duration::from_secs(1));
    }
    let s = live.mpesa.stats();
    assert_eq!((s.c2b_registered, s.max_open_calls), (5, 2), "{s:?}");
    live
}

async fn mpesa_keys_are_live_secret_and_checked(live: Live) -> Live {
    let body = live.mpesa_credentials();
    // A test key can neither set nor read them.
    let (s, _, v) = live
        .app
        .send(
            Method::PUT,
            "/v1/connectors/mpesa_mz",
            Some(&body.to_string()),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Each field checked, named, never echoed.
    for (bad, param) in [
        (json!({"public_key": "not-a-key"}), "public_key"),
        (
            json!({"service_provider_code": "17"}),
            "service_provider_code",
        ),
    ] {
        let mut b = body.clone();
        for (k, v) in bad.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, v) = live
            .call(Method::PUT, "/v1/connectors/mpesa_mz", Some(&b))
            .await;
        assert_eq!(
            (s.as_u16(), v["error"]["param"].as_str()),
            (400, Some(param)),
            "{v}"
        );
        assert!(!v.to_string().contains(API_KEY), "{v}");
    }
    // A live M-Pesa payment without credentials is refused, saying what to set.
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/payments",
            Some(&json!({"amount": 10_000, "currency": "MZN", "payer": {"phone": "+258841000001", "operator": "mpesa_mz"}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("connector_not_configured")),
        "{v}"
    );
    let live = live.with_mpesa().await;
    // Sealed at rest: the API key is nowhere in the database's text.
    let rows = live
        .app
        .engine
        .store()
        .list_operator_credentials(None)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "MTN's and M-Pesa's");
    for row in rows {
        assert!(row.sealed.starts_with("kv1."), "{}", row.sealed);
        assert!(!row.sealed.contains(API_KEY) && !row.sealed.contains("Mpesa2019"));
    }
    // M-Pesa turns the key away (the simulator takes another): INS-2, the payment fails at once
    // as the operator unavailable, and the check says so.
    let mut wrong = body.clone();
    wrong["api_key"] = json!("not-the-key");
    let (s, _) = live
        .call(Method::PUT, "/v1/connectors/mpesa_mz", Some(&wrong))
        .await;
    assert_eq!(s, StatusCode::OK);
    let id = live.pay_mpesa(10_000, "+258841000001").await;
    live.mpesa_until_final(&id, Duration::ZERO).await;
    live.assert_ended(&id, ("failed", Some("PROVIDER_UNAVAILABLE"), Some("INS-2")))
        .await;
    assert_eq!(live.mpesa.stats().c2b_registered, 0);
    live
}

/// Kulpay's payments of `provider_mpesa` that name the payer's wallet go through M-Pesa: money
/// Kumbu holds, confirmed by M-Pesa alone, counted towards the bill.
async fn kulpay_collects_through_mpesa(live: Live) -> Live {
    let live = live.with_mpesa().await;
    let (s, c) = live
        .call(
            Method::POST,
            "/compat/kulpay/v1/collection-requests",
            Some(&json!({"collection_method_ids": ["cm_mobile_wallet"], "amount": {"currency": "MZN", "value": 1500.00}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let bill = c["id"].as_str().unwrap().to_owned();
    let (s, v) = live
        .call(
            Method::POST,
            "/compat/kulpay/v1/payments",
            Some(
                &json!({"account_id": "acc_mz12345", "collection_request_id": bill,
                "provider_id": "provider_mpesa", "channel": "mobile_wallet", "currency": "MZN",
                "amount": 1500.00, "status": "pending", "payer_phone": "+258841000001"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let pm = v["payment"]["id"].as_str().unwrap().to_owned();
    let id = pm.replacen("pm_", "pay_", 1);
    let p = live.mpesa_until_final(&id, Duration::ZERO).await;
    assert_eq!(
        (p["status"].as_str(), p["payer"]["operator"].as_str()),
        (Some("settled"), Some("mpesa_mz")),
        "{p}"
    );
    assert_eq!(live.mpesa.stats().c2b_registered, 1);
    let (_, v) = live
        .call(
            Method::GET,
            &format!("/compat/kulpay/v1/payments/{pm}"),
            None,
        )
        .await;
    assert_eq!(v["payment"]["status"], "confirmed", "{v}");
    let (_, c) = live
        .call(
            Method::GET,
            &format!("/compat/kulpay/v1/collection-requests/{bill}"),
            None,
        )
        .await;
    assert_eq!(c["bill_info"]["status"], "paid", "{c}");
    // Money Kumbu holds: available for payouts, not reported from elsewhere.
    let (_, b) = live.call(Method::GET, "/v1/balance", None).await;
    let mzn = b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["currency"] == "MZN")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            mzn["available"].as_i64().map(|a| a > 0),
            mzn["reported"].as_i64()
        ),
        (Some(true), Some(0)),
        "{b}"
    );
    live.app.ledger_ok().await;
    live
}
