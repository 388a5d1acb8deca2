//! Refunds' wire types: the create body and the refund as shown.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Body of `POST /v1/refunds`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRefundBody {
    /// The payment to refund (`pay_…`): it must be settled (or debited: the refund then waits
    /// for the money to settle).
    pub payment: String,
    /// Minor units to give back; omitted, all that remains.
    #[schema(minimum = 1)]
    pub amount: Option<i64>,
    /// Why, at most 500 characters.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub reason: Option<String>,
    /// Up to 50 string pairs.
    #[serde(default)]
    #[schema(value_type = crate::openapi::vocab::Metadata)]
    pub metadata: BTreeMap<String, String>,
}

/// A refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    /// `re_…`
    pub id: String,
    /// Always `refund`.
    pub object: &'static str,
    /// The payment refunded.
    pub payment: String,
    /// Minor units.
    pub amount: i64,
    /// The payment's currency.
    pub currency: String,
    /// `pending`, `processing`, `succeeded` or `failed`.
    pub status: String,
    /// Why, as given.
    pub reason: Option<String>,
    /// As given.
    pub metadata: BTreeMap<String, String>,
    /// The operator's id for it, once sent.
    pub operator_refund_id: Option<String>,
    /// Why it failed (e.g. PROVIDER_ERROR).
    pub failure_code: Option<String>,
    /// In words.
    pub failure_message: Option<String>,
    /// `true` in live mode.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&kumbu_core::Refund> for RefundView {
    fn from(r: &kumbu_core::Refund) -> Self {
        Self {
            id: r.id.clone(),
            object: "refund",
            payment: r.payment_id.clone(),
            amount: r.amount,
            currency: r.currency.code().to_owned(),
            status: r.status.as_str().to_owned(),
            reason: r.reason.clone(),
            metadata: r.metadata.clone(),
            operator_refund_id: r.operator_refund_id.clone(),
            failure_code: r.failure_code.map(|c| c.as_str().to_owned()),
            failure_message: r.failure_message.clone(),
            livemode: r.mode.is_live(),
            created_at: r.created_at.to_rfc3339(),
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}

/// A page of refunds, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundList {
    /// Always `list`.
    pub object: &'static str,
    /// The refunds.
    pub data: Vec<RefundView>,
    /// Whether more follow.
    pub has_more: bool,
}
