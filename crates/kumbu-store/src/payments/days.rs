//! A merchant's payments summed by day (`payment_days`, migration 0021): what the dashboard's
//! home page charts without reading the payments themselves. The engine adds to it in the
//! transaction of the change it counts.

use crate::connect::Store;
use crate::error::StoreError;
use crate::tx::StoreTx;
use kumbu_core::{Currency, Mode, Operator};
use sqlx::{Any, Row};

/// One day's payments of one operator and currency (added to, or as summed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDay {
    /// The merchant.
    pub merchant_id: String,
    /// Live or test.
    pub mode: Mode,
    /// The day the payments were created, UTC, `YYYY-MM-DD`.
    pub day: String,
    /// Their operator.
    pub operator: Operator,
    /// Their currency.
    pub currency: Currency,
    /// How many were debited.
    pub succeeded: i64,
    /// For how much, minor units.
    pub succeeded_amount: i64,
    /// How many failed or expired.
    pub failed: i64,
}

impl StoreTx {
    /// Adds `days` to the summary. Rows are written in key order, so that two transactions
    /// adding to the same days wait for each other rather than deadlock.
    pub async fn add_payment_days(&mut self, days: &[PaymentDay]) -> Result<(), StoreError> {
        let mut sorted: Vec<&PaymentDay> = days.iter().collect();
        sorted.sort_by(|a, b| {
            (
                &a.merchant_id,
                a.mode.as_str(),
                &a.day,
                a.operator.code(),
                a.currency.code(),
            )
                .cmp(&(
                    &b.merchant_id,
                    b.mode.as_str(),
                    &b.day,
                    b.operator.code(),
                    b.currency.code(),
                ))
        });
        for d in sorted {
            sqlx::query::<Any>(
                "INSERT INTO payment_days (merchant_id, mode, day, operator, currency, succeeded, succeeded_amount, failed) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (merchant_id, mode, day, operator, currency) DO UPDATE SET \
                 succeeded = payment_days.succeeded + excluded.succeeded, \
                 succeeded_amount = payment_days.succeeded_amount + excluded.succeeded_amount, \
                 failed = payment_days.failed + excluded.failed",
            )
            .bind(&d.merchant_id)
            .bind(d.mode.as_str())
            .bind(&d.day)
            .bind(d.operator.code())
            .bind(d.currency.code())
            .bind(d.succeeded)
            .bind(d.succeeded_amount)
            .bind(d.failed)
            .execute(&mut **self.tx())
            .await?;
        }
        Ok(())
    }
}

impl Store {
    /// A merchant's days from `first_day` (`YYYY-MM-DD`) on, oldest first.
    pub async fn payment_days(
        &self,
        merchant_id: &str,
        mode: Mode,
        first_day: &str,
    ) -> Result<Vec<PaymentDay>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT day, operator, currency, succeeded, succeeded_amount, failed FROM payment_days \
             WHERE merchant_id = $1 AND mode = $2 AND day >= $3 ORDER BY day, operator, currency",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(first_day)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let operator: String = r.try_get("operator")?;
                let currency: String = r.try_get("currency")?;
                Ok(PaymentDay {
                    merchant_id: merchant_id.to_owned(),
                    mode,
                    day: r.try_get("day")?,
                    operator: Operator::parse(&operator)
                        .ok_or_else(|| StoreError::Corrupt(format!("operator {operator}")))?,
                    currency: Currency::parse(&currency)
                        .map_err(|_| StoreError::Corrupt(format!("currency {currency}")))?,
                    succeeded: r.try_get("succeeded")?,
                    succeeded_amount: r.try_get("succeeded_amount")?,
                    failed: r.try_get("failed")?,
                })
            })
            .collect()
    }
}
