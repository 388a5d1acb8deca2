//! `/v1/webhook_endpoints`, and delivery inspection on `/v1/events/{id}`.

use super::views::{
    AttemptList, AttemptView, CreateEndpointBody, Deleted, EndpointHealthView, EndpointList,
    EndpointView, EventView, ResendView, UpdateEndpointBody,
};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, KeyedAuth, NoParams, PathId};
use crate::reply::{record, respond};
use crate::throttle::RetryAfter;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use kumbu_core::ErrorCode;
use kumbu_engine::{CreateEndpoint, WebhookFormat};

/// Create an endpoint; the response carries its signing secret, this once.
#[utoipa::path(post, path = "/v1/webhook_endpoints", tag = "webhooks",
    request_body = CreateEndpointBody,
    responses((status = 200, body = EndpointView), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_endpoint(
    State(state): State<AppState>,
    KeyedAuth(auth, key): KeyedAuth,
    Command(idem, body): Command<CreateEndpointBody>,
) -> Result<Response, NativeError> {
    let format = match body.format.as_deref() {
        None => WebhookFormat::Native,
        Some(f) => WebhookFormat::parse(f).ok_or_else(|| {
            NativeError::new(
                ErrorCode::ParameterInvalid,
                "format must be `native` or `proxypay`",
                Some("format"),
            )
        })?,
    };
    let cmd = CreateEndpoint {
        url: body.url,
        events: body.events,
        description: body.description,
        format,
        signing_key: Some(key),
        max_concurrency: body.max_concurrency,
    };
    let outcome = state
        .engine
        .create_endpoint(&auth, cmd, idem.as_ref(), |e| {
            record(200, &EndpointView::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

/// List endpoints.
#[utoipa::path(get, path = "/v1/webhook_endpoints", tag = "webhooks",
    responses((status = 200, body = EndpointList)), security(("bearer" = [])))]
pub async fn list_endpoints(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> Result<Json<EndpointList>, NativeError> {
    let list = state.engine.endpoints(&auth).await?;
    Ok(Json(EndpointList {
        object: "list",
        data: list.iter().map(EndpointView::from).collect(),
        has_more: false,
    }))
}

/// Retrieve an endpoint, with its health: deliveries queued and in flight, its current
/// concurrency limit, and how its latest attempts went.
#[utoipa::path(get, path = "/v1/webhook_endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "we_…")),
    responses((status = 200, body = EndpointView), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
pub async fn get_endpoint(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<EndpointView>, NativeError> {
    let mut view = EndpointView::from(&state.engine.endpoint(&auth, &id).await?);
    let health = state.engine.endpoint_health(&auth, &id).await?;
    view.health = Some(EndpointHealthView::from(&health));
    Ok(Json(view))
}

/// Change an endpoint's `max_concurrency` (deliveries in flight at once).
#[utoipa::path(post, path = "/v1/webhook_endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "we_…")),
    request_body = UpdateEndpointBody,
    responses((status = 200, body = EndpointView), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn update_endpoint(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(_, body): Command<UpdateEndpointBody>,
) -> Result<Json<EndpointView>, NativeError> {
    let Some(max_concurrency) = body.max_concurrency else {
        return Err(NativeError::new(
            ErrorCode::ParameterMissing,
            "max_concurrency is required (a number from 1 to 256, or null for the default)",
            Some("max_concurrency"),
        ));
    };
    Ok(Json(EndpointView::from(
        &state
            .engine
            .set_endpoint_max_concurrency(&auth, &id, max_concurrency)
            .await?,
    )))
}

/// Delete an endpoint: nothing more is sent to it.
#[utoipa::path(delete, path = "/v1/webhook_endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "we_…")),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<Deleted>, NativeError> {
    state.engine.delete_endpoint(&auth, &id).await?;
    Ok(Json(Deleted {
        id,
        object: "webhook_endpoint",
        deleted: true,
    }))
}

/// Give an endpoint a new secret; the old one keeps signing beside it for 24 hours.
#[utoipa::path(post, path = "/v1/webhook_endpoints/{id}/rotate_secret", tag = "webhooks",
    params(("id" = String, Path, description = "we_…"),
           ("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retried rotation returns the same new secret")),
    responses((status = 200, body = EndpointView), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, _): Command<NoParams>,
) -> Result<Response, NativeError> {
    let outcome = state
        .engine
        .rotate_endpoint_secret(&auth, &id, idem.as_ref(), |e| {
            record(200, &EndpointView::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

/// Send a `webhook_endpoint.test` event to this endpoint alone, whatever it subscribes to: to
/// check a receiver and its signature check. Native-format endpoints only.
#[utoipa::path(post, path = "/v1/webhook_endpoints/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "we_…")),
    responses((status = 200, body = EventView), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
pub async fn send_test(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<EventView>, NativeError> {
    let event_id = state.engine.send_test_event(&auth, &id).await?;
    let event = state.engine.event(&auth, &event_id).await?;
    Ok(Json(EventView::of(&event, &state.public_url)))
}

/// Enable an endpoint (it also forgets its failure streak).
#[utoipa::path(post, path = "/v1/webhook_endpoints/{id}/enable", tag = "webhooks",
    params(("id" = String, Path, description = "we_…")),
    responses((status = 200, body = EndpointView), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
pub async fn enable_endpoint(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<EndpointView>, NativeError> {
    Ok(Json(EndpointView::from(
        &state.engine.set_endpoint_enabled(&auth, &id, true).await?,
    )))
}

/// Disable an endpoint: nothing is sent to it until it is enabled again.
#[utoipa::path(post, path = "/v1/webhook_endpoints/{id}/disable", tag = "webhooks",
    params(("id" = String, Path, description = "we_…")),
    responses((status = 200, body = EndpointView), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
pub async fn disable_endpoint(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<EndpointView>, NativeError> {
    Ok(Json(EndpointView::from(
        &state.engine.set_endpoint_enabled(&auth, &id, false).await?,
    )))
}

/// Every attempt to deliver an event.
#[utoipa::path(get, path = "/v1/events/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "evt_…")),
    responses((status = 200, body = AttemptList), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
pub async fn event_deliveries(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<AttemptList>, NativeError> {
    let attempts = state.engine.deliveries(&auth, &id).await?;
    Ok(Json(AttemptList {
        object: "list",
        data: attempts.iter().map(AttemptView::from).collect(),
        has_more: false,
    }))
}

/// Deliver an event again, now, to every endpoint subscribed to it.
#[utoipa::path(post, path = "/v1/events/{id}/resend", tag = "webhooks",
    params(("id" = String, Path, description = "evt_…")),
    responses((status = 200, body = ResendView), (status = 404, body = ErrorEnvelope),
        (status = 429, description = "More than 60 resends a minute for this merchant and mode, or the key's limit", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn resend_event(
    State(state): State<AppState>,
    Extension(retry): Extension<RetryAfter>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(_, _): Command<NoParams>,
) -> Result<Json<ResendView>, NativeError> {
    let merchant = (auth.merchant_id.as_str(), auth.mode.as_str());
    if let Err(wait) = state
        .resend_limit
        .check(&merchant, std::time::Instant::now())
    {
        let secs = retry.set(wait);
        return Err(NativeError::new(
            ErrorCode::RateLimited,
            format!(
                "At most {} resends a minute (each goes to every endpoint): retry in {secs} s.",
                crate::RESENDS_PER_MINUTE
            ),
            None,
        ));
    }
    let n = state.engine.resend_event(&auth, &id).await?;
    Ok(Json(ResendView {
        object: "resend",
        event: id,
        deliveries_due: n,
    }))
}
