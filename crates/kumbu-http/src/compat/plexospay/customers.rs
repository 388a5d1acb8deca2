//! PlexosPay's customers: create, get, list.

use super::bodies::CustomerBody;
use super::error::PxError;
use super::views::{PxCustomer, PxList};
use super::{invalid, list_query, Body, Caller, Idempotent, ListParams};
use crate::compat::common::Paging;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_engine::CreateCustomer;

/// Create a customer.
#[utoipa::path(post, path = "/v1/customers", tag = "customers",
    params(Idempotent),
    request_body = Option<CustomerBody>,
    responses((status = 200, description = "The customer", body = PxCustomer)))]
pub(super) async fn create_customer(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CustomerBody>,
) -> Result<Response, PxError> {
    let cmd = CreateCustomer::try_from(body)?;
    let outcome = state
        .engine
        .create_customer(&auth, cmd, idem.as_ref(), |c| {
            record(200, &PxCustomer::from(c))
        })
        .await?;
    Ok(respond(outcome))
}

/// A customer.
#[utoipa::path(get, path = "/v1/customers/{id}", tag = "customers",
    params(("id" = String, Path, description = "`cu_…`")),
    responses((status = 200, description = "The customer", body = PxCustomer)))]
pub(super) async fn get_customer(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxCustomer>, PxError> {
    Ok(Json(PxCustomer::from(
        &state.engine.customer(&auth, &id).await?,
    )))
}

/// Customers, newest first.
#[utoipa::path(get, path = "/v1/customers", tag = "customers",
    params(ListParams),
    responses((status = 200, description = "A page of customers", body = PxList<PxCustomer>)))]
pub(super) async fn list_customers(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxCustomer>>, PxError> {
    let Paging {
        limit,
        starting_after: after,
        rest,
    } = list_query(query.as_deref())?;
    if let Some((k, _)) = rest.first() {
        return Err(invalid(format!("`{k}` is not a known parameter")));
    }
    let (list, has_more) = state
        .engine
        .list_customers(&auth, after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: list.iter().map(PxCustomer::from).collect(),
        has_more,
    }))
}
