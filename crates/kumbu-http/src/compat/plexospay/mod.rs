//! The PlexosPay face at `/compat/plexospay/v1/…`: payments (Cabo Verde, Angola), refunds,
//! customers and webhooks, in PlexosPay's wire format (camelCase, amounts as strings, `pi_` ids,
//! `{"error": {"message", "code"}}`). See `docs/compat/plexospay.md`. Translation only.

mod bodies;
mod checkout;
mod customers;
mod error;
mod openapi;
mod payments;
mod refunds;
mod views;
mod webhook;
mod webhooks;

pub use webhook::Webhook;

use crate::compat::common::{paging, Paging};
use crate::compat::kit::{self, Face};
use crate::query::query_pairs;
use crate::AppState;
use axum::http::request::Parts;
use axum::Router;
use error::PxError;
use kumbu_core::ErrorCode;
use kumbu_engine::AuthContext;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The face's operations, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(payments::create_payment, payments::list_payments))
        .routes(routes!(payments::get_payment))
        .routes(routes!(payments::cancel_payment))
        .routes(routes!(refunds::create_refund, refunds::list_refunds))
        .routes(routes!(refunds::get_refund))
        .routes(routes!(
            customers::create_customer,
            customers::list_customers
        ))
        .routes(routes!(customers::get_customer))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(checkout::create_session, checkout::list_sessions))
        .routes(routes!(checkout::get_session))
        .routes(routes!(checkout::expire_session))
}

/// The face's routes, relative to `/compat/plexospay`, with its document at `/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    crate::openapi::served(router, &openapi::finished(doc))
        .fallback(|| async { PxError::new(ErrorCode::RouteNotFound, "Not found") })
        .method_not_allowed_fallback(|| async {
            PxError::new(ErrorCode::MethodNotAllowed, "Method not allowed")
        })
}

/// The PlexosPay face: its envelope, and the native API's keys (`Bearer sk_test_…|sk_live_…`).
pub struct PlexosPay;

impl Face for PlexosPay {
    type Error = PxError;

    async fn caller(parts: &mut Parts, state: &AppState) -> Result<AuthContext, PxError> {
        kit::bearer(parts, state).await
    }
}

type Caller = kit::Caller<PlexosPay>;
type Body<T> = kit::Body<T, PlexosPay>;

fn invalid(message: impl Into<String>) -> PxError {
    PxError::new(ErrorCode::ParameterInvalid, message)
}

/// Query parameters with PlexosPay's paging: `limit` 1–100 (default 20), `starting_after`.
fn list_query(query: Option<&str>) -> Result<Paging, PxError> {
    let pairs = query_pairs(query)?;
    paging(pairs, 20, 100).map_err(|(_, m)| invalid(m))
}

/// An `Idempotency-Key` header, as every POST takes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "only its documentation is used: utoipa reads the fields into the document; handlers read the request themselves"
)]
struct Idempotent {
    /// Makes retries safe: the first response is replayed for 24 h; the same key with another
    /// request is refused (400 `IDEMPOTENCY_ERROR`).
    #[param(rename = "Idempotency-Key", value_type = crate::openapi::vocab::IdempotencyKey, required = false)]
    idempotency_key: String,
}

/// The paging of a list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "only its documentation is used: utoipa reads the fields into the document; handlers read the request themselves"
)]
struct ListParams {
    /// How many, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The id of the last object of the previous page (one of yours: otherwise 404).
    starting_after: Option<String>,
}
