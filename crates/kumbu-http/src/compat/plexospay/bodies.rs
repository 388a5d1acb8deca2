//! What PlexosPay's callers send: each request body as PlexosPay spells it, and its conversion
//! into the engine's command (`TryFrom`, or a method where the command needs what only the
//! engine knows), failing with a 400 in PlexosPay's words. The shapes per operator and currency
//! are in `openapi.rs`.

use super::error::PxError;
use super::views::{self, PAYMENT_PREFIX, SESSION_CURRENCY};
use super::{invalid, openapi};
use crate::compat::common::{kumbu_id, metadata};
use kumbu_core::{Catalogue, Currency, ErrorCode, LineItem, Msisdn};
use kumbu_engine::{
    CreateCheckoutSession, CreateCustomer, CreateEndpoint, CreatePayment, CreateRefund,
    CustomerInput, WebhookFormat,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A payment request's fields (documented per operator by [`openapi::PaymentRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePaymentBody {
    /// Centavos (minor units).
    #[schema(value_type = i64)]
    amount: i64,
    #[schema(value_type = openapi::PxOperatorName)]
    operator: String,
    /// The phone prompted to pay.
    #[schema(value_type = crate::openapi::vocab::Phone)]
    operator_phone: String,
    #[schema(value_type = Option<openapi::PxPaymentCurrency>)]
    currency: Option<String>,
    /// One of your customers (`cu_…`, from `POST /v1/customers`).
    customer_id: Option<String>,
    /// Your reference, unique per merchant and mode (a second payment with it: 409).
    #[schema(value_type = Option<openapi::Text128>)]
    external_id: Option<String>,
    #[schema(value_type = Option<openapi::PaymentCustomer>)]
    customer: Option<CustomerBody>,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    /// What the payer's statement shows.
    #[schema(value_type = Option<openapi::Text100>)]
    statement_descriptor: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// A payment's amount: centavos, lowest and highest (each operator's limits apply too).
pub(super) const PAYMENT_AMOUNT: (i64, i64) = (1, 100_000_000);

/// The currencies a payment may name (each operator collects some of them).
pub(super) const PAYMENT_CURRENCIES: [Currency; 2] = [Currency::Cve, Currency::Aoa];

/// `POST /v1/customers`'s body (and a payment's `customer`, of which only `name` and `email`
/// are kept: documented by [`openapi::PaymentCustomer`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomerBody {
    /// Mobile money number.
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    phone: Option<String>,
    #[schema(value_type = Option<openapi::PxOperatorName>)]
    operator: Option<String>,
    #[schema(value_type = Option<openapi::CustomerCountry>)]
    country: Option<String>,
    #[schema(value_type = Option<openapi::Text200>)]
    pub(super) name: Option<String>,
    #[schema(value_type = Option<openapi::Text254>)]
    pub(super) email: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// The countries a customer may be of.
pub(super) const CUSTOMER_COUNTRIES: [&str; 2] = ["CV", "AO"];

/// `POST /v1/refunds`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateRefundBody {
    /// The payment refunded: `pi_…` (unknown: 404).
    payment_intent_id: String,
    #[schema(value_type = Option<openapi::RefundAmount>)]
    amount: Option<Value>,
    /// Why.
    #[schema(value_type = Option<openapi::Text500>)]
    reason: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// `POST /v1/webhooks`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateWebhookBody {
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    url: String,
    /// What to send (a type listed twice counts once).
    #[schema(value_type = Vec<openapi::PxWebhookEvent>, min_items = 1)]
    events: Vec<String>,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
}

/// The event types a PlexosPay endpoint may subscribe to (those Kumbu emits).
pub(super) const WEBHOOK_EVENTS: [&str; 11] = [
    "payment.created",
    "payment.debited",
    "payment.settled",
    "payment.failed",
    "payment.expired",
    "payment.cancelled",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
    "checkout.completed",
    "checkout.expired",
];

/// An integer of centavos, sent as a number or a string (PlexosPay shows amounts as strings).
fn centavos(v: &Value, param: &str) -> Result<i64, PxError> {
    let bad = || invalid(format!("{param} must be an integer number of centavos"));
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(bad),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => Err(bad()),
    }
}

/// `POST /v1/checkout/sessions`'s fields (documented whole by [`openapi::SessionRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateSessionBody {
    #[schema(value_type = Option<openapi::SessionAmount>)]
    amount: Option<Value>,
    #[schema(value_type = Option<openapi::PxSessionCurrency>)]
    currency: Option<String>,
    items: Option<Vec<ItemBody>>,
    /// Where a customer who gives up goes back to (and where one who paid goes, without
    /// `completionUrl`).
    #[schema(value_type = Option<crate::openapi::vocab::RedirectUrl>)]
    return_url: Option<String>,
    /// Where the customer goes after paying.
    #[schema(value_type = Option<crate::openapi::vocab::RedirectUrl>)]
    completion_url: Option<String>,
    /// One of your customers (`cu_…`, from `POST /v1/customers`).
    customer_id: Option<String>,
    /// Shown to the customer.
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    #[schema(value_type = Option<openapi::SessionMinutes>)]
    expires_in_minutes: Option<u32>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// A line item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ItemBody {
    /// Your product id.
    #[schema(value_type = Option<openapi::Text500>)]
    product_id: Option<String>,
    #[schema(value_type = openapi::ItemName)]
    name: String,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    #[schema(value_type = Option<openapi::Quantity>)]
    quantity: Option<i64>,
    #[schema(value_type = openapi::UnitPrice)]
    unit_price: Value,
    /// The session's currency, if given.
    #[schema(value_type = Option<openapi::PxSessionCurrency>)]
    currency: Option<String>,
}

/// A session for the page, in CVE; items' prices and the amount in centavos.
impl TryFrom<CreateSessionBody> for CreateCheckoutSession {
    type Error = PxError;

    fn try_from(body: CreateSessionBody) -> Result<Self, PxError> {
        let currency = match body.currency.as_deref() {
            None => SESSION_CURRENCY,
            Some(c) if c == SESSION_CURRENCY.code() => SESSION_CURRENCY,
            Some(other) => {
                return Err(PxError::new(
                    ErrorCode::CurrencyNotSupported,
                    format!(
                        "currency must be CVE (no operator collects {other:?} by phone prompt)"
                    ),
                ))
            }
        };
        let mut items = Vec::new();
        for it in body.items.unwrap_or_default() {
            if it.currency.as_deref().is_some_and(|c| c != currency.code()) {
                return Err(invalid("every item's currency must be the session's"));
            }
            items.push(LineItem {
                name: it.name,
                quantity: it.quantity.unwrap_or(1),
                unit_amount: centavos(&it.unit_price, "items[].unitPrice")?,
                description: it.description,
                product_id: it.product_id,
            });
        }
        let completion = body
            .completion_url
            .clone()
            .or_else(|| body.return_url.clone())
            .ok_or_else(|| {
                PxError::new(
                    ErrorCode::ParameterMissing,
                    "completionUrl or returnUrl is required",
                )
            })?;
        Ok(CreateCheckoutSession {
            amount: body
                .amount
                .as_ref()
                .map(|a| centavos(a, "amount"))
                .transpose()?,
            currency,
            items,
            operators: Vec::new(),
            return_url: completion,
            cancel_url: body.return_url,
            expires_in_minutes: body.expires_in_minutes,
            locale: None,
            customer_name: None,
            customer_phone: None,
            customer_id: body.customer_id,
            description: body.description,
            metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
        })
    }
}

/// A customer; its operator and country are PlexosPay's (CV, AO).
impl TryFrom<CustomerBody> for CreateCustomer {
    type Error = PxError;

    fn try_from(body: CustomerBody) -> Result<Self, PxError> {
        let phone = body
            .phone
            .as_deref()
            .map(Msisdn::parse)
            .transpose()
            .map_err(|e| PxError::new(ErrorCode::PhoneInvalid, format!("phone: {e}")))?;
        let operator = match body.operator.as_deref() {
            None => None,
            Some(o) => Some(views::parse_operator(o).ok_or_else(|| {
                PxError::new(
                    ErrorCode::OperatorUnknown,
                    "operator must be CVMOVEL, UNITEL_TMAIS or MOCK",
                )
            })?),
        };
        if let Some(c) = body.country.as_deref() {
            if !CUSTOMER_COUNTRIES.contains(&c) {
                return Err(invalid("country must be CV or AO"));
            }
        }
        Ok(CreateCustomer {
            phone,
            operator,
            country: body.country,
            name: body.name,
            email: body.email,
            metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
        })
    }
}

/// A refund of a `pi_…` (or Kumbu `pay_…`) payment; the amount in centavos, as a number or a string.
impl TryFrom<CreateRefundBody> for CreateRefund {
    type Error = PxError;

    fn try_from(body: CreateRefundBody) -> Result<Self, PxError> {
        let amount = match &body.amount {
            None | Some(Value::Null) => None,
            Some(a) => Some(centavos(a, "amount")?),
        };
        Ok(CreateRefund {
            payment_id: kumbu_id(&body.payment_intent_id, PAYMENT_PREFIX, "pay_"),
            amount,
            reason: body.reason,
            metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
        })
    }
}

/// An endpoint in PlexosPay's format: only PlexosPay's events; a type listed twice counts once.
impl TryFrom<CreateWebhookBody> for CreateEndpoint {
    type Error = PxError;

    fn try_from(body: CreateWebhookBody) -> Result<Self, PxError> {
        if let Some(bad) = body
            .events
            .iter()
            .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
        {
            return Err(invalid(format!(
                "unknown or unsupported event `{bad}`; one of: {}",
                WEBHOOK_EVENTS.join(", ")
            )));
        }
        // A type listed twice counts once; PlexosPay knows no cancelled session: one the customer
        // abandoned is reported expired.
        let mut events: Vec<String> = Vec::with_capacity(body.events.len() + 1);
        for e in body.events {
            if !events.contains(&e) {
                events.push(e);
            }
        }
        if events.iter().any(|e| e == "checkout.expired") {
            events.push("checkout.cancelled".to_owned());
        }
        Ok(CreateEndpoint {
            url: body.url,
            events,
            description: body.description,
            format: WebhookFormat::Plexospay,
            signing_key: None,
            max_concurrency: None,
        })
    }
}

impl CreatePaymentBody {
    /// The payment asked for: the amount within PlexosPay's bounds, one of its operators, the
    /// currency given or else the operator's first (from `catalogue`).
    pub(super) fn command(self, catalogue: &Catalogue) -> Result<CreatePayment, PxError> {
        let (lo, hi) = PAYMENT_AMOUNT;
        if !(lo..=hi).contains(&self.amount) {
            return Err(PxError::new(
                ErrorCode::AmountOutOfRange,
                format!("amount must be an integer number of centavos from {lo} to {hi}"),
            ));
        }
        let operator = views::parse_operator(&self.operator).ok_or_else(|| {
            PxError::new(
                ErrorCode::OperatorUnknown,
                format!(
                    "operator must be CVMOVEL, UNITEL_TMAIS or MOCK, not {:?}",
                    self.operator
                ),
            )
        })?;
        let currency = match self.currency.as_deref() {
            Some(c) if PAYMENT_CURRENCIES.iter().any(|x| x.code() == c) => {
                Currency::parse(c).map_err(|e| invalid(e.to_string()))?
            }
            Some(other) => {
                return Err(PxError::new(
                    ErrorCode::CurrencyNotSupported,
                    format!("currency must be CVE or AOA, not {other:?}"),
                ))
            }
            None => *catalogue
                .get(operator)
                .currencies
                .first()
                .unwrap_or(&Currency::Cve),
        };
        let payer_phone = Msisdn::parse(&self.operator_phone)
            .map_err(|e| PxError::new(ErrorCode::PhoneInvalid, format!("operatorPhone: {e}")))?;
        let customer = self.customer.as_ref();
        Ok(CreatePayment {
            amount: self.amount,
            currency,
            operator,
            payer_phone,
            reference: self.external_id,
            description: self.description,
            statement_descriptor: self.statement_descriptor,
            customer_id: self.customer_id,
            metadata: metadata(self.metadata.as_ref()).map_err(invalid)?,
            customer: CustomerInput {
                name: customer.and_then(|c| c.name.clone()),
                email: customer.and_then(|c| c.email.clone()),
            },
            expires_in: None,
        })
    }
}
