//! `/v1/references`: Multicaixa bank references, and `/v1/sandbox/references/{id}/pay`, the
//! sandbox's Multicaixa network.

use super::payments::render_payment;
use super::views::{PayReferenceBody, PaymentView, ReferenceBody, ReferenceList, ReferenceView};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, PathId};
use crate::query::{query_pairs, Paging};
use crate::reply::record;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::reference::parse_reference_id;
use kumbu_core::ErrorCode;
use kumbu_engine::PutReference;

fn reference_id(id: &str) -> Result<u64, NativeError> {
    parse_reference_id(id).map_err(|_| {
        NativeError::new(
            ErrorCode::ResourceMissing,
            format!("No reference `{id}`: references are 9-digit numbers."),
            Some("id"),
        )
    })
}

fn command(id: u64, body: ReferenceBody) -> PutReference {
    PutReference {
        id,
        amount: body.amount,
        end_datetime: body.end_datetime,
        custom_fields: body.custom_fields,
    }
}

/// Create a reference under a fresh id from the merchant's generator.
#[utoipa::path(post, path = "/v1/references", tag = "references",
    request_body = Option<ReferenceBody>,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retry returns the same reference")),
    responses((status = 200, body = ReferenceView), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_reference(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, body): Command<ReferenceBody>,
) -> Result<Response, NativeError> {
    let now = state.engine.now();
    let outcome = state
        .engine
        .create_reference(&auth, command(0, body), idem.as_ref(), |r, entity| {
            record(200, &ReferenceView::of(r, entity, now))
        })
        .await?;
    Ok(crate::reply::respond(outcome))
}

/// Create or update the reference with this id.
#[utoipa::path(put, path = "/v1/references/{id}", tag = "references",
    request_body = Option<ReferenceBody>,
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "1 to 9 digits, e.g. 904800000")),
    responses((status = 200, body = ReferenceView), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn put_reference(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(_, body): Command<ReferenceBody>,
) -> Result<Json<ReferenceView>, NativeError> {
    let id = parse_reference_id(&id)?;
    let r = state.engine.put_reference(&auth, command(id, body)).await?;
    let entity = state.engine.multicaixa_entity(&auth).await?;
    Ok(Json(ReferenceView::of(&r, entity, state.engine.now())))
}

/// Retrieve a reference. A deleted one stays readable, with status `deleted`, so that you can see
/// why its payments are refused.
#[utoipa::path(get, path = "/v1/references/{id}", tag = "references",
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "The reference id")),
    responses((status = 200, body = ReferenceView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_reference(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<ReferenceView>, NativeError> {
    let r = state.engine.reference(&auth, reference_id(&id)?).await?;
    let entity = state.engine.multicaixa_entity(&auth).await?;
    Ok(Json(ReferenceView::of(&r, entity, state.engine.now())))
}

/// Delete a reference: it can no longer be paid.
#[utoipa::path(delete, path = "/v1/references/{id}", tag = "references",
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "The reference id")),
    responses((status = 200, body = ReferenceView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete_reference(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<ReferenceView>, NativeError> {
    let id = reference_id(&id)?;
    state.engine.delete_reference(&auth, id).await?;
    let r = state.engine.reference(&auth, id).await?;
    let entity = state.engine.multicaixa_entity(&auth).await?;
    Ok(Json(ReferenceView::of(&r, entity, state.engine.now())))
}

/// List references, newest first.
#[utoipa::path(get, path = "/v1/references", tag = "references",
    params(("limit" = Option<u32>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
           ("starting_after" = Option<crate::openapi::vocab::ReferenceId>, Query, description = "the last id of the previous page")),
    responses((status = 200, body = ReferenceList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_references(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<ReferenceList>, NativeError> {
    let mut paging = Paging::default();
    for (k, v) in query_pairs(query.as_deref())? {
        if !paging.take(&k, &v)? {
            return Err(NativeError::new(
                ErrorCode::ParameterUnknown,
                format!("`{k}` is not a known parameter"),
                Some(&k),
            ));
        }
    }
    let after = paging
        .starting_after
        .as_deref()
        .map(|a| {
            parse_reference_id(a).map_err(|_| {
                NativeError::new(
                    ErrorCode::ParameterInvalid,
                    "starting_after must be a reference id",
                    Some("starting_after"),
                )
            })
        })
        .transpose()?;
    let (refs, has_more) = state
        .engine
        .list_references(&auth, after, paging.limit)
        .await?;
    let entity = state.engine.multicaixa_entity(&auth).await?;
    let now = state.engine.now();
    Ok(Json(ReferenceList {
        object: "list",
        data: refs
            .iter()
            .map(|r| ReferenceView::of(r, entity, now))
            .collect(),
        has_more,
    }))
}

/// Sandbox: pay a reference as the Multicaixa network would report it (test mode only).
#[utoipa::path(post, path = "/v1/sandbox/references/{id}/pay", tag = "sandbox",
    request_body = PayReferenceBody,
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "The reference id")),
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn pay_reference(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(_, body): Command<PayReferenceBody>,
) -> Result<Response, NativeError> {
    let id = reference_id(&id)?;
    let p = state
        .engine
        .simulate_reference_payment(&auth, id, body.amount)
        .await?;
    Ok(crate::reply::respond(kumbu_engine::Outcome {
        response: render_payment(&p),
        replayed: false,
    }))
}
