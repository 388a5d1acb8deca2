//! The ledger after mixed traffic, checked by `kumbu ledger verify` itself.

use crate::both;
use crate::harness::TestApp;
use std::process::Command;

fn verify(url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kumbu"))
        .args(["ledger", "verify", "--database-url", url])
        .env_remove("KUMBU_DATABASE_URL")
        .output()
        .expect("run kumbu ledger verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn ledger_balances_after_mixed_traffic(app: TestApp) -> Option<TestApp> {
    let phones = [
        "789", "019", "029", "039", "049", "059", "069", "079", "129", "139", "149", "009", "555",
    ];
    for (i, suffix) in phones.iter().cycle().take(60).enumerate() {
        app.create(100 + i as i64 * 37, &format!("+2250700000{suffix}"))
            .await;
    }
    app.tick().await;
    for _ in 0..20 {
        app.steps(1).await;
    }
    app.advance(std::time::Duration::from_secs(700)).await;
    let (ok, text) = verify(&app.database_url);
    assert!(ok, "{text}");
    assert!(text.contains("ledger OK"), "{text}");
    let (_, bal) = app.get("/v1/balance").await;
    let available = bal["balances"][0]["available"].as_i64().unwrap();
    assert!(available > 0, "{bal}");
    // Corrupt one balance: verify must fail and name the account.
    assert_eq!(
        app.engine
            .store()
            .tamper_balance_for_tests(1)
            .await
            .unwrap(),
        1
    );
    let (ok, text) = verify(&app.database_url);
    assert!(!ok, "{text}");
    assert!(
        text.contains("MISMATCH account") && text.contains("merchant_available"),
        "{text}"
    );
    Some(app)
}

both!(ledger_balances_after_mixed_traffic);
