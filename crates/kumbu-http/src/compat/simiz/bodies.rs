//! What Simiz's callers send: each request body as Simiz spells it, and its `TryFrom` into the
//! engine's command (a 400 naming Simiz's field when it cannot be one). Documented field by field
//! here; the shapes per currency are in `openapi.rs`.

use super::error::SmzError;
use super::{currency, francs, invalid, openapi, required, views, MIN_AMOUNT};
use crate::compat::common::metadata;
use kumbu_core::{ErrorCode, Msisdn};
use kumbu_engine::{CreateCheckoutSession, CreateEndpoint, CreateRefund, WebhookFormat};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/payments`'s fields (documented per currency by [`openapi::PaymentRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePaymentBody {
    /// Your user's id: a UUID (kept as `metadata.simiz_user_id`).
    #[schema(value_type = openapi::UserId, required = true)]
    user_id: Option<String>,
    /// Whole francs (`5000` and `5000.0` are the same).
    #[schema(value_type = i64, required = true)]
    amount: Option<Box<RawValue>>,
    /// Where the customer goes after paying.
    #[schema(value_type = crate::openapi::vocab::RedirectUrl, required = true)]
    return_url: Option<String>,
    /// Where a customer who gives up goes back to.
    #[schema(value_type = crate::openapi::vocab::RedirectUrl, required = true)]
    cancel_url: Option<String>,
    #[schema(value_type = Option<openapi::SmzCurrency>)]
    currency: Option<String>,
    /// Shown to the customer.
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    #[schema(value_type = Option<openapi::PaymentMetadata>)]
    metadata: Option<Value>,
}

/// A Simiz payment is a checkout session paid on Kumbu's page; `userId` is kept as
/// `metadata.simiz_user_id`.
impl TryFrom<CreatePaymentBody> for CreateCheckoutSession {
    type Error = SmzError;

    fn try_from(body: CreatePaymentBody) -> Result<Self, SmzError> {
        let user = required(&body.user_id, "userId")?;
        let user = uuid::Uuid::parse_str(user).map_err(|_| {
            invalid(
                "userId",
                "userId must be a UUID, e.g. 550e8400-e29b-41d4-a716-446655440000",
            )
        })?;
        let amount = required_francs(body.amount.as_deref())?;
        if amount < MIN_AMOUNT {
            return Err(SmzError::new(
                ErrorCode::AmountOutOfRange,
                format!("amount must be at least {MIN_AMOUNT}"),
                Some("amount"),
            ));
        }
        let return_url = required(&body.return_url, "returnUrl")?.to_owned();
        let cancel_url = required(&body.cancel_url, "cancelUrl")?.to_owned();
        let mut metadata = metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?;
        metadata.insert("simiz_user_id".to_owned(), user.to_string());
        Ok(CreateCheckoutSession {
            amount: Some(amount),
            currency: currency(body.currency.as_deref())?,
            items: Vec::new(),
            operators: Vec::new(),
            return_url,
            cancel_url: Some(cancel_url),
            expires_in_minutes: None,
            locale: None,
            customer_name: None,
            customer_phone: None,
            customer_id: None,
            description: body.description,
            metadata,
        })
    }
}

/// `POST /v1/projects/{projectId}/checkout/sessions`'s fields (documented per currency by
/// [`openapi::SessionRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateSessionBody {
    /// Whole francs (`5000` and `5000.0` are the same).
    #[schema(value_type = i64, required = true)]
    amount: Option<Box<RawValue>>,
    #[schema(value_type = Option<openapi::SmzCurrency>)]
    currency: Option<String>,
    /// Where the customer goes after paying.
    #[schema(value_type = crate::openapi::vocab::RedirectUrl, required = true)]
    success_url: Option<String>,
    /// Where a customer who gives up goes back to.
    #[schema(value_type = Option<crate::openapi::vocab::RedirectUrl>)]
    cancel_url: Option<String>,
    /// Shown to the customer.
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    customer: Option<SessionCustomer>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
    #[schema(value_type = Option<openapi::SessionMinutes>)]
    expires_in_minutes: Option<Value>,
}

/// A session for the page; the project in the path is checked by the handler.
impl TryFrom<CreateSessionBody> for CreateCheckoutSession {
    type Error = SmzError;

    fn try_from(body: CreateSessionBody) -> Result<Self, SmzError> {
        let amount = required_francs(body.amount.as_deref())?;
        let phone = body
            .customer
            .as_ref()
            .and_then(|c| c.phone.as_deref())
            .map(Msisdn::parse)
            .transpose()
            .map_err(|e| {
                SmzError::new(
                    ErrorCode::PhoneInvalid,
                    e.to_string(),
                    Some("customer.phone"),
                )
            })?;
        Ok(CreateCheckoutSession {
            amount: Some(amount),
            currency: currency(body.currency.as_deref())?,
            items: Vec::new(),
            operators: Vec::new(),
            return_url: required(&body.success_url, "successUrl")?.to_owned(),
            cancel_url: body.cancel_url,
            expires_in_minutes: minutes(body.expires_in_minutes.as_ref())?,
            locale: None,
            customer_name: body.customer.and_then(|c| c.name),
            customer_phone: phone,
            customer_id: None,
            description: body.description,
            metadata: metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?,
        })
    }
}

/// A whole number of minutes: `30` and `30.0` are the same number in JSON, as amounts are.
fn minutes(v: Option<&Value>) -> Result<Option<u32>, SmzError> {
    let bad = || {
        invalid(
            "expiresInMinutes",
            "expiresInMinutes must be a whole number of minutes, e.g. 30",
        )
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f))
                    .map(|f| f as u64)
            })
            .and_then(|m| u32::try_from(m).ok())
            .map(Some)
            .ok_or_else(bad),
        Some(Value::Bool(_) | Value::String(_) | Value::Array(_) | Value::Object(_)) => Err(bad()),
    }
}

/// Who pays, to prefill the page.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SessionCustomer {
    #[schema(value_type = Option<openapi::Text200>)]
    name: Option<String>,
    /// Prefilled on the page.
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    phone: Option<String>,
}

/// `POST /v1/refunds`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateRefundBody {
    /// The payment refunded: its `id` or `token` (unknown: 404; not completed: 409).
    #[schema(value_type = String, min_length = 1, required = true)]
    payment_id: Option<String>,
    #[schema(value_type = Option<openapi::RefundAmount>)]
    amount: Option<Box<RawValue>>,
    /// Why.
    #[schema(value_type = Option<openapi::Text500>)]
    reason: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// `POST /v1/webhooks`'s body.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct CreateWebhookBody {
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    url: String,
    /// What to send (all when absent; a type listed twice counts once).
    #[schema(value_type = Option<Vec<openapi::SmzEvent>>, min_items = 1)]
    events: Option<Vec<String>>,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
}

/// An endpoint in Simiz's format: Simiz's event names become Kumbu's (a name listed twice
/// counts once); none named means every event Simiz sends.
impl TryFrom<CreateWebhookBody> for CreateEndpoint {
    type Error = SmzError;

    fn try_from(body: CreateWebhookBody) -> Result<Self, SmzError> {
        let events = match body.events {
            // Every Simiz event, and nothing Simiz does not send.
            None => kumbu_engine::CHECKOUT_EVENTS
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
            Some(list) => {
                let mut out: Vec<String> = Vec::new();
                for e in &list {
                    let k = views::kumbu_event(e).ok_or_else(|| {
                        invalid(
                            "events",
                            format!("unknown event `{e}`; one of: {}", views::EVENTS.join(", ")),
                        )
                    })?;
                    if !out.iter().any(|x| x == k) {
                        out.push(k.to_owned());
                    }
                }
                out
            }
        };
        Ok(CreateEndpoint {
            url: body.url,
            events,
            description: body.description,
            format: WebhookFormat::Simiz,
            signing_key: None,
            max_concurrency: None,
        })
    }
}

impl CreateRefundBody {
    /// The payment refunded, as the caller named it (its `id` or `token`).
    pub(super) fn payment(&self) -> Result<&str, SmzError> {
        required(&self.payment_id, "paymentId")
    }

    /// The refund of `paid`, the Kumbu payment that [`Self::payment`] names.
    pub(super) fn command(self, paid: String) -> Result<CreateRefund, SmzError> {
        let amount = self
            .amount
            .as_ref()
            .map(|a| francs(a, "amount"))
            .transpose()?;
        Ok(CreateRefund {
            payment_id: paid,
            amount,
            reason: self.reason,
            metadata: metadata(self.metadata.as_ref()).map_err(|m| invalid("metadata", m))?,
        })
    }
}

/// A required `amount` in whole francs.
fn required_francs(amount: Option<&RawValue>) -> Result<i64, SmzError> {
    let amount = amount.ok_or_else(|| {
        SmzError::new(
            ErrorCode::ParameterMissing,
            "amount is required",
            Some("amount"),
        )
    })?;
    francs(amount, "amount")
}
