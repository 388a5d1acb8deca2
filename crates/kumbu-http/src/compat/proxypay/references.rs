//! ProxyPay's references and reference ids: create or replace, delete (a `GET` answers 404,
//! as in ProxyPay), and a fresh reference id.

use super::error::{PpError, PpMessage};
use super::openapi;
use super::request::{amount, Caller, Fields};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kumbu_engine::PutReference;
use serde_json::Value;
use std::collections::BTreeMap;

pub(super) fn path_reference(id: &str) -> Result<u64, PpError> {
    kumbu_core::reference::parse_reference_id(id).map_err(|_| PpError::not_found())
}

/// Create or replace a reference (its amount, end and custom fields): 204.
#[utoipa::path(put, path = "/references/{id}", tag = "references",
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "The reference id (from `POST /reference_ids` or your own)")),
    request_body = Option<openapi::ReferenceBody>,
    responses((status = 204, description = "Stored")))]
pub(super) async fn put_reference(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Fields(body): Fields,
) -> Result<StatusCode, PpError> {
    let id = kumbu_core::reference::parse_reference_id(&id)
        .map_err(|r| PpError::invalid("id", r.message))?;
    let end_datetime = match body.get("end_datetime") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(PpError::invalid(
                "end_datetime",
                "end_datetime must be an ISO 8601 date or date-time string",
            ))
        }
    };
    let custom_fields = match body.get("custom_fields") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Null
                | Value::Bool(_)
                | Value::Number(_)
                | Value::Array(_)
                | Value::Object(_) => Err(PpError::invalid(
                    "custom_fields",
                    format!("custom_fields values must be strings; `{k}` is not"),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Array(a)) if a.is_empty() => BTreeMap::new(), // PHP's json_encode([])
        Some(_) => {
            return Err(PpError::invalid(
                "custom_fields",
                "custom_fields must be an object of string keys and values",
            ))
        }
    };
    let cmd = PutReference {
        id,
        amount: amount(&body, "amount")?,
        end_datetime,
        custom_fields,
    };
    state.engine.put_reference(&auth, cmd).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Not a v2 operation: ProxyPay answers 404 whatever the reference (some clients call it
/// anyway); a reference's state shows in its payments.
#[utoipa::path(get, path = "/references/{id}", tag = "references",
    params(("id" = String, Path, description = "Anything")),
    responses((status = 404, description = "Always", body = PpMessage)))]
pub(super) async fn get_reference() -> PpError {
    PpError::not_found()
}

/// Delete a reference: it can no longer be paid (deleting one already deleted answers 204 again).
#[utoipa::path(delete, path = "/references/{id}", tag = "references",
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "The reference id")),
    responses((status = 204, description = "Deleted")))]
pub(super) async fn delete_reference(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, PpError> {
    let id = path_reference(&id)?;
    state.engine.delete_reference(&auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A fresh reference id, never given before: a bare JSON integer.
#[utoipa::path(post, path = "/reference_ids", tag = "references",
    responses((status = 200, description = "The id", body = u64, content_type = "application/json")))]
pub(super) async fn new_reference_id(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Fields(_): Fields,
) -> Result<Response, PpError> {
    let id = state.engine.new_reference_id(&auth).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        id.to_string(),
    )
        .into_response())
}
