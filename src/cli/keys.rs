//! `kumbu keys …` and `kumbu credentials …`: a merchant's secret API keys, and the client
//! credentials Adullam's callers exchange for access tokens.

use super::db::DbArgs;
use super::engine_for;
use anyhow::bail;
use clap::{Subcommand, ValueEnum};
use kumbu_core::Mode;
use secrecy::ExposeSecret;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a secret key and print it once, alone on its line. Only its hash is stored.
    Create {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// Which world the key works in.
        #[arg(long, value_enum)]
        mode: ModeArg,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Issue a client id and secret (printed once; only the secret's hash is stored). With
    /// --phone, the phone and secret also work as /v1/auth/token's phone and password.
    Create {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// Which world the tokens work in.
        #[arg(long, value_enum)]
        mode: ModeArg,
        /// E.164 phone the credential may also be named by.
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a credential and every access token issued for it.
    Revoke {
        /// The client id (cli_…).
        #[arg(long)]
        client: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Test,
    Live,
}

/// Runs a `kumbu keys` command.
pub async fn run_keys(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Create { merchant, mode, db } => {
            let engine = engine_for(&db).await?;
            let mode = match mode {
                ModeArg::Test => Mode::Test,
                ModeArg::Live => Mode::Live,
            };
            let key = engine.create_api_key(&merchant, mode).await?;
            println!("{}", key.secret.expose_secret());
            Ok(())
        }
    }
}

/// Runs a `kumbu credentials` command.
pub async fn run_credentials(cmd: CredentialsCommand) -> anyhow::Result<()> {
    match cmd {
        CredentialsCommand::Create {
            merchant,
            mode,
            phone,
            db,
        } => {
            let engine = engine_for(&db).await?;
            let phone = phone
                .as_deref()
                .map(kumbu_core::Msisdn::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--phone: {e}"))?;
            let mode = match mode {
                ModeArg::Test => Mode::Test,
                ModeArg::Live => Mode::Live,
            };
            let c = engine
                .create_credential(&merchant, mode, phone)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("client_id: {}", c.client_id);
            println!("client_secret: {}", c.client_secret.expose_secret());
            if let Some(p) = c.phone {
                println!("phone: {p}");
            }
            Ok(())
        }
        CredentialsCommand::Revoke { client, db } => {
            let engine = engine_for(&db).await?;
            if engine
                .revoke_credential(&client)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                println!("revoked {client} and its access tokens");
                Ok(())
            } else {
                bail!("no active credential {client}")
            }
        }
    }
}
