//! Simiz webhook endpoints (`transaction.*` events).

use super::error::SmzError;
use super::views::{self};
use super::{invalid, openapi, Body, Caller, Idempotent, SmzList};
use crate::compat::common::iso_seconds;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use kumbu_engine::{CreateEndpoint, Endpoint, WebhookFormat};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/webhooks`'s body.
#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct CreateWebhookBody {
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    url: String,
    /// What to send (all when absent; a type listed twice counts once).
    #[schema(value_type = Option<Vec<openapi::SmzEvent>>, min_items = 1)]
    events: Option<Vec<String>>,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
}

/// An endpoint's status in Simiz's words: enabled, or not.
pub(super) const WEBHOOK_STATUSES: [&str; 2] = ["active", "inactive"];

/// A Simiz webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct SmzWebhook {
    /// `we_…`
    id: String,
    url: String,
    #[schema(value_type = Vec<openapi::SmzEvent>)]
    events: Vec<String>,
    #[schema(value_type = openapi::SmzWebhookStatus)]
    status: &'static str,
    /// `whsec_…`, only in the answer that created the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    secret: Option<String>,
    #[schema(value_type = openapi::DateTime)]
    created_at: String,
}

impl From<&Endpoint> for SmzWebhook {
    fn from(e: &Endpoint) -> Self {
        let mut events: Vec<String> = Vec::new();
        for k in &e.events {
            for s in views::EVENTS {
                if (k == "*" || views::kumbu_event(s) == Some(k.as_str()))
                    && !events.iter().any(|x| x == s)
                {
                    events.push(s.to_owned());
                }
            }
        }
        Self {
            id: e.id.clone(),
            url: e.url.clone(),
            events,
            status: if e.status == "enabled" {
                WEBHOOK_STATUSES[0]
            } else {
                WEBHOOK_STATUSES[1]
            },
            secret: e.secret.clone(),
            created_at: iso_seconds(e.created_at),
        }
    }
}

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
    let events = match body.events {
        // Every Simiz event, and nothing Simiz does not send.
        None => kumbu_engine::CHECKOUT_EVENTS
            .iter()
            .map(|e| (*e).to_owned())
            .collect(),
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for e in &list {
                let k = views::kumbu_event(e).ok_or_else(|| {
                    invalid(
                        "events",
                        format!("unknown event `{e}`; one of: {}", views::EVENTS.join(", ")),
                    )
                })?;
                if !out.iter().any(|x| x == k) {
                    out.push(k.to_owned());
                }
            }
            out
        }
    };
    let cmd = CreateEndpoint {
        url: body.url,
        events,
        description: body.description,
        format: WebhookFormat::Simiz,
        signing_key: None,
        max_concurrency: None,
    };
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
