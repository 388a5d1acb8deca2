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
    let required = std::env::var("KUMBU_REQUIRE_CLIENTS").is_ok_and(|v| v == "1");
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
        assert!(!required, "KUMBU_REQUIRE_CLIENTS=1 but {missing:?} missing");
        eprintln!("SKIP real_mtn_clients_accept_the_simulator: {missing:?} not installed");
        return;
    }
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
    if !out.status.success() && !required && stderr.contains("is older than 3.10") {
        eprintln!("SKIP real_mtn_clients_accept_the_simulator: {stderr}");
        return;
    }
    assert!(
        out.status.success(),
        "fidelity run failed:\n{stdout}\n{stderr}"
    );
    let checks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(checks >= 70, "only {checks} checks ran:\n{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    let _ = sim.kill().await;
}
