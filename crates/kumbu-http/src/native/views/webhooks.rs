//! Webhook endpoints' wire types: bodies, the endpoint and its health as shown, attempts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/webhook_endpoints`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointBody {
    /// Where to POST events: `https://…` (live endpoints must be public hosts).
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    pub url: String,
    /// Event types to receive, or `["*"]` for all (not needed for `proxypay`, which receives
    /// settled payments by reference).
    #[serde(default)]
    pub events: Vec<String>,
    /// Free text.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub description: Option<String>,
    /// `native` (the default: Kumbu events signed with a `whsec_` secret) or `proxypay` (ProxyPay's
    /// flat payment object, signed with `X-Signature` under the API key of this request).
    pub format: Option<String>,
    /// Most deliveries in flight to this endpoint at once, across the gateway's processes
    /// (default 16). The gateway adapts below it to how the endpoint answers.
    #[schema(minimum = 1, maximum = 256)]
    pub max_concurrency: Option<i64>,
}

/// Body of `POST /v1/webhook_endpoints/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointBody {
    /// Most deliveries in flight at once (1 to 256); `null` goes back to the default (16).
    /// Required: a body without it changes nothing and is refused.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 256)]
    #[schema(required = true)]
    pub max_concurrency: Option<Option<i64>>,
}

/// A field that may be `null` but must be there: present (`Some`, holding `null` or a value)
/// or absent (`None`, through `#[serde(default)]`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// How an endpoint is doing (in `GET /v1/webhook_endpoints/{id}` only).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointHealthView {
    /// `healthy`, `degraded` (some of the latest attempts failed), `failing` (all failed since
    /// `failing_since`; disabled after 3 days) or `disabled`.
    pub state: &'static str,
    /// Deliveries in flight now, across the gateway's processes.
    pub in_flight: i64,
    /// How many may be in flight now: adapts to the endpoint, up to `max_concurrency`.
    pub concurrency_limit: u32,
    /// Deliveries due now, waiting for a free slot.
    pub queued: i64,
    /// Deliveries not yet delivered nor given up (queued, in flight or waiting for a retry).
    pub pending: i64,
    /// Since when every attempt failed (RFC 3339).
    pub failing_since: Option<String>,
    /// How many of the latest attempts (at most 100) the next fields summarise.
    pub recent_attempts: usize,
    /// Of those, how many failed.
    pub recent_failures: usize,
    /// Their median latency, in milliseconds.
    pub latency_p50_ms: Option<i64>,
    /// Their 99th-percentile latency, in milliseconds.
    pub latency_p99_ms: Option<i64>,
    /// When the latest attempt was made (RFC 3339).
    pub last_attempt_at: Option<String>,
    /// Its HTTP status, if an answer came.
    pub last_status_code: Option<u16>,
    /// Why it failed without an answer, if it did.
    pub last_error: Option<String>,
}

impl From<&kumbu_engine::EndpointHealth> for EndpointHealthView {
    fn from(h: &kumbu_engine::EndpointHealth) -> Self {
        Self {
            state: h.state.as_str(),
            in_flight: h.in_flight,
            concurrency_limit: h.concurrency_limit,
            queued: h.queued,
            pending: h.pending,
            failing_since: h.failing_since.map(|t| t.to_rfc3339()),
            recent_attempts: h.recent_attempts,
            recent_failures: h.recent_failures,
            latency_p50_ms: h.latency_p50_ms,
            latency_p99_ms: h.latency_p99_ms,
            last_attempt_at: h.last_attempt_at.map(|t| t.to_rfc3339()),
            last_status_code: h.last_status_code,
            last_error: h.last_error.clone(),
        }
    }
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// `we_…`
    pub id: String,
    /// Always `webhook_endpoint`.
    pub object: &'static str,
    /// Where events go.
    pub url: String,
    /// Subscribed event types (`["*"]` for all).
    pub events: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// `enabled` or `disabled`.
    pub status: String,
    /// `native` or `proxypay`.
    pub format: String,
    /// Most deliveries in flight at once, across the gateway's processes.
    pub max_concurrency: u32,
    /// `true` for live endpoints.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// The signing secret (`whsec_…`): only in the response that created or rotated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// How the endpoint is doing: only in `GET /v1/webhook_endpoints/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<EndpointHealthView>,
}

impl From<&kumbu_engine::Endpoint> for EndpointView {
    fn from(e: &kumbu_engine::Endpoint) -> Self {
        Self {
            id: e.id.clone(),
            object: "webhook_endpoint",
            url: e.url.clone(),
            events: e.events.clone(),
            description: e.description.clone(),
            status: e.status.clone(),
            format: e.format.as_str().to_owned(),
            max_concurrency: e.max_concurrency,
            livemode: e.mode.is_live(),
            created_at: e.created_at.to_rfc3339(),
            secret: e.secret.clone(),
            health: None,
        }
    }
}

/// The caller's webhook endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    /// Always `list`.
    pub object: &'static str,
    /// The endpoints, oldest first.
    pub data: Vec<EndpointView>,
    /// Never: all endpoints fit one page.
    pub has_more: bool,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// Always `delivery_attempt`.
    pub object: &'static str,
    /// The endpoint.
    pub endpoint: String,
    /// RFC 3339.
    pub at: String,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// How long the attempt took.
    pub latency_ms: i64,
    /// Why it failed without an answer (timeout, connection failed…).
    pub error: Option<String>,
    /// The first KiB of the endpoint's answer.
    pub response_excerpt: Option<String>,
}

impl From<&kumbu_engine::AttemptRecord> for AttemptView {
    fn from(a: &kumbu_engine::AttemptRecord) -> Self {
        Self {
            object: "delivery_attempt",
            endpoint: a.endpoint_id.clone(),
            at: a.at.to_rfc3339(),
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error.clone(),
            response_excerpt: a.response_excerpt.clone(),
        }
    }
}

/// Every attempt to deliver an event, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptList {
    /// Always `list`.
    pub object: &'static str,
    /// The attempts.
    pub data: Vec<AttemptView>,
    /// Never.
    pub has_more: bool,
}

/// The answer to a resend.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResendView {
    /// Always `resend`.
    pub object: &'static str,
    /// The event.
    pub event: String,
    /// How many deliveries are now due.
    pub deliveries_due: u64,
}
