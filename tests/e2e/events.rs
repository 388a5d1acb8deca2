//! The outbox as merchants read it: every change is an event, in order, and the pull queue
//! hands them out until acknowledged.

use crate::both;
use crate::harness::TestApp;
use kumbu_core::Mode;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

fn types(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_change_is_an_event_in_order(app: TestApp) -> Option<TestApp> {
    let p = app.create(5000, "+2250700000789").await;
    let id = p["id"].as_str().unwrap();
    app.tick().await;
    app.steps(3).await;
    let (s, list) = app.get(&format!("/v1/events?object={id}&limit=100")).await;
    assert_eq!(s, 200, "{list}");
    // Newest first without pending=true.
    assert_eq!(
        types(&list),
        [
            "payment.settled",
            "payment.debited",
            "payment.user_confirming",
            "payment.operator_pending",
            "payment.created"
        ]
    );
    let events = list["data"].as_array().unwrap();
    let seqs: Vec<i64> = events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [5, 4, 3, 2, 1]);
    for e in events {
        assert!(e["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(e["object"], "event");
        assert_eq!(e["livemode"], false);
        assert_eq!(e["pending"], true);
        let object = &e["data"]["object"];
        assert_eq!(object["id"], id);
        assert_eq!(
            format!("payment.{}", object["status"].as_str().unwrap()),
            e["type"].as_str().unwrap(),
            "the object as it was after the change"
        );
        assert!(
            object.get("history").is_none(),
            "events do not repeat the history"
        );
    }
    let (s, one) = app
        .get(&format!("/v1/events/{}", events[0]["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, 200);
    assert_eq!(one, events[0]);
    let (s, by_type) = app.get("/v1/events?type=payment.debited").await;
    assert_eq!(
        (s.as_u16(), by_type["data"].as_array().unwrap().len()),
        (200, 1)
    );
    Some(app)
}

async fn pull_queue_until_acknowledged(app: TestApp) -> Option<TestApp> {
    let a = app.create(1000, "+2250700000029").await; // fails at once: created, failed
    let b = app.create(1000, "+2250700000079").await; // created, failed
    app.tick().await;
    let (_, q) = app.get("/v1/events?pending=true&limit=3").await;
    assert_eq!(
        types(&q),
        ["payment.created", "payment.created", "payment.failed"],
        "oldest first"
    );
    assert_eq!(q["has_more"], true);
    let first = q["data"][0]["id"].as_str().unwrap().to_owned();
    let last = q["data"][2]["id"].as_str().unwrap().to_owned();
    let (_, rest) = app
        .get(&format!("/v1/events?pending=true&starting_after={last}"))
        .await;
    assert_eq!(types(&rest), ["payment.failed"]);
    // Acknowledge: off the queue, idempotently.
    for _ in 0..2 {
        let (s, _, e) = app
            .send(Method::POST, &format!("/v1/events/{first}/ack"), None, &[])
            .await;
        assert_eq!(
            (s.as_u16(), e["pending"].as_bool()),
            (200, Some(false)),
            "{e}"
        );
    }
    let (_, q) = app.get("/v1/events?pending=true").await;
    assert_eq!(q["data"].as_array().unwrap().len(), 3);
    assert!(q["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["id"] != first.as_str()));
    for e in q["data"].as_array().unwrap() {
        let (s, _) = app
            .post(
                &format!("/v1/events/{}/ack", e["id"].as_str().unwrap()),
                &json!({}),
            )
            .await;
        assert_eq!(s, 200);
    }
    let (_, q) = app.get("/v1/events?pending=true").await;
    assert_eq!(q["data"], json!([]));
    // Acknowledged events are still readable.
    let (_, all) = app.get("/v1/events").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 4);
    let _ = (a, b);
    Some(app)
}

async fn events_are_isolated_and_inputs_checked(app: TestApp) -> Option<TestApp> {
    app.create(1000, "+2250700000789").await;
    let (_, list) = app.get("/v1/events").await;
    let evt = list["data"][0]["id"].as_str().unwrap().to_owned();
    let other = app.engine.create_merchant("Other").await.unwrap();
    let key = app
        .engine
        .create_api_key(&other.id, Mode::Test)
        .await
        .unwrap();
    let auth = format!("Bearer {}", key.secret.expose_secret());
    let h = [("authorization", auth.as_str())];
    let (s, _, _) = app
        .send(Method::GET, &format!("/v1/events/{evt}"), None, &h)
        .await;
    assert_eq!(s, 404);
    let (s, _, _) = app
        .send(Method::POST, &format!("/v1/events/{evt}/ack"), None, &h)
        .await;
    assert_eq!(s, 404);
    let (_, _, theirs) = app
        .send(Method::GET, "/v1/events?pending=true", None, &h)
        .await;
    assert_eq!(theirs["data"], json!([]));
    let (_, mine) = app.get(&format!("/v1/events/{evt}")).await;
    assert_eq!(mine["pending"], true, "another merchant's ack did nothing");
    for (path, status, code) in [
        ("/v1/events?type=payment.paid", 400, "parameter_invalid"),
        ("/v1/events?pending=yes", 400, "parameter_invalid"),
        ("/v1/events?limit=0", 400, "parameter_invalid"),
        (
            "/v1/events?starting_after=evt_nope",
            404,
            "resource_missing",
        ),
        ("/v1/events?colour=red", 400, "parameter_unknown"),
        ("/v1/events/evt_nope", 404, "resource_missing"),
        ("/v1/events/pay_x", 404, "resource_missing"),
    ] {
        let (s, e) = app.get(path).await;
        assert_eq!(
            (s.as_u16(), e["error"]["code"].as_str()),
            (status, Some(code)),
            "{path}: {e}"
        );
    }
    Some(app)
}

both!(
    every_change_is_an_event_in_order,
    pull_queue_until_acknowledged,
    events_are_isolated_and_inputs_checked
);
