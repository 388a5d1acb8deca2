//! Per-merchant prices (`merchant_prices`): a fee schedule per operator and direction that
//! replaces the catalogue's for one merchant. Read inside the transaction that charges it.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::tx::StoreTx;
use kumbu_core::{Direction, FeeSchedule, Operator, Price, RefundFee, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

fn price_from_row(r: &AnyRow) -> Result<Price, StoreError> {
    let refund: String = r.try_get("refund_fee")?;
    let bps: i64 = r.try_get("percent_bps")?;
    Ok(Price {
        schedule: FeeSchedule {
            percent_bps: u32::try_from(bps)
                .map_err(|_| corrupt("percent_bps", &bps.to_string()))?,
            fixed: r.try_get("fixed")?,
            min: r.try_get("fee_min")?,
            max: r.try_get("fee_max")?,
        },
        refund_fee: RefundFee::parse(&refund).ok_or_else(|| corrupt("refund_fee", &refund))?,
    })
}

impl StoreTx {
    /// The merchant's own price on `operator` one way, if it has one.
    pub async fn price(
        &mut self,
        merchant_id: &str,
        operator: Operator,
        direction: Direction,
    ) -> Result<Option<Price>, StoreError> {
        sqlx::query::<Any>(
            "SELECT percent_bps, fixed, fee_min, fee_max, refund_fee FROM merchant_prices \
             WHERE merchant_id = $1 AND operator = $2 AND direction = $3",
        )
        .bind(merchant_id)
        .bind(operator.code())
        .bind(direction.as_str())
        .fetch_optional(&mut **self.tx())
        .await?
        .as_ref()
        .map(price_from_row)
        .transpose()
    }
}

impl Store {
    /// Every price of a merchant, by operator and direction.
    pub async fn prices(
        &self,
        merchant_id: &str,
    ) -> Result<Vec<(Operator, Direction, Price)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT operator, direction, percent_bps, fixed, fee_min, fee_max, refund_fee \
             FROM merchant_prices WHERE merchant_id = $1 ORDER BY operator, direction",
        )
        .bind(merchant_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let (op, dir): (String, String) = (r.try_get("operator")?, r.try_get("direction")?);
                Ok((
                    Operator::parse(&op).ok_or_else(|| corrupt("operator", &op))?,
                    Direction::parse(&dir).ok_or_else(|| corrupt("direction", &dir))?,
                    price_from_row(r)?,
                ))
            })
            .collect()
    }

    /// Sets (or replaces) a merchant's price on `operator` one way.
    pub async fn set_price(
        &self,
        merchant_id: &str,
        (operator, direction): (Operator, Direction),
        price: &Price,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO merchant_prices (merchant_id, operator, direction, percent_bps, fixed, \
                 fee_min, fee_max, refund_fee, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (merchant_id, operator, direction) DO UPDATE SET \
                 percent_bps = excluded.percent_bps, fixed = excluded.fixed, \
                 fee_min = excluded.fee_min, fee_max = excluded.fee_max, \
                 refund_fee = excluded.refund_fee, updated_at = excluded.updated_at",
        )
        .bind(merchant_id)
        .bind(operator.code())
        .bind(direction.as_str())
        .bind(i64::from(price.schedule.percent_bps))
        .bind(price.schedule.fixed)
        .bind(price.schedule.min)
        .bind(price.schedule.max)
        .bind(price.refund_fee.as_str())
        .bind(now.as_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Removes a merchant's price (the catalogue's applies again); whether there was one.
    pub async fn remove_price(
        &self,
        merchant_id: &str,
        (operator, direction): (Operator, Direction),
    ) -> Result<bool, StoreError> {
        let r = sqlx::query::<Any>(
            "DELETE FROM merchant_prices WHERE merchant_id = $1 AND operator = $2 AND direction = $3",
        )
        .bind(merchant_id)
        .bind(operator.code())
        .bind(direction.as_str())
        .execute(&self.write)
        .await?;
        Ok(r.rows_affected() > 0)
    }
}
