//! Payment writes inside an engine decision's transaction: insert (`insert_payment` is the batch
//! insert of one), save, lock, claim, and the history rows.

use super::{attach_history, PAYMENTS};
use crate::error::StoreError;
use crate::sql::{bind, insert_rows, Value, MAX_PARAMS};
use crate::tx::StoreTx;
use kumbu_core::{Mode, Payment, StatusChange, Timestamp};
use sqlx::Any;

/// What a save does to the payments' lease (the operator calls one process makes for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Reserved for this process until then; callbacks recorded before are forgotten (the
    /// calls about to be made ask anew).
    Until(Timestamp),
    /// The calls ended and what they learnt is saved: no lease, no callback pending.
    End,
}

/// Payment writes, inside an engine decision's transaction.
impl StoreTx {
    /// Inserts a new payment with its history so far (normally the creation row): the batch
    /// insert of one, then any later history rows. A duplicate merchant reference fails with
    /// [`StoreError::Conflict`].
    pub async fn insert_payment(&mut self, p: &Payment) -> Result<(), StoreError> {
        self.insert_payments(&[p]).await?;
        let later: Vec<(&str, &StatusChange)> = p
            .history
            .iter()
            .skip(1)
            .map(|c| (p.id.as_str(), c))
            .collect();
        if later.is_empty() {
            return Ok(());
        }
        self.insert_history(&later).await
    }

    /// Inserts many new payments in a few statements, each with its creation history row
    /// (later rows of their history are the caller's to write, with their changes).
    pub async fn insert_payments(&mut self, payments: &[&Payment]) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(payments.len());
        for p in payments {
            let metadata = serde_json::to_string(&p.metadata)
                .map_err(|e| StoreError::Corrupt(format!("metadata: {e}")))?;
            let bank_details = p
                .bank
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("bank details: {e}")))?;
            rows.push(vec![
                Value::Text(p.id.clone()),
                Value::Text(p.merchant_id.clone()),
                Value::Text(p.mode.as_str().to_owned()),
                Value::Text(p.status.as_str().to_owned()),
                Value::Int(p.amount),
                Value::Int(p.fee),
                Value::Text(p.currency.code().to_owned()),
                Value::Text(p.operator.code().to_owned()),
                Value::Text(
                    p.payer_phone
                        .as_ref()
                        .map_or_else(String::new, |m| m.as_str().to_owned()),
                ),
                Value::OptText(p.customer_name.clone()),
                Value::OptText(p.customer_email.clone()),
                Value::OptText(p.reference.clone()),
                Value::OptText(p.description.clone()),
                Value::Text(metadata),
                Value::OptText(p.operator_reference.clone()),
                Value::OptText(p.failure_code.map(|c| c.as_str().to_owned())),
                Value::OptText(p.failure_message.clone()),
                Value::OptText(p.operator_code.clone()),
                Value::Int(p.created_at.as_micros()),
                Value::Int(p.updated_at.as_micros()),
                Value::Int(p.expires_at.as_micros()),
                Value::Int(i64::from(p.progress.step)),
                Value::OptInt(p.progress.next_action_at.map(Timestamp::as_micros)),
                Value::OptInt(
                    p.bank
                        .as_ref()
                        .map(|b| i64::try_from(b.reference_id).unwrap_or(i64::MAX)),
                ),
                Value::OptInt(p.bank.as_ref().map(|b| b.payment_id)),
                Value::OptText(bank_details),
                Value::OptText(p.statement_descriptor.clone()),
                Value::OptText(p.customer_id.clone()),
                Value::OptText(p.checkout_session_id.clone()),
                Value::OptText(p.collection_request_id.clone()),
                Value::OptText(record_details(p)?),
                Value::OptText(p.record.as_ref().and_then(|r| r.channel.clone())),
                Value::OptText(p.record.as_ref().and_then(|r| r.provider_id.clone())),
                Value::OptInt(p.deleted_at.map(Timestamp::as_micros)),
                Value::OptText(p.rail_memo.clone()),
                Value::OptText(p.handover.clone()),
                Value::OptText(p.face.map(|f| f.as_str().to_owned())),
                Value::Text(p.refund_fee.as_str().to_owned()),
            ]);
        }
        insert_rows(
            self.dialect,
            self.tx(),
            "payments",
            &[
                "id",
                "merchant_id",
                "mode",
                "status",
                "amount",
                "fee",
                "currency",
                "operator",
                "payer_phone",
                "customer_name",
                "customer_email",
                "reference",
                "description",
                "metadata",
                "operator_reference",
                "failure_code",
                "failure_message",
                "operator_code",
                "created_at",
                "updated_at",
                "expires_at",
                "rail_step",
                "next_action_at",
                "bank_reference_id",
                "bank_payment_id",
                "bank_details",
                "statement_descriptor",
                "customer_id",
                "checkout_session_id",
                "collection_request_id",
                "record_details",
                "record_channel",
                "record_provider",
                "deleted_at",
                "rail_memo",
                "handover_token",
                "face",
                "refund_fee",
            ],
            rows,
            "",
        )
        .await?;
        let created: Vec<(&str, &StatusChange)> = payments
            .iter()
            .filter_map(|p| p.history.first().map(|c| (p.id.as_str(), c)))
            .collect();
        self.insert_history(&created).await
    }

    /// Writes what a payment record's update may change besides its status: amount, fee and
    /// currency (while pending), its record details, its collection request and its deletion.
    pub async fn save_payment_record(&mut self, p: &Payment) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE payments SET amount = $2, fee = $3, currency = $4, collection_request_id = $5, \
             record_details = $6, record_channel = $7, record_provider = $8, deleted_at = $9, \
             updated_at = $10 WHERE id = $1",
        )
        .bind(p.id.clone())
        .bind(p.amount)
        .bind(p.fee)
        .bind(p.currency.code())
        .bind(p.collection_request_id.clone())
        .bind(record_details(p)?)
        .bind(p.record.as_ref().and_then(|r| r.channel.clone()))
        .bind(p.record.as_ref().and_then(|r| r.provider_id.clone()))
        .bind(p.deleted_at.map(Timestamp::as_micros))
        .bind(p.updated_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Reads and locks one payment of a merchant for update (`None` if not theirs).
    pub async fn lock_payment(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let Some(p) = PAYMENTS.lock_owned(self, (merchant_id, mode), id).await? else {
            return Ok(None);
        };
        let mut ps = vec![p];
        attach_history(self.dialect, &mut **self.tx(), &mut ps).await?;
        Ok(ps.pop())
    }

    /// Claims up to `limit` payments whose next action is due, oldest due first. On PostgreSQL
    /// rows locked by another worker are skipped, so concurrent processes share the backlog
    /// without ever taking the same payment.
    pub async fn claim_due_payments(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        // A payment leased to a process (its operator calls under way) keeps its due time, so
        // that leasing it changes no indexed column (PostgreSQL then rewrites the row in place,
        // without touching its indexes); it is due again when the lease runs out.
        let mut out = PAYMENTS
            .claim_due_where(
                self,
                now,
                limit,
                " AND (lease_until IS NULL OR lease_until <= $1)",
            )
            .await?;
        attach_history(self.dialect, &mut **self.tx(), &mut out).await?;
        Ok(out)
    }

    /// Writes the mutable columns of many payments in one statement per chunk.
    pub async fn save_payments(&mut self, payments: &[&Payment]) -> Result<(), StoreError> {
        self.save_payment_rows(payments, None).await
    }

    /// [`save_payments`](Self::save_payments) for payments whose operator calls this process
    /// makes: the same statement also sets or ends their lease (and forgets the callbacks it
    /// covered), so that a live payment's row is written once per transaction, not twice.
    pub async fn save_leased_payments(
        &mut self,
        payments: &[&Payment],
        lease: Lease,
    ) -> Result<(), StoreError> {
        self.save_payment_rows(payments, Some(lease)).await
    }

    async fn save_payment_rows(
        &mut self,
        payments: &[&Payment],
        lease: Option<Lease>,
    ) -> Result<(), StoreError> {
        const COLS: usize = 11;
        // The lease's bound value comes first, so that each row's placeholders follow it.
        let (lease_sql, first) = match lease {
            None => (String::new(), 0),
            Some(Lease::Until(_)) => (
                format!(", lease_until = {}, poked_at = NULL", self.dialect.param(1)),
                1,
            ),
            Some(Lease::End) => (", lease_until = NULL, poked_at = NULL".to_owned(), 0),
        };
        for chunk in payments.chunks((MAX_PARAMS - 1) / COLS) {
            let mut sql = format!(
                "UPDATE payments SET status = v.column2, \
                operator_reference = v.column3, failure_code = v.column4, \
                failure_message = v.column5, operator_code = v.column6, \
                updated_at = v.column7, rail_step = v.column8, next_action_at = v.column9, \
                amount_refunded = v.column10, rail_memo = v.column11{lease_sql} FROM (VALUES ",
            );
            let mut values = Vec::with_capacity(chunk.len() * COLS + first);
            if let Some(Lease::Until(until)) = lease {
                values.push(Value::Int(until.as_micros()));
            }
            for (i, p) in chunk.iter().enumerate() {
                let b = first + i * COLS;
                if i > 0 {
                    sql.push_str(", ");
                }
                let ph = |k: usize| self.dialect.param(b + k);
                sql.push_str(&format!(
                    "({}, {}, {}, {}, {}, {}, CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT), {})",
                    ph(1), ph(2), ph(3), ph(4), ph(5), ph(6), ph(7), ph(8), ph(9), ph(10), ph(11)
                ));
                values.extend([
                    Value::Text(p.id.clone()),
                    Value::Text(p.status.as_str().to_owned()),
                    Value::OptText(p.operator_reference.clone()),
                    Value::OptText(p.failure_code.map(|c| c.as_str().to_owned())),
                    Value::OptText(p.failure_message.clone()),
                    Value::OptText(p.operator_code.clone()),
                    Value::Int(p.updated_at.as_micros()),
                    Value::Int(i64::from(p.progress.step)),
                    Value::OptInt(p.progress.next_action_at.map(Timestamp::as_micros)),
                    Value::Int(p.amount_refunded),
                    Value::OptText(p.rail_memo.clone()),
                ]);
            }
            sql.push_str(") AS v WHERE payments.id = v.column1");
            let mut q = sqlx::query::<Any>(&sql);
            for v in values {
                q = bind(q, v);
            }
            let done = q.execute(&mut **self.tx()).await?.rows_affected();
            if done != chunk.len() as u64 {
                return Err(StoreError::Corrupt(format!(
                    "updated {done} payments, expected {}",
                    chunk.len()
                )));
            }
        }
        Ok(())
    }

    /// Appends history rows.
    pub async fn insert_history(
        &mut self,
        changes: &[(&str, &StatusChange)],
    ) -> Result<(), StoreError> {
        let rows = changes
            .iter()
            .map(|(id, c)| {
                vec![
                    Value::Text((*id).to_owned()),
                    Value::OptText(c.from.map(|s| s.as_str().to_owned())),
                    Value::Text(c.to.as_str().to_owned()),
                    Value::Text(c.reason.clone()),
                    Value::Int(c.at.as_micros()),
                ]
            })
            .collect();
        insert_rows(
            self.dialect,
            self.tx(),
            "payment_history",
            &["payment_id", "from_status", "to_status", "reason", "at"],
            rows,
            "",
        )
        .await
    }
}

/// A payment record's details as stored (JSON), or NULL for a payment Kumbu moved itself.
fn record_details(p: &Payment) -> Result<Option<String>, StoreError> {
    p.record
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("record details: {e}")))
}
