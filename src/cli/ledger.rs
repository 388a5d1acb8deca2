//! `kumbu ledger …`: check the double-entry ledger.

use super::db::DbArgs;
use crate::open_store;
use anyhow::bail;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check that every journal balances per currency and every balance equals the sum of its
    /// entries. Exits 1 and names the culprits otherwise.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs the command.
pub async fn run(cmd: LedgerCommand) -> anyhow::Result<()> {
    match cmd {
        LedgerCommand::Verify { db } => {
            let store = open_store(&db.database_url, 2).await?;
            let (problems, entries) = store.verify_ledger().await?;
            if problems.is_empty() {
                println!("ledger OK: {entries} entries; every journal balances and every balance equals its entries");
                return Ok(());
            }
            for p in &problems {
                match p {
                    kumbu_store::LedgerProblem::UnbalancedJournal {
                        journal_id,
                        currency,
                        sum,
                    } => {
                        println!("UNBALANCED journal {journal_id}: {currency} entries sum to {sum}, not 0");
                    }
                    kumbu_store::LedgerProblem::BalanceMismatch {
                        account,
                        stored,
                        entries,
                    } => {
                        println!("MISMATCH account {account}: stored balance {stored}, entries sum to {entries}");
                    }
                }
            }
            bail!("ledger verification failed: {} problem(s)", problems.len())
        }
    }
}
