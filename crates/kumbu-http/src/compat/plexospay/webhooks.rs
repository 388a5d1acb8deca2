//! PlexosPay's webhook endpoints: create and list (deliveries are `webhook.rs`).

use super::bodies::CreateWebhookBody;
use super::error::PxError;
use super::views::{PxList, PxWebhook};
use super::{Body, Caller, Idempotent};
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
    responses((status = 200, description = "The endpoint, with its secret", body = PxWebhook)))]
pub(super) async fn create_webhook(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateWebhookBody>,
) -> Result<Response, PxError> {
    let cmd = CreateEndpoint::try_from(body)?;
    let outcome = state
        .engine
        .create_endpoint(&auth, cmd, idem.as_ref(), |e| {
            record(200, &PxWebhook::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

/// The webhook endpoints created here.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "Every endpoint (`hasMore` is false)", body = PxList<PxWebhook>)))]
pub(super) async fn list_webhooks(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
) -> Result<Json<PxList<PxWebhook>>, PxError> {
    let list = state
        .engine
        .endpoints_of(&auth, WebhookFormat::Plexospay)
        .await?;
    Ok(Json(PxList {
        data: list.iter().map(PxWebhook::from).collect(),
        has_more: false,
    }))
}
