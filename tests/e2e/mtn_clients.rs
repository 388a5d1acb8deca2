//! Real MTN MoMo client libraries (PyPI momo-openapi 0.1.2 and mtn-momo-client 2.0.1, npm
//! mtn-momo 2.0.0), unchanged, against `kumbu simulate mtn-momo`: the simulator's fidelity.
//! scripts/fidelity/mtn-momo/run.sh installs them (once, under target/fidelity) and drives
//! them. Without Python 3.10+, node or npm this prints a SKIP line; `KUMBU_REQUIRE_CLIENTS=1`
//! (set by CI) turns that into a failure.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn have(cmd: &str, arg: &str) -> bool {
    std::process::Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_mtn_clients_accept_the_simulator() {
    let missing: Vec<&str> = [
        ("python3", "--version"),
        ("node", "--version"),
        ("npm", "--version"),
    ]
    .into_iter()
    .filter(|(c, a)| !have(c, a))
    .map(|(c, _)| c)
    .collect();
    if !missing.is_empty() {
        crate::harness::skip(
            "real_mtn_clients_accept_the_simulator",
            &format!("{missing:?} not installed"),
            "KUMBU_REQUIRE_CLIENTS",
        );
        return;
    }
    assert!(
        std::env::var_os("MTN_FIDELITY_SKIP").is_none(),
        "MTN_FIDELITY_SKIP is set: a skipped check proves nothing; unset it to run this test"
    );
    let mut sim = Command::new(env!("CARGO_BIN_EXE_kumbu"))
        .args([
            "simulate",
            "mtn-momo",
            "--listen",
            "127.0.0.1:0",
            "--approval-delay-ms",
            "200",
            "--subscription-key",
            "fidelity-subscription-key",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kumbu simulate");
    let mut lines = BufReader::new(sim.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("MTN MoMo simulator on ") {
                return rest.trim().to_owned();
            }
        }
        panic!("the simulator exited before listening");
    })
    .await
    .expect("the simulator starts");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/fidelity/mtn-momo/run.sh"
    );
    let out = Command::new("bash")
        .arg(script)
        .env("MTN_SIM_URL", &url)
        .env("MTN_SUBSCRIPTION_KEY", "fidelity-subscription-key")
        .output()
        .await
        .expect("run the fidelity script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("is older than 3.10") {
        crate::harness::skip(
            "real_mtn_clients_accept_the_simulator",
            &stderr,
            "KUMBU_REQUIRE_CLIENTS",
        );
        return;
    }
    assert!(
        out.status.success(),
        "fidelity run failed:\n{stdout}\n{stderr}"
    );
    // Every check line is `ok`: none failed, none skipped; and the three harnesses each ran
    // their whole list (a harness that stopped early would fall short of the total).
    let checks: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("FAIL ") || l.starts_with("skip "))
        .collect();
    let ok = checks.iter().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(ok, checks.len(), "checks failed or skipped:\n{stdout}");
    assert!(ok >= 70, "only {ok} checks ran:\n{stdout}");
    let passed = stdout
        .lines()
        .filter(|l| l.ends_with(": passed (0 failure(s))"))
        .count();
    assert_eq!(passed, 3, "each of the three harnesses passed:\n{stdout}");
    let _ = sim.kill().await;
}
