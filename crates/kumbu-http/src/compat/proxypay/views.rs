//! ProxyPay's payment object: the same flat object in `GET /payments`, the mock payment's
//! response and the webhook body. Ids are JSON integers, amounts 2-decimal strings, datetimes
//! ISO 8601 in UTC to the second.

use kumbu_core::{Currency, Payment};
use serde::Serialize;
use std::collections::BTreeMap;

/// A payment as ProxyPay shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PpPayment {
    id: i64,
    /// Kwanzas, 2 decimals (`"3000.00"`).
    amount: String,
    custom_fields: BTreeMap<String, String>,
    datetime: String,
    entity_id: i64,
    fee: Option<String>,
    period_id: i64,
    period_start_datetime: String,
    period_end_datetime: String,
    product_id: Option<i64>,
    parameter_id: Option<i64>,
    reference_id: u64,
    transaction_id: i64,
    #[schema(value_type = String)]
    terminal_type: kumbu_core::TerminalType,
    terminal_period_id: Option<i64>,
    terminal_transaction_id: Option<i64>,
    terminal_location: Option<String>,
    terminal_id: Option<String>,
}

use crate::compat::common::{decimal, iso_seconds};

impl PpPayment {
    /// The ProxyPay view of a payment by reference (`None` for any other payment).
    pub fn of(p: &Payment) -> Option<Self> {
        let b = p.bank.as_ref()?;
        Some(Self {
            id: b.payment_id,
            amount: decimal(Currency::Aoa, p.amount),
            custom_fields: p.metadata.clone(),
            datetime: iso_seconds(b.paid_at),
            entity_id: b.entity_id,
            fee: Some(decimal(Currency::Aoa, p.fee)),
            period_id: b.period_id,
            period_start_datetime: iso_seconds(b.period_start),
            period_end_datetime: iso_seconds(b.period_end),
            product_id: b.product_id,
            parameter_id: b.parameter_id,
            reference_id: b.reference_id,
            transaction_id: b.transaction_id,
            terminal_type: b.terminal_type,
            terminal_period_id: b.terminal_period_id,
            terminal_transaction_id: b.terminal_transaction_id,
            terminal_location: b.terminal_location.clone(),
            terminal_id: b.terminal_id.clone(),
        })
    }
}
