//! Payouts in test mode: reserved from the available balance (never twice), sent through the
//! sandbox, ended by the payee's number, with their journals and events.

use crate::both;
use crate::harness::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

both!(payouts_spend_only_available_money);

/// Money a merchant declares (a confirmed payment record) is reported, never held: payouts
/// cannot spend it (issue 23, item 8). Before, a record of 9,000,000 XOF credited the available
/// balance and a 2,000,000 XOF payout from it was accepted. A database from before the split is
/// reclassified by its migration: its old postings move to the reported accounts.
async fn declared_money_is_never_paid_out(backend: crate::harness::Backend) {
    let Some((url, db)) = crate::harness::fresh_database(backend, "declared_money").await else {
        return;
    };
    let opts = crate::harness::Opts::default();
    let app = TestApp::start(url.clone(), Some(db), &opts).await;
    let (s, rec) = app
        .post(
            "/v1/payment_records",
            &json!({"account_id": "acct-1", "amount": 9_000_000, "currency": "XOF", "status": "confirmed"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rec}");
    let (_, b) = app.get("/v1/balance").await;
    let xof = b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["currency"] == "XOF")
        .cloned();
    let xof = xof.expect("an XOF line");
    assert_eq!(
        (xof["available"].as_i64(), xof["reported"].as_i64()),
        (Some(0), Some(9_000_000)),
        "{b}"
    );
    let (s, v) = app
        .post("/v1/payouts", &payout(2_000_000, "+2250500000789"))
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (409, Some("balance_insufficient")),
        "{v}"
    );
    app.ledger_ok().await;
    // The same record as the code before the split posted it: debited and settled into the
    // accounts Kumbu holds. Undo migration 0013 and restart: it reclassifies them.
    let pid = rec["id"].as_str().unwrap().to_owned();
    let db = app.stop().await;
    let e = |journal: &str, kind: &str, account: &str, amount: i64| {
        format!("('{journal}', '{kind}', '{pid}', (SELECT merchant_id FROM payments WHERE id = '{pid}'), 'test', 'XOF', '{account}', {amount}, 1)")
    };
    let old = [
        e(
            "jrn_old1",
            "payment.debited",
            "operator_clearing",
            9_000_000,
        ),
        e(
            "jrn_old1",
            "payment.debited",
            "merchant_pending",
            -9_000_000,
        ),
        e("jrn_old2", "payment.settled", "settlement_bank", 9_000_000),
        e(
            "jrn_old2",
            "payment.settled",
            "operator_clearing",
            -9_000_000,
        ),
        e("jrn_old2", "payment.settled", "merchant_pending", 9_000_000),
        e(
            "jrn_old2",
            "payment.settled",
            "merchant_available",
            -9_000_000,
        ),
    ];
    for sql in [
        format!("DELETE FROM ledger_entries WHERE payment_id = '{pid}'"),
        "DELETE FROM ledger_accounts".to_owned(),
        format!("INSERT INTO ledger_entries (journal_id, journal_kind, payment_id, merchant_id, mode, currency, account, amount, created_at) VALUES {}", old.join(", ")),
        "INSERT INTO ledger_accounts (merchant_id, mode, currency, account, balance)          SELECT merchant_id, mode, currency, account, SUM(amount) FROM ledger_entries          GROUP BY merchant_id, mode, currency, account".to_owned(),
        "DELETE FROM _sqlx_migrations WHERE version = 13".to_owned(),
    ] {
        crate::secrets::raw(&url, &sql).await;
    }
    // `ledger verify` names the mix: the record's money in accounts Kumbu holds.
    let store = kumbu_engine::Store::connect(&url, &kumbu_engine::StoreOptions::default())
        .await
        .unwrap();
    let (problems, _) = store.verify_ledger().await.unwrap();
    store.close().await;
    let mixed: Vec<String> = problems
        .iter()
        .filter_map(|p| match p {
            kumbu_store::LedgerProblem::SplitBroken { owner, account, .. } => {
                Some(format!("{owner}/{account}"))
            }
            kumbu_store::LedgerProblem::UnbalancedJournal { .. }
            | kumbu_store::LedgerProblem::BalanceMismatch { .. }
            | kumbu_store::LedgerProblem::BalanceTransactions { .. } => None,
        })
        .collect();
    assert_eq!(
        mixed,
        [
            format!("{pid}/merchant_available"),
            format!("{pid}/settlement_bank")
        ],
        "{problems:?}"
    );
    let app = TestApp::start(url, db, &opts).await;
    app.ledger_ok().await;
    let (_, b) = app.get("/v1/balance").await;
    let xof = b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["currency"] == "XOF")
        .cloned()
        .unwrap();
    assert_eq!(
        (xof["available"].as_i64(), xof["reported"].as_i64()),
        (Some(0), Some(9_000_000)),
        "{b}"
    );
    let (s, _) = app
        .post("/v1/payouts", &payout(2_000_000, "+2250500000789"))
        .await;
    assert_eq!(s.as_u16(), 409);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_money_is_never_paid_out_sqlite() {
    declared_money_is_never_paid_out(crate::harness::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_money_is_never_paid_out_postgres() {
    declared_money_is_never_paid_out(crate::harness::Backend::Postgres).await;
}

async fn available(app: &TestApp) -> i64 {
    let (_, b) = app.get("/v1/balance").await;
    b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["currency"] == "XOF")
        .map_or(0, |l| l["available"].as_i64().unwrap())
}

fn payout(amount: i64, phone: &str) -> Value {
    json!({"amount": amount, "currency": "XOF", "payee": {"phone": phone, "operator": "mtn_ci"}})
}

async fn payouts_spend_only_available_money(app: TestApp) -> Option<TestApp> {
    // Nothing settled yet: nothing to pay out.
    let (s, v) = app
        .post("/v1/payouts", &payout(1000, "+2250500000789"))
        .await;
    assert_eq!(
        (
            s.as_u16(),
            v["error"]["code"].as_str(),
            v["error"]["param"].as_str()
        ),
        (409, Some("balance_insufficient"), Some("amount")),
        "{v}"
    );
    let p = app.create(10_000, "+2250700000789").await;
    app.steps(4).await;
    assert_eq!(app.status_of(p["id"].as_str().unwrap()).await, "settled");
    let start = available(&app).await;
    assert!(start > 9_000, "{start}");
    // A payout is reserved at once, then goes through the sandbox.
    let (s, po) = app
        .post(
            "/v1/payouts",
            &json!({"amount": 5000, "currency": "XOF",
        "payee": {"phone": "+2250500000789", "operator": "mtn_ci"}, "reference": "salary-42",
        "description": "Salary", "metadata": {"employee": "7"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{po}");
    assert_eq!(
        (po["status"].as_str(), po["object"].as_str()),
        (Some("pending"), Some("payout"))
    );
    assert_eq!(available(&app).await, start - 5000);
    let id = po["id"].as_str().unwrap().to_owned();
    let pass = || async { while app.engine.run_payout_batch().await.unwrap() > 0 {} };
    app.clock.advance(crate::harness::DELAY);
    pass().await;
    let (_, po) = app.get(&format!("/v1/payouts/{id}")).await;
    assert_eq!(po["status"], "processing", "{po}");
    app.clock.advance(crate::harness::DELAY);
    pass().await;
    let (_, po) = app.get(&format!("/v1/payouts/{id}")).await;
    assert_eq!(po["status"], "succeeded", "{po}");
    assert_eq!(available(&app).await, start - 5000);
    // The reference is the merchant's, once.
    let (s, v) = app
        .post(
            "/v1/payouts",
            &json!({"amount": 100, "currency": "XOF",
        "payee": {"phone": "+2250500000789", "operator": "mtn_ci"}, "reference": "salary-42"}),
        )
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (409, Some("reference_already_used")),
        "{v}"
    );
    // A payee without a wallet (…029): the payout fails and its money is available again.
    let (_, po) = app
        .post("/v1/payouts", &payout(1000, "+2250500000029"))
        .await;
    let failed = po["id"].as_str().unwrap().to_owned();
    assert_eq!(available(&app).await, start - 6000);
    for _ in 0..2 {
        app.clock.advance(crate::harness::DELAY);
        pass().await;
    }
    let (_, po) = app.get(&format!("/v1/payouts/{failed}")).await;
    assert_eq!(
        (po["status"].as_str(), po["failure_code"].as_str()),
        (Some("failed"), Some("PAYER_NOT_FOUND")),
        "{po}"
    );
    assert_eq!(available(&app).await, start - 5000);
    // Two payouts racing for more than there is: one is accepted.
    let left = available(&app).await;
    let share = left * 3 / 4;
    let (pa, pb) = (
        payout(share, "+2250500000789"),
        payout(share, "+2250500000788"),
    );
    let (a, b) = tokio::join!(app.post("/v1/payouts", &pa), app.post("/v1/payouts", &pb));
    let codes = [a.0.as_u16(), b.0.as_u16()];
    assert!(
        codes.contains(&200) && codes.contains(&409),
        "{codes:?} {} {}",
        a.1,
        b.1
    );
    assert_eq!(available(&app).await, left - share);
    // A payout cannot take what a refund in flight will take from the balance.
    let rest = available(&app).await;
    let (s, r) = app
        .post("/v1/refunds", &json!({"payment": p["id"], "amount": rest}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, v) = app
        .post("/v1/payouts", &payout(100, "+2250500000789"))
        .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (409, Some("balance_insufficient")),
        "{v}"
    );
    // Bad input is named.
    let (s, v) = app.post("/v1/payouts", &payout(100, "+237670000789")).await;
    assert_eq!(
        (s.as_u16(), v["error"]["param"].as_str()),
        (400, Some("payee.phone")),
        "{v}"
    );
    let (s, v) = app.post("/v1/payouts", &json!({"amount": 100, "currency": "XOF", "payee": {"phone": "+2250500000789", "operator": "nope"}})).await;
    assert_eq!(
        (s.as_u16(), v["error"]["param"].as_str()),
        (400, Some("payee.operator")),
        "{v}"
    );
    // Listed newest first; events tell the story.
    let (_, list) = app.get("/v1/payouts?limit=2").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["has_more"], true);
    // The next page starts after the last one shown, and repeats nothing of the first.
    let last = list["data"][1]["id"].as_str().unwrap().to_owned();
    let (_, next) = app
        .get(&format!("/v1/payouts?limit=2&starting_after={last}"))
        .await;
    let first: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let rest = next["data"].as_array().unwrap();
    assert!(!rest.is_empty(), "{next}");
    assert!(
        rest.iter()
            .all(|p| !first.contains(&p["id"].as_str().unwrap())),
        "{next}"
    );
    let (_, ev) = app.get("/v1/events?limit=100").await;
    let types: Vec<&str> = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .filter(|t| t.starts_with("payout."))
        .collect();
    assert!(
        types.contains(&"payout.succeeded")
            && types.contains(&"payout.failed")
            && types.contains(&"payout.created"),
        "{types:?}"
    );
    app.ledger_ok().await;
    Some(app)
}
