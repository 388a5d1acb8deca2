//! Merchants' operator credentials (sealed by the engine; the store never sees them in clear),
//! and the one write an operator's callback may cause: making a payment due now.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use kumbu_core::{Operator, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

/// A merchant's credentials for one operator, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorCredentialRow {
    /// `<merchant id>/<operator code>`.
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// The operator they are for.
    pub operator: Operator,
    /// What may be shown, as JSON.
    pub summary: String,
    /// The credentials, sealed.
    pub sealed: String,
    /// When first set.
    pub created_at: Timestamp,
    /// When last replaced.
    pub updated_at: Timestamp,
}

/// Money Kumbu sends out through operators, and the column holding the operator's reference:
/// a callback about one of them makes it due too.
const OUTBOUND: [(&str, &str); 2] = [
    ("refunds", "operator_refund_id"),
    ("payouts", "operator_reference"),
];

const COLUMNS: &str = "id, merchant_id, operator, summary, sealed, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<OperatorCredentialRow, StoreError> {
    let op: String = r.try_get("operator")?;
    Ok(OperatorCredentialRow {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        operator: Operator::parse(&op).ok_or_else(|| corrupt("operator", &op))?,
        summary: r.try_get("summary")?,
        sealed: r.try_get("sealed")?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
    })
}

impl Store {
    /// Stores (or replaces) a merchant's credentials for an operator; `true` if they are new.
    pub async fn put_operator_credentials(
        &self,
        row: &OperatorCredentialRow,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let existed = sqlx::query::<Any>("SELECT 1 AS one FROM operator_credentials WHERE id = $1")
            .bind(row.id.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        sqlx::query::<Any>(
            "INSERT INTO operator_credentials (id, merchant_id, operator, summary, sealed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (id) DO UPDATE SET summary = excluded.summary, sealed = excluded.sealed, \
             updated_at = excluded.updated_at",
        )
        .bind(row.id.clone())
        .bind(row.merchant_id.clone())
        .bind(row.operator.code())
        .bind(row.summary.clone())
        .bind(row.sealed.clone())
        .bind(row.updated_at.as_micros())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(!existed)
    }

    /// A merchant's credentials for an operator.
    pub async fn operator_credentials(
        &self,
        merchant_id: &str,
        operator: Operator,
    ) -> Result<Option<OperatorCredentialRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM operator_credentials WHERE merchant_id = $1 AND operator = $2"
        );
        sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(operator.code())
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Every credential of a merchant (or of all merchants), by operator.
    pub async fn list_operator_credentials(
        &self,
        merchant_id: Option<&str>,
    ) -> Result<Vec<OperatorCredentialRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM operator_credentials WHERE ($1 = '' OR merchant_id = $1) \
             ORDER BY merchant_id, operator"
        );
        sqlx::query::<Any>(&sql)
            .bind(merchant_id.unwrap_or_default().to_owned())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Removes a merchant's credentials for an operator; `true` if there were some.
    pub async fn delete_operator_credentials(
        &self,
        merchant_id: &str,
        operator: Operator,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query::<Any>(
            "DELETE FROM operator_credentials WHERE merchant_id = $1 AND operator = $2",
        )
        .bind(merchant_id)
        .bind(operator.code())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Makes the live payments, refunds and payouts operators know by `references` due now,
    /// where still open and not due sooner: an operator's callback is a reason to ask it,
    /// nothing more. One whose operator call is under way (leased) only has the callback
    /// remembered (`poked_at`), for that process to ask again at once. One statement per table
    /// for the whole batch; returns how many objects were found open.
    pub async fn make_due_by_operator_references(
        &self,
        operators: &[Operator],
        references: &[String],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let ops: Vec<String> = operators
            .iter()
            .map(|o| format!("'{}'", o.code()))
            .collect();
        let mut found = 0;
        let mut tx = self.begin_write().await?;
        for chunk in references.chunks(500) {
            // `$n` on both backends (SQLite numbers named parameters by first appearance, and
            // `$1` appears first), so that `$1` can be used several times.
            let list: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let first = "$1";
            let payments = format!(
                "UPDATE payments SET poked_at = {first}, next_action_at = CASE \
                 WHEN lease_until IS NOT NULL AND lease_until > {first} THEN next_action_at \
                 WHEN next_action_at > {first} THEN {first} ELSE next_action_at END \
                 WHERE operator_reference IN ({}) AND mode = 'live' AND operator IN ({}) \
                 AND next_action_at IS NOT NULL",
                list.join(", "),
                ops.join(", ")
            );
            let outbound = OUTBOUND.iter().map(|(table, column)| {
                format!(
                    "UPDATE {table} SET next_action_at = {first} WHERE {column} IN ({}) \
                     AND mode = 'live' AND next_action_at > {first}",
                    list.join(", ")
                )
            });
            // Refunds and payouts first, then payments: the refund worker locks a refund, then
            // its payment, and the same order here cannot deadlock with it.
            for sql in outbound {
                let mut q = sqlx::query::<Any>(&sql).bind(now.as_micros());
                for r in chunk {
                    q = q.bind(r.clone());
                }
                found += q.execute(&mut *tx).await?.rows_affected();
            }
            // Then the payments, locked in id order as the worker locks them
            // (take_leased_payments): an UPDATE alone locks in scan order, and two orders can
            // deadlock.
            let lock = format!(
                "SELECT id FROM payments WHERE operator_reference IN ({}) AND mode = 'live' \
                 AND next_action_at IS NOT NULL ORDER BY id{}",
                (1..=chunk.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.dialect.for_update()
            );
            let mut q = sqlx::query::<Any>(&lock);
            for r in chunk {
                q = q.bind(r.clone());
            }
            q.fetch_all(&mut *tx).await?;
            let mut q = sqlx::query::<Any>(&payments).bind(now.as_micros());
            for r in chunk {
                q = q.bind(r.clone());
            }
            found += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(found)
    }
}

impl crate::tx::StoreTx {
    /// Leases payments to this process until `until` (their operator calls are under way).
    pub async fn lease_payments(
        &mut self,
        ids: &[&str],
        until: Timestamp,
    ) -> Result<(), StoreError> {
        for chunk in ids.chunks(500) {
            let list: Vec<String> = (0..chunk.len())
                .map(|i| self.dialect.param(i + 2))
                .collect();
            let sql = format!(
                "UPDATE payments SET lease_until = {}, poked_at = NULL WHERE id IN ({})",
                self.dialect.param(1),
                list.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql).bind(until.as_micros());
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            q.execute(&mut **self.tx()).await?;
        }
        Ok(())
    }

    /// Locks payments whose operator calls just ended (with their history: events number
    /// themselves by it), each with when an operator called back during our lease (`lease_until`),
    /// and ends the leases that are still ours (another process may have taken a payment over
    /// after ours ran out). Locked in id order, so that concurrent passes cannot deadlock.
    pub async fn take_leased_payments(
        &mut self,
        ids: &[&str],
        lease_until: Timestamp,
    ) -> Result<Vec<(kumbu_core::Payment, Option<Timestamp>, bool)>, StoreError> {
        let mut payments = Vec::with_capacity(ids.len());
        let mut pokes = Vec::with_capacity(ids.len());
        let mut ours_list = Vec::with_capacity(ids.len());
        let mut sorted: Vec<&str> = ids.to_vec();
        sorted.sort_unstable();
        for chunk in sorted.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| self.dialect.param(i)).collect();
            let sql = format!(
                "SELECT {}, poked_at, lease_until FROM payments WHERE id IN ({}) ORDER BY id{}",
                crate::payments::PAYMENT_COLUMNS,
                list.join(", "),
                self.dialect.for_update()
            );
            let mut q = sqlx::query::<Any>(&sql);
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            for row in q.fetch_all(&mut **self.tx()).await? {
                let ours =
                    row.try_get::<Option<i64>, _>("lease_until")? == Some(lease_until.as_micros());
                let poked = row
                    .try_get::<Option<i64>, _>("poked_at")?
                    .filter(|_| ours)
                    .map(Timestamp::from_micros);
                payments.push(crate::payments::payment_from_row(&row)?);
                pokes.push(poked);
                ours_list.push(ours);
            }
            let sql = format!(
                "UPDATE payments SET lease_until = NULL, poked_at = NULL WHERE id IN ({}) \
                 AND lease_until = {}",
                list.join(", "),
                self.dialect.param(chunk.len() + 1)
            );
            let mut q = sqlx::query::<Any>(&sql);
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            q.bind(lease_until.as_micros())
                .execute(&mut **self.tx())
                .await?;
        }
        crate::payments::attach_history(self.dialect, &mut **self.tx(), &mut payments).await?;
        Ok(payments
            .into_iter()
            .zip(pokes)
            .zip(ours_list)
            .map(|((p, poked), ours)| (p, poked, ours))
            .collect())
    }
}
