//! Simiz webhook endpoints (`transaction.*` events).

use super::bodies::CreateWebhookBody;
use super::error::SmzError;
use super::views::SmzWebhook;
use super::{Body, Caller, Idempotent, SmzList};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use kumbu_engine::{CreateEndpoint, WebhookFormat};

/// Create a webhook endpoint: its `secret` signs every event (shown this once).
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks",
    params(Idempotent),
    request_body = CreateWebhookBody,
    responses((status = 200, description = "The endpoint, with its secret", body = SmzWebhook)))]
pub(super) async fn create_webhook(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateWebhookBody>,
) -> Result<Response, SmzError> {
    let cmd = CreateEndpoint::try_from(body)?;
    let outcome = state
        .engine
        .create_endpoint(&auth, cmd, idem.as_ref(), |e| {
            record(200, &SmzWebhook::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

/// The webhook endpoints created here.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "Every endpoint (`has_more` is false)", body = SmzList<SmzWebhook>)))]
pub(super) async fn list_webhooks(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
) -> Result<Json<SmzList<SmzWebhook>>, SmzError> {
    let list = state
        .engine
        .endpoints_of(&auth, WebhookFormat::Simiz)
        .await?;
    Ok(Json(SmzList {
        data: list.iter().map(SmzWebhook::from).collect(),
        has_more: false,
    }))
}
