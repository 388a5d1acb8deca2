//! The documentation's commands, run as a reader pastes them (issue 28): every runnable shell
//! block of README.md and the pages of docs/, in reading order, in one bash session, against a
//! gateway started as the README starts it (`kumbu` with no arguments, in an empty directory),
//! with `kumbu` on the PATH. Each documented answer (`# → …`) is checked against what the
//! commands above it printed, and every request must succeed unless its answer names an error
//! status. Like a doctest: a page whose commands or answers drift from the code fails here.
//!
//! What differs from a reader's terminal, and why: the ports the pages name (8080, 8081, 8090,
//! and the gateway's metrics port 9464) are replaced by free ones, so a gateway of yours on 8080
//! neither answers nor collides; `KUMBU_METRICS_LISTEN=127.0.0.1:0` gives every other server
//! the pages start a metrics port of its own; `KEY` and `MER`,
//! which the reader copies from the gateway's first lines, are set from those lines. On
//! PostgreSQL, `KUMBU_DATABASE_URL` and `KUMBU_SECRET_KEY` point every command at a fresh
//! database, as docs/configuration.md says to.

mod expect;
mod script;

use crate::harness::{drop_database, fresh_database, skip, Backend, Db, SECRET_KEY};
use expect::{mismatch, Body};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The pages whose commands run, in the order a reader meets them: the README, then the
/// pages it links, each continuing on the same gateway.
const PAGES: &[&str] = &[
    "README.md",
    "docs/sandbox.md",
    "docs/events.md",
    "docs/webhooks.md",
    "docs/refunds.md",
    "docs/statements.md",
    "docs/checkout.md",
    "docs/dashboard.md",
    "docs/collections.md",
    "docs/compat/proxypay.md",
    "docs/compat/plexospay.md",
    "docs/compat/adullam.md",
    "docs/compat/simiz.md",
    "docs/compat/kulpay.md",
    "docs/configuration.md",
    "docs/secrets.md",
    "docs/operators/mtn-momo.md",
    "docs/operators/orange-money.md",
    "docs/operators/wave.md",
    "docs/operators/mpesa-mz.md",
    "docs/operators/proxypay.md",
    "docs/testing.md",
    "docs/performance.md",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The pages to run: all of them, or (for a writer checking a page) those up to and including
/// `KUMBU_DOCS_UNTIL`.
fn pages_to_run() -> &'static [&'static str] {
    match std::env::var("KUMBU_DOCS_UNTIL") {
        Ok(last) => match PAGES.iter().position(|p| *p == last) {
            Some(i) => &PAGES[..=i],
            None => panic!("KUMBU_DOCS_UNTIL={last} is none of {PAGES:?}"),
        },
        Err(_) => PAGES,
    }
}

fn all_blocks() -> Vec<script::Block> {
    pages_to_run()
        .iter()
        .flat_map(|page| {
            let text = std::fs::read_to_string(root().join(page)).expect(page);
            script::blocks(page, &text)
        })
        .collect()
}

#[test]
fn every_page_with_commands_is_run() {
    let mut missing = Vec::new();
    for page in crate::docs_links::pages() {
        let name = page
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&page).unwrap();
        if script::blocks(&name, &text).iter().any(|b| b.runs) && !PAGES.contains(&&*name) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "pages with shell blocks not in PAGES: {missing:?}"
    );
}

#[test]
fn no_command_has_a_placeholder_the_reader_cannot_fill() {
    let given = BTreeMap::from([
        ("KEY".to_owned(), "sk_test_x".to_owned()),
        ("MER".to_owned(), "mer_x".to_owned()),
    ]);
    let s = script::build(&all_blocks(), &given, "/nowhere", &mut |p| p);
    assert!(s.problems.is_empty(), "{}", s.problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    run(Backend::Postgres).await;
}

/// A port free now, below Linux's ephemeral range (32768–60999): a port the kernel handed out
/// for `:0` could be handed again to a client's connection (curl's, the gateway's) before the
/// page's server binds it.
fn free_port() -> u16 {
    (0..1000)
        .map(|_| 20_000 + u16::try_from(rand_below(12_000)).unwrap())
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port between 20000 and 32000")
}

fn rand_below(n: u64) -> u64 {
    let token = kumbu_core::ids::random_token(8);
    token
        .bytes()
        .fold(0u64, |a, b| a.wrapping_mul(131).wrapping_add(u64::from(b)))
        % n
}

/// The environment every process of the run gets: none of the caller's `KUMBU_*` (or the
/// ProxyPay and MTN client variables the pages export), metrics on a port of their own, and
/// for PostgreSQL the database and its secret key.
fn environment(cmd: &mut tokio::process::Command, database: Option<&str>) {
    for (name, _) in std::env::vars() {
        if ["KUMBU_", "PROXYPAY_", "MTN_"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            cmd.env_remove(name);
        }
    }
    cmd.env("KUMBU_METRICS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn");
    if let Some(url) = database {
        cmd.env("KUMBU_DATABASE_URL", url)
            .env("KUMBU_SECRET_KEY", SECRET_KEY);
    }
}

/// The gateway as the README starts it; returns it with the merchant and key it printed.
async fn start_gateway(
    dir: &Path,
    (port, metrics_port): (u16, u16),
    database: Option<&str>,
) -> (tokio::process::Child, String, String) {
    let mut cmd = tokio::process::Command::new(dir.join(".bin/kumbu"));
    environment(&mut cmd, database);
    let log = std::fs::File::create(dir.join(".doc/gateway.log")).unwrap();
    let mut child = cmd
        .current_dir(dir)
        .env("KUMBU_LISTEN", format!("127.0.0.1:{port}"))
        .env("KUMBU_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"))
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start kumbu");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (merchant, key) = tokio::time::timeout(Duration::from_secs(60), async {
        let mut merchant = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.strip_prefix("Created the sandbox merchant ") {
                merchant = rest.split('.').next().map(str::to_owned);
            } else if let Some(key) = line.trim().strip_prefix("sk_test_") {
                return (
                    merchant.expect("merchant before key"),
                    format!("sk_test_{key}"),
                );
            }
        }
        panic!("the gateway exited before printing its key: see its log");
    })
    .await
    .expect("the gateway prints its key within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, merchant, key)
}

/// Whether the tools the pages use are here.
fn tools_missing() -> Option<String> {
    let missing: Vec<&str> = ["bash", "curl", "jq"]
        .into_iter()
        .filter(|t| {
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .stdout(Stdio::null())
                .status()
                .map_or(true, |s| !s.success())
        })
        .collect();
    (!missing.is_empty()).then(|| format!("{} not installed", missing.join(", ")))
}

async fn run(backend: Backend) {
    let test = "docs_commands";
    if let Some(what) = tools_missing() {
        return skip(test, &what, "KUMBU_REQUIRE_CLIENTS");
    }
    let Some((url, db)) = fresh_database(backend, test).await else {
        return;
    };
    let database = matches!(db, Db::Postgres { .. }).then_some(url);
    run_in(database.as_deref(), db).await;
}

async fn run_in(database: Option<&str>, db: Db) {
    let dir = crate::harness::tempfile_lite::TempDir::new();
    let dir_path = dir.path().to_path_buf();
    std::fs::create_dir_all(dir_path.join(".bin")).unwrap();
    std::fs::create_dir_all(dir_path.join(".doc")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kumbu"), dir_path.join(".bin/kumbu")).unwrap();
    // The reader pastes from the repository's root: docs/examples/ is where the pages say.
    std::os::unix::fs::symlink(root().join("docs"), dir_path.join("docs")).unwrap();

    let mut ports: HashMap<u16, u16> = HashMap::new();
    let listen = (free_port(), free_port());
    ports.extend([(8080, listen.0), (9464, listen.1)]);
    let (mut gateway, merchant, key) = start_gateway(&dir_path, listen, database).await;
    let given = BTreeMap::from([("KEY".to_owned(), key), ("MER".to_owned(), merchant)]);
    let doc_dir = dir_path.join(".doc");
    let s = script::build(
        &all_blocks(),
        &given,
        &doc_dir.to_string_lossy(),
        &mut |p| *ports.entry(p).or_insert_with(free_port),
    );
    assert!(s.problems.is_empty(), "{}", s.problems.join("\n"));
    std::fs::write(doc_dir.join("script.sh"), &s.text).unwrap();

    let mut cmd = tokio::process::Command::new("bash");
    environment(&mut cmd, database);
    let path = format!(
        "{}:{}",
        dir_path.join(".bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::fs::File::create(doc_dir.join("stdout")).unwrap();
    let err = std::fs::File::create(doc_dir.join("stderr")).unwrap();
    let mut bash = cmd
        .arg(doc_dir.join("script.sh"))
        .current_dir(&dir_path)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .expect("bash");
    let pgid = bash.id().unwrap_or_default();
    let status = tokio::time::timeout(Duration::from_secs(300), bash.wait()).await;
    // Whatever the pages left running in the background goes with the session.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    let _ = gateway.kill().await;
    let report = Report::read(&doc_dir, &s);
    let failure = match status {
        Err(_) => Some(format!(
            "the pages' commands ran over 5 minutes\n{}",
            report.tail()
        )),
        Ok(status) => report.first_failure(status.expect("bash ran").success()),
    };
    drop_database(db).await;
    if let Some(failure) = failure {
        let kept = std::env::temp_dir().join(format!("kumbu-docs-{}", std::process::id()));
        let _ = std::fs::rename(&dir_path, &kept);
        panic!(
            "{failure}\n(script, outputs and the gateway's log kept in {})",
            kept.display()
        );
    }
}

/// What the script left: each step's output, statuses and last response.
struct Report<'a> {
    dir: PathBuf,
    script: &'a script::Script,
    outputs: BTreeMap<usize, String>,
    stderr: String,
}

impl<'a> Report<'a> {
    fn read(dir: &Path, script: &'a script::Script) -> Self {
        let stdout = std::fs::read_to_string(dir.join("stdout")).unwrap_or_default();
        let mut outputs = BTreeMap::new();
        for part in stdout.split("\n@@doc-step ").skip(1) {
            if let Some((n, rest)) = part.split_once("@@\n") {
                if let Ok(n) = n.parse() {
                    outputs.insert(n, rest.to_owned());
                }
            }
        }
        Report {
            dir: dir.to_path_buf(),
            script,
            outputs,
            stderr: std::fs::read_to_string(dir.join("stderr")).unwrap_or_default(),
        }
    }

    fn tail(&self) -> String {
        let last = |s: &str, n: usize| {
            let lines: Vec<&str> = s.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        };
        format!("stderr (last lines):\n{}", last(&self.stderr, 15))
    }

    /// The first step that did not do what its page says, or the command the script stopped at.
    fn first_failure(&self, completed: bool) -> Option<String> {
        for (i, step) in self.script.steps.iter().enumerate() {
            let place = format!("{}:{}-{}", step.page, step.first_line, step.last_line);
            let Some(output) = self.outputs.get(&i) else {
                break;
            };
            let stopped_here = !self.outputs.contains_key(&(i + 1));
            if stopped_here && !completed {
                let at = self
                    .stderr
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("@@doc-failed line "))
                    .and_then(|l| l.split(' ').next()?.parse::<usize>().ok())
                    .and_then(|n| self.script.origin.get(n.wrapping_sub(1)))
                    .map(|(page, line)| format!("{page}:{line}"))
                    .unwrap_or(place);
                return Some(format!(
                    "the command at {at} failed\noutput:\n{output}\n{}",
                    self.tail()
                ));
            }
            let read = |f: &str| std::fs::read_to_string(self.dir.join(format!("{f}.{i}")));
            let statuses: Vec<u16> = read("status")
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
            let expect = step.expect.as_ref();
            let wanted_last = expect.and_then(|e| e.status);
            let cut = statuses
                .len()
                .saturating_sub(usize::from(wanted_last.is_some()));
            if let Some(bad) = statuses[..cut].iter().find(|s| **s >= 400) {
                return Some(format!(
                    "{place}: a request answered {bad} (a page's example must succeed, or its \
                     answer must say `# → {bad} …`)\noutput:\n{output}"
                ));
            }
            if let Some(want) = wanted_last {
                if statuses.last() != Some(&want) {
                    return Some(format!(
                        "{place}: expected HTTP {want}, got {statuses:?}\noutput:\n{output}"
                    ));
                }
            }
            let body = || read("body").unwrap_or_default();
            let problem = match expect.map(|e| &e.body) {
                None | Some(Body::Nothing) => None,
                Some(Body::Json(pattern)) => {
                    let text = body();
                    let text = text.rsplit("\r\n\r\n").next().unwrap_or_default();
                    match serde_json::from_str(text.trim()) {
                        Ok(actual) => mismatch(pattern, &actual, "$"),
                        Err(_) => Some(format!("the answer is not JSON: {text}")),
                    }
                }
                Some(Body::Text(lines)) => lines
                    .iter()
                    .find(|want| !output.lines().any(|l| expect::glob(want, l.trim())))
                    .map(|want| format!("no line of the output reads `{want}`")),
            };
            if let Some(problem) = problem {
                return Some(format!("{place}: {problem}\noutput:\n{output}"));
            }
        }
        (!completed).then(|| format!("the script stopped before its first step\n{}", self.tail()))
    }
}
