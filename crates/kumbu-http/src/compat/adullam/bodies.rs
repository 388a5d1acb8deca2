//! What Adullam's callers send: each request body as Adullam spells it, and its conversion into
//! the engine's command (`TryFrom`, or a method taking what the path names), failing with a 400
//! naming Adullam's field.

use super::error::AdError;
use super::{openapi, views, MAX_DESCRIPTION, MIN_AMOUNT};
use crate::compat::common::metadata;
use kumbu_core::{Currency, ErrorCode, Msisdn, Operator};
use kumbu_engine::{
    CreateEndpoint, CreatePayment, CreatePayout, CreateRefund, CustomerInput, WebhookFormat,
};
use serde::Deserialize;
use serde_json::Value;

/// `POST /v1/payments`' body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct CreatePaymentBody {
    #[schema(value_type = openapi::AdAmount)]
    amount: i64,
    #[schema(value_type = openapi::AdCurrency)]
    currency: String,
    #[schema(value_type = openapi::CiPhone)]
    customer_phone: String,
    #[schema(value_type = openapi::AdChannel)]
    channel: String,
    #[schema(value_type = Option<openapi::Description>)]
    description: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// `POST /v1/transfers`' body: money sent from the merchant's balance to a wallet.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct CreateTransferBody {
    #[schema(value_type = openapi::AdAmount)]
    amount: i64,
    #[schema(value_type = openapi::AdCurrency)]
    currency: String,
    #[schema(value_type = openapi::CiPhone)]
    recipient_phone: String,
    #[schema(value_type = openapi::AdChannel)]
    channel: String,
    #[schema(value_type = Option<openapi::TransferDescription>)]
    description: Option<String>,
    /// Your own id for it, unique among your transfers.
    #[schema(value_type = Option<openapi::TransferReference>)]
    reference: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// What payments and transfers both check: whole XOF, at least [`MIN_AMOUNT`], through one of
/// Adullam's channels (its operator).
fn xof_through_channel(amount: i64, currency: &str, channel: &str) -> Result<Operator, AdError> {
    if amount < MIN_AMOUNT {
        return Err(AdError::new(
            ErrorCode::AmountOutOfRange,
            format!("amount must be an integer number of XOF, at least {MIN_AMOUNT}"),
            Some("amount"),
        ));
    }
    if currency != Currency::Xof.code() {
        return Err(AdError::new(
            ErrorCode::CurrencyNotSupported,
            "currency must be XOF",
            Some("currency"),
        ));
    }
    views::parse_channel(channel).ok_or_else(bad_channel)
}

/// The longest reference of a transfer, in characters.
pub(super) const MAX_TRANSFER_REFERENCE: usize = 100;
/// The longest description of a transfer: what the recipient's wallet shows.
pub(super) const MAX_TRANSFER_DESCRIPTION: usize = 160;

/// A transfer in XOF to a wallet of one of Adullam's channels.
impl TryFrom<CreateTransferBody> for CreatePayout {
    type Error = AdError;

    fn try_from(body: CreateTransferBody) -> Result<Self, AdError> {
        let operator = xof_through_channel(body.amount, &body.currency, &body.channel)?;
        for (field, value, max) in [
            ("description", &body.description, MAX_TRANSFER_DESCRIPTION),
            ("reference", &body.reference, MAX_TRANSFER_REFERENCE),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.is_empty() || v.chars().count() > max)
            {
                return Err(AdError::invalid(
                    field,
                    format!("{field} must be 1 to {max} characters"),
                ));
            }
        }
        let payee_phone = Msisdn::parse(&body.recipient_phone).map_err(|e| {
            AdError::new(
                ErrorCode::PhoneInvalid,
                e.to_string(),
                Some("recipient_phone"),
            )
        })?;
        Ok(CreatePayout {
            amount: body.amount,
            currency: Currency::Xof,
            operator,
            payee_phone,
            reference: body.reference,
            description: body.description,
            metadata: metadata(body.metadata.as_ref())
                .map_err(|m| AdError::invalid("metadata", m))?,
        })
    }
}

/// `POST /v1/payments/{id}/refund`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct RefundBody {
    /// What is left to refund when absent.
    #[schema(value_type = Option<openapi::RefundAmount>)]
    amount: Option<i64>,
    /// `customer_request` when absent.
    #[schema(value_type = Option<openapi::RefundReason>)]
    reason: Option<String>,
    #[schema(value_type = Option<openapi::Description>)]
    description: Option<String>,
}

/// Why a refund is made.
pub(super) const REASONS: [&str; 5] = ["customer_request", "fraud", "duplicate", "error", "other"];

/// `POST /v1/webhooks`' body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct WebhookBody {
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    url: String,
    /// The events to send (a repeated one counts once).
    #[schema(value_type = Vec<openapi::AdEvent>, min_items = 1)]
    events: Vec<String>,
    #[schema(value_type = Option<openapi::WebhookDescription>)]
    description: Option<String>,
}

/// A payment in XOF through one of Adullam's channels.
impl TryFrom<CreatePaymentBody> for CreatePayment {
    type Error = AdError;

    fn try_from(body: CreatePaymentBody) -> Result<Self, AdError> {
        let operator = xof_through_channel(body.amount, &body.currency, &body.channel)?;
        if body
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
        {
            return Err(AdError::invalid(
                "description",
                format!("description must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        let payer_phone = Msisdn::parse(&body.customer_phone).map_err(|e| {
            AdError::new(
                ErrorCode::PhoneInvalid,
                e.to_string(),
                Some("customer_phone"),
            )
        })?;
        Ok(CreatePayment {
            amount: body.amount,
            currency: Currency::Xof,
            operator,
            payer_phone,
            reference: None,
            description: body.description,
            statement_descriptor: None,
            customer_id: None,
            metadata: metadata(body.metadata.as_ref())
                .map_err(|m| AdError::invalid("metadata", m))?,
            customer: CustomerInput::default(),
            expires_in: None,
        })
    }
}

/// An endpoint in Adullam's format: each Adullam event becomes the Kumbu events it stands for; a repeated one counts once.
impl TryFrom<WebhookBody> for CreateEndpoint {
    type Error = AdError;

    fn try_from(body: WebhookBody) -> Result<Self, AdError> {
        let mut kumbu_events = Vec::new();
        let mut named: Vec<&str> = Vec::new();
        for e in &body.events {
            // A repeated event adds nothing (and must not count against the engine's limit).
            if named.contains(&e.as_str()) {
                continue;
            }
            named.push(e);
            let (_, ks) = views::EVENTS.iter().find(|(a, _)| a == e).ok_or_else(|| {
                AdError::invalid(
                    "events",
                    format!(
                        "unknown or unsupported event `{e}`; one of: {}",
                        views::EVENTS
                            .iter()
                            .map(|(a, _)| *a)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            kumbu_events.extend(ks.iter().map(|k| (*k).to_owned()));
        }
        Ok(CreateEndpoint {
            url: body.url,
            events: kumbu_events,
            description: body.description,
            format: WebhookFormat::Adullam,
            signing_key: None,
            max_concurrency: None,
        })
    }
}

impl RefundBody {
    /// The refund of `payment_id` (the path's): `customer_request` when no reason is given; the
    /// description is kept as `metadata.description`.
    pub(super) fn command(self, payment_id: String) -> Result<CreateRefund, AdError> {
        let reason = self.reason.unwrap_or_else(|| "customer_request".to_owned());
        if !REASONS.contains(&reason.as_str()) {
            return Err(AdError::invalid(
                "reason",
                format!("reason must be one of {}", REASONS.join(", ")),
            ));
        }
        let mut meta = std::collections::BTreeMap::new();
        if let Some(d) = self.description {
            if d.chars().count() > MAX_DESCRIPTION {
                return Err(AdError::invalid(
                    "description",
                    format!("description must be at most {MAX_DESCRIPTION} characters"),
                ));
            }
            meta.insert("description".to_owned(), d);
        }
        Ok(CreateRefund {
            payment_id,
            amount: self.amount,
            reason: Some(reason),
            metadata: meta,
        })
    }
}

/// A channel Adullam does not have.
pub(super) fn bad_channel() -> AdError {
    AdError::new(
        ErrorCode::OperatorUnknown,
        format!(
            "channel must be one of {}",
            views::CHANNELS.map(|(c, _)| c).join(", ")
        ),
        Some("channel"),
    )
}
