//! Adullam's refunds: `POST /v1/payments/{id}/refund`.

use super::bodies::RefundBody;
use super::error::{AdError, AdErrorEnvelope};
use super::views::AdRefund;
use super::{openapi, record_json, Caller, Keyed};
use crate::reply::respond;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

/// Refunds (part of) a settled payment, never more than remains, one at a time. The
/// Idempotency-Key is required.
#[utoipa::path(post, path = "/v1/payments/{id}/refund", tag = "refunds",
    params(
        ("id" = openapi::PaymentId, Path, description = "The payment's id"),
        ("Idempotency-Key" = openapi::UuidKey, Header, description = "A UUID, required: a retry with the same key replays the first answer"),
    ),
    request_body = Option<RefundBody>,
    responses(
        (status = 201, description = "The refund, `pending`", body = AdRefund),
        (status = 409, description = "The payment is not settled, or a refund of it is in flight, or it is refunded in full", body = AdErrorEnvelope),
    ))]
pub(super) async fn refund_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Keyed(idem, body): Keyed<RefundBody>,
) -> Result<Response, AdError> {
    let cmd = body.command(id)?;
    let outcome = state
        .engine
        .create_refund(&auth, cmd, Some(&idem), |r| {
            record_json(201, &AdRefund::from(r))
        })
        .await?;
    Ok(respond(outcome))
}
