//! A write transaction: everything one engine decision changes, committed together or not at all.

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::StoreError;
use crate::payments::{attach_history, payment_from_row, PAYMENT_COLUMNS};
use kumbu_core::{Mode, Payment, StatusChange, Timestamp};
use sqlx::{Any, Transaction};

/// Largest number of bound parameters put in one statement (both backends allow far more).
pub(crate) const MAX_PARAMS: usize = 16_000;

/// An open write transaction. Dropping it without [`StoreTx::commit`] rolls everything back,
/// promptly: the rollback is sent at once rather than left queued on the pooled connection, so
/// locks the transaction held (an idempotency key's, say) are released at once too.
#[derive(Debug)]
pub struct StoreTx {
    pub(crate) dialect: Dialect,
    tx: Option<Transaction<'static, Any>>,
    /// When set, the deliveries this transaction fans out are created leased until then, to the
    /// process that commits it (which sends them itself); otherwise they are due at once.
    pub(crate) lease_new_deliveries: Option<Timestamp>,
    /// The deliveries created under that lease, ready to send once committed.
    pub(crate) leased: Vec<crate::webhooks::DueDelivery>,
    /// Whether events were published (a dispatcher has work once this commits).
    pub(crate) published: bool,
}

impl Drop for StoreTx {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(e) = tx.rollback().await {
                        tracing::warn!(error = %e, "rollback of an abandoned transaction failed");
                    }
                });
            }
        }
    }
}

/// A value bound into a dynamically built statement.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl Store {
    /// Opens a write transaction.
    pub async fn begin(&self) -> Result<StoreTx, StoreError> {
        Ok(StoreTx {
            dialect: self.dialect,
            tx: Some(self.begin_write().await?),
            lease_new_deliveries: None,
            leased: Vec::new(),
            published: false,
        })
    }

    /// Begins on the write pool. On SQLite the write lock is taken up front (`BEGIN IMMEDIATE`),
    /// so a transaction that reads before it writes cannot fail to upgrade when another process
    /// (a CLI command, say) wrote in between.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.dialect {
            Dialect::Postgres => self.write.begin().await?,
            Dialect::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
        })
    }
}

/// Runs `INSERT INTO table (columns) VALUES (…), (…) [suffix]` in chunks.
pub(crate) async fn insert_rows(
    dialect: Dialect,
    tx: &mut Transaction<'static, Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<(), StoreError> {
    let per_chunk = (MAX_PARAMS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_chunk).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..row.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&dialect.param(n));
            }
            sql.push(')');
        }
        sql.push_str(suffix);
        let mut q = sqlx::query::<Any>(&sql);
        for v in chunk.into_iter().flatten() {
            q = bind(q, v);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

pub(crate) fn bind<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    v: Value,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    match v {
        Value::Text(s) => q.bind(s),
        Value::OptText(s) => q.bind(s),
        Value::Int(i) => q.bind(i),
        Value::OptInt(i) => q.bind(i),
    }
}

/// A page of a listing fetched with `LIMIT limit + 1`: the first `limit` rows mapped, and
/// whether more follow.
pub(crate) fn page<T>(
    rows: &[sqlx::any::AnyRow],
    limit: u32,
    from_row: fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
) -> Result<(Vec<T>, bool), StoreError> {
    let more = rows.len() > limit as usize;
    let items = rows
        .iter()
        .take(limit as usize)
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, more))
}

/// [`bind`] for a scalar query.
pub(crate) fn bind_scalar<'q, O>(
    q: sqlx::query::QueryScalar<'q, Any, O, sqlx::any::AnyArguments<'q>>,
    v: Value,
) -> sqlx::query::QueryScalar<'q, Any, O, sqlx::any::AnyArguments<'q>> {
    match v {
        Value::Text(s) => q.bind(s),
        Value::OptText(s) => q.bind(s),
        Value::Int(i) => q.bind(i),
        Value::OptInt(i) => q.bind(i),
    }
}

impl StoreTx {
    /// The open transaction. It is only taken by `commit`, `rollback` and `drop`, which all
    /// consume or end `self`.
    pub(crate) fn tx(&mut self) -> &mut Transaction<'static, Any> {
        self.tx
            .as_mut()
            .unwrap_or_else(|| unreachable!("a StoreTx is not used after it ends"))
    }

    /// Creates this transaction's deliveries leased to the caller until `until`: no other
    /// dispatcher takes them before then, and [`StoreTx::take_leased`] hands them over.
    pub fn lease_new_deliveries(&mut self, until: Timestamp) {
        self.lease_new_deliveries = Some(until);
    }

    /// The deliveries created under [`StoreTx::lease_new_deliveries`]: send them only after
    /// the commit succeeds.
    pub fn take_leased(&mut self) -> Vec<crate::webhooks::DueDelivery> {
        std::mem::take(&mut self.leased)
    }

    /// Until when this transaction's deliveries are leased, if they are.
    pub fn lease(&self) -> Option<Timestamp> {
        self.lease_new_deliveries
    }

    /// Whether this transaction published events.
    pub fn published(&self) -> bool {
        self.published
    }

    /// Commits. Only after this returns may anything be acknowledged to a client.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Rolls back now.
    pub async fn rollback(mut self) -> Result<(), StoreError> {
        if let Some(tx) = self.tx.take() {
            tx.rollback().await?;
        }
        Ok(())
    }

    /// Inserts a new payment with its history so far (normally the creation row).
    /// A duplicate merchant reference fails with [`StoreError::Conflict`].
    pub async fn insert_payment(&mut self, p: &Payment) -> Result<(), StoreError> {
        let metadata = serde_json::to_string(&p.metadata)
            .map_err(|e| StoreError::Corrupt(format!("metadata: {e}")))?;
        let bank_details = p
            .bank
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("bank details: {e}")))?;
        sqlx::query::<Any>(
            "INSERT INTO payments (id, merchant_id, mode, status, amount, fee, currency, operator, \
             payer_phone, customer_name, customer_email, reference, description, metadata, \
             operator_reference, failure_code, failure_message, operator_code, created_at, \
             updated_at, expires_at, rail_step, next_action_at, bank_reference_id, bank_payment_id, \
             bank_details, statement_descriptor, customer_id, checkout_session_id, \
             collection_request_id, record_details, record_channel, record_provider, deleted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34)",
        )
        .bind(p.id.clone())
        .bind(p.merchant_id.clone())
        .bind(p.mode.as_str())
        .bind(p.status.as_str())
        .bind(p.amount)
        .bind(p.fee)
        .bind(p.currency.code())
        .bind(p.operator.code())
        .bind(
            p.payer_phone
                .as_ref()
                .map_or_else(String::new, |m| m.as_str().to_owned()),
        )
        .bind(p.customer_name.clone())
        .bind(p.customer_email.clone())
        .bind(p.reference.clone())
        .bind(p.description.clone())
        .bind(metadata)
        .bind(p.operator_reference.clone())
        .bind(p.failure_code.map(|c| c.as_str()))
        .bind(p.failure_message.clone())
        .bind(p.operator_code.clone())
        .bind(p.created_at.as_micros())
        .bind(p.updated_at.as_micros())
        .bind(p.expires_at.as_micros())
        .bind(i64::from(p.progress.step))
        .bind(p.progress.next_action_at.map(Timestamp::as_micros))
        .bind(
            p.bank
                .as_ref()
                .map(|b| i64::try_from(b.reference_id).unwrap_or(i64::MAX)),
        )
        .bind(p.bank.as_ref().map(|b| b.payment_id))
        .bind(bank_details)
        .bind(p.statement_descriptor.clone())
        .bind(p.customer_id.clone())
        .bind(p.checkout_session_id.clone())
        .bind(p.collection_request_id.clone())
        .bind(record_details(p)?)
        .bind(p.record.as_ref().and_then(|r| r.channel.clone()))
        .bind(p.record.as_ref().and_then(|r| r.provider_id.clone()))
        .bind(p.deleted_at.map(Timestamp::as_micros))
        .execute(&mut **self.tx())
        .await?;
        let history: Vec<(&str, &StatusChange)> =
            p.history.iter().map(|c| (p.id.as_str(), c)).collect();
        self.insert_history(&history).await
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
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1 AND merchant_id = $2 AND mode = $3{}",
            self.dialect.for_update()
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&mut **self.tx())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut ps = vec![payment_from_row(&row)?];
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
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE next_action_at <= $1 \
             ORDER BY next_action_at LIMIT {limit}{}",
            self.dialect.for_update_skip_locked()
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(now.as_micros())
            .fetch_all(&mut **self.tx())
            .await?;
        let mut out = rows
            .iter()
            .map(payment_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_history(self.dialect, &mut **self.tx(), &mut out).await?;
        Ok(out)
    }

    /// Writes the mutable columns of many payments in one statement per chunk.
    pub async fn save_payments(&mut self, payments: &[&Payment]) -> Result<(), StoreError> {
        const COLS: usize = 10;
        for chunk in payments.chunks(MAX_PARAMS / COLS) {
            let mut sql = String::from(
                "UPDATE payments SET status = v.column2, \
                operator_reference = v.column3, failure_code = v.column4, \
                failure_message = v.column5, operator_code = v.column6, \
                updated_at = v.column7, rail_step = v.column8, next_action_at = v.column9, \
                amount_refunded = v.column10 FROM (VALUES ",
            );
            let mut values = Vec::with_capacity(chunk.len() * COLS);
            for (i, p) in chunk.iter().enumerate() {
                let b = i * COLS;
                if i > 0 {
                    sql.push_str(", ");
                }
                let ph = |k: usize| self.dialect.param(b + k);
                sql.push_str(&format!(
                    "({}, {}, {}, {}, {}, {}, CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT))",
                    ph(1), ph(2), ph(3), ph(4), ph(5), ph(6), ph(7), ph(8), ph(9), ph(10)
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
