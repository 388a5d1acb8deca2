//! Simiz refunds of completed payments.

use super::error::SmzError;
use super::{find, francs, invalid, required, Body, Caller};
use crate::compat::common::{iso_seconds, metadata};
use crate::native::payments::{record, respond};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ErrorCode, Refund};
use kumbu_engine::CreateRefund;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateRefundBody {
    payment_id: Option<String>,
    amount: Option<Value>,
    reason: Option<String>,
    metadata: Option<Value>,
}

/// A Simiz refund.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SmzRefund {
    id: String,
    payment_id: String,
    amount: i64,
    currency: &'static str,
    status: &'static str,
    reason: Option<String>,
    created_at: String,
}

impl SmzRefund {
    fn of(r: &Refund, payment_id: &str) -> Self {
        Self {
            id: r.id.clone(),
            payment_id: payment_id.to_owned(),
            amount: r.amount,
            currency: r.currency.code(),
            status: match r.status {
                kumbu_core::RefundStatus::Pending | kumbu_core::RefundStatus::Processing => {
                    "PENDING"
                }
                kumbu_core::RefundStatus::Succeeded => "COMPLETED",
                kumbu_core::RefundStatus::Failed => "FAILED",
            },
            reason: r.reason.clone(),
            created_at: iso_seconds(r.created_at),
        }
    }
}

pub(super) async fn create_refund(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreateRefundBody>,
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

pub(super) async fn get_refund(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, SmzError> {
    let r = state.engine.refund(&auth, &id).await?;
    let p = state.engine.payment(&auth, &r.payment_id).await?;
    let payment = match &p.checkout_session_id {
        Some(cs) => state.engine.checkout_session(&auth, cs).await?.uuid,
        None => p.id.clone(),
    };
    Ok(Json(
        serde_json::to_value(SmzRefund::of(&r, &payment)).unwrap_or(Value::Null),
    ))
}
