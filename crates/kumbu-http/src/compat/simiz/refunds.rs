//! Simiz refunds of completed payments.

use super::error::{SmzError, SmzErrorBody};
use super::{find, francs, invalid, openapi, required, Body, Caller, Idempotent};
use crate::compat::common::{iso_seconds, metadata};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ErrorCode, Refund, RefundStatus};
use kumbu_engine::CreateRefund;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/refunds`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateRefundBody {
    /// The payment refunded: its `id` or `token` (unknown: 404; not completed: 409).
    #[schema(value_type = String, min_length = 1, required = true)]
    payment_id: Option<String>,
    #[schema(value_type = Option<openapi::RefundAmount>)]
    amount: Option<Value>,
    /// Why.
    #[schema(value_type = Option<openapi::Text500>)]
    reason: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
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
    fn of(r: &Refund, payment_id: &str) -> Self {
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

/// Refund (part of) a completed payment.
#[utoipa::path(post, path = "/v1/refunds", tag = "refunds",
    params(Idempotent),
    request_body = CreateRefundBody,
    responses(
        (status = 200, description = "The refund, `PENDING`", body = SmzRefund),
        (status = 404, description = "No such payment", body = SmzErrorBody),
        (status = 409, description = "The payment is not completed, is fully refunded or has a refund in flight", body = SmzErrorBody)))]
pub(super) async fn create_refund(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateRefundBody>,
) -> Result<Response, SmzError> {
    let alias = required(&body.payment_id, "paymentId")?;
    let s = find(&state, &auth, alias).await?;
    let paid = s.payment_id.clone().ok_or_else(|| {
        SmzError::new(
            ErrorCode::PaymentStateConflict,
            format!("payment {alias} is not completed; only completed payments can be refunded"),
            Some("paymentId"),
        )
    })?;
    let amount = body
        .amount
        .as_ref()
        .map(|a| francs(a, "amount"))
        .transpose()?;
    let cmd = CreateRefund {
        payment_id: paid,
        amount,
        reason: body.reason,
        metadata: metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?,
    };
    let uuid = s.uuid.clone();
    let outcome = state
        .engine
        .create_refund(&auth, cmd, idem.as_ref(), |r| {
            record(200, &SmzRefund::of(r, &uuid))
        })
        .await?;
    Ok(respond(outcome))
}

/// A refund.
#[utoipa::path(get, path = "/v1/refunds/{id}", tag = "refunds",
    params(("id" = String, Path, description = "`re_…`")),
    responses((status = 200, description = "The refund", body = SmzRefund)))]
pub(super) async fn get_refund(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<SmzRefund>, SmzError> {
    let r = state.engine.refund(&auth, &id).await?;
    let p = state.engine.payment(&auth, &r.payment_id).await?;
    let payment = match &p.checkout_session_id {
        Some(cs) => state.engine.checkout_session(&auth, cs).await?.uuid,
        None => p.id.clone(),
    };
    Ok(Json(SmzRefund::of(&r, &payment)))
}
