//! `kumbu reconcile <file>`: imports a bank's file of payments (an InterBancos MEPS file) and
//! prints what reconciliation made of it.

use kumbu_core::{Currency, MatchOutcome, Mode};
use kumbu_engine::Engine;
use std::collections::BTreeMap;
use std::path::Path;

/// Imports `file` for `mode` and prints a summary: the file, each outcome's count and total,
/// a sequence gap, and whether it had been imported before. Without a mode, live if the file
/// names a live bill; otherwise nothing is imported and the error says which flag to give.
pub async fn run(engine: &Engine, file: &Path, mode: Option<Mode>) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    // MEPS files are ASCII; anything else is refused by the parser, naming the line.
    let text = String::from_utf8_lossy(&bytes);
    let mode = match mode {
        Some(mode) => mode,
        None => unspoken_mode(engine, file, &text).await?,
    };
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

/// Live, when the file names a live bill; otherwise an error that asks for `--test` or
/// `--live` (naming the sandbox merchant whose bills it names, if any), so that a sandbox
/// rehearsal never leaves live exceptions behind.
async fn unspoken_mode(engine: &Engine, file: &Path, text: &str) -> anyhow::Result<Mode> {
    let fail = |e| anyhow::anyhow!("{}: {e}", file.display());
    let live = engine.preview_meps(Mode::Live, text).await.map_err(fail)?;
    if live.names_a_bill {
        return Ok(Mode::Live);
    }
    let test = engine.preview_meps(Mode::Test, text).await.map_err(fail)?;
    let whose = match &live.merchant_id {
        Some(m) => format!("a live bill of merchant {m}"),
        None => format!(
            "a live bill (no merchant has SIMO entity {} in live mode)",
            live.entity
        ),
    };
    let sandbox = match (&test.merchant_id, test.names_a_bill) {
        (Some(m), true) => format!("They name sandbox bills of merchant {m}: run it with --test. "),
        _ => String::new(),
    };
    anyhow::bail!(
        "{}: none of its {} payments names {whose}, so nothing was imported. {sandbox}To \
         import it as live reports anyway (each one an exception for a person), run it with \
         --live; for sandbox bills, --test",
        file.display(),
        live.payments
    )
}
