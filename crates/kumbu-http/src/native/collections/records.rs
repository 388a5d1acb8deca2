//! `/v1/payment_records`: payments that moved outside Kumbu, recorded; create, update, delete.

use super::{currency, invalid};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, PathId};
use crate::native::views::PaymentView;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use kumbu_engine::{CreatePaymentRecord, RecordStatus, UpdatePaymentRecord};
use serde::Deserialize;
use utoipa::ToSchema;

fn record_status(s: &str) -> Result<RecordStatus, NativeError> {
    RecordStatus::parse(s)
        .ok_or_else(|| invalid("status", "status must be pending, confirmed or failed"))
}

/// A payment that happened outside Kumbu, to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRecordBody {
    /// The payer's account in your books.
    #[schema(schema_with = crate::openapi::vocab::field::required::label_100)]
    pub account_id: String,
    /// Minor units.
    #[schema(value_type = crate::openapi::vocab::ExternalAmount)]
    pub amount: i64,
    /// ISO 4217.
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: String,
    /// pending, confirmed or failed.
    #[schema(value_type = crate::openapi::vocab::RecordStatus)]
    pub status: String,
    /// The bill (`cr_…`) it pays.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub collection_request_id: Option<String>,
    /// The provider that carried it.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub provider_id: Option<String>,
    /// The channel.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub channel: Option<String>,
}

/// Record a payment that happened outside Kumbu (a payment on the `external` rail).
#[utoipa::path(post, path = "/v1/payment_records", tag = "collections",
    request_body = CreatePaymentRecordBody,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retry returns the same record")),
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_payment_record(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, b): Command<CreatePaymentRecordBody>,
) -> Result<Response, NativeError> {
    let cmd = CreatePaymentRecord {
        // The native API collects from wallets with `/v1/payments`.
        collect_from: None,
        account_id: b.account_id,
        collection_request_id: b.collection_request_id,
        provider_id: b.provider_id,
        channel: b.channel,
        currency: currency(&b.currency)?,
        amount: b.amount,
        status: record_status(&b.status)?,
    };
    let outcome = state
        .engine
        .create_payment_record(&auth, cmd, idem.as_ref(), |p| {
            record(200, &PaymentView::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// A partial update of a payment record: absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePaymentRecordBody {
    /// The payer's account (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub account_id: Option<String>,
    /// Minor units (while pending).
    #[schema(value_type = Option<crate::openapi::vocab::ExternalAmount>)]
    pub amount: Option<i64>,
    /// ISO 4217 (while pending).
    #[schema(value_type = Option<crate::openapi::vocab::Currency>)]
    pub currency: Option<String>,
    /// Forward only: pending → confirmed | failed.
    #[schema(value_type = Option<crate::openapi::vocab::RecordStatus>)]
    pub status: Option<String>,
    /// The bill it pays (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub collection_request_id: Option<String>,
    /// The provider (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub provider_id: Option<String>,
    /// The channel (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub channel: Option<String>,
}

/// Update a payment record within the rules.
#[utoipa::path(post, path = "/v1/payment_records/{id}", tag = "collections",
    request_body = UpdatePaymentRecordBody,
    params(("id" = String, Path, description = "pay_…")),
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn update_payment_record(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, b): Command<UpdatePaymentRecordBody>,
) -> Result<Response, NativeError> {
    let cmd = UpdatePaymentRecord {
        account_id: b.account_id,
        collection_request_id: b.collection_request_id,
        provider_id: b.provider_id,
        channel: b.channel,
        amount: b.amount,
        currency: b.currency.as_deref().map(currency).transpose()?,
        status: b.status.as_deref().map(record_status).transpose()?,
    };
    let outcome = state
        .engine
        .update_payment_record(&auth, &id, cmd, idem.as_ref(), |p| {
            record(200, &PaymentView::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// Delete a pending or failed payment record (it stays readable by id).
#[utoipa::path(delete, path = "/v1/payment_records/{id}", tag = "collections",
    params(("id" = String, Path, description = "pay_…")),
    responses((status = 200, body = PaymentView), (status = 404, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete_payment_record(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Response, NativeError> {
    let outcome = state
        .engine
        .delete_payment_record(&auth, &id, None, |p| record(200, &PaymentView::from(p)))
        .await?;
    Ok(respond(outcome))
}
