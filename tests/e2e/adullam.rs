//! The Adullam face, requests written from its documentation: access tokens for issued
//! credentials, payments with a required UUID Idempotency-Key, lists and search, refunds,
//! webhooks (signature checked by a real receiver) and the documented rate limits.

use crate::both;
use crate::harness::{TestApp, DELAY, KEY};
use crate::receiver::Receiver;
use kumbu_core::Mode;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;

const PHONE: &str = "+2250701020304";

/// Issues a credential for the sandbox merchant and returns (client id, secret, token).
pub(crate) async fn token(app: &TestApp) -> (String, String, String) {
    let merchant = app.engine.authenticate(KEY).await.unwrap().merchant_id;
    let c = app
        .engine
        .create_credential(
            &merchant,
            Mode::Test,
            Some(kumbu_core::Msisdn::parse(PHONE).unwrap()),
        )
        .await
        .unwrap();
    let secret = c.client_secret.expose_secret().to_owned();
    let r = app
        .client
        .post(app.url("/compat/adullam/v1/auth/token"))
        .json(&json!({"phone": PHONE, "password": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["token_type"].as_str(), v["expires_in"].as_u64()),
        (Some("Bearer"), Some(3600))
    );
    assert_eq!(v["partner_id"], merchant.as_str());
    (
        c.client_id,
        secret,
        v["access_token"].as_str().unwrap().to_owned(),
    )
}

async fn ad(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    idem: Option<&str>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = app
        .client
        .request(method, app.url(&format!("/compat/adullam/v1{path}")))
        .bearer_auth(token);
    if let Some(k) = idem {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let (s, h) = (resp.status(), resp.headers().clone());
    (s, resp.json().await.unwrap_or(Value::Null), h)
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn tokens_from_issued_credentials(app: TestApp) -> Option<TestApp> {
    let (client_id, secret, _) = token(&app).await;
    // OAuth client credentials, as a form (RFC 6749) and as JSON.
    let r = app
        .client
        .post(app.url("/compat/adullam/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    let access = t["access_token"].as_str().unwrap().to_owned();
    let (s, _, _) = ad(&app, &access, Method::GET, "/payments", None, None).await;
    assert_eq!(s, 200);
    for (body, status, error) in [
        (
            json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}),
            401,
            "invalid_client",
        ),
        (
            json!({"grant_type": "password", "client_id": client_id, "client_secret": secret}),
            400,
            "unsupported_grant_type",
        ),
        (
            json!({"grant_type": "client_credentials"}),
            400,
            "invalid_request",
        ),
        // No client has such an id (PostgreSQL refuses NUL in text: not a server error).
        (
            json!({"grant_type": "client_credentials", "client_id": "cli_\u{0}", "client_secret": secret}),
            401,
            "invalid_client",
        ),
    ] {
        let r = app
            .client
            .post(app.url("/compat/adullam/v1/oauth/token"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], error);
    }
    // HTTP Basic client authentication (RFC 6749 §2.3.1); token answers are not cached.
    let r = app
        .client
        .post(app.url("/compat/adullam/v1/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    // A Kumbu API key is not an access token; an expired token stops working.
    let (s, e, _) = ad(&app, KEY, Method::GET, "/payments", None, None).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    app.clock.advance(Duration::from_secs(3601));
    let (s, _, _) = ad(&app, &access, Method::GET, "/payments", None, None).await;
    assert_eq!(s, 401, "expired after an hour");
    // Revoking the credential revokes its tokens.
    let (_, _, fresh) = {
        let r = app.client.post(app.url("/compat/adullam/v1/oauth/token")).json(&json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})).send().await.unwrap();
        let v: Value = r.json().await.unwrap();
        ((), (), v["access_token"].as_str().unwrap().to_owned())
    };
    assert!(app.engine.revoke_credential(&client_id).await.unwrap());
    let (s, _, _) = ad(&app, &fresh, Method::GET, "/payments", None, None).await;
    assert_eq!(s, 401);
    Some(app)
}

async fn payments_as_documented(app: TestApp) -> Option<TestApp> {
    let (_, _, tok) = token(&app).await;
    let body = json!({"amount": 5000, "currency": "XOF", "customer_phone": "+2250798765432", "channel": "orangeCI", "description": "Order #12345", "metadata": {"order_id": "12345"}});
    // The Idempotency-Key is required and must be a UUID.
    let (s, e, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/payments",
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (400, Some("Idempotency-Key")),
        "{e}"
    );
    let (s, _, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/payments",
        Some(body.clone()),
        Some("not-a-uuid"),
    )
    .await;
    assert_eq!(s, 400);
    let key = uuid();
    let (s, p, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/payments",
        Some(body.clone()),
        Some(&key),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pay_"));
    assert_eq!(
        (
            p["status"].as_str(),
            p["amount"].as_i64(),
            p["channel"].as_str()
        ),
        (Some("pending"), Some(5000), Some("orangeCI"))
    );
    assert_eq!(
        p["fees"].as_i64().unwrap() + p["net_amount"].as_i64().unwrap(),
        5000
    );
    let name = p["customer_name"].as_str().unwrap();
    assert!(name.contains(' ') && name == name.to_uppercase(), "{name}");
    assert!(p["reference"].as_str().unwrap().starts_with("REF_"));
    let ussd = p["ussd_reference"].as_str().unwrap();
    assert!(
        ussd.starts_with("MP") && ussd.len() == 20 && ussd.matches('.').count() == 2,
        "{ussd}"
    );
    assert!(p["completed_at"].is_null() && p["failure_reason"].is_null());
    let (_, again, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/payments",
        Some(body.clone()),
        Some(&key),
    )
    .await;
    assert_eq!(
        again["id"],
        id.as_str(),
        "the same UUID replays the payment"
    );
    // Bad input names its field.
    for (bad, field) in [
        (
            json!({"amount": 99, "currency": "XOF", "customer_phone": "+2250798765432", "channel": "orangeCI"}),
            "amount",
        ),
        (
            json!({"amount": 500, "currency": "XAF", "customer_phone": "+2250798765432", "channel": "orangeCI"}),
            "currency",
        ),
        (
            json!({"amount": 500, "currency": "XOF", "customer_phone": "+2250798765432", "channel": "paypal"}),
            "channel",
        ),
        (
            json!({"amount": 500, "currency": "XOF", "customer_phone": "123", "channel": "orangeCI"}),
            "customer_phone",
        ),
        (
            json!({"amount": 500, "currency": "XOF", "customer_phone": "+2250798765432", "channel": "orangeCI", "description": "x".repeat(201)}),
            "description",
        ),
    ] {
        let (s, e, _) = ad(
            &app,
            &tok,
            Method::POST,
            "/payments",
            Some(bad.clone()),
            Some(&uuid()),
        )
        .await;
        assert_eq!(
            (s.as_u16(), e["error"]["field"].as_str()),
            (400, Some(field)),
            "{bad}: {e}"
        );
    }
    // To completion.
    app.tick().await;
    app.steps(3).await;
    let (_, got, _) = ad(
        &app,
        &tok,
        Method::GET,
        &format!("/payments/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(got["status"], "completed", "{got}");
    assert!(got["completed_at"].is_string());
    // Lists, filters, cursor; search by reference and phone.
    ad(&app, &tok, Method::POST, "/payments", Some(json!({"amount": 700, "currency": "XOF", "customer_phone": "+2250798765433", "channel": "waveCI"})), Some(&uuid())).await;
    let (_, page, _) = ad(&app, &tok, Method::GET, "/payments?limit=1", None, None).await;
    assert_eq!(
        (
            page["data"].as_array().unwrap().len(),
            page["has_more"].as_bool()
        ),
        (1, Some(true))
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest, _) = ad(
        &app,
        &tok,
        Method::GET,
        &format!("/payments?cursor={cursor}"),
        None,
        None,
    )
    .await;
    assert_eq!(rest["data"][0]["id"], id.as_str());
    let (_, done, _) = ad(
        &app,
        &tok,
        Method::GET,
        "/payments?status=completed&channel=orangeCI&amount_min=1000",
        None,
        None,
    )
    .await;
    assert_eq!(done["data"].as_array().unwrap().len(), 1);
    let (s, e, _) = ad(&app, &tok, Method::GET, "/payments?status=done", None, None).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (400, Some("status"))
    );
    // `created` matches nothing, but the other parameters are still checked.
    for (query, status, field) in [
        ("status=created", 200, None),
        ("status=created&amount_max=x", 400, Some("amount_max")),
        ("status=created&cursor=pay_nope", 404, Some("cursor")),
    ] {
        let (s, e, _) = ad(
            &app,
            &tok,
            Method::GET,
            &format!("/payments?{query}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            (s.as_u16(), e["error"]["field"].as_str()),
            (status, field),
            "{query}: {e}"
        );
    }
    let reference = p["reference"].as_str().unwrap();
    let (_, found, _) = ad(
        &app,
        &tok,
        Method::GET,
        &format!("/payments/search?reference={reference}"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (
            found["total_count"].as_i64(),
            found["data"][0]["id"].as_str()
        ),
        (Some(1), Some(id.as_str()))
    );
    let (_, by_phone, _) = ad(
        &app,
        &tok,
        Method::GET,
        "/payments/search?customer_phone=%2B2250798765433",
        None,
        None,
    )
    .await;
    assert_eq!(by_phone["total_count"], 1);
    // Refund.
    let (s, e, _) = ad(
        &app,
        &tok,
        Method::POST,
        &format!("/payments/{id}/refund"),
        Some(json!({"amount": 1000, "reason": "bored"})),
        Some(&uuid()),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (400, Some("reason"))
    );
    let (s, r, _) = ad(
        &app,
        &tok,
        Method::POST,
        &format!("/payments/{id}/refund"),
        Some(json!({"amount": 1000, "reason": "customer_request", "description": "damaged"})),
        Some(&uuid()),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert!(r["id"].as_str().unwrap().starts_with("refund_"));
    assert_eq!(
        (
            r["status"].as_str(),
            r["payment_id"].as_str(),
            r["description"].as_str()
        ),
        (Some("pending"), Some(id.as_str()), Some("damaged"))
    );
    Some(app)
}

async fn rate_limited_per_partner(app: TestApp) -> Option<TestApp> {
    let (_, _, tok) = token(&app).await;
    for i in 0..100 {
        let (s, _, _) = ad(&app, &tok, Method::GET, "/payments?limit=1", None, None).await;
        assert_eq!(s, 200, "request {i}");
    }
    let (s, e, h) = ad(&app, &tok, Method::GET, "/payments", None, None).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (429, Some("rate_limit_exceeded"))
    );
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    Some(app)
}

/// Only failed token requests count, per client and source address (issue 23, item 1): the
/// owner signs in as often as they like, and a stranger guessing from elsewhere slows down only
/// themselves. Before, every request counted under the client id alone: the 101st sign-in in a
/// minute was refused, and a stranger's 100 guesses locked the owner out.
async fn failed_sign_ins_slow_down_only_their_source(app: TestApp) -> Option<TestApp> {
    let (client_id, secret, _) = token(&app).await;
    let sign_in = |secret: String, from: &'static str| {
        let (app, client_id) = (&app, client_id.clone());
        async move {
            let r = app
                .client
                .post(app.url("/compat/adullam/v1/oauth/token"))
                .header("x-forwarded-for", from)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = r.json().await.unwrap();
            (
                status,
                body["error"].as_str().map(str::to_owned),
                retry_after,
            )
        }
    };
    let (owner, stranger) = ("198.51.100.9", "203.0.113.7");
    // 101 sign-ins in a minute, past the 100 a minute of the limits: none counts.
    for i in 0..=100 {
        let (s, _, _) = sign_in(secret.clone(), owner).await;
        assert_eq!(s, 200, "sign-in {i}");
    }
    for i in 0..100 {
        let (s, e, _) = sign_in(format!("guess-{i}"), stranger).await;
        assert_eq!(
            (s, e.as_deref()),
            (401, Some("invalid_client")),
            "guess {i}"
        );
    }
    // The stranger is refused before any secret is looked at, even the right one…
    let (s, e, wait) = sign_in(secret.clone(), stranger).await;
    assert_eq!((s, e.as_deref()), (429, Some("slow_down")));
    let wait: u64 = wait.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // …and the owner, elsewhere, is not.
    let (s, _, _) = sign_in(secret.clone(), owner).await;
    assert_eq!(s, 200);
    Some(app)
}

async fn webhooks_signed(app: TestApp) -> Option<TestApp> {
    let (_, _, tok) = token(&app).await;
    let rx = Receiver::start().await;
    let (s, w, _) = ad(&app, &tok, Method::POST, "/webhooks", Some(json!({"url": rx.url, "events": ["payment.completed", "payment.refunded"], "description": "shop"})), None).await;
    assert_eq!(s, 201, "{w}");
    assert!(w["id"].as_str().unwrap().starts_with("webhook_"));
    assert_eq!(w["status"], "active");
    assert_eq!(
        w["events"],
        json!(["payment.completed", "payment.refunded"])
    );
    let secret = w["secret"].as_str().unwrap().to_owned();
    let (_, p, _) = ad(&app, &tok, Method::POST, "/payments", Some(json!({"amount": 5000, "currency": "XOF", "customer_phone": "+2250798765432", "channel": "mtnCI"})), Some(&uuid())).await;
    app.tick().await;
    app.steps(3).await;
    let id = p["id"].as_str().unwrap();
    ad(
        &app,
        &tok,
        Method::POST,
        &format!("/payments/{id}/refund"),
        Some(json!({"reason": "duplicate"})),
        Some(&uuid()),
    )
    .await;
    for _ in 0..3 {
        app.clock.advance(DELAY);
        while app.engine.run_refund_batch().await.unwrap() > 0 {}
    }
    assert_eq!(app.engine.run_dispatch_until_idle().await.unwrap(), 2);
    let got = rx.take();
    let mut types = Vec::new();
    for r in &got {
        assert!(
            kumbu_engine::signature::verify(
                &r.adullam_signature,
                &secret,
                r.body.as_bytes(),
                app.clock.now_unix(),
                300
            ),
            "{}",
            r.adullam_signature
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        types.push(body["type"].as_str().unwrap().to_owned());
    }
    types.sort();
    assert_eq!(types, ["payment.completed", "payment.refunded"]);
    let (s, _, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/webhooks",
        Some(json!({"url": rx.url, "events": ["transfer.reversed"]})),
        None,
    )
    .await;
    assert_eq!(
        s, 400,
        "Kumbu reverses no transfer: the event is not offered"
    );
    // Body errors come in Adullam's envelope; a repeated event counts once.
    let (s, e, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/webhooks",
        Some(json!({"events": ["payment.completed"]})),
        None,
    )
    .await;
    assert_eq!(
        (
            s.as_u16(),
            e["error"]["code"].as_str(),
            e["error"]["field"].as_str()
        ),
        (400, Some("validation_error"), Some("url")),
        "{e}"
    );
    let (s, w, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/webhooks",
        Some(json!({"url": rx.url, "events": vec!["payment.failed"; 8]})),
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), &w["events"]),
        (201, &json!(["payment.failed"])),
        "{w}"
    );
    Some(app)
}

/// Transfers (issue 27, part 3): Adullam's `POST/GET /v1/transfers` as Kumbu payouts from the
/// balance, `txf_…` ids, fees from the merchant's price, and `transfer.*` webhooks.
async fn transfers_as_documented(app: TestApp) -> Option<TestApp> {
    let (_, _, tok) = token(&app).await;
    let rx = Receiver::start().await;
    let (s, w, _) = ad(&app, &tok, Method::POST, "/webhooks", Some(json!({"url": rx.url, "events": ["transfer.created", "transfer.completed", "transfer.failed"]})), None).await;
    assert_eq!(s, 201, "{w}");
    let secret = w["secret"].as_str().unwrap().to_owned();
    // Money to send: a settled payment.
    ad(&app, &tok, Method::POST, "/payments", Some(json!({"amount": 20000, "currency": "XOF", "customer_phone": "+2250798765432", "channel": "mtnCI"})), Some(&uuid())).await;
    app.tick().await;
    app.steps(4).await;
    let body = json!({"amount": 3000, "currency": "XOF", "recipient_phone": "+2250500000789",
        "channel": "mtnCI", "description": "Salaire", "reference": "paie-42", "metadata": {"employee": "7"}});
    let key = uuid();
    let (s, t, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/transfers",
        Some(body.clone()),
        Some(&key),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    let id = t["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("txf_"), "{t}");
    assert_eq!(
        (
            t["status"].as_str(),
            t["amount"].as_i64(),
            t["fees"].as_i64(),
            t["channel"].as_str(),
            t["recipient_phone"].as_str(),
            t["reference"].as_str(),
            t["metadata"]["employee"].as_str()
        ),
        (
            Some("pending"),
            Some(3000),
            Some(0),
            Some("mtnCI"),
            Some("+2250500000789"),
            Some("paie-42"),
            Some("7")
        ),
        "{t}"
    );
    assert!(t["recipient_name"].is_string(), "{t}");
    // The same key replays the same transfer; without one, Adullam's 400.
    let (s, again, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/transfers",
        Some(body.clone()),
        Some(&key),
    )
    .await;
    assert_eq!((s.as_u16(), again["id"].as_str()), (201, Some(id.as_str())));
    let (s, e, _) = ad(
        &app,
        &tok,
        Method::POST,
        "/transfers",
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(s.as_u16(), 400, "{e}");
    // One that fails (a number without a wallet): its money comes back.
    let (_, lost, _) = ad(&app, &tok, Method::POST, "/transfers", Some(json!({"amount": 1000, "currency": "XOF", "recipient_phone": "+2250500000029", "channel": "mtnCI"})), Some(&uuid())).await;
    for _ in 0..2 {
        app.clock.advance(DELAY);
        while app.engine.run_payout_batch().await.unwrap() > 0 {}
    }
    let (s, got, _) = ad(
        &app,
        &tok,
        Method::GET,
        &format!("/transfers/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (s.as_u16(), got["status"].as_str()),
        (200, Some("completed")),
        "{got}"
    );
    assert!(got["completed_at"].is_string(), "{got}");
    let (_, failed, _) = ad(
        &app,
        &tok,
        Method::GET,
        &format!("/transfers/{}", lost["id"].as_str().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(
        (failed["status"].as_str(), failed["failure_reason"].as_str()),
        (Some("failed"), Some("customer_not_found")),
        "{failed}"
    );
    // Lists, a page at a time.
    let (_, page, _) = ad(&app, &tok, Method::GET, "/transfers?limit=1", None, None).await;
    assert_eq!(
        (
            page["data"].as_array().unwrap().len(),
            page["has_more"].as_bool()
        ),
        (1, Some(true)),
        "{page}"
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest, _) = ad(
        &app,
        &tok,
        Method::GET,
        &format!("/transfers?limit=1&cursor={cursor}"),
        None,
        None,
    )
    .await;
    assert_eq!(rest["data"][0]["id"].as_str(), Some(id.as_str()), "{rest}");
    for (path, code) in [
        ("/transfers/txf_nothere", 404),
        ("/transfers?cursor=txf_nothere", 404),
        ("/transfers?colour=red", 400),
    ] {
        let (s, e, _) = ad(&app, &tok, Method::GET, path, None, None).await;
        assert_eq!(s.as_u16(), code, "{path}: {e}");
    }
    // Bad bodies: Adullam's envelope, naming the field.
    for (change, field) in [
        (json!({"channel": "nokiaCI"}), "channel"),
        (json!({"recipient_phone": "12"}), "recipient_phone"),
        (json!({"currency": "EUR"}), "currency"),
        (json!({"amount": 50}), "amount"),
        (json!({"reference": "r".repeat(101)}), "reference"),
    ] {
        let mut b = body.clone();
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, e, _) = ad(
            &app,
            &tok,
            Method::POST,
            "/transfers",
            Some(b),
            Some(&uuid()),
        )
        .await;
        assert_eq!(
            (s.as_u16(), e["error"]["field"].as_str()),
            (400, Some(field)),
            "{e}"
        );
    }
    // More than the balance holds: Adullam's validation error on `amount`.
    let (s, e, _) = ad(&app, &tok, Method::POST, "/transfers", Some(json!({"amount": 900000, "currency": "XOF", "recipient_phone": "+2250500000789", "channel": "mtnCI"})), Some(&uuid())).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (400, Some("amount")),
        "{e}"
    );
    // The merchant's price for transfers shows as `fees`.
    let merchant = app.sandbox_merchant().await;
    app.engine
        .set_price(
            &merchant,
            (kumbu_core::Operator::MtnCi, kumbu_core::Direction::Payout),
            kumbu_core::Price {
                schedule: kumbu_core::FeeSchedule {
                    percent_bps: 100,
                    fixed: 0,
                    min: 25,
                    max: None,
                },
                refund_fee: kumbu_core::RefundFee::Kept,
            },
        )
        .await
        .unwrap();
    let (_, priced, _) = ad(&app, &tok, Method::POST, "/transfers", Some(json!({"amount": 5000, "currency": "XOF", "recipient_phone": "+2250500000789", "channel": "mtnCI"})), Some(&uuid())).await;
    assert_eq!(priced["fees"].as_i64(), Some(50), "{priced}");
    // transfer.* webhooks, signed.
    app.engine.run_dispatch_until_idle().await.unwrap();
    let mut types = Vec::new();
    for r in rx.take() {
        assert!(
            kumbu_engine::signature::verify(
                &r.adullam_signature,
                &secret,
                r.body.as_bytes(),
                app.clock.now_unix(),
                300
            ),
            "{}",
            r.adullam_signature
        );
        let b: Value = serde_json::from_str(&r.body).unwrap();
        assert!(b["data"]["id"].as_str().unwrap().starts_with("txf_"), "{b}");
        types.push(b["type"].as_str().unwrap().to_owned());
    }
    types.sort();
    assert_eq!(
        types,
        [
            "transfer.completed",
            "transfer.created",
            "transfer.created",
            "transfer.created",
            "transfer.failed"
        ]
    );
    app.ledger_ok().await;
    Some(app)
}

both!(
    transfers_as_documented,
    tokens_from_issued_credentials,
    payments_as_documented,
    rate_limited_per_partner,
    failed_sign_ins_slow_down_only_their_source,
    webhooks_signed
);
