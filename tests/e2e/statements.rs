//! The merchant's books (issue 27, part 2): a balance transaction for every movement of the
//! balance, numbered with the balance after each; monthly statements that add up; CSV exports a
//! page at a time; `ledger verify` checking them against the ledger; and the migration that
//! writes them for a database from before.

use crate::both;
use crate::harness::TestApp;
use futures_util::future::join_all;
use kumbu_core::period::Month;
use kumbu_core::{Clock, Mode};
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::time::Duration;

/// Every balance transaction of the sandbox merchant, newest first, read a page of `limit` at a
/// time (so the cursor is exercised).
async fn all_transactions(app: &TestApp, limit: u32) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut after = String::new();
    loop {
        let (s, page) = app
            .get(&format!("/v1/balance_transactions?limit={limit}{after}"))
            .await;
        assert_eq!(s.as_u16(), 200, "{page}");
        let data = page["data"].as_array().unwrap().clone();
        if let Some(last) = data.last() {
            after = format!("&starting_after={}", last["id"].as_str().unwrap());
        }
        out.extend(data);
        if !page["has_more"].as_bool().unwrap() {
            return out;
        }
    }
}

/// The XOF balance (pending + available) from `/v1/balance`.
async fn owed(app: &TestApp) -> i64 {
    let (_, b) = app.get("/v1/balance").await;
    b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["currency"] == "XOF")
        .map_or(0, |l| {
            l["pending"].as_i64().unwrap() + l["available"].as_i64().unwrap()
        })
}

/// Numbers 1, 2, 3, … and each balance the one before plus its net; the last is what the
/// ledger owes.
async fn assert_chain(app: &TestApp, newest_first: &[Value]) {
    let mut balance = 0;
    let mut at = String::new();
    for (i, t) in newest_first.iter().rev().enumerate() {
        assert_eq!(t["number"].as_i64(), Some(i as i64 + 1), "{t}");
        // Time order is number order.
        let created = t["created_at"].as_str().unwrap().to_owned();
        assert!(
            created >= at,
            "{t} is stamped before the one it follows ({at})"
        );
        at = created;
        assert_eq!(
            t["amount"].as_i64().unwrap() - t["fee"].as_i64().unwrap(),
            t["net"].as_i64().unwrap(),
            "{t}"
        );
        balance += t["net"].as_i64().unwrap();
        assert_eq!(t["balance_after"].as_i64(), Some(balance), "{t}");
    }
    assert_eq!(balance, owed(app).await);
}

fn payout(amount: i64, phone: &str) -> Value {
    json!({"amount": amount, "currency": "XOF", "payee": {"phone": phone, "operator": "mtn_ci"}})
}

async fn run_refunds(app: &TestApp) {
    for _ in 0..2 {
        app.clock.advance(crate::harness::DELAY);
        while app.engine.run_refund_batch().await.unwrap() > 0 {}
    }
}

async fn run_payouts(app: &TestApp) {
    for _ in 0..2 {
        app.clock.advance(crate::harness::DELAY);
        while app.engine.run_payout_batch().await.unwrap() > 0 {}
    }
}

async fn balance_transactions_follow_the_ledger(app: TestApp) -> Option<TestApp> {
    let month = Month::of(app.clock.now()).to_string();
    // Three payments: one settles, one is debited but not yet settled, one fails.
    let settled = app.create(10_000, "+2250700000789").await;
    let sid = settled["id"].as_str().unwrap().to_owned();
    app.steps(4).await;
    assert_eq!(app.status_of(&sid).await, "settled");
    let failed = app.create(7_000, "+2250700000029").await;
    app.steps(2).await;
    assert_eq!(
        app.status_of(failed["id"].as_str().unwrap()).await,
        "failed"
    );
    let list = all_transactions(&app, 100).await;
    assert_eq!(list.len(), 1, "a failed payment moves nothing: {list:?}");
    let t = &list[0];
    let fee = app.payment(&sid).await["fee"].as_i64().unwrap();
    assert!(fee > 0);
    assert_eq!(
        (
            t["type"].as_str(),
            t["source"].as_str(),
            t["payment"].as_str(),
            t["amount"].as_i64(),
            t["fee"].as_i64(),
            t["net"].as_i64(),
            t["status"].as_str(),
            t["object"].as_str(),
            t["livemode"].as_bool()
        ),
        (
            Some("payment"),
            Some(sid.as_str()),
            Some(sid.as_str()),
            Some(10_000),
            Some(fee),
            Some(10_000 - fee),
            Some("available"),
            Some("balance_transaction"),
            Some(false)
        ),
        "{t}"
    );
    assert!(t["id"].as_str().unwrap().starts_with("txn_"), "{t}");
    assert!(t["available_on"].is_string(), "{t}");
    // A refund, a payout that is sent and one that fails (its money comes back).
    let (s, r) = app
        .post("/v1/refunds", &json!({"payment": sid, "amount": 2_500}))
        .await;
    assert_eq!(s.as_u16(), 200, "{r}");
    run_refunds(&app).await;
    let (s, po) = app
        .post("/v1/payouts", &payout(3_000, "+2250500000789"))
        .await;
    assert_eq!(s.as_u16(), 200, "{po}");
    let (s, lost) = app
        .post("/v1/payouts", &payout(1_000, "+2250500000029"))
        .await;
    assert_eq!(s.as_u16(), 200, "{lost}");
    run_payouts(&app).await;
    // A payment debited and not yet settled: pending.
    let pending = app.create(4_000, "+2250700000788").await;
    let pid = pending["id"].as_str().unwrap().to_owned();
    app.tick().await;
    for _ in 0..6 {
        if app.status_of(&pid).await == "debited" {
            break;
        }
        app.steps(1).await;
    }
    assert_eq!(app.status_of(&pid).await, "debited");
    let list = all_transactions(&app, 2).await;
    let kinds: Vec<&str> = list.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"refund") && kinds.contains(&"payout") && kinds.contains(&"payout_failure"),
        "{kinds:?}"
    );
    let refund = list.iter().find(|t| t["type"] == "refund").unwrap();
    assert_eq!(
        (
            refund["amount"].as_i64(),
            refund["net"].as_i64(),
            refund["source"].as_str(),
            refund["payment"].as_str()
        ),
        (
            Some(-2_500),
            Some(-2_500),
            r["id"].as_str(),
            Some(sid.as_str())
        ),
        "{refund}"
    );
    let back = list.iter().find(|t| t["type"] == "payout_failure").unwrap();
    assert_eq!(
        (back["net"].as_i64(), back["source"].as_str()),
        (Some(1_000), lost["id"].as_str())
    );
    let debit_status = |list: &[Value]| {
        list.iter()
            .find(|t| t["source"] == pid.as_str())
            .map(|t| (t["status"].clone(), t["available_on"].clone()))
    };
    assert_eq!(
        debit_status(&list),
        Some((json!("pending"), Value::Null)),
        "{list:?}"
    );
    assert_chain(&app, &list).await;
    // Settled later: the same transaction becomes available, nothing new is posted.
    app.steps(4).await;
    assert_eq!(app.status_of(&pid).await, "settled");
    let after = all_transactions(&app, 100).await;
    assert_eq!(after.len(), list.len());
    assert_eq!(debit_status(&after).unwrap().0, json!("available"));
    assert_chain(&app, &after).await;
    // Filters.
    let (_, only) = app
        .get(&format!("/v1/balance_transactions?source={sid}"))
        .await;
    let of_payment: Vec<&str> = only["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(of_payment, ["refund", "payment"], "{only}");
    let (_, refunds) = app
        .get("/v1/balance_transactions?type=refund&currency=XOF")
        .await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1, "{refunds}");
    let (_, none) = app.get("/v1/balance_transactions?currency=CVE").await;
    assert_eq!(none["data"], json!([]));
    for (query, param) in [
        ("type=payday", "type"),
        ("currency=EUR", "currency"),
        ("limit=0", "limit"),
        ("colour=red", "colour"),
        ("source=", "source"),
    ] {
        let (s, e) = app.get(&format!("/v1/balance_transactions?{query}")).await;
        assert_eq!(
            (s.as_u16(), e["error"]["param"].as_str()),
            (400, Some(param)),
            "{query}: {e}"
        );
    }
    let (s, e) = app
        .get("/v1/balance_transactions?starting_after=txn_notours")
        .await;
    assert_eq!(s.as_u16(), 404, "{e}");
    let one = &after[0];
    let (s, got) = app
        .get(&format!(
            "/v1/balance_transactions/{}",
            one["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!((s.as_u16(), &got), (200, one));
    let (s, _) = app.get("/v1/balance_transactions/txn_nothere").await;
    assert_eq!(s.as_u16(), 404);
    let (s, _) = app.get("/v1/balance_transactions/pay_nothere").await;
    assert_eq!(s.as_u16(), 404);

    // The month's statement adds up to the balance.
    let (s, st) = app.get(&format!("/v1/statements/{month}")).await;
    assert_eq!(s.as_u16(), 200, "{st}");
    let xof = &st["data"][0];
    let nets: i64 = xof["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["net"].as_i64().unwrap())
        .sum();
    assert_eq!(
        (
            xof["currency"].as_str(),
            xof["opening_balance"].as_i64(),
            xof["closing_balance"].as_i64()
        ),
        (Some("XOF"), Some(0), Some(nets)),
        "{st}"
    );
    assert_eq!(nets, owed(&app).await);
    let payments = xof["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["type"] == "payment")
        .unwrap();
    assert_eq!(payments["count"].as_i64(), Some(2), "{st}");
    assert_eq!(xof["total_fees"], payments["fee"]);
    // The next month opens where this one closed.
    app.clock.advance(Duration::from_secs(40 * 24 * 3600));
    let next = Month::of(app.clock.now()).to_string();
    let late = app.create(2_000, "+2250700000789").await;
    app.steps(4).await;
    assert_eq!(app.status_of(late["id"].as_str().unwrap()).await, "settled");
    let (_, st2) = app
        .get(&format!("/v1/statements/{next}?currency=XOF"))
        .await;
    let x2 = &st2["data"][0];
    assert_eq!(x2["opening_balance"], xof["closing_balance"], "{st2}");
    assert_eq!(
        x2["closing_balance"].as_i64(),
        Some(owed(&app).await),
        "{st2}"
    );
    assert_eq!(x2["lines"][0]["count"].as_i64(), Some(1), "{st2}");
    for (path, param) in [
        ("/v1/statements/2026-13", "month"),
        ("/v1/statements/november", "month"),
        (&*format!("/v1/statements/{month}?currency=USD"), "currency"),
        (&*format!("/v1/statements/{month}?colour=red"), "colour"),
    ] {
        let (s, e) = app.get(path).await;
        assert_eq!(
            (s.as_u16(), e["error"]["param"].as_str()),
            (400, Some(param)),
            "{path}: {e}"
        );
    }

    // The export of the first month: a header and one row per transaction, oldest first.
    let (s, h, csv) = app
        .send(
            Method::GET,
            &format!("/v1/exports/balance_transactions?month={month}"),
            None,
            &[],
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{csv}");
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"kumbu-balance-"));
    let csv = csv.as_str().unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,type,source,payment,currency,amount,fee,net,balance_after,number,status,available_on,created_at")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let ids: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    let listed: Vec<&str> = after
        .iter()
        .rev()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, listed, "{csv}");
    let sum: i64 = rows.iter().map(|r| r[7].parse::<i64>().unwrap()).sum();
    assert_eq!(sum, nets, "negative amounts stay numbers: {csv}");
    // The same by days, both ends included; the next month's export holds only its payment.
    let (first, last) = (&rows[0][12][..10], &rows[rows.len() - 1][12][..10]);
    let (_, by_days) = app
        .get(&format!(
            "/v1/exports/balance_transactions?from={first}&to={last}"
        ))
        .await;
    assert_eq!(by_days.as_str().unwrap(), csv);
    let (_, later) = app
        .get(&format!("/v1/exports/balance_transactions?month={next}"))
        .await;
    assert_eq!(later.as_str().unwrap().lines().count(), 2, "{later}");
    // Nothing: this month; `from` alone: up to today.
    for query in ["", &*format!("from={next}-01")] {
        let (s, this) = app
            .get(&format!("/v1/exports/balance_transactions?{query}"))
            .await;
        assert_eq!(s.as_u16(), 200);
        assert_eq!(this.as_str().unwrap().lines().count(), 2, "{query}: {this}");
    }
    for (query, param) in [
        ("from=2026-11-02&to=2026-11-01", "to"),
        ("from=2026-11-31&to=2026-12-01", "from"),
        ("month=2026-11&from=2026-11-01&to=2026-11-02", "month"),
        ("month=11-2026", "month"),
        ("since=2026-11-01", "since"),
    ] {
        let (s, e) = app
            .get(&format!("/v1/exports/balance_transactions?{query}"))
            .await;
        assert_eq!(
            (s.as_u16(), e["error"]["param"].as_str()),
            (400, Some(param)),
            "{query}: {e}"
        );
    }
    // The payments of the month, every status, oldest first.
    let (s, payments_csv) = app
        .get(&format!("/v1/exports/payments?month={month}"))
        .await;
    assert_eq!(s.as_u16(), 200);
    let payments_csv = payments_csv.as_str().unwrap();
    let prows: Vec<Vec<&str>> = payments_csv
        .lines()
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(
        prows[0].join(","),
        "id,created_at,status,amount,fee,amount_refunded,currency,operator,payer_phone,reference,operator_reference,failure_code,face"
    );
    let ids: Vec<&str> = prows[1..].iter().map(|r| r[0]).collect();
    assert_eq!(
        ids,
        [sid.as_str(), failed["id"].as_str().unwrap(), pid.as_str()],
        "{payments_csv}"
    );
    assert_eq!(
        (
            prows[1][2],
            prows[1][3],
            prows[1][5],
            prows[1][8],
            prows[2][11]
        ),
        (
            "partially_refunded",
            "10000",
            "2500",
            "+2250700000789",
            "PAYER_NOT_FOUND"
        ),
        "{payments_csv}"
    );
    // Pages of two, at one instant (the manual clock posts many transactions at the same
    // microsecond): none lost, none twice.
    let auth = app.sandbox_auth(Mode::Test).await;
    let span = Month::parse(&month).unwrap().span();
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let (rows, next) = app
            .engine
            .balance_transactions_page(&auth, span, cursor, 2)
            .await
            .unwrap();
        paged.extend(rows.into_iter().map(|t| t.id));
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(paged, listed);

    // Another merchant and live mode see none of it.
    let other = app.engine.create_merchant("Other shop").await.unwrap();
    let other_key = app
        .engine
        .create_api_key(&other.id, Mode::Test)
        .await
        .unwrap();
    let live_key = app
        .engine
        .create_api_key(&app.sandbox_merchant().await, Mode::Live)
        .await
        .unwrap();
    for key in [other_key.secret, live_key.secret] {
        let auth = format!("Bearer {}", key.expose_secret());
        let h = [("authorization", auth.as_str())];
        let (_, _, l) = app
            .send(Method::GET, "/v1/balance_transactions", None, &h)
            .await;
        assert_eq!(l["data"], json!([]), "{l}");
        let (s, _, _) = app
            .send(
                Method::GET,
                &format!("/v1/balance_transactions/{}", one["id"].as_str().unwrap()),
                None,
                &h,
            )
            .await;
        assert_eq!(s.as_u16(), 404);
        let (_, _, st) = app
            .send(Method::GET, &format!("/v1/statements/{month}"), None, &h)
            .await;
        assert_eq!(st["data"], json!([]), "{st}");
        let (_, _, csv) = app
            .send(
                Method::GET,
                &format!("/v1/exports/balance_transactions?month={month}"),
                None,
                &h,
            )
            .await;
        assert_eq!(csv.as_str().unwrap().lines().count(), 1, "{csv}");
    }

    // `ledger verify` holds them to the ledger.
    app.ledger_ok().await;
    assert_eq!(
        app.engine
            .store()
            .tamper_balance_transaction_for_tests()
            .await
            .unwrap(),
        1
    );
    let (problems, _) = app.engine.store().verify_ledger().await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, kumbu_store::LedgerProblem::BalanceTransactions { .. })),
        "{problems:?}"
    );
    Some(app)
}

both!(balance_transactions_follow_the_ledger);

/// Payouts, refunds and payments posted at once by many requests and worker passes: numbers
/// without a gap, each balance following from the one before (the head row orders them).
async fn concurrent_postings_keep_one_chain(app: TestApp) -> Option<TestApp> {
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(app.create(20_000 + i, "+2250700000789").await["id"].clone());
    }
    app.steps(4).await;
    let payouts = (0..8).map(|i| {
        let app = &app;
        async move {
            app.post("/v1/payouts", &payout(500 + i, "+2250500000789"))
                .await
        }
    });
    let refunds = ids.iter().map(|id| {
        let app = &app;
        async move {
            app.post("/v1/refunds", &json!({"payment": id, "amount": 700}))
                .await
        }
    });
    // Four more payments, moved on (debited, settled: postings to the same balance) while the
    // payouts and refunds are asked for.
    for i in 0..4 {
        app.create(3_000 + i, "+2250700000789").await;
    }
    let (a, b, _) = tokio::join!(join_all(payouts), join_all(refunds), app.steps(4));
    assert!(
        a.iter().chain(b.iter()).all(|(s, _)| s.as_u16() == 200),
        "{a:?} {b:?}"
    );
    // Refunds, payouts and payments moved on by passes running at once.
    for _ in 0..3 {
        app.clock.advance(crate::harness::DELAY);
        let refunds = async { while app.engine.run_refund_batch().await.unwrap() > 0 {} };
        let payouts = async { while app.engine.run_payout_batch().await.unwrap() > 0 {} };
        tokio::join!(refunds, payouts, app.tick());
    }
    let list = all_transactions(&app, 100).await;
    assert_eq!(list.len(), 6 + 8 + 6 + 4, "{list:?}");
    assert_chain(&app, &list).await;
    app.ledger_ok().await;
    Some(app)
}

both!(concurrent_postings_keep_one_chain);

/// A database from before balance transactions: migration 0026 writes them from the ledger, in
/// the order the journals were posted, with the same ids, numbers and balances as if they had
/// been posted since.
async fn migration_writes_the_past(backend: crate::harness::Backend) {
    let Some((url, db)) = crate::harness::fresh_database(backend, "balance_migration").await else {
        return;
    };
    let opts = crate::harness::Opts::default();
    let app = TestApp::start(url.clone(), Some(db), &opts).await;
    let paid = app.create(10_000, "+2250700000789").await;
    app.create(6_000, "+2250700000149").await;
    app.steps(4).await;
    app.post(
        "/v1/refunds",
        &json!({"payment": paid["id"], "amount": 1_000}),
    )
    .await;
    run_refunds(&app).await;
    app.post("/v1/payouts", &payout(2_000, "+2250500000029"))
        .await;
    run_payouts(&app).await;
    let before = all_transactions(&app, 100).await;
    assert!(before.len() >= 4, "{before:?}");
    let db = app.stop().await;
    for sql in [
        "DELETE FROM balance_transactions",
        "DELETE FROM balance_heads",
        "DELETE FROM _sqlx_migrations WHERE version = 26",
        "DROP TABLE balance_transactions",
        "DROP TABLE balance_heads",
    ] {
        crate::secrets::raw(&url, sql).await;
    }
    let app = TestApp::start(url, db, &opts).await;
    let after = all_transactions(&app, 100).await;
    assert_eq!(after, before);
    app.ledger_ok().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_writes_the_past_sqlite() {
    migration_writes_the_past(crate::harness::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_writes_the_past_postgres() {
    migration_writes_the_past(crate::harness::Backend::Postgres).await;
}
