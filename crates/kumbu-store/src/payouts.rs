//! Payout rows, and the available balance a payout is checked against (locked, so two payouts
//! can never spend the same money).

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::Table;
use crate::tx::StoreTx;
use kumbu_core::{Currency, FailureCode, Mode, Msisdn, Operator, Payout, PayoutStatus, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const PAYOUT_COLUMNS: &str =
    "id, merchant_id, mode, amount, fee, currency, operator, payee_phone, \
    reference, description, metadata, status, operator_reference, failure_code, failure_message, \
    operator_code, created_at, updated_at, next_action_at";

fn payout_from_row(r: &AnyRow) -> Result<Payout, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(c)?) };
    let (mode, status, currency, operator, phone, metadata) = (
        text("mode")?,
        text("status")?,
        text("currency")?,
        text("operator")?,
        text("payee_phone")?,
        text("metadata")?,
    );
    let failure: Option<String> = r.try_get("failure_code")?;
    Ok(Payout {
        id: text("id")?,
        merchant_id: text("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        amount: r.try_get("amount")?,
        fee: r.try_get("fee")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        operator: Operator::parse(&operator).ok_or_else(|| corrupt("operator", &operator))?,
        payee_phone: Msisdn::parse(&phone).map_err(|_| corrupt("payee_phone", &phone))?,
        reference: r.try_get("reference")?,
        description: r.try_get("description")?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata", &metadata))?,
        status: PayoutStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        operator_reference: r.try_get("operator_reference")?,
        failure_code: match failure {
            Some(c) => Some(FailureCode::parse(&c).ok_or_else(|| corrupt("failure_code", &c))?),
            None => None,
        },
        failure_message: r.try_get("failure_message")?,
        operator_code: r.try_get("operator_code")?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
        next_action_at: r
            .try_get::<Option<i64>, _>("next_action_at")?
            .map(Timestamp::from_micros),
    })
}

/// The payouts table's shared shapes (`sql::Table`).
const PAYOUTS: Table<Payout> = Table {
    name: "payouts",
    columns: PAYOUT_COLUMNS,
    from_row: payout_from_row,
};

/// A merchant's money in one currency, locked for a decision that spends it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockedMoney {
    /// Available now (payouts in flight already taken out).
    pub available: i64,
    /// Debited, not yet settled.
    pub pending: i64,
    /// What refunds not yet ended will take from the available balance.
    pub refunds_in_flight: i64,
}

impl StoreTx {
    /// The merchant's money in a currency (minor units, as the merchant sees it): available,
    /// pending, and what refunds in flight will take from it. The balance rows are locked until
    /// the transaction ends (the balance head, then the accounts in account order, as journals
    /// post), so that payouts and refunds
    /// are decided one after the other and never spend the same money.
    pub async fn lock_money(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        currency: Currency,
    ) -> Result<LockedMoney, StoreError> {
        // The currency's balance head first, as every posting takes it before the accounts
        // (`post_balance`): taking the accounts first would wait on a poster that waits on us.
        self.lock_balance_head(merchant_id, mode, currency).await?;
        let sql = format!(
            "SELECT account, balance FROM ledger_accounts WHERE merchant_id = $1 AND mode = $2 \
             AND currency = $3 AND account IN ('merchant_available', 'merchant_pending') \
             ORDER BY account{}",
            self.dialect.for_update()
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str())
            .bind(currency.code())
            .fetch_all(&mut **self.tx())
            .await?;
        let mut money = LockedMoney::default();
        for r in rows {
            let account: String = r.try_get("account")?;
            // Liabilities carry credit (negative) balances.
            let balance = -r.try_get::<i64, _>("balance")?;
            match account.as_str() {
                "merchant_available" => money.available = balance,
                _ => money.pending = balance,
            }
        }
        money.refunds_in_flight = sqlx::query_scalar::<Any, i64>(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds WHERE merchant_id = $1 AND mode = $2 \
             AND currency = $3 AND status IN ('pending', 'processing')",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(currency.code())
        .fetch_one(&mut **self.tx())
        .await?;
        Ok(money)
    }

    /// Inserts a new payout; a reference used before fails with [`StoreError::Conflict`].
    pub async fn insert_payout(&mut self, p: &Payout) -> Result<(), StoreError> {
        let metadata = serde_json::to_string(&p.metadata)
            .map_err(|e| StoreError::Corrupt(format!("metadata: {e}")))?;
        sqlx::query::<Any>(
            "INSERT INTO payouts (id, merchant_id, mode, amount, currency, operator, payee_phone, \
             reference, description, metadata, status, operator_reference, failure_code, \
             failure_message, operator_code, created_at, updated_at, next_action_at, fee) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        )
        .bind(p.id.clone())
        .bind(p.merchant_id.clone())
        .bind(p.mode.as_str())
        .bind(p.amount)
        .bind(p.currency.code())
        .bind(p.operator.code())
        .bind(p.payee_phone.as_str().to_owned())
        .bind(p.reference.clone())
        .bind(p.description.clone())
        .bind(metadata)
        .bind(p.status.as_str())
        .bind(p.operator_reference.clone())
        .bind(p.failure_code.map(|c| c.as_str()))
        .bind(p.failure_message.clone())
        .bind(p.operator_code.clone())
        .bind(p.created_at.as_micros())
        .bind(p.updated_at.as_micros())
        .bind(p.next_action_at.map(Timestamp::as_micros))
        .bind(p.fee)
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Writes a payout's mutable fields.
    pub async fn save_payout(&mut self, p: &Payout) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE payouts SET status = $2, operator_reference = $3, failure_code = $4, \
             failure_message = $5, operator_code = $6, updated_at = $7, next_action_at = $8 \
             WHERE id = $1",
        )
        .bind(p.id.clone())
        .bind(p.status.as_str())
        .bind(p.operator_reference.clone())
        .bind(p.failure_code.map(|c| c.as_str()))
        .bind(p.failure_message.clone())
        .bind(p.operator_code.clone())
        .bind(p.updated_at.as_micros())
        .bind(p.next_action_at.map(Timestamp::as_micros))
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Locks one payout for an update.
    pub async fn lock_payout(&mut self, id: &str) -> Result<Option<Payout>, StoreError> {
        PAYOUTS.lock(self, id).await
    }

    /// Claims payouts whose next step is due, skipping rows another worker holds.
    pub async fn claim_due_payouts(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<Payout>, StoreError> {
        PAYOUTS.claim_due(self, now, limit).await
    }
}

impl Store {
    /// One payout of a merchant.
    pub async fn payout(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<Payout>, StoreError> {
        PAYOUTS.owned(&self.read, (merchant_id, mode), id).await
    }

    /// A newest-first page of a merchant's payouts after `starting_after`; `None` if that
    /// payout is not the merchant's.
    pub async fn list_payouts(
        &self,
        merchant_id: &str,
        mode: Mode,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<Payout>, bool)>, StoreError> {
        PAYOUTS
            .newest_first(self, (merchant_id, mode), Vec::new(), starting_after, limit)
            .await
    }
}
