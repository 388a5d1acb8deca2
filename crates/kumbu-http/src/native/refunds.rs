//! `/v1/refunds`: money back to the payer of a settled payment.

use super::views::{CreateRefundBody, RefundList, RefundView};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, PathId};
use crate::query::{query_pairs, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::ErrorCode;
use kumbu_engine::CreateRefund;

/// Refund (part of) a payment.
#[utoipa::path(post, path = "/v1/refunds", tag = "refunds",
    request_body = CreateRefundBody,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retry returns the same refund")),
    responses((status = 200, body = RefundView), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_refund(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, body): Command<CreateRefundBody>,
) -> Result<Response, NativeError> {
    let cmd = CreateRefund {
        payment_id: body.payment,
        amount: body.amount,
        reason: body.reason,
        metadata: body.metadata,
    };
    let outcome = state
        .engine
        .create_refund(&auth, cmd, idem.as_ref(), |r| {
            record(200, &RefundView::from(r))
        })
        .await?;
    Ok(respond(outcome))
}

/// Retrieve a refund.
#[utoipa::path(get, path = "/v1/refunds/{id}", tag = "refunds",
    params(("id" = String, Path, description = "re_…")),
    responses((status = 200, body = RefundView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_refund(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<RefundView>, NativeError> {
    Ok(Json(RefundView::from(
        &state.engine.refund(&auth, &id).await?,
    )))
}

/// List refunds, newest first, optionally of one payment.
#[utoipa::path(get, path = "/v1/refunds", tag = "refunds",
    params(("payment" = Option<String>, Query, description = "only this payment's refunds"),
           ("limit" = Option<u32>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
           ("starting_after" = Option<String>, Query, description = "the last id of the previous page", min_length = 1)),
    responses((status = 200, body = RefundList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_refunds(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<RefundList>, NativeError> {
    let mut paging = Paging::default();
    let mut payment = None;
    for (k, v) in query_pairs(query.as_deref())? {
        if k == "payment" {
            payment = Some(v);
        } else if !paging.take(&k, &v)? {
            return Err(NativeError::new(
                ErrorCode::ParameterUnknown,
                format!("`{k}` is not a known parameter"),
                Some(&k),
            ));
        }
    }
    let (refunds, has_more) = state
        .engine
        .list_refunds(
            &auth,
            payment.as_deref(),
            paging.starting_after.as_deref(),
            paging.limit,
        )
        .await?;
    Ok(Json(RefundList {
        object: "list",
        data: refunds.iter().map(RefundView::from).collect(),
        has_more,
    }))
}
