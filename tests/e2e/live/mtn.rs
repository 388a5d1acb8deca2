//! Live mode through the MTN MoMo connector, against the MTN simulator over real sockets: a
//! merchant's credentials, payments to settled and to each failure, a timeout resolved by asking
//! the status, duplicate, late and forged callbacks, a token that stops working mid-run.
//!
//! Over 800 lines: one scenario per MTN behaviour, all on the `Live` fixture (`mod.rs`). The
//! operators issue 24 adds get files of their own beside it.

use super::{credentials, quick, run, start_sim, Live, API_KEY, SUBSCRIPTION_KEY};
use kumbu_rails::mtn_momo::simulator::{Config as SimConfig, Faults};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

live_both!(
    settles_through_mtn => (super::quick(), crate::harness::Opts::default()),
    failures_keep_mtn_reasons => (super::quick(), crate::harness::Opts::default()),
    timeout_is_resolved_by_asking => (super::quick(), crate::harness::Opts {
        operator_timeout: std::time::Duration::from_millis(300),
        ..crate::harness::Opts::default()
    }),
    callbacks_are_only_triggers => (super::quick(), crate::harness::Opts::default()),
    callbacks_never_wait_on_a_held_payment => (super::quick(), crate::harness::Opts::default()),
    a_callback_during_the_call_is_asked_in_the_same_pass => (super::quick(), crate::harness::Opts::default()),
    refused_token_is_renewed_once => (super::quick(), crate::harness::Opts::default()),
    credentials_are_live_and_secret => (super::quick(), crate::harness::Opts::default()),
    refunds_go_back_through_mtn => (super::quick(), crate::harness::Opts::default()),
    payouts_go_out_through_mtn => (super::quick(), crate::harness::Opts::default()),
);

async fn settles_through_mtn(live: Live) -> Live {
    let id = live.pay(1500, "+2250500000789").await;
    let p = live.payment(&id).await;
    let reference = p["operator_reference"].as_str().unwrap().to_owned();
    assert!(
        kumbu_rails::mtn_momo::is_reference(&reference),
        "{reference}"
    );
    assert_eq!(p["status"], "created");
    live.app.tick().await;
    // MTN took the request (202) and calls back once the payer approves.
    live.until("the callback", |s| s.callbacks_delivered >= 1)
        .await;
    live.app.tick().await;
    let p = live.payment(&id).await;
    assert_eq!(p["status"], "settled", "{p}");
    assert_eq!(p["operator_reference"], reference.as_str());
    let reasons: Vec<&str> = p["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"operator response"), "{reasons:?}");
    assert!(reasons.contains(&"status poll"), "{reasons:?}");
    let stats = live.stats();
    assert_eq!(
        (stats.registered, stats.duplicates, stats.tokens),
        (1, 0, 1),
        "{stats:?}"
    );
    // The balance shows the money; the ledger balances.
    let (_, b) = live.call(Method::GET, "/v1/balance", None).await;
    assert!(b["balances"][0]["available"].as_i64().unwrap() > 0, "{b}");
    live.app.ledger_ok().await;
    // A merchant without credentials for an operator is told what to configure.
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/payments",
            Some(&json!({"amount": 1500, "currency": "XAF", "payer": {"phone": "+237670000789", "operator": "mtn_cm"}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("connector_not_configured")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/v1/connectors/mtn_cm"),
        "{v}"
    );
    // An operator without a connector is still refused in live mode.
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/payments",
            Some(&json!({"amount": 1500, "currency": "XOF", "payer": {"phone": "+2250100000789", "operator": "moov_ci"}})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("operator_not_available")),
        "{v}"
    );
    // A payment not yet sent can be cancelled, and MTN never hears of it; once sent, MTN
    // cannot withdraw it, so neither can the merchant.
    let unsent = live.pay(1200, "+2250500000789").await;
    let (s, v) = live
        .call(
            Method::POST,
            &format!("/v1/payments/{unsent}/cancel"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["status"].as_str()),
        (200, Some("cancelled")),
        "{v}"
    );
    let sent = live.pay(1300, "+2250500000009").await;
    live.app.tick().await;
    let (s, v) = live
        .call(
            Method::POST,
            &format!("/v1/payments/{sent}/cancel"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (409, Some("payment_state_conflict")),
        "{v}"
    );
    // Test mode is unchanged: the sandbox, not MTN.
    let t = live.app.create(1000, "+2250700000789").await;
    live.app.steps(4).await;
    assert_eq!(
        live.app.status_of(t["id"].as_str().unwrap()).await,
        "settled"
    );
    assert_eq!(live.stats().posts, 2);
    live
}

async fn failures_keep_mtn_reasons(live: Live) -> Live {
    let cases = [
        (
            "+2250500000019",
            "PAYER_LIMIT_REACHED",
            "PAYER_LIMIT_REACHED",
        ),
        // MTN's account-holder check says no active wallet: no prompt is sent at all.
        (
            "+2250500000029",
            "PAYER_NOT_FOUND",
            "ACCOUNT_HOLDER_NOT_ACTIVE",
        ),
        ("+2250500000039", "PAYMENT_DECLINED", "APPROVAL_REJECTED"),
        ("+2250500000049", "INSUFFICIENT_BALANCE", "NOT_ENOUGH_FUNDS"),
        (
            "+2250500000069",
            "PROVIDER_ERROR",
            "INTERNAL_PROCESSING_ERROR",
        ),
    ];
    let mut ids = Vec::new();
    for (phone, _, _) in cases {
        ids.push(live.pay(1000, phone).await);
    }
    live.app.tick().await;
    live.until("the callbacks", |s| s.callbacks_delivered >= 4)
        .await;
    live.app.tick().await;
    for (id, (phone, ours, theirs)) in ids.iter().zip(cases) {
        let p = live.payment(id).await;
        assert_eq!(p["status"], "failed", "{phone}: {p}");
        assert_eq!(p["failure_code"], ours, "{phone}: {p}");
        assert_eq!(p["operator_code"], theirs, "{phone}: {p}");
    }
    // …079: MTN answers 500 SERVICE_UNAVAILABLE and registers nothing. The outcome is unknown,
    // so the status is asked; MTN does not know the reference, so the same request is sent
    // again (same reference), as long as the payment's deadline allows. Not failed meanwhile.
    let id = live.pay(1000, "+2250500000079").await;
    live.app.tick().await;
    for _ in 0..3 {
        live.app.advance(Duration::from_secs(2)).await;
    }
    assert_eq!(live.status(&id).await, "created");
    let s = live.stats();
    assert!(s.posts >= 4 + 3, "{s:?}");
    assert_eq!((s.registered, s.duplicates), (4, 0), "{s:?}");
    // …059: the payer never answers; MTN says PENDING. Our clock alone never ends a payment MTN
    // holds, even far past its deadline (MTN's own EXPIRED will).
    let waiting = live.pay(1000, "+2250500000059").await;
    live.app.tick().await;
    live.app.advance(Duration::from_secs(600 + 400)).await;
    let w = live.payment(&waiting).await;
    assert_eq!(w["status"], "user_confirming", "{w}");
    // …079 meanwhile: nothing is sent after the deadline; once MTN's window has closed too and
    // MTN still does not know it, the payment fails as the sandbox's …079 does: MTN never took
    // the request (it was never `operator_pending`), so the operator was unavailable, not the
    // payer slow. Nothing was charged.
    live.assert_ended(
        &id,
        (
            "failed",
            Some("PROVIDER_UNAVAILABLE"),
            Some("RESOURCE_NOT_FOUND"),
        ),
    )
    .await;
    assert_eq!(
        live.stats().registered,
        5,
        "only …059's request was registered since"
    );
    live.app.ledger_ok().await;
    live
}

async fn timeout_is_resolved_by_asking(live: Live) -> Live {
    // MTN registers the request but its answer comes after our 300 ms timeout.
    live.faults(Faults {
        hang_next: 1,
        hang_ms: 1500,
        ..Faults::default()
    })
    .await;
    let id = live.pay(2000, "+2250500000129").await;
    live.app.tick().await;
    // Unknown outcome: the payment is not failed, and nothing is sent again.
    let p = live.payment(&id).await;
    assert_eq!(p["status"], "created", "{p}");
    assert_eq!(live.stats().registered, 1);
    // The status is asked shortly after; MTN knows the request, and it succeeded (…129 numbers
    // are never called back: only asking tells).
    live.app.advance(Duration::from_secs(2)).await;
    assert_eq!(live.status(&id).await, "settled");
    let s = live.stats();
    assert_eq!(
        (s.posts, s.registered, s.duplicates, s.callbacks_delivered),
        (1, 1, 0, 0),
        "{s:?}"
    );
    // A 500 from MTN on a status query is not news either: asked again later.
    live.faults(Faults {
        fail_next: 1,
        ..Faults::default()
    })
    .await;
    let id = live.pay(2100, "+2250500000129").await;
    live.app.tick().await;
    live.app.advance(Duration::from_secs(10)).await;
    live.app.advance(Duration::from_secs(10)).await;
    assert_eq!(live.status(&id).await, "settled");
    assert_eq!(live.stats().registered, 2);
    live
}

async fn callbacks_are_only_triggers(live: Live) -> Live {
    // …139: MTN calls back twice, then a stale PENDING copy, then (fault) a late copy.
    live.faults(Faults {
        late_callback_ms: 100,
        ..Faults::default()
    })
    .await;
    let id = live.pay(3000, "+2250500000139").await;
    live.app.tick().await;
    live.until("every copy", |s| s.callbacks_delivered >= 4)
        .await;
    live.app.tick().await;
    live.settled_once(&id).await;
    live.app.ledger_ok().await;

    // …009: the payer has not answered. A forged callback saying SUCCESSFUL changes nothing:
    // Kumbu asks MTN, which says PENDING.
    live.faults(Faults::default()).await;
    let id = live.pay(3100, "+2250500000009").await;
    live.app.tick().await;
    let reference = live.operator_reference(&id).await;
    let forged = json!({"financialTransactionId": "123", "externalId": id, "amount": "3100",
        "currency": "XOF", "payer": {"partyIdType": "MSISDN", "partyId": "2250500000009"},
        "status": "SUCCESSFUL"});
    let cb = live.app.url(&format!("/callbacks/mtn-momo/{reference}"));
    let r = live.app.client.put(&cb).json(&forged).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let before = live.stats().status_queries;
    live.app.tick().await;
    assert_eq!(
        live.stats().status_queries,
        before + 1,
        "the callback made Kumbu ask"
    );
    assert_eq!(live.status(&id).await, "user_confirming");
    // Forged again and again: the same answer, and no more queries to MTN for this payment for a
    // while (issue 23, item 6: before, each callback pulled one status query forward).
    let asked = live.stats().status_queries;
    for _ in 0..5 {
        let r = live.app.client.put(&cb).json(&forged).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        live.app.tick().await;
    }
    assert_eq!(
        live.stats().status_queries,
        asked,
        "a stream of callbacks asked MTN again within the interval"
    );
    // Unknown references and ones that are not MTN's shape are answered alike, and do nothing.
    for other in ["7d1f0c9e-1111-4222-8333-944455556666", "not-a-uuid"] {
        let r = live
            .app
            .client
            .post(live.app.url(&format!("/callbacks/mtn-momo/{other}")))
            .json(&forged)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    // The reference under a path no connector has is not a callback at all.
    let r = live
        .app
        .client
        .put(live.app.url(&format!("/callbacks/moov-money/{reference}")))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    live.app.tick().await;
    assert_eq!(live.stats().status_queries, before + 1);
    // The payer approves; MTN calls back; now it is true.
    let r = live
        .app
        .client
        .post(format!(
            "{}/_simulator/transactions/{reference}/approve",
            live.sim_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    live.until("the approval's callback", |s| s.callbacks_delivered >= 5)
        .await;
    // A genuine callback within seconds of forged ones is not a query more: the status is
    // learned at the next poll (10 s) at the latest.
    live.app.advance(Duration::from_secs(10)).await;
    assert_eq!(live.status(&id).await, "settled");
    live
}

/// A callback is recorded without waiting on its payment's row, which a worker may hold for a
/// while under load (issue 24, item 0: callbacks answered after the operator's timeout, and
/// PostgreSQL reported deadlocks between them and the worker). With the row held by another
/// transaction, the callback is answered at once and a worker pass leaves it recorded; once the
/// row is free, the next pass applies it: Kumbu asks MTN.
async fn callbacks_never_wait_on_a_held_payment(live: Live) -> Live {
    use sqlx::Connection;
    let id = live.pay(3200, "+2250500000009").await;
    live.app.tick().await;
    let reference = live.operator_reference(&id).await;
    let cb = live.app.url(&format!("/callbacks/mtn-momo/{reference}"));
    let pending = json!({"externalId": id, "status": "PENDING"});
    let before = live.stats().status_queries;
    if live.app.database_url.starts_with("postgres") {
        let url = live.app.database_url.clone();
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        let mut held = holder.begin().await.unwrap();
        sqlx::query("SELECT id FROM payments WHERE id = $1 FOR UPDATE")
            .bind(&id)
            .fetch_one(&mut *held)
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let r = live
            .app
            .client
            .put(&cb)
            .json(&pending)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("the callback is answered while its payment's row is held");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "answered in {:?}",
            started.elapsed()
        );
        // A pass cannot take the held row: it neither waits for it nor drops the callback.
        live.app.tick().await;
        let mut reader = sqlx::PgConnection::connect(&url).await.unwrap();
        let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operator_pokes")
            .fetch_one(&mut reader)
            .await
            .unwrap();
        assert_eq!(recorded, 1, "the held payment's callback stays recorded");
        assert_eq!(live.stats().status_queries, before);
        held.commit().await.unwrap();
        live.app.tick().await;
        let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM operator_pokes")
            .fetch_one(&mut reader)
            .await
            .unwrap();
        assert_eq!(recorded, 0, "applied once the row was free");
    } else {
        let r = live
            .app
            .client
            .put(&cb)
            .json(&pending)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        live.app.tick().await;
    }
    assert_eq!(
        live.stats().status_queries,
        before + 1,
        "the callback made Kumbu ask"
    );
    assert_eq!(live.status(&id).await, "user_confirming");
    // A callback no pass applied within the hour (no process ran workers) is swept: it was a
    // hint, and polling learns the same.
    use kumbu_core::Clock;
    let store = live.app.engine.store();
    let now = live.app.clock.now();
    store
        .record_operator_pokes(&["7d1f0c9e-1111-4222-8333-944455556666".to_owned()], now)
        .await
        .unwrap();
    assert_eq!(store.purge_operator_pokes(now).await.unwrap(), 0);
    assert_eq!(
        store
            .purge_operator_pokes(now.plus(Duration::from_secs(1)))
            .await
            .unwrap(),
        1
    );
    live
}

/// MTN calls back while Kumbu's request is still on its way back (here: the answer to the POST
/// is held up 300 ms, the payer approved at once). The pass that commits the answer sees the
/// recorded callback and asks the status at once, in the same pass: one pass carries the payment
/// to settled (issue 24, item 0: it took a second pass, two more writes of the payment's row).
async fn a_callback_during_the_call_is_asked_in_the_same_pass(live: Live) -> Live {
    live.faults(Faults {
        hang_next: 1,
        hang_ms: 300,
        ..Faults::default()
    })
    .await;
    let id = live.pay(1700, "+2250500000789").await;
    live.app.engine.run_due_batch().await.expect("one pass");
    let s = live.stats();
    assert_eq!(
        (s.posts, s.callbacks_delivered, s.status_queries),
        (1, 1, 1),
        "{s:?}"
    );
    let p = live.payment(&id).await;
    assert_eq!(p["status"], "settled", "{p}");
    // The callback was used up by that pass: nothing is left for the next.
    assert_eq!(live.app.engine.run_due_batch().await.expect("a pass"), 0);
    assert_eq!(live.stats().status_queries, 1);
    live.app.ledger_ok().await;
    live
}

async fn refused_token_is_renewed_once(live: Live) -> Live {
    let a = live.pay(1000, "+2250500000129").await;
    live.app.tick().await;
    assert_eq!(live.stats().tokens, 1);
    // MTN stops accepting the cached token (as after an expiry on its side): the next call is
    // refused once, a fresh token is fetched, and the call goes through.
    live.sim.expire_tokens();
    let b = live.pay(1100, "+2250500000129").await;
    live.app.tick().await;
    let s = live.stats();
    assert_eq!((s.tokens, s.unauthorized, s.registered), (2, 1, 2), "{s:?}");
    // A token is replaced a minute before it expires by our clock, without a refusal.
    live.app.advance(Duration::from_secs(3600 - 59)).await;
    let s = live.stats();
    assert_eq!((s.tokens, s.unauthorized), (3, 1), "{s:?}");
    assert_eq!(live.status(&a).await, "settled");
    assert_eq!(live.status(&b).await, "settled");
    live
}

async fn credentials_are_live_and_secret(live: Live) -> Live {
    let (s, v) = live.call(Method::GET, "/v1/connectors", None).await;
    assert_eq!(s, StatusCode::OK);
    let text = v.to_string();
    assert!(
        !text.contains(API_KEY) && !text.contains(SUBSCRIPTION_KEY),
        "{text}"
    );
    assert_eq!(v["data"][0]["operator"], "mtn_ci");
    assert_eq!(
        v["data"][0]["products"],
        json!(["collection", "disbursement"])
    );
    assert!(v["data"][0]["callback_url"]
        .as_str()
        .unwrap()
        .contains("/callbacks/mtn-momo/"));
    // Sealed at rest: the database holds no key in clear.
    let row = live
        .app
        .engine
        .store()
        .list_operator_credentials(None)
        .await
        .unwrap();
    assert!(
        !row[0].sealed.contains(API_KEY) && row[0].sealed.starts_with("kv1."),
        "{}",
        row[0].sealed
    );
    // Replacing answers 200; a bad field is named.
    let (s, _) = live
        .call(Method::PUT, "/v1/connectors/mtn_ci", Some(&credentials()))
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut bad = credentials();
    bad["target_environment"] = json!("MTN Ivory Coast");
    let (s, v) = live
        .call(Method::PUT, "/v1/connectors/mtn_ci", Some(&bad))
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["param"].as_str()),
        (400, Some("target_environment")),
        "{v}"
    );
    let (s, v) = live
        .call(
            Method::PUT,
            "/v1/connectors/mtn_ci",
            Some(&json!({"target_environment": "sandbox", "collection": {"api_user": "x"}})),
        )
        .await;
    assert_eq!(s.as_u16(), 400, "{v}");
    let (s, v) = live
        .call(Method::PUT, "/v1/connectors/moov_ci", Some(&credentials()))
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("operator_not_available")),
        "{v}"
    );
    // Test keys can neither see nor set them.
    let (s, _, v) = live
        .app
        .send(Method::GET, "/v1/connectors", None, &[])
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (403, Some("live_mode_only")),
        "{v}"
    );
    // Removing them refuses the operator's live payments from then on.
    let (s, _) = live
        .call(Method::DELETE, "/v1/connectors/mtn_ci", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = live
        .call(Method::POST, "/v1/payments", Some(&json!({"amount": 1500, "currency": "XOF", "payer": {"phone": "+2250500000789", "operator": "mtn_ci"}})))
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("connector_not_configured")),
        "{v}"
    );
    let (s, _) = live.call(Method::GET, "/v1/connectors/mtn_ci", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    live
}

async fn settle(live: &Live, amount: i64) -> String {
    let id = live.pay(amount, "+2250500000789").await;
    let before = live.stats().callbacks_delivered;
    live.app.tick().await;
    live.until("the callback", |s| s.callbacks_delivered > before)
        .await;
    live.app.tick().await;
    assert_eq!(live.status(&id).await, "settled");
    id
}

/// Runs the refund worker until nothing is due, once MTN's callbacks so far have arrived (a
/// callback being recorded holds the row, and a pass skips rows others hold).
async fn refund_pass(live: &Live) {
    quiet(live).await;
    while live.app.engine.run_refund_batch().await.unwrap() > 0 {}
}

/// Waits until every callback the simulator has planned so far has been sent (and answered).
async fn quiet(live: &Live) {
    live.until("every planned callback sent", |s| s.callbacks_pending == 0)
        .await;
}

async fn refunds_go_back_through_mtn(live: Live) -> Live {
    let id = settle(&live, 5000).await;
    let (s, r) = live
        .call(
            Method::POST,
            "/v1/refunds",
            Some(&json!({"payment": id, "amount": 2000})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let rid = r["id"].as_str().unwrap().to_owned();
    refund_pass(&live).await;
    let (_, r) = live
        .call(Method::GET, &format!("/v1/refunds/{rid}"), None)
        .await;
    // MTN has it; its callback may already have made Kumbu ask (and learn it succeeded).
    assert!(
        ["processing", "succeeded"].contains(&r["status"].as_str().unwrap()),
        "{r}"
    );
    // MTN's refund resource is asked after the poll interval (or at its callback).
    live.app.clock.advance(Duration::from_secs(10));
    refund_pass(&live).await;
    let (_, r) = live
        .call(Method::GET, &format!("/v1/refunds/{rid}"), None)
        .await;
    assert_eq!(r["status"], "succeeded", "{r}");
    let p = live.payment(&id).await;
    assert_eq!(
        (p["status"].as_str(), p["amount_refunded"].as_i64()),
        (Some("partially_refunded"), Some(2000)),
        "{p}"
    );
    // MTN refuses a refund (the simulator's trigger: an amount ending in 13).
    let (s, r) = live
        .call(
            Method::POST,
            "/v1/refunds",
            Some(&json!({"payment": id, "amount": 1313})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let rid = r["id"].as_str().unwrap().to_owned();
    refund_pass(&live).await;
    live.app.clock.advance(Duration::from_secs(10));
    refund_pass(&live).await;
    let (_, r) = live
        .call(Method::GET, &format!("/v1/refunds/{rid}"), None)
        .await;
    assert_eq!(
        (r["status"].as_str(), r["failure_code"].as_str()),
        (Some("failed"), Some("PROVIDER_ERROR")),
        "{r}"
    );
    let s = live.stats();
    assert_eq!(s.registered, 3, "one payment, two refunds: {s:?}");
    live.app.ledger_ok().await;
    // Without disbursement keys, a live refund is refused, saying what to set.
    let mut creds = credentials();
    creds.as_object_mut().unwrap().remove("disbursement");
    let (s, _) = live
        .call(Method::PUT, "/v1/connectors/mtn_ci", Some(&creds))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = live
        .call(
            Method::POST,
            "/v1/refunds",
            Some(&json!({"payment": id, "amount": 100})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (400, Some("connector_not_configured")),
        "{v}"
    );
    live
}

async fn payout_pass(live: &Live) {
    quiet(live).await;
    while live.app.engine.run_payout_batch().await.unwrap() > 0 {}
}

async fn payouts_go_out_through_mtn(live: Live) -> Live {
    settle(&live, 8000).await;
    let body = |amount: i64, phone: &str| json!({"amount": amount, "currency": "XOF", "payee": {"phone": phone, "operator": "mtn_ci"}});
    let (s, po) = live
        .call(
            Method::POST,
            "/v1/payouts",
            Some(&body(3000, "+2250500000788")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{po}");
    let id = po["id"].as_str().unwrap().to_owned();
    let reference = po["operator_reference"].as_str().unwrap().to_owned();
    assert!(kumbu_rails::mtn_momo::is_reference(&reference), "{po}");
    payout_pass(&live).await;
    let (_, po) = live
        .call(Method::GET, &format!("/v1/payouts/{id}"), None)
        .await;
    // MTN has it; its callback may already have made Kumbu ask (and learn it succeeded).
    assert!(
        ["processing", "succeeded"].contains(&po["status"].as_str().unwrap()),
        "{po}"
    );
    live.app.clock.advance(Duration::from_secs(10));
    payout_pass(&live).await;
    let (_, po) = live
        .call(Method::GET, &format!("/v1/payouts/{id}"), None)
        .await;
    assert_eq!(po["status"], "succeeded", "{po}");
    // A payee MTN does not know: the transfer fails, the money is available again.
    let (_, before) = live.call(Method::GET, "/v1/balance", None).await;
    let (_, po) = live
        .call(
            Method::POST,
            "/v1/payouts",
            Some(&body(1000, "+2250500000029")),
        )
        .await;
    let failed = po["id"].as_str().unwrap().to_owned();
    payout_pass(&live).await;
    // Asked at each poll interval (or at once after MTN's callback) until MTN decides.
    for _ in 0..3 {
        live.app.clock.advance(Duration::from_secs(10));
        payout_pass(&live).await;
    }
    let (_, po) = live
        .call(Method::GET, &format!("/v1/payouts/{failed}"), None)
        .await;
    assert_eq!(
        (
            po["status"].as_str(),
            po["failure_code"].as_str(),
            po["operator_code"].as_str()
        ),
        (
            Some("failed"),
            Some("PAYER_NOT_FOUND"),
            Some("PAYEE_NOT_FOUND")
        ),
        "{po}"
    );
    let (_, after) = live.call(Method::GET, "/v1/balance", None).await;
    assert_eq!(before["balances"], after["balances"]);
    let s = live.stats();
    assert_eq!(s.registered, 3, "one payment, two transfers: {s:?}");
    live.app.ledger_ok().await;
    live
}

/// The simulator calls back as MTN's newer documentation says it may: by POST when configured,
/// retried after a failure, with the status body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_callbacks_are_retried() {
    let (sim, sim_url, _stop) = start_sim(SimConfig {
        approval_delay: Duration::ZERO,
        callback_put: false,
        callback_retries: 2,
        callback_retry_every: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await;
    let rx = crate::receiver::Receiver::start().await;
    let settings: kumbu_rails::mtn_momo::Settings = serde_json::from_value(credentials()).unwrap();
    let creds = settings.into_credentials("test".into());
    let client = kumbu_rails::mtn_momo::Client::new(&sim_url, Duration::from_secs(5));
    let body = |phone: &str| kumbu_rails::mtn_momo::wire::TransactionRequest {
        amount: "1500".into(),
        currency: "XOF".into(),
        external_id: Some("ext-1".into()),
        payer: Some(kumbu_rails::mtn_momo::wire::Party::msisdn(phone)),
        payee: None,
        payer_message: Some("Pay".into()),
        payee_note: Some("Note".into()),
        reference_id_to_refund: None,
    };
    let now = kumbu_core::Timestamp::from_micros(0);
    let kind = kumbu_rails::mtn_momo::Kind::RequestToPay;
    // The listener fails: sent once, then twice more.
    rx.answer(500);
    let r1 = kumbu_rails::mtn_momo::new_reference();
    client
        .create(
            &creds,
            kind,
            now,
            &r1,
            &body("2250500000789"),
            Some(&rx.url),
        )
        .await
        .unwrap();
    let start = Instant::now();
    while sim.stats().callbacks_failed < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            sim.stats()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rx.take().len(), 3);
    // It answers: one delivery, MTN's status body.
    rx.answer(200);
    let r2 = kumbu_rails::mtn_momo::new_reference();
    client
        .create(
            &creds,
            kind,
            now,
            &r2,
            &body("2250500000788"),
            Some(&rx.url),
        )
        .await
        .unwrap();
    while sim.stats().callbacks_delivered < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            sim.stats()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = rx.take();
    assert_eq!(got.len(), 1);
    let v: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(
        (
            v["status"].as_str(),
            v["externalId"].as_str(),
            v["amount"].as_str()
        ),
        (Some("SUCCESSFUL"), Some("ext-1"), Some("1500")),
        "{v}"
    );
    assert!(v["financialTransactionId"].is_string(), "{v}");
    // A callback URL on another host than the API user's is refused, as MTN does.
    let r3 = kumbu_rails::mtn_momo::new_reference();
    let refused = client
        .create(
            &creds,
            kind,
            now,
            &r3,
            &body("2250500000788"),
            Some("http://example.com/cb"),
        )
        .await;
    assert!(
        matches!(&refused, Err(kumbu_rails::connector::CallError::Refused { code, .. }) if code == "INVALID_CALLBACK_URL_HOST"),
        "{refused:?}"
    );
}
