//! Collections in the native API: bills with ERV references, reconciliation of ingested
//! payments (every outcome), the exception queue, re-ingest and racing ingests, MEPS files
//! (duplicate reference, bad total, sequence gap), expiry, the report and the ledger.

use crate::both;
use crate::harness::TestApp;
use kumbu_core::meps::{FileId, MepsFile};
use kumbu_core::{Entity, ErvReference, Mode};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

pub struct Bill {
    pub id: String,
    pub reference: Option<String>,
    pub entity: Option<String>,
}

async fn bill(app: &TestApp, body: Value) -> Bill {
    let (s, v) = app.post("/v1/collection_requests", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    Bill {
        id: v["id"].as_str().unwrap().to_owned(),
        reference: v["erv"]["reference"].as_str().map(str::to_owned),
        entity: v["erv"]["entity"].as_str().map(str::to_owned),
    }
}

pub async fn erv_bill(app: &TestApp, amount: i64, instalments: bool) -> Bill {
    bill(
        app,
        json!({"amount": amount, "currency": "MZN", "methods": ["simo_erv"], "allow_instalments": instalments}),
    )
    .await
}

const DAY: &str = "2026-09-21";

pub fn report(id: &str, b: &Bill, amount: i64, status: &str) -> Value {
    json!({
        "source": "Bank", "external_id": id, "amount": amount, "currency": "MZN",
        "status": status, "processed_at": format!("{DAY}T10:00:00Z"),
        "payment_method_type": "SIMO_ERV", "entity_number": b.entity, "reference_number": b.reference,
    })
}

pub async fn ingest(app: &TestApp, body: &Value) -> Value {
    let (s, v) = app.post("/v1/ingested_payments", body).await;
    assert_eq!(s, StatusCode::OK, "{body}: {v}");
    v
}

pub async fn bill_state(app: &TestApp, b: &Bill) -> (String, i64, i64) {
    let (_, v) = app.get(&format!("/v1/collection_requests/{}", b.id)).await;
    (
        v["status"].as_str().unwrap().to_owned(),
        v["amount_paid"].as_i64().unwrap(),
        v["amount_overpaid"].as_i64().unwrap(),
    )
}

fn outcome(v: &Value) -> &str {
    v["outcome"].as_str().unwrap_or_default()
}

async fn every_outcome(app: TestApp) -> Option<TestApp> {
    // The exact amount pays a fixed bill; its record is a settled external payment.
    let a = erv_bill(&app, 150_000, false).await;
    let reference = a.reference.clone().unwrap();
    let entity = Entity::parse(a.entity.as_deref().unwrap()).unwrap();
    assert!(ErvReference::parse(&reference)
        .unwrap()
        .verify(&entity, Some(150_000)));
    let t1 = ingest(&app, &report("t1", &a, 150_000, "completed")).await;
    assert_eq!(outcome(&t1), "matched", "{t1}");
    assert_eq!(t1["open_exception"], false);
    assert_eq!(t1["collection_request"], json!(a.id));
    assert_eq!(bill_state(&app, &a).await, ("paid".into(), 150_000, 0));
    let p = app.payment(t1["payment"].as_str().unwrap()).await;
    assert_eq!(p["status"], "settled");
    assert_eq!(p["payer"]["operator"], "external");
    assert_eq!(p["collection_request"], json!(a.id));
    assert_eq!(p["record"]["ingest"], t1["id"]);
    // Paid again (another transfer): a duplicate, for a person.
    let mut t2 = report("t2", &a, 150_000, "completed");
    t2["processed_at"] = json!(format!("{DAY}T11:00:00Z"));
    let t2 = ingest(&app, &t2).await;
    assert_eq!(
        (outcome(&t2), t2["open_exception"].as_bool()),
        ("duplicate", Some(true))
    );
    assert_eq!(bill_state(&app, &a).await.1, 150_000, "never counted twice");

    // Instalments: partial payments, then an overpayment is an exception, then the rest.
    let b = erv_bill(&app, 100_000, true).await;
    assert_eq!(
        outcome(&ingest(&app, &report("t3", &b, 40_000, "completed")).await),
        "matched"
    );
    assert_eq!(
        bill_state(&app, &b).await,
        ("partially_paid".into(), 40_000, 0)
    );
    let t4 = ingest(&app, &report("t4", &b, 70_000, "completed")).await;
    assert_eq!(outcome(&t4), "amount_mismatch", "{t4}");
    assert!(
        t4["detail"].as_str().unwrap().contains("100.00 more"),
        "{t4}"
    );
    assert_eq!(
        outcome(&ingest(&app, &report("t5", &b, 60_000, "completed")).await),
        "matched"
    );
    assert_eq!(bill_state(&app, &b).await, ("paid".into(), 100_000, 0));

    // Short without instalments; an unknown reference; another entity.
    let c = erv_bill(&app, 50_000, false).await;
    let t6 = ingest(&app, &report("t6", &c, 20_000, "completed")).await;
    assert_eq!(outcome(&t6), "amount_mismatch");
    assert_eq!(bill_state(&app, &c).await.0, "open");
    let mut t7 = report("t7", &c, 20_000, "completed");
    t7["reference_number"] = json!("00000000000");
    let t7 = ingest(&app, &t7).await;
    assert_eq!(outcome(&t7), "unmatched");
    assert_eq!(t7["collection_request"], Value::Null);
    let mut t8 = report("t8", &c, 50_000, "completed");
    t8["entity_number"] = json!("11111");
    let t8 = ingest(&app, &t8).await;
    assert_eq!(outcome(&t8), "unmatched");
    assert!(t8["detail"].as_str().unwrap().contains("11111"), "{t8}");

    // The merchant's own reference when there is no ERV reference.
    let d = bill(
        &app,
        json!({"amount": 30_000, "currency": "MZN", "methods": ["bank_transfer"], "third_party_reference": "INV-D",
               "payer": {"first_name": "Ana", "last_name": "Machava", "phone_number": "+258841234567"}}),
    )
    .await;
    let t9 = ingest(
        &app,
        &json!({"source": "Bank", "external_id": "t9", "amount": 30_000, "currency": "MZN", "status": "completed",
                "processed_at": format!("{DAY}T12:00:00Z"), "payment_method_type": "INTERBANK", "reference": "INV-D"}),
    )
    .await;
    assert_eq!(outcome(&t9), "matched", "{t9}");
    assert_eq!(bill_state(&app, &d).await.0, "paid");

    // Pending is recorded, not counted; completed later confirms it; it never moves back.
    let e = erv_bill(&app, 25_000, false).await;
    let t10 = ingest(&app, &report("t10", &e, 25_000, "pending")).await;
    assert_eq!(outcome(&t10), "matched");
    assert_eq!(
        app.status_of(t10["payment"].as_str().unwrap()).await,
        "created"
    );
    assert_eq!(bill_state(&app, &e).await.0, "open");
    let done = ingest(&app, &report("t10", &e, 25_000, "completed")).await;
    assert_eq!(done["id"], t10["id"]);
    assert_eq!(done["status"], "completed");
    assert_eq!(
        app.status_of(t10["payment"].as_str().unwrap()).await,
        "settled"
    );
    assert_eq!(bill_state(&app, &e).await.0, "paid");
    let (s, v) = app
        .post(
            "/v1/ingested_payments",
            &report("t10", &e, 25_000, "failed"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "ingest_conflict");
    assert_eq!(v["error"]["param"], "status");
    // Failed never confirms, and asks nothing of anyone.
    let f = erv_bill(&app, 9_000, false).await;
    let t11 = ingest(&app, &report("t11", &f, 9_000, "failed")).await;
    assert_eq!(
        app.status_of(t11["payment"].as_str().unwrap()).await,
        "failed"
    );
    assert_eq!(bill_state(&app, &f).await.0, "open");
    assert_eq!(t11["open_exception"], false);
    // The same money from two sources is counted once.
    let g = erv_bill(&app, 1_000, false).await;
    assert_eq!(
        outcome(&ingest(&app, &report("t12", &g, 1_000, "completed")).await),
        "matched"
    );
    let mut t13 = report("t13", &g, 1_000, "completed");
    t13["source"] = json!("meps:other");
    let t13 = ingest(&app, &t13).await;
    assert_eq!(outcome(&t13), "duplicate");
    assert!(
        t13["detail"].as_str().unwrap().contains("same reference"),
        "{t13}"
    );

    // The queue: every exception nobody decided, newest first.
    let (_, q) = app.get("/v1/ingested_payments?exceptions=true").await;
    let queued: Vec<&str> = q["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(queued, ["t13", "t8", "t7", "t6", "t4", "t2"]);

    // Decisions, kept with who and when; each once.
    let resolve = |id: &Value, body: Value| {
        let app = &app;
        let id = id.as_str().unwrap().to_owned();
        async move {
            app.post(&format!("/v1/ingested_payments/{id}/resolve"), &body)
                .await
        }
    };
    let (s, v) = resolve(
        &t4["id"],
        json!({"resolution": "matched", "collection_request_id": b.id}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("collection_request_not_open"))
    );
    // A note is free text: control characters are refused, naming it (CI's contract run sent
    // one, and it was stored).
    let (s, v) = resolve(
        &t4["id"],
        json!({"resolution": "return", "note": "paid\u{6} twice"}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("note")),
        "{v}"
    );
    let (s, v) = resolve(
        &t4["id"],
        json!({"resolution": "return", "note": "paid twice; refunded by transfer"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["decision"]["resolution"], "return");
    assert!(v["decision"]["by"].as_str().unwrap().starts_with("key_"));
    assert_eq!(v["open_exception"], false);
    let (s, v) = resolve(&t4["id"], json!({"resolution": "return"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("exception_already_resolved"))
    );
    let (s, v) = resolve(&t6["id"], json!({"resolution": "matched"})).await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("collection_request_id"))
    );
    let (s, v) = resolve(
        &t6["id"],
        json!({"resolution": "matched", "collection_request_id": c.id}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        bill_state(&app, &c).await,
        ("partially_paid".into(), 20_000, 0)
    );
    let (s, _) = resolve(&t1["id"], json!({"resolution": "return"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a match needs no decision");
    // An overpayment a person accepts pays the bill and keeps the excess apart.
    let h = erv_bill(&app, 10_000, false).await;
    let t14 = ingest(&app, &report("t14", &h, 15_000, "completed")).await;
    assert_eq!(outcome(&t14), "amount_mismatch");
    let (s, _) = resolve(
        &t14["id"],
        json!({"resolution": "matched", "collection_request_id": h.id}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bill_state(&app, &h).await, ("paid".into(), 10_000, 5_000));
    let (_, q) = app.get("/v1/ingested_payments?exceptions=true").await;
    assert_eq!(q["data"].as_array().unwrap().len(), 4);

    // The day's report: counts and totals by outcome, and what the ledger credited.
    let (s, r) = app
        .get(&format!("/v1/reconciliation_report?date={DAY}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let line = |o: &str, st: &str| -> (i64, i64) {
        r["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["outcome"] == o && l["status"] == st && l["source"] == "Bank")
            .fold((0, 0), |(n, t), l| {
                (
                    n + l["count"].as_i64().unwrap(),
                    t + l["total"].as_i64().unwrap(),
                )
            })
    };
    // t1 t3 t5 t9 t10 t12 matched and completed; t11 matched and failed.
    assert_eq!(
        line("matched", "completed"),
        (6, 150_000 + 40_000 + 60_000 + 30_000 + 25_000 + 1_000)
    );
    assert_eq!(line("matched", "failed"), (1, 9_000));
    assert_eq!(
        line("amount_mismatch", "completed"),
        (3, 70_000 + 20_000 + 15_000)
    );
    assert_eq!(line("unmatched", "completed"), (2, 20_000 + 50_000));
    assert_eq!(line("duplicate", "completed").0, 1);
    // Credited: the six matches and the two exceptions matched by hand (t6 20.00, t14 150.00).
    assert_eq!(
        r["ledger_effect"],
        json!([{"currency": "MZN", "credited": 306_000 + 20_000 + 15_000}])
    );
    let (s, r) = app
        .get("/v1/reconciliation_report?date=2026-09-22&source=Bank")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["lines"], json!([]));
    let (s, v) = app.get("/v1/reconciliation_report?date=yesterday").await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("date"))
    );

    // Every change is an event.
    for t in [
        "collection_request.created",
        "collection_request.partially_paid",
        "collection_request.paid",
        "payment_ingest.received",
        "payment_ingest.updated",
        "payment_ingest.exception_raised",
        "payment_ingest.exception_resolved",
    ] {
        let (_, ev) = app.get(&format!("/v1/events?type={t}")).await;
        assert!(!ev["data"].as_array().unwrap().is_empty(), "no {t} event");
    }
    app.ledger_ok().await;
    Some(app)
}

async fn reingest_and_conflicts(app: TestApp) -> Option<TestApp> {
    let a = erv_bill(&app, 5_000, false).await;
    let first = ingest(&app, &report("r1", &a, 5_000, "completed")).await;
    let again = ingest(&app, &report("r1", &a, 5_000, "completed")).await;
    assert_eq!(first, again, "the same report returns the first result");
    let (_, list) = app.get("/v1/ingested_payments?source=Bank").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    for (k, v, param) in [
        ("amount", json!(5_001), "amount"),
        (
            "processed_at",
            json!("2026-09-21T10:00:01Z"),
            "processed_at",
        ),
        ("reference_number", json!("12345678901"), "reference_number"),
        (
            "payment_method_type",
            json!("INTERBANK"),
            "payment_method_type",
        ),
    ] {
        let mut changed = report("r1", &a, 5_000, "completed");
        changed[k] = v;
        let (s, e) = app.post("/v1/ingested_payments", &changed).await;
        assert_eq!(s, StatusCode::CONFLICT, "{k}: {e}");
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["param"].as_str()),
            (Some("ingest_conflict"), Some(param))
        );
    }
    // Bad input names the field.
    for (k, v, param) in [
        ("amount", json!(0), "amount"),
        ("currency", json!("EUR"), "currency"),
        ("status", json!("done"), "status"),
        ("processed_at", json!("today"), "processed_at"),
        ("source", json!(""), "source"),
        ("external_id", json!("x".repeat(201)), "external_id"),
    ] {
        let mut bad = report("r2", &a, 5_000, "completed");
        bad[k] = v;
        let (s, e) = app.post("/v1/ingested_payments", &bad).await;
        assert_eq!(
            (s, e["error"]["param"].as_str()),
            (StatusCode::BAD_REQUEST, Some(param)),
            "{k}: {e}"
        );
    }
    // A payer with a field Kumbu does not know is refused, naming it.
    let (s, v) = app
        .post("/v1/collection_requests", &json!({"amount": 1_000, "currency": "MZN", "methods": ["bank_transfer"], "payer": {"nickname": "x"}}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("nickname"),
        "{v}"
    );
    // Every payer field may be null, as the document says: null is no value.
    let (s, v) = app
        .post("/v1/collection_requests", &json!({"amount": 1_000, "currency": "MZN", "methods": ["bank_transfer"], "payer": {"address": null, "email": null}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["payer"]["address"], json!({}), "{v}");
    // Bills refuse what cannot be: a closed bill cancelled, a reference reused while open.
    let (s, v) = app
        .post(
            &format!("/v1/collection_requests/{}/cancel", a.id),
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("collection_request_not_open"))
    );
    // A standing reference: issued to a bill with allow_reuse (without the amount in its check
    // digits), reused once that bill is closed, never while it is open, never made up.
    let body =
        json!({"amount": 1_000, "currency": "MZN", "methods": ["simo_erv"], "allow_reuse": true});
    let first = bill(&app, body.clone()).await;
    let standing = first.reference.clone().unwrap();
    let e = Entity::parse(first.entity.as_deref().unwrap()).unwrap();
    assert!(ErvReference::parse(&standing).unwrap().verify(&e, None));
    let mut again = body.clone();
    again["erv_reference"] = json!(standing);
    let (s, v) = app.post("/v1/collection_requests", &again).await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::CONFLICT, Some("erv_reference")),
        "{v}"
    );
    let (s, _) = app
        .post(
            &format!("/v1/collection_requests/{}/cancel", first.id),
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let second = bill(&app, again).await;
    assert_eq!(second.reference.as_deref(), Some(standing.as_str()));
    let made_up = ErvReference::new(&e, 424_242, None).unwrap();
    for r in [made_up.as_str(), "12345678901"] {
        let (s, v) = app
            .post("/v1/collection_requests", &json!({"amount": 1_000, "currency": "MZN", "methods": ["simo_erv"], "allow_reuse": true, "erv_reference": r}))
            .await;
        assert_eq!(
            (s, v["error"]["param"].as_str()),
            (StatusCode::BAD_REQUEST, Some("erv_reference")),
            "{r}: {v}"
        );
    }
    // The same money reported by an API (to the second) and by a file (to the minute) is
    // counted once, even on a bill that still takes payments.
    let g = erv_bill(&app, 10_000, true).await;
    let mut api = report("api-1", &g, 2_000, "completed");
    api["processed_at"] = json!("2026-09-21T10:07:37Z");
    assert_eq!(outcome(&ingest(&app, &api).await), "matched");
    let mut file = report("file-1", &g, 2_000, "completed");
    file["source"] = json!("meps:x");
    file["processed_at"] = json!("2026-09-21T10:07:00Z");
    let dup = ingest(&app, &file).await;
    assert_eq!(outcome(&dup), "duplicate", "{dup}");
    assert_eq!(bill_state(&app, &g).await.1, 2_000);
    // A record a report made changes only through reports and decisions.
    let pid = ingest(&app, &api).await["payment"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = app
        .post(
            &format!("/v1/payment_records/{pid}"),
            &json!({"amount": 9_999_999}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("payment_state_conflict")),
        "{v}"
    );
    let (s, _, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/payment_records/{pid}"),
            None,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post(&format!("/v1/payments/{pid}/cancel"), &json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Due bills expire, with an event; a late payment is then an exception.
    let due = (app.engine.now().plus(Duration::from_secs(3600))).to_rfc3339();
    let late = bill(
        &app,
        json!({"amount": 2_000, "currency": "MZN", "methods": ["simo_erv"], "due_date": due}),
    )
    .await;
    app.advance(Duration::from_secs(3601)).await;
    assert_eq!(bill_state(&app, &late).await.0, "expired");
    let t = ingest(&app, &report("late", &late, 2_000, "completed")).await;
    assert_eq!(outcome(&t), "unmatched");
    assert!(t["detail"].as_str().unwrap().contains("expired"), "{t}");
    app.ledger_ok().await;
    Some(app)
}

async fn racing_ingests_make_one_payment(app: TestApp) -> Option<TestApp> {
    let a = erv_bill(&app, 7_500, false).await;
    let body = report("race-1", &a, 7_500, "completed");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url("/v1/ingested_payments");
            let body = body.clone();
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(crate::harness::KEY)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one ingested payment: {ids:?}");
    let (_, list) = app.get("/v1/ingested_payments").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(bill_state(&app, &a).await, ("paid".into(), 7_500, 0));
    let (_, payments) = app.get("/v1/payments?operator=external").await;
    assert_eq!(payments["data"].as_array().unwrap().len(), 1);
    app.ledger_ok().await;
    Some(app)
}

pub fn meps(
    entity: &str,
    file: (u32, u8),
    previous: Option<(u32, u8)>,
    lines: &[(&str, i64)],
) -> String {
    let payments: Vec<(ErvReference, i64, String)> = lines
        .iter()
        .enumerate()
        .map(|(i, (r, a))| {
            (
                ErvReference::parse(r).unwrap(),
                *a,
                format!("{}0{}{:02}", file.0, 8 + i / 60, i % 60),
            )
        })
        .collect();
    let id = |(date, seq): (u32, u8)| FileId { date, seq };
    MepsFile::build(
        Entity::parse(entity).unwrap(),
        id(file),
        previous.map(id),
        &payments,
    )
    .to_text()
}

async fn meps_files(app: TestApp) -> Option<TestApp> {
    let merchant = app.sandbox_merchant().await;
    app.engine.set_erv_entity(&merchant, "90002").await.unwrap();
    let b1 = erv_bill(&app, 300_000, false).await;
    let b2 = erv_bill(&app, 61_000, false).await;
    let b3 = erv_bill(&app, 1_000_000, true).await;
    assert_eq!(b1.entity.as_deref(), Some("90002"));
    let (r1, r2, r3) = (
        b1.reference.clone().unwrap(),
        b2.reference.clone().unwrap(),
        b3.reference.clone().unwrap(),
    );
    let lines = [
        (r1.as_str(), 300_000),
        (r1.as_str(), 300_000),
        (r2.as_str(), 61_000),
        (r3.as_str(), 250_000),
        ("00620400869", 744_000),
    ];
    let text = meps("90002", (20_260_921, 1), Some((20_260_920, 1)), &lines);
    let import = app.engine.import_meps(Mode::Test, &text).await.unwrap();
    let outcomes: Vec<&str> = import.payments.iter().map(|p| p.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["matched", "duplicate", "matched", "matched", "unmatched"]
    );
    assert_eq!(
        import.gap.as_deref(),
        Some("202609201"),
        "the file before was never imported"
    );
    assert!(!import.already_imported);
    assert!(import
        .payments
        .iter()
        .all(|p| p.source == "meps:90002" && p.file_id.as_deref() == Some("202609211")));
    // Importing it again changes nothing.
    let again = app.engine.import_meps(Mode::Test, &text).await.unwrap();
    assert!(again.already_imported);
    let ids: Vec<&str> = import.payments.iter().map(|p| p.id.as_str()).collect();
    let ids2: Vec<&str> = again.payments.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ids2);
    let (_, list) = app
        .get("/v1/ingested_payments?file_id=202609211&limit=100")
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 5);
    // The next file follows it: no gap.
    let next = meps(
        "90002",
        (20_260_922, 1),
        Some((20_260_921, 1)),
        &[(r3.as_str(), 750_000)],
    );
    let n = app.engine.import_meps(Mode::Test, &next).await.unwrap();
    assert_eq!(
        (n.gap.clone(), n.payments[0].outcome.as_str()),
        (None, "matched")
    );
    // A file that does not add up is refused whole, naming the line; nothing is written.
    let mut bad: Vec<String> = meps(
        "90002",
        (20_260_923, 1),
        Some((20_260_922, 1)),
        &[(r1.as_str(), 100)],
    )
    .lines()
    .map(str::to_owned)
    .collect();
    let last = bad.len() - 1;
    bad[last] = bad[last].replacen("00000000000000100", "00000000000000999", 1);
    let err = app
        .engine
        .import_meps(Mode::Test, &bad.join("\n"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
    let other = meps("90003", (20_260_923, 1), None, &[(r1.as_str(), 100)]);
    let err = app
        .engine
        .import_meps(Mode::Test, &other)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("90003"), "{err}");
    let (_, all) = app.get("/v1/ingested_payments?limit=100").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 6);
    assert_eq!(bill_state(&app, &b3).await, ("paid".into(), 1_000_000, 0));
    app.ledger_ok().await;
    Some(app)
}

/// A bill paid by a bank report, seen by the merchant's webhook endpoint: each event signed,
/// the bill's and the report's in their order.
async fn webhooks_for_collections(app: TestApp) -> Option<TestApp> {
    let rx = crate::receiver::Receiver::start().await;
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": rx.url, "events": ["collection_request.paid", "payment_ingest.received", "payment_ingest.exception_raised"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");
    let secret = we["secret"].as_str().unwrap().to_owned();
    let a = erv_bill(&app, 4_000, false).await;
    ingest(&app, &report("w1", &a, 4_000, "completed")).await;
    ingest(&app, &report("w2", &a, 4_000, "completed")).await;
    app.engine.run_dispatch_until_idle().await.unwrap();
    let mut got: Vec<(String, String, String)> = rx
        .take()
        .into_iter()
        .map(|r| {
            let now = app.clock.now_unix();
            assert!(kumbu_engine::signature::verify(
                &r.signature,
                &secret,
                r.body.as_bytes(),
                now,
                300
            ));
            let b: Value = serde_json::from_str(&r.body).unwrap();
            (
                b["type"].as_str().unwrap().to_owned(),
                b["data"]["object"]["id"].as_str().unwrap().to_owned(),
                b["data"]["object"]["outcome"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    got.sort();
    let types: Vec<&str> = got.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "collection_request.paid",
            "payment_ingest.exception_raised",
            "payment_ingest.received",
            "payment_ingest.received"
        ]
    );
    assert_eq!(got[0].1, a.id);
    let outcomes: BTreeSet<&str> = got[2..].iter().map(|(_, _, o)| o.as_str()).collect();
    assert_eq!(outcomes, BTreeSet::from(["matched", "duplicate"]));
    Some(app)
}

both!(
    webhooks_for_collections,
    every_outcome,
    reingest_and_conflicts,
    racing_ingests_make_one_payment,
    meps_files,
);
