//! Real operator client libraries, unchanged, against Kumbu's simulators of the operators' APIs:
//! the simulators' fidelity. MTN MoMo: PyPI momo-openapi 0.1.2 and mtn-momo-client 2.0.1, npm
//! mtn-momo 2.0.0 (scripts/fidelity/mtn-momo/run.sh). Orange Money Web Payment: PyPI o-money
//! 0.0.10 (scripts/fidelity/orange-money/run.sh). Wave: PyPI wave-business-api 1.0.0
//! (scripts/fidelity/wave/run.sh). M-Pesa Mozambique: PyPI paymentsds-mpesa 0.1a10
//! (scripts/fidelity/mpesa-mz/run.sh; its ports are fixed, so the simulator takes M-Pesa's own,
//! 18352, 18345, 18353 and 18354 on 127.0.0.1). Each script installs its clients (once, under
//! target/fidelity) and drives them. Without Python (3.10+ for MTN's), node or npm this prints a
//! SKIP line; `KUMBU_REQUIRE_CLIENTS=1` (set by CI) turns that into a failure.

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// A simulator on a free port.
const ANY_PORT: &[&str] = &["--listen", "127.0.0.1:0"];

fn have(cmd: &str, arg: &str) -> bool {
    std::process::Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One fidelity run: the tools it needs, the simulator's arguments and the line it prints when
/// listening, the script with its environment (the simulator's URL is added as `url_var`), how
/// many checks must pass at least and how many harnesses must report `passed`.
struct Fidelity<'a> {
    test: &'a str,
    tools: &'a [&'a str],
    simulate: &'a [&'a str],
    /// Where the simulator listens (`--listen 127.0.0.1:0` unless the client's ports are fixed).
    listen: &'a [&'a str],
    listening: &'a str,
    script: &'a str,
    url_var: &'a str,
    env: &'a [(&'a str, &'a str)],
    skip_var: &'a str,
    min_checks: usize,
    harnesses: usize,
}

impl Fidelity<'_> {
    async fn run(&self) {
        let missing: Vec<&str> = self
            .tools
            .iter()
            .copied()
            .filter(|c| !have(c, "--version"))
            .collect();
        if !missing.is_empty() {
            crate::harness::skip(
                self.test,
                &format!("{missing:?} not installed"),
                "KUMBU_REQUIRE_CLIENTS",
            );
            return;
        }
        assert!(
            std::env::var_os(self.skip_var).is_none(),
            "{} is set: a skipped check proves nothing; unset it to run this test",
            self.skip_var
        );
        let mut sim = Command::new(env!("CARGO_BIN_EXE_kumbu"))
            .arg("simulate")
            .args(self.simulate)
            .args(self.listen)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn kumbu simulate");
        let mut lines = BufReader::new(sim.stdout.take().unwrap()).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.strip_prefix(self.listening) {
                    return rest.trim().to_owned();
                }
            }
            panic!("the simulator exited before listening");
        })
        .await
        .expect("the simulator starts");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let script = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), self.script);
        let out = Command::new("bash")
            .arg(script)
            .env(self.url_var, &url)
            .envs(self.env.iter().copied())
            .output()
            .await
            .expect("run the fidelity script");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() && stderr.contains("is older than 3.10") {
            crate::harness::skip(self.test, &stderr, "KUMBU_REQUIRE_CLIENTS");
            return;
        }
        assert!(
            out.status.success(),
            "fidelity run failed:\n{stdout}\n{stderr}"
        );
        // Every check line is `ok`: none failed, none skipped; and each harness ran its whole
        // list (a harness that stopped early would fall short of the total).
        let checks: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with("ok ") || l.starts_with("FAIL ") || l.starts_with("skip "))
            .collect();
        let ok = checks.iter().filter(|l| l.starts_with("ok ")).count();
        assert_eq!(ok, checks.len(), "checks failed or skipped:\n{stdout}");
        assert!(ok >= self.min_checks, "only {ok} checks ran:\n{stdout}");
        let passed = stdout
            .lines()
            .filter(|l| l.ends_with(": passed (0 failure(s))"))
            .count();
        assert_eq!(passed, self.harnesses, "each harness passed:\n{stdout}");
        let _ = sim.kill().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_mtn_clients_accept_the_simulator() {
    Fidelity {
        test: "real_mtn_clients_accept_the_simulator",
        tools: &["python3", "node", "npm"],
        simulate: &[
            "mtn-momo",
            "--approval-delay-ms",
            "200",
            "--subscription-key",
            "fidelity-subscription-key",
        ],
        listen: ANY_PORT,
        listening: "MTN MoMo simulator on ",
        script: "scripts/fidelity/mtn-momo/run.sh",
        url_var: "MTN_SIM_URL",
        env: &[("MTN_SUBSCRIPTION_KEY", "fidelity-subscription-key")],
        skip_var: "MTN_FIDELITY_SKIP",
        min_checks: 70,
        harnesses: 3,
    }
    .run()
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_orange_client_accepts_the_simulator() {
    Fidelity {
        test: "a_real_orange_client_accepts_the_simulator",
        tools: &["python3"],
        simulate: &[
            "orange-money",
            "--client",
            "fidelity-client:fidelity-secret",
            "--merchant-key",
            "fidelity-merchant-key",
        ],
        listen: ANY_PORT,
        listening: "Orange Money Web Payment simulator on ",
        script: "scripts/fidelity/orange-money/run.sh",
        url_var: "ORANGE_SIM_URL",
        env: &[
            ("ORANGE_CLIENT", "fidelity-client:fidelity-secret"),
            ("ORANGE_MERCHANT_KEY", "fidelity-merchant-key"),
        ],
        skip_var: "ORANGE_FIDELITY_SKIP",
        min_checks: 12,
        harnesses: 1,
    }
    .run()
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_wave_client_accepts_the_simulator() {
    Fidelity {
        test: "a_real_wave_client_accepts_the_simulator",
        tools: &["python3"],
        simulate: &["wave", "--api-key", "wave_ci_prod_fidelity"],
        listen: ANY_PORT,
        listening: "Wave simulator on ",
        script: "scripts/fidelity/wave/run.sh",
        url_var: "WAVE_SIM_URL",
        env: &[("WAVE_API_KEY", "wave_ci_prod_fidelity")],
        skip_var: "WAVE_FIDELITY_SKIP",
        min_checks: 11,
        harnesses: 1,
    }
    .run()
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_mpesa_client_accepts_the_simulator() {
    Fidelity {
        test: "a_real_mpesa_client_accepts_the_simulator",
        tools: &["python3"],
        simulate: &[
            "mpesa-mz",
            "--prompt-ms",
            "200",
            "--api-key",
            "fidelity-key",
            "--initiator",
            "fidelity-initiator:Mpesa2019",
        ],
        listen: &["--host", "127.0.0.1"],
        listening: "M-Pesa simulator on ",
        script: "scripts/fidelity/mpesa-mz/run.sh",
        url_var: "MPESA_SIM_HOST",
        env: &[("MPESA_API_KEY", "fidelity-key")],
        skip_var: "MPESA_FIDELITY_SKIP",
        min_checks: 16,
        harnesses: 1,
    }
    .run()
    .await;
}
