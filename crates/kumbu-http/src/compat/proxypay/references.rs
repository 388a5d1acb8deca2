//! ProxyPay's references and reference ids: create or replace, delete (a `GET` answers 404,
//! as in ProxyPay), and a fresh reference id.

use super::bodies::Fields;
use super::error::{PpError, PpMessage};
use super::openapi;
use super::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

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
    let cmd = Fields(body).reference(id)?;
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
