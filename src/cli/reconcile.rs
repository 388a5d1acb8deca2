//! `kumbu reconcile <file>`: imports a bank's file of payments (an InterBancos MEPS file) and
//! prints what reconciliation made of it.

use kumbu_core::{Currency, MatchOutcome, Mode};
use kumbu_engine::Engine;
use std::collections::BTreeMap;
use std::path::Path;

/// Imports `file` for `mode` and prints a summary: the file, each outcome's count and total,
/// a sequence gap, and whether it had been imported before.
pub async fn run(engine: &Engine, file: &Path, mode: Mode) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    // MEPS files are ASCII; anything else is refused by the parser, naming the line.
    let text = String::from_utf8_lossy(&bytes);
    let import = engine
        .import_meps(mode, &text)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let total: i64 = import.payments.iter().map(|p| p.amount).sum();
    println!(
        "MEPS file {} for entity {} (merchant {}, {} mode): {} payments, {} MZN",
        import.file_id,
        import.entity,
        import.merchant_id,
        mode.as_str(),
        import.payments.len(),
        Currency::Mzn.format_decimal(total)
    );
    let mut by_outcome: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
    for o in MatchOutcome::ALL {
        by_outcome.insert(o.as_str(), (0, 0));
    }
    for p in &import.payments {
        let e = by_outcome.entry(p.outcome.as_str()).or_default();
        e.0 += 1;
        e.1 += p.amount;
    }
    for (outcome, (n, sum)) in &by_outcome {
        println!(
            "  {outcome:<16} {n:>7}  {:>18} MZN",
            Currency::Mzn.format_decimal(*sum)
        );
    }
    let open = import
        .payments
        .iter()
        .filter(|p| p.is_open_exception())
        .count();
    if open > 0 {
        println!(
            "{open} exception(s) wait for a person: GET /v1/ingested_payments?exceptions=true"
        );
    }
    if let Some(g) = &import.gap {
        println!("gap: the file before this one ({g}) was never imported");
    }
    if import.already_imported {
        println!("this file had been imported before; nothing changed");
    }
    Ok(())
}
