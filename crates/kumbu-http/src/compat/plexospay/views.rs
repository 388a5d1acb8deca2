//! PlexosPay's objects, and the one table mapping Kumbu's statuses and operators onto its names.

use super::openapi;
use crate::compat::common::{face_id, iso_seconds, minor_units};
use crate::urls::PublicUrl;
use kumbu_core::{CheckoutSession, CheckoutStatus, Currency};
use kumbu_core::{Customer, FailureCode, Operator, Payment, PaymentStatus, Refund, RefundStatus};
use kumbu_engine::Endpoint;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Payment ids are shown as `pi_…`.
pub const PAYMENT_PREFIX: &str = "pi_";

/// A payment status in PlexosPay's words. One arm per status: a new engine status will not
/// compile until it is mapped here.
pub const fn status(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Created => "CREATED",
        PaymentStatus::OperatorPending => "OPERATOR_PENDING",
        PaymentStatus::UserConfirming => "USER_CONFIRMING",
        PaymentStatus::Debited => "DEBITED",
        PaymentStatus::Settled => "SETTLED",
        PaymentStatus::Failed => "FAILED",
        PaymentStatus::Expired => "EXPIRED",
        PaymentStatus::Cancelled => "CANCELLED",
        PaymentStatus::PartiallyRefunded => "PARTIALLY_REFUNDED",
        PaymentStatus::Refunded => "REFUNDED",
    }
}

/// A refund status in PlexosPay's words.
pub const fn refund_status(s: RefundStatus) -> &'static str {
    match s {
        RefundStatus::Pending => "PENDING",
        RefundStatus::Processing => "PROCESSING",
        RefundStatus::Succeeded => "SUCCEEDED",
        RefundStatus::Failed => "FAILED",
    }
}

/// An operator in PlexosPay's words (its own three, and the others by their Kumbu code).
pub fn operator(o: Operator) -> String {
    match o {
        Operator::Cvmovel => "CVMOVEL".to_owned(),
        Operator::UnitelTmais => "UNITEL_TMAIS".to_owned(),
        Operator::Mock => "MOCK".to_owned(),
        Operator::Multicaixa
        | Operator::MpesaMz
        | Operator::Emola
        | Operator::OrangeCi
        | Operator::MtnCi
        | Operator::MoovCi
        | Operator::WaveCi
        | Operator::OrangeCm
        | Operator::MtnCm
        | Operator::External => o.code().to_ascii_uppercase(),
    }
}

/// PlexosPay's operators.
pub const OPERATORS: [Operator; 3] = [Operator::Cvmovel, Operator::UnitelTmais, Operator::Mock];

/// A failure code in PlexosPay's words (the same stable upper-snake vocabulary). One arm per
/// code, so a new engine code will not compile until it is mapped here.
pub const fn failure_code(c: FailureCode) -> &'static str {
    match c {
        FailureCode::PayerNotFound => "PAYER_NOT_FOUND",
        FailureCode::InsufficientBalance => "INSUFFICIENT_BALANCE",
        FailureCode::PaymentDeclined => "PAYMENT_DECLINED",
        FailureCode::PaymentExpired => "PAYMENT_EXPIRED",
        FailureCode::InvalidOtp => "INVALID_OTP",
        FailureCode::PayerLimitReached => "PAYER_LIMIT_REACHED",
        FailureCode::PaymentInProgress => "PAYMENT_IN_PROGRESS",
        FailureCode::AccountNotAllowed => "ACCOUNT_NOT_ALLOWED",
        FailureCode::ProviderUnavailable => "PROVIDER_UNAVAILABLE",
        FailureCode::ProviderError => "PROVIDER_ERROR",
        FailureCode::ReferenceExpired => "REFERENCE_EXPIRED",
        FailureCode::Cancelled => "CANCELLED",
    }
}

/// An operator PlexosPay clients may send.
pub fn parse_operator(s: &str) -> Option<Operator> {
    match s {
        "CVMOVEL" => Some(Operator::Cvmovel),
        "UNITEL_TMAIS" => Some(Operator::UnitelTmais),
        "MOCK" => Some(Operator::Mock),
        _ => None,
    }
}

/// The payment object.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxPayment {
    /// `pi_…`
    id: String,
    external_id: Option<String>,
    #[schema(value_type = super::openapi::Centavos)]
    amount: String,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    currency: String,
    #[schema(value_type = super::openapi::Centavos)]
    fee_amount: String,
    #[schema(value_type = super::openapi::Centavos)]
    net_amount: String,
    #[schema(value_type = super::openapi::PxOperator)]
    operator: String,
    operator_phone: Option<String>,
    operator_tx_id: Option<String>,
    #[schema(value_type = super::openapi::PxPaymentStatus)]
    status: &'static str,
    #[schema(value_type = Option<super::openapi::PxFailureCode>)]
    failure_code: Option<String>,
    failure_message: Option<String>,
    description: Option<String>,
    statement_descriptor: Option<String>,
    customer_id: Option<String>,
    #[schema(value_type = super::openapi::ShownMetadata)]
    metadata: BTreeMap<String, String>,
    /// Null once money moved.
    #[schema(value_type = Option<super::openapi::DateTime>)]
    expires_at: Option<String>,
    #[schema(value_type = super::openapi::DateTime)]
    created_at: String,
    #[schema(value_type = super::openapi::DateTime)]
    updated_at: String,
}

impl From<&Payment> for PxPayment {
    fn from(p: &Payment) -> Self {
        Self {
            id: face_id(&p.id, "pay_", PAYMENT_PREFIX),
            external_id: p.reference.clone(),
            amount: minor_units(p.amount),
            currency: p.currency.code().to_owned(),
            fee_amount: minor_units(p.fee),
            net_amount: minor_units(p.net()),
            operator: operator(p.operator),
            operator_phone: p.payer_phone.as_ref().map(ToString::to_string),
            operator_tx_id: p.operator_reference.clone(),
            status: status(p.status),
            failure_code: p.failure_code.map(|c| failure_code(c).to_owned()),
            failure_message: p.failure_message.clone(),
            description: p.description.clone(),
            statement_descriptor: p.statement_descriptor.clone(),
            customer_id: p.customer_id.clone(),
            metadata: p.metadata.clone(),
            expires_at: (!p.status.is_debited()).then(|| iso_seconds(p.expires_at)),
            created_at: iso_seconds(p.created_at),
            updated_at: iso_seconds(p.updated_at),
        }
    }
}

/// The refund object.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxRefund {
    /// `re_…`
    id: String,
    /// `pi_…`
    payment_intent_id: String,
    #[schema(value_type = super::openapi::Centavos)]
    amount: String,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    currency: String,
    #[schema(value_type = super::openapi::PxRefundStatus)]
    status: &'static str,
    reason: Option<String>,
    #[schema(value_type = Option<super::openapi::PxFailureCode>)]
    failure_code: Option<String>,
    failure_message: Option<String>,
    operator_refund_id: Option<String>,
    #[schema(value_type = super::openapi::ShownMetadata)]
    metadata: BTreeMap<String, String>,
    #[schema(value_type = super::openapi::DateTime)]
    created_at: String,
    #[schema(value_type = super::openapi::DateTime)]
    updated_at: String,
}

impl From<&Refund> for PxRefund {
    fn from(r: &Refund) -> Self {
        Self {
            id: r.id.clone(),
            payment_intent_id: face_id(&r.payment_id, "pay_", PAYMENT_PREFIX),
            amount: minor_units(r.amount),
            currency: r.currency.code().to_owned(),
            status: refund_status(r.status),
            reason: r.reason.clone(),
            failure_code: r.failure_code.map(|c| failure_code(c).to_owned()),
            failure_message: r.failure_message.clone(),
            operator_refund_id: r.operator_refund_id.clone(),
            metadata: r.metadata.clone(),
            created_at: iso_seconds(r.created_at),
            updated_at: iso_seconds(r.updated_at),
        }
    }
}

/// The customer object.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxCustomer {
    /// `cu_…`
    id: String,
    phone: Option<String>,
    #[schema(value_type = Option<super::openapi::PxOperator>)]
    operator: Option<String>,
    country: Option<String>,
    name: Option<String>,
    email: Option<String>,
    #[schema(value_type = super::openapi::ShownMetadata)]
    metadata: BTreeMap<String, String>,
    #[schema(value_type = super::openapi::DateTime)]
    created_at: String,
    #[schema(value_type = super::openapi::DateTime)]
    updated_at: String,
}

impl From<&Customer> for PxCustomer {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id.clone(),
            phone: c.phone.as_ref().map(ToString::to_string),
            operator: c.operator.map(operator),
            country: c.country.clone(),
            name: c.name.clone(),
            email: c.email.clone(),
            metadata: c.metadata.clone(),
            created_at: iso_seconds(c.created_at),
            updated_at: iso_seconds(c.updated_at),
        }
    }
}

/// An endpoint's status in PlexosPay's words: enabled, or not.
pub const WEBHOOK_STATUSES: [&str; 2] = ["ACTIVE", "DISABLED"];

/// The webhook object (its secret only when just created).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxWebhook {
    /// `we_…`
    id: String,
    url: String,
    #[schema(value_type = Vec<super::openapi::PxWebhookEvent>)]
    events: Vec<String>,
    #[schema(value_type = super::openapi::PxWebhookStatus)]
    status: &'static str,
    description: Option<String>,
    /// `whsec_…`, only in the answer that created the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    secret: Option<String>,
    #[schema(value_type = super::openapi::DateTime)]
    created_at: String,
    #[schema(value_type = super::openapi::DateTime)]
    updated_at: String,
}

impl From<&Endpoint> for PxWebhook {
    fn from(e: &Endpoint) -> Self {
        Self {
            id: e.id.clone(),
            url: e.url.clone(),
            // `checkout.cancelled` is Kumbu's, added to `checkout.expired` subscriptions.
            events: e
                .events
                .iter()
                .filter(|t| *t != "checkout.cancelled")
                .cloned()
                .collect(),
            status: if e.status == "enabled" {
                WEBHOOK_STATUSES[0]
            } else {
                WEBHOOK_STATUSES[1]
            },
            description: e.description.clone(),
            secret: e.secret.clone(),
            created_at: iso_seconds(e.created_at),
            updated_at: iso_seconds(e.created_at),
        }
    }
}

/// A page: `{"data": [...], "hasMore": …}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxList<T> {
    /// The objects.
    pub data: Vec<T>,
    /// Whether more follow.
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_renders_and_the_names_are_plexospays() {
        let documented = [
            "CREATED",
            "OPERATOR_PENDING",
            "USER_CONFIRMING",
            "DEBITED",
            "SETTLED",
            "FAILED",
            "EXPIRED",
            "REFUNDED",
            "PARTIALLY_REFUNDED",
            "CANCELLED",
        ];
        for s in PaymentStatus::ALL {
            assert!(documented.contains(&status(s)), "{s:?}");
        }
        for s in RefundStatus::ALL {
            assert!(["PENDING", "PROCESSING", "SUCCEEDED", "FAILED"].contains(&refund_status(s)));
        }
        for o in ["CVMOVEL", "UNITEL_TMAIS", "MOCK"] {
            assert_eq!(operator(parse_operator(o).unwrap()), o);
        }
    }
}

/// The currency a checkout page collects (AOA is collected by Multicaixa reference, not on a
/// page).
pub const SESSION_CURRENCY: Currency = Currency::Cve;

/// A session status in PlexosPay's words (it knows no "cancelled": a session the customer
/// abandoned is as good as expired).
pub const fn session_status(s: CheckoutStatus) -> &'static str {
    match s {
        CheckoutStatus::Open => "OPEN",
        CheckoutStatus::Completed => "COMPLETED",
        CheckoutStatus::Expired | CheckoutStatus::Cancelled => "EXPIRED",
    }
}

/// A line item as PlexosPay shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxItem {
    pub id: String,
    pub product_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub quantity: i64,
    #[schema(value_type = openapi::Centavos)]
    pub unit_price: String,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: &'static str,
}

/// A checkout session as PlexosPay shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxCheckoutSession {
    /// `cs_…`
    pub id: String,
    /// The payment page to send the customer to.
    #[schema(format = "uri")]
    pub url: String,
    #[schema(value_type = openapi::Centavos)]
    pub amount: String,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: &'static str,
    #[schema(value_type = openapi::PxSessionStatus)]
    pub status: &'static str,
    /// Where a customer who gives up goes back to.
    pub return_url: Option<String>,
    /// Where the customer goes after paying.
    pub completion_url: String,
    pub customer_id: Option<String>,
    /// The `pi_…` that paid it.
    pub payment_intent_id: Option<String>,
    pub items: Vec<PxItem>,
    #[schema(value_type = openapi::ShownMetadata)]
    pub metadata: BTreeMap<String, String>,
    #[schema(value_type = openapi::DateTime)]
    pub expires_at: String,
    #[schema(value_type = openapi::DateTime)]
    pub created_at: String,
    #[schema(value_type = openapi::DateTime)]
    pub updated_at: String,
}

impl PxCheckoutSession {
    /// PlexosPay's view of `s`, its page under `base`.
    pub fn of(s: &CheckoutSession, base: &PublicUrl) -> Self {
        Self {
            id: s.id.clone(),
            url: base.checkout_page(&s.token),
            amount: minor_units(s.amount),
            currency: s.currency.code(),
            status: session_status(s.status),
            return_url: s.cancel_url.clone(),
            completion_url: s.return_url.clone(),
            customer_id: s.customer_id.clone(),
            payment_intent_id: s
                .payment_id
                .as_deref()
                .map(|p| face_id(p, "pay_", PAYMENT_PREFIX)),
            items: s
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| PxItem {
                    id: format!("li_{}_{}", &s.id[3..], i + 1),
                    product_id: it.product_id.clone(),
                    name: it.name.clone(),
                    description: it.description.clone(),
                    quantity: it.quantity,
                    unit_price: minor_units(it.unit_amount),
                    currency: s.currency.code(),
                })
                .collect(),
            metadata: s.metadata.clone(),
            expires_at: s.expires_at.to_rfc3339(),
            created_at: s.created_at.to_rfc3339(),
            updated_at: s.updated_at.to_rfc3339(),
        }
    }
}

/// The webhook `data` of a session event (`checkout.completed`, `checkout.expired`).
pub fn webhook_data(s: &CheckoutSession, base: &PublicUrl) -> Option<Value> {
    serde_json::to_value(PxCheckoutSession::of(s, base)).ok()
}
