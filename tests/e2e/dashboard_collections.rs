//! Collections in the dashboard over HTTP, as a browser without JavaScript uses them: the
//! exceptions queue and its two decisions (by finance, once, audited; never by a viewer),
//! bills, the day's reconciliation report, and a MEPS file uploaded for the business's own
//! entity only.

use crate::both;
use crate::collections::{bill_state, erv_bill, ingest, meps, report};
use crate::dashboard::{finance_in_test_mode, invited, sign_in, take_link, Browser, PASSWORD};
use crate::harness::TestApp;
use kumbu_core::Role;
use reqwest::StatusCode;

/// The value of `name`'s hidden input in the form posting to `action` (the page's first such
/// form when several share it: `nth` picks another).
fn form_field(html: &str, action: &str, nth: usize, name: &str) -> String {
    let form = html
        .split(&format!("action=\"{action}\""))
        .nth(nth + 1)
        .expect("the form is on the page");
    let key = format!("name=\"{name}\" value=\"");
    let i = form.find(&key).expect("the field is in the form") + key.len();
    form[i..].split('"').next().unwrap().to_owned()
}

async fn exceptions_are_decided_once_by_finance(app: TestApp) -> Option<TestApp> {
    let merchant = app.sandbox_merchant().await;
    app.engine.set_erv_entity(&merchant, "90002").await.unwrap();
    let b1 = erv_bill(&app, 300_000, false).await;
    let b2 = erv_bill(&app, 61_000, false).await;
    // Short on a bill without instalments, and a reference no bill has.
    let short = ingest(&app, &report("BANK-1", &b1, 200_000, "completed")).await;
    let mut stray = report("BANK-2", &b2, 74_400, "completed");
    stray["reference_number"] = "00620400869".into();
    let stray = ingest(&app, &stray).await;
    assert_eq!(short["outcome"], "amount_mismatch");
    assert_eq!(stray["outcome"], "unmatched");
    let (short_id, stray_id) = (
        short["id"].as_str().unwrap().to_owned(),
        stray["id"].as_str().unwrap().to_owned(),
    );

    // Finance sees both in the queue, and each one's page offers the open bills to match.
    let mut fin = finance_in_test_mode(&app).await;
    let queue = fin.get("/dashboard/collections").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
    assert!(queue.html.contains(&short_id) && queue.html.contains(&stray_id));
    assert!(queue.html.contains("Test mode: test data, no real money."));
    let path = format!("/dashboard/collections/exceptions/{short_id}");
    let page = fin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("amount_mismatch"));
    assert!(page.html.contains(&format!("<option value=\"{}\">", b1.id)));
    assert!(page.html.contains("Mark for return"));

    // Unconfirmed: nothing happens.
    let once = form_field(&page.html, &path, 0, "once");
    let unticked = fin
        .post(
            &path,
            &[
                ("once", &once),
                ("decision", "matched"),
                ("collection_request_id", &b1.id),
            ],
        )
        .await;
    assert_eq!(unticked.status, StatusCode::BAD_REQUEST);
    assert_eq!(bill_state(&app, &b1).await.1, 0);

    // Matched by hand: the bill takes the money; the same form sent twice acts once.
    let fields = [
        ("once", once.as_str()),
        ("decision", "matched"),
        ("collection_request_id", b1.id.as_str()),
        ("note", "paid the rest in cash"),
        ("confirm", "1"),
    ];
    let done = fin.post(&path, &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some(path.as_str()));
    // Its payment record came through the API that reported it, not the dashboard that
    // matched it.
    let auth = app.sandbox_auth(kumbu_core::Mode::Test).await;
    let filter = kumbu_engine::PaymentFilter {
        collection_request_id: Some(b1.id.clone()),
        ..kumbu_engine::PaymentFilter::default()
    };
    let records = app
        .engine
        .list_payments(&auth, &filter, None, 10)
        .await
        .unwrap();
    assert_eq!(records.data.len(), 1);
    assert_eq!(records.data[0].face, Some(kumbu_core::Face::Native));
    let again = fin.post(&path, &fields).await;
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "a double submit acts once"
    );
    assert_eq!(
        bill_state(&app, &b1).await,
        ("partially_paid".into(), 200_000, 0)
    );
    let decided = fin.get(&path).await;
    assert!(decided.html.contains("matched, by"), "{}", decided.html);
    assert!(decided.html.contains("paid the rest in cash"));
    assert!(!decided.html.contains("Mark for return"), "decided once");
    // A second decision from a fresh form is refused in words.
    let stale = [
        ("once", "AAAAAAAAAAAAAAAAAAAAAAAA"),
        ("decision", "return"),
        ("confirm", "1"),
    ];
    let refused = fin.post(&path, &stale).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(refused.html.contains("was already resolved (matched)"));

    // Matching names a bill; the refusal says so, above the page.
    let stray_path = format!("/dashboard/collections/exceptions/{stray_id}");
    let page = fin.get(&stray_path).await;
    let once = form_field(&page.html, &stray_path, 0, "once");
    let no_bill = fin
        .post(
            &stray_path,
            &[("once", &once), ("decision", "matched"), ("confirm", "1")],
        )
        .await;
    assert_eq!(no_bill.status, StatusCode::BAD_REQUEST);
    assert!(no_bill
        .html
        .contains("name the collection_request_id it pays"));
    let once = form_field(&no_bill.html, &stray_path, 1, "once");
    let returned = fin
        .post(
            &stray_path,
            &[
                ("once", &once),
                ("decision", "return"),
                ("note", "not ours"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.html);
    let queue = fin.get("/dashboard/collections").await;
    assert!(
        queue.html.contains("No exception is waiting."),
        "{}",
        queue.html
    );
    let all = fin.get("/dashboard/collections?all=1").await;
    assert!(
        all.html.contains("amount_mismatch → matched") && all.html.contains("unmatched → return")
    );

    // Bills, and the day's report.
    let bills = fin.get("/dashboard/collections/requests").await;
    assert!(bills.html.contains(&b1.id) && bills.html.contains(&b2.id));
    let open = fin.get("/dashboard/collections/requests?status=open").await;
    assert!(!open.html.contains(&b1.id) && open.html.contains(&b2.id));
    let day = fin
        .get("/dashboard/collections/report?date=2026-09-21")
        .await;
    assert_eq!(day.status, StatusCode::OK);
    assert!(day.html.contains("amount_mismatch") && day.html.contains("return"));
    let bad = fin
        .get("/dashboard/collections/report?date=21/09/2026")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("date must be a day as YYYY-MM-DD"));

    // The audit log has both decisions, by finance.
    let mut owner = crate::dashboard::owner(&app, "dona@loja.cv").await.0;
    let audit = owner.get("/dashboard/audit").await;
    assert_eq!(
        audit.html.matches("exception.resolved").count(),
        2,
        "{}",
        audit.html
    );
    assert!(audit.html.contains(&format!("matched → {}", b1.id)));

    // A viewer sees the queue and no decision; a forged decision is refused.
    let b3 = erv_bill(&app, 10_000, false).await;
    let mut third = report("BANK-3", &b3, 5_000, "completed");
    third["external_id"] = "BANK-3".into();
    let third = ingest(&app, &third).await;
    let third_path = format!(
        "/dashboard/collections/exceptions/{}",
        third["id"].as_str().unwrap()
    );
    let mut viewer = Browser::new(&app);
    let link = invited(&app, "ver@loja.cv", Role::Viewer).await;
    take_link(&mut viewer, &link).await;
    sign_in(&mut viewer, "ver@loja.cv", PASSWORD).await;
    viewer.get("/dashboard/view/test?next=/dashboard").await;
    let seen = viewer.get(&third_path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.html.contains("Mark for return") && !seen.html.contains("name=\"once\""));
    let forged = viewer
        .post(
            &third_path,
            &[
                ("once", "BBBBBBBBBBBBBBBBBBBBBBBB"),
                ("decision", "return"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.html);
    let upload = viewer.get("/dashboard/collections/upload").await;
    assert!(!upload.html.contains("type=\"file\""));
    Some(app)
}

async fn bank_files_are_uploaded_for_the_business_s_own_entity(app: TestApp) -> Option<TestApp> {
    let merchant = app.sandbox_merchant().await;
    app.engine.set_erv_entity(&merchant, "90002").await.unwrap();
    let other = app.engine.create_merchant("Other shop").await.unwrap();
    app.engine.set_erv_entity(&other.id, "90003").await.unwrap();
    let b1 = erv_bill(&app, 300_000, false).await;
    let r1 = b1.reference.clone().unwrap();
    let text = meps(
        "90002",
        (20_260_921, 1),
        Some((20_260_920, 1)),
        &[(r1.as_str(), 300_000), ("00620400869", 744_000)],
    );

    let mut fin = finance_in_test_mode(&app).await;
    let form = fin.get("/dashboard/collections/upload").await;
    assert!(form.html.contains("enctype=\"multipart/form-data\""));
    let done = fin
        .post_file(
            "/dashboard/collections/upload",
            &[],
            ("file", "202609211.txt", text.as_bytes()),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(
        done.html
            .contains("File 202609211 imported: 2 payments, 1 exceptions to handle."),
        "{}",
        done.html
    );
    assert!(done
        .html
        .contains("The file before it (202609201) was never imported"));
    assert_eq!(bill_state(&app, &b1).await.0, "paid");
    let again = fin
        .post_file(
            "/dashboard/collections/upload",
            &[],
            ("file", "202609211.txt", text.as_bytes()),
        )
        .await;
    assert!(again
        .html
        .contains("File 202609211 had already been imported: nothing changed."));

    // Another business's file is refused, and nothing of it is written.
    let theirs = meps("90003", (20_260_921, 1), None, &[("00620400869", 1_000)]);
    let refused = fin
        .post_file(
            "/dashboard/collections/upload",
            &[],
            ("file", "theirs.txt", theirs.as_bytes()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.html);
    assert!(refused.html.contains("which is not this business's"));
    let (_, list) = app.get("/v1/ingested_payments?limit=100").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    // A broken file is refused naming what is wrong; a forged upload is refused.
    let broken = fin
        .post_file(
            "/dashboard/collections/upload",
            &[],
            ("file", "x.txt", b"not a MEPS file"),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert!(broken.html.contains("MEPS file refused"));
    fin.csrf = "forged".into();
    let forged = fin
        .post_file(
            "/dashboard/collections/upload",
            &[],
            ("file", "202609211.txt", text.as_bytes()),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let mut owner = crate::dashboard::owner(&app, "dona@loja.cv").await.0;
    let audit = owner.get("/dashboard/audit").await;
    assert_eq!(
        audit.html.matches("bank_file.imported").count(),
        1,
        "imported once: {}",
        audit.html
    );
    Some(app)
}

both!(
    exceptions_are_decided_once_by_finance,
    bank_files_are_uploaded_for_the_business_s_own_entity
);
