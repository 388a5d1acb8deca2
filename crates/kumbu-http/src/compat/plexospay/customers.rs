//! PlexosPay's customers: create, get, list.

use super::error::PxError;
use super::views::{PxCustomer, PxList};
use super::{invalid, list_query, openapi, views, Body, Caller, Idempotent, ListParams};
use crate::compat::common::{metadata, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ErrorCode, Msisdn};
use kumbu_engine::CreateCustomer;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/customers`'s body (and a payment's `customer`, of which only `name` and `email`
/// are kept: documented by [`openapi::PaymentCustomer`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomerBody {
    /// Mobile money number.
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    phone: Option<String>,
    #[schema(value_type = Option<openapi::PxOperatorName>)]
    operator: Option<String>,
    #[schema(value_type = Option<openapi::CustomerCountry>)]
    country: Option<String>,
    #[schema(value_type = Option<openapi::Text200>)]
    pub(super) name: Option<String>,
    #[schema(value_type = Option<openapi::Text254>)]
    pub(super) email: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// The countries a customer may be of.
pub(super) const CUSTOMER_COUNTRIES: [&str; 2] = ["CV", "AO"];

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
    let phone = body
        .phone
        .as_deref()
        .map(Msisdn::parse)
        .transpose()
        .map_err(|e| PxError::new(ErrorCode::PhoneInvalid, format!("phone: {e}")))?;
    let operator = match body.operator.as_deref() {
        None => None,
        Some(o) => Some(views::parse_operator(o).ok_or_else(|| {
            PxError::new(
                ErrorCode::OperatorUnknown,
                "operator must be CVMOVEL, UNITEL_TMAIS or MOCK",
            )
        })?),
    };
    if let Some(c) = body.country.as_deref() {
        if !CUSTOMER_COUNTRIES.contains(&c) {
            return Err(invalid("country must be CV or AO"));
        }
    }
    let cmd = CreateCustomer {
        phone,
        operator,
        country: body.country,
        name: body.name,
        email: body.email,
        metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
    };
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
