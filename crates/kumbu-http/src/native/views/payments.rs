//! Payments' wire types: the create body, the payment as shown, its history and lists.

use kumbu_core::{Payment, StatusChange};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Body of `POST /v1/payments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentBody {
    /// Amount in the currency's minor unit (5000 = 5,000 XOF; 1050 = 10.50 CVE).
    #[schema(value_type = i64, example = 5000)]
    pub amount: serde_json::Number,
    /// ISO 4217 code: CVE, AOA, MZN, XOF or XAF.
    #[schema(example = "XOF")]
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: String,
    /// Who pays, and through which operator.
    #[serde(deserialize_with = "crate::extract::object::required")]
    pub payer: PayerBody,
    /// Your own id for this payment; unique per merchant and mode.
    #[schema(schema_with = crate::openapi::vocab::field::reference)]
    pub reference: Option<String>,
    /// Free text, at most 500 characters.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub description: Option<String>,
    /// What the payer's statement shows, where the operator supports it (at most 100 characters).
    #[schema(schema_with = crate::openapi::vocab::field::text_100)]
    pub statement_descriptor: Option<String>,
    /// One of your customers (`cu_…`).
    pub customer_id: Option<String>,
    /// Up to 50 string key-value pairs.
    #[schema(value_type = Option<crate::openapi::vocab::Metadata>)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Optional customer details.
    #[serde(default, deserialize_with = "crate::extract::object::optional")]
    pub customer: Option<CustomerBody>,
    /// Seconds until an unconfirmed payment expires (60–86400, default 600).
    #[schema(schema_with = crate::openapi::vocab::field::expires_in)]
    pub expires_in: Option<u64>,
}

/// The payer of a payment.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayerBody {
    /// E.164 phone number, e.g. +2250700000789.
    #[schema(example = "+2250700000789")]
    #[schema(value_type = crate::openapi::vocab::Phone)]
    pub phone: String,
    /// Operator code from `GET /v1/operators`, e.g. orange_ci.
    #[schema(example = "orange_ci")]
    #[schema(value_type = crate::openapi::vocab::Operator)]
    pub operator: String,
}

/// Who paid: the phone prompted (none for a payment by bank reference) and the operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayerView {
    /// E.164 phone number; null for a payment by bank reference.
    #[schema(example = "+2250700000789")]
    pub phone: Option<String>,
    /// Operator code, e.g. orange_ci or multicaixa.
    #[schema(example = "orange_ci")]
    pub operator: String,
}

/// Customer details.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    /// Name.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    pub name: Option<String>,
    /// Email.
    #[schema(schema_with = crate::openapi::vocab::field::text_254)]
    pub email: Option<String>,
}

/// One transition of a payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    /// Status before (null for creation).
    pub from: Option<String>,
    /// Status after.
    pub to: String,
    /// Why.
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    /// `pay_…`
    pub id: String,
    /// Always `payment`.
    pub object: &'static str,
    /// created, operator_pending, user_confirming, debited, settled, failed, expired, cancelled.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// Kumbu's fee, minor units.
    pub fee: i64,
    /// amount − fee.
    pub net: i64,
    /// Minor units given back by refunds that succeeded.
    pub amount_refunded: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The payer.
    pub payer: PayerView,
    /// The operator's transaction id, once known.
    pub operator_reference: Option<String>,
    /// Your reference.
    pub reference: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// What the payer's statement shows.
    pub statement_descriptor: Option<String>,
    /// The customer (`cu_…`) it is for.
    pub customer_id: Option<String>,
    /// The checkout session (`cs_…`) this payment is an attempt of, if any.
    pub checkout_session: Option<String>,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
    /// Customer details, if given.
    pub customer: Option<CustomerBody>,
    /// Stable failure code (PAYER_NOT_FOUND, …) when failed, expired or cancelled.
    pub failure_code: Option<String>,
    /// Human explanation of the failure.
    pub failure_message: Option<String>,
    /// The operator's own code for the outcome.
    pub operator_code: Option<String>,
    /// `true` for live payments.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339: when an unconfirmed payment expires.
    pub expires_at: String,
    /// For a payment by bank reference: what the Multicaixa network reported; null otherwise.
    pub bank_reference: Option<BankReferenceView>,
    /// The collection request (`cr_…`) it pays, if any.
    pub collection_request: Option<String>,
    /// For a payment recorded from outside Kumbu (operator `external`): what the record says.
    pub record: Option<super::RecordView>,
    /// RFC 3339: when a payment record was deleted (it is then hidden from lists).
    pub deleted_at: Option<String>,
    /// What the payer must do next, when it is more than answering a prompt: for an operator
    /// whose payers pay on its own page (Orange Money), the URL to send them to. Null otherwise,
    /// and once the payment has left the payer's hands.
    pub next_action: Option<NextActionView>,
    /// Every transition, oldest first (left out of the snapshot inside an event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryView>>,
}

/// The payer's next step.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextActionView {
    /// Always `redirect_to_url`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where to send the payer (Kumbu's hand-over, `…/pay/go/{token}`, which takes them on to
    /// the operator's page and back). Opaque; nothing personal in it.
    pub redirect_url: String,
}

impl PaymentView {
    /// The payment as the API answers with it: with its next action, whose URL is under `urls`.
    pub fn of(p: &Payment, urls: &crate::PublicUrl) -> Self {
        Self {
            next_action: next_action(p, urls),
            ..Self::from(p)
        }
    }
}

/// The URL a payer who pays on the operator's page is sent to, while the payment waits for them.
pub fn payer_redirect(p: &Payment, urls: &crate::PublicUrl) -> Option<String> {
    p.handover
        .as_deref()
        .filter(|_| p.status.awaits_payer())
        .map(|h| urls.handover(h))
}

fn next_action(p: &Payment, urls: &crate::PublicUrl) -> Option<NextActionView> {
    payer_redirect(p, urls).map(|redirect_url| NextActionView {
        kind: "redirect_to_url",
        redirect_url,
    })
}

/// A payment by reference, as the network reported it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankReferenceView {
    /// The reference paid, zero-padded to 9 digits.
    pub reference: String,
    /// The merchant's Multicaixa entity.
    pub entity: i64,
    /// The network's 12-digit payment id (ProxyPay's `id`).
    pub payment_id: i64,
    /// `ATM`, `POS`, `IB` or `MB`.
    pub terminal_type: String,
    /// When the payer paid (RFC 3339).
    pub paid_at: String,
}

impl From<&kumbu_core::BankPayment> for BankReferenceView {
    fn from(b: &kumbu_core::BankPayment) -> Self {
        Self {
            reference: format!("{:09}", b.reference_id),
            entity: b.entity_id,
            payment_id: b.payment_id,
            terminal_type: b.terminal_type.code().to_owned(),
            paid_at: b.paid_at.to_rfc3339(),
        }
    }
}

impl From<&StatusChange> for HistoryView {
    fn from(c: &StatusChange) -> Self {
        Self {
            from: c.from.map(|s| s.as_str().to_owned()),
            to: c.to.as_str().to_owned(),
            reason: c.reason.clone(),
            at: c.at.to_rfc3339(),
        }
    }
}

impl From<&Payment> for PaymentView {
    fn from(p: &Payment) -> Self {
        Self {
            id: p.id.clone(),
            object: "payment",
            status: p.status.as_str().to_owned(),
            amount: p.amount,
            fee: p.fee,
            net: p.net(),
            amount_refunded: p.amount_refunded,
            currency: p.currency.code().to_owned(),
            payer: PayerView {
                phone: p.payer_phone.as_ref().map(ToString::to_string),
                operator: p.operator.code().to_owned(),
            },
            operator_reference: p.operator_reference.clone(),
            reference: p.reference.clone(),
            description: p.description.clone(),
            statement_descriptor: p.statement_descriptor.clone(),
            customer_id: p.customer_id.clone(),
            checkout_session: p.checkout_session_id.clone(),
            metadata: p.metadata.clone(),
            customer: (p.customer_name.is_some() || p.customer_email.is_some()).then(|| {
                CustomerBody {
                    name: p.customer_name.clone(),
                    email: p.customer_email.clone(),
                }
            }),
            failure_code: p.failure_code.map(|c| c.as_str().to_owned()),
            failure_message: p.failure_message.clone(),
            operator_code: p.operator_code.clone(),
            livemode: p.mode.is_live(),
            created_at: p.created_at.to_rfc3339(),
            updated_at: p.updated_at.to_rfc3339(),
            expires_at: p.expires_at.to_rfc3339(),
            bank_reference: p.bank.as_ref().map(BankReferenceView::from),
            collection_request: p.collection_request_id.clone(),
            record: p.record.as_ref().map(super::RecordView::from),
            deleted_at: p.deleted_at.map(kumbu_core::Timestamp::to_rfc3339),
            next_action: None,
            history: Some(p.history.iter().map(HistoryView::from).collect()),
        }
    }
}

impl PaymentView {
    /// The payment as an event carries it: without its history.
    pub fn snapshot(p: &Payment) -> Self {
        Self {
            history: None,
            ..Self::from(p)
        }
    }
}

/// A page of payments, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    /// Always `list`.
    pub object: &'static str,
    /// The payments.
    pub data: Vec<PaymentView>,
    /// More (older) payments follow; pass the last id as `starting_after`.
    pub has_more: bool,
    /// The listing's path.
    pub url: &'static str,
}
