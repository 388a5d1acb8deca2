//! Simiz's wire objects and vocabularies. A Simiz *payment* is a Kumbu checkout session (the
//! customer pays on its page), so every object here is built from a [`CheckoutSession`] and its
//! latest attempt.

use super::openapi;
use crate::compat::common::iso_seconds;
use crate::urls::PublicUrl;
use kumbu_core::{CheckoutSession, CheckoutStatus, Operator, PaymentStatus, Refund, RefundStatus};
use kumbu_engine::{Endpoint, Event, EventObject};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Simiz's payment token prefix: the token is `pay_` and the page's secret.
pub const TOKEN_PREFIX: &str = "pay_";

/// The merchant's Simiz `projectId`: a stable UUID derived from the merchant id (one project
/// per merchant).
pub fn project_id(merchant_id: &str) -> String {
    let digest = Sha256::digest(format!("kumbu simiz project:{merchant_id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    // A UUID of version 8 (custom) and the RFC 4122 variant.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

/// The status of a Simiz payment. One arm per session status and attempt status.
pub const fn status(session: CheckoutStatus, attempt: Option<PaymentStatus>) -> &'static str {
    match (session, attempt) {
        (CheckoutStatus::Open, None) => "PENDING",
        (CheckoutStatus::Open, Some(p)) => match p {
            PaymentStatus::Created => "PENDING",
            PaymentStatus::OperatorPending | PaymentStatus::UserConfirming => "PROCESSING",
            // A debited attempt completes its session in the same transaction; an ended one
            // leaves the page open for another try.
            PaymentStatus::Debited
            | PaymentStatus::Settled
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded => "PROCESSING",
            PaymentStatus::Failed | PaymentStatus::Expired | PaymentStatus::Cancelled => "PENDING",
        },
        (CheckoutStatus::Completed, Some(PaymentStatus::Refunded)) => "REFUNDED",
        (CheckoutStatus::Completed, Some(PaymentStatus::PartiallyRefunded)) => "PARTIALLY_REFUNDED",
        (CheckoutStatus::Completed, Some(_) | None) => "COMPLETED",
        // Expired after a failed attempt: the payment failed rather than went unanswered.
        (CheckoutStatus::Expired, Some(PaymentStatus::Failed)) => "FAILED",
        (CheckoutStatus::Expired, Some(_) | None) => "EXPIRED",
        (CheckoutStatus::Cancelled, _) => "CANCELLED",
    }
}

/// The status of a Simiz checkout session.
pub const fn session_status(
    session: CheckoutStatus,
    attempt: Option<PaymentStatus>,
) -> &'static str {
    match (session, attempt) {
        (CheckoutStatus::Open, None) => "idle",
        (CheckoutStatus::Open, Some(p)) => match p {
            PaymentStatus::Created | PaymentStatus::OperatorPending => "processing",
            PaymentStatus::UserConfirming => "pending_ussd",
            PaymentStatus::Debited
            | PaymentStatus::Settled
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded => "processing",
            PaymentStatus::Failed | PaymentStatus::Expired | PaymentStatus::Cancelled => "failed",
        },
        (CheckoutStatus::Completed, _) => "success",
        (CheckoutStatus::Expired, _) => "expired",
        (CheckoutStatus::Cancelled, _) => "cancelled",
    }
}

/// Simiz's payment method for an operator (its payment enum knows two).
pub const fn payment_method(op: Operator) -> &'static str {
    match op {
        Operator::OrangeCi | Operator::OrangeCm => "ORANGE_MONEY",
        Operator::MtnCi | Operator::MtnCm => "MTN_MOMO",
        Operator::Cvmovel
        | Operator::UnitelTmais
        | Operator::Multicaixa
        | Operator::MpesaMz
        | Operator::Emola
        | Operator::MoovCi
        | Operator::WaveCi
        | Operator::Mock
        | Operator::External => "UNKNOWN",
    }
}

/// Simiz's checkout method for an operator (its session enum knows four).
pub const fn session_method(op: Operator) -> Option<&'static str> {
    match op {
        Operator::OrangeCi | Operator::OrangeCm => Some("ORANGE_MONEY"),
        Operator::MtnCi | Operator::MtnCm => Some("MTN_MOMO"),
        Operator::WaveCi => Some("WAVE"),
        Operator::MoovCi => Some("MOOV_MONEY"),
        Operator::Cvmovel
        | Operator::UnitelTmais
        | Operator::Multicaixa
        | Operator::MpesaMz
        | Operator::Emola
        | Operator::Mock
        | Operator::External => None,
    }
}

/// A Simiz payment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmzPayment {
    /// A UUID.
    #[schema(format = "uuid")]
    pub id: String,
    /// `pay_…`
    pub token: String,
    #[schema(format = "uuid")]
    pub project_id: String,
    /// The operator's transaction id, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub reference: Option<String>,
    /// Whole francs.
    pub amount: i64,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: &'static str,
    #[schema(value_type = super::openapi::SmzPaymentStatus)]
    pub status: &'static str,
    /// Once the payer chose an operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = super::openapi::SmzPaymentMethod)]
    pub payment_method: Option<&'static str>,
    /// Kumbu's payment page; null once the payment can no longer be paid.
    #[schema(format = "uri", required = true)]
    pub payment_url: Option<String>,
    /// Once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub payer_phone: Option<String>,
    /// Once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub payer_name: Option<String>,
    /// Never known (the page does not ask for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub payer_email: Option<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    pub livemode: bool,
    #[schema(value_type = super::openapi::DateTime)]
    pub created_at: String,
    #[schema(value_type = Option<super::openapi::DateTime>, required = true)]
    pub completed_at: Option<String>,
}

impl SmzPayment {
    /// The Simiz payment of session `s`; its page is under `base`. `payer_name` is the name the
    /// operator holds for the payer, where known.
    pub fn of(s: &CheckoutSession, base: &PublicUrl, payer_name: Option<String>) -> Self {
        let attempt = s.attempt.as_ref();
        let open = s.status == CheckoutStatus::Open;
        Self {
            id: s.uuid.clone(),
            token: format!("{TOKEN_PREFIX}{}", s.token),
            project_id: project_id(&s.merchant_id),
            reference: attempt.and_then(|a| a.operator_reference.clone()),
            amount: s.amount,
            currency: s.currency.code(),
            status: status(s.status, attempt.map(|a| a.status)),
            payment_method: attempt.map(|a| payment_method(a.operator)),
            payment_url: open.then(|| base.checkout_page(&format!("{TOKEN_PREFIX}{}", s.token))),
            payer_phone: attempt.and_then(|a| a.payer_phone.as_ref().map(ToString::to_string)),
            payer_name: payer_name.or_else(|| s.customer_name.clone()),
            payer_email: None,
            description: s.description.clone(),
            livemode: s.mode == kumbu_core::Mode::Live,
            created_at: iso_seconds(s.created_at),
            completed_at: s.completed_at.map(iso_seconds),
        }
    }
}

/// The `object` of a checkout session.
pub const SESSION_OBJECT: &str = "checkout.session";

/// A Simiz checkout session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmzSession {
    /// `cs_…`
    pub id: String,
    #[schema(value_type = super::openapi::SessionObject)]
    pub object: &'static str,
    #[schema(format = "uuid")]
    pub project_id: String,
    /// Kumbu's payment page.
    #[schema(format = "uri")]
    pub url: String,
    #[schema(value_type = super::openapi::SmzSessionStatus)]
    pub status: &'static str,
    /// Whole francs.
    pub amount: i64,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: &'static str,
    #[schema(required = true)]
    pub description: Option<String>,
    pub success_url: String,
    #[schema(required = true)]
    pub cancel_url: Option<String>,
    pub merchant_name: String,
    #[schema(value_type = Vec<super::openapi::SmzSessionMethod>)]
    pub payment_methods: Vec<&'static str>,
    #[schema(value_type = Option<super::openapi::SmzSessionMethod>, required = true)]
    pub payment_method: Option<&'static str>,
    /// Kumbu's `pay_…` that paid it.
    #[schema(required = true)]
    pub payment_id: Option<String>,
    #[schema(value_type = super::openapi::ShownMetadata)]
    pub metadata: std::collections::BTreeMap<String, String>,
    pub livemode: bool,
    #[schema(value_type = super::openapi::DateTime)]
    pub expires_at: String,
    #[schema(value_type = super::openapi::DateTime)]
    pub created_at: String,
    #[schema(value_type = Option<super::openapi::DateTime>, required = true)]
    pub completed_at: Option<String>,
}

impl SmzSession {
    /// The Simiz view of session `s`, for merchant `merchant_name`.
    pub fn of(s: &CheckoutSession, base: &PublicUrl, merchant_name: &str) -> Self {
        let attempt = s.attempt.as_ref();
        Self {
            id: s.id.clone(),
            object: SESSION_OBJECT,
            project_id: project_id(&s.merchant_id),
            url: base.checkout_page(&s.token),
            status: session_status(s.status, attempt.map(|a| a.status)),
            amount: s.amount,
            currency: s.currency.code(),
            description: s.description.clone(),
            success_url: s.return_url.clone(),
            cancel_url: s.cancel_url.clone(),
            merchant_name: merchant_name.to_owned(),
            payment_methods: s
                .operators
                .iter()
                .filter_map(|o| session_method(*o))
                .collect(),
            payment_method: attempt.and_then(|a| session_method(a.operator)),
            payment_id: s.payment_id.clone(),
            metadata: s.metadata.clone(),
            livemode: s.mode == kumbu_core::Mode::Live,
            expires_at: iso_seconds(s.expires_at),
            created_at: iso_seconds(s.created_at),
            completed_at: s.completed_at.map(iso_seconds),
        }
    }
}

/// The events a Simiz endpoint may subscribe to.
pub const EVENTS: [&str; 5] = [
    "transaction.created",
    "transaction.completed",
    "transaction.failed",
    "transaction.expired",
    "transaction.cancelled",
];

/// Simiz's name for a Kumbu event, if Simiz sends one for it.
pub fn simiz_event(e: &Event) -> Option<&'static str> {
    let EventObject::CheckoutSession(s) = &e.object else {
        return None;
    };
    match e.event_type.as_str() {
        "checkout.created" => Some("transaction.created"),
        "checkout.completed" => Some("transaction.completed"),
        "checkout.cancelled" => Some("transaction.cancelled"),
        "checkout.expired" => Some(
            match status(s.status, s.attempt.as_ref().map(|a| a.status)) {
                "FAILED" => "transaction.failed",
                _ => "transaction.expired",
            },
        ),
        _ => None,
    }
}

/// The Kumbu event type behind a Simiz one (for subscriptions).
pub fn kumbu_event(simiz: &str) -> Option<&'static str> {
    match simiz {
        "transaction.created" => Some("checkout.created"),
        "transaction.completed" => Some("checkout.completed"),
        "transaction.cancelled" => Some("checkout.cancelled"),
        "transaction.expired" | "transaction.failed" => Some("checkout.expired"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_renders_and_the_names_are_simizs() {
        let names = [
            "PENDING",
            "PROCESSING",
            "COMPLETED",
            "FAILED",
            "CANCELLED",
            "EXPIRED",
            "REFUNDED",
            "PARTIALLY_REFUNDED",
        ];
        let mut seen = std::collections::BTreeSet::new();
        for s in CheckoutStatus::ALL {
            let attempts = std::iter::once(None).chain(PaymentStatus::ALL.into_iter().map(Some));
            for a in attempts {
                let st = status(s, a);
                assert!(names.contains(&st), "{s:?} {a:?}");
                seen.insert(st);
                let ss = session_status(s, a);
                assert!([
                    "idle",
                    "processing",
                    "pending_ussd",
                    "success",
                    "failed",
                    "expired",
                    "cancelled"
                ]
                .contains(&ss));
            }
        }
        assert_eq!(seen.len(), names.len(), "every Simiz status is reachable");
        for op in Operator::ALL {
            assert!(["ORANGE_MONEY", "MTN_MOMO", "UNKNOWN"].contains(&payment_method(op)));
        }
    }

    #[test]
    fn project_ids_are_stable_uuids() {
        let a = project_id("mer_abc");
        assert_eq!(a, project_id("mer_abc"));
        assert_ne!(a, project_id("mer_abd"));
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 8);
    }
}

/// A refund's status in Simiz's words. One arm per status.
pub(super) const fn refund_status(s: RefundStatus) -> &'static str {
    match s {
        RefundStatus::Pending | RefundStatus::Processing => "PENDING",
        RefundStatus::Succeeded => "COMPLETED",
        RefundStatus::Failed => "FAILED",
    }
}

/// A Simiz refund.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SmzRefund {
    /// `re_…`
    id: String,
    /// The refunded payment's `id`.
    payment_id: String,
    /// Whole francs.
    amount: i64,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    currency: &'static str,
    #[schema(value_type = openapi::SmzRefundStatus)]
    status: &'static str,
    reason: Option<String>,
    #[schema(value_type = openapi::DateTime)]
    created_at: String,
}

impl SmzRefund {
    pub(super) fn of(r: &Refund, payment_id: &str) -> Self {
        Self {
            id: r.id.clone(),
            payment_id: payment_id.to_owned(),
            amount: r.amount,
            currency: r.currency.code(),
            status: refund_status(r.status),
            reason: r.reason.clone(),
            created_at: iso_seconds(r.created_at),
        }
    }
}

/// An endpoint's status in Simiz's words: enabled, or not.
pub(super) const WEBHOOK_STATUSES: [&str; 2] = ["active", "inactive"];

/// A Simiz webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SmzWebhook {
    /// `we_…`
    id: String,
    url: String,
    #[schema(value_type = Vec<openapi::SmzEvent>)]
    events: Vec<String>,
    #[schema(value_type = openapi::SmzWebhookStatus)]
    status: &'static str,
    /// `whsec_…`, only in the answer that created the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    secret: Option<String>,
    #[schema(value_type = openapi::DateTime)]
    created_at: String,
}

impl From<&Endpoint> for SmzWebhook {
    fn from(e: &Endpoint) -> Self {
        let mut events: Vec<String> = Vec::new();
        for k in &e.events {
            for s in EVENTS {
                if (k == "*" || kumbu_event(s) == Some(k.as_str()))
                    && !events.iter().any(|x| x == s)
                {
                    events.push(s.to_owned());
                }
            }
        }
        Self {
            id: e.id.clone(),
            url: e.url.clone(),
            events,
            status: if e.status == "enabled" {
                WEBHOOK_STATUSES[0]
            } else {
                WEBHOOK_STATUSES[1]
            },
            secret: e.secret.clone(),
            created_at: iso_seconds(e.created_at),
        }
    }
}
