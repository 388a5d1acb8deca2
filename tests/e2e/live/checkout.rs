//! Live checkout pages (issue 24, item 1): a live session offers, by default, the operators of
//! its currency the merchant can take live payments through (here MTN Côte d'Ivoire, whose
//! credentials the fixture set), on every face that makes sessions; naming an operator without a
//! connector or without credentials is refused, naming the fix; a session with nothing to offer
//! is refused with a clear error. And a live page paid end to end in a real browser, through
//! MTN's simulator.

use super::{quick, run, Live};
use crate::checkout::Visitor;
use crate::webdriver::{Browser, Setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

live_both!(
    live_sessions_offer_what_the_merchant_can_take => (super::quick(), crate::harness::Opts::default()),
    a_live_page_is_paid_through_mtn => (super::quick(), crate::harness::Opts::default()),
);

fn session(currency: &str, operators: Option<&[&str]>) -> Value {
    let mut body = json!({"amount": 5000, "currency": currency,
        "return_url": "https://boutique.example/merci", "description": "Commande 88"});
    if let Some(ops) = operators {
        body["operators"] = json!(ops);
    }
    body
}

/// The operators a session's page offers, as radio buttons.
fn offered_on_page(html: &str) -> Vec<String> {
    html.split("name=\"operator\"")
        .skip(1)
        .filter_map(|rest| {
            let v = rest.split("value=\"").nth(1)?;
            Some(v.split('"').next()?.to_owned())
        })
        .collect()
}

async fn live_sessions_offer_what_the_merchant_can_take(live: Live) -> Live {
    // By default: only the operators of XOF the merchant has live credentials for.
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&session("XOF", None)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["livemode"], true);
    assert_eq!(v["operators"], json!(["mtn_ci"]), "{v}");
    // The page offers the same, and nothing else.
    let (_, page) = Visitor::open(v["url"].as_str().unwrap(), Some("fr")).await;
    assert_eq!(offered_on_page(&page.html), ["mtn_ci"], "{}", page.html);
    // Its example number is one MTN prompts, not another network's.
    assert!(page.html.contains("+2250500000789"), "{}", page.html);
    // Named: one without a connector is refused, naming it; one with a connector and
    // credentials is taken.
    let both = session("XOF", Some(&["mtn_ci", "moov_ci"]));
    refused(&live, both, "operator_not_available", "moov_ci").await;
    // One with a connector but no credentials: refused, naming what to set.
    let both = session("XOF", Some(&["mtn_ci", "orange_ci"]));
    refused(
        &live,
        both,
        "connector_not_configured",
        "/v1/connectors/orange_ci",
    )
    .await;
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&session("XOF", Some(&["mtn_ci"]))),
        )
        .await;
    assert_eq!(
        (s, &v["operators"]),
        (StatusCode::OK, &json!(["mtn_ci"])),
        "{v}"
    );
    // XAF: Orange and MTN Cameroon have connectors but this merchant has no credentials for
    // them, so a default session has nothing to offer; the error says what to set.
    refused(
        &live,
        session("XAF", None),
        "connector_not_configured",
        "orange_cm, mtn_cm with PUT /v1/connectors/orange_cm",
    )
    .await;
    refused(
        &live,
        session("XAF", None),
        "connector_not_configured",
        "docs/operators/orange-money.md",
    )
    .await;
    // CVE: no operator of it has a live connector at all.
    refused(
        &live,
        session("CVE", None),
        "operator_not_available",
        "sandbox",
    )
    .await;
    // Test mode is unchanged: every operator of the currency, credentials or not.
    let (s, _, v) = live
        .app
        .send(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&session("XOF", None).to_string()),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["operators"].as_array().unwrap().len() > 1, "{v}");

    // Simiz's callers cannot name operators: a live payment there was always refused.
    let (status, p) = simiz_pay(&live).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let url = p["paymentUrl"].as_str().expect("a payment page");
    let (_, page) = Visitor::open(url, Some("fr")).await;
    assert_eq!(offered_on_page(&page.html), ["mtn_ci"]);
    // PlexosPay sessions follow, in PlexosPay's envelope.
    let r = live
        .app
        .client
        .post(live.app.url("/compat/plexospay/v1/checkout/sessions"))
        .header("authorization", &live.auth)
        .json(
            &json!({"currency": "CVE", "amount": "1500", "returnUrl": "https://loja.cv/carrinho"}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    let e: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(e.to_string().contains("no live connector"), "{e}");

    // Without credentials, nothing is offered live: the same clear refusal.
    let (s, _) = live
        .call(Method::DELETE, "/v1/connectors/mtn_ci", None)
        .await;
    assert!(s.is_success(), "{s}");
    refused(
        &live,
        session("XOF", None),
        "connector_not_configured",
        "mtn_ci",
    )
    .await;
    // In Simiz's envelope (its one code for a request it cannot take), naming the fix.
    let (status, e) = simiz_pay(&live).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "validation_error", "{e}");
    assert!(
        e.to_string().contains("PUT /v1/connectors/orange_ci"),
        "{e}"
    );
    live
}

/// A live session `body` is refused 400 with `code`, naming `operators`, in a message that
/// contains `needle`.
async fn refused(live: &Live, body: Value, code: &str, needle: &str) {
    let (s, e) = live
        .call(Method::POST, "/v1/checkout/sessions", Some(&body))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str(), e["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some(code), Some("operators")),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains(needle),
        "{e}"
    );
}

/// A Simiz payment (paid on Kumbu's page) with the live key as Simiz prints it.
pub(super) async fn simiz_pay(live: &Live) -> (StatusCode, Value) {
    let simiz_key = live.auth.replace("Bearer sk_live_", "Bearer smz_live_sk_");
    let r = live
        .app
        .client
        .post(live.app.url("/compat/simiz/v1/payments"))
        .header("authorization", &simiz_key)
        .json(
            &json!({"userId": "550e8400-e29b-41d4-a716-446655440000", "amount": 5000,
            "currency": "XOF", "returnUrl": "https://boutique.example/merci",
            "cancelUrl": "https://boutique.example/panier", "description": "Commande 89"}),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// A payer on a phone pays a live page: the page offers MTN alone, the request reaches MTN's
/// simulator, the approval's callback makes Kumbu ask, and the page shows the payment received.
async fn a_live_page_is_paid_through_mtn(live: Live) -> Live {
    let setup = Setup {
        languages: "en-GB,en",
        javascript: true,
    };
    let Some(b) = Browser::start("a_live_page_is_paid_through_mtn", setup).await else {
        return live;
    };
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&session("XOF", None)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    b.goto(v["url"].as_str().unwrap()).await;
    let html = b.wait_for("Pay Sandbox merchant").await;
    assert_eq!(offered_on_page(&html), ["mtn_ci"]);
    b.type_into("#phone", "+225 05 00 00 07 89").await;
    b.click("input[value=mtn_ci]").await;
    b.screenshot("live-form").await;
    b.click("form.pay button[type=submit]").await;
    b.wait_for("Approve the payment on your phone").await;
    // The request to pay reaches MTN, the payer approves at once, MTN calls back, Kumbu asks.
    live.app.tick().await;
    live.until("MTN's callback", |s| s.callbacks_delivered >= 1)
        .await;
    live.app.tick().await;
    let stats = live.stats();
    assert_eq!(
        (stats.registered, stats.status_queries),
        (1, 1),
        "{stats:?}"
    );
    b.wait_for("Payment received").await;
    b.screenshot("live-paid").await;
    let (_, v) = live
        .call(Method::GET, &format!("/v1/checkout/sessions/{id}"), None)
        .await;
    assert_eq!(v["status"], "completed", "{v}");
    let payment = v["payment"]
        .as_str()
        .expect("the paying payment")
        .to_owned();
    let p = live.payment(&payment).await;
    assert_eq!(
        (p["status"].as_str(), p["payer"]["operator"].as_str()),
        (Some("settled"), Some("mtn_ci")),
        "{p}"
    );
    live.app.ledger_ok().await;
    b.quit().await;
    live
}
