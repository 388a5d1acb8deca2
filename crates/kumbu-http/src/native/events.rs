//! `/v1/events`: the outbox as merchants read it, and the pull queue.

use super::views::{EventList, EventView};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, NoParams, PathId};
use crate::query::{query_pairs, Paging};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::Json;
use kumbu_core::ErrorCode;
use kumbu_engine::EventFilter;

/// List events; with `pending=true`, the pull queue (not yet acknowledged, oldest first).
#[utoipa::path(get, path = "/v1/events", tag = "events",
    params(
        ("pending" = Option<bool>, Query, description = "true: only unacknowledged events, oldest first"),
        ("type" = Option<crate::openapi::vocab::EventType>, Query, description = "Only this event type"),
        ("object" = Option<String>, Query, description = "Only events about this object id"),
        ("limit" = Option<u32>, Query, description = "1–100, default 20", minimum = 1, maximum = 100),
        ("starting_after" = Option<String>, Query, description = "Id of the last event of the previous page", min_length = 1),
    ),
    responses((status = 200, body = EventList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_events(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<EventList>, NativeError> {
    let mut filter = EventFilter::default();
    let mut paging = Paging::default();
    for (k, v) in query_pairs(query.as_deref())? {
        if paging.take(&k, &v)? {
            continue;
        }
        match k.as_str() {
            "pending" => {
                filter.pending = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(NativeError::new(
                            ErrorCode::ParameterInvalid,
                            "pending must be true or false",
                            Some("pending"),
                        ))
                    }
                }
            }
            "type" => filter.event_type = Some(v),
            "object" => filter.object_id = Some(v),
            other => {
                return Err(NativeError::new(
                    ErrorCode::ParameterUnknown,
                    format!("`{other}` is not a known parameter"),
                    Some(other),
                ))
            }
        }
    }
    let (events, has_more) = state
        .engine
        .list_events(
            &auth,
            &filter,
            paging.starting_after.as_deref(),
            paging.limit,
        )
        .await?;
    Ok(Json(EventList {
        object: "list",
        data: events
            .iter()
            .map(|e| EventView::of(e, &state.public_url))
            .collect(),
        has_more,
        url: "/v1/events",
    }))
}

/// Retrieve an event.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "events",
    params(("id" = String, Path, description = "evt_…")),
    responses((status = 200, body = EventView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_event(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<EventView>, NativeError> {
    let e = state.engine.event(&auth, &id).await?;
    Ok(Json(EventView::of(&e, &state.public_url)))
}

/// Acknowledge an event: it leaves the pull queue. Acknowledging again is harmless.
#[utoipa::path(post, path = "/v1/events/{id}/ack", tag = "events",
    params(("id" = String, Path, description = "evt_…")),
    responses((status = 200, body = EventView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn ack_event(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(_, _): Command<NoParams>,
) -> Result<Json<EventView>, NativeError> {
    let e = state.engine.ack_event(&auth, &id).await?;
    Ok(Json(EventView::of(&e, &state.public_url)))
}
