//! Live mode through the Wave connector (Checkout), against Wave's simulator over real sockets:
//! the payer is handed over to the session's `wave_launch_url` through Kumbu's `/pay/go/{token}`
//! and back; a failed try on Wave's page leaves the session open for another; Wave's webhooks
//! believed only when `Wave-Signature` signs them with the merchant's webhook secret, and then
//! only as a reason to read the session; an unknown session outcome resolved by a new session;
//! refunds (whole sessions only) and payouts (`idempotency-key`, `processing` read back).

use super::{quick, run, Live};
use crate::webdriver::{Browser, Setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

live_both!(
    a_wave_payment_is_paid_on_wave_page => (super::quick(), crate::harness::Opts::default()),
    only_signed_wave_events_count => (super::quick(), crate::harness::Opts::default()),
    an_unknown_session_is_made_again => (super::quick(), crate::harness::Opts {
        operator_timeout: std::time::Duration::from_millis(300),
        ..crate::harness::Opts::default()
    }),
    a_live_page_hands_over_to_wave_and_back_without_javascript => (super::quick(), crate::harness::Opts::default()),
    wave_payouts => (super::quick(), crate::harness::Opts::default()),
    wave_events_twice_late_forged_or_never => (super::quick(), crate::harness::Opts::default()),
    a_wave_session_closes_at_the_deadline => (super::quick(), crate::harness::Opts::default()),
    wave_keys_are_live_secret_and_checked => (super::quick(), crate::harness::Opts::default()),
);

const WEBHOOK_SECRET: &str = "wave-webhook-signing-secret";

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl Live {
    /// Sets the merchant's Wave key and webhook secret, and points Wave's webhook at Kumbu.
    async fn with_wave(self) -> Self {
        let (s, v) = self
            .call(
                Method::PUT,
                "/v1/connectors/wave_ci",
                Some(&json!({"api_key": "wave_ci_prod_kumbu_test", "webhook_secret": WEBHOOK_SECRET})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let events = v["callback_url"].as_str().unwrap().to_owned();
        assert!(events.ends_with("/callbacks/wave/events"), "{v}");
        assert!(!v.to_string().contains("kumbu_test"), "{v}");
        let r = reqwest::Client::new()
            .put(format!("{}/_simulator/webhook", self.wave_url))
            .json(&json!({"url": events, "signing_secret": WEBHOOK_SECRET}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        self
    }

    async fn pay_wave(&self, amount: i64) -> (String, String) {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/payments",
                Some(&json!({"amount": amount, "currency": "XOF",
                    "payer": {"phone": "+2250700000789", "operator": "wave_ci"}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let url = v["next_action"]["redirect_url"]
            .as_str()
            .unwrap()
            .to_owned();
        (v["id"].as_str().unwrap().to_owned(), url)
    }

    /// The worker makes the session; the hand-over sends the payer to Wave's page.
    async fn wave_page(&self, handover: &str) -> String {
        self.app.tick().await;
        let r = browser().get(handover).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        r.headers()["location"].to_str().unwrap().to_owned()
    }

    /// The payer tries to pay on Wave's page with `mobile`; where Wave sends them.
    async fn pay_on_wave(&self, page: &str, mobile: &str) -> String {
        let r = browser()
            .post(page)
            .form(&[("action", "pay"), ("mobile", mobile)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        r.headers()["location"].to_str().unwrap().to_owned()
    }

    async fn wave_until(
        &self,
        what: &str,
        cond: impl Fn(&kumbu_rails::wave::simulator::Stats) -> bool,
    ) {
        let start = std::time::Instant::now();
        while !cond(&self.wave.stats()) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}: {:?}",
                self.wave.stats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn a_wave_payment_is_paid_on_wave_page(live: Live) -> Live {
    let live = live.with_wave().await;
    let (id, handover) = live.pay_wave(3000).await;
    assert!(handover.contains("/pay/go/"), "{handover}");
    let page = live.wave_page(&handover).await;
    assert!(page.starts_with(&live.wave_url), "{page}");
    // A failed try (…049) leaves the session open: the payer may try again on Wave's page.
    let back = live.pay_on_wave(&page, "+2250700000049").await;
    assert_eq!(back, format!("{handover}/back"));
    live.wave_until("the failure's event", |s| s.webhooks_delivered >= 1)
        .await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "operator_pending");
    // Paid: Wave's signed event makes Kumbu read the session, which settles it.
    live.pay_on_wave(&page, "+2250700000789").await;
    live.wave_until("the completion's event", |s| s.webhooks_delivered >= 2)
        .await;
    live.app.tick().await;
    let p = live.payment(&id).await;
    assert_eq!(p["status"], "settled", "{p}");
    assert_eq!(p["next_action"], Value::Null);
    let html = browser()
        .get(&back)
        .header("accept-language", "pt")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Pagamento recebido"), "{html}");
    let stats = live.wave.stats();
    assert_eq!(
        (stats.sessions, stats.paid, stats.unauthorized),
        (1, 1, 0),
        "{stats:?}"
    );
    live.app.ledger_ok().await;
    // A part of it cannot go back through Wave (Wave refunds whole sessions): the refund fails,
    // saying so, and nothing moved.
    let refund = |amount: i64| json!({"payment": id, "amount": amount});
    let (s, r) = live
        .call(Method::POST, "/v1/refunds", Some(&refund(1000)))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let partial = r["id"].as_str().unwrap().to_owned();
    while live.app.engine.run_refund_batch().await.unwrap() > 0 {}
    let (_, r) = live
        .call(Method::GET, &format!("/v1/refunds/{partial}"), None)
        .await;
    assert_eq!(r["status"], "failed", "{r}");
    assert!(
        r["failure_message"]
            .as_str()
            .unwrap_or_default()
            .contains("PARTIAL_REFUND_NOT_SUPPORTED"),
        "{r}"
    );
    // The whole of it goes back: Wave refunds the session.
    let (s, r) = live
        .call(Method::POST, "/v1/refunds", Some(&refund(3000)))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let whole = r["id"].as_str().unwrap().to_owned();
    while live.app.engine.run_refund_batch().await.unwrap() > 0 {}
    let (_, r) = live
        .call(Method::GET, &format!("/v1/refunds/{whole}"), None)
        .await;
    assert_eq!(r["status"], "succeeded", "{r}");
    assert_eq!(live.status(&id).await, "refunded");
    live.app.ledger_ok().await;
    live
}

/// Payouts go out with `idempotency-key`; one Wave leaves `processing` is read back by its
/// reference; one Wave fails gives the money back to the balance.
async fn wave_payouts(live: Live) -> Live {
    let live = live.with_wave().await;
    // Money to pay out: a settled Wave payment.
    let (_, handover) = live.pay_wave(9000).await;
    let page = live.wave_page(&handover).await;
    live.pay_on_wave(&page, "+2250700000789").await;
    live.wave_until("the event", |s| s.webhooks_delivered >= 1)
        .await;
    live.app.tick().await;
    let body = |amount: i64, phone: &str| json!({"amount": amount, "currency": "XOF", "payee": {"phone": phone, "operator": "wave_ci"}});
    let payout = |amount, phone| {
        let live = &live;
        let b = body(amount, phone);
        async move {
            let (s, po) = live.call(Method::POST, "/v1/payouts", Some(&b)).await;
            assert_eq!(s, StatusCode::OK, "{po}");
            while live.app.engine.run_payout_batch().await.unwrap() > 0 {}
            let id = po["id"].as_str().unwrap().to_owned();
            let (_, po) = live
                .call(Method::GET, &format!("/v1/payouts/{id}"), None)
                .await;
            po
        }
    };
    let po = payout(2000, "+2250700000788").await;
    assert_eq!(po["status"], "succeeded", "{po}");
    // …049: Wave refuses it (insufficient funds, by the simulator's number table).
    let po = payout(1000, "+2250700000049").await;
    assert_eq!(po["status"], "failed", "{po}");
    // …059: Wave answers processing; Kumbu reads it back by its reference until it resolves.
    let po = payout(1500, "+2250700000059").await;
    assert_eq!(po["status"], "processing", "{po}");
    let id = po["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        live.app.clock.advance(Duration::from_secs(10));
        while live.app.engine.run_payout_batch().await.unwrap() > 0 {}
        let (_, po) = live
            .call(Method::GET, &format!("/v1/payouts/{id}"), None)
            .await;
        if po["status"] == "succeeded" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{po}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = live.wave.stats();
    assert_eq!(stats.payouts, 3, "{stats:?}");
    live.app.ledger_ok().await;
    live
}

async fn only_signed_wave_events_count(live: Live) -> Live {
    let live = live.with_wave().await;
    let (id, handover) = live.pay_wave(1500).await;
    live.wave_page(&handover).await;
    let reference = live.operator_reference(&id).await;
    let reads = live.wave.stats().session_reads;
    let event = json!({"id": "EV_x", "type": "checkout.session.completed",
        "data": {"id": "cos-x", "client_reference": reference, "payment_status": "succeeded"}})
    .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let signed =
        |secret: &str, t: i64| kumbu_rails::wave::signature::header(&[secret], t, event.as_bytes());
    // Unsigned, signed with another secret, or signed ten minutes ago: ignored.
    for header in [
        None,
        Some(signed("not-the-secret", now)),
        Some(signed(WEBHOOK_SECRET, now - 600)),
    ] {
        let mut r = live
            .app
            .client
            .post(live.app.url("/callbacks/wave/events"))
            .header("content-type", "application/json")
            .body(event.clone());
        if let Some(h) = header {
            r = r.header("Wave-Signature", h);
        }
        assert_eq!(r.send().await.unwrap().status(), StatusCode::OK);
    }
    live.app.tick().await;
    assert_eq!(live.wave.stats().session_reads, reads);
    // Signed with the merchant's secret (here with a retired one beside it, as during a
    // rotation): a reason to read the session, which is still open, so nothing changes.
    let header =
        kumbu_rails::wave::signature::header(&["retired", WEBHOOK_SECRET], now, event.as_bytes());
    let r = live
        .app
        .client
        .post(live.app.url("/callbacks/wave/events"))
        .header("Wave-Signature", header)
        .body(event.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    live.app.tick().await;
    assert_eq!(live.wave.stats().session_reads, reads + 1);
    assert_eq!(live.status(&id).await, "operator_pending");
    // The same signed copy again at once (a replay): held back, nothing asked.
    let header = kumbu_rails::wave::signature::header(&[WEBHOOK_SECRET], now, event.as_bytes());
    let r = live
        .app
        .client
        .post(live.app.url("/callbacks/wave/events"))
        .header("Wave-Signature", header)
        .body(event.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    live.app.tick().await;
    assert_eq!(live.wave.stats().session_reads, reads + 1);
    live
}

async fn an_unknown_session_is_made_again(live: Live) -> Live {
    let live = live.with_wave().await;
    // Wave's answer comes after our 300 ms timeout: nobody has that session's URL, so a new
    // session is made.
    let r = reqwest::Client::new()
        .put(format!("{}/_simulator/faults", live.wave_url))
        .json(&json!({"latency_ms": 1000}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (id, handover) = live.pay_wave(2000).await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "created");
    live.wave.set_faults(Default::default());
    live.app.advance(Duration::from_secs(3)).await;
    let page = live.wave_page(&handover).await;
    live.pay_on_wave(&page, "+2250700000789").await;
    live.wave_until("the event", |s| s.webhooks_delivered >= 1)
        .await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "settled");
    assert_eq!(live.wave.stats().paid, 1);
    live
}

/// A payer on a cheap phone with JavaScript off pays a live checkout page through Wave: the
/// page sends them to Wave's (simulated) page, which they pay, Wave brings them back, and the
/// page, refreshing itself, shows the payment received.
async fn a_live_page_hands_over_to_wave_and_back_without_javascript(live: Live) -> Live {
    let live = live.with_wave().await;
    let setup = Setup {
        languages: "en-GB,en",
        javascript: false,
    };
    let Some(b) = Browser::start("a_live_page_hands_over_to_wave_and_back", setup).await else {
        return live;
    };
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/checkout/sessions",
            Some(
                &json!({"amount": 2000, "currency": "XOF", "operators": ["wave_ci"],
                "return_url": "https://shop.example/thanks", "description": "Order 91"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    b.goto(v["url"].as_str().unwrap()).await;
    b.wait_for("Pay").await;
    b.type_into("#phone", "+225 07 00 00 07 89").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Preparing your payment").await;
    live.app.tick().await;
    // The waiting page refreshes itself (a meta refresh: no script) onto Wave's page.
    b.wait_for("Kumbu's simulator of Wave Checkout").await;
    b.type_into("#mobile", "+2250700000789").await;
    b.screenshot("wave-page").await;
    b.click("#pay").await;
    b.wait_for("Pay on Wave's page").await;
    live.wave_until("the event", |s| s.webhooks_delivered >= 1)
        .await;
    live.app.tick().await;
    b.wait_for("Payment received").await;
    b.screenshot("wave-paid").await;
    let (_, v) = live
        .call(Method::GET, &format!("/v1/checkout/sessions/{id}"), None)
        .await;
    assert_eq!(v["status"], "completed", "{v}");
    live.app.ledger_ok().await;
    b.quit().await;
    live
}

/// Wave's webhooks as they come in life: each sent twice and again later, each preceded by a
/// forged copy (`duplicate_webhooks`, `late_webhook_ms`, `forged_webhooks`), or none at all
/// (`…129`). The payment settles once whatever arrives; the forged copies make Kumbu read
/// nothing; without any webhook the session is read at the next poll.
async fn wave_events_twice_late_forged_or_never(live: Live) -> Live {
    let live = live.with_wave().await;
    let faults = |f: Value| {
        let url = format!("{}/_simulator/faults", live.wave_url);
        async move {
            let r = reqwest::Client::new()
                .put(url)
                .json(&f)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
    };
    faults(json!({"duplicate_webhooks": true, "late_webhook_ms": 300, "forged_webhooks": true}))
        .await;
    let (id, handover) = live.pay_wave(1700).await;
    let page = live.wave_page(&handover).await;
    let reads = live.wave.stats().session_reads;
    live.pay_on_wave(&page, "+2250700000789").await;
    // One forged, two genuine at once, one genuine late: four deliveries.
    live.wave_until("every copy", |s| {
        s.webhooks_delivered >= 4 && s.webhooks_pending == 0
    })
    .await;
    live.app.tick().await;
    live.settled_once(&id).await;
    // The genuine copies carry one body: the first is a reason to read, the repeats are held
    // back as replays; the forged one is never believed.
    let read = live.wave.stats().session_reads - reads;
    assert_eq!(read, 1, "reads after the payer paid: {read}");
    // …129: Wave pays but sends nothing; Kumbu reads the session at its next poll.
    faults(json!({})).await;
    let (id, handover) = live.pay_wave(1800).await;
    let page = live.wave_page(&handover).await;
    live.pay_on_wave(&page, "+2250700000129").await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "operator_pending");
    live.app.advance(Duration::from_secs(15)).await;
    assert_eq!(live.status(&id).await, "settled");
    assert_eq!(live.wave.stats().webhooks_delivered, 4);
    live.app.ledger_ok().await;
    live
}

/// At a payment's deadline Kumbu expires its session at Wave if it is still open, so that a
/// payer cannot pay what the merchant was told expired; a session paid before the deadline
/// whose webhook never came (…129) is read as paid, not expired.
async fn a_wave_session_closes_at_the_deadline(live: Live) -> Live {
    let live = live.with_wave().await;
    let pay = |phone: &'static str| {
        let live = &live;
        async move {
            let (s, v) = live
                .call(
                    Method::POST,
                    "/v1/payments",
                    Some(
                        &json!({"amount": 2200, "currency": "XOF", "expires_in": 600,
                        "payer": {"phone": phone, "operator": "wave_ci"}}),
                    ),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let url = v["next_action"]["redirect_url"]
                .as_str()
                .unwrap()
                .to_owned();
            (v["id"].as_str().unwrap().to_owned(), url)
        }
    };
    let (unpaid, handover) = pay("+2250700000789").await;
    let unpaid_page = live.wave_page(&handover).await;
    let (paid, handover) = pay("+2250700000129").await;
    let paid_page = live.wave_page(&handover).await;
    // Paid on Wave's page before the deadline; Wave sends no webhook.
    live.pay_on_wave(&paid_page, "+2250700000129").await;
    // Past the deadline: the open session is expired at Wave, then read as expired.
    live.app.advance(Duration::from_secs(601)).await;
    live.app.tick().await;
    let p = live.payment(&unpaid).await;
    assert_eq!(
        (p["status"].as_str(), p["failure_code"].as_str()),
        (Some("expired"), Some("PAYMENT_EXPIRED")),
        "{p}"
    );
    assert_eq!(live.status(&paid).await, "settled");
    // The payer who comes back late cannot pay at Wave any more.
    let r = browser()
        .post(&unpaid_page)
        .form(&[("action", "pay"), ("mobile", "+2250700000789")])
        .send()
        .await
        .unwrap();
    assert!(!r.status().is_success(), "{}", r.status());
    let stats = live.wave.stats();
    assert_eq!((stats.sessions, stats.paid), (2, 1), "{stats:?}");
    live.app.ledger_ok().await;
    live
}

/// Wave's API key is a live setting, never shown again; a key Wave refuses fails the payment at
/// once, saying so (`PROVIDER_UNAVAILABLE`, `UNAUTHORIZED`), rather than leaving it waiting.
async fn wave_keys_are_live_secret_and_checked(live: Live) -> Live {
    let body = json!({"api_key": "wave_ci_prod_secret_key", "webhook_secret": WEBHOOK_SECRET});
    // A test key cannot set (or read) them.
    let (s, _, v) = live
        .app
        .send(
            Method::PUT,
            "/v1/connectors/wave_ci",
            Some(&body.to_string()),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // A key that is not Wave's shape is refused, naming the setting.
    let (s, v) = live
        .call(
            Method::PUT,
            "/v1/connectors/wave_ci",
            Some(&json!({"api_key": "sk_live_not_wave"})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("api_key")),
        "{v}"
    );
    let (s, v) = live
        .call(Method::PUT, "/v1/connectors/wave_ci", Some(&body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = live.call(Method::GET, "/v1/connectors", None).await;
    assert!(!v.to_string().contains("secret_key"), "{v}");
    assert!(!v.to_string().contains(WEBHOOK_SECRET), "{v}");
    // Wave refuses every call (here: the merchant turned on request signing in Wave's portal,
    // which Kumbu's connector does not do): the payment fails at once, saying why.
    let r = reqwest::Client::new()
        .put(format!("{}/_simulator/request-signing", live.wave_url))
        .json(&json!({"secret": "wave_ci_AOS_signing"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (id, _) = live.pay_wave(1900).await;
    live.app.tick().await;
    live.assert_ended(
        &id,
        ("failed", Some("PROVIDER_UNAVAILABLE"), Some("UNAUTHORIZED")),
    )
    .await;
    assert_eq!(live.wave.stats().sessions, 0);
    live
}
