//! Per-merchant pricing (issue 27, part 4): a merchant's own fee per operator and direction,
//! set with `kumbu merchant pricing`; what a refund does with the fee; payout fees; and a
//! change of price never changing what was charged before.

use crate::both;
use crate::harness::TestApp;
use serde_json::{json, Value};
use std::process::Command;

/// Runs `kumbu merchant pricing …` on the app's database.
fn pricing(app: &TestApp, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kumbu"));
    cmd.args(["merchant", "pricing"])
        .args(args)
        .args(["--database-url", &app.database_url])
        .env_remove("KUMBU_DATABASE_URL");
    if app.database_url.starts_with("postgres") {
        cmd.env("KUMBU_SECRET_KEY", crate::harness::SECRET_KEY);
    }
    let out = cmd.output().expect("run kumbu merchant pricing");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn settled(app: &TestApp, amount: i64) -> Value {
    let p = app.create(amount, "+2250700000789").await;
    app.steps(4).await;
    let p = app.payment(p["id"].as_str().unwrap()).await;
    assert_eq!(p["status"], "settled", "{p}");
    p
}

async fn refund(app: &TestApp, payment: &Value, amount: i64) {
    let (s, r) = app
        .post(
            "/v1/refunds",
            &json!({"payment": payment["id"], "amount": amount}),
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{r}");
    for _ in 0..2 {
        app.clock.advance(crate::harness::DELAY);
        while app.engine.run_refund_batch().await.unwrap() > 0 {}
    }
}

/// The balance transactions of `source`, newest first.
async fn movements(app: &TestApp, source: &str) -> Vec<Value> {
    let (_, l) = app
        .get(&format!("/v1/balance_transactions?source={source}"))
        .await;
    l["data"].as_array().unwrap().clone()
}

async fn available(app: &TestApp) -> i64 {
    let (_, b) = app.get("/v1/balance").await;
    b["balances"][0]["available"].as_i64().unwrap()
}

async fn merchants_pay_their_own_prices(app: TestApp) -> Option<TestApp> {
    let merchant = app.sandbox_merchant().await;
    // The catalogue's fee until the merchant has a price.
    let before = settled(&app, 10_000).await;
    let catalogue_fee = before["fee"].as_i64().unwrap();
    assert!(catalogue_fee > 0 && catalogue_fee != 210, "{before}");
    let mtn = || async {
        let (_, p) = app
            .post(
                "/v1/payments",
                &json!({"amount": 10_000, "currency": "XOF", "payer": {"phone": "+2250500000789", "operator": "mtn_ci"}}),
            )
            .await;
        p["fee"].as_i64().unwrap()
    };
    let mtn_fee = mtn().await;
    let (ok, out) = pricing(&app, &["--merchant", &merchant]);
    assert!(ok && out.contains("catalogue"), "{out}");
    // 2 % + 10, at least 50, at most 1,000; a refund gives its share of the fee back.
    let (ok, out) = pricing(
        &app,
        &[
            "--merchant",
            &merchant,
            "--operator",
            "orange_ci",
            "--percent",
            "2",
            "--fixed",
            "10",
            "--min",
            "50",
            "--max",
            "1000",
            "--refund-fee",
            "returned",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("orange_ci") && out.contains("2.00 %"), "{out}");
    let priced = settled(&app, 10_000).await;
    assert_eq!(priced["fee"], 210, "{priced}");
    assert_eq!(
        app.create(100, "+2250700000789").await["fee"],
        50,
        "the minimum"
    );
    assert_eq!(
        app.create(100_000, "+2250700000789").await["fee"],
        1_000,
        "the maximum"
    );
    // Another operator keeps the catalogue's fee.
    assert_eq!(mtn().await, mtn_fee);
    // The price changes: payments made before keep what they were charged, and their refund
    // rule.
    let (ok, out) = pricing(
        &app,
        &[
            "--merchant",
            &merchant,
            "--operator",
            "orange_ci",
            "--percent",
            "1.25",
            "--refund-fee",
            "kept",
        ],
    );
    assert!(ok, "{out}");
    let later = settled(&app, 10_000).await;
    assert_eq!(later["fee"], 125, "{later}");
    assert_eq!(
        app.payment(priced["id"].as_str().unwrap()).await["fee"],
        210
    );
    // Refunds in two halves give back the whole fee of a payment priced `returned`…
    refund(&app, &priced, 5_000).await;
    refund(&app, &priced, 5_000).await;
    let m = movements(&app, priced["id"].as_str().unwrap()).await;
    let refunds: Vec<(i64, i64, i64)> = m
        .iter()
        .filter(|t| t["type"] == "refund")
        .map(|t| {
            (
                t["amount"].as_i64().unwrap(),
                t["fee"].as_i64().unwrap(),
                t["net"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refunds,
        [(-5_000, -105, -4_895), (-5_000, -105, -4_895)],
        "{m:?}"
    );
    // …and none of one priced `kept` (the catalogue's rule, and the new price's).
    refund(&app, &later, 10_000).await;
    let m = movements(&app, later["id"].as_str().unwrap()).await;
    assert_eq!(
        (
            m[0]["type"].as_str(),
            m[0]["fee"].as_i64(),
            m[0]["net"].as_i64()
        ),
        (Some("refund"), Some(0), Some(-10_000)),
        "{m:?}"
    );
    refund(&app, &before, 10_000).await;
    let m = movements(&app, before["id"].as_str().unwrap()).await;
    assert_eq!(m[0]["fee"].as_i64(), Some(0), "{m:?}");

    // Payouts: free unless priced; then the fee leaves the balance with the amount, and comes
    // back if the payout fails.
    let payout = |amount: i64, phone: &str| json!({"amount": amount, "currency": "XOF", "payee": {"phone": phone, "operator": "mtn_ci"}});
    let (_, free) = app
        .post("/v1/payouts", &payout(1_000, "+2250500000789"))
        .await;
    assert_eq!(free["fee"], 0, "{free}");
    let (ok, out) = pricing(
        &app,
        &[
            "--merchant",
            &merchant,
            "--operator",
            "mtn_ci",
            "--direction",
            "payout",
            "--percent",
            "1",
            "--min",
            "25",
        ],
    );
    assert!(ok, "{out}");
    let start = available(&app).await;
    let (s, po) = app
        .post("/v1/payouts", &payout(5_000, "+2250500000029"))
        .await;
    assert_eq!((s.as_u16(), po["fee"].as_i64()), (200, Some(50)), "{po}");
    assert_eq!(available(&app).await, start - 5_050);
    let m = movements(&app, po["id"].as_str().unwrap()).await;
    assert_eq!(
        (
            m[0]["amount"].as_i64(),
            m[0]["fee"].as_i64(),
            m[0]["net"].as_i64()
        ),
        (Some(-5_000), Some(50), Some(-5_050)),
        "{m:?}"
    );
    for _ in 0..2 {
        app.clock.advance(crate::harness::DELAY);
        while app.engine.run_payout_batch().await.unwrap() > 0 {}
    }
    assert_eq!(
        available(&app).await,
        start,
        "a failed payout gives back its fee too"
    );
    // Not enough for the amount and its fee.
    let all = available(&app).await;
    let (s, e) = app
        .post("/v1/payouts", &payout(all, "+2250500000789"))
        .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (409, Some("balance_insufficient")),
        "{e}"
    );

    // The command line lists prices, refuses what cannot be, and removes them.
    let (ok, out) = pricing(&app, &["--merchant", &merchant]);
    assert!(ok, "{out}");
    assert!(
        out.contains("orange_ci") && out.contains("1.25 %") && out.contains("refund fee kept"),
        "{out}"
    );
    assert!(out.contains("mtn_ci") && out.contains("payout"), "{out}");
    for (args, says) in [
        (
            &["--operator", "external", "--percent", "1"][..],
            "carries no fee",
        ),
        (
            &["--operator", "orange_ci", "--percent", "1.234"][..],
            "two decimals",
        ),
        (
            &["--operator", "orange_ci", "--percent", "101"][..],
            "over 100 %",
        ),
        (
            &["--operator", "orange_ci", "--min", "10", "--max", "5"][..],
            "below the minimum",
        ),
        (
            &[
                "--operator",
                "mtn_ci",
                "--direction",
                "payout",
                "--fixed",
                "5",
                "--refund-fee",
                "returned",
            ][..],
            "collections only",
        ),
        (
            &[
                "--operator",
                "multicaixa",
                "--direction",
                "payout",
                "--free",
            ][..],
            "collects only",
        ),
        (&["--operator", "nokia", "--free"][..], "unknown operator"),
        (&["--operator", "orange_ci"][..], "--free"),
        (
            &["--operator", "orange_ci", "--percent", "1", "--remove"][..],
            "cannot be used with",
        ),
    ] {
        let mut all = vec!["--merchant", merchant.as_str()];
        all.extend_from_slice(args);
        let (ok, out) = pricing(&app, &all);
        assert!(!ok && out.contains(says), "{args:?}: {out}");
    }
    let (ok, out) = pricing(
        &app,
        &[
            "--merchant",
            "mer_nobody",
            "--operator",
            "orange_ci",
            "--percent",
            "1",
        ],
    );
    assert!(!ok && out.contains("mer_nobody"), "{out}");
    let (ok, out) = pricing(
        &app,
        &[
            "--merchant",
            &merchant,
            "--operator",
            "orange_ci",
            "--remove",
        ],
    );
    assert!(ok && out.contains("back to the catalogue"), "{out}");
    assert_eq!(
        app.create(10_000, "+2250700000789").await["fee"],
        catalogue_fee
    );
    app.ledger_ok().await;
    Some(app)
}

both!(merchants_pay_their_own_prices);
