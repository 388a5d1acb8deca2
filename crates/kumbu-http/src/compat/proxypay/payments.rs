//! ProxyPay's payments queue: list the payments not yet acknowledged, acknowledge one, and
//! mock a payment (test mode).

use super::bodies::{amount, reference_id, Fields};
use super::error::PpError;
use super::openapi;
use super::views::PpPayment;
use super::Caller;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use kumbu_core::Mode;
use kumbu_engine::{EventFilter, EventObject};

/// Payments not yet acknowledged, oldest first.
#[utoipa::path(get, path = "/payments", tag = "payments",
    params(("n" = Option<u32>, Query, description = "How many, 1–100 (default 100)", minimum = 1, maximum = 100)),
    responses((status = 200, description = "The payments", body = Vec<PpPayment>)))]
pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<PpPayment>>, PpError> {
    let mut n = 100u32;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k == "n" {
            n = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| PpError::invalid("n", "n must be an integer between 1 and 100"))?;
        }
    }
    let filter = EventFilter {
        pending: true,
        event_type: Some("payment.settled".to_owned()),
        bank_payments: true,
        ..EventFilter::default()
    };
    let (events, _) = state.engine.list_events(&auth, &filter, None, n).await?;
    Ok(Json(
        events
            .iter()
            .filter_map(|e| match &e.object {
                EventObject::Payment(p) => PpPayment::of(p),
                EventObject::WebhookEndpoint(_)
                | EventObject::Refund(_)
                | EventObject::CheckoutSession(_)
                | EventObject::CollectionRequest(_)
                | EventObject::IngestedPayment(_)
                | EventObject::Payout(_) => None,
            })
            .collect(),
    ))
}

/// Acknowledge a payment: it leaves the queue (acknowledging again answers 204 too).
#[utoipa::path(delete, path = "/payments/{id}", tag = "payments",
    params(("id" = u64, Path, description = "The payment's id", minimum = 1)),
    responses((status = 204, description = "Acknowledged")))]
pub(super) async fn ack_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Fields(_): Fields,
) -> Result<StatusCode, PpError> {
    let id: i64 = id
        .trim()
        .parse()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(PpError::not_found)?;
    state.engine.ack_bank_payment(&auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A mock payment of a reference (sandbox keys only; with a live key: 404).
#[utoipa::path(post, path = "/payments", tag = "payments",
    request_body = openapi::MockPaymentBody,
    responses((status = 200, description = "The payment, as the queue and webhooks show it", body = PpPayment)))]
pub(super) async fn mock_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Fields(body): Fields,
) -> Result<Json<PpPayment>, PpError> {
    if auth.mode == Mode::Live {
        return Err(PpError::not_found());
    }
    let id = reference_id(&body, "reference_id")?;
    let amount =
        amount(&body, "amount")?.ok_or_else(|| PpError::invalid("amount", "amount is required"))?;
    let payment = state
        .engine
        .simulate_reference_payment(&auth, id, amount)
        .await?;
    PpPayment::of(&payment)
        .map(Json)
        .ok_or_else(|| PpError::status(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"))
}
