//! Adullam's refunds: `POST /v1/payments/{id}/refund`.

use super::error::{AdError, AdErrorEnvelope};
use super::views::AdRefund;
use super::{openapi, record_json, Caller, Keyed, MAX_DESCRIPTION};
use crate::reply::respond;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use kumbu_engine::CreateRefund;
use serde::Deserialize;

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
    let reason = body.reason.unwrap_or_else(|| "customer_request".to_owned());
    if !REASONS.contains(&reason.as_str()) {
        return Err(AdError::invalid(
            "reason",
            format!("reason must be one of {}", REASONS.join(", ")),
        ));
    }
    let mut meta = std::collections::BTreeMap::new();
    if let Some(d) = body.description {
        if d.chars().count() > MAX_DESCRIPTION {
            return Err(AdError::invalid(
                "description",
                format!("description must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        meta.insert("description".to_owned(), d);
    }
    let cmd = CreateRefund {
        payment_id: id,
        amount: body.amount,
        reason: Some(reason),
        metadata: meta,
    };
    let outcome = state
        .engine
        .create_refund(&auth, cmd, Some(&idem), |r| {
            record_json(201, &AdRefund::from(r))
        })
        .await?;
    Ok(respond(outcome))
}
