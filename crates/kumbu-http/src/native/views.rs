//! Native wire types: what goes over HTTP, kept apart from the domain types they translate.

use kumbu_core::{OperatorInfo, Payment, StatusChange};
use kumbu_engine::{Balance, Prompt};
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
    pub record: Option<super::collection_views::RecordView>,
    /// RFC 3339: when a payment record was deleted (it is then hidden from lists).
    pub deleted_at: Option<String>,
    /// Every transition, oldest first (left out of the snapshot inside an event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryView>>,
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
            record: p
                .record
                .as_ref()
                .map(super::collection_views::RecordView::from),
            deleted_at: p.deleted_at.map(kumbu_core::Timestamp::to_rfc3339),
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

/// How phone numbers of an operator look.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneFormat {
    /// e.g. +225.
    pub dial_code: Option<String>,
    /// Allowed national number lengths.
    pub national_digits: Vec<usize>,
    /// A valid example.
    pub example: Option<String>,
}

/// A fee schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeView {
    /// Percentage in basis points (100 = 1 %).
    pub percent_bps: u32,
    /// Fixed part, minor units.
    pub fixed: i64,
    /// Minimum fee, minor units.
    pub min: i64,
    /// Maximum fee, minor units.
    pub max: Option<i64>,
}

/// A rail of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    /// Always `operator`.
    pub object: &'static str,
    /// Code to use in `payer.operator`.
    pub operator: String,
    /// Commercial name.
    pub name: String,
    /// ISO 3166 country (null: any, for the mock operator).
    pub country: Option<String>,
    /// Currencies collected.
    pub currencies: Vec<String>,
    /// mobile_money_push or bank_reference.
    pub kind: String,
    /// Smallest amount, minor units.
    pub min_amount: i64,
    /// Largest amount, minor units.
    pub max_amount: i64,
    /// Payer phone format.
    pub phone_format: PhoneFormat,
    /// Fee schedule.
    pub fee: FeeView,
    /// Usable with test keys only.
    pub test_only: bool,
}

impl From<&OperatorInfo> for OperatorView {
    fn from(i: &OperatorInfo) -> Self {
        let kind = match i.kind {
            kumbu_core::RailKind::MobileMoneyPush => "mobile_money_push",
            kumbu_core::RailKind::BankReference => "bank_reference",
            kumbu_core::RailKind::External => "external",
        };
        Self {
            object: "operator",
            operator: i.operator.code().to_owned(),
            name: i.name.to_owned(),
            country: i.country.map(|c| c.code().to_owned()),
            currencies: i.currencies.iter().map(|c| c.code().to_owned()).collect(),
            kind: kind.to_owned(),
            min_amount: i.min_amount,
            max_amount: i.max_amount,
            phone_format: PhoneFormat {
                dial_code: i.country.map(|c| format!("+{}", c.dial_code())),
                national_digits: i
                    .country
                    .map(|c| c.national_lengths().to_vec())
                    .unwrap_or_default(),
                example: i.country.map(|c| c.example_phone().to_owned()),
            },
            fee: FeeView {
                percent_bps: i.fee.percent_bps,
                fixed: i.fee.fixed,
                min: i.fee.min,
                max: i.fee.max,
            },
            test_only: i.test_only,
        }
    }
}

/// The operator catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorList {
    /// Always `list`.
    pub object: &'static str,
    /// Every operator.
    pub data: Vec<OperatorView>,
    /// Never: the catalogue is one page.
    pub has_more: bool,
}

/// Money in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceLine {
    /// ISO 4217 code.
    pub currency: String,
    /// Debited, not yet settled (net of fees), minor units.
    pub pending: i64,
    /// Settled and available, minor units.
    pub available: i64,
}

impl From<&Balance> for BalanceLine {
    fn from(b: &Balance) -> Self {
        Self {
            currency: b.currency.code().to_owned(),
            pending: b.pending,
            available: b.available,
        }
    }
}

/// The merchant's balance, from the ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    /// Always `balance`.
    pub object: &'static str,
    /// `true` for the live balance.
    pub livemode: bool,
    /// One line per currency with activity.
    pub balances: Vec<BalanceLine>,
}

/// A prompt on a sandbox phone.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptView {
    /// `prm_…`
    pub id: String,
    /// Always `sandbox.prompt`.
    pub object: &'static str,
    /// The payment asked about.
    pub payment: String,
    /// The phone showing the prompt.
    pub phone: String,
    /// Operator code.
    pub operator: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The payment's description.
    pub description: Option<String>,
    /// RFC 3339.
    pub expires_at: String,
}

impl From<&Prompt> for PromptView {
    fn from(p: &Prompt) -> Self {
        Self {
            id: p.id.clone(),
            object: "sandbox.prompt",
            payment: p.payment.id.clone(),
            phone: p
                .payment
                .payer_phone
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
            operator: p.payment.operator.code().to_owned(),
            amount: p.payment.amount,
            currency: p.payment.currency.code().to_owned(),
            description: p.payment.description.clone(),
            expires_at: p.payment.expires_at.to_rfc3339(),
        }
    }
}

/// A list of prompts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptList {
    /// Always `list`.
    pub object: &'static str,
    /// Prompts waiting for an answer, oldest first.
    pub data: Vec<PromptView>,
    /// Never.
    pub has_more: bool,
}

/// The object inside an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventData {
    /// The object as it was right after the change.
    pub object: EventDataObject,
}

/// What an event is about.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventDataObject {
    /// A payment, without its history (`payment.*` events).
    Payment(Box<PaymentView>),
    /// A webhook endpoint, without its secret (`webhook_endpoint.*` events).
    WebhookEndpoint(Box<EndpointView>),
    /// A refund (`refund.*` events).
    Refund(Box<RefundView>),
    /// A checkout session (`checkout.*` events).
    CheckoutSession(Box<super::checkout::CheckoutSessionView>),
    /// A collection request (`collection_request.*` events).
    CollectionRequest(Box<super::collection_views::CollectionRequestView>),
    /// A payment reported from outside (`payment_ingest.*` events).
    IngestedPayment(Box<super::collection_views::IngestView>),
    /// A payout (`payout.*` events).
    Payout(Box<super::payouts::PayoutView>),
}

/// An event: one change of one object.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// `evt_…`
    pub id: String,
    /// Always `event`.
    pub object: &'static str,
    /// `payment.created`, `payment.operator_pending`, `payment.user_confirming`,
    /// `payment.debited`, `payment.settled`, `payment.failed`, `payment.expired`,
    /// `payment.cancelled`, `payment.partially_refunded`, `payment.refunded`, `refund.created`,
    /// `refund.succeeded`, `refund.failed`, `webhook_endpoint.disabled`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1, 2, 3… per object: sort by it to recover the object's order.
    pub sequence: i64,
    /// `true` for live events.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// `true` until acknowledged with `POST /v1/events/{id}/ack`.
    pub pending: bool,
    /// The object after the change.
    pub data: EventData,
}

impl EventView {
    /// The view of `e`; a checkout session's page URL is under `base`.
    pub fn of(e: &kumbu_engine::Event, base: &crate::urls::PublicUrl) -> Self {
        let object = match &e.object {
            kumbu_engine::EventObject::Payment(p) => {
                EventDataObject::Payment(Box::new(PaymentView::snapshot(p)))
            }
            kumbu_engine::EventObject::WebhookEndpoint(w) => {
                EventDataObject::WebhookEndpoint(Box::new(EndpointView::from(w.as_ref())))
            }
            kumbu_engine::EventObject::Refund(r) => {
                EventDataObject::Refund(Box::new(RefundView::from(r.as_ref())))
            }
            kumbu_engine::EventObject::CheckoutSession(s) => EventDataObject::CheckoutSession(
                Box::new(super::checkout::CheckoutSessionView::of(s, base)),
            ),
            kumbu_engine::EventObject::CollectionRequest(c) => {
                EventDataObject::CollectionRequest(Box::new(
                    super::collection_views::CollectionRequestView::from(c.as_ref()),
                ))
            }
            kumbu_engine::EventObject::IngestedPayment(i) => EventDataObject::IngestedPayment(
                Box::new(super::collection_views::IngestView::from(i.as_ref())),
            ),
            kumbu_engine::EventObject::Payout(p) => {
                EventDataObject::Payout(Box::new(super::payouts::PayoutView::from(p.as_ref())))
            }
        };
        Self {
            id: e.id.clone(),
            object: "event",
            event_type: e.event_type.clone(),
            sequence: e.sequence,
            livemode: e.mode.is_live(),
            created_at: e.created_at.to_rfc3339(),
            pending: e.acked_at.is_none(),
            data: EventData { object },
        }
    }
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Always `list`.
    pub object: &'static str,
    /// The events: oldest first with `pending=true`, newest first otherwise.
    pub data: Vec<EventView>,
    /// More follow; pass the last id as `starting_after`.
    pub has_more: bool,
    /// The listing's path.
    pub url: &'static str,
}

/// Body of `POST /v1/webhook_endpoints`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointBody {
    /// Where to POST events: `https://…` (live endpoints must be public hosts).
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    pub url: String,
    /// Event types to receive, or `["*"]` for all (not needed for `proxypay`, which receives
    /// settled payments by reference).
    #[serde(default)]
    pub events: Vec<String>,
    /// Free text.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub description: Option<String>,
    /// `native` (the default: Kumbu events signed with a `whsec_` secret) or `proxypay` (ProxyPay's
    /// flat payment object, signed with `X-Signature` under the API key of this request).
    pub format: Option<String>,
    /// Most deliveries in flight to this endpoint at once, across the gateway's processes
    /// (default 16). The gateway adapts below it to how the endpoint answers.
    #[schema(minimum = 1, maximum = 256)]
    pub max_concurrency: Option<i64>,
}

/// Body of `POST /v1/webhook_endpoints/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointBody {
    /// Most deliveries in flight at once (1 to 256); `null` goes back to the default (16).
    /// Required: a body without it changes nothing and is refused.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 256)]
    #[schema(required = true)]
    pub max_concurrency: Option<Option<i64>>,
}

/// A field that may be `null` but must be there: present (`Some`, holding `null` or a value)
/// or absent (`None`, through `#[serde(default)]`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// How an endpoint is doing (in `GET /v1/webhook_endpoints/{id}` only).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointHealthView {
    /// `healthy`, `degraded` (some of the latest attempts failed), `failing` (all failed since
    /// `failing_since`; disabled after 3 days) or `disabled`.
    pub state: &'static str,
    /// Deliveries in flight now, across the gateway's processes.
    pub in_flight: i64,
    /// How many may be in flight now: adapts to the endpoint, up to `max_concurrency`.
    pub concurrency_limit: u32,
    /// Deliveries due now, waiting for a free slot.
    pub queued: i64,
    /// Deliveries not yet delivered nor given up (queued, in flight or waiting for a retry).
    pub pending: i64,
    /// Since when every attempt failed (RFC 3339).
    pub failing_since: Option<String>,
    /// How many of the latest attempts (at most 100) the next fields summarise.
    pub recent_attempts: usize,
    /// Of those, how many failed.
    pub recent_failures: usize,
    /// Their median latency, in milliseconds.
    pub latency_p50_ms: Option<i64>,
    /// Their 99th-percentile latency, in milliseconds.
    pub latency_p99_ms: Option<i64>,
    /// When the latest attempt was made (RFC 3339).
    pub last_attempt_at: Option<String>,
    /// Its HTTP status, if an answer came.
    pub last_status_code: Option<u16>,
    /// Why it failed without an answer, if it did.
    pub last_error: Option<String>,
}

impl From<&kumbu_engine::EndpointHealth> for EndpointHealthView {
    fn from(h: &kumbu_engine::EndpointHealth) -> Self {
        Self {
            state: match h.state {
                kumbu_engine::HealthState::Healthy => "healthy",
                kumbu_engine::HealthState::Degraded => "degraded",
                kumbu_engine::HealthState::Failing => "failing",
                kumbu_engine::HealthState::Disabled => "disabled",
            },
            in_flight: h.in_flight,
            concurrency_limit: h.concurrency_limit,
            queued: h.queued,
            pending: h.pending,
            failing_since: h.failing_since.map(|t| t.to_rfc3339()),
            recent_attempts: h.recent_attempts,
            recent_failures: h.recent_failures,
            latency_p50_ms: h.latency_p50_ms,
            latency_p99_ms: h.latency_p99_ms,
            last_attempt_at: h.last_attempt_at.map(|t| t.to_rfc3339()),
            last_status_code: h.last_status_code,
            last_error: h.last_error.clone(),
        }
    }
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// `we_…`
    pub id: String,
    /// Always `webhook_endpoint`.
    pub object: &'static str,
    /// Where events go.
    pub url: String,
    /// Subscribed event types (`["*"]` for all).
    pub events: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// `enabled` or `disabled`.
    pub status: String,
    /// `native` or `proxypay`.
    pub format: String,
    /// Most deliveries in flight at once, across the gateway's processes.
    pub max_concurrency: u32,
    /// `true` for live endpoints.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// The signing secret (`whsec_…`): only in the response that created or rotated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// How the endpoint is doing: only in `GET /v1/webhook_endpoints/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<EndpointHealthView>,
}

impl From<&kumbu_engine::Endpoint> for EndpointView {
    fn from(e: &kumbu_engine::Endpoint) -> Self {
        Self {
            id: e.id.clone(),
            object: "webhook_endpoint",
            url: e.url.clone(),
            events: e.events.clone(),
            description: e.description.clone(),
            status: e.status.clone(),
            format: e.format.as_str().to_owned(),
            max_concurrency: e.max_concurrency,
            livemode: e.mode.is_live(),
            created_at: e.created_at.to_rfc3339(),
            secret: e.secret.clone(),
            health: None,
        }
    }
}

/// The caller's webhook endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    /// Always `list`.
    pub object: &'static str,
    /// The endpoints, oldest first.
    pub data: Vec<EndpointView>,
    /// Never: all endpoints fit one page.
    pub has_more: bool,
}

/// A deleted object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// The id.
    pub id: String,
    /// The object type.
    pub object: &'static str,
    /// Always `true`.
    pub deleted: bool,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// Always `delivery_attempt`.
    pub object: &'static str,
    /// The endpoint.
    pub endpoint: String,
    /// RFC 3339.
    pub at: String,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// How long the attempt took.
    pub latency_ms: i64,
    /// Why it failed without an answer (timeout, connection failed…).
    pub error: Option<String>,
    /// The first KiB of the endpoint's answer.
    pub response_excerpt: Option<String>,
}

impl From<&kumbu_engine::AttemptRecord> for AttemptView {
    fn from(a: &kumbu_engine::AttemptRecord) -> Self {
        Self {
            object: "delivery_attempt",
            endpoint: a.endpoint_id.clone(),
            at: a.at.to_rfc3339(),
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error.clone(),
            response_excerpt: a.response_excerpt.clone(),
        }
    }
}

/// Every attempt to deliver an event, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptList {
    /// Always `list`.
    pub object: &'static str,
    /// The attempts.
    pub data: Vec<AttemptView>,
    /// Never.
    pub has_more: bool,
}

/// The answer to a resend.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResendView {
    /// Always `resend`.
    pub object: &'static str,
    /// The event.
    pub event: String,
    /// How many deliveries are now due.
    pub deliveries_due: u64,
}

/// Body of `POST /v1/references` and `PUT /v1/references/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceBody {
    /// Required amount in AOA minor units (1 to 9999999999, i.e. 0.01 to 99,999,999.99 AOA);
    /// omitted, any amount is accepted.
    #[schema(value_type = Option<crate::openapi::vocab::ReferenceAmount>)]
    pub amount: Option<i64>,
    /// ISO 8601 date (valid until 23:59:59 GMT+1 that day) or date-time; omitted, it never ends.
    #[schema(example = "2026-12-31")]
    #[schema(value_type = Option<crate::openapi::vocab::EndDatetime>)]
    pub end_datetime: Option<String>,
    /// Up to 10 string pairs, copied onto each payment as its metadata.
    #[serde(default)]
    #[schema(value_type = crate::openapi::vocab::CustomFields)]
    pub custom_fields: std::collections::BTreeMap<String, String>,
}

/// A Multicaixa bank reference.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceView {
    /// The 9-digit reference, zero-padded.
    #[schema(example = "904800000")]
    pub id: String,
    /// Always `reference`.
    pub object: &'static str,
    /// The merchant's Multicaixa entity, which payers key in with the reference.
    pub entity: Option<i64>,
    /// Required amount in minor units, or null for any.
    pub amount: Option<i64>,
    /// Always `AOA`.
    pub currency: &'static str,
    /// Last instant it can be paid (RFC 3339), or null.
    pub end_at: Option<String>,
    /// Copied onto each payment.
    pub custom_fields: std::collections::BTreeMap<String, String>,
    /// `active`, `paid`, `expired` or `deleted`.
    pub status: String,
    /// `true` in live mode.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl ReferenceView {
    /// The view of `r` as of `now`.
    pub fn of(r: &kumbu_core::Reference, entity: Option<i64>, now: kumbu_core::Timestamp) -> Self {
        Self {
            id: format!("{:09}", r.id),
            object: "reference",
            entity,
            amount: r.amount,
            currency: "AOA",
            end_at: r.end_at.map(|t| t.to_rfc3339()),
            custom_fields: r.custom_fields.clone(),
            status: r.status_at(now).as_str().to_owned(),
            livemode: r.mode.is_live(),
            created_at: r.created_at.to_rfc3339(),
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}

/// A page of references, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceList {
    /// Always `list`.
    pub object: &'static str,
    /// The references.
    pub data: Vec<ReferenceView>,
    /// Whether more follow (pass the last id as `starting_after`).
    pub has_more: bool,
}

/// Body of `POST /v1/sandbox/references/{id}/pay`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayReferenceBody {
    /// Amount paid, in AOA minor units.
    #[schema(value_type = crate::openapi::vocab::ReferenceAmount)]
    pub amount: i64,
}

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
