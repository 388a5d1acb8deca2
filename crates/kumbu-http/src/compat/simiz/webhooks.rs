//! Simiz webhook endpoints (`transaction.*` events).

use super::error::SmzError;
use super::views::{self};
use super::{invalid, Body, Caller, SmzList};
use crate::compat::common::iso_seconds;
use crate::native::payments::{record, respond};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use kumbu_engine::{CreateEndpoint, Endpoint, WebhookFormat};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub(super) struct CreateWebhookBody {
    url: String,
    events: Option<Vec<String>>,
    description: Option<String>,
}

/// A Simiz webhook endpoint.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SmzWebhook {
    id: String,
    url: String,
    events: Vec<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
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
                "active"
            } else {
                "inactive"
            },
            secret: e.secret.clone(),
            created_at: iso_seconds(e.created_at),
        }
    }
}

pub(super) async fn create_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreateWebhookBody>,
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

pub(super) async fn list_webhooks(
    State(state): State<AppState>,
    Caller(auth): Caller,
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
