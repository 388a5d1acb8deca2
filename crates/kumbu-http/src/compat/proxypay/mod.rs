//! The ProxyPay API v2 face (Multicaixa references, reference ids, the payments queue, mock
//! payments), served at `/compat/proxypay/` and, optionally, at the root of a listener of its own.
//! See `docs/compat/proxypay.md`. Translation only: the engine owns references and payments.

mod error;
mod openapi;
mod payment;
mod request;
mod webhook;

pub use webhook::Webhook;

use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use error::{PpError, PpMessage};
use kumbu_core::Mode;
use kumbu_engine::{EventFilter, EventObject, PutReference};
use payment::PpPayment;
use request::{amount, reference_id, Caller, Fields};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

/// Registers the operations of one path at `path` and at `path/` (clients call `POST
/// /reference_ids/` and `GET /payments/`); the document lists the first.
fn both(r: OpenApiRouter<AppState>, ops: UtoipaMethodRouter<AppState>) -> OpenApiRouter<AppState> {
    let (_, paths, method_router) = &ops;
    let slashed = paths
        .paths
        .keys()
        .map(|p| format!("{p}/"))
        .collect::<Vec<_>>();
    let r = slashed
        .iter()
        .fold(r, |r, p| r.route(p, method_router.clone()));
    r.routes(ops)
}

/// The face's operations, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::with_openapi(openapi::base());
    let r = both(r, routes!(put_reference, delete_reference, get_reference));
    let r = both(r, routes!(new_reference_id));
    let r = both(r, routes!(list_payments, mock_payment));
    both(r, routes!(ack_payment))
}

/// The face's routes, relative to where it is mounted, with its document at `/openapi.json`.
pub fn routes() -> Router<AppState> {
    routes_at("/compat/proxypay")
}

/// The face's routes for a listener of its own, at its root (`--proxypay-listen`): its document
/// says so.
pub fn root_routes() -> Router<AppState> {
    routes_at("/")
}

/// The routes, with a document whose server is `mount`.
fn routes_at(mount: &str) -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    crate::openapi::served(router, &openapi::finished(doc, mount))
        .fallback(|| async { PpError::not_found() })
        .method_not_allowed_fallback(|| async {
            PpError::status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
}

fn path_reference(id: &str) -> Result<u64, PpError> {
    kumbu_core::reference::parse_reference_id(id).map_err(|_| PpError::not_found())
}

/// Create or replace a reference (its amount, end and custom fields): 204.
#[utoipa::path(put, path = "/references/{id}", tag = "references",
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "The reference id (from `POST /reference_ids` or your own)")),
    request_body = Option<openapi::ReferenceBody>,
    responses((status = 204, description = "Stored")))]
async fn put_reference(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Fields(body): Fields,
) -> Result<StatusCode, PpError> {
    let id = kumbu_core::reference::parse_reference_id(&id)
        .map_err(|r| PpError::invalid("id", r.message))?;
    let end_datetime = match body.get("end_datetime") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(PpError::invalid(
                "end_datetime",
                "end_datetime must be an ISO 8601 date or date-time string",
            ))
        }
    };
    let custom_fields = match body.get("custom_fields") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Null
                | Value::Bool(_)
                | Value::Number(_)
                | Value::Array(_)
                | Value::Object(_) => Err(PpError::invalid(
                    "custom_fields",
                    format!("custom_fields values must be strings; `{k}` is not"),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Array(a)) if a.is_empty() => BTreeMap::new(), // PHP's json_encode([])
        Some(_) => {
            return Err(PpError::invalid(
                "custom_fields",
                "custom_fields must be an object of string keys and values",
            ))
        }
    };
    let cmd = PutReference {
        id,
        amount: amount(&body, "amount")?,
        end_datetime,
        custom_fields,
    };
    state.engine.put_reference(&auth, cmd).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Not a v2 operation: ProxyPay answers 404 whatever the reference (some clients call it
/// anyway); a reference's state shows in its payments.
#[utoipa::path(get, path = "/references/{id}", tag = "references",
    params(("id" = String, Path, description = "Anything")),
    responses((status = 404, description = "Always", body = PpMessage)))]
async fn get_reference() -> PpError {
    PpError::not_found()
}

/// Delete a reference: it can no longer be paid (deleting one already deleted answers 204 again).
#[utoipa::path(delete, path = "/references/{id}", tag = "references",
    params(("id" = crate::openapi::vocab::ReferenceId, Path, description = "The reference id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_reference(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, PpError> {
    let id = path_reference(&id)?;
    state.engine.delete_reference(&auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A fresh reference id, never given before: a bare JSON integer.
#[utoipa::path(post, path = "/reference_ids", tag = "references",
    responses((status = 200, description = "The id", body = u64, content_type = "application/json")))]
async fn new_reference_id(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Fields(_): Fields,
) -> Result<Response, PpError> {
    let id = state.engine.new_reference_id(&auth).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        id.to_string(),
    )
        .into_response())
}

/// Payments not yet acknowledged, oldest first.
#[utoipa::path(get, path = "/payments", tag = "payments",
    params(("n" = Option<u32>, Query, description = "How many, 1–100 (default 100)", minimum = 1, maximum = 100)),
    responses((status = 200, description = "The payments", body = Vec<PpPayment>)))]
async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<PpPayment>>, PpError> {
    let mut n = 100u32;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k == "n" {
            n = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| PpError::invalid("n", "n must be an integer between 1 and 100"))?;
        }
    }
    let filter = EventFilter {
        pending: true,
        event_type: Some("payment.settled".to_owned()),
        bank_payments: true,
        ..EventFilter::default()
    };
    let (events, _) = state.engine.list_events(&auth, &filter, None, n).await?;
    Ok(Json(
        events
            .iter()
            .filter_map(|e| match &e.object {
                EventObject::Payment(p) => PpPayment::of(p),
                EventObject::WebhookEndpoint(_)
                | EventObject::Refund(_)
                | EventObject::CheckoutSession(_)
                | EventObject::CollectionRequest(_)
                | EventObject::IngestedPayment(_)
                | EventObject::Payout(_) => None,
            })
            .collect(),
    ))
}

/// Acknowledge a payment: it leaves the queue (acknowledging again answers 204 too).
#[utoipa::path(delete, path = "/payments/{id}", tag = "payments",
    params(("id" = u64, Path, description = "The payment's id", minimum = 1)),
    responses((status = 204, description = "Acknowledged")))]
async fn ack_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Fields(_): Fields,
) -> Result<StatusCode, PpError> {
    let id: i64 = id
        .trim()
        .parse()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(PpError::not_found)?;
    state.engine.ack_bank_payment(&auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A mock payment of a reference (sandbox keys only; with a live key: 404).
#[utoipa::path(post, path = "/payments", tag = "payments",
    request_body = openapi::MockPaymentBody,
    responses((status = 200, description = "The payment, as the queue and webhooks show it", body = PpPayment)))]
async fn mock_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Fields(body): Fields,
) -> Result<Json<PpPayment>, PpError> {
    if auth.mode == Mode::Live {
        return Err(PpError::not_found());
    }
    let id = reference_id(&body, "reference_id")?;
    let amount =
        amount(&body, "amount")?.ok_or_else(|| PpError::invalid("amount", "amount is required"))?;
    let payment = state
        .engine
        .simulate_reference_payment(&auth, id, amount)
        .await?;
    PpPayment::of(&payment)
        .map(Json)
        .ok_or_else(|| PpError::status(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"))
}
