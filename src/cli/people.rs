//! `kumbu user …`: the people who sign in to the dashboard. The first owner of a merchant is
//! created here; others are invited from the dashboard. Nothing secret goes on the command
//! line: the person sets their own password by the one-time link printed.

use super::db::{DbArgs, DEFAULT_PUBLIC_URL};
use super::engine_for;
use anyhow::bail;
use clap::{Subcommand, ValueEnum};
use kumbu_core::Role;
use kumbu_engine::Actor;
use secrecy::ExposeSecret;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a person and print a one-time link (valid 7 days) where they set their password
    /// and, as an owner, their second factor. Send the link to them by a channel you trust.
    Create {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// Their e-mail address: what they sign in with (one merchant per address).
        #[arg(long)]
        email: String,
        /// What they may do: owner (everything, people, connectors), developer (keys,
        /// webhooks, events, test data), finance (payments, refunds, payouts, collections,
        /// exports), viewer (read only).
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The gateway's public URL, that the link starts with.
        #[arg(long, env = "KUMBU_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
        public_url: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print a one-time link (valid 1 hour) where a person who forgot their password sets a new
    /// one; their sessions end when they do. Earlier links of theirs stop working.
    ResetLink {
        /// Their e-mail address.
        #[arg(long)]
        email: String,
        /// The gateway's public URL, that the link starts with.
        #[arg(long, env = "KUMBU_PUBLIC_URL", default_value = DEFAULT_PUBLIC_URL)]
        public_url: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Owner,
    Developer,
    Finance,
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Owner => Role::Owner,
            RoleArg::Developer => Role::Developer,
            RoleArg::Finance => Role::Finance,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

/// Runs a `kumbu user` command.
pub async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            merchant,
            email,
            role,
            public_url,
            db,
        } => {
            let engine = engine_for(&db).await?;
            let link = match engine
                .create_person(&merchant, &email, role.into(), &Actor::Command)
                .await
            {
                Ok(l) => l,
                Err(kumbu_engine::EngineError::Rejected(r)) => bail!("{}", r.message),
                Err(e) => return Err(e.into()),
            };
            eprintln!(
                "Created {} ({}) for {}. Their one-time link, valid 7 days:",
                link.person.email, link.person.role, link.person.merchant_id
            );
            println!(
                "{}/dashboard/welcome/{}",
                public_url.trim_end_matches('/'),
                link.token.expose_secret()
            );
            Ok(())
        }
        UserCommand::ResetLink {
            email,
            public_url,
            db,
        } => {
            let engine = engine_for(&db).await?;
            let Some(link) = engine.reset_link(&email, None).await? else {
                bail!("no one signs in as {email}; `kumbu user create` makes a new person");
            };
            eprintln!(
                "A new password link for {} ({}), valid 1 hour:",
                link.person.email, link.person.role
            );
            println!(
                "{}/dashboard/welcome/{}",
                public_url.trim_end_matches('/'),
                link.token.expose_secret()
            );
            Ok(())
        }
    }
}
