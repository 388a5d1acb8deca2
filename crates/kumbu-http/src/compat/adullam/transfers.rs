//! Adullam's transfers: money sent from the merchant's balance to a wallet (`txf_…`, a Kumbu
//! payout `po_…`): create, get, list.

use super::bodies::CreateTransferBody;
use super::error::{AdError, AdErrorEnvelope};
use super::payments::{cursor_pairs, listed_cursor_error};
use super::views::{AdTransfer, AdTransferList, TRANSFER_PREFIX};
use super::{openapi, record_json, Caller, Keyed, LIMITS};
use crate::compat::common::{face_id, kumbu_id, paging, Paging};
use crate::reply::respond;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::ErrorCode;
use kumbu_engine::{payee_holder, CreatePayout};

/// A transfer to a wallet, from your available balance (its amount and fee are reserved at
/// once). The Idempotency-Key is required; the same key replays the first answer for 24 h.
#[utoipa::path(post, path = "/v1/transfers", tag = "transfers",
    params(("Idempotency-Key" = openapi::UuidKey, Header, description = "A UUID, required: a retry with the same key replays the first answer")),
    request_body = CreateTransferBody,
    responses(
        (status = 201, description = "The transfer, `pending`", body = AdTransfer),
        (status = 400, description = "A field is wrong, or your available balance does not cover the amount and its fee (`field`: `amount`)", body = AdErrorEnvelope),
        (status = 409, description = "The reference is already used by another transfer", body = AdErrorEnvelope),
    ))]
pub(super) async fn create_transfer(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Keyed(idem, body): Keyed<CreateTransferBody>,
) -> Result<Response, AdError> {
    let cmd = CreatePayout::try_from(body)?;
    let outcome = state
        .engine
        .create_payout(&auth, cmd, Some(&idem), |p| {
            record_json(201, &AdTransfer::of(p, payee_holder(p)))
        })
        .await?;
    Ok(respond(outcome))
}

/// One transfer.
#[utoipa::path(get, path = "/v1/transfers/{id}", tag = "transfers",
    params(("id" = openapi::TransferId, Path, description = "The transfer's id")),
    responses(
        (status = 200, description = "The transfer", body = AdTransfer),
        (status = 404, description = "No such transfer of yours", body = AdErrorEnvelope),
    ))]
pub(super) async fn get_transfer(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<AdTransfer>, AdError> {
    let p = state
        .engine
        .payout(&auth, &kumbu_id(&id, TRANSFER_PREFIX, "po_"))
        .await
        .map_err(|_| {
            AdError::new(
                ErrorCode::ResourceMissing,
                format!("No transfer `{id}`: it does not exist, or belongs to another account."),
                Some("id"),
            )
        })?;
    Ok(Json(AdTransfer::of(&p, payee_holder(&p))))
}

/// Your transfers, newest first, a page at a time (pass `next_cursor` as `cursor`).
#[utoipa::path(get, path = "/v1/transfers", tag = "transfers",
    params(
        ("limit" = Option<openapi::AdLimit>, Query),
        ("cursor" = Option<openapi::TransferId>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of transfers", body = AdTransferList),
        (status = 404, description = "The cursor is not one of your transfers", body = AdErrorEnvelope),
    ))]
pub(super) async fn list_transfers(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<AdTransferList>, AdError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = paging(cursor_pairs(query.as_deref())?, LIMITS.0, LIMITS.1)
        .map_err(|(f, m)| AdError::invalid(&f, m))?;
    if let Some((k, _)) = rest.first() {
        return Err(AdError::invalid(
            k,
            format!("`{k}` is not a known parameter"),
        ));
    }
    let after = starting_after
        .as_deref()
        .map(|c| kumbu_id(c, TRANSFER_PREFIX, "po_"));
    let (payouts, has_more) = state
        .engine
        .list_payouts(&auth, after.as_deref(), limit)
        .await
        .map_err(|e| listed_cursor_error(e, starting_after.as_deref(), "transfers"))?;
    Ok(Json(AdTransferList {
        next_cursor: has_more
            .then(|| {
                payouts
                    .last()
                    .map(|p| face_id(&p.id, "po_", TRANSFER_PREFIX))
            })
            .flatten(),
        has_more,
        data: payouts
            .iter()
            .map(|p| AdTransfer::of(p, payee_holder(p)))
            .collect(),
    }))
}
