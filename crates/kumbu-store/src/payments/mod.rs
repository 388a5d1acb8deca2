//! Payment rows: the column mapping shared by reads, locks and claims, their history, and
//! reading and listing them. The writes of an engine decision (insert, save, lock, claim,
//! history) are in `writes.rs`.

mod days;
mod writes;

pub use days::PaymentDay;
pub use writes::Lease;

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::{corrupt, StoreError};
use crate::sql::{Owned, Table, Value};
use kumbu_core::payment::RailProgress;
use kumbu_core::{
    Currency, FailureCode, Mode, Msisdn, Operator, Payment, PaymentStatus, StatusChange, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::collections::HashMap;

/// What an operator's callback names: whose payment, for which operator, and the connector's
/// memo of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSubject {
    /// The merchant.
    pub merchant_id: String,
    /// The operator.
    pub operator: Operator,
    /// The connector's memo.
    pub memo: Option<String>,
}

/// The payment columns every read selects, in [`payment_from_row`]'s order.
pub(crate) const PAYMENT_COLUMNS: &str = "seq, id, merchant_id, mode, status, amount, fee, \
    currency, operator, payer_phone, customer_name, customer_email, reference, description, \
    metadata, operator_reference, failure_code, failure_message, operator_code, created_at, \
    updated_at, expires_at, rail_step, next_action_at, bank_details, amount_refunded, statement_descriptor, customer_id, checkout_session_id, \
    collection_request_id, record_details, deleted_at, rail_memo, handover_token, face, refund_fee";

/// Reads one payment row (without its history).
/// The payments table, read as [`Payment`]s (without their history: [`attach_history`] adds it).
const PAYMENTS: Table<Payment> = Table {
    name: "payments",
    columns: PAYMENT_COLUMNS,
    from_row: payment_from_row,
};

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
        refund_fee: {
            let r = text("refund_fee")?;
            kumbu_core::RefundFee::parse(&r).ok_or_else(|| corrupt("refund_fee", &r))?
        },
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
        rail_memo: opt("rail_memo")?,
        handover: opt("handover_token")?,
        face: opt("face")?.as_deref().and_then(kumbu_core::Face::parse),
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
    /// Only payments that came through this API.
    pub face: Option<kumbu_core::Face>,
    /// Only the payments of this collection request.
    pub collection_request_id: Option<String>,
    /// Only payment records (recorded by the merchant, reported by a source, or collected
    /// from a wallet for a record).
    pub records_only: bool,
    /// Only payment records of this channel.
    pub channel: Option<String>,
    /// Only payment records of this provider.
    pub provider_id: Option<String>,
    /// Include deleted payment records (hidden by default).
    pub show_deleted: bool,
    /// Only payments whose merchant reference or operator reference is this (the dashboard's
    /// search box).
    pub either_reference: Option<String>,
}

/// One page of a newest-first listing.
#[derive(Debug, Clone)]
pub struct PaymentPage {
    /// The payments, newest first.
    pub data: Vec<Payment>,
    /// Whether older payments remain after the last one.
    pub has_more: bool,
}

/// A merchant's payments narrowed by `filter`.
/// How far apart two payments' creation times must be for their `seq` to be in the same order:
/// a payment's time is read in the transaction that inserts it, a few milliseconds before the
/// insert gives it its `seq`, and the processes' clocks agree to far less than this.
const SEQ_ORDER_MARGIN: std::time::Duration = std::time::Duration::from_secs(600);

fn conditions(owner: (&str, Mode), filter: &PaymentFilter) -> Owned {
    let mut cond = Owned::by(owner);
    if let Some(s) = filter.status {
        cond.and("status =", Value::Text(s.as_str().to_owned()));
    }
    if let Some(o) = filter.operator {
        cond.and("operator =", Value::Text(o.code().to_owned()));
    }
    if let Some(c) = filter.currency {
        cond.and("currency =", Value::Text(c.code().to_owned()));
    }
    if let Some(p) = &filter.phone {
        cond.and("payer_phone =", Value::Text(p.clone()));
    }
    if let Some(r) = &filter.reference {
        cond.and("reference =", Value::Text(r.clone()));
    }
    if let Some(r) = &filter.either_reference {
        cond.and_either("reference", "operator_reference", Value::Text(r.clone()));
    }
    if let Some(t) = filter.created_gte {
        cond.and("created_at >=", Value::Int(t.as_micros()));
    }
    if let Some(t) = filter.created_lt {
        cond.and("created_at <", Value::Int(t.as_micros()));
    }
    if let Some(a) = filter.amount_min {
        cond.and("amount >=", Value::Int(a));
    }
    if let Some(a) = filter.amount_max {
        cond.and("amount <=", Value::Int(a));
    }
    if let Some(c) = &filter.collection_request_id {
        cond.and("collection_request_id =", Value::Text(c.clone()));
    }
    if let Some(f) = filter.face {
        cond.and("face =", Value::Text(f.as_str().to_owned()));
    }
    if let Some(c) = &filter.channel {
        cond.and("record_channel =", Value::Text(c.clone()));
    }
    if let Some(p) = &filter.provider_id {
        cond.and("record_provider =", Value::Text(p.clone()));
    }
    if !filter.show_deleted {
        cond.and_literal("deleted_at IS NULL");
    }
    if filter.records_only {
        cond.and_literal("record_details IS NOT NULL");
    }
    cond.and_in("status", filter.statuses.iter().map(|s| s.as_str()));
    cond.and_in("operator", filter.operators.iter().map(|o| o.code()));
    cond
}

impl Store {
    /// The payment whose hand-over token is `token` (the token is the capability: whoever holds
    /// it is the payer sent to pay it), with its history.
    pub async fn payment_by_handover(&self, token: &str) -> Result<Option<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE handover_token = $1");
        let Some(row) = sqlx::query::<Any>(&sql)
            .bind(token.to_owned())
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let mut ps = vec![payment_from_row(&row)?];
        attach_history(self.dialect, &self.read, &mut ps).await?;
        Ok(ps.pop())
    }

    /// Whose the live payment its operator knows by `reference` is, and the connector's memo of
    /// it (a plain read: it waits on no lock). `None` when no such payment.
    pub async fn callback_subject(
        &self,
        reference: &str,
    ) -> Result<Option<CallbackSubject>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT merchant_id, operator, rail_memo FROM payments \
             WHERE operator_reference = $1 AND mode = 'live' LIMIT 1",
        )
        .bind(reference.to_owned())
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let op: String = r.try_get("operator")?;
        Ok(Some(CallbackSubject {
            merchant_id: r.try_get("merchant_id")?,
            operator: Operator::parse(&op).ok_or_else(|| corrupt("operator", &op))?,
            memo: r.try_get::<Option<String>, _>("rail_memo")?,
        }))
    }

    /// One payment of a merchant in a mode; `None` if it does not exist *or is not theirs*.
    pub async fn payment(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let Some(p) = PAYMENTS.owned(&self.read, (merchant_id, mode), id).await? else {
            return Ok(None);
        };
        let mut ps = vec![p];
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
        let cond = conditions((merchant_id, mode), filter);
        let sql = format!("SELECT COUNT(*) FROM payments WHERE {}", cond.sql);
        let mut q = sqlx::query_scalar::<Any, i64>(&sql);
        for b in cond.binds {
            q = crate::sql::bind_scalar(q, b);
        }
        Ok(q.fetch_one(&self.read).await?)
    }

    /// Up to `limit` of a merchant's payments created in `[from, to)`, oldest first, after the
    /// one at `after` (its `created_at` and `seq`), without their history, deleted payment records
    /// left out (as every list leaves them): an export's page.
    pub async fn payments_between(
        &self,
        owner: (&str, Mode),
        span: (Timestamp, Timestamp),
        after: Option<(Timestamp, i64)>,
        limit: u32,
    ) -> Result<Vec<(Payment, i64)>, StoreError> {
        PAYMENTS
            .between(self, owner, span, after, (" AND deleted_at IS NULL", limit))
            .await
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
        let owner = (merchant_id, mode);
        let mut cond = conditions(owner, filter);
        let (after, before) = self.seq_bounds(owner, filter).await?;
        if let Some(after) = after {
            cond.and("seq >", Value::Int(after));
        }
        if let Some(before) = before {
            cond.and("seq <", Value::Int(before));
        }
        let Some((mut data, has_more)) = PAYMENTS
            .page(self, owner, cond, starting_after, limit)
            .await?
        else {
            return Ok(None);
        };
        attach_history(self.dialect, &self.read, &mut data).await?;
        Ok(Some(PaymentPage { data, has_more }))
    }

    /// Bounds on `seq` implied by a filter's dates, so that a list of a past day walks that
    /// day's stretch of the list index instead of every newer payment (a merchant with a
    /// million payments asking for a day three months ago). A payment's `seq` follows its
    /// `created_at` for payments created more than [`SEQ_ORDER_MARGIN`] apart, so any payment
    /// created that long before `created_gte` has a smaller `seq` than every payment in range,
    /// and any created that long after `created_lt` a greater one; one such payment each way,
    /// found by `payments_by_created`, bounds the range. The dates themselves still filter.
    async fn seq_bounds(
        &self,
        (merchant_id, mode): (&str, Mode),
        filter: &PaymentFilter,
    ) -> Result<(Option<i64>, Option<i64>), StoreError> {
        let margin = SEQ_ORDER_MARGIN;
        let one = |sql: &'static str, at: Timestamp| {
            sqlx::query_scalar::<Any, i64>(sql)
                .bind(merchant_id)
                .bind(mode.as_str())
                .bind(at.as_micros())
                .fetch_optional(&self.read)
        };
        let after = match filter.created_gte {
            Some(from) => {
                one(
                    "SELECT seq FROM payments WHERE merchant_id = $1 AND mode = $2 AND created_at < $3 \
                     ORDER BY created_at DESC LIMIT 1",
                    from.minus(margin),
                )
                .await?
            }
            None => None,
        };
        let before = match filter.created_lt {
            Some(to) => {
                one(
                    "SELECT seq FROM payments WHERE merchant_id = $1 AND mode = $2 AND created_at >= $3 \
                     ORDER BY created_at LIMIT 1",
                    to.plus(margin),
                )
                .await?
            }
            None => None,
        };
        Ok((after, before))
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
