//! Simiz project checkout sessions.

use super::bodies::CreateSessionBody;
use super::error::{SmzError, SmzErrorBody};
use super::views::{project_id, SmzSession};
use super::{openapi, Body, Caller, Idempotent};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::ErrorCode;
use kumbu_engine::{AuthContext, CreateCheckoutSession};

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
    let cmd = CreateCheckoutSession::try_from(body)?;
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
