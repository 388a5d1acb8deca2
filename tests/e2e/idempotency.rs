//! Idempotency-Key: replay, mismatch, concurrent duplicates.

use crate::both;
use crate::harness::TestApp;
use reqwest::Method;
use serde_json::json;

const BODY: &str = r#"{"amount": 5000, "currency": "XOF", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}"#;

async fn replay_and_mismatch(app: TestApp) -> Option<TestApp> {
    let key = [("idempotency-key", "order-77-attempt")];
    let (s1, h1, p1) = app
        .send(Method::POST, "/v1/payments", Some(BODY), &key)
        .await;
    assert_eq!(s1, 200);
    assert!(!h1.contains_key("idempotent-replayed"));
    app.tick().await; // the payment moves on; the replay still shows the first response
    let (s2, h2, p2) = app
        .send(Method::POST, "/v1/payments", Some(BODY), &key)
        .await;
    assert_eq!((s2, &p2), (s1, &p1));
    assert_eq!(
        h2.get("idempotent-replayed").map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let other = BODY.replace("5000", "6000");
    let (s3, _, e) = app
        .send(Method::POST, "/v1/payments", Some(&other), &key)
        .await;
    assert_eq!(
        (
            s3.as_u16(),
            e["error"]["code"].as_str(),
            e["error"]["param"].as_str()
        ),
        (400, Some("idempotency_key_reused"), Some("Idempotency-Key"))
    );
    // The same key on another endpoint is a different request too.
    let id = p1["id"].as_str().unwrap();
    let (s4, _, e) = app
        .send(
            Method::POST,
            &format!("/v1/payments/{id}/cancel"),
            Some("{}"),
            &key,
        )
        .await;
    assert_eq!(
        (s4.as_u16(), e["error"]["code"].as_str()),
        (400, Some("idempotency_key_reused"))
    );
    let (_, list) = app.get("/v1/payments").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "exactly one payment"
    );
    // A failed request (duplicate reference) does not burn the key.
    let with_ref = r#"{"amount": 5000, "currency": "XOF", "reference": "r1", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}"#;
    let (s, _, _) = app
        .send(
            Method::POST,
            "/v1/payments",
            Some(with_ref),
            &[("idempotency-key", "k-a")],
        )
        .await;
    assert_eq!(s, 200);
    let (s, _, e) = app
        .send(
            Method::POST,
            "/v1/payments",
            Some(with_ref),
            &[("idempotency-key", "k-b")],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (409, Some("reference_already_used"))
    );
    let (s, _, e) = app
        .send(
            Method::POST,
            "/v1/payments",
            Some(with_ref),
            &[("idempotency-key", "k-b")],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (409, Some("reference_already_used")),
        "retry re-runs, not a replay"
    );
    // Malformed keys.
    let long = "k".repeat(256);
    for bad in ["", long.as_str(), "has space"] {
        let (s, _, e) = app
            .send(
                Method::POST,
                "/v1/payments",
                Some(BODY),
                &[("idempotency-key", bad)],
            )
            .await;
        assert_eq!(
            (s.as_u16(), e["error"]["code"].as_str()),
            (400, Some("idempotency_key_invalid")),
            "{bad:?}"
        );
    }
    Some(app)
}

async fn concurrent_duplicates(app: TestApp) -> Option<TestApp> {
    // 16 clients race with one key: exactly one payment; the others get it replayed or 409.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, url) = (app.client.clone(), app.url("/v1/payments"));
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(crate::harness::KEY)
                .header("idempotency-key", "race-1")
                .header("content-type", "application/json")
                .body(BODY)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap();
            (status, v)
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        match status {
            200 => {
                ids.insert(v["id"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(v["error"]["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ids.len(), 1, "all successes are the same payment");
    let (_, list) = app.get("/v1/payments").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let _ = json!(null);
    Some(app)
}

async fn keys_are_forgotten_after_24_hours(app: TestApp) -> Option<TestApp> {
    let key = [("idempotency-key", "daily-job")];
    let (_, _, first) = app
        .send(Method::POST, "/v1/payments", Some(BODY), &key)
        .await;
    app.clock.advance(std::time::Duration::from_secs(23 * 3600));
    let (_, h, again) = app
        .send(Method::POST, "/v1/payments", Some(BODY), &key)
        .await;
    assert_eq!(
        (h.contains_key("idempotent-replayed"), &again["id"]),
        (true, &first["id"]),
        "replayed within 24 h"
    );
    app.clock.advance(std::time::Duration::from_secs(2 * 3600));
    let (s, h, later) = app
        .send(Method::POST, "/v1/payments", Some(BODY), &key)
        .await;
    assert_eq!(s, 200);
    assert!(!h.contains_key("idempotent-replayed"));
    assert_ne!(later["id"], first["id"], "after 24 h the key starts afresh");
    Some(app)
}

/// A retry re-serialised by its client (keys in another order, other spacing, a string escaped
/// differently) is the same request and gets the replay (issue 28). Before, bodies were compared
/// as bytes: the retry was refused `idempotency_key_reused`.
async fn same_parameters_in_other_bytes(app: TestApp) -> Option<TestApp> {
    let key = [("idempotency-key", "order-78")];
    let first = r#"{"amount": 5000, "currency": "XOF", "description": "Caf\u00e9", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}"#;
    let (s1, _, p1) = app
        .send(Method::POST, "/v1/payments", Some(first), &key)
        .await;
    assert_eq!(s1, 200, "{p1}");
    let retry = "{\"payer\":{\"operator\":\"orange_ci\",\"phone\":\"+2250700000789\"},\n  \"description\":\"Café\",\"currency\":\"XOF\",\"amount\":5000}";
    let (s2, h2, p2) = app
        .send(Method::POST, "/v1/payments", Some(retry), &key)
        .await;
    assert_eq!((s2, &p2), (s1, &p1));
    assert_eq!(
        h2.get("idempotent-replayed").map(|v| v.to_str().unwrap()),
        Some("true")
    );
    // Another value is another request: refused, not replayed.
    let other = first.replace("Caf", "Kaf");
    let (s3, _, e) = app
        .send(Method::POST, "/v1/payments", Some(&other), &key)
        .await;
    assert_eq!(
        (s3.as_u16(), e["error"]["code"].as_str()),
        (400, Some("idempotency_key_reused"))
    );
    Some(app)
}

both!(
    same_parameters_in_other_bytes,
    replay_and_mismatch,
    concurrent_duplicates,
    keys_are_forgotten_after_24_hours
);
