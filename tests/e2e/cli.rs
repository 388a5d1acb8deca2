//! The command line as an operator uses it.

use crate::harness::tempfile_lite::TempDir;
use std::process::Command;

fn kumbu(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kumbu"))
        .args(args)
        .env_remove("KUMBU_DATABASE_URL")
        .output()
        .expect("run kumbu");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Only `serve` and `migrate` create a database (issue 28): any other command in a directory
/// without one fails naming where it looked and how to point it elsewhere, and leaves nothing
/// behind. Before, `kumbu keys create` created `./kumbu.db` and `kumbu.db.key`, then said only
/// "No merchant".
#[test]
fn commands_never_create_a_database() {
    let dir = TempDir::new();
    for args in [
        &["keys", "create", "--merchant", "mer_x", "--mode", "live"][..],
        &["ledger", "verify"][..],
        &["merchant", "create", "--name", "Shop"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_kumbu"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("KUMBU_DATABASE_URL")
            .env_remove("KUMBU_SECRET_KEY")
            .env_remove("KUMBU_SECRET_KEY_FILE")
            .output()
            .expect("run kumbu");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            err.contains("no database at kumbu.db") && err.contains("--database-url"),
            "{args:?}: {err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
}

/// A missing PostgreSQL database is named once, with the statement that creates it (issue 28:
/// the error repeated "does not exist" three times and suggested nothing).
#[test]
fn a_missing_postgres_database_says_how_to_create_it() {
    let Ok(admin) = std::env::var("KUMBU_TEST_DATABASE_URL") else {
        crate::harness::skip(
            "a_missing_postgres_database_says_how_to_create_it",
            "KUMBU_TEST_DATABASE_URL is not set",
            "KUMBU_REQUIRE_PG",
        );
        return;
    };
    let url = crate::harness::with_database(&admin, "kumbu_never_created");
    let (ok, _, err) = kumbu(&[
        "migrate",
        "--database-url",
        &url,
        "--secret-key-file",
        "/dev/null",
    ]);
    assert!(!ok);
    assert!(
        err.contains("CREATE DATABASE kumbu_never_created")
            && err.matches("does not exist").count() == 1,
        "{err}"
    );
}

#[test]
fn merchants_and_keys_from_the_command_line() {
    let dir = TempDir::new();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let (ok, out, err) = kumbu(&["migrate", "--database-url", &url]);
    assert!(ok, "{err}");
    assert!(out.contains("up to date"), "{out}");
    let (ok, merchant, err) = kumbu(&[
        "merchant",
        "create",
        "--name",
        "Loja Central",
        "--database-url",
        &url,
    ]);
    assert!(ok, "{err}");
    let merchant = merchant.trim();
    assert!(
        merchant.starts_with("mer_") && !merchant.contains('\n'),
        "{merchant}"
    );
    for (mode, prefix) in [("test", "sk_test_"), ("live", "sk_live_")] {
        let (ok, key, err) = kumbu(&[
            "keys",
            "create",
            "--merchant",
            merchant,
            "--mode",
            mode,
            "--database-url",
            &url,
        ]);
        assert!(ok, "{err}");
        assert_eq!(key.lines().count(), 1, "the key alone on its line: {key:?}");
        assert!(key.trim().starts_with(prefix), "{key}");
        if mode == "test" {
            // A ProxyPay webhook configured from the command line, signed with this key.
            let out = Command::new(env!("CARGO_BIN_EXE_kumbu"))
                .args([
                    "webhooks",
                    "create",
                    "--url",
                    "http://127.0.0.1:9/hook",
                    "--format",
                    "proxypay",
                    "--database-url",
                    &url,
                ])
                .env("KUMBU_API_KEY", key.trim())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                text.starts_with("we_") && text.contains("proxypay http://127.0.0.1:9/hook"),
                "{text}"
            );
            assert!(!text.contains(key.trim()), "the key is not echoed");
        }
    }
    let (ok, _, err) = kumbu(&[
        "keys",
        "create",
        "--merchant",
        "mer_nobody",
        "--mode",
        "test",
        "--database-url",
        &url,
    ]);
    assert!(!ok);
    assert!(err.contains("mer_nobody"), "{err}");
    let (ok, _, err) = kumbu(&["serve", "--database-url", "mysql://nope"]);
    assert!(!ok);
    assert!(err.contains("unsupported database URL"), "{err}");
    let (ok, help, _) = kumbu(&["--help"]);
    assert!(ok);
    for word in [
        "serve",
        "migrate",
        "merchant",
        "keys",
        "ledger",
        "load",
        "secret-key",
        "KUMBU_LISTEN",
        "KUMBU_SECRET_KEY",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let (ok, key, _) = kumbu(&["secret-key"]);
    assert!(ok);
    assert!(kumbu_engine::Keyring::parse(key.trim()).is_ok(), "{key}");
    assert_eq!(key.trim().len(), 44, "32 bytes of base64: {key}");
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = TempDir::new();
    let url = format!("sqlite://{}/term.db", dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kumbu"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url])
        .args(["--metrics-listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    std::io::BufRead::read_line(&mut stdout, &mut first).expect("read");
    assert!(first.starts_with("Kumbu is listening on"), "{first}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            assert!(exit.success(), "exit status {exit:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(
        err.contains("shutdown requested") && err.contains("kumbu stopped"),
        "{err}"
    );
}

/// `kumbu reconcile`: a MEPS file imported from the command line, summarised; the same file
/// again changes nothing; a file that does not add up is refused naming the line; a file for
/// an entity no merchant has is refused.
#[test]
fn reconcile_a_meps_file_from_the_command_line() {
    use kumbu_core::meps::{FileId, MepsFile};
    use kumbu_core::{Entity, ErvReference};
    let dir = TempDir::new();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let (ok, _, err) = kumbu(&["migrate", "--database-url", &url]);
    assert!(ok, "{err}");
    let (ok, merchant, err) = kumbu(&[
        "merchant",
        "create",
        "--name",
        "Águas",
        "--database-url",
        &url,
    ]);
    assert!(ok, "{err}");
    let merchant = merchant.trim();
    let (ok, out, err) = kumbu(&[
        "merchant",
        "erv-entity",
        "--merchant",
        merchant,
        "90002",
        "--database-url",
        &url,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("90002"), "{out}");
    let (ok, _, err) = kumbu(&[
        "merchant",
        "erv-entity",
        "--merchant",
        merchant,
        "9000",
        "--database-url",
        &url,
    ]);
    assert!(!ok && err.contains("5 digits"), "{err}");
    let entity = Entity::parse("90002").unwrap();
    let refs = [
        ("00548781108", 300_000),
        ("00620400869", 744_000),
        ("00620400869", 744_000),
    ];
    let payments: Vec<(ErvReference, i64, String)> = refs
        .iter()
        .enumerate()
        .map(|(i, (r, a))| {
            (
                ErvReference::parse(r).unwrap(),
                *a,
                format!("2026092109{i:02}"),
            )
        })
        .collect();
    let file = MepsFile::build(
        entity,
        FileId {
            date: 20_260_921,
            seq: 1,
        },
        Some(FileId {
            date: 20_260_920,
            seq: 1,
        }),
        &payments,
    );
    let path = dir.path().join("MEPS_20260921.TXT");
    std::fs::write(&path, file.to_text()).unwrap();
    let p = path.display().to_string();
    // Without --test or --live, a file that names no live bill imports nothing and asks which.
    let (ok, out, err) = kumbu(&["reconcile", &p, "--database-url", &url]);
    assert!(
        !ok && err.contains("nothing was imported")
            && err.contains("--live")
            && err.contains("--test"),
        "{out}{err}"
    );
    let (ok, _, err) = kumbu(&["reconcile", &p, "--test", "--live", "--database-url", &url]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    let (ok, out, err) = kumbu(&["reconcile", &p, "--test", "--database-url", &url]);
    assert!(ok, "{err}");
    assert!(out.contains("3 payments, 17880.00 MZN"), "{out}");
    assert!(
        !out.contains("imported before"),
        "the refusal imported nothing: {out}"
    );
    assert!(
        out.contains("unmatched") && out.contains("gap: the file before this one (202609201)"),
        "{out}"
    );
    let (ok, out, err) = kumbu(&["reconcile", &p, "--test", "--database-url", &url]);
    assert!(ok, "{err}");
    assert!(out.contains("imported before; nothing changed"), "{out}");
    // Said explicitly, live: the same file is imported again, as live reports.
    let (ok, out, err) = kumbu(&["reconcile", &p, "--live", "--database-url", &url]);
    assert!(ok, "{err}");
    assert!(
        out.contains("live mode") && !out.contains("imported before"),
        "{out}"
    );
    // A trailer that does not add up.
    let text = file
        .to_text()
        .replacen("00000000001788000", "00000000001788001", 1);
    std::fs::write(&path, text).unwrap();
    let (ok, _, err) = kumbu(&["reconcile", &p, "--test", "--database-url", &url]);
    assert!(!ok && err.contains("line 5"), "{err}");
    // A file for an entity no merchant has: refused, naming the entity and the fix.
    let stranger = MepsFile::build(
        Entity::parse("90003").unwrap(),
        FileId {
            date: 20_260_922,
            seq: 1,
        },
        None,
        &payments,
    );
    let other = dir.path().join("MEPS_20260922.TXT");
    std::fs::write(&other, stranger.to_text()).unwrap();
    let o = other.display().to_string();
    let (ok, out, err) = kumbu(&["reconcile", &o, "--test", "--database-url", &url]);
    assert!(
        !ok && err.contains("no merchant has SIMO entity 90003") && err.contains("erv-entity"),
        "{out}{err}"
    );
    // And an unreadable path says so.
    let (ok, _, err) = kumbu(&["reconcile", "/nonexistent.TXT", "--database-url", &url]);
    assert!(!ok && err.contains("cannot read"), "{err}");
}

/// `kumbu connector set | list | check | remove`, against the MTN simulator: secrets read from
/// a file (or stdin), never printed; `check` asks MTN for a token and exits 1 when refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_from_the_command_line() {
    let (_sim, sim_url, _stop) =
        crate::live::start_sim(kumbu_rails::mtn_momo::simulator::Config::default()).await;
    let dir = TempDir::new();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let run = |args: Vec<String>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
                all.extend(["--database-url", &url]);
                kumbu(&all)
            })
            .await
            .unwrap()
        }
    };
    let (ok, _, err) = run(vec!["migrate".into()]).await;
    assert!(ok, "{err}");
    let (ok, merchant, err) = run(vec![
        "merchant".into(),
        "create".into(),
        "--name".into(),
        "Loja".into(),
    ])
    .await;
    assert!(ok, "{err}");
    let merchant = merchant.trim().to_owned();
    let file = dir.path().join("mtn.json");
    std::fs::write(&file, crate::live::credentials().to_string()).unwrap();
    let set = |file: &std::path::Path| {
        vec![
            "connector".into(),
            "set".into(),
            "--merchant".into(),
            merchant.clone(),
            "--operator".into(),
            "mtn_ci".into(),
            "--file".into(),
            file.display().to_string(),
        ]
    };
    let (ok, out, err) = run(set(&file)).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("stored mtn_ci credentials") && !out.contains("sim-api-key"),
        "{out}"
    );
    let (ok, out, _) = run(vec!["connector".into(), "list".into()]).await;
    assert!(
        ok && out.contains("mtn_ci") && out.contains("mtnivorycoast"),
        "{out}"
    );
    assert!(
        !out.contains("sim-api-key") && !out.contains("sim-subscription-key"),
        "{out}"
    );
    let check = || {
        vec![
            "connector".into(),
            "check".into(),
            "--mtn-momo-url".into(),
            sim_url.clone(),
        ]
    };
    let (ok, out, err) = run(check()).await;
    assert!(ok, "{out} {err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok\t")).count(),
        2,
        "{out}"
    );
    // A wrong API key: MTN refuses the token, the check says which and exits 1.
    let mut bad = crate::live::credentials();
    bad["collection"]["api_key"] = serde_json::json!("wrong");
    std::fs::write(&file, bad.to_string()).unwrap();
    let (ok, out, err) = run(set(&file)).await;
    assert!(ok && out.contains("replaced"), "{out} {err}");
    let (ok, out, err) = run(check()).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("collection") && !out.contains("wrong"),
        "{out}"
    );
    assert!(err.contains("refused"), "{err}");
    // A field MTN needs is named; a bad file is refused before anything is stored.
    std::fs::write(
        &file,
        r#"{"target_environment": "mtnivorycoast", "collection": {"api_user": "x"}}"#,
    )
    .unwrap();
    let (ok, _, err) = run(set(&file)).await;
    assert!(!ok && err.contains("subscription_key"), "{err}");
    let (ok, out, err) = run(vec![
        "connector".into(),
        "remove".into(),
        "--merchant".into(),
        merchant.clone(),
        "--operator".into(),
        "mtn_ci".into(),
    ])
    .await;
    assert!(ok && out.contains("removed"), "{out} {err}");
    let (_, out, _) = run(vec!["connector".into(), "list".into()]).await;
    assert!(out.contains("no connector is set"), "{out}");
}
