//! Adullam's objects, and the one table from Kumbu's statuses, operators and events to its
//! names.

use crate::compat::common::{face_id, iso_seconds};
use kumbu_core::{
    FailureCode, Operator, Payment, PaymentStatus, Payout, PayoutStatus, Refund, RefundStatus,
    Timestamp,
};
use kumbu_engine::Endpoint;
use serde::Serialize;
use std::collections::BTreeMap;

/// Refund ids are shown as `refund_…`, webhook ids as `webhook_…`.
pub const REFUND_PREFIX: &str = "refund_";
/// See [`REFUND_PREFIX`].
pub const WEBHOOK_PREFIX: &str = "webhook_";
/// `reference` is `REF_` and the payment id's random part.
pub const REFERENCE_PREFIX: &str = "REF_";

/// A payment status in Adullam's words. One arm per status. A payment is `pending` until the
/// payer has the prompt, `processing` until the money settles, `completed` once it has
/// (refunds show on the refund objects), matching when `payment.completed` is sent.
pub const fn status(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Created | PaymentStatus::OperatorPending => "pending",
        PaymentStatus::UserConfirming | PaymentStatus::Debited => "processing",
        PaymentStatus::Settled | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
            "completed"
        }
        PaymentStatus::Failed => "failed",
        PaymentStatus::Expired => "expired",
        PaymentStatus::Cancelled => "cancelled",
    }
}

/// The statuses a list may be filtered by: Adullam's documented ones.
pub const STATUS_FILTERS: [&str; 7] = [
    "created",
    "pending",
    "processing",
    "completed",
    "failed",
    "expired",
    "cancelled",
];

/// The Kumbu statuses an Adullam status filter means (`created` matches none: Kumbu shows new
/// payments as `pending`).
pub fn statuses_for(filter: &str) -> Option<Vec<PaymentStatus>> {
    STATUS_FILTERS.contains(&filter).then(|| {
        PaymentStatus::ALL
            .into_iter()
            .filter(|s| status(*s) == filter)
            .collect()
    })
}

/// A refund status in Adullam's words.
pub const fn refund_status(s: RefundStatus) -> &'static str {
    match s {
        RefundStatus::Pending => "pending",
        RefundStatus::Processing => "processing",
        RefundStatus::Succeeded => "completed",
        RefundStatus::Failed => "failed",
    }
}

/// Adullam's channels, and the operators they are.
pub const CHANNELS: [(&str, Operator); 4] = [
    ("orangeCI", Operator::OrangeCi),
    ("mtnCI", Operator::MtnCi),
    ("moovCI", Operator::MoovCi),
    ("waveCI", Operator::WaveCi),
];

/// Adullam's channels.
pub fn parse_channel(s: &str) -> Option<Operator> {
    CHANNELS.iter().find(|(c, _)| *c == s).map(|(_, o)| *o)
}

/// An operator as an Adullam channel (its four, and others by their Kumbu code).
pub fn channel(o: Operator) -> String {
    match o {
        Operator::OrangeCi => "orangeCI".to_owned(),
        Operator::MtnCi => "mtnCI".to_owned(),
        Operator::MoovCi => "moovCI".to_owned(),
        Operator::WaveCi => "waveCI".to_owned(),
        Operator::Cvmovel
        | Operator::UnitelTmais
        | Operator::Multicaixa
        | Operator::MpesaMz
        | Operator::Emola
        | Operator::OrangeCm
        | Operator::MtnCm
        | Operator::Mock
        | Operator::External => o.code().to_owned(),
    }
}

/// Transfer ids are shown as `txf_…` (a payout's `po_…`).
pub const TRANSFER_PREFIX: &str = "txf_";

/// A transfer's status in Adullam's words. One arm per status.
pub const fn transfer_status(s: PayoutStatus) -> &'static str {
    match s {
        PayoutStatus::Pending => "pending",
        PayoutStatus::Processing => "processing",
        PayoutStatus::Succeeded => "completed",
        PayoutStatus::Failed => "failed",
    }
}

/// A transfer: money sent from the merchant's balance to a wallet (a Kumbu payout).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdTransfer {
    /// `txf_…`
    id: String,
    #[schema(value_type = super::openapi::AdTransferStatus)]
    status: &'static str,
    /// Whole XOF sent.
    amount: i64,
    /// What the gateway kept on it, whole XOF (your price for transfers; 0 unless set), taken
    /// from your balance with the amount and given back if the transfer fails.
    fees: i64,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    currency: String,
    recipient_phone: String,
    /// The name the operator holds for the number, where known.
    recipient_name: Option<String>,
    #[schema(value_type = super::openapi::AdChannelShown)]
    channel: String,
    /// The operator's reference for the transfer, once it has one.
    ussd_reference: Option<String>,
    reference: Option<String>,
    description: Option<String>,
    metadata: BTreeMap<String, String>,
    #[schema(value_type = Option<super::openapi::AdFailureReason>)]
    failure_reason: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(format = DateTime)]
    completed_at: Option<String>,
}

impl AdTransfer {
    /// The transfer of payout `p`, its recipient named `recipient_name`.
    pub fn of(p: &Payout, recipient_name: Option<String>) -> Self {
        Self {
            id: face_id(&p.id, "po_", TRANSFER_PREFIX),
            status: transfer_status(p.status),
            amount: p.amount,
            fees: p.fee,
            currency: p.currency.code().to_owned(),
            recipient_phone: p.payee_phone.to_string(),
            recipient_name,
            channel: channel(p.operator),
            ussd_reference: p.operator_reference.clone(),
            reference: p.reference.clone(),
            description: p.description.clone(),
            metadata: p.metadata.clone(),
            failure_reason: p.failure_code.map(|c| failure_reason(c).to_owned()),
            created_at: iso_seconds(p.created_at),
            updated_at: iso_seconds(p.updated_at),
            completed_at: (p.status == PayoutStatus::Succeeded).then(|| iso_seconds(p.updated_at)),
        }
    }
}

/// `GET /v1/transfers`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdTransferList {
    pub data: Vec<AdTransfer>,
    pub has_more: bool,
    /// Pass it as `cursor` for the next page (null on the last).
    pub next_cursor: Option<String>,
}

/// `REF_…` for a payment id.
pub fn reference(payment_id: &str) -> String {
    face_id(payment_id, "pay_", REFERENCE_PREFIX)
}

/// The operator's USSD reference as Adullam shows it: `MP<yymmdd>.<hhmm>.<letter><5 digits>`,
/// derived from the payment (stable across reads).
pub fn ussd_reference(p: &Payment) -> String {
    let t = p.created_at.to_rfc3339(); // 2024-01-15T10:30:00.000Z
    let (date, time) = (&t[2..10], &t[11..16]);
    let hash =
        p.id.bytes()
            .fold(7u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b)));
    let letter = char::from(b'A' + (hash % 26) as u8);
    format!(
        "MP{}.{}.{letter}{:05}",
        date.replace('-', ""),
        time.replace(':', ""),
        (hash / 26) % 100_000
    )
}

/// When the money settled, from the payment's history.
fn completed_at(p: &Payment) -> Option<Timestamp> {
    p.history
        .iter()
        .find(|c| c.to.is_settled())
        .map(|c| c.at)
        .or_else(|| p.status.is_settled().then_some(p.updated_at))
}

/// Adullam's channels as Kumbu operators (its lists show only these).
pub const OPERATORS: [Operator; 4] = [CHANNELS[0].1, CHANNELS[1].1, CHANNELS[2].1, CHANNELS[3].1];

/// A failure in Adullam's words (`failure_reason`). One arm per code.
pub const fn failure_reason(c: FailureCode) -> &'static str {
    match c {
        FailureCode::PayerNotFound => "customer_not_found",
        FailureCode::InsufficientBalance => "insufficient_funds",
        FailureCode::PaymentDeclined => "declined_by_customer",
        FailureCode::PaymentExpired => "expired",
        FailureCode::InvalidOtp => "invalid_otp",
        FailureCode::PayerLimitReached => "limit_exceeded",
        FailureCode::PaymentInProgress => "payment_in_progress",
        FailureCode::AccountNotAllowed => "account_not_allowed",
        FailureCode::ProviderUnavailable => "operator_unavailable",
        FailureCode::ProviderError => "operator_error",
        FailureCode::ReferenceExpired => "reference_expired",
        FailureCode::Cancelled => "cancelled",
    }
}

/// The payment object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdPayment {
    /// `pay_…`
    id: String,
    #[schema(value_type = super::openapi::AdStatus)]
    status: &'static str,
    /// Whole XOF (the currency's smallest unit).
    amount: i64,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    currency: String,
    /// E.164.
    customer_phone: Option<String>,
    /// The name the operator holds for the number (null when not known).
    customer_name: Option<String>,
    #[schema(value_type = super::openapi::AdChannelShown)]
    channel: String,
    description: Option<String>,
    /// `REF_` and the payment id's random part.
    reference: String,
    /// The operator's reference, `MP<yymmdd>.<hhmm>.<letter><5 digits>`.
    #[schema(pattern = "^MP[0-9]{6}\\.[0-9]{4}\\.[A-Z][0-9]{5}$")]
    ussd_reference: Option<String>,
    fees: i64,
    /// `amount` less `fees`.
    net_amount: i64,
    metadata: BTreeMap<String, String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// When the money settled.
    #[schema(format = DateTime)]
    completed_at: Option<String>,
    #[schema(value_type = Option<super::openapi::AdFailureReason>)]
    failure_reason: Option<String>,
    /// For `orangeCI` (the payer pays on Orange's page): where to send the payer, while the
    /// payment waits for them. Absent for channels that prompt the payer's phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_url: Option<String>,
}

impl AdPayment {
    /// The view of `p`; `customer_name` is what the operator holds for the number.
    pub fn of(p: &Payment, customer_name: Option<String>) -> Self {
        Self {
            id: p.id.clone(),
            status: status(p.status),
            amount: p.amount,
            currency: p.currency.code().to_owned(),
            customer_phone: p.payer_phone.as_ref().map(ToString::to_string),
            customer_name,
            channel: channel(p.operator),
            description: p.description.clone(),
            reference: reference(&p.id),
            ussd_reference: Some(ussd_reference(p)),
            fees: p.fee,
            net_amount: p.net(),
            metadata: p.metadata.clone(),
            created_at: iso_seconds(p.created_at),
            updated_at: iso_seconds(p.updated_at),
            completed_at: completed_at(p).map(iso_seconds),
            failure_reason: p.failure_code.map(|c| failure_reason(c).to_owned()),
            redirect_url: None,
        }
    }

    /// With the URL the payer is sent to, where there is one (answers to the API; not in
    /// webhooks, which go to the merchant's server).
    pub fn with_redirect(self, p: &Payment, urls: &crate::PublicUrl) -> Self {
        Self {
            redirect_url: crate::native::views::payer_redirect(p, urls),
            ..self
        }
    }
}

/// The refund object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdRefund {
    /// `refund_…`
    id: String,
    payment_id: String,
    #[schema(value_type = super::openapi::AdRefundStatus)]
    status: &'static str,
    amount: i64,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    currency: String,
    reason: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<super::openapi::AdFailureReason>)]
    failure_reason: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(format = DateTime)]
    completed_at: Option<String>,
}

impl From<&Refund> for AdRefund {
    fn from(r: &Refund) -> Self {
        Self {
            id: face_id(&r.id, "re_", REFUND_PREFIX),
            payment_id: r.payment_id.clone(),
            status: refund_status(r.status),
            amount: r.amount,
            currency: r.currency.code().to_owned(),
            reason: r.reason.clone(),
            description: r.metadata.get("description").cloned(),
            failure_reason: r.failure_code.map(|c| failure_reason(c).to_owned()),
            created_at: iso_seconds(r.created_at),
            updated_at: iso_seconds(r.updated_at),
            completed_at: (r.status == RefundStatus::Succeeded).then(|| iso_seconds(r.updated_at)),
        }
    }
}

/// Adullam's webhook events, and the Kumbu events each stands for (Kumbu sends no
/// `transfer.processing` nor `transfer.reversed`: a payout has no event when it reaches the
/// operator, and none is reversed).
pub const EVENTS: [(&str, &[&str]); 8] = [
    ("payment.created", &["payment.created"]),
    ("payment.processing", &["payment.user_confirming"]),
    ("payment.completed", &["payment.settled"]),
    (
        "payment.failed",
        &["payment.failed", "payment.expired", "payment.cancelled"],
    ),
    ("payment.refunded", &["refund.succeeded"]),
    ("transfer.created", &["payout.created"]),
    ("transfer.completed", &["payout.succeeded"]),
    ("transfer.failed", &["payout.failed"]),
];

/// The Adullam name of a Kumbu event, if it has one.
pub fn adullam_event(kumbu: &str) -> Option<&'static str> {
    EVENTS
        .iter()
        .find(|(_, ks)| ks.contains(&kumbu))
        .map(|(a, _)| *a)
}

/// The webhook object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdWebhook {
    /// `webhook_…`
    id: String,
    url: String,
    #[schema(value_type = Vec<super::openapi::AdEvent>)]
    events: Vec<String>,
    #[schema(value_type = super::openapi::AdWebhookStatus)]
    status: &'static str,
    description: Option<String>,
    /// `whsec_…`, shown once: in the answer that creates the webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

/// Webhook statuses: (enabled, its name; otherwise).
pub const WEBHOOK_STATUSES: [&str; 2] = ["active", "inactive"];

impl From<&Endpoint> for AdWebhook {
    fn from(e: &Endpoint) -> Self {
        let mut events: Vec<String> = e
            .events
            .iter()
            .filter_map(|k| adullam_event(k))
            .map(str::to_owned)
            .collect();
        events.dedup();
        Self {
            id: face_id(&e.id, "we_", WEBHOOK_PREFIX),
            url: e.url.clone(),
            events,
            status: if e.status == "enabled" {
                WEBHOOK_STATUSES[0]
            } else {
                WEBHOOK_STATUSES[1]
            },
            description: e.description.clone(),
            secret: e.secret.clone(),
            created_at: iso_seconds(e.created_at),
        }
    }
}

/// `GET /v1/payments`' answer, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdPaymentList {
    pub data: Vec<AdPayment>,
    pub has_more: bool,
    /// Pass it as `cursor` for the next page (null on the last).
    pub next_cursor: Option<String>,
}

/// `GET /v1/payments/search`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdPaymentSearch {
    pub data: Vec<AdPayment>,
    /// How many payments match, across pages.
    pub total_count: i64,
    pub has_more: bool,
    /// Pass it as `cursor` for the next page (null on the last).
    pub next_cursor: Option<String>,
}

/// `GET /v1/webhooks`' answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdWebhookList {
    pub data: Vec<AdWebhook>,
}

/// `POST /v1/auth/token`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasswordToken {
    /// `at_…`: send it as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(value_type = super::openapi::TokenType)]
    pub token_type: &'static str,
    /// Seconds the token lives.
    pub expires_in: u64,
    /// The partner (merchant) the token acts for.
    pub partner_id: String,
}

/// `POST /v1/oauth/token`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientToken {
    /// `at_…`: send it as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(value_type = super::openapi::TokenType)]
    pub token_type: &'static str,
    /// Seconds the token lives.
    pub expires_in: u64,
    /// What the token may do.
    pub scope: &'static str,
}

/// Access tokens are bearer tokens.
pub const TOKEN_TYPE: &str = "Bearer";

/// The scope a client-credentials token is granted.
pub const SCOPE: &str = "payments refunds webhooks";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_an_adullam_name_and_filters_invert_it() {
        let documented = [
            "created",
            "pending",
            "processing",
            "completed",
            "failed",
            "expired",
            "cancelled",
        ];
        for s in PaymentStatus::ALL {
            assert!(documented.contains(&status(s)), "{s:?}");
            assert!(statuses_for(status(s)).unwrap().contains(&s));
        }
        assert_eq!(statuses_for("created"), Some(vec![]));
        assert_eq!(statuses_for("done"), None);
        for c in ["orangeCI", "mtnCI", "moovCI", "waveCI"] {
            assert_eq!(channel(parse_channel(c).unwrap()), c);
        }
    }
}
