//! Simiz refunds of completed payments.

use super::bodies::CreateRefundBody;
use super::error::{SmzError, SmzErrorBody};
use super::views::SmzRefund;
use super::{find, Body, Caller, Idempotent};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::ErrorCode;

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
    let alias = body.payment()?;
    let s = find(&state, &auth, alias).await?;
    let paid = s.payment_id.clone().ok_or_else(|| {
        SmzError::new(
            ErrorCode::PaymentStateConflict,
            format!("payment {alias} is not completed; only completed payments can be refunded"),
            Some("paymentId"),
        )
    })?;
    let cmd = body.command(paid)?;
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
