//! `kumbu merchant …`: create a merchant, brand its checkout pages, set its SIMO (ERV) entity.

use super::db::DbArgs;
use super::engine_for;
use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Create a merchant and print its id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set how the merchant's checkout pages look: the name customers see, a brand colour for
    /// buttons, and a logo (png, jpg, webp or svg, at most 24 KiB, stored in the database).
    Brand {
        /// Merchant id (mer_…; `kumbu serve` prints the sandbox merchant's).
        #[arg(long)]
        merchant: String,
        /// The name customers see.
        #[arg(long)]
        name: Option<String>,
        /// `#rrggbb`; an empty string goes back to Kumbu's blue.
        #[arg(long)]
        color: Option<String>,
        /// A logo file; an empty string removes the logo.
        #[arg(long)]
        logo: Option<std::path::PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set the merchant's SIMO entity (5 digits, given by SIMO): the entity payers pay its
    /// collection requests to, and how MEPS files name it. Required for live SIMO/ERV bills;
    /// the sandbox assigns one on first use.
    ErvEntity {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// The entity, e.g. 90002.
        entity: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs the command.
pub async fn run(cmd: MerchantCommand) -> anyhow::Result<()> {
    match cmd {
        MerchantCommand::Create { name, db } => {
            let engine = engine_for(&db).await?;
            let m = engine.create_merchant(&name).await?;
            println!("{}", m.id);
            Ok(())
        }
        MerchantCommand::Brand {
            merchant,
            name,
            color,
            logo,
            db,
        } => {
            let engine = engine_for(&db).await?;
            let logo = match logo {
                Some(p) if p.as_os_str().is_empty() => Some((Vec::new(), String::new())),
                Some(p) => Some((
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?,
                    p.display().to_string(),
                )),
                None => None,
            };
            let b = engine
                .set_branding(&merchant, kumbu_engine::SetBranding { name, color, logo })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{merchant}: name {:?}, colour {}, logo {}",
                b.name,
                b.brand_color.as_deref().unwrap_or("(Kumbu's)"),
                b.logo.as_ref().map_or_else(
                    || "none".to_owned(),
                    |l| format!("{} bytes as a data URI", l.len())
                )
            );
            Ok(())
        }
        MerchantCommand::ErvEntity {
            merchant,
            entity,
            db,
        } => {
            let engine = engine_for(&db).await?;
            engine
                .set_erv_entity(&merchant, &entity)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("merchant {merchant} collects by SIMO entity {entity}");
            Ok(())
        }
    }
}
