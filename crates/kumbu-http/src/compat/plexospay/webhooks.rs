//! PlexosPay's webhook endpoints: create and list (deliveries are `webhook.rs`).

use super::error::PxError;
use super::views::{PxList, PxWebhook};
use super::{invalid, openapi, Body, Caller, Idempotent};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use kumbu_engine::{CreateEndpoint, WebhookFormat};
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /v1/webhooks`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateWebhookBody {
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    url: String,
    /// What to send (a type listed twice counts once).
    #[schema(value_type = Vec<openapi::PxWebhookEvent>, min_items = 1)]
    events: Vec<String>,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
}

/// The event types a PlexosPay endpoint may subscribe to (those Kumbu emits).
pub(super) const WEBHOOK_EVENTS: [&str; 11] = [
    "payment.created",
    "payment.debited",
    "payment.settled",
    "payment.failed",
    "payment.expired",
    "payment.cancelled",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
    "checkout.completed",
    "checkout.expired",
];

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
    if let Some(bad) = body
        .events
        .iter()
        .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
    {
        return Err(invalid(format!(
            "unknown or unsupported event `{bad}`; one of: {}",
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    // A type listed twice counts once; PlexosPay knows no cancelled session: one the customer
    // abandoned is reported expired.
    let mut events: Vec<String> = Vec::with_capacity(body.events.len() + 1);
    for e in body.events {
        if !events.contains(&e) {
            events.push(e);
        }
    }
    if events.iter().any(|e| e == "checkout.expired") {
        events.push("checkout.cancelled".to_owned());
    }
    let cmd = CreateEndpoint {
        url: body.url,
        events,
        description: body.description,
        format: WebhookFormat::Plexospay,
        signing_key: None,
        max_concurrency: None,
    };
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
