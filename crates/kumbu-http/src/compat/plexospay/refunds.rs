//! PlexosPay's refunds: create, get, list.

use super::bodies::CreateRefundBody;
use super::error::{PxError, PxErrorBody};
use super::views::{PxList, PxRefund, PAYMENT_PREFIX};
use super::{invalid, list_query, Body, Caller, Idempotent, ListParams};
use crate::compat::common::{kumbu_id, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_engine::CreateRefund;

/// Refund (part of) a payment whose money moved.
#[utoipa::path(post, path = "/v1/refunds", tag = "refunds",
    params(Idempotent),
    request_body = CreateRefundBody,
    responses(
        (status = 200, description = "The refund, `PENDING`", body = PxRefund),
        (status = 404, description = "No such payment", body = PxErrorBody),
        (status = 409, description = "The payment's money has not moved, it is fully refunded or a refund of it is in flight", body = PxErrorBody)))]
pub(super) async fn create_refund(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateRefundBody>,
) -> Result<Response, PxError> {
    let cmd = CreateRefund::try_from(body)?;
    let outcome = state
        .engine
        .create_refund(&auth, cmd, idem.as_ref(), |r| {
            record(200, &PxRefund::from(r))
        })
        .await?;
    Ok(respond(outcome))
}

/// A refund.
#[utoipa::path(get, path = "/v1/refunds/{id}", tag = "refunds",
    params(("id" = String, Path, description = "`re_…`")),
    responses((status = 200, description = "The refund", body = PxRefund)))]
pub(super) async fn get_refund(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxRefund>, PxError> {
    Ok(Json(PxRefund::from(
        &state.engine.refund(&auth, &id).await?,
    )))
}

/// Refunds, newest first.
#[utoipa::path(get, path = "/v1/refunds", tag = "refunds",
    params(ListParams,
        ("payment_intent_id" = Option<String>, Query, description = "Only this payment's (`pi_…`; `paymentIntentId` is read too)")),
    responses((status = 200, description = "A page of refunds", body = PxList<PxRefund>)))]
pub(super) async fn list_refunds(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxRefund>>, PxError> {
    let Paging {
        limit,
        starting_after: after,
        rest,
    } = list_query(query.as_deref())?;
    let mut payment = None;
    for (k, v) in rest {
        match k.as_str() {
            "payment_intent_id" | "paymentIntentId" => {
                payment = Some(kumbu_id(&v, PAYMENT_PREFIX, "pay_"))
            }
            _ => return Err(invalid(format!("`{k}` is not a known parameter"))),
        }
    }
    let (refunds, has_more) = state
        .engine
        .list_refunds(&auth, payment.as_deref(), after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: refunds.iter().map(PxRefund::from).collect(),
        has_more,
    }))
}
