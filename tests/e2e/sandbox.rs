//! Every outcome of the sandbox simulator (docs/sandbox.md), driven by the manual clock.

use crate::both;
use crate::harness::{TestApp, DELAY};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

fn statuses(p: &Value) -> Vec<String> {
    p["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap().to_owned())
        .collect()
}

async fn success(app: TestApp) -> Option<TestApp> {
    let p = app.create(5000, "+2250700000789").await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["status"], "created");
    assert_eq!(
        (p["fee"].as_i64(), p["net"].as_i64()),
        (Some(25), Some(4975))
    );
    app.tick().await;
    assert_eq!(app.status_of(id).await, "operator_pending");
    app.steps(1).await;
    assert_eq!(app.status_of(id).await, "user_confirming");
    app.steps(1).await;
    assert_eq!(app.status_of(id).await, "debited");
    let (_, bal) = app.get("/v1/balance").await;
    assert_eq!(
        bal["balances"],
        json!([{"currency": "XOF", "pending": 4975, "available": 0, "reported": 0}])
    );
    app.steps(1).await;
    let p = app.payment(id).await;
    assert_eq!(p["status"], "settled");
    assert_eq!(
        statuses(&p),
        [
            "created",
            "operator_pending",
            "user_confirming",
            "debited",
            "settled"
        ]
    );
    assert!(p["operator_reference"].as_str().unwrap().starts_with("SBX"));
    assert_eq!(p["failure_code"], Value::Null);
    let (_, bal) = app.get("/v1/balance").await;
    assert_eq!(
        bal["balances"],
        json!([{"currency": "XOF", "pending": 0, "available": 4975, "reported": 0}])
    );
    app.ledger_ok().await;
    Some(app)
}

/// Phone suffix, steps of simulated time after the first pass, final status, failure code.
const FAILURES: &[(&str, u32, &str, &str)] = &[
    ("+2250700000019", 1, "failed", "PAYER_LIMIT_REACHED"),
    ("+2250700000029", 0, "failed", "PAYER_NOT_FOUND"),
    ("+2250700000039", 2, "failed", "PAYMENT_DECLINED"),
    ("+2250700000049", 2, "failed", "INSUFFICIENT_BALANCE"),
    ("+2250700000069", 1, "failed", "PROVIDER_ERROR"),
    ("+2250700000079", 0, "failed", "PROVIDER_UNAVAILABLE"),
];

async fn failures(app: TestApp) -> Option<TestApp> {
    for (phone, steps, status, code) in FAILURES {
        let p = app.create(1000, phone).await;
        let id = p["id"].as_str().unwrap();
        app.tick().await;
        if *steps > 0 {
            assert_ne!(app.status_of(id).await, *status, "{phone} failed too early");
            app.steps(*steps).await;
        }
        let p = app.payment(id).await;
        assert_eq!(p["status"], *status, "{phone}: {p}");
        assert_eq!(p["failure_code"], *code, "{phone}");
        assert!(p["failure_message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(
            p["operator_code"]
                .as_str()
                .is_some_and(|c| c.starts_with("SBX")),
            "raw code kept: {p}"
        );
        assert!(
            !statuses(&p).contains(&"debited".to_owned()),
            "{phone} must never be debited"
        );
    }
    // Nothing was charged: no balance moved.
    let (_, bal) = app.get("/v1/balance").await;
    assert_eq!(bal["balances"], json!([]));
    app.ledger_ok().await;
    Some(app)
}

async fn never_answers_expires(app: TestApp) -> Option<TestApp> {
    let p = app.create(1000, "+2250700000059").await;
    let id = p["id"].as_str().unwrap();
    app.tick().await;
    app.steps(5).await;
    assert_eq!(app.status_of(id).await, "user_confirming");
    app.advance(Duration::from_secs(600)).await;
    let p = app.payment(id).await;
    assert_eq!(
        (p["status"].as_str(), p["failure_code"].as_str()),
        (Some("expired"), Some("PAYMENT_EXPIRED"))
    );
    Some(app)
}

async fn silent_operator_resolved_by_polling(app: TestApp) -> Option<TestApp> {
    let p = app.create(1000, "+2250700000129").await;
    let id = p["id"].as_str().unwrap();
    app.tick().await;
    app.steps(2).await;
    assert_eq!(
        app.status_of(id).await,
        "user_confirming",
        "no callback arrives"
    );
    app.steps(2).await;
    let p = app.payment(id).await;
    assert_eq!(p["status"], "debited");
    assert_eq!(p["history"][3]["reason"], "status poll");
    app.steps(1).await;
    assert_eq!(app.status_of(id).await, "settled");
    app.ledger_ok().await;
    Some(app)
}

async fn duplicate_callbacks_end_right_once(app: TestApp) -> Option<TestApp> {
    use kumbu_rails::{Notice, Scenario, Simulator, StepKind};
    let p = app.create(2000, "+2250700000139").await;
    let id = p["id"].as_str().unwrap();
    // What the operator sends, batch by batch: each batch repeats a notice, and the second and
    // third also carry stale ones (a prompt or acceptance after the debit, a debit after the
    // settlement). The engine plays this same script.
    let batches: Vec<Vec<Notice>> = Simulator::new(crate::harness::DELAY)
        .script(Scenario::DuplicateCallbacks, id)
        .into_iter()
        .map(|step| match step.kind {
            StepKind::Notices(_, notices) => notices,
            StepKind::AwaitPerson => panic!("the 139 script waits for nobody"),
        })
        .collect();
    assert_eq!(batches.len(), 4, "{batches:?}");
    for batch in &batches[1..] {
        let repeats = batch
            .iter()
            .enumerate()
            .any(|(i, n)| batch[i + 1..].contains(n));
        assert!(repeats, "a batch repeats a notice: {batch:?}");
    }
    // After each batch, exactly the one step it means was taken, never one back.
    app.tick().await;
    let mut expected = vec!["created", "operator_pending"];
    assert_eq!(statuses(&app.payment(id).await), expected);
    for status in ["user_confirming", "debited", "settled"] {
        app.steps(1).await;
        expected.push(status);
        assert_eq!(
            statuses(&app.payment(id).await),
            expected,
            "after {status}'s batch"
        );
    }
    app.steps(4).await;
    let p = app.payment(id).await;
    assert_eq!(p["status"], "settled");
    assert_eq!(
        statuses(&p),
        [
            "created",
            "operator_pending",
            "user_confirming",
            "debited",
            "settled"
        ]
    );
    let (_, bal) = app.get("/v1/balance").await;
    assert_eq!(
        bal["balances"],
        json!([{"currency": "XOF", "pending": 0, "available": 1990, "reported": 0}]),
        "credited once"
    );
    assert_eq!(app.engine.store().duplicate_transitions().await.unwrap(), 0);
    app.ledger_ok().await;
    Some(app)
}

async fn long_delay_still_succeeds(app: TestApp) -> Option<TestApp> {
    let p = app.create(1000, "+2250700000149").await;
    let id = p["id"].as_str().unwrap();
    app.tick().await;
    app.steps(6).await;
    assert_eq!(app.status_of(id).await, "user_confirming");
    app.steps(12).await;
    assert_eq!(app.status_of(id).await, "settled");
    Some(app)
}

async fn manual_prompt_confirm_and_decline(app: TestApp) -> Option<TestApp> {
    let yes = app.create(1500, "+2250700000009").await;
    let no = app.create(1600, "+2250700000009").await;
    app.tick().await;
    app.steps(3).await;
    let (s, list) = app.get("/v1/sandbox/prompts?phone=%2B2250700000009").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");
    // The + may arrive decoded as a space, or be left out.
    let (_, same) = app.get("/v1/sandbox/prompts?phone=2250700000009").await;
    assert_eq!(same["data"], list["data"]);
    let prompt = |p: &Value| p["id"].as_str().unwrap().replace("pay_", "prm_");
    let (s, p) = app
        .post(
            &format!("/v1/sandbox/prompts/{}/confirm", prompt(&yes)),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, p["status"].as_str()),
        (StatusCode::OK, Some("debited")),
        "{p}"
    );
    let (s, p) = app
        .post(
            &format!("/v1/sandbox/prompts/{}/decline", prompt(&no)),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, p["status"].as_str(), p["failure_code"].as_str()),
        (StatusCode::OK, Some("failed"), Some("PAYMENT_DECLINED"))
    );
    let (s, e) = app
        .post(
            &format!("/v1/sandbox/prompts/{}/confirm", prompt(&yes)),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("prompt_not_pending"))
    );
    let (s, _) = app
        .post("/v1/sandbox/prompts/prm_doesnotexist/confirm", &json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.steps(1).await;
    assert_eq!(app.status_of(yes["id"].as_str().unwrap()).await, "settled");
    let (_, list) = app.get("/v1/sandbox/prompts?phone=%2B2250700000009").await;
    assert_eq!(list["data"], json!([]));
    // A prompt answered after its payment's deadline, before the worker noticed, cannot debit.
    let overdue = app.create(1800, "+2250700000009").await;
    app.tick().await;
    app.steps(1).await;
    app.clock.advance(std::time::Duration::from_secs(600)); // no worker pass
    let (s, e) = app
        .post(
            &format!("/v1/sandbox/prompts/{}/confirm", prompt(&overdue)),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("prompt_not_pending")),
        "{e}"
    );
    assert_eq!(
        app.status_of(overdue["id"].as_str().unwrap()).await,
        "expired"
    );
    // An unanswered prompt expires like any payment.
    let late = app.create(1700, "+2250700000009").await;
    app.tick().await;
    app.steps(1).await;
    app.advance(Duration::from_secs(600)).await;
    assert_eq!(app.status_of(late["id"].as_str().unwrap()).await, "expired");
    app.ledger_ok().await;
    Some(app)
}

async fn cancel_before_debit_only(app: TestApp) -> Option<TestApp> {
    let a = app.create(1000, "+2250700000059").await;
    let id = a["id"].as_str().unwrap();
    app.tick().await;
    app.steps(1).await;
    let (s, p) = app
        .post(&format!("/v1/payments/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(
        (s, p["status"].as_str(), p["failure_code"].as_str()),
        (StatusCode::OK, Some("cancelled"), Some("CANCELLED"))
    );
    // Later simulator steps change nothing.
    app.advance(DELAY * 400).await;
    assert_eq!(app.status_of(id).await, "cancelled");
    let b = app.create(1000, "+2250700000789").await;
    let id = b["id"].as_str().unwrap();
    app.tick().await;
    app.steps(2).await;
    assert_eq!(app.status_of(id).await, "debited");
    let (s, e) = app
        .post(&format!("/v1/payments/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("payment_state_conflict")),
        "{e}"
    );
    Some(app)
}

both!(
    success,
    failures,
    never_answers_expires,
    silent_operator_resolved_by_polling,
    duplicate_callbacks_end_right_once,
    long_delay_still_succeeds,
    manual_prompt_confirm_and_decline,
    cancel_before_debit_only,
);
