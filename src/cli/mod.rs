//! The `kumbu` command line.

mod connector;
mod db;
mod keys;
mod ledger;
mod merchants;
mod people;
mod reconcile;
mod serve;
mod simulate;
mod webhooks;

use crate::{open_store, redact};
use clap::{Parser, Subcommand};
use db::engine_with;
pub use db::DbArgs;
use kumbu_engine::{Engine, EngineConfig};
use std::path::PathBuf;

/// Kumbu: a self-hostable payment gateway for African mobile money and bank references.
///
/// With no command, `kumbu` runs `serve`: the API on 127.0.0.1:8080 over a SQLite file
/// ./kumbu.db, with the sandbox simulator. On an empty database it creates a sandbox merchant and
/// prints its test key.
#[derive(Debug, Parser)]
#[command(name = "kumbu", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: serve::ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway: HTTP API, sandbox simulator and workers (the default command).
    Serve(Box<serve::ServeArgs>),
    /// Create or upgrade the database schema, then exit.
    Migrate(DbArgs),
    /// Manage merchants.
    #[command(subcommand)]
    Merchant(merchants::MerchantCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage the people who sign in to the dashboard (/dashboard).
    #[command(subcommand)]
    User(people::UserCommand),
    /// Check the double-entry ledger.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Manage client credentials, exchanged for access tokens (Adullam's /auth/token and
    /// /oauth/token).
    #[command(subcommand)]
    Credentials(keys::CredentialsCommand),
    /// Manage webhook endpoints (as the merchant whose key is in KUMBU_API_KEY).
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Import a bank's file of payments (an InterBancos MEPS file) and reconcile each payment
    /// against the collection requests of the merchant whose SIMO entity the file names.
    /// Checked whole first: a file whose records, count or totals do not add up is refused,
    /// naming the line. Importing a file twice changes nothing.
    Reconcile {
        /// The MEPS file.
        file: PathBuf,
        /// Reconcile against test-mode (sandbox) collection requests.
        #[arg(long, conflicts_with = "live")]
        test: bool,
        /// Reconcile against live collection requests. Without --test or --live the file goes
        /// to live bills only if one of its payments names one; otherwise nothing is imported
        /// and the command asks which mode is meant.
        #[arg(long)]
        live: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load generator: drive a running server and report throughput and latency.
    Load(crate::load::LoadArgs),
    /// Manage merchants' operator credentials for live mode (sealed at rest, never printed).
    #[command(subcommand)]
    Connector(connector::ConnectorCommand),
    /// Run a simulator of an operator's own API (for staging, tests and client libraries).
    #[command(subcommand)]
    Simulate(simulate::SimulateCommand),
    /// Print a new random secret key (for KUMBU_SECRET_KEY or a key file) and exit.
    SecretKey,
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve::serve(cli.serve).await,
        Some(Command::Serve(args)) => serve::serve(*args).await,
        Some(Command::Migrate(db)) => {
            crate::telemetry::init(false);
            open_store(&db.database_url, 2).await?;
            println!("database {} is up to date", redact(&db.database_url));
            Ok(())
        }
        Some(Command::Reconcile {
            file,
            test,
            live,
            db,
        }) => {
            crate::telemetry::init(false);
            let engine = engine_for(&db).await?;
            let mode = match (test, live) {
                (true, _) => Some(kumbu_core::Mode::Test),
                (false, true) => Some(kumbu_core::Mode::Live),
                (false, false) => None,
            };
            reconcile::run(&engine, &file, mode).await
        }
        Some(Command::Merchant(cmd)) => merchants::run(cmd).await,
        Some(Command::Keys(cmd)) => keys::run_keys(cmd).await,
        Some(Command::User(cmd)) => people::run(cmd).await,
        Some(Command::Credentials(cmd)) => keys::run_credentials(cmd).await,
        Some(Command::Ledger(cmd)) => ledger::run(cmd).await,
        Some(Command::Webhooks(cmd)) => webhooks::run(cmd).await,
        Some(Command::Load(args)) => crate::load::run(args).await,
        Some(Command::Connector(cmd)) => {
            crate::telemetry::init(false);
            connector::run(cmd).await
        }
        Some(Command::Simulate(cmd)) => {
            crate::telemetry::init(false);
            simulate::run(cmd).await
        }
        Some(Command::SecretKey) => {
            println!("{}", kumbu_engine::generate_key());
            Ok(())
        }
    }
}

/// An engine for a one-off command, holding the database's secret key (checked against it).
pub(crate) async fn engine_for(db: &DbArgs) -> anyhow::Result<Engine> {
    engine_with(db, EngineConfig::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_parses() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let c = Cli::try_parse_from([
            "kumbu",
            "keys",
            "create",
            "--merchant",
            "mer_x",
            "--mode",
            "live",
        ])
        .unwrap();
        assert!(matches!(c.command, Some(Command::Keys(_))));
        let c = Cli::try_parse_from(["kumbu", "--listen", "127.0.0.1:9"]).unwrap();
        assert!(c.command.is_none());
    }
}
