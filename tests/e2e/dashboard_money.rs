//! The Payments section's other pages over HTTP: refunds, checkout sessions and payouts (a new
//! one by finance in test mode, once per form, audited; in live mode only with a code from the
//! authenticator given at that moment).

use crate::both;
use crate::checkout::{create_session, xaf_session};
use crate::dashboard::{code_now, finance_in_test_mode, owner};
use crate::harness::TestApp;
use reqwest::StatusCode;

/// The value of the first `name="{name}" value="…"` on the page.
fn field(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let i = html.find(&key).expect("the field is on the page") + key.len();
    html[i..].split('"').next().unwrap().to_owned()
}

async fn payouts_refunds_and_sessions_in_the_dashboard(app: TestApp) -> Option<TestApp> {
    let paid = app.create(50_000, "+2250700000789").await;
    let paid_id = paid["id"].as_str().unwrap().to_owned();
    app.steps(5).await;
    assert_eq!(app.status_of(&paid_id).await, "settled");
    let (s, refund) = app
        .post(
            "/v1/refunds",
            &serde_json::json!({"payment": paid_id, "amount": 1000}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{refund}");
    let session = create_session(&app, xaf_session()).await;

    let mut fin = finance_in_test_mode(&app).await;
    let refunds = fin.get("/dashboard/refunds").await;
    assert_eq!(refunds.status, StatusCode::OK);
    assert!(refunds.html.contains(refund["id"].as_str().unwrap()));
    assert!(refunds
        .html
        .contains(&format!("/dashboard/payments/{paid_id}")));
    let sessions = fin.get("/dashboard/checkout-sessions?status=open").await;
    assert!(
        sessions.html.contains(session["id"].as_str().unwrap()),
        "{}",
        sessions.html
    );
    let none = fin
        .get("/dashboard/checkout-sessions?status=completed")
        .await;
    assert!(!none.html.contains(session["id"].as_str().unwrap()));
    // A payment's page: its ledger postings (the refund's too) and its events.
    let page = fin.get(&format!("/dashboard/payments/{paid_id}")).await;
    assert!(
        page.html.contains("<h2 id=\"ledger\">Ledger</h2>"),
        "{}",
        page.html
    );
    assert!(page.html.contains("merchant_available") && page.html.contains("payment.settled"));
    assert!(page.html.contains("/dashboard/developers/events/evt_"));
    let (_, evs) = app.get(&format!("/v1/events?object={paid_id}")).await;
    for e in evs["data"].as_array().unwrap() {
        assert!(
            page.html.contains(e["id"].as_str().unwrap()),
            "every event of the payment"
        );
    }
    let references = fin.get("/dashboard/references").await;
    assert_eq!(references.status, StatusCode::OK);
    assert!(references.html.contains("No reference."));

    // A payout from the available balance: confirmed, once per form.
    let page = fin.get("/dashboard/payouts").await;
    assert!(page.html.contains("No payout."));
    assert!(page.html.contains("<option value=\"mtn_ci\">"));
    assert!(
        !page.html.contains("payout-code"),
        "no code asked in test mode"
    );
    let once = field(&page.html, "once");
    let form = [
        ("once", once.as_str()),
        ("amount", "200"),
        ("currency", "XOF"),
        ("operator", "mtn_ci"),
        ("phone", "+2250500000789"),
        ("reference", "supplier-7"),
        ("confirm", "1"),
    ];
    let unticked: Vec<_> = form
        .iter()
        .copied()
        .filter(|(k, _)| *k != "confirm")
        .collect();
    assert_eq!(
        fin.post("/dashboard/payouts", &unticked).await.status,
        StatusCode::BAD_REQUEST
    );
    let done = fin.post("/dashboard/payouts", &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(
        fin.post("/dashboard/payouts", &form).await.status,
        StatusCode::SEE_OTHER
    );
    let (_, payouts) = app.get("/v1/payouts").await;
    let list = payouts["data"].as_array().unwrap();
    assert_eq!(list.len(), 1, "a double submit pays out once: {payouts}");
    assert_eq!(list[0]["amount"], 200);
    let payout_id = list[0]["id"].as_str().unwrap();
    let shown = fin.get("/dashboard/payouts").await;
    assert!(shown.html.contains(payout_id) && shown.html.contains("supplier-7"));
    assert!(
        !shown.html.contains("2250500000789"),
        "the payee's phone is shown masked"
    );
    // More than is available: refused in the engine's words, on the page.
    let once = field(&shown.html, "once");
    let too_much = fin
        .post(
            "/dashboard/payouts",
            &[
                ("once", once.as_str()),
                ("amount", "1000000"),
                ("currency", "XOF"),
                ("operator", "mtn_ci"),
                ("phone", "+2250500000789"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(too_much.status, StatusCode::CONFLICT, "{}", too_much.html);
    assert!(too_much.html.contains("the available balance is"));
    let bad_phone = fin
        .post(
            "/dashboard/payouts",
            &[
                ("once", once.as_str()),
                ("amount", "10"),
                ("currency", "XOF"),
                ("operator", "mtn_ci"),
                ("phone", "call me"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(bad_phone.status, StatusCode::BAD_REQUEST);
    assert!(bad_phone.html.contains("phone:"));

    // Live: an owner signed in with the second factor must still give a fresh code.
    let (mut own, secret) = owner(&app, "dona@loja.cv").await;
    let audit = own.get("/dashboard/audit").await;
    assert!(
        audit.html.contains("payout.created") && audit.html.contains(payout_id),
        "{}",
        audit.html
    );
    own.get("/dashboard/view/live?next=/dashboard/payouts")
        .await;
    let live = own.get("/dashboard/payouts").await;
    assert!(live.html.contains("id=\"payout-code\""));
    let live_form = |once: String, code: String| {
        vec![
            ("once".to_owned(), once),
            ("amount".to_owned(), "10".to_owned()),
            ("currency".to_owned(), "XOF".to_owned()),
            ("operator".to_owned(), "mtn_ci".to_owned()),
            ("phone".to_owned(), "+2250500000789".to_owned()),
            ("confirm".to_owned(), "1".to_owned()),
            ("code".to_owned(), code),
        ]
    };
    let fields = live_form(field(&live.html, "once"), "000000".to_owned());
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let wrong = own.post("/dashboard/payouts", &pairs).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.html);
    assert!(
        wrong.html.contains("That code is not right"),
        "{}",
        wrong.html
    );
    app.advance(std::time::Duration::from_secs(31)).await;
    let fields = live_form(field(&wrong.html, "once"), code_now(&app, &secret));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let right = own.post("/dashboard/payouts", &pairs).await;
    // The code is accepted; what stops this payout is the engine's next check (no live money
    // yet, no operator connected), said in its words.
    assert!(
        !right.html.contains("That code is not right"),
        "{}",
        right.html
    );
    assert!(right.html.contains("role=\"alert\""), "{}", right.html);
    Some(app)
}

both!(payouts_refunds_and_sessions_in_the_dashboard);
