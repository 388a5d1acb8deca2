//! Balance transactions and monthly statements as shown.

use kumbu_core::{BalanceTransaction, StatementLine};
use kumbu_engine::Statement;
use serde::Serialize;
use utoipa::ToSchema;

/// One movement of your balance: a payment's net, a refund, a payout, …
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceTransactionView {
    /// `txn_…`
    pub id: String,
    /// Always `balance_transaction`.
    pub object: &'static str,
    /// `payment`, `refund`, `payout`, `payout_failure` or `adjustment`.
    #[schema(value_type = crate::openapi::vocab::BalanceType, example = "payment")]
    pub r#type: String,
    /// The payment, refund or payout that moved the balance.
    pub source: String,
    /// The payment it belongs to (a payment's own, or the one a refund returns).
    pub payment: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// Gross, minor units: positive in, negative out.
    pub amount: i64,
    /// What the gateway kept, minor units.
    pub fee: i64,
    /// `amount - fee`: what your balance moved, minor units.
    pub net: i64,
    /// Your balance in this currency (pending and available) after it, minor units.
    pub balance_after: i64,
    /// Its place in the currency's balance: 1, 2, 3, … with no gap.
    pub number: i64,
    /// `pending` (a payment the operator has not settled) or `available`.
    pub status: &'static str,
    /// RFC 3339: when its net became available; null while pending.
    pub available_on: Option<String>,
    /// `true` in live mode.
    pub livemode: bool,
    /// RFC 3339: when it was posted.
    pub created_at: String,
}

impl From<&BalanceTransaction> for BalanceTransactionView {
    fn from(t: &BalanceTransaction) -> Self {
        Self {
            id: t.id.clone(),
            object: "balance_transaction",
            r#type: t.kind.as_str().to_owned(),
            source: t.source_id.clone(),
            payment: t.payment_id.clone(),
            currency: t.currency.code().to_owned(),
            amount: t.amount,
            fee: t.fee,
            net: t.net,
            balance_after: t.balance_after,
            number: t.number,
            status: if t.available_on.is_some() {
                "available"
            } else {
                "pending"
            },
            available_on: t.available_on.map(|a| a.to_rfc3339()),
            livemode: t.mode.is_live(),
            created_at: t.created_at.to_rfc3339(),
        }
    }
}

/// A page of balance transactions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceTransactionList {
    /// Always `list`.
    pub object: &'static str,
    /// Newest first.
    pub data: Vec<BalanceTransactionView>,
    /// Whether more follow (ask with `starting_after` = the last id).
    pub has_more: bool,
}

/// The movements of one type in the month.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLineView {
    /// `payment`, `refund`, `payout`, `payout_failure` or `adjustment`.
    #[schema(value_type = crate::openapi::vocab::BalanceType)]
    pub r#type: String,
    /// How many.
    pub count: i64,
    /// Their gross, minor units.
    pub amount: i64,
    /// Their fees, minor units.
    pub fee: i64,
    /// Their net, minor units.
    pub net: i64,
}

impl From<&StatementLine> for StatementLineView {
    fn from(l: &StatementLine) -> Self {
        Self {
            r#type: l.kind.as_str().to_owned(),
            count: l.count,
            amount: l.amount,
            fee: l.fee,
            net: l.net,
        }
    }
}

/// A month of one currency: `closing = opening + Σ lines.net`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    /// Always `statement`.
    pub object: &'static str,
    /// `YYYY-MM` (UTC).
    #[schema(value_type = crate::openapi::vocab::Month, example = "2026-11")]
    pub month: String,
    /// ISO 4217 code.
    pub currency: String,
    /// RFC 3339: its first instant.
    pub period_start: String,
    /// RFC 3339: the first instant after it.
    pub period_end: String,
    /// Your balance at its start, minor units.
    pub opening_balance: i64,
    /// Its movements by type (types with none left out).
    pub lines: Vec<StatementLineView>,
    /// Its fees, minor units.
    pub total_fees: i64,
    /// Your balance at its end, minor units.
    pub closing_balance: i64,
    /// `true` in live mode.
    pub livemode: bool,
}

impl StatementView {
    /// The view of `s`, in `livemode` or not.
    pub fn new(s: &Statement, livemode: bool) -> Self {
        Self {
            object: "statement",
            month: s.month.to_string(),
            currency: s.currency.code().to_owned(),
            period_start: s.span.from.to_rfc3339(),
            period_end: s.span.to.to_rfc3339(),
            opening_balance: s.opening,
            lines: s.lines.iter().map(StatementLineView::from).collect(),
            total_fees: s.lines.iter().map(|l| l.fee).sum(),
            closing_balance: s.closing,
            livemode,
        }
    }
}

/// A month's statements, one per currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementList {
    /// Always `list`.
    pub object: &'static str,
    /// One per currency with a balance, by code.
    pub data: Vec<StatementView>,
    /// Always `false`.
    pub has_more: bool,
}
