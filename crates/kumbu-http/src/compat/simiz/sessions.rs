//! Simiz project checkout sessions.

use super::error::{SmzError, SmzErrorBody};
use super::views::{project_id, SmzSession};
use super::{currency, francs, invalid, openapi, required, Body, Caller, Idempotent};
use crate::compat::common::metadata;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ErrorCode, Msisdn};
use kumbu_engine::{AuthContext, CreateCheckoutSession};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The project in the path must be the caller's.
fn own_project(auth: &AuthContext, project: &str) -> Result<(), SmzError> {
    if project.eq_ignore_ascii_case(&project_id(&auth.merchant_id)) {
        Ok(())
    } else {
        Err(SmzError::new(
            ErrorCode::ResourceMissing,
            format!(
                "No project `{project}`: your key's project is {}",
                project_id(&auth.merchant_id)
            ),
            Some("projectId"),
        ))
    }
}

/// `POST /v1/projects/{projectId}/checkout/sessions`'s fields (documented per currency by
/// [`openapi::SessionRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateSessionBody {
    /// Whole francs (`5000` and `5000.0` are the same).
    #[schema(value_type = i64, required = true)]
    amount: Option<Value>,
    #[schema(value_type = Option<openapi::SmzCurrency>)]
    currency: Option<String>,
    /// Where the customer goes after paying.
    #[schema(value_type = crate::openapi::vocab::RedirectUrl, required = true)]
    success_url: Option<String>,
    /// Where a customer who gives up goes back to.
    #[schema(value_type = Option<crate::openapi::vocab::RedirectUrl>)]
    cancel_url: Option<String>,
    /// Shown to the customer.
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    customer: Option<SessionCustomer>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
    #[schema(value_type = Option<openapi::SessionMinutes>)]
    expires_in_minutes: Option<Value>,
}

/// A whole number of minutes: `30` and `30.0` are the same number in JSON, as amounts are.
fn minutes(v: Option<&Value>) -> Result<Option<u32>, SmzError> {
    let bad = || {
        invalid(
            "expiresInMinutes",
            "expiresInMinutes must be a whole number of minutes, e.g. 30",
        )
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f))
                    .map(|f| f as u64)
            })
            .and_then(|m| u32::try_from(m).ok())
            .map(Some)
            .ok_or_else(bad),
        Some(Value::Bool(_) | Value::String(_) | Value::Array(_) | Value::Object(_)) => Err(bad()),
    }
}

/// Who pays, to prefill the page.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SessionCustomer {
    #[schema(value_type = Option<openapi::Text200>)]
    name: Option<String>,
    /// Prefilled on the page.
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    phone: Option<String>,
}

/// Create a checkout session: a payment page to send the customer to.
#[utoipa::path(post, path = "/v1/projects/{projectId}/checkout/sessions", tag = "checkout",
    params(("projectId" = String, Path, description = "Your project (every payment shows its `projectId`; another: 404)"), Idempotent),
    request_body = openapi::SessionRequest,
    responses(
        (status = 200, description = "The session, `idle`", body = SmzSession,
            links(("GetSession" = (operation_id = "get_session", parameters(
                ("projectId" = "$response.body#/projectId"), ("id" = "$response.body#/id")))))),
        (status = 409, description = "A request with this Idempotency-Key is in progress", body = SmzErrorBody)))]
pub(super) async fn create_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(project): Path<String>,
    Body { idem, body, .. }: Body<CreateSessionBody>,
) -> Result<Response, SmzError> {
    own_project(&auth, &project)?;
    let amount = francs(
        body.amount.as_ref().ok_or_else(|| {
            SmzError::new(
                ErrorCode::ParameterMissing,
                "amount is required",
                Some("amount"),
            )
        })?,
        "amount",
    )?;
    let phone = body
        .customer
        .as_ref()
        .and_then(|c| c.phone.as_deref())
        .map(Msisdn::parse)
        .transpose()
        .map_err(|e| {
            SmzError::new(
                ErrorCode::PhoneInvalid,
                e.to_string(),
                Some("customer.phone"),
            )
        })?;
    let cmd = CreateCheckoutSession {
        amount: Some(amount),
        currency: currency(body.currency.as_deref())?,
        items: Vec::new(),
        operators: Vec::new(),
        return_url: required(&body.success_url, "successUrl")?.to_owned(),
        cancel_url: body.cancel_url,
        expires_in_minutes: minutes(body.expires_in_minutes.as_ref())?,
        locale: None,
        customer_name: body.customer.and_then(|c| c.name),
        customer_phone: phone,
        customer_id: None,
        description: body.description,
        metadata: metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?,
    };
    let merchant = state
        .engine
        .store()
        .branding(&auth.merchant_id)
        .await
        .map_err(kumbu_engine::EngineError::from)?
        .unwrap_or_default()
        .name;
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .create_checkout_session(&auth, cmd, idem.as_ref(), |s| {
            record(200, &SmzSession::of(s, &base, &merchant))
        })
        .await?;
    Ok(respond(outcome))
}

/// A checkout session.
#[utoipa::path(get, path = "/v1/projects/{projectId}/checkout/sessions/{id}", tag = "checkout",
    params(("projectId" = String, Path, description = "Your project"),
           ("id" = String, Path, description = "`cs_…`")),
    responses((status = 200, description = "The session", body = SmzSession)))]
pub(super) async fn get_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<SmzSession>, SmzError> {
    own_project(&auth, &project)?;
    let s = state.engine.checkout_session(&auth, &id).await?;
    let merchant = state
        .engine
        .store()
        .branding(&auth.merchant_id)
        .await
        .map_err(kumbu_engine::EngineError::from)?
        .unwrap_or_default()
        .name;
    Ok(Json(SmzSession::of(&s, &state.public_url, &merchant)))
}
