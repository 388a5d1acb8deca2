//! `kumbu webhooks …`: webhook endpoints, created as the merchant whose key is in KUMBU_API_KEY.

use super::db::DbArgs;
use super::engine_for;
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use secrecy::SecretString;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Create an endpoint for the merchant and mode of the API key in KUMBU_API_KEY (kept out of
    /// the command line). `--format proxypay` sends ProxyPay's flat payment object for payments
    /// by reference, signed with X-Signature under that same key; `simiz` sends Simiz's
    /// `transaction.*` events for checkout payments, signed with X-Simiz-Signature; `native` and
    /// `simiz` print the endpoint's whsec_ signing secret, once.
    Create {
        /// Where to POST.
        #[arg(long)]
        url: String,
        /// `native`, `proxypay` or `simiz`.
        #[arg(long, value_enum, default_value = "native")]
        format: FormatArg,
        /// Event types for a native endpoint (repeatable); all when omitted.
        #[arg(long = "event")]
        events: Vec<String>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Native,
    Proxypay,
    Simiz,
}

/// Runs the command.
pub async fn run(cmd: WebhooksCommand) -> anyhow::Result<()> {
    match cmd {
        WebhooksCommand::Create {
            url,
            format,
            events,
            description,
            db,
        } => {
            let key = std::env::var("KUMBU_API_KEY")
                .ok()
                .filter(|k| !k.trim().is_empty())
                .context(
                    "set KUMBU_API_KEY to the merchant's secret key (sk_test_… or sk_live_…)",
                )?;
            let engine = engine_for(&db).await?;
            let auth = engine
                .authenticate(key.trim())
                .await
                .map_err(|e| anyhow::anyhow!("KUMBU_API_KEY: {e}"))?;
            let cmd = kumbu_engine::CreateEndpoint {
                url,
                events: if events.is_empty() {
                    vec!["*".to_owned()]
                } else {
                    events
                },
                description,
                format: match format {
                    FormatArg::Native => kumbu_engine::WebhookFormat::Native,
                    FormatArg::Proxypay => kumbu_engine::WebhookFormat::Proxypay,
                    FormatArg::Simiz => kumbu_engine::WebhookFormat::Simiz,
                },
                signing_key: Some(SecretString::from(key.trim().to_owned())),
                max_concurrency: None,
            };
            let outcome = engine
                .create_endpoint(&auth, cmd, None, |e| kumbu_engine::Recorded {
                    status: 200,
                    body: format!(
                        "{} {} {}{}",
                        e.id,
                        e.format.as_str(),
                        e.url,
                        e.secret
                            .as_ref()
                            .map(|s| format!("\nsigning secret (shown once): {s}"))
                            .unwrap_or_default()
                    ),
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", outcome.response.body);
            Ok(())
        }
    }
}
