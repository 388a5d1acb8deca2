//! Simiz project checkout sessions.

use super::error::SmzError;
use super::views::{project_id, SmzSession};
use super::{currency, francs, invalid, required, Body, Caller};
use crate::compat::common::metadata;
use crate::native::payments::{record, respond};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ErrorCode, Msisdn};
use kumbu_engine::{AuthContext, CreateCheckoutSession};
use serde::Deserialize;
use serde_json::Value;

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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateSessionBody {
    amount: Option<Value>,
    currency: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    description: Option<String>,
    customer: Option<SessionCustomer>,
    metadata: Option<Value>,
    expires_in_minutes: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct SessionCustomer {
    name: Option<String>,
    phone: Option<String>,
}

pub(super) async fn create_session(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(project): Path<String>,
    Body(idem, body): Body<CreateSessionBody>,
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
        expires_in_minutes: body.expires_in_minutes,
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

pub(super) async fn get_session(
    State(state): State<AppState>,
    Caller(auth): Caller,
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
