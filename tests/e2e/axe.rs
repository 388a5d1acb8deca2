//! axe-core (npm, installed by `scripts/axe/setup.sh` under `target/axe`) run in the page the
//! browser shows: the accessibility check of every dashboard view. Serious and critical
//! violations fail the test. Without axe-core the check prints a SKIP line, unless
//! `KUMBU_REQUIRE_CLIENTS=1` (CI) makes that a failure.

use crate::webdriver::Browser;
use serde_json::Value;

/// Where the setup script puts axe-core (or `KUMBU_AXE_JS`).
fn axe_path() -> std::path::PathBuf {
    std::env::var_os("KUMBU_AXE_JS").map_or_else(
        || {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/axe/node_modules/axe-core/axe.min.js")
        },
        std::path::PathBuf::from,
    )
}

/// axe-core's source, or `None` (with a SKIP line) when it is not installed and not required.
pub fn source(test: &str) -> Option<String> {
    match std::fs::read_to_string(axe_path()) {
        Ok(s) => Some(s),
        Err(_) => {
            crate::harness::skip(
                &format!("{test} [axe-core]"),
                &format!(
                    "{} is missing (bash scripts/axe/setup.sh)",
                    axe_path().display()
                ),
                "KUMBU_REQUIRE_CLIENTS",
            );
            None
        }
    }
}

/// Runs axe-core on the page `b` shows and fails, naming each rule and element, on any serious
/// or critical violation. `name` says which view it was.
pub async fn check(b: &Browser, axe: &str, name: &str) {
    b.execute(&format!("{axe}\nreturn true;")).await;
    let v = b
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {resultTypes: ['violations']})\
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,\
                 nodes: v.nodes.map(n => n.target.join(' '))}))))\
               .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        )
        .await;
    let bad: Vec<&Value> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| matches!(x["impact"].as_str(), Some("serious" | "critical")))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        bad.is_empty(),
        "axe-core: serious or critical violations on {name}: {}",
        serde_json::to_string_pretty(&bad).unwrap_or_default()
    );
}
