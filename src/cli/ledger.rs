//! `kumbu ledger …`: check the double-entry ledger.

use super::db::DbArgs;
use crate::open_existing_store;
use anyhow::bail;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check that every journal balances per currency, every balance equals the sum of its
    /// entries, and money Kumbu holds stays apart from money reported from elsewhere (payment
    /// records, bank-reported payments: never paid out), and the balance transactions (statements,
    /// exports) add up to the ledger, each balance following from the one before. Exits 1 and
    /// names the culprits otherwise.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs the command.
pub async fn run(cmd: LedgerCommand) -> anyhow::Result<()> {
    match cmd {
        LedgerCommand::Verify { db } => {
            let store = open_existing_store(&db.database_url, 2).await?;
            let (problems, entries) = store.verify_ledger().await?;
            if problems.is_empty() {
                println!("ledger OK: {entries} entries; every journal balances, every balance equals its entries, held and reported money stay apart, and the balance transactions add up to the ledger");
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
                    kumbu_store::LedgerProblem::BalanceTransactions { balance, problem } => {
                        println!("BALANCE {balance}: {problem}");
                    }
                    kumbu_store::LedgerProblem::SplitBroken {
                        owner,
                        account,
                        sum,
                    } => {
                        println!("SPLIT {owner} moved {account} by {sum}: money Kumbu holds and money reported from elsewhere must not mix");
                    }
                }
            }
            bail!("ledger verification failed: {} problem(s)", problems.len())
        }
    }
}
