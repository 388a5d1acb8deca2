//! Refund rows.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::{Table, Value};
use crate::tx::StoreTx;
use kumbu_core::{Currency, FailureCode, Mode, Refund, RefundStatus, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const REFUND_COLUMNS: &str =
    "id, payment_id, merchant_id, mode, amount, currency, status, reason, \
    metadata, operator_refund_id, failure_code, failure_message, created_at, updated_at, \
    next_action_at";

fn refund_from_row(r: &AnyRow) -> Result<Refund, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(c)?) };
    let mode = text("mode")?;
    let status = text("status")?;
    let currency = text("currency")?;
    let metadata = text("metadata")?;
    let failure: Option<String> = r.try_get("failure_code")?;
    Ok(Refund {
        id: text("id")?,
        payment_id: text("payment_id")?,
        merchant_id: text("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        amount: r.try_get("amount")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        status: RefundStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        reason: r.try_get("reason")?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata", &metadata))?,
        operator_refund_id: r.try_get("operator_refund_id")?,
        failure_code: match failure {
            Some(c) => Some(FailureCode::parse(&c).ok_or_else(|| corrupt("failure_code", &c))?),
            None => None,
        },
        failure_message: r.try_get("failure_message")?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
        next_action_at: r
            .try_get::<Option<i64>, _>("next_action_at")?
            .map(Timestamp::from_micros),
    })
}

/// The refunds table's shared shapes (`sql::Table`).
const REFUNDS: Table<Refund> = Table {
    name: "refunds",
    columns: REFUND_COLUMNS,
    from_row: refund_from_row,
};

impl StoreTx {
    /// Inserts a new refund. A second refund in flight for the payment fails with
    /// [`StoreError::Conflict`] (a unique index backs the engine's check).
    pub async fn insert_refund(&mut self, r: &Refund) -> Result<(), StoreError> {
        let metadata = serde_json::to_string(&r.metadata)
            .map_err(|e| StoreError::Corrupt(format!("metadata: {e}")))?;
        sqlx::query::<Any>(
            "INSERT INTO refunds (id, payment_id, merchant_id, mode, amount, currency, status, \
             reason, metadata, operator_refund_id, failure_code, failure_message, created_at, \
             updated_at, next_action_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15)",
        )
        .bind(r.id.clone())
        .bind(r.payment_id.clone())
        .bind(r.merchant_id.clone())
        .bind(r.mode.as_str())
        .bind(r.amount)
        .bind(r.currency.code())
        .bind(r.status.as_str())
        .bind(r.reason.clone())
        .bind(metadata)
        .bind(r.operator_refund_id.clone())
        .bind(r.failure_code.map(|c| c.as_str()))
        .bind(r.failure_message.clone())
        .bind(r.created_at.as_micros())
        .bind(r.updated_at.as_micros())
        .bind(r.next_action_at.map(Timestamp::as_micros))
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Writes a refund's mutable fields.
    pub async fn save_refund(&mut self, r: &Refund) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE refunds SET status = $2, operator_refund_id = $3, failure_code = $4, \
             failure_message = $5, updated_at = $6, next_action_at = $7 WHERE id = $1",
        )
        .bind(r.id.clone())
        .bind(r.status.as_str())
        .bind(r.operator_refund_id.clone())
        .bind(r.failure_code.map(|c| c.as_str()))
        .bind(r.failure_message.clone())
        .bind(r.updated_at.as_micros())
        .bind(r.next_action_at.map(Timestamp::as_micros))
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// The payment's refunds that are still in flight (at most one, by the unique index).
    pub async fn refunds_in_flight(&mut self, payment_id: &str) -> Result<Vec<Refund>, StoreError> {
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = $1 \
             AND status IN ('pending', 'processing')"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(payment_id)
            .fetch_all(&mut **self.tx())
            .await?;
        rows.iter().map(refund_from_row).collect()
    }

    /// Locks one refund for an update.
    pub async fn lock_refund(&mut self, id: &str) -> Result<Option<Refund>, StoreError> {
        REFUNDS.lock(self, id).await
    }

    /// Claims refunds whose next step is due, skipping rows another worker holds.
    pub async fn claim_due_refunds(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<Refund>, StoreError> {
        REFUNDS.claim_due(self, now, limit).await
    }
}

impl Store {
    /// Moves a refund's next look to `at` (after a step that failed).
    pub async fn postpone_refund(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query::<Any>("UPDATE refunds SET next_action_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at.as_micros())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// One refund of a merchant.
    pub async fn refund(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<Refund>, StoreError> {
        REFUNDS.owned(&self.write, (merchant_id, mode), id).await
    }

    /// A newest-first page of a merchant's refunds, optionally of one payment, after the refund
    /// `starting_after`. `None` if that refund is not the merchant's.
    pub async fn list_refunds(
        &self,
        merchant_id: &str,
        mode: Mode,
        payment_id: Option<&str>,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<Refund>, bool)>, StoreError> {
        let filters = payment_id
            .map(|p| ("payment_id", Value::Text(p.to_owned())))
            .into_iter()
            .collect();
        REFUNDS
            .newest_first(self, (merchant_id, mode), filters, starting_after, limit)
            .await
    }
}
