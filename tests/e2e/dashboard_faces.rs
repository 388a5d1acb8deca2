//! Each payment keeps the API it came through (the native API, PlexosPay's, Adullam's; a
//! checkout page's payment its session's, here Simiz's), and the dashboard's payments list
//! filters by it, its page says it, its CSV carries it.

use crate::both;
use crate::dashboard::finance_in_test_mode;
use crate::harness::{TestApp, KEY};
use kumbu_core::{Face, Mode, Msisdn, Operator};
use kumbu_engine::PaymentFilter;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A request to a face with the sandbox key (`Bearer`), and its JSON answer.
async fn call(app: &TestApp, path: &str, key: &str, body: Value, idem: &str) -> Value {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(key)
        .header("Idempotency-Key", idem)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn payments_keep_the_face_they_came_through(app: TestApp) -> Option<TestApp> {
    // The native API.
    app.create(1_000, "+2250700000789").await;
    // PlexosPay's.
    call(
        &app,
        "/compat/plexospay/v1/payments",
        KEY,
        json!({"amount": 10000, "operator": "CVMOVEL", "operatorPhone": "+2389001234", "currency": "CVE"}),
        "px-face-1",
    )
    .await;
    // Adullam's, with an access token.
    let (_, _, token) = crate::adullam::token(&app).await;
    call(
        &app,
        "/compat/adullam/v1/payments",
        &token,
        json!({"amount": 5000, "currency": "XOF", "customer_phone": "+2250798765432", "channel": "orangeCI"}),
        &uuid::Uuid::new_v4().to_string(),
    )
    .await;
    // Simiz's: a hosted payment page, paid on the page.
    let simiz_key = format!("smz_test_sk_{}", KEY.strip_prefix("sk_test_").unwrap());
    let session = call(
        &app,
        "/compat/simiz/v1/payments",
        &simiz_key,
        json!({"userId": "550e8400-e29b-41d4-a716-446655440000", "amount": 5000, "currency": "XAF",
               "returnUrl": "https://merchant.example/ok", "cancelUrl": "https://merchant.example/no"}),
        "smz-face-1",
    )
    .await;
    app.engine
        .start_checkout_attempt(
            session["token"]
                .as_str()
                .unwrap()
                .strip_prefix("pay_")
                .unwrap(),
            Operator::MtnCm,
            Msisdn::parse("+237677123456").unwrap(),
        )
        .await
        .unwrap();

    // One payment of each, each with its face.
    let auth = app.sandbox_auth(Mode::Test).await;
    let mut of = std::collections::BTreeMap::new();
    for face in [Face::Native, Face::Plexospay, Face::Adullam, Face::Simiz] {
        let filter = PaymentFilter {
            face: Some(face),
            ..PaymentFilter::default()
        };
        let page = app
            .engine
            .list_payments(&auth, &filter, None, 100)
            .await
            .unwrap();
        assert_eq!(page.data.len(), 1, "{face:?}: {:?}", page.data);
        of.insert(face.as_str(), page.data[0].id.clone());
    }

    // The dashboard's list shows only the face asked for; the payment's page names it.
    let mut fin = finance_in_test_mode(&app).await;
    for face in of.keys() {
        let list = fin.get(&format!("/dashboard/payments?face={face}")).await;
        assert_eq!(list.status, StatusCode::OK);
        for (other, other_id) in &of {
            assert_eq!(
                list.html.contains(other_id.as_str()),
                other == face,
                "face={face}: {other}'s payment"
            );
        }
        assert!(list
            .html
            .contains(&format!("<option value=\"{face}\" selected>")));
    }
    let page = fin
        .get(&format!("/dashboard/payments/{}", of["plexospay"]))
        .await;
    assert!(page.html.contains("Came through") && page.html.contains("PlexosPay"));
    let csv = fin.get("/dashboard/payments.csv?face=adullam").await;
    let lines: Vec<&str> = csv.html.lines().collect();
    assert!(lines[0].ends_with(",face"), "{}", lines[0]);
    assert_eq!(lines.len(), 2, "{}", csv.html);
    assert!(lines[1].starts_with(of["adullam"].as_str()) && lines[1].ends_with(",adullam"));
    // A face that does not exist filters nothing out (as any unknown filter value).
    let all = fin.get("/dashboard/payments?face=stripe").await;
    assert!(of.values().all(|id| all.html.contains(id.as_str())));
    Some(app)
}

both!(payments_keep_the_face_they_came_through);
