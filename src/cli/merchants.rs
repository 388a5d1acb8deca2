//! `kumbu merchant …`: create a merchant, brand its checkout pages, set its SIMO (ERV) entity,
//! set its prices.

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
    /// Show or set what the merchant pays: per operator and direction (`collect`, `payout`), a
    /// percentage and/or a fixed amount, with a minimum and a maximum (amounts in the currency's
    /// minor unit), and for collections whether a refund gives the fee back. Without
    /// `--operator`, lists the merchant's prices (the catalogue's fees apply to the rest:
    /// `GET /v1/operators`). A price applies to payments and payouts made after it is set; what
    /// was charged before stays as it was.
    Pricing {
        /// Merchant id (mer_…).
        #[arg(long)]
        merchant: String,
        /// The operator (e.g. orange_ci, mtn_cm, mpesa_mz, multicaixa).
        #[arg(long)]
        operator: Option<String>,
        /// `collect` (payments, the default) or `payout`.
        #[arg(long, default_value = "collect")]
        direction: String,
        /// Percentage, up to two decimals, e.g. 1.5 (written as text, never through a float).
        #[arg(long)]
        percent: Option<String>,
        /// Fixed part, minor units.
        #[arg(long)]
        fixed: Option<i64>,
        /// Never less than this, minor units.
        #[arg(long)]
        min: Option<i64>,
        /// Never more than this, minor units.
        #[arg(long)]
        max: Option<i64>,
        /// No fee at all on this operator and direction (said outright: a price without
        /// `--percent`, `--fixed` or `--min` is refused rather than taken as free).
        #[arg(long, conflicts_with_all = ["percent", "fixed", "min", "max"])]
        free: bool,
        /// What a refund does with the fee: `kept` (the default) or `returned` (its share goes
        /// back to the merchant). Collections only.
        #[arg(long, default_value = "kept")]
        refund_fee: String,
        /// Remove the price: the catalogue's applies again.
        #[arg(long, conflicts_with_all = ["percent", "fixed", "min", "max", "free"])]
        remove: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `1.5` → 150 basis points: at most two decimals, at most 100 %.
fn basis_points(text: &str) -> anyhow::Result<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(frac)) || frac.len() > 2 || whole.len() > 3
    {
        anyhow::bail!("--percent {text:?} is not a percentage like 1.5 (at most two decimals)");
    }
    let whole: u32 = whole.parse()?;
    let frac: u32 = format!("{frac:0<2}").parse()?;
    Ok(whole * 100 + frac)
}

fn show(
    operator: kumbu_core::Operator,
    direction: kumbu_core::Direction,
    p: &kumbu_core::Price,
) -> String {
    let s = &p.schedule;
    format!(
        "{:<12} {:<8} {}.{:02} % + {} (min {}, max {}){}",
        operator.code(),
        direction.as_str(),
        s.percent_bps / 100,
        s.percent_bps % 100,
        s.fixed,
        s.min,
        s.max.map_or_else(|| "none".to_owned(), |m| m.to_string()),
        match direction {
            kumbu_core::Direction::Collect => format!(", refund fee {}", p.refund_fee.as_str()),
            kumbu_core::Direction::Payout => String::new(),
        }
    )
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
        MerchantCommand::Pricing {
            merchant,
            operator,
            direction,
            percent,
            fixed,
            min,
            max,
            free,
            refund_fee,
            remove,
            db,
        } => {
            let engine = engine_for(&db).await?;
            let err = |e: kumbu_engine::EngineError| anyhow::anyhow!("{e}");
            let Some(operator) = operator else {
                let prices = engine.prices(&merchant).await.map_err(err)?;
                if prices.is_empty() {
                    println!("{merchant} pays the catalogue's fees (GET /v1/operators)");
                }
                for (o, d, p) in &prices {
                    println!("{}", show(*o, *d, p));
                }
                return Ok(());
            };
            let op = kumbu_core::Operator::parse(&operator).with_context(|| {
                format!("unknown operator {operator:?} (see GET /v1/operators)")
            })?;
            let dir = kumbu_core::Direction::parse(&direction)
                .with_context(|| format!("--direction is collect or payout, not {direction:?}"))?;
            if remove {
                let had = engine
                    .remove_price(&merchant, (op, dir))
                    .await
                    .map_err(err)?;
                println!(
                    "{merchant}: {} {} {}",
                    op.code(),
                    dir.as_str(),
                    if had {
                        "back to the catalogue's fee"
                    } else {
                        "had no price of its own"
                    }
                );
                return Ok(());
            }
            if !free && percent.is_none() && fixed.is_none() && min.is_none() {
                anyhow::bail!(
                    "say what {} pays to {} on {}: --percent, --fixed and/or --min (or --free for no fee); without an operator, the command lists the merchant's prices",
                    merchant,
                    dir.as_str(),
                    op.code()
                );
            }
            let price = kumbu_core::Price {
                schedule: kumbu_core::FeeSchedule {
                    percent_bps: percent.as_deref().map_or(Ok(0), basis_points)?,
                    fixed: fixed.unwrap_or(0),
                    min: min.unwrap_or(0),
                    max,
                },
                refund_fee: kumbu_core::RefundFee::parse(&refund_fee).with_context(|| {
                    format!("--refund-fee is kept or returned, not {refund_fee:?}")
                })?,
            };
            engine
                .set_price(&merchant, (op, dir), price)
                .await
                .map_err(err)?;
            println!("{merchant}: {}", show(op, dir, &price));
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

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_are_read_as_text() {
        assert_eq!(super::basis_points("1.5").unwrap(), 150);
        assert_eq!(super::basis_points("0.05").unwrap(), 5);
        assert_eq!(super::basis_points("2").unwrap(), 200);
        assert_eq!(super::basis_points("100").unwrap(), 10_000);
        for bad in ["1.555", "-1", "1,5", "", ".5", "1.", "1e2", "1000"] {
            assert!(super::basis_points(bad).is_err(), "{bad}");
        }
    }
}
