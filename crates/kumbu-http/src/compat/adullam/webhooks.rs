//! Adullam's webhook endpoints: create and list (deliveries are `webhook.rs`).

use super::error::AdError;
use super::views::{AdWebhook, AdWebhookList};
use super::{openapi, record_json, views, Body, Caller};
use crate::reply::respond;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use kumbu_engine::{CreateEndpoint, WebhookFormat};
use serde::Deserialize;

/// `POST /v1/webhooks`' body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct WebhookBody {
    #[schema(value_type = openapi::WebhookUrl)]
    url: String,
    /// The events to send (a repeated one counts once).
    #[schema(value_type = Vec<openapi::AdEvent>, min_items = 1)]
    events: Vec<String>,
    #[schema(value_type = Option<openapi::WebhookDescription>)]
    description: Option<String>,
}

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
    let mut kumbu_events = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for e in &body.events {
        // A repeated event adds nothing (and must not count against the engine's limit).
        if named.contains(&e.as_str()) {
            continue;
        }
        named.push(e);
        let (_, ks) = views::EVENTS.iter().find(|(a, _)| a == e).ok_or_else(|| {
            AdError::invalid(
                "events",
                format!(
                    "unknown or unsupported event `{e}`; one of: {}",
                    views::EVENTS
                        .iter()
                        .map(|(a, _)| *a)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        kumbu_events.extend(ks.iter().map(|k| (*k).to_owned()));
    }
    let cmd = CreateEndpoint {
        url: body.url,
        events: kumbu_events,
        description: body.description,
        format: WebhookFormat::Adullam,
        signing_key: None,
        max_concurrency: None,
    };
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
