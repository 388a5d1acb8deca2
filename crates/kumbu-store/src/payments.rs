//! Payment rows: reading, listing, the column mapping shared by reads and claims, and the
//! writes of an engine decision (insert, save, lock, claim, history).
//!
//! Over 500 lines because reads and writes of the one table live together, as in refunds.rs
//! (`insert_payment` is the batch insert of one). Its locks and claims are its own (leases for
//! connectors' calls, batches for the worker), not `sql::Table`'s plain shapes.

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::{corrupt, StoreError};
use crate::sql::{bind, insert_rows, page, Value, MAX_PARAMS};
use crate::tx::StoreTx;
use kumbu_core::payment::RailProgress;
use kumbu_core::{
    Currency, FailureCode, Mode, Msisdn, Operator, Payment, PaymentStatus, StatusChange, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::collections::HashMap;

/// The payment columns every read selects, in [`payment_from_row`]'s order.
pub(crate) const PAYMENT_COLUMNS: &str = "seq, id, merchant_id, mode, status, amount, fee, \
    currency, operator, payer_phone, customer_name, customer_email, reference, description, \
    metadata, operator_reference, failure_code, failure_message, operator_code, created_at, \
    updated_at, expires_at, rail_step, next_action_at, bank_details, amount_refunded, statement_descriptor, customer_id, checkout_session_id, \
    collection_request_id, record_details, deleted_at";

/// Reads one payment row (without its history).
pub(crate) fn payment_from_row(row: &AnyRow) -> Result<Payment, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(c)?) };
    let opt = |c: &str| -> Result<Option<String>, StoreError> {
        Ok(row.try_get::<Option<String>, _>(c)?)
    };
    let int = |c: &str| -> Result<i64, StoreError> { Ok(row.try_get::<i64, _>(c)?) };

    let mode = text("mode")?;
    let status = text("status")?;
    let currency = text("currency")?;
    let operator = text("operator")?;
    let phone = text("payer_phone")?;
    let metadata = text("metadata")?;
    let failure_code = opt("failure_code")?;
    Ok(Payment {
        id: text("id")?,
        merchant_id: text("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        amount: int("amount")?,
        fee: int("fee")?,
        amount_refunded: int("amount_refunded")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        operator: Operator::parse(&operator).ok_or_else(|| corrupt("operator", &operator))?,
        payer_phone: if phone.is_empty() {
            None
        } else {
            Some(Msisdn::parse(&phone).map_err(|_| corrupt("payer_phone", &phone))?)
        },
        bank: match opt("bank_details")? {
            Some(b) => Some(serde_json::from_str(&b).map_err(|_| corrupt("bank_details", &b))?),
            None => None,
        },
        customer_name: opt("customer_name")?,
        customer_email: opt("customer_email")?,
        reference: opt("reference")?,
        description: opt("description")?,
        statement_descriptor: opt("statement_descriptor")?,
        customer_id: opt("customer_id")?,
        checkout_session_id: opt("checkout_session_id")?,
        collection_request_id: opt("collection_request_id")?,
        record: match opt("record_details")? {
            Some(r) => Some(serde_json::from_str(&r).map_err(|_| corrupt("record_details", &r))?),
            None => None,
        },
        deleted_at: row
            .try_get::<Option<i64>, _>("deleted_at")?
            .map(Timestamp::from_micros),
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata", &metadata))?,
        operator_reference: opt("operator_reference")?,
        failure_code: match failure_code {
            Some(c) => Some(FailureCode::parse(&c).ok_or_else(|| corrupt("failure_code", &c))?),
            None => None,
        },
        failure_message: opt("failure_message")?,
        operator_code: opt("operator_code")?,
        created_at: Timestamp::from_micros(int("created_at")?),
        updated_at: Timestamp::from_micros(int("updated_at")?),
        expires_at: Timestamp::from_micros(int("expires_at")?),
        history: Vec::new(),
        progress: RailProgress {
            step: u32::try_from(int("rail_step")?).map_err(|_| corrupt("rail_step", "negative"))?,
            next_action_at: row
                .try_get::<Option<i64>, _>("next_action_at")?
                .map(Timestamp::from_micros),
        },
    })
}

fn change_from_row(row: &AnyRow) -> Result<(String, StatusChange), StoreError> {
    let from: Option<String> = row.try_get("from_status")?;
    let to: String = row.try_get("to_status")?;
    Ok((
        row.try_get("payment_id")?,
        StatusChange {
            from: match from {
                Some(f) => {
                    Some(PaymentStatus::parse(&f).ok_or_else(|| corrupt("from_status", &f))?)
                }
                None => None,
            },
            to: PaymentStatus::parse(&to).ok_or_else(|| corrupt("to_status", &to))?,
            reason: row.try_get("reason")?,
            at: Timestamp::from_micros(row.try_get("at")?),
        },
    ))
}

/// Fills in the history of each payment with one query.
pub(crate) async fn attach_history<'e, E>(
    dialect: Dialect,
    exec: E,
    payments: &mut [Payment],
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    if payments.is_empty() {
        return Ok(());
    }
    // Pad the IN list to a power of two (repeating the last id) so the statement has one of a
    // few shapes and stays in the prepared-statement cache.
    let padded = payments.len().next_power_of_two();
    let placeholders: Vec<String> = (1..=padded).map(|i| dialect.param(i)).collect();
    let sql = format!(
        "SELECT payment_id, from_status, to_status, reason, at FROM payment_history \
         WHERE payment_id IN ({}) ORDER BY seq",
        placeholders.join(", ")
    );
    let mut q = sqlx::query::<Any>(&sql);
    for i in 0..padded {
        q = q.bind(payments[i.min(payments.len() - 1)].id.clone());
    }
    let rows = q.fetch_all(exec).await?;
    let mut by_id: HashMap<String, Vec<StatusChange>> = HashMap::new();
    for row in &rows {
        let (id, change) = change_from_row(row)?;
        by_id.entry(id).or_default().push(change);
    }
    for p in payments.iter_mut() {
        p.history = by_id.remove(&p.id).unwrap_or_default();
    }
    Ok(())
}

/// Filters for listing payments; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    /// Only this status.
    pub status: Option<PaymentStatus>,
    /// Only this operator.
    pub operator: Option<Operator>,
    /// Only this currency.
    pub currency: Option<Currency>,
    /// Only this payer phone.
    pub phone: Option<String>,
    /// Only this merchant reference.
    pub reference: Option<String>,
    /// Created at or after.
    pub created_gte: Option<Timestamp>,
    /// Created strictly before.
    pub created_lt: Option<Timestamp>,
    /// Only these statuses (any of them), when not empty.
    pub statuses: Vec<PaymentStatus>,
    /// Amount at least.
    pub amount_min: Option<i64>,
    /// Amount at most.
    pub amount_max: Option<i64>,
    /// Only these operators (any of them), when not empty: a face lists the payments of its
    /// own operators.
    pub operators: Vec<Operator>,
    /// Only the payments of this collection request.
    pub collection_request_id: Option<String>,
    /// Only payment records of this channel.
    pub channel: Option<String>,
    /// Only payment records of this provider.
    pub provider_id: Option<String>,
    /// Include deleted payment records (hidden by default).
    pub show_deleted: bool,
}

/// One page of a newest-first listing.
#[derive(Debug, Clone)]
pub struct PaymentPage {
    /// The payments, newest first.
    pub data: Vec<Payment>,
    /// Whether older payments remain after the last one.
    pub has_more: bool,
}

/// `head WHERE …` for a merchant's payments narrowed by `filter`, with its bind values.
fn filtered(
    head: &str,
    merchant_id: &str,
    mode: Mode,
    filter: &PaymentFilter,
) -> (String, Vec<Value>) {
    let mut sql = format!("{head} WHERE merchant_id = $1 AND mode = $2");
    let mut binds: Vec<Value> = vec![
        Value::Text(merchant_id.to_owned()),
        Value::Text(mode.as_str().to_owned()),
    ];
    let mut push = |sql: &mut String, cond: &str, b: Value| {
        binds.push(b);
        sql.push_str(&format!(" AND {cond} ${}", binds.len()));
    };
    if let Some(s) = filter.status {
        push(&mut sql, "status =", Value::Text(s.as_str().to_owned()));
    }
    if let Some(o) = filter.operator {
        push(&mut sql, "operator =", Value::Text(o.code().to_owned()));
    }
    if let Some(c) = filter.currency {
        push(&mut sql, "currency =", Value::Text(c.code().to_owned()));
    }
    if let Some(p) = &filter.phone {
        push(&mut sql, "payer_phone =", Value::Text(p.clone()));
    }
    if let Some(r) = &filter.reference {
        push(&mut sql, "reference =", Value::Text(r.clone()));
    }
    if let Some(t) = filter.created_gte {
        push(&mut sql, "created_at >=", Value::Int(t.as_micros()));
    }
    if let Some(t) = filter.created_lt {
        push(&mut sql, "created_at <", Value::Int(t.as_micros()));
    }
    if let Some(a) = filter.amount_min {
        push(&mut sql, "amount >=", Value::Int(a));
    }
    if let Some(a) = filter.amount_max {
        push(&mut sql, "amount <=", Value::Int(a));
    }
    if let Some(c) = &filter.collection_request_id {
        push(&mut sql, "collection_request_id =", Value::Text(c.clone()));
    }
    if let Some(c) = &filter.channel {
        push(&mut sql, "record_channel =", Value::Text(c.clone()));
    }
    if let Some(p) = &filter.provider_id {
        push(&mut sql, "record_provider =", Value::Text(p.clone()));
    }
    if !filter.show_deleted {
        sql.push_str(" AND deleted_at IS NULL");
    }
    if !filter.statuses.is_empty() {
        // Statuses come from the core's enum, never from the request, so they are inlined.
        let list: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        sql.push_str(&format!(" AND status IN ({})", list.join(", ")));
    }
    if !filter.operators.is_empty() {
        // Operators come from the core's enum, never from the request, so they are inlined.
        let list: Vec<String> = filter
            .operators
            .iter()
            .map(|o| format!("'{}'", o.code()))
            .collect();
        sql.push_str(&format!(" AND operator IN ({})", list.join(", ")));
    }
    (sql, binds)
}

impl Store {
    /// One payment of a merchant in a mode; `None` if it does not exist *or is not theirs*.
    pub async fn payment(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1 AND merchant_id = $2 AND mode = $3"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut ps = vec![payment_from_row(&row)?];
        attach_history(self.dialect, &self.read, &mut ps).await?;
        Ok(ps.pop())
    }

    /// How many of a merchant's payments `filter` matches.
    pub async fn count_payments(
        &self,
        merchant_id: &str,
        mode: Mode,
        filter: &PaymentFilter,
    ) -> Result<i64, StoreError> {
        let (sql, binds) = filtered("SELECT COUNT(*) FROM payments", merchant_id, mode, filter);
        let mut q = sqlx::query_scalar::<Any, i64>(&sql);
        for b in binds {
            q = crate::sql::bind_scalar(q, b);
        }
        Ok(q.fetch_one(&self.read).await?)
    }

    /// A newest-first page of a merchant's payments. `starting_after` is the id of the last
    /// payment of the previous page; keyset pagination on the insertion sequence keeps pages
    /// stable while new payments arrive.
    pub async fn list_payments(
        &self,
        merchant_id: &str,
        mode: Mode,
        filter: &PaymentFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<PaymentPage>, StoreError> {
        let (mut sql, mut binds) = filtered(
            &format!("SELECT {PAYMENT_COLUMNS} FROM payments"),
            merchant_id,
            mode,
            filter,
        );
        if let Some(after) = starting_after {
            let Some(seq) = self
                .cursor_seq("payments", merchant_id, mode, after)
                .await?
            else {
                return Ok(None);
            };
            binds.push(Value::Int(seq));
            sql.push_str(&format!(" AND seq < ${}", binds.len()));
        }
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {}",
            u64::from(limit) + 1
        ));
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = bind(q, b);
        }
        let rows = q.fetch_all(&self.read).await?;
        let (mut data, has_more) = page(&rows, limit, payment_from_row)?;
        attach_history(self.dialect, &self.read, &mut data).await?;
        Ok(Some(PaymentPage { data, has_more }))
    }

    /// Payments of a merchant (test mode) waiting in `user_confirming` for this phone, oldest
    /// first: the candidates for sandbox prompts.
    pub async fn confirming_payments_for_phone(
        &self,
        merchant_id: &str,
        phone: &str,
    ) -> Result<Vec<Payment>, StoreError> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE merchant_id = $1 AND mode = 'test' \
             AND status = 'user_confirming' AND payer_phone = $2 ORDER BY seq LIMIT 100"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(phone)
            .fetch_all(&self.read)
            .await?;
        let mut out = rows
            .iter()
            .map(payment_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        attach_history(self.dialect, &self.read, &mut out).await?;
        Ok(out)
    }

    /// How many payments are in each status (all merchants): for metrics and tests.
    pub async fn count_by_status(&self) -> Result<Vec<(PaymentStatus, i64)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM payments GROUP BY status",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get("status")?;
                let n: i64 = r.try_get("n")?;
                Ok((
                    PaymentStatus::parse(&s).ok_or_else(|| corrupt("status", &s))?,
                    n,
                ))
            })
            .collect()
    }

    /// History rows that repeat a transition (same payment, same target status): must be none.
    pub async fn duplicate_transitions(&self) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT payment_id, to_status FROM payment_history \
             GROUP BY payment_id, to_status HAVING COUNT(*) > 1) d",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(n)
    }
}

impl Store {
    /// The insertion sequence of `id` in `table` (`payments` or `events`), if it is one of this
    /// merchant's objects in this mode: the position a `starting_after` cursor stands for.
    pub(crate) async fn cursor_seq(
        &self,
        table: &'static str,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let sql =
            format!("SELECT seq FROM {table} WHERE id = $1 AND merchant_id = $2 AND mode = $3");
        Ok(sqlx::query_scalar::<Any, i64>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&self.read)
            .await?)
    }
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
