//! Live mode through the Orange Money connector (Web Payment), against Orange's simulator over
//! real sockets: the payer is handed over to Orange's page through Kumbu's `/pay/go/{token}` and
//! back; each outcome; an unknown page outcome resolved by making a new page under a new order
//! id; notifications believed only with the page's token, and then only as a reason to ask;
//! credentials checked, sealed and live-only; refunds refused, saying why. And Orange Cameroon's
//! prompt API (`orange_cm`): the payer approves on their phone, as with MTN; a prompt lost on
//! its way sent again once. And a live Simiz payment, whose callers cannot name operators, paid
//! through Orange from its page.

use super::{quick, run, Live};
use crate::webdriver::{Browser, Setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

live_both!(
    an_orange_payment_is_paid_on_orange_page => (super::quick(), crate::harness::Opts::default()),
    declined_and_abandoned_pages => (super::quick(), crate::harness::Opts::default()),
    only_orange_notifications_count => (super::quick(), crate::harness::Opts::default()),
    an_unknown_page_is_made_again_under_a_new_order => (super::quick(), crate::harness::Opts {
        operator_timeout: std::time::Duration::from_millis(300),
        ..crate::harness::Opts::default()
    }),
    orange_credentials_and_what_orange_cannot_do => (super::quick(), crate::harness::Opts::default()),
    a_live_page_hands_over_to_orange_and_back => (super::quick(), crate::harness::Opts::default()),
    orange_cameroon_prompts_the_payer => (super::quick(), crate::harness::Opts::default()),
    adullam_orange_payments_carry_their_redirect_url => (super::quick(), crate::harness::Opts::default()),
    a_lost_prompt_is_sent_again_once => (super::quick(), crate::harness::Opts::default()),
    a_live_simiz_payment_is_paid_through_orange => (super::quick(), crate::harness::Opts::default()),
    a_web_payment_token_orange_forgot_is_renewed_once => (super::quick(), crate::harness::Opts::default()),
);

fn orange_credentials() -> Value {
    json!({"country": "ci", "web_payment": {"client_id": "kumbu-test-client",
        "client_secret": "orange-client-secret", "merchant_key": "orange-merchant-key"}})
}

/// A browser that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What a GET answered: status, `Location`, body.
async fn get(url: &str) -> (StatusCode, Option<String>, String) {
    let r = browser().get(url).send().await.unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, location, r.text().await.unwrap())
}

impl Live {
    async fn with_orange(self) -> Self {
        let (s, v) = self
            .call(
                Method::PUT,
                "/v1/connectors/orange_ci",
                Some(&orange_credentials()),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        self
    }

    /// A live Orange payment: its id and the URL its payer is sent to.
    async fn pay_orange(&self, amount: i64) -> (String, String) {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/payments",
                Some(&json!({"amount": amount, "currency": "XOF",
                    "payer": {"phone": "+2250700000789", "operator": "orange_ci"}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["next_action"]["type"], "redirect_to_url", "{v}");
        let url = v["next_action"]["redirect_url"]
            .as_str()
            .unwrap()
            .to_owned();
        (v["id"].as_str().unwrap().to_owned(), url)
    }

    /// Hands the payer over: the worker makes the page, and the hand-over sends them to it.
    async fn orange_page(&self, handover: &str) -> String {
        self.app.tick().await;
        let (s, location, body) = get(handover).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        let page = location.expect("a Location");
        assert!(page.contains("/webpay/"), "{page}");
        page
    }

    /// The payer answers on Orange's page (`pay` with a number, `decline` or `cancel`); where
    /// Orange sends them back to.
    async fn answer_page(&self, page: &str, action: &str, phone: &str) -> String {
        let (s, _, html) = get(page).await;
        assert_eq!(s, StatusCode::OK, "{html}");
        let r = browser()
            .post(page)
            .form(&[("action", action), ("phone", phone)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        r.headers()["location"].to_str().unwrap().to_owned()
    }

    async fn orange_until(
        &self,
        what: &str,
        cond: impl Fn(&kumbu_rails::orange_money::simulator::Stats) -> bool,
    ) {
        let start = std::time::Instant::now();
        while !cond(&self.orange.stats()) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}: {:?}",
                self.orange.stats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn an_orange_payment_is_paid_on_orange_page(live: Live) -> Live {
    let live = live.with_orange().await;
    let (id, handover) = live.pay_orange(2500).await;
    // The hand-over URL is Kumbu's, opaque: nothing of the payer, nor the payment's id.
    assert!(
        handover.starts_with(&live.app.url("/pay/go/")),
        "{handover}"
    );
    assert!(!handover.contains("0700000789") && !handover.contains(&id));
    let p = live.payment(&id).await;
    assert!(live
        .app
        .engine
        .config()
        .operator_urls
        .orange_money
        .starts_with("http://127.0.0.1"));
    let reference = p["operator_reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("OM"), "{reference}");
    // Before the worker made Orange's page, the payer waits on a page that refreshes itself.
    let (s, _, html) = get(&handover).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("http-equiv=\"refresh\""), "{html}");
    assert!(html.contains("data-status=\"created\""), "{html}");
    let page = live.orange_page(&handover).await;
    assert_eq!(live.status(&id).await, "operator_pending");
    // Orange's page shows the amount; the payer pays, and Orange sends them back.
    let back = live.answer_page(&page, "pay", "0700000789").await;
    assert_eq!(back, format!("{handover}/back"));
    // Orange notifies; its notification makes Kumbu ask, and Orange's answer settles it.
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    let p = live.payment(&id).await;
    assert_eq!(p["status"], "settled", "{p}");
    assert_eq!(p["next_action"], Value::Null, "{p}");
    assert_eq!(p["operator_reference"], reference.as_str());
    let reasons: Vec<&str> = p["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"operator response"), "{reasons:?}");
    assert!(reasons.contains(&"status poll"), "{reasons:?}");
    // Back from Orange, the payer sees it paid, in their language.
    let r = browser()
        .get(&back)
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("data-status=\"settled\""), "{html}");
    assert!(html.contains("Paiement reçu"), "{html}");
    // Once paid, the hand-over no longer sends anyone to Orange.
    let (s, location, _) = get(&handover).await;
    assert_eq!((s, location), (StatusCode::OK, None));
    let stats = live.orange.stats();
    assert_eq!((stats.webpayments, stats.tokens), (1, 1), "{stats:?}");
    let (_, b) = live.call(Method::GET, "/v1/balance", None).await;
    assert!(b["balances"][0]["available"].as_i64().unwrap() > 0, "{b}");
    live.app.ledger_ok().await;
    // An unknown hand-over token leads nowhere.
    let (s, _, _) = get(&live.app.url("/pay/go/nosuchtoken0000000000000000000000")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    live
}

async fn declined_and_abandoned_pages(live: Live) -> Live {
    let live = live.with_orange().await;
    // Declined on Orange's page: failed, Orange's word kept.
    let (id, handover) = live.pay_orange(1000).await;
    let page = live.orange_page(&handover).await;
    live.answer_page(&page, "decline", "").await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    live.assert_ended(&id, ("failed", Some("PAYMENT_DECLINED"), Some("FAILED")))
        .await;
    // …049: refused for the number typed (Kumbu's sandbox suffixes).
    let (id, handover) = live.pay_orange(1100).await;
    let page = live.orange_page(&handover).await;
    live.answer_page(&page, "pay", "0700000049").await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 2)
        .await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "failed");
    // Given up: Orange sends the payer back, and the payment waits for Orange's word (the
    // payer could still pay from the page they left); Orange ends it when its page expires.
    let (id, handover) = live.pay_orange(1200).await;
    let page = live.orange_page(&handover).await;
    let back = live.answer_page(&page, "cancel", "").await;
    assert_eq!(back, format!("{handover}/back"));
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "operator_pending");
    let (_, _, html) = get(&back).await;
    assert!(html.contains("http-equiv=\"refresh\""), "{html}");
    live
}

async fn only_orange_notifications_count(live: Live) -> Live {
    let live = live.with_orange().await;
    let (id, handover) = live.pay_orange(1500).await;
    let page = live.orange_page(&handover).await;
    let reference = live.operator_reference(&id).await;
    let asked = live.orange.stats().status_queries;
    // A notification without the page's token (a stranger's, or a replay of another page's)
    // is ignored: nothing is asked, nothing changes.
    let forged = json!({"status": "SUCCESS", "notif_token": "not-the-token", "txnid": "MP1"});
    for body in [forged.to_string(), "not json".to_owned(), String::new()] {
        let r = live
            .app
            .client
            .post(
                live.app
                    .url(&format!("/callbacks/orange-money/{reference}")),
            )
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    live.app.tick().await;
    assert_eq!(live.orange.stats().status_queries, asked);
    assert_eq!(live.status(&id).await, "operator_pending");
    // An oversized body is not even read.
    let r = live
        .app
        .client
        .post(
            live.app
                .url(&format!("/callbacks/orange-money/{reference}")),
        )
        .body(vec![b'x'; 64 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Orange's own (sent twice by the …139 number, and preceded by a forged copy) is a
    // reason to ask; the answer, not the notification, settles the payment, once.
    live.orange
        .set_faults(kumbu_rails::orange_money::simulator::Faults {
            forged_notifications: true,
            ..Default::default()
        });
    live.answer_page(&page, "pay", "0700000139").await;
    live.orange_until("the notifications", |s| s.notifications_delivered >= 3)
        .await;
    live.app.tick().await;
    live.settled_once(&id).await;
    assert!(live.orange.stats().status_queries > asked);
    live
}

async fn an_unknown_page_is_made_again_under_a_new_order(live: Live) -> Live {
    let live = live.with_orange().await;
    // Orange makes the page but its answer comes after our 300 ms timeout: nobody has that
    // page's URL, so a new page is made, under a new order id (Orange refuses a reused one).
    live.orange
        .set_faults(kumbu_rails::orange_money::simulator::Faults {
            hang_next: 1,
            hang_ms: 1500,
            ..Default::default()
        });
    let (id, handover) = live.pay_orange(3000).await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "created");
    let (s, _, _) = get(&handover).await;
    assert_eq!(s, StatusCode::OK, "still preparing");
    live.app.advance(Duration::from_secs(3)).await;
    let page = live.orange_page(&handover).await;
    let stats = live.orange.stats();
    assert_eq!((stats.webpayments, stats.refused), (2, 0), "{stats:?}");
    live.answer_page(&page, "pay", "0700000789").await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "settled");
    // A 500 on the status query is not news: asked again later.
    let (id, handover) = live.pay_orange(3100).await;
    let page = live.orange_page(&handover).await;
    live.orange
        .set_faults(kumbu_rails::orange_money::simulator::Faults {
            fail_next: 1,
            ..Default::default()
        });
    live.answer_page(&page, "pay", "0700000129").await;
    live.app.advance(Duration::from_secs(11)).await;
    live.app.advance(Duration::from_secs(11)).await;
    assert_eq!(live.status(&id).await, "settled");
    live.app.ledger_ok().await;
    live
}

async fn orange_credentials_and_what_orange_cannot_do(live: Live) -> Live {
    // Settings are checked field by field, and no secret is ever echoed.
    let mut bad = orange_credentials();
    bad["web_payment"]["client_secret"] = json!("has a space");
    let (s, v) = live
        .call(Method::PUT, "/v1/connectors/orange_ci", Some(&bad))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(!v.to_string().contains("has a space"), "{v}");
    assert!(v.to_string().contains("web_payment.client_secret"), "{v}");
    let live = live.with_orange().await;
    let (s, v) = live.call(Method::GET, "/v1/connectors", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = v.to_string();
    assert!(text.contains("kumbu-test-client"), "{v}");
    assert!(!text.contains("orange-client-secret") && !text.contains("orange-merchant-key"));
    // A test key cannot touch them.
    let (s, _, v) = live
        .app
        .send(
            Method::PUT,
            "/v1/connectors/orange_ci",
            Some(&orange_credentials().to_string()),
            &[],
        )
        .await;
    assert!(s.is_client_error(), "{v}");
    // Orange's Web Payment moves no money out: a refund is refused before anything is made,
    // saying why.
    let (id, handover) = live.pay_orange(2000).await;
    let page = live.orange_page(&handover).await;
    live.answer_page(&page, "pay", "0700000789").await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "settled");
    let (s, v) = live
        .call(Method::POST, "/v1/refunds", Some(&json!({"payment": id})))
        .await;
    assert!(s.is_client_error(), "{v}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Orange Money"), "{v}");
    live
}

/// A payer on a phone pays a live checkout page through Orange: the page sends them to Orange's
/// (simulated) page, they pay there, Orange brings them back, and the page shows the payment
/// received once Orange's notification made Kumbu ask.
async fn a_live_page_hands_over_to_orange_and_back(live: Live) -> Live {
    let live = live.with_orange().await;
    let setup = Setup {
        languages: "fr-CI,fr",
        javascript: true,
    };
    let Some(b) = Browser::start("a_live_page_hands_over_to_orange_and_back", setup).await else {
        return live;
    };
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&json!({"amount": 4000, "currency": "XOF",
                "return_url": "https://boutique.example/merci", "description": "Commande 90"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // With Orange's credentials set, the default offer has both operators.
    assert_eq!(v["operators"], json!(["orange_ci", "mtn_ci"]), "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    b.goto(v["url"].as_str().unwrap()).await;
    b.wait_for("Payer").await;
    b.type_into("#phone", "07 00 00 07 89").await;
    b.click("input[value=orange_ci]").await;
    b.click("form.pay button[type=submit]").await;
    // Handed over: Kumbu's page waits while the worker asks Orange for a page...
    b.wait_for("Préparation du paiement").await;
    b.screenshot("orange-preparing").await;
    live.app.tick().await;
    // ...then sends the payer on to Orange's, which they pay.
    b.wait_for("Kumbu's simulator of Orange Money").await;
    b.type_into("#phone", "0700000789").await;
    b.screenshot("orange-page").await;
    b.click("#pay").await;
    // Back on the checkout page, which waits for Orange's word.
    b.wait_for("Payez sur la page Orange Money").await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    b.wait_for("Paiement reçu").await;
    b.screenshot("orange-paid").await;
    let (_, v) = live
        .call(Method::GET, &format!("/v1/checkout/sessions/{id}"), None)
        .await;
    assert_eq!(v["status"], "completed", "{v}");
    let p = live.payment(v["payment"].as_str().unwrap()).await;
    assert_eq!(
        (p["status"].as_str(), p["payer"]["operator"].as_str()),
        (Some("settled"), Some("orange_ci")),
        "{p}"
    );
    live.app.ledger_ok().await;
    b.quit().await;
    live
}

impl Live {
    /// Sets the merchant's Orange Cameroon prompt credentials.
    async fn with_orange_cm(self) -> Self {
        let prompt = json!({"country": "cm", "cameroon_prompt": {"consumer_key": "ck",
            "consumer_secret": "cs", "api_username": "kumbu", "api_password": "pw",
            "channel_msisdn": "691234567", "pin": "2222"}});
        let (s, v) = self
            .call(Method::PUT, "/v1/connectors/orange_cm", Some(&prompt))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["products"], json!(["cameroon_prompt"]), "{v}");
        self
    }

    /// A payment prompted on `phone`'s Orange Cameroon account.
    async fn prompt_orange_cm(&self, amount: i64, phone: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/payments",
                Some(&json!({"amount": amount, "currency": "XAF",
                    "payer": {"phone": phone, "operator": "orange_cm"}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // A prompt on the payer's phone: nowhere to send them.
        assert_eq!(v["next_action"], Value::Null, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }
}

async fn orange_cameroon_prompts_the_payer(live: Live) -> Live {
    let live = live.with_orange_cm().await;
    let pay = |amount: i64, phone: &'static str| live.prompt_orange_cm(amount, phone);
    // Prompted; the payer approves; Orange notifies; Kumbu asks; settled.
    let id = pay(3500, "+237690000789").await;
    live.app.tick().await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    let p = live.payment(&id).await;
    let path: Vec<&str> = p["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        [
            "created",
            "operator_pending",
            "user_confirming",
            "debited",
            "settled"
        ],
        "{p}"
    );
    let stats = live.orange.stats();
    assert_eq!((stats.mp_payments, stats.tokens), (1, 1), "{stats:?}");
    // A token Orange no longer knows (WSO2 fault 900901) is replaced once, and the call made
    // again: the payer is prompted once.
    live.orange.expire_tokens();
    let id = pay(3600, "+237690000049").await;
    live.app.tick().await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 2)
        .await;
    live.app.tick().await;
    let p = live.payment(&id).await;
    assert_eq!(
        (p["status"].as_str(), p["operator_code"].as_str()),
        (Some("failed"), Some("FAILED")),
        "{p}"
    );
    let stats = live.orange.stats();
    assert_eq!((stats.mp_payments, stats.tokens), (2, 2), "{stats:?}");
    // A notification that does not name the prompt's payToken is ignored (…009: the payer
    // has not answered, so Orange sends nothing meanwhile).
    let id = pay(3700, "+237690000009").await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "user_confirming");
    let reference = live.operator_reference(&id).await;
    let asked = live.orange.stats().status_queries;
    let r = live
        .app
        .client
        .post(
            live.app
                .url(&format!("/callbacks/orange-money/{reference}")),
        )
        .json(&json!({"payToken": "MPNOTTHEONE", "status": "SUCCESSFULL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    live.app.tick().await;
    assert_eq!(live.orange.stats().status_queries, asked);
    live.app.ledger_ok().await;
    live
}

/// Adullam's `orangeCI` payments carry the URL the payer must open (`redirect_url`, the field an
/// older Adullam variant documents); its `mtnCI` payments, which prompt the phone, do not.
async fn adullam_orange_payments_carry_their_redirect_url(live: Live) -> Live {
    let live = live.with_orange().await;
    let merchant = live.app.sandbox_merchant().await;
    let c = live
        .app
        .engine
        .create_credential(&merchant, kumbu_core::Mode::Live, None)
        .await
        .unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&c.client_secret).to_owned();
    let t: Value = live
        .app
        .client
        .post(live.app.url("/compat/adullam/v1/oauth/token"))
        .json(
            &json!({"grant_type": "client_credentials", "client_id": c.client_id,
            "client_secret": secret}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = t["access_token"].as_str().expect("a token").to_owned();
    let pay = |channel: &'static str, phone: &'static str| {
        let (live, access) = (&live, &access);
        async move {
            let r = live
                .app
                .client
                .post(live.app.url("/compat/adullam/v1/payments"))
                .bearer_auth(access)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(
                    &json!({"amount": 2500, "currency": "XOF", "customer_phone": phone,
                    "channel": channel, "description": "Commande 92"}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()
        }
    };
    let v = pay("orangeCI", "+2250700000789").await;
    let url = v["redirect_url"]
        .as_str()
        .expect("a redirect_url")
        .to_owned();
    assert!(url.starts_with(&live.app.url("/pay/go/")), "{v}");
    // The same URL takes the payer on to Orange's page once it is made.
    live.orange_page(&url).await;
    let v = pay("mtnCI", "+2250500000789").await;
    assert!(v.get("redirect_url").is_none(), "{v}");
    live
}

/// A prompt lost on its way to Orange (`mp/pay` answered 500, nobody prompted): Kumbu asks the
/// payToken's status, hears `INITIATED`, and sends the prompt again under the same payToken
/// after a pause; the payer is prompted once and the payment settles.
async fn a_lost_prompt_is_sent_again_once(live: Live) -> Live {
    let live = live.with_orange_cm().await;
    live.orange
        .set_faults(kumbu_rails::orange_money::simulator::Faults {
            lose_next_prompts: 1,
            ..Default::default()
        });
    let id = live.prompt_orange_cm(4100, "+237690000789").await;
    live.app.tick().await;
    assert_eq!(
        live.orange.stats().mp_payments,
        0,
        "the first prompt was lost"
    );
    // Asked: INITIATED; then, after the pause, the prompt again.
    for _ in 0..4 {
        live.app.advance(Duration::from_secs(2)).await;
    }
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    let p = live.payment(&id).await;
    assert_eq!(p["status"], "settled", "{p}");
    let stats = live.orange.stats();
    assert_eq!(stats.mp_payments, 1, "prompted once: {stats:?}");
    assert!(stats.status_queries >= 1, "{stats:?}");
    live.app.ledger_ok().await;
    live
}

/// A live Simiz payment (Simiz cannot name operators; it was refused before issue 24) paid
/// through Orange: the payment's page offers Orange, hands the payer over to Orange's page, and
/// Simiz's own view of the payment says it was paid by Orange Money.
async fn a_live_simiz_payment_is_paid_through_orange(live: Live) -> Live {
    let live = live.with_orange().await;
    let (s, p) = super::checkout::simiz_pay(&live).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["livemode"], true, "{p}");
    let (visitor, page) =
        crate::checkout::Visitor::open(p["paymentUrl"].as_str().unwrap(), Some("fr")).await;
    assert!(page.html.contains("value=\"orange_ci\""), "{}", page.html);
    let sent = visitor
        .post(
            "",
            &[("phone", "07 00 00 07 89"), ("operator", "orange_ci")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let handover = sent.headers["location"].to_str().unwrap().to_owned();
    let handover = if handover.starts_with("http") {
        handover
    } else {
        live.app.url(&handover)
    };
    let orange_page = live.orange_page(&handover).await;
    live.answer_page(&orange_page, "pay", "0700000789").await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    let simiz_key = live.auth.replace("Bearer sk_live_", "Bearer smz_live_sk_");
    let r = live
        .app
        .client
        .get(live.app.url(&format!(
            "/compat/simiz/v1/payments/{}",
            p["id"].as_str().unwrap()
        )))
        .header("authorization", simiz_key)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["status"].as_str(), v["paymentMethod"].as_str()),
        (Some("COMPLETED"), Some("ORANGE_MONEY")),
        "{v}"
    );
    live.app.ledger_ok().await;
    live
}

/// Web Payment's token, refused because Orange no longer knows it (expired early, revoked), is
/// renewed once and the call made again: the page is made once.
async fn a_web_payment_token_orange_forgot_is_renewed_once(live: Live) -> Live {
    let live = live.with_orange().await;
    let (_, handover) = live.pay_orange(2100).await;
    live.orange_page(&handover).await;
    assert_eq!(live.orange.stats().tokens, 1);
    live.orange.expire_tokens();
    let (id, handover) = live.pay_orange(2200).await;
    let page = live.orange_page(&handover).await;
    let stats = live.orange.stats();
    assert_eq!((stats.tokens, stats.webpayments), (2, 2), "{stats:?}");
    live.answer_page(&page, "pay", "0700000789").await;
    live.orange_until("the notification", |s| s.notifications_delivered >= 1)
        .await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "settled");
    live
}
