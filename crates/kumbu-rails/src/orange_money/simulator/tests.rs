//! The simulator over a real socket: credentials, faults, expiry and notifications as a
//! merchant's server receives them.

use super::{Config, Faults, Sim};
use crate::sim_http::testing::{receiver, until, Received};
use base64::Engine as _;
use serde_json::{json, Value};
use std::time::Duration;

/// A simulator and a receiver of its notifications, on free ports.
async fn start(config: Config) -> (String, Received, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(Sim::new(config).serve(listener, std::future::pending()));
    let (notify, got) = receiver().await;
    (url, got, notify)
}

/// The notifications received so far, as JSON.
fn bodies(got: &Received) -> Vec<Value> {
    got.lock()
        .unwrap()
        .iter()
        .map(|(_, b)| serde_json::from_str(b).unwrap())
        .collect()
}

/// A token from `path` (`/oauth/v3/token`, or Cameroon's `/token`).
async fn token_at(http: &reqwest::Client, url: &str, path: &str) -> String {
    let r = http
        .post(format!("{url}{path}"))
        .basic_auth("client", Some("secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn token(http: &reqwest::Client, url: &str) -> String {
    token_at(http, url, "/oauth/v3/token").await
}

async fn pay_init(
    http: &reqwest::Client,
    url: &str,
    tok: &str,
    order: &str,
    notify: &str,
) -> (u16, Value) {
    let r = http
        .post(format!("{url}/orange-money-webpay/ci/v1/webpayment"))
        .bearer_auth(tok)
        .json(
            &json!({"merchant_key": "mk", "currency": "XOF", "order_id": order, "amount": 1500,
            "return_url": "https://shop.example/ok", "cancel_url": "https://shop.example/back",
            "notif_url": notify, "lang": "fr", "reference": "Order 1"}),
        )
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn stats(http: &reqwest::Client, url: &str) -> Value {
    http.get(format!("{url}/_simulator/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn credentials_faults_expiry_and_notifications() {
    let (url, got, notify) = start(Config {
        clients: vec![("client".into(), "secret".into())],
        merchant_keys: vec!["mk".into()],
        token_ttl: Duration::from_millis(800),
        payment_window: Duration::from_millis(300),
        faults: Faults::default(),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::new();
    // Unknown client: OAuth's 401.
    let r = http
        .post(format!("{url}/oauth/v3/token"))
        .basic_auth("client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let tok = token(&http, &url).await;

    // A 500 registers nothing; the retry under the same order id is then accepted.
    http.put(format!("{url}/_simulator/faults"))
        .json(
            &json!({"fail_next": 1, "forged_notifications": true, "duplicate_notifications": true}),
        )
        .send()
        .await
        .unwrap();
    let (status, _) = pay_init(&http, &url, &tok, "o-1", &notify).await;
    assert_eq!(status, 500);
    assert_eq!(stats(&http, &url).await["webpayments"], 0);
    let (status, p) = pay_init(&http, &url, &tok, "o-1", &notify).await;
    assert_eq!(status, 201, "{p}");
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "message",
            "notif_token",
            "pay_token",
            "payment_url",
            "status"
        ]
    );
    let pay_token = p["pay_token"].as_str().unwrap();
    // Paid: a forged notification first, then the real one twice.
    let r = http
        .post(format!("{url}/_simulator/webpayments/{pay_token}/pay"))
        .json(&json!({"phone": "+2250700000789"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    until("three notifications", || got.lock().unwrap().len() == 3).await;
    let n = bodies(&got);
    assert_ne!(n[0]["notif_token"], p["notif_token"]);
    assert_eq!(n[1], n[2]);
    assert_eq!(
        (&n[1]["status"], &n[1]["notif_token"]),
        (&json!("SUCCESS"), &p["notif_token"])
    );
    // Status: the order id and amount must match the pay token.
    let ask = |amount: i64| {
        http.post(format!("{url}/orange-money-webpay/ci/v1/transactionstatus"))
            .bearer_auth(&tok)
            .json(&json!({"order_id": "o-1", "amount": amount, "pay_token": pay_token}))
            .send()
    };
    let r = ask(1500).await.unwrap();
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    assert_eq!(
        (&s["status"], &s["txnid"]),
        (&json!("SUCCESS"), &n[1]["txnid"])
    );
    assert_eq!(ask(1499).await.unwrap().status(), 400);

    // Nobody pays within the window: EXPIRED, and the page is closed.
    http.put(format!("{url}/_simulator/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (_, q) = pay_init(&http, &url, &tok, "o-2", &notify).await;
    let q_token = q["pay_token"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let r = http
        .post(format!("{url}/orange-money-webpay/ci/v1/transactionstatus"))
        .bearer_auth(&tok)
        .json(&json!({"order_id": "o-2", "amount": "1500", "pay_token": q_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "EXPIRED");
    let r = http
        .post(format!("{url}/_simulator/webpayments/{q_token}/pay"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A hung answer: the payment page is registered before the answer comes, late.
    let tok = token(&http, &url).await;
    http.put(format!("{url}/_simulator/faults"))
        .json(&json!({"hang_next": 1, "hang_ms": 200}))
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (status, _) = pay_init(&http, &url, &tok, "o-hung", &notify).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(status, 201);
    let (status, e) = pay_init(&http, &url, &tok, "o-hung", &notify).await;
    assert_eq!(
        (status, &e["description"]),
        (400, &json!("order_id")),
        "{e}"
    );

    // The token's lifetime is over: Orange's "Expired credentials" (42).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (status, e) = pay_init(&http, &url, &tok, "o-3", &notify).await;
    assert_eq!((status, &e["code"]), (401, &json!(42)), "{e}");
    let s = stats(&http, &url).await;
    assert_eq!(
        (&s["paid"], &s["notifications_delivered"]),
        (&json!(1), &json!(3)),
        "{s}"
    );
}

/// Cameroon's prompt API: credentials in two headers, a prompt decided by the number, the
/// status and the notification.
#[tokio::test]
async fn cameroon_prompts_by_number() {
    let (url, got, notify) = start(Config {
        clients: vec![("client".into(), "secret".into())],
        api_users: vec![("merchant-api".into(), "api-pass".into())],
        pin: Some("2222".into()),
        approval_delay: Duration::from_millis(50),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::new();
    let tok = token_at(&http, &url, "/token").await;
    let auth = base64::engine::general_purpose::STANDARD.encode("merchant-api:api-pass");
    let mp = |path: &str, bearer: &str, x_auth: &str| {
        http.post(format!("{url}/omcoreapis/1.0.2/mp/{path}"))
            .bearer_auth(bearer)
            .header("X-AUTH-TOKEN", x_auth)
    };
    // A token Orange does not know: WSO2's 900901; no X-AUTH-TOKEN: refused too.
    let r = mp("init", "stale", &auth).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["fault"]["code"], 900_901);
    assert_eq!(
        mp("init", &tok, "bm9ib2R5Og==")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let prompt = |subscriber: &'static str, order: &'static str| {
        let (mp, auth, tok, notify) = (&mp, &auth, &tok, &notify);
        async move {
            let init: Value = mp("init", tok, auth)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let pay_token = init["data"]["payToken"].as_str().unwrap().to_owned();
            let body = json!({"notifUrl": notify, "channelUserMsisdn": "691301143", "amount": "1500",
                "subscriberMsisdn": subscriber, "pin": "2222", "orderId": order,
                "description": "Commande", "payToken": pay_token});
            let r = mp("pay", tok, auth).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["data"]["status"], "PENDING", "{v}");
            // The same token cannot prompt twice.
            let again = mp("pay", tok, auth).json(&body).send().await.unwrap();
            assert_eq!(again.status(), 409);
            pay_token
        }
    };
    let status = |pay_token: String| {
        let (http, url, tok, auth) = (&http, &url, &tok, &auth);
        async move {
            let v: Value = http
                .get(format!(
                    "{url}/omcoreapis/1.0.2/mp/paymentstatus/{pay_token}"
                ))
                .bearer_auth(tok)
                .header("X-AUTH-TOKEN", auth)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["data"]["status"].as_str().unwrap().to_owned()
        }
    };
    let paid = prompt("690000789", "cm-1").await;
    let refused = prompt("690000049", "cm-2").await;
    let waiting = prompt("690000009", "cm-3").await;
    until("two notifications", || got.lock().unwrap().len() == 2).await;
    assert_eq!(status(paid.clone()).await, "SUCCESSFULL");
    assert_eq!(status(refused).await, "FAILED");
    assert_eq!(status(waiting.clone()).await, "PENDING");
    let r = http
        .post(format!("{url}/_simulator/mp/{waiting}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    until("three notifications", || got.lock().unwrap().len() == 3).await;
    assert_eq!(status(waiting).await, "SUCCESSFULL");
    let n = bodies(&got);
    assert!(
        n.iter()
            .any(|x| x["payToken"] == json!(paid) && x["status"] == "SUCCESSFULL"),
        "{n:?}"
    );
    // A wrong PIN is refused.
    let init: Value = mp("init", &tok, &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = json!({"notifUrl": notify, "channelUserMsisdn": "691301143", "amount": 100,
        "subscriberMsisdn": "690000789", "pin": "0000", "orderId": "cm-4",
        "description": "x", "payToken": init["data"]["payToken"]});
    assert_eq!(
        mp("pay", &tok, &auth)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

/// A prompt that expired stays expired: a person's late answer is refused.
#[tokio::test]
async fn an_expired_prompt_cannot_be_answered() {
    let (url, _got, notify) = start(Config {
        payment_window: Duration::from_millis(100),
        approval_delay: Duration::from_millis(10),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::new();
    let tok = token_at(&http, &url, "/token").await;
    let auth = base64::engine::general_purpose::STANDARD.encode("any:thing");
    let init: Value = http
        .post(format!("{url}/omcoreapis/1.0.2/mp/init"))
        .bearer_auth(&tok)
        .header("X-AUTH-TOKEN", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pay_token = init["data"]["payToken"].as_str().unwrap().to_owned();
    let r = http
        .post(format!("{url}/omcoreapis/1.0.2/mp/pay"))
        .bearer_auth(&tok)
        .header("X-AUTH-TOKEN", &auth)
        .json(
            &json!({"notifUrl": notify, "channelUserMsisdn": "691301143", "amount": "100",
            "subscriberMsisdn": "690000009", "pin": "1", "orderId": "late",
            "description": "x", "payToken": pay_token}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let r = http
        .post(format!("{url}/_simulator/mp/{pay_token}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// `pages_paid_after` (`--pages-paid-after-ms`, for load tests): a page no browser opens is paid
/// by itself and notified, as a payer would; without it, the page waits for its payer.
#[tokio::test]
async fn pages_paid_by_themselves_when_asked() {
    for after in [None, Some(Duration::from_millis(50))] {
        let (url, got, notify) = start(Config {
            pages_paid_after: after,
            ..Config::default()
        })
        .await;
        let http = reqwest::Client::new();
        let tok = token(&http, &url).await;
        let (s, _) = pay_init(&http, &url, &tok, "auto-1", &notify).await;
        assert_eq!(s, 201);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let st = stats(&http, &url).await;
        match after {
            None => {
                assert_eq!(
                    (st["paid"].as_u64(), got.lock().unwrap().len()),
                    (Some(0), 0)
                )
            }
            Some(_) => {
                until("the notification", || got.lock().unwrap().len() == 1).await;
                assert_eq!(st["paid"], 1, "{st}");
                assert_eq!(bodies(&got)[0]["status"], "SUCCESS");
            }
        }
    }
}
