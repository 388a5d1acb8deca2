//! The ProxyPay API v2 face (Multicaixa references, reference ids, the payments queue, mock
//! payments), served at `/compat/proxypay/` and, optionally, at the root of a listener of its own.
//! See `docs/compat/proxypay.md`. Translation only: the engine owns references and payments.

mod error;
mod payment;
mod request;

pub use payment::webhook_body;

use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post, put, MethodRouter};
use axum::{Json, Router};
use error::PpError;
use kumbu_core::Mode;
use kumbu_engine::{EventFilter, EventObject, PutReference};
use payment::PpPayment;
use request::{amount, reference_id, Caller, Fields};
use serde_json::Value;
use std::collections::BTreeMap;

/// Registers `path` and `path/` (clients call `POST /reference_ids/` and `GET /payments/`).
fn both(router: Router<AppState>, path: &str, route: MethodRouter<AppState>) -> Router<AppState> {
    router
        .route(path, route.clone())
        .route(&format!("{path}/"), route)
}

/// The face's routes, relative to where it is mounted.
pub fn routes() -> Router<AppState> {
    let r = Router::new();
    let r = both(
        r,
        "/references/{id}",
        put(put_reference)
            .delete(delete_reference)
            // Not a v2 endpoint: ProxyPay answers 404 (some clients call it anyway).
            .get(|| async { PpError::not_found() }),
    );
    let r = both(r, "/reference_ids", post(new_reference_id));
    let r = both(
        r,
        "/payments",
        axum::routing::get(list_payments).post(mock_payment),
    );
    let r = both(r, "/payments/{id}", delete(ack_payment));
    r.fallback(|| async { PpError::not_found() })
        .method_not_allowed_fallback(|| async {
            PpError::status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
}

fn path_reference(id: &str) -> Result<u64, PpError> {
    kumbu_core::reference::parse_reference_id(id).map_err(|_| PpError::not_found())
}

/// `PUT /references/{id}` → 204.
async fn put_reference(
    State(state): State<AppState>,
    Caller(auth): Caller,
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

/// `DELETE /references/{id}` → 204.
async fn delete_reference(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, PpError> {
    let id = path_reference(&id)?;
    state.engine.delete_reference(&auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /reference_ids` → 200 and a bare JSON integer, nothing after it.
async fn new_reference_id(
    State(state): State<AppState>,
    Caller(auth): Caller,
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

/// `GET /payments?n=1..100` (default 100): unacknowledged payments, oldest first.
async fn list_payments(
    State(state): State<AppState>,
    Caller(auth): Caller,
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

/// `DELETE /payments/{id}` → 204: acknowledged (again is fine).
async fn ack_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
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

/// `POST /payments`: a mock payment (sandbox only; with a live key the route does not exist).
async fn mock_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
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
