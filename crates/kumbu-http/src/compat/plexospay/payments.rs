//! PlexosPay's payments: create (the payer is prompted), get, list, cancel.

use super::bodies::CreatePaymentBody;
use super::error::{PxError, PxErrorBody};
use super::views::{PxList, PxPayment, PAYMENT_PREFIX};
use super::{invalid, list_query, openapi, views, Body, Caller, Idempotent, ListParams};
use crate::compat::common::{kumbu_id, Paging};
use crate::extract::NoParams;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_engine::PaymentFilter;

/// Create a payment: the payer is prompted on their phone.
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    params(Idempotent),
    request_body = openapi::PaymentRequest,
    responses(
        (status = 200, description = "The payment, `CREATED`", body = PxPayment,
            links(
                ("GetPayment" = (operation_id = "get_payment", parameters(("id" = "$response.body#/id")))),
                ("CancelPayment" = (operation_id = "cancel_payment", parameters(("id" = "$response.body#/id")))),
                ("RefundPayment" = (operation_id = "create_refund", request_body = json!({"paymentIntentId": "$response.body#/id"}))))),
        (status = 409, description = "`externalId` is already another payment's, or a request with this Idempotency-Key is in progress", body = PxErrorBody)))]
pub(super) async fn create_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreatePaymentBody>,
) -> Result<Response, PxError> {
    let cmd = body.command(state.engine.catalogue())?;
    let outcome = state
        .engine
        .create_payment(&auth, cmd, idem.as_ref(), |p| {
            record(200, &PxPayment::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// A payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = String, Path, description = "`pi_…` (or Kumbu's `pay_…`)")),
    responses((status = 200, description = "The payment", body = PxPayment)))]
pub(super) async fn get_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxPayment>, PxError> {
    let p = state
        .engine
        .payment(&auth, &kumbu_id(&id, PAYMENT_PREFIX, "pay_"))
        .await?;
    Ok(Json(PxPayment::from(&p)))
}

/// Payments through PlexosPay's operators, newest first.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(ListParams),
    responses((status = 200, description = "A page of payments", body = PxList<PxPayment>)))]
pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxPayment>>, PxError> {
    let Paging {
        limit,
        starting_after: after,
        rest,
    } = list_query(query.as_deref())?;
    if let Some((k, _)) = rest.first() {
        return Err(invalid(format!("`{k}` is not a known parameter")));
    }
    let after = after.map(|a| kumbu_id(&a, PAYMENT_PREFIX, "pay_"));
    // PlexosPay lists its own operators' payments, not those of other faces.
    let filter = PaymentFilter {
        operators: views::OPERATORS.to_vec(),
        ..PaymentFilter::default()
    };
    let page = state
        .engine
        .list_payments(&auth, &filter, after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: page.data.iter().map(PxPayment::from).collect(),
        has_more: page.has_more,
    }))
}

/// Cancel a payment before money moves.
#[utoipa::path(post, path = "/v1/payments/{id}/cancel", tag = "payments",
    params(("id" = String, Path, description = "`pi_…`"), Idempotent),
    responses(
        (status = 200, description = "The payment, `CANCELLED`", body = PxPayment),
        (status = 409, description = "Money moved, or the payment already ended, or the operator has it", body = PxErrorBody)))]
pub(super) async fn cancel_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Body { idem, .. }: Body<NoParams>,
) -> Result<Response, PxError> {
    let outcome = state
        .engine
        .cancel_payment(
            &auth,
            &kumbu_id(&id, PAYMENT_PREFIX, "pay_"),
            idem.as_ref(),
            |p| record(200, &PxPayment::from(p)),
        )
        .await?;
    Ok(respond(outcome))
}
