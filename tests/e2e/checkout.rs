//! Checkout sessions: the native API, and the page driven over HTTP as a browser without
//! JavaScript would (forms, cookies, redirects). The real-browser scenarios are in browser.rs.

use crate::both;
use crate::harness::{TestApp, DELAY};
use kumbu_core::Mode;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;

/// A browser's view of one page: its cookie and the form token it was given.
pub struct Visitor {
    client: reqwest::Client,
    cookie: Option<String>,
    /// The browser's Accept-Language, sent with every request.
    lang: Option<String>,
    /// An `X-Forwarded-For` sent with every request (as a proxy in front would add it).
    pub forwarded_for: Option<String>,
    pub path: String,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

fn field(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key)? + key.len();
    Some(html[i..].split('"').next()?.to_owned())
}

impl Visitor {
    /// Opens the page at `url` (absolute) in a new "browser".
    pub async fn open(url: &str, lang: Option<&str>) -> (Visitor, Page) {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let path = url[url.find("/pay/").unwrap()..].to_owned();
        let base = url[..url.find("/pay/").unwrap()].to_owned();
        let mut v = Visitor {
            client,
            cookie: None,
            lang: lang.map(str::to_owned),
            forwarded_for: None,
            path,
            csrf: String::new(),
        };
        v.path = format!("{base}{}", v.path);
        let page = v.get(lang).await;
        (v, page)
    }

    /// Reloads the page.
    pub async fn get(&mut self, accept_language: Option<&str>) -> Page {
        let mut req = self.client.get(&self.path);
        if let Some(l) = accept_language.or(self.lang.as_deref()) {
            req = req.header("accept-language", l);
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        if let Some(c) = resp.headers().get("set-cookie") {
            self.cookie = Some(c.to_str().unwrap().split(';').next().unwrap().to_owned());
        }
        let page = Page {
            status: resp.status(),
            headers: resp.headers().clone(),
            html: resp.text().await.unwrap(),
        };
        if let Some(t) = field(&page.html, "csrf") {
            self.csrf = t;
        }
        page
    }

    /// Posts a form to `suffix` (`""`, `/cancel`, `/sandbox`) with the CSRF token.
    pub async fn post(&self, suffix: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        form.extend_from_slice(fields);
        self.post_raw(suffix, &form).await
    }

    pub async fn post_raw(&self, suffix: &str, form: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut req = self
            .client
            .post(format!("{}{suffix}", self.path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(l) = &self.lang {
            req = req.header("accept-language", l);
        }
        if let Some(f) = &self.forwarded_for {
            req = req.header("x-forwarded-for", f);
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        Page {
            status: resp.status(),
            headers: resp.headers().clone(),
            html: resp.text().await.unwrap(),
        }
    }
}

pub async fn create_session(app: &TestApp, body: Value) -> Value {
    let (s, v) = app.post("/v1/checkout/sessions", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

pub fn xaf_session() -> Value {
    json!({
        "currency": "XAF",
        "items": [{"name": "T-shirt", "quantity": 2, "unit_amount": 2500}],
        "return_url": "https://shop.example/paid?order=7",
        "cancel_url": "https://shop.example/cart",
        "description": "Order #7",
        "metadata": {"order": "7"}
    })
}

async fn session(app: &TestApp, id: &str) -> Value {
    let (s, v) = app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn event_types(app: &TestApp, object: &str) -> Vec<String> {
    let (_, v) = app.get("/v1/events?limit=100").await;
    let mut types: Vec<(i64, String)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == object)
        .map(|e| {
            (
                e["sequence"].as_i64().unwrap(),
                e["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    types.sort();
    types.into_iter().map(|(_, t)| t).collect()
}

async fn pay_on_the_page(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, xaf_session()).await;
    assert_eq!(s["amount"], 5000);
    assert_eq!(s["status"], "open");
    assert_eq!(s["operators"], json!(["orange_cm", "mtn_cm"]));
    let url = s["url"].as_str().unwrap();
    assert!(url.starts_with(&app.base), "{url}");
    // The URL is the base, /pay/ and the token (190 random bits): nothing else, nothing personal.
    let token = url.strip_prefix(&format!("{}/pay/", app.base)).unwrap();
    assert!(
        token.len() == 32 && token.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{url}"
    );
    let id = s["id"].as_str().unwrap();

    let (mut v, page) = Visitor::open(url, Some("fr-CM,fr;q=0.9")).await;
    assert_eq!(page.status, 200);
    let h = &page.headers;
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert!(page.html.contains("lang=\"fr\""));
    assert!(page.html.contains("5\u{202f}000\u{a0}XAF"), "{}", page.html);
    assert!(page.html.contains("Orange Money") && page.html.contains("MTN MoMo"));
    assert!(page.html.contains("Mode test"));
    // The whole view, with its stylesheet and script, stays far under 100 KiB.
    let mut weight = page.html.len();
    for asset in ["/pay/assets/checkout.css", "/pay/assets/checkout.js"] {
        let r = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
        weight += r.bytes().await.unwrap().len();
    }
    assert!(weight < 100 * 1024, "{weight} bytes");

    // A POST without the token, or with another browser's, is refused and starts nothing.
    let forged = v
        .post_raw("", &[("phone", "+237670000789"), ("operator", "mtn_cm")])
        .await;
    assert_eq!(forged.status, 403);
    let other = Visitor::open(url, None).await.0;
    assert_eq!(
        other
            .post_raw("", &[("csrf", &v.csrf), ("phone", "+237670000789")])
            .await
            .status,
        403
    );
    assert_eq!(session(&app, id).await["attempts"], 0);

    // A national number is completed with the country code; the operator follows the prefix.
    let sent = v.post("", &[("phone", "670 000 789")]).await;
    assert_eq!(sent.status, 303);
    let s1 = session(&app, id).await;
    assert_eq!(s1["attempts"], 1);
    assert_eq!(s1["latest_attempt"]["operator"], "mtn_cm");
    assert_eq!(s1["latest_attempt"]["phone"], "+237670000789");
    // A double submit does not start a second payment.
    assert_eq!(
        v.post("", &[("phone", "+237670000789"), ("operator", "mtn_cm")])
            .await
            .status,
        303
    );
    assert_eq!(session(&app, id).await["attempts"], 1);
    app.tick().await;
    let waiting = v.get(Some("fr")).await;
    assert!(waiting.html.contains("role=\"status\""));
    assert!(
        waiting.html.contains("Validez le paiement"),
        "{}",
        waiting.html
    );
    assert!(waiting.html.contains("http-equiv=\"refresh\""));

    app.steps(4).await;
    let done = session(&app, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    let payment = done["payment"].as_str().unwrap();
    assert_eq!(done["latest_attempt"]["payment"], payment);
    let p = app.payment(payment).await;
    assert_eq!(p["amount"], 5000);
    assert_eq!(p["metadata"]["order"], "7");
    assert_eq!(p["checkout_session"], id);
    let receipt = v.get(Some("fr")).await.html;
    assert!(receipt.contains("Paiement reçu"), "{receipt}");
    // The heading says it is done, no longer "Pay <merchant>" (issue 28).
    assert!(
        receipt.contains("<h1>Payé à ") && !receipt.contains("<h1>Payer "),
        "{receipt}"
    );
    assert!(receipt.contains(payment));
    assert!(receipt.contains(&format!(
        "https://shop.example/paid?order=7&amp;checkout_session_id={id}"
    )));
    assert_eq!(
        event_types(&app, id).await,
        ["checkout.created", "checkout.completed"]
    );
    // A second tab that still shows the form cannot pay again.
    assert_eq!(
        other
            .post("", &[("phone", "+237690000789"), ("operator", "orange_cm")])
            .await
            .status,
        303
    );
    let after = session(&app, id).await;
    assert_eq!(
        (after["attempts"].as_i64(), &after["payment"]),
        (Some(1), &done["payment"])
    );
    app.ledger_ok().await;
    Some(app)
}

async fn failure_then_retry(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, json!({"amount": 1500, "currency": "XOF", "return_url": "https://shop.example/ok", "locale": "pt"})).await;
    let id = s["id"].as_str().unwrap();
    let (mut v, page) = Visitor::open(s["url"].as_str().unwrap(), Some("en")).await;
    assert!(
        page.html.contains("lang=\"pt\""),
        "the session's locale wins"
    );
    // …049: not enough money.
    let r = v
        .post(
            "",
            &[("phone", "+2250700000049"), ("operator", "orange_ci")],
        )
        .await;
    assert_eq!(r.status, 303);
    app.steps(3).await;
    let failed = v.get(None).await.html;
    assert!(
        failed.contains("O saldo da conta é insuficiente"),
        "{failed}"
    );
    assert_eq!(session(&app, id).await["status"], "open");
    // A number of another country is refused beside the field, in words.
    let bad = v
        .post("", &[("phone", "+237670000789"), ("operator", "orange_ci")])
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.html.contains("id=\"err-phone\""), "{}", bad.html);
    // Retry on another number and operator.
    let r = v
        .post("", &[("phone", "+2250500000789"), ("operator", "mtn_ci")])
        .await;
    assert_eq!(r.status, 303);
    app.steps(4).await;
    let done = session(&app, id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["attempts"], 2);
    assert_eq!(done["latest_attempt"]["operator"], "mtn_ci");
    Some(app)
}

async fn expiry_while_waiting(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, json!({"amount": 1000, "currency": "XOF", "return_url": "https://shop.example/ok", "cancel_url": "https://shop.example/back", "expires_in_minutes": 5})).await;
    let id = s["id"].as_str().unwrap();
    let (v, _) = Visitor::open(s["url"].as_str().unwrap(), None).await;
    // …059: the payer never answers.
    assert_eq!(
        v.post(
            "",
            &[("phone", "+2250700000059"), ("operator", "orange_ci")]
        )
        .await
        .status,
        303
    );
    app.steps(2).await;
    let waiting = session(&app, id).await;
    let attempt = waiting["latest_attempt"]["payment"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(waiting["status"], "open");
    app.advance(Duration::from_secs(5 * 60)).await;
    app.tick().await;
    let s = session(&app, id).await;
    assert_eq!(s["status"], "expired", "{s}");
    assert_eq!(app.status_of(&attempt).await, "expired");
    let mut v = v;
    let page = v.get(None).await.html;
    assert!(page.contains("This payment link has expired"), "{page}");
    assert!(page.contains("https://shop.example/back?checkout_session_id="));
    assert_eq!(
        v.post(
            "",
            &[("phone", "+2250700000789"), ("operator", "orange_ci")]
        )
        .await
        .status,
        303
    );
    assert_eq!(session(&app, id).await["attempts"], 1);
    assert_eq!(
        event_types(&app, id).await,
        ["checkout.created", "checkout.expired"]
    );
    Some(app)
}

async fn cancel_on_the_page(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    let (mut v, _) = Visitor::open(s["url"].as_str().unwrap(), Some("en")).await;
    assert_eq!(
        v.post("", &[("phone", "+237670000009"), ("operator", "mtn_cm")])
            .await
            .status,
        303
    );
    app.steps(2).await;
    let attempt = session(&app, id).await["latest_attempt"]["payment"]
        .as_str()
        .unwrap()
        .to_owned();
    let waiting = v.get(None).await.html;
    assert!(waiting.contains("Test: approve on the phone"));
    // While the prompt is on the phone the page cannot close (a debit could follow): it says
    // to refuse on the phone, and a cancel that arrives anyway changes nothing.
    assert!(waiting.contains("To cancel, refuse the request on your phone"));
    assert!(!waiting.contains("/cancel\""));
    assert_eq!(v.post("/cancel", &[]).await.status, 303);
    assert_eq!(session(&app, id).await["status"], "open");
    assert_eq!(app.status_of(&attempt).await, "user_confirming");
    // Refused on the phone: now the customer can leave.
    assert_eq!(
        v.post("/sandbox", &[("answer", "decline")]).await.status,
        303
    );
    assert_eq!(app.status_of(&attempt).await, "failed");
    v.get(None).await;
    assert_eq!(v.post("/cancel", &[]).await.status, 303);
    assert_eq!(session(&app, id).await["status"], "cancelled");
    let page = v.get(None).await.html;
    assert!(page.contains("Payment cancelled"), "{page}");
    assert!(page.contains("https://shop.example/cart?checkout_session_id="));
    assert_eq!(
        event_types(&app, id).await,
        ["checkout.created", "checkout.cancelled"]
    );
    // An attempt not yet sent to the operator is cancelled with its session.
    let s2 = create_session(&app, xaf_session()).await;
    let id2 = s2["id"].as_str().unwrap();
    let (v2, _) = Visitor::open(s2["url"].as_str().unwrap(), Some("en")).await;
    v2.post("", &[("phone", "+237670000789"), ("operator", "mtn_cm")])
        .await;
    let created = session(&app, id2).await["latest_attempt"]["payment"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.status_of(&created).await, "created");
    assert_eq!(v2.post("/cancel", &[]).await.status, 303);
    assert_eq!(session(&app, id2).await["status"], "cancelled");
    assert_eq!(app.status_of(&created).await, "cancelled");
    app.steps(5).await;
    assert_eq!(app.status_of(&created).await, "cancelled");
    app.ledger_ok().await;
    Some(app)
}

async fn sandbox_phone_on_the_page(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    let (mut v, _) = Visitor::open(s["url"].as_str().unwrap(), Some("en")).await;
    assert_eq!(
        v.post("/sandbox", &[("answer", "confirm")]).await.status,
        409,
        "nothing waits yet"
    );
    v.post("", &[("phone", "+237670000009"), ("operator", "mtn_cm")])
        .await;
    app.steps(2).await;
    v.get(None).await;
    assert_eq!(
        v.post("/sandbox", &[("answer", "confirm")]).await.status,
        303
    );
    app.tick().await;
    assert_eq!(session(&app, id).await["status"], "completed");
    Some(app)
}

async fn merchant_expires_a_session(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    let (v, _) = Visitor::open(s["url"].as_str().unwrap(), None).await;
    v.post("", &[("phone", "+237670000009"), ("operator", "mtn_cm")])
        .await;
    app.steps(2).await;
    let attempt = session(&app, id).await["latest_attempt"]["payment"]
        .as_str()
        .unwrap()
        .to_owned();
    // The prompt is on the phone: the session cannot be expired under it.
    let (st, e) = app
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &json!({}))
        .await;
    assert_eq!(
        (st.as_u16(), e["error"]["code"].as_str()),
        (409, Some("checkout_attempt_in_progress")),
        "{e}"
    );
    assert_eq!(app.status_of(&attempt).await, "user_confirming");
    v.post("/sandbox", &[("answer", "decline")]).await;
    let (st, e) = app
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &json!({}))
        .await;
    assert_eq!(st, 200, "{e}");
    assert_eq!(e["status"], "expired");
    assert_eq!(app.status_of(&attempt).await, "failed");
    let (st, again) = app
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &json!({}))
        .await;
    assert_eq!((st.as_u16(), &again["status"]), (200, &json!("expired")));
    // A completed session cannot be expired.
    let s2 = create_session(&app, xaf_session()).await;
    let id2 = s2["id"].as_str().unwrap();
    let (v2, _) = Visitor::open(s2["url"].as_str().unwrap(), None).await;
    v2.post("", &[("phone", "+237670000789"), ("operator", "mtn_cm")])
        .await;
    app.steps(4).await;
    let (st, e) = app
        .post(&format!("/v1/checkout/sessions/{id2}/expire"), &json!({}))
        .await;
    assert_eq!(st, 409, "{e}");
    assert_eq!(e["error"]["code"], "checkout_session_not_open");
    // Lists filter by status, newest first.
    let (_, list) = app.get("/v1/checkout/sessions?status=expired").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], id);
    let (_, all) = app.get("/v1/checkout/sessions?limit=1").await;
    assert_eq!(
        (all["data"][0]["id"].as_str(), all["has_more"].as_bool()),
        (Some(id2), Some(true))
    );
    let (_, next) = app
        .get(&format!("/v1/checkout/sessions?starting_after={id2}"))
        .await;
    assert_eq!(next["data"][0]["id"], id);
    // An attempt past its deadline that the worker has not reached yet does not hold the
    // session open: it is expired first.
    let s3 = create_session(&app, xaf_session()).await;
    let id3 = s3["id"].as_str().unwrap();
    let (v3, _) = Visitor::open(s3["url"].as_str().unwrap(), None).await;
    v3.post("", &[("phone", "+237670001009"), ("operator", "mtn_cm")])
        .await;
    app.steps(2).await;
    let late = session(&app, id3).await["latest_attempt"]["payment"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(Duration::from_secs(11 * 60));
    let (st, e) = app
        .post(&format!("/v1/checkout/sessions/{id3}/expire"), &json!({}))
        .await;
    assert_eq!(
        (st.as_u16(), e["status"].as_str()),
        (200, Some("expired")),
        "{e}"
    );
    assert_eq!(app.status_of(&late).await, "expired");
    Some(app)
}

async fn bad_sessions_name_the_field(app: TestApp) -> Option<TestApp> {
    let base =
        || json!({"amount": 5000, "currency": "XAF", "return_url": "https://shop.example/ok"});
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"return_url": "/ok"}),
            "return_url",
            "parameter_invalid",
        ),
        (
            json!({"return_url": "javascript:alert(1)"}),
            "return_url",
            "parameter_invalid",
        ),
        (
            json!({"cancel_url": "ftp://x"}),
            "cancel_url",
            "parameter_invalid",
        ),
        (
            json!({"expires_in_minutes": 4}),
            "expires_in",
            "parameter_invalid",
        ),
        // The item at fault is named by its index.
        (
            json!({"amount": null, "items": [
                {"name": "Pão", "quantity": 1, "unit_amount": 500},
                {"name": 7, "quantity": 1, "unit_amount": 500}
            ]}),
            "items[1].name",
            "parameter_invalid",
        ),
        (
            json!({"amount": null, "items": [{"name": "Pão", "quantity": 1}]}),
            "items[0].unit_amount",
            "parameter_missing",
        ),
        (
            json!({"expires_in_minutes": 1441}),
            "expires_in",
            "parameter_invalid",
        ),
        (
            json!({"currency": "AOA"}),
            "currency",
            "currency_not_supported",
        ),
        (
            json!({"currency": "EUR"}),
            "currency",
            "currency_not_supported",
        ),
        (
            json!({"operators": ["orange_ci"]}),
            "operators",
            "operator_not_available",
        ),
        (
            json!({"operators": ["nope"]}),
            "operators",
            "operator_unknown",
        ),
        (json!({"locale": "de"}), "locale", "parameter_invalid"),
        (json!({"amount": 50.5}), "amount", "amount_too_precise"),
        (json!({"amount": 0}), "amount", "amount_out_of_range"),
        (
            json!({"amount": 4999, "items": [{"name": "x", "quantity": 1, "unit_amount": 5000}]}),
            "amount",
            "amount_out_of_range",
        ),
        (
            json!({"items": [{"name": "", "quantity": 1, "unit_amount": 5000}]}),
            "items",
            "parameter_invalid",
        ),
        (
            json!({"items": [{"name": "x", "quantity": 0, "unit_amount": 5000}]}),
            "items",
            "parameter_invalid",
        ),
        (
            json!({"customer": {"phone": "12"}}),
            "customer.phone",
            "phone_invalid",
        ),
        (
            json!({"description": "a\u{0}b"}),
            "description",
            "parameter_invalid",
        ),
        (json!({"surprise": 1}), "surprise", "parameter_unknown"),
    ];
    for (patch, param, code) in cases {
        let mut body = base();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        if body.get("items").is_some() && patch.get("amount").is_none() {
            body.as_object_mut().unwrap().remove("amount");
        }
        let (s, e) = app.post("/v1/checkout/sessions", &body).await;
        assert_eq!(s, 400, "{patch}: {e}");
        assert_eq!(e["error"]["code"], code, "{patch}: {e}");
        assert_eq!(e["error"]["param"], param, "{patch}: {e}");
    }
    // Idempotency: the same key replays the same session.
    let (s1, h1, a) = app
        .send(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&base().to_string()),
            &[("Idempotency-Key", "cs-1")],
        )
        .await;
    let (s2, h2, b) = app
        .send(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&base().to_string()),
            &[("Idempotency-Key", "cs-1")],
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(a["id"], b["id"]);
    assert!(h1.get("idempotent-replayed").is_none() && h2.get("idempotent-replayed").is_some());
    // Another merchant's session is not found; the page of an unknown token is a page.
    let (s, _, _) = app
        .send(
            Method::GET,
            &format!("/v1/checkout/sessions/{}", a["id"].as_str().unwrap()),
            None,
            &[("authorization", "Bearer sk_test_nobody000000000000000")],
        )
        .await;
    assert_eq!(s, 401);
    let missing = app
        .client
        .get(app.url("/pay/notAToken0000000000000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("Unknown payment link"));
    assert_eq!(app.get("/v1/checkout/sessions/cs_nope").await.0, 404);
    Some(app)
}

async fn limits_per_session_and_number(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, xaf_session()).await;
    let (mut v, _) = Visitor::open(s["url"].as_str().unwrap(), Some("en")).await;
    // Five declined prompts (…039), each to another number.
    for i in 0..5 {
        let phone = format!("+23767000{i}039");
        assert_eq!(
            v.post("", &[("phone", &phone), ("operator", "mtn_cm")])
                .await
                .status,
            303
        );
        app.steps(3).await;
        v.get(None).await;
    }
    let sixth = v
        .post("", &[("phone", "+237670009039"), ("operator", "mtn_cm")])
        .await;
    assert_eq!(sixth.status, 429, "{}", sixth.html);
    assert!(sixth.html.contains("Too many attempts"));
    // One number gets at most five checkout prompts in ten minutes, across sessions.
    for _ in 0..5 {
        let s = create_session(&app, xaf_session()).await;
        let (v, _) = Visitor::open(s["url"].as_str().unwrap(), None).await;
        assert_eq!(
            v.post("", &[("phone", "+237671111039"), ("operator", "mtn_cm")])
                .await
                .status,
            303
        );
    }
    let s = create_session(&app, xaf_session()).await;
    let (v, _) = Visitor::open(s["url"].as_str().unwrap(), Some("fr")).await;
    let spam = v
        .post("", &[("phone", "+237671111039"), ("operator", "mtn_cm")])
        .await;
    assert_eq!(spam.status, 429);
    assert!(spam.html.contains("Trop de demandes"), "{}", spam.html);
    app.advance(Duration::from_secs(601)).await;
    assert_eq!(
        v.post("", &[("phone", "+237671111039"), ("operator", "mtn_cm")])
            .await
            .status,
        303
    );
    Some(app)
}

async fn racing_tabs_start_one_payment(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let url = s["url"].as_str().unwrap().to_owned();
    // Eight tabs show the form, then all submit at once.
    let mut visitors = Vec::new();
    for _ in 0..8 {
        visitors.push(Visitor::open(&url, None).await.0);
    }
    let mut tabs = Vec::new();
    for (i, v) in visitors.into_iter().enumerate() {
        tabs.push(tokio::spawn(async move {
            let phone = format!("+2376700007{i}9");
            v.post("", &[("phone", &phone), ("operator", "mtn_cm")])
                .await
                .status
        }));
    }
    for t in tabs {
        assert_eq!(t.await.unwrap(), 303);
    }
    assert_eq!(session(&app, &id).await["attempts"], 1);
    let (_, list) = app.get("/v1/payments?limit=100").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    app.steps(4).await;
    assert_eq!(session(&app, &id).await["status"], "completed");
    app.ledger_ok().await;
    Some(app)
}

async fn operator_prediction(app: TestApp) -> Option<TestApp> {
    let (s, v) = app.get("/v1/operators/predict?phone=2250700000789").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"phone": "+2250700000789", "country": "CI", "operators": ["orange_ci", "wave_ci"]})
    );
    let (s, v) = app.get("/v1/operators/predict?phone=%2B237690000789").await;
    assert_eq!((s.as_u16(), &v["operators"]), (200, &json!(["orange_cm"])));
    for bad in [
        "?phone=+33612345678",
        "?phone=abc",
        "",
        "?phone=2250700000789&x=1",
    ] {
        let (s, e) = app.get(&format!("/v1/operators/predict{bad}")).await;
        assert_eq!(s, 400, "{bad}: {e}");
    }
    let (s, e) = app.get("/v1/operators/predict?phone=258821000789").await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (400, Some("phone_invalid"))
    );
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("another network"));
    Some(app)
}

async fn live_and_other_merchants(app: TestApp) -> Option<TestApp> {
    let s = create_session(&app, xaf_session()).await;
    let id = s["id"].as_str().unwrap();
    let other = app.engine.create_merchant("Other shop").await.unwrap();
    let other_key = app
        .engine
        .create_api_key(&other.id, Mode::Test)
        .await
        .unwrap();
    let other_auth = format!("Bearer {}", other_key.secret.expose_secret());
    let (st, _, e) = app
        .send(
            Method::GET,
            &format!("/v1/checkout/sessions/{id}"),
            None,
            &[("authorization", &other_auth)],
        )
        .await;
    assert_eq!(
        (st.as_u16(), e["error"]["code"].as_str()),
        (404, Some("resource_missing"))
    );
    let (_, _, list) = app
        .send(
            Method::GET,
            "/v1/checkout/sessions",
            None,
            &[("authorization", &other_auth)],
        )
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    // Live, without operator credentials: the page could take no payment, so none is made, and
    // the error says which credentials to set.
    let sandbox = app.sandbox_merchant().await;
    let live = app
        .engine
        .create_api_key(&sandbox, Mode::Live)
        .await
        .unwrap();
    let live_auth = format!("Bearer {}", live.secret.expose_secret());
    let (st, _, e) = app
        .send(
            Method::POST,
            "/v1/checkout/sessions",
            Some(&xaf_session().to_string()),
            &[("authorization", &live_auth)],
        )
        .await;
    assert_eq!(
        (st.as_u16(), e["error"]["code"].as_str()),
        (400, Some("connector_not_configured")),
        "{e}"
    );
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("PUT /v1/connectors/orange_cm"));
    let _ = DELAY;
    Some(app)
}

async fn branded_page(app: TestApp) -> Option<TestApp> {
    let sandbox = app.sandbox_merchant().await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>"#.to_vec();
    let change = kumbu_engine::SetBranding {
        name: Some("Boutique Awa".into()),
        color: Some("#0A7F3C".into()),
        logo: Some((svg, "logo.svg".into())),
    };
    let b = app.engine.set_branding(&sandbox, change).await.unwrap();
    assert_eq!(b.brand_color.as_deref(), Some("#0a7f3c"));
    for bad in [
        kumbu_engine::SetBranding {
            color: Some("red".into()),
            ..Default::default()
        },
        kumbu_engine::SetBranding {
            color: Some("#0a7f3c;}".into()),
            ..Default::default()
        },
        kumbu_engine::SetBranding {
            logo: Some((vec![0; 30_000], "big.png".into())),
            ..Default::default()
        },
        kumbu_engine::SetBranding {
            logo: Some((vec![1], "x.gif".into())),
            ..Default::default()
        },
        kumbu_engine::SetBranding {
            name: Some(" ".into()),
            ..Default::default()
        },
    ] {
        assert!(app.engine.set_branding(&sandbox, bad).await.is_err());
    }
    let s = create_session(&app, xaf_session()).await;
    let (_, page) = Visitor::open(s["url"].as_str().unwrap(), Some("en")).await;
    assert!(page.html.contains("Pay Boutique Awa"));
    assert!(page
        .html
        .contains("img class=\"logo\" src=\"data:image/svg+xml;base64,"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        page.html.contains(&format!(
            "<style nonce=\"{nonce}\">:root{{--brand:#0a7f3c;--on-brand:#fff}}</style>"
        )),
        "{}",
        page.html
    );
    // Each response has its own nonce.
    let (_, again) = Visitor::open(s["url"].as_str().unwrap(), None).await;
    assert_ne!(
        again.headers["content-security-policy"],
        page.headers["content-security-policy"]
    );
    Some(app)
}

both!(
    branded_page,
    pay_on_the_page,
    failure_then_retry,
    expiry_while_waiting,
    cancel_on_the_page,
    sandbox_phone_on_the_page,
    merchant_expires_a_session,
    bad_sessions_name_the_field,
    limits_per_session_and_number,
    racing_tabs_start_one_payment,
    operator_prediction,
    live_and_other_merchants,
);

/// A network address starts at most `--checkout-ip-limit` payments in 10 minutes (here 2),
/// whatever the pages and numbers.
async fn attempts_per_address(backend: crate::harness::Backend) {
    let opts = crate::harness::Opts {
        checkout_ip_limit: 2,
        ..crate::harness::Opts::default()
    };
    let Some(app) = TestApp::spawn_with(backend, "checkout_attempts_per_address", opts).await
    else {
        return;
    };
    // Three customers behind this machine's proxy, at three addresses of one IPv6 /64: one
    // network, one count (issue 23, item 10: each address counted apart, a /64 was unlimited).
    for i in 0..3 {
        let s = create_session(&app, xaf_session()).await;
        let (mut v, _) = Visitor::open(s["url"].as_str().unwrap(), Some("pt")).await;
        v.forwarded_for = Some(format!("2c0f:f4c0:1:2::{}", i + 1));
        let phone = format!("+23767000{i}789");
        let r = v
            .post("", &[("phone", &phone), ("operator", "mtn_cm")])
            .await;
        if i < 2 {
            assert_eq!(r.status, 303);
        } else {
            assert_eq!(r.status, 429, "{}", r.html);
            assert!(r
                .html
                .contains("Demasiados pagamentos iniciados a partir desta rede"));
            assert_eq!(
                session(&app, s["id"].as_str().unwrap()).await["attempts"],
                0
            );
        }
    }
    // Another /64 is another network.
    let s = create_session(&app, xaf_session()).await;
    let (mut v, _) = Visitor::open(s["url"].as_str().unwrap(), None).await;
    v.forwarded_for = Some("2c0f:f4c0:1:3::1".to_owned());
    let r = v
        .post("", &[("phone", "+237670003789"), ("operator", "mtn_cm")])
        .await;
    assert_eq!(r.status, 303);
    app.finish().await;

    // With the proxies named (`--trusted-proxy 10.0.0.0/8`), a peer outside them is the client
    // itself, whatever X-Forwarded-For it sends: three forged addresses are one count.
    let opts = crate::harness::Opts {
        checkout_ip_limit: 2,
        trusted_proxies: kumbu_http::TrustedProxies::parse(&["10.0.0.0/8"]).unwrap(),
        ..crate::harness::Opts::default()
    };
    let Some(app) = TestApp::spawn_with(backend, "checkout_attempts_trusted_proxy", opts).await
    else {
        return;
    };
    for i in 0..3 {
        let s = create_session(&app, xaf_session()).await;
        let (mut v, _) = Visitor::open(s["url"].as_str().unwrap(), None).await;
        v.forwarded_for = Some(format!("41.202.207.{}", i + 1));
        let phone = format!("+23767000{i}789");
        let r = v
            .post("", &[("phone", &phone), ("operator", "mtn_cm")])
            .await;
        assert_eq!(r.status, if i < 2 { 303 } else { 429 }, "{i}: {}", r.html);
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_per_address_sqlite() {
    attempts_per_address(crate::harness::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_per_address_postgres() {
    attempts_per_address(crate::harness::Backend::Postgres).await;
}
