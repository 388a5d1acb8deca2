//! Adullam's webhook endpoints: create and list (deliveries are `webhook.rs`).

use super::bodies::WebhookBody;
use super::error::AdError;
use super::views::{AdWebhook, AdWebhookList};
use super::{record_json, Body, Caller};
use crate::reply::respond;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use kumbu_engine::{CreateEndpoint, WebhookFormat};

/// A webhook: the events it names are sent to its URL, signed with its secret (shown once,
/// in this answer).
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks",
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header)),
    request_body = WebhookBody,
    responses((status = 201, description = "The webhook, with its secret", body = AdWebhook)))]
pub(super) async fn create_webhook(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<WebhookBody>,
) -> Result<Response, AdError> {
    let cmd = CreateEndpoint::try_from(body)?;
    let outcome = state
        .engine
        .create_endpoint(&auth, cmd, idem.as_ref(), |e| {
            record_json(201, &AdWebhook::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

/// The webhooks, oldest first (without their secrets).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The webhooks", body = AdWebhookList)))]
pub(super) async fn list_webhooks(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
) -> Result<Json<AdWebhookList>, AdError> {
    let data: Vec<AdWebhook> = state
        .engine
        .endpoints_of(&auth, WebhookFormat::Adullam)
        .await?
        .iter()
        .map(AdWebhook::from)
        .collect();
    Ok(Json(AdWebhookList { data }))
}
