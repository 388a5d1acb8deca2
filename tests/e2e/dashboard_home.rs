//! The dashboard's home page over HTTP: balances, the period's payments per day as an SVG chart,
//! by operator what succeeded and failed with the success rate and volume, and the latest
//! failures, all of the data the switch shows; and the daily summary behind it agreeing with
//! the payments themselves, however they got where they are.

use crate::both;
use crate::dashboard::finance_in_test_mode;
use crate::harness::TestApp;
use reqwest::StatusCode;

async fn home_charts_what_payments_did(app: TestApp) -> Option<TestApp> {
    let mut ids = Vec::new();
    for phone in [
        "+2250700000789",
        "+2250700000789",
        "+2250700000789",
        "+2250700000039",
    ] {
        ids.push(
            app.create(2_000, phone).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.create(1_000, "+2250700000009").await; // waits: neither succeeded nor failed yet
    app.steps(5).await;
    assert_eq!(app.status_of(&ids[0]).await, "settled");
    assert_eq!(app.status_of(&ids[3]).await, "failed");
    // A refund does not make a success a failure.
    let (s, _) = app
        .post("/v1/refunds", &serde_json::json!({"payment": ids[0]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    app.steps(3).await;

    let mut fin = finance_in_test_mode(&app).await;
    let home = fin.get("/dashboard").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    assert!(home.html.contains("<svg class=\"chart\""), "{}", home.html);
    assert!(
        home.html.contains("3 succeeded, 1 failed"),
        "the day's bar says its figures"
    );
    // orange_ci: 3 succeeded, 1 failed, 75.0 %, 6,000 XOF.
    let row = home
        .html
        .split("<th scope=\"row\">orange_ci</th>")
        .nth(1)
        .expect("an orange_ci row");
    let row = row.split("</tr>").next().unwrap();
    assert!(
        row.contains(">3<") && row.contains(">1<") && row.contains("75.0 %"),
        "{row}"
    );
    assert!(row.contains("6") && row.contains("000"), "{row}");
    assert!(home.html.contains(&ids[3]), "the failure is listed");
    assert!(
        home.html.contains("The payment was refused on the phone."),
        "the failure's reason, in words"
    );
    // Today only, and 30 days, say the same (all of it happened today).
    for days in [1, 30] {
        let p = fin.get(&format!("/dashboard?days={days}")).await;
        assert!(p.html.contains("75.0 %"), "{days} days");
        assert_eq!(
            p.html.matches("<rect").count(),
            2 * days + 2,
            "a bar per day, and the rate"
        );
    }
    // Live data has none of it.
    fin.get("/dashboard/view/live?next=/dashboard").await;
    let live = fin.get("/dashboard").await;
    assert!(live
        .html
        .contains("No payment succeeded or failed in this period."));
    assert!(!live.html.contains(&ids[3]));

    // The summary agrees with the payments.
    let merchant = app.sandbox_merchant().await;
    let auth = kumbu_engine::AuthContext {
        merchant_id: merchant,
        ..app.sandbox_auth(kumbu_core::Mode::Test).await
    };
    let days = app.engine.payment_days(&auth, 30).await.unwrap();
    let (ok, failed, volume) = days.iter().fold((0, 0, 0), |(a, b, c), d| {
        (a + d.succeeded, b + d.failed, c + d.succeeded_amount)
    });
    assert_eq!((ok, failed, volume), (3, 1, 6_000), "{days:?}");
    Some(app)
}

/// Every view an owner opens, with data on it, weighs at most 100 KiB on first load: its HTML
/// and the stylesheet (the dashboard has no script and no images of its own).
async fn every_view_is_light(app: TestApp) -> Option<TestApp> {
    for phone in ["+2250700000789", "+2250700000039", "+2250700000009"] {
        for _ in 0..20 {
            app.create(2_000, phone).await;
        }
    }
    app.steps(5).await;
    let (mut own, _) = crate::dashboard::owner(&app, "dona@loja.cv").await;
    own.get("/dashboard/view/test?next=/dashboard").await;
    let css = own.get("/dashboard/assets/dashboard.css").await.html.len();
    let (_, list) = app.get("/v1/payments?limit=1").await;
    let payment = format!(
        "/dashboard/payments/{}",
        list["data"][0]["id"].as_str().unwrap()
    );
    let views = [
        "/dashboard",
        "/dashboard?days=30",
        "/dashboard/payments",
        payment.as_str(),
        "/dashboard/refunds",
        "/dashboard/payouts",
        "/dashboard/checkout-sessions",
        "/dashboard/references",
        "/dashboard/collections",
        "/dashboard/collections/requests",
        "/dashboard/collections/report",
        "/dashboard/collections/upload",
        "/dashboard/developers/keys",
        "/dashboard/developers/webhooks",
        "/dashboard/developers/events",
        "/dashboard/settings/connectors",
        "/dashboard/settings/branding",
        "/dashboard/settings/entity",
        "/dashboard/people",
        "/dashboard/audit",
        "/dashboard/security",
    ];
    for path in views {
        let page = own.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let weight = page.html.len() + css;
        assert!(weight <= 100 * 1024, "{path} weighs {weight} bytes");
        assert!(!page.html.contains("<script"), "{path} needs no script");
    }
    Some(app)
}

both!(home_charts_what_payments_did, every_view_is_light);
