//! The Kulpay face ("Payment Service"), with the seed's requests sent verbatim: payment
//! records, their filters and page tokens, the update rules, soft delete, money sent as JSON
//! doubles, ingest, and collection requests.

use crate::both;
use crate::harness::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn kp(app: &TestApp, method: Method, path: &str, body: Option<&str>) -> (StatusCode, Value) {
    let (s, _, v) = app
        .send(method, &format!("/compat/kulpay/v1{path}"), body, &[])
        .await;
    (s, v)
}

fn reason(v: &Value) -> &str {
    v["error"]["reason"].as_str().unwrap_or_default()
}

fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or_default()
}

const CREATE: &str = r#"{
"account_id": "acc_mz12345",
"collection_request_id": "cr_abc12345",
"provider_id": "provider_mpesa",
"channel": "mobile_wallet",
"currency": "MZN",
"amount": 7500.00,
"status": "pending"
}"#;

const UPDATE: &str = r#"{
"account_id": "acc_mz12345",
"collection_request_id": "cr_abc12345",
"provider_id": "provider_emola",
"channel": "bank_transfer",
"amount": 8000.00,
"currency": "MZN",
"status": "confirmed"
}"#;

const INGEST: &str = r#"{
"id": "ext_pay_20250710_001",
"amount": 15000.00,
"currency": "MZN",
"status": "completed",
"payment_method_type": "SIMO_ERV",
"payment_method_details": {
"nib": "000100000012345678910",
"entity_number": "12345",
"reference_number": "REF-MZ-2025-00456"
},
"reference": "BCI-TRF-20250710-001",
"source": "Bank",
"processed_at": "2025-07-10T10:00:00Z"
}"#;

fn is_iso(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with('Z') && s.len() == 20 && s.as_bytes()[10] == b'T')
}

async fn seed_requests_verbatim(app: TestApp) -> Option<TestApp> {
    // Create Payment.
    let (s, v) = kp(&app, Method::POST, "/payments", Some(CREATE)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["object"], "payment");
    assert_eq!(v["error"], Value::Null);
    let p = &v["payment"];
    let id = p["id"].as_str().unwrap().to_owned();
    assert!(
        id.starts_with("pm_") && id[3..].bytes().all(|b| b.is_ascii_alphanumeric()),
        "{id}"
    );
    assert_eq!(p["account_id"], "acc_mz12345");
    assert_eq!(p["collection_request_id"], "cr_abc12345");
    assert_eq!(p["provider_id"], "provider_mpesa");
    assert_eq!(p["channel"], "mobile_wallet");
    assert_eq!(p["amount"], json!({"currency": "MZN", "value": 7500.00}));
    assert_eq!(p["status"], "pending");
    assert_eq!(p["processed_at"], Value::Null);
    assert_eq!(p["confirmed_at"], Value::Null);
    assert_eq!(p["deleted_at"], Value::Null);
    assert!(is_iso(&p["created_at"]), "{p}");
    // The value is written with MZN's two places, as the documentation shows it.
    let (_, _, raw) = app
        .send(
            Method::GET,
            &format!("/compat/kulpay/v1/payments/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(raw["payment"]["amount"]["value"].to_string(), "7500.0");
    let text = app
        .client
        .get(app.url(&format!("/compat/kulpay/v1/payments/{id}")))
        .bearer_auth(crate::harness::KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(r#""value":7500.00"#), "{text}");

    // Get Payment.
    let (s, g) = kp(&app, Method::GET, &format!("/payments/{id}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(g["object"], "payment");
    assert_eq!(g["payment"], v["payment"]);

    // List Payments.
    let (s, l) = kp(&app, Method::GET, "/payments", None).await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["object"], "list");
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    assert_eq!(l["items"][0]["id"], json!(id));
    assert_eq!(l["has_more"], false);
    assert_eq!(l["next_page_token"], "");
    assert_eq!(l["error"], Value::Null);

    // Update Payment: everything changes while pending, and it is confirmed.
    let (s, u) = kp(&app, Method::PUT, &format!("/payments/{id}"), Some(UPDATE)).await;
    assert_eq!(s, 200, "{u}");
    let p = &u["payment"];
    assert_eq!(p["provider_id"], "provider_emola");
    assert_eq!(p["channel"], "bank_transfer");
    assert_eq!(p["amount"], json!({"currency": "MZN", "value": 8000.00}));
    assert_eq!(p["status"], "confirmed");
    assert!(
        is_iso(&p["processed_at"]) && is_iso(&p["confirmed_at"]),
        "{p}"
    );
    // A confirmed record is a settled payment on the external rail, in the ledger.
    let native = app.payment(&id.replace("pm_", "pay_")).await;
    assert_eq!(native["status"], "settled");
    assert_eq!(native["amount"], 800_000);
    assert_eq!(native["payer"]["operator"], "external");
    assert_eq!(native["record"]["account_id"], "acc_mz12345");
    app.ledger_ok().await;

    // Delete Payment: a pending record goes; the confirmed one cannot.
    let (s, d) = kp(&app, Method::DELETE, &format!("/payments/{id}"), None).await;
    assert_eq!(s, 409, "{d}");
    assert_eq!(reason(&d), "payment_state_conflict");
    let (_, other) = kp(&app, Method::POST, "/payments", Some(CREATE)).await;
    let other_id = other["payment"]["id"].as_str().unwrap();
    let (s, d) = kp(&app, Method::DELETE, &format!("/payments/{other_id}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(d, json!({"object": "payment", "error": null}));

    // Ingest Payment: echoed back, with Kumbu's reconciliation beside it.
    let (s, i) = kp(&app, Method::POST, "/payments/ingest", Some(INGEST)).await;
    assert_eq!(s, 200, "{i}");
    assert_eq!(i["object"], "payment_ingest");
    assert_eq!(i["error"], Value::Null);
    let ip = &i["ingest_payment"];
    let sent: Value = serde_json::from_str(INGEST).unwrap();
    for k in [
        "id",
        "amount",
        "currency",
        "status",
        "payment_method_type",
        "payment_method_details",
        "reference",
        "source",
        "processed_at",
    ] {
        assert_eq!(ip[k], sent[k], "{k}");
    }
    assert!(is_iso(&ip["created_at"]) && is_iso(&ip["updated_at"]));
    assert_eq!(ip["deleted_at"], Value::Null);
    // No bill has that reference: an exception for a person.
    assert_eq!(ip["reconciliation"]["outcome"], "unmatched");
    assert_eq!(ip["reconciliation"]["open_exception"], true);
    // The same report again is the same answer.
    let (s, again) = kp(&app, Method::POST, "/payments/ingest", Some(INGEST)).await;
    assert_eq!(s, 200);
    assert_eq!(again, i);
    Some(app)
}

async fn money_as_doubles(app: TestApp) -> Option<TestApp> {
    let body = |amount: &str| {
        format!(
            r#"{{"account_id": "acc_1", "currency": "MZN", "amount": {amount}, "status": "pending"}}"#
        )
    };
    for (text, minor) in [
        ("0.29", 29),
        ("19.99", 1999),
        ("3200.50", 320_050),
        ("7500.00", 750_000),
        ("7.5e3", 750_000),
        ("\"1234.56\"", 123_456),
    ] {
        let (s, v) = kp(&app, Method::POST, "/payments", Some(&body(text))).await;
        assert_eq!(s, 200, "{text}: {v}");
        let id = v["payment"]["id"].as_str().unwrap().replace("pm_", "pay_");
        assert_eq!(app.payment(&id).await["amount"], minor, "{text}");
    }
    for (text, code) in [
        ("7500.001", "amount_too_precise"),
        ("0.299", "amount_too_precise"),
        ("\"NaN\"", "parameter_invalid"),
        ("\"Infinity\"", "parameter_invalid"),
        ("\"-Infinity\"", "parameter_invalid"),
        ("-5.00", "parameter_invalid"),
        ("0", "amount_out_of_range"),
        ("1e300", "amount_out_of_range"),
        ("true", "parameter_invalid"),
    ] {
        let (s, v) = kp(&app, Method::POST, "/payments", Some(&body(text))).await;
        assert_eq!(s, 400, "{text}: {v}");
        assert_eq!(reason(&v), code, "{text}: {v}");
        assert_eq!(field(&v), "amount", "{text}: {v}");
        assert_eq!(v["object"], "error");
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(v["error"]["code"], 3);
    }
    // Other fields are named too; unknown statuses, currencies and missing fields.
    let (s, v) = kp(
        &app,
        Method::POST,
        "/payments",
        Some(r#"{"currency": "MZN", "amount": 1.00, "status": "pending"}"#),
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (400, "account_id"), "{v}");
    let (s, v) = kp(
        &app,
        Method::POST,
        "/payments",
        Some(r#"{"account_id": "a", "currency": "MZN", "amount": 1.00, "status": "done"}"#),
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (400, "status"), "{v}");
    let (s, v) = kp(
        &app,
        Method::POST,
        "/payments",
        Some(r#"{"account_id": "a", "currency": "EUR", "amount": 1.00, "status": "pending"}"#),
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (400, "currency"), "{v}");
    let (s, v) = kp(&app, Method::POST, "/payments", Some("{not json")).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["object"], "error");
    let (s, v) = kp(&app, Method::GET, "/payments/pm_nothere", None).await;
    assert_eq!((s.as_u16(), reason(&v)), (404, "resource_missing"), "{v}");
    let (s, v) = kp(&app, Method::GET, "/nowhere", None).await;
    assert_eq!(
        (s.as_u16(), v["error"]["status"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    let (s, _, v) = app
        .send(
            Method::GET,
            "/compat/kulpay/v1/payments",
            None,
            &[("authorization", "Bearer sk_test_nope")],
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["status"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    Some(app)
}

async fn record(app: &TestApp, body: Value) -> String {
    let (s, v) = kp(app, Method::POST, "/payments", Some(&body.to_string())).await;
    assert_eq!(s, 200, "{v}");
    v["payment"]["id"].as_str().unwrap().to_owned()
}

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    let (s, v) = kp(app, Method::GET, &format!("/payments?{query}"), None).await;
    assert_eq!(s, 200, "{query}: {v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn filters_and_page_tokens(app: TestApp) -> Option<TestApp> {
    let a = record(&app, json!({"account_id": "acc_1", "collection_request_id": "cr_x", "provider_id": "provider_mpesa", "channel": "mobile_wallet", "currency": "MZN", "amount": 100.00, "status": "pending"})).await;
    let b = record(&app, json!({"account_id": "acc_2", "collection_request_id": "cr_y", "provider_id": "provider_emola", "channel": "mobile_wallet", "currency": "MZN", "amount": 250.50, "status": "confirmed"})).await;
    let c = record(&app, json!({"account_id": "acc_3", "provider_id": "provider_bci", "channel": "bank_transfer", "currency": "MZN", "amount": 1000, "status": "failed"})).await;
    let d = record(&app, json!({"account_id": "acc_4", "channel": "bank_transfer", "currency": "XOF", "amount": 5000, "status": "pending"})).await;
    assert_eq!(
        ids(&app, "").await,
        [d.as_str(), c.as_str(), b.as_str(), a.as_str()]
    );
    assert_eq!(ids(&app, "collection_request_id=cr_x").await, [a.as_str()]);
    assert_eq!(ids(&app, "status=pending").await, [d.as_str(), a.as_str()]);
    assert_eq!(ids(&app, "status=confirmed").await, [b.as_str()]);
    assert_eq!(ids(&app, "status=failed").await, [c.as_str()]);
    assert_eq!(
        ids(&app, "channel=bank_transfer").await,
        [d.as_str(), c.as_str()]
    );
    assert_eq!(ids(&app, "provider_id=provider_emola").await, [b.as_str()]);
    assert_eq!(ids(&app, "currency=XOF").await, [d.as_str()]);
    assert_eq!(
        ids(&app, "currency=MZN&amount_min=250.50").await,
        [c.as_str(), b.as_str()]
    );
    assert_eq!(
        ids(&app, "currency=MZN&amount_max=250.5").await,
        [b.as_str(), a.as_str()]
    );
    assert_eq!(
        ids(&app, "amount_min=100.00&amount_max=100.00").await,
        [a.as_str()]
    );
    // Bounds are doubles: one between two centavos is rounded inwards, any number means
    // what it says.
    assert_eq!(
        ids(&app, "currency=MZN&amount_min=250.499&amount_max=250.501").await,
        [b.as_str()]
    );
    assert_eq!(
        ids(&app, "currency=MZN&amount_min=100.001").await,
        [c.as_str(), b.as_str()]
    );
    assert_eq!(ids(&app, "amount_max=1e300").await.len(), 4);
    assert_eq!(ids(&app, "amount_min=100000000000").await.len(), 0);
    assert_eq!(ids(&app, "amount_min=1e999").await.len(), 0);
    assert_eq!(ids(&app, "amount_min=.5&amount_max=%2B1e99").await.len(), 4);
    assert_eq!(
        ids(&app, "currency=XOF&amount_min=4999.5").await,
        [d.as_str()]
    );
    assert_eq!(ids(&app, "amount_max=-1").await.len(), 0);
    let now = app.engine.now().to_rfc3339();
    assert_eq!(ids(&app, &format!("from={now}")).await.len(), 4);
    assert_eq!(ids(&app, "to=2020-01-01T00:00:00Z").await.len(), 0);
    // Unknown parameters are ignored, as gRPC-Gateway does.
    assert_eq!(ids(&app, "colour=blue").await.len(), 4);
    for (q, f) in [
        ("status=done", "status"),
        ("amount_min=1,5", "amount_min"),
        ("from=yesterday", "from"),
        ("currency=EUR", "currency"),
        ("page_size=-1", "page_size"),
        ("page_size=ten", "page_size"),
        // A bound that is no number; a boolean Go would not read; NUL in a filter.
        ("amount_max=NaN", "amount_max"),
        ("amount_min=1e", "amount_min"),
        ("show_deleted=yes", "show_deleted"),
        ("channel=bank%00transfer", "channel"),
    ] {
        let (s, v) = kp(&app, Method::GET, &format!("/payments?{q}"), None).await;
        assert_eq!((s.as_u16(), field(&v)), (400, f), "{q}: {v}");
    }
    // Pages of two, following the tokens, see everything once.
    let (_, p1) = kp(&app, Method::GET, "/payments?page_size=2", None).await;
    assert_eq!(p1["has_more"], true);
    let t1 = p1["next_page_token"].as_str().unwrap().to_owned();
    assert!(!t1.is_empty() && !t1.contains(&a) && !t1.contains(&b));
    let (s, p2) = kp(
        &app,
        Method::GET,
        &format!("/payments?page_size=2&page_token={t1}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{p2}");
    let mut seen: Vec<Value> = p1["items"].as_array().unwrap().clone();
    seen.extend(p2["items"].as_array().unwrap().clone());
    assert_eq!(seen.len(), 4);
    assert_eq!(p2["has_more"], false);
    assert_eq!(p2["next_page_token"], "");
    // page_size 0 is the default, above 100 is brought down, and may change between pages.
    assert_eq!(ids(&app, "page_size=0").await.len(), 4);
    assert_eq!(ids(&app, "page_size=1000").await.len(), 4);
    let (s, _) = kp(
        &app,
        Method::GET,
        &format!("/payments?page_size=3&page_token={t1}"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    // A token is bound to its filters and its merchant, and cannot be made up.
    let (s, v) = kp(
        &app,
        Method::GET,
        &format!("/payments?page_size=2&status=pending&page_token={t1}"),
        None,
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (400, "page_token"), "{v}");
    let (s, v) = kp(&app, Method::GET, "/payments?page_token=token_xyz789", None).await;
    assert_eq!((s.as_u16(), field(&v)), (400, "page_token"), "{v}");
    // Deleted records are hidden unless asked for; GET still finds them.
    let (s, _) = kp(&app, Method::DELETE, &format!("/payments/{a}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&app, "").await, [d.as_str(), c.as_str(), b.as_str()]);
    assert_eq!(ids(&app, "show_deleted=true").await.len(), 4);
    assert_eq!(ids(&app, "show_deleted=1").await.len(), 4);
    assert_eq!(ids(&app, "show_deleted=False").await.len(), 3);
    let (s, g) = kp(&app, Method::GET, &format!("/payments/{a}"), None).await;
    assert_eq!(s, 200);
    assert!(is_iso(&g["payment"]["deleted_at"]), "{g}");
    // Kulpay lists payment records, not the gateway's own push payments.
    app.create(1000, "+2250700000001").await;
    assert_eq!(ids(&app, "").await.len(), 3);
    Some(app)
}

async fn update_rules(app: TestApp) -> Option<TestApp> {
    let id = record(
        &app,
        json!({"account_id": "acc_1", "currency": "MZN", "amount": 100.00, "status": "pending"}),
    )
    .await;
    let put = |body: Value| {
        let app = &app;
        let id = id.clone();
        async move {
            kp(
                app,
                Method::PUT,
                &format!("/payments/{id}"),
                Some(&body.to_string()),
            )
            .await
        }
    };
    // Only what is sent changes; account_id is required, as the seed documents.
    let (s, v) = put(json!({"account_id": "acc_1", "amount": 120.00})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["payment"]["amount"]["value"], json!(120.0));
    assert_eq!(v["payment"]["status"], "pending");
    let (s, v) = put(json!({"amount": 130.00})).await;
    assert_eq!((s.as_u16(), field(&v)), (400, "account_id"), "{v}");
    let (s, v) = put(json!({"account_id": "acc_1", "amount": 1.001})).await;
    assert_eq!((s.as_u16(), reason(&v)), (400, "amount_too_precise"));
    // Forward only.
    let (s, v) = put(json!({"account_id": "acc_1", "status": "confirmed"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = put(json!({"account_id": "acc_1", "status": "confirmed"})).await;
    assert_eq!(s, 200, "the same status again changes nothing: {v}");
    for (body, f) in [
        (
            json!({"account_id": "acc_1", "status": "pending"}),
            "status",
        ),
        (json!({"account_id": "acc_1", "status": "failed"}), "status"),
        (json!({"account_id": "acc_1", "amount": 99.00}), "amount"),
        (
            json!({"account_id": "acc_1", "currency": "XOF"}),
            "currency",
        ),
        (json!({"account_id": "acc_2"}), "account_id"),
        (json!({"account_id": "acc_1", "channel": "cash"}), "channel"),
    ] {
        let (s, v) = put(body.clone()).await;
        assert_eq!(
            (s.as_u16(), reason(&v), field(&v)),
            (409, "payment_state_conflict", f),
            "{body}: {v}"
        );
        assert_eq!(v["error"]["status"], "FAILED_PRECONDITION");
    }
    // A failed record stays failed; a deleted one is gone for updates.
    let f = record(
        &app,
        json!({"account_id": "acc_1", "currency": "MZN", "amount": 5.00, "status": "failed"}),
    )
    .await;
    let (s, v) = kp(
        &app,
        Method::PUT,
        &format!("/payments/{f}"),
        Some(r#"{"account_id": "acc_1", "status": "confirmed"}"#),
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (409, "status"), "{v}");
    let (s, _) = kp(&app, Method::DELETE, &format!("/payments/{f}"), None).await;
    assert_eq!(s, 200);
    let (s, _) = kp(&app, Method::DELETE, &format!("/payments/{f}"), None).await;
    assert_eq!(s, 404);
    let (s, _) = kp(
        &app,
        Method::PUT,
        &format!("/payments/{f}"),
        Some(r#"{"account_id": "acc_1"}"#),
    )
    .await;
    assert_eq!(s, 404);
    app.ledger_ok().await;
    Some(app)
}

async fn collection_requests_and_records(app: TestApp) -> Option<TestApp> {
    let (s, c) = kp(
        &app,
        Method::POST,
        "/collection-requests",
        Some(
            r#"{
  "description": "Factura de agua, Julho",
  "collection_method_ids": ["cm_simo_erv", "cm_mobile_wallet"],
  "amount": {"currency": "MZN", "value": 1500.00},
  "payer": {"first_name": "Ana", "last_name": "Machava", "vat_number": "123456789",
            "address": {"city": "Maputo", "country": "MZ"},
            "contact": {"phone_number": "+258841234567", "email": "ana@example.mz"},
            "type": "individual", "delivery_method": "sms"},
  "third_party_reference": "INV-2025-0042",
  "metadata": {"contract": "C-77"}
}"#,
        ),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["object"], "collection_request");
    assert_eq!(c["error"], Value::Null);
    let id = c["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cr_"));
    assert_eq!(c["bill_info"]["bill_id"], json!(id));
    assert_eq!(c["bill_info"]["status"], "pending");
    assert!(c["bill_info"]["bill_number"]
        .as_str()
        .unwrap()
        .starts_with("KMB-"));
    assert_eq!(c["amount"], json!({"currency": "MZN", "value": 1500.00}));
    assert_eq!(c["payer"]["contact"]["email"], "ana@example.mz");
    let erv = &c["collection_method_details"][0];
    assert_eq!(erv["type"], "simo_erv");
    let entity = erv["entity_number"].as_str().unwrap();
    let reference = erv["reference_number"].as_str().unwrap();
    assert_eq!((entity.len(), reference.len()), (5, 11));
    // The reference carries MOD 97-10 check digits over entity, base and amount.
    let e = kumbu_core::Entity::parse(entity).unwrap();
    let r = kumbu_core::ErvReference::parse(reference).unwrap();
    assert!(r.verify(&e, Some(150_000)), "{reference}");
    // A record the merchant confirms for it counts towards it.
    let body = format!(
        r#"{{"account_id": "acc_ana", "collection_request_id": "{id}", "currency": "MZN", "amount": 1500.00, "status": "confirmed"}}"#
    );
    let (s, v) = kp(&app, Method::POST, "/payments", Some(&body)).await;
    assert_eq!(s, 200, "{v}");
    let (_, c) = kp(
        &app,
        Method::GET,
        &format!("/collection-requests/{id}"),
        None,
    )
    .await;
    assert_eq!(c["bill_info"]["status"], "paid", "{c}");
    assert_eq!(c["amount_paid"]["value"], json!(1500.0));
    // A paid bill takes no more records; a bill in another currency none at all.
    let (s, v) = kp(&app, Method::POST, "/payments", Some(&body)).await;
    assert_eq!(
        (s.as_u16(), reason(&v)),
        (409, "collection_request_not_open"),
        "{v}"
    );
    let xof = body
        .replace("\"MZN\"", "\"XOF\"")
        .replace("1500.00", "1500");
    let (s, _) = kp(&app, Method::POST, "/collection-requests", Some(r#"{"collection_method_ids": ["cm_mobile_wallet"], "amount": {"currency": "MZN", "value": 10}}"#)).await;
    assert_eq!(s, 200);
    let (s, v) = kp(&app, Method::POST, "/payments", Some(&xof)).await;
    assert_eq!((s.as_u16(), field(&v)), (400, "currency"), "{v}");
    // Lists and filters, with tokens.
    let (s, l) = kp(&app, Method::GET, "/collection-requests?status=paid", None).await;
    assert_eq!(s, 200);
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    let (_, l) = kp(
        &app,
        Method::GET,
        &format!("/collection-requests?reference_number={reference}"),
        None,
    )
    .await;
    assert_eq!(l["items"][0]["id"], json!(id));
    let (_, l) = kp(&app, Method::GET, "/collection-requests?page_size=1", None).await;
    let t = l["next_page_token"].as_str().unwrap();
    let (s, l2) = kp(
        &app,
        Method::GET,
        &format!("/collection-requests?page_size=1&page_token={t}"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_ne!(l2["items"][0]["id"], l["items"][0]["id"]);
    // Bad requests name the field.
    for (body, f) in [
        (
            r#"{"amount": {"currency": "MZN", "value": 10}}"#,
            "collection_method_ids",
        ),
        (
            r#"{"collection_method_ids": ["cm_cash"], "amount": {"currency": "MZN", "value": 10}}"#,
            "collection_method_ids",
        ),
        (
            r#"{"collection_method_ids": ["cm_simo_erv"], "amount": {"currency": "MZN", "value": 10.001}}"#,
            "amount.value",
        ),
        (
            r#"{"collection_method_ids": ["cm_simo_erv"], "amount": {"currency": "XOF", "value": 10}}"#,
            "currency",
        ),
        (
            r#"{"collection_method_ids": ["cm_simo_erv"], "amount": {"currency": "MZN", "value": 10}, "third_party_reference": "INV-2025-0042", "due_date": "2020-01-01T00:00:00Z"}"#,
            "due_date",
        ),
        // A reference to reuse is 11 digits, whatever the methods.
        (
            r#"{"collection_method_ids": ["cm_mobile_wallet"], "amount": {"currency": "MZN", "value": 10}, "allow_reuses": true, "reference_number": "REF-1"}"#,
            "reference_number",
        ),
    ] {
        let (s, v) = kp(&app, Method::POST, "/collection-requests", Some(body)).await;
        assert_eq!((s.as_u16(), field(&v)), (400, f), "{body}: {v}");
    }
    app.ledger_ok().await;
    Some(app)
}

/// A record naming the payer's wallet (`payer_phone`, a Kumbu addition) is collected: a prompt
/// through the sandbox's M-Pesa, confirmed by the operator's answer alone, counted towards its
/// bill; it cannot be confirmed, changed or deleted by hand.
async fn records_collected_from_a_wallet(app: TestApp) -> Option<TestApp> {
    let (s, c) = kp(&app, Method::POST, "/collection-requests",
        Some(r#"{"collection_method_ids": ["cm_mobile_wallet"], "amount": {"currency": "MZN", "value": 750.00}}"#)).await;
    assert_eq!(s, 200, "{c}");
    let bill = c["id"].as_str().unwrap().to_owned();
    let body = |phone: &str, provider: &str, status: &str| {
        format!(
            r#"{{"account_id": "acc_ana", "collection_request_id": "{bill}", "provider_id": "{provider}", "channel": "mobile_wallet", "currency": "MZN", "amount": 750.00, "status": "{status}", "payer_phone": "{phone}"}}"#
        )
    };
    let (s, v) = kp(
        &app,
        Method::POST,
        "/payments",
        Some(&body("+258841234567", "provider_mpesa", "pending")),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let p = &v["payment"];
    assert_eq!(
        (p["status"].as_str(), p["payer_phone"].as_str()),
        (Some("pending"), Some("+258841234567")),
        "{v}"
    );
    let id = p["id"].as_str().unwrap().to_owned();
    // The merchant cannot confirm it: the operator does.
    let (s, v) = kp(
        &app,
        Method::PUT,
        &format!("/payments/{id}"),
        Some(r#"{"account_id": "acc_ana", "status": "confirmed"}"#),
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (409, "id"), "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("mpesa_mz"),
        "{v}"
    );
    let (s, _) = kp(&app, Method::DELETE, &format!("/payments/{id}"), None).await;
    assert_eq!(s.as_u16(), 409);
    // The sandbox's payer confirms; the bill is paid, in the same transaction as the debit.
    app.steps(6).await;
    let (_, v) = kp(&app, Method::GET, &format!("/payments/{id}"), None).await;
    assert_eq!(v["payment"]["status"], "confirmed", "{v}");
    assert!(
        is_iso(&v["payment"]["processed_at"]) && is_iso(&v["payment"]["confirmed_at"]),
        "{v}"
    );
    let (_, c) = kp(
        &app,
        Method::GET,
        &format!("/collection-requests/{bill}"),
        None,
    )
    .await;
    assert_eq!(c["bill_info"]["status"], "paid", "{c}");
    // Listed with the records, found by its provider.
    assert!(ids(&app, "provider_id=provider_mpesa").await.contains(&id));
    // A payer who refuses (the sandbox's …039): failed, saying why; counts for nothing.
    let (_, v) = kp(
        &app,
        Method::POST,
        "/payments",
        Some(r#"{"account_id": "acc_ana", "provider_id": "provider_mpesa", "currency": "MZN", "amount": 75.00, "status": "pending", "payer_phone": "+258841000039"}"#),
    )
    .await;
    let refused = v["payment"]["id"].as_str().unwrap().to_owned();
    app.steps(6).await;
    let (_, v) = kp(&app, Method::GET, &format!("/payments/{refused}"), None).await;
    assert_eq!(
        (
            v["payment"]["status"].as_str(),
            v["payment"]["failure_code"].as_str()
        ),
        (Some("failed"), Some("PAYMENT_DECLINED")),
        "{v}"
    );
    // What cannot be collected is refused, naming the field.
    for (b, want) in [
        (
            body("+258841234567", "provider_bank", "pending"),
            "provider_id",
        ),
        (
            body("+258841234567", "provider_mpesa", "confirmed"),
            "status",
        ),
        (
            body("841234567", "provider_mpesa", "pending"),
            "payer_phone",
        ),
        (
            body("+2250700000789", "provider_mpesa", "pending"),
            "payer_phone",
        ),
    ] {
        let (s, v) = kp(&app, Method::POST, "/payments", Some(&b)).await;
        assert_eq!((s.as_u16(), field(&v)), (400, want), "{b}: {v}");
    }
    let (s, v) = kp(
        &app,
        Method::PUT,
        &format!("/payments/{refused}"),
        Some(r#"{"account_id": "acc_ana", "payer_phone": "+258841234567"}"#),
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (400, "payer_phone"), "{v}");
    app.ledger_ok().await;
    Some(app)
}

both!(
    records_collected_from_a_wallet,
    seed_requests_verbatim,
    money_as_doubles,
    filters_and_page_tokens,
    update_rules,
    collection_requests_and_records,
);
