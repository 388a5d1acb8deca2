//! One merchant never sees another's objects; test and live never see each other.

use crate::both;
use crate::harness::TestApp;
use kumbu_core::Mode;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::json;

async fn merchants_and_modes_are_isolated(app: TestApp) -> Option<TestApp> {
    let ours = app.create(1000, "+2250700000009").await;
    let id = ours["id"].as_str().unwrap();
    // A settled payment puts money on this merchant's balance, so an empty balance for the
    // others below means it was not shown to them (not merely that there was none to show).
    let paid = app.create(5000, "+2250700000789").await;
    app.tick().await;
    app.steps(1).await;
    app.steps(2).await;
    assert_eq!(app.status_of(paid["id"].as_str().unwrap()).await, "settled");
    let (_, bal) = app.get("/v1/balance").await;
    assert_eq!(
        bal["balances"],
        json!([{"currency": "XOF", "pending": 0, "available": 4975, "reported": 0}]),
        "the test merchant's own balance holds the settled payment"
    );
    let other = app.engine.create_merchant("Other shop").await.unwrap();
    let other_key = app
        .engine
        .create_api_key(&other.id, Mode::Test)
        .await
        .unwrap();
    let other_auth = format!("Bearer {}", other_key.secret.expose_secret());
    let sandbox_merchant = app.sandbox_merchant().await;
    let live_key = app
        .engine
        .create_api_key(&sandbox_merchant, Mode::Live)
        .await
        .unwrap();
    let live_auth = format!("Bearer {}", live_key.secret.expose_secret());
    for auth in [other_auth.as_str(), live_auth.as_str()] {
        let h = [("authorization", auth)];
        let (s, _, e) = app
            .send(Method::GET, &format!("/v1/payments/{id}"), None, &h)
            .await;
        assert_eq!(
            (s.as_u16(), e["error"]["code"].as_str()),
            (404, Some("resource_missing"))
        );
        let (s, _, e) = app
            .send(
                Method::POST,
                &format!("/v1/payments/{id}/cancel"),
                Some("{}"),
                &h,
            )
            .await;
        assert_eq!(s.as_u16(), 404, "{e}");
        let (_, _, list) = app.send(Method::GET, "/v1/payments", None, &h).await;
        assert_eq!(list["data"], json!([]));
        let (_, _, e) = app
            .send(
                Method::GET,
                &format!("/v1/payments?starting_after={id}"),
                None,
                &h,
            )
            .await;
        assert_eq!(e["error"]["code"], "resource_missing");
        let (_, _, bal) = app.send(Method::GET, "/v1/balance", None, &h).await;
        assert_eq!(bal["balances"], json!([]));
    }
    let prm = id.replace("pay_", "prm_");
    let (s, _, e) = app
        .send(
            Method::POST,
            &format!("/v1/sandbox/prompts/{prm}/confirm"),
            Some("{}"),
            &[("authorization", &other_auth)],
        )
        .await;
    assert_eq!(s.as_u16(), 404, "{e}");
    // Live mode: the sandbox phone does not exist, and nothing can be pushed to the simulator.
    let (s, _, e) = app
        .send(
            Method::GET,
            "/v1/sandbox/prompts?phone=2250700000009",
            None,
            &[("authorization", &live_auth)],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (403, Some("test_mode_only"))
    );
    let body = r#"{"amount": 1000, "currency": "XOF", "payer": {"phone": "+2250100000789", "operator": "moov_ci"}}"#;
    let (s, _, e) = app
        .send(
            Method::POST,
            "/v1/payments",
            Some(body),
            &[("authorization", &live_auth)],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (400, Some("operator_not_available")),
        "{e}"
    );
    let (s, _, e) = app
        .send(
            Method::POST,
            "/v1/payments",
            Some(&body.replace("orange_ci", "mock")),
            &[("authorization", &live_auth)],
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (400, Some("operator_not_available")),
        "{e}"
    );
    // Idempotency keys are per merchant: the same key elsewhere is a new request.
    let k = [("idempotency-key", "shared-key")];
    let (s, _, a) = app.send(Method::POST, "/v1/payments", Some(body), &k).await;
    assert_eq!(s, 200);
    let (s, _, b) = app
        .send(
            Method::POST,
            "/v1/payments",
            Some(body),
            &[k[0], ("authorization", &other_auth)],
        )
        .await;
    assert_eq!(s, 200);
    assert_ne!(a["id"], b["id"]);
    // Our payment is untouched and still ours.
    assert_eq!(app.status_of(id).await, "user_confirming");
    Some(app)
}

both!(merchants_and_modes_are_isolated);
