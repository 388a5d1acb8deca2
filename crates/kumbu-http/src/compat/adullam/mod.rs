//! The Adullam face at `/compat/adullam/v1/…` (Côte d'Ivoire, XOF): access tokens for issued
//! credentials, payments with a required UUID Idempotency-Key, lists and search, refunds,
//! transfers (payouts), webhooks, and the documented rate limits. See `docs/compat/adullam.md`. Translation only.

mod bodies;
mod error;
mod openapi;
mod payments;
mod refunds;
mod tokens;
mod transfers;
mod views;
mod webhook;
mod webhooks;

pub use webhook::Webhook;

use crate::compat::kit::{self, Face};
use crate::extract::Command;
use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::Router;
use error::AdError;
use kumbu_core::ErrorCode;
use kumbu_engine::{AuthContext, IdempotencyRequest, Recorded};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The smallest payment, in XOF.
const MIN_AMOUNT: i64 = 100;
/// The longest description of a payment or refund, in characters.
const MAX_DESCRIPTION: usize = 200;
/// Lists' page size: (default, largest).
const LIMITS: (u32, u32) = (50, 100);

/// The face's operations, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(tokens::password_token))
        .routes(routes!(tokens::oauth_token))
        .routes(routes!(payments::create_payment, payments::list_payments))
        .routes(routes!(payments::search_payments))
        .routes(routes!(payments::get_payment))
        .routes(routes!(refunds::refund_payment))
        .routes(routes!(
            transfers::create_transfer,
            transfers::list_transfers
        ))
        .routes(routes!(transfers::get_transfer))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
}

/// The face's routes, relative to `/compat/adullam`, with its document at `/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    crate::openapi::served(router, &openapi::finished(doc))
        .fallback(|| async { AdError::new(ErrorCode::RouteNotFound, "Not found", None) })
        .method_not_allowed_fallback(|| async {
            AdError::new(ErrorCode::MethodNotAllowed, "Method not allowed", None)
        })
}

/// The Adullam face: its envelope, and its callers: an access token (from `/v1/auth/token`),
/// within the rate limits.
pub struct Adullam;

impl Face for Adullam {
    type Error = AdError;

    async fn caller(parts: &mut Parts, state: &AppState) -> Result<AuthContext, AdError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_owned())
            .ok_or_else(|| {
                AdError::new(
                    ErrorCode::ApiKeyMissing,
                    "Send `Authorization: Bearer <access_token>` (get one from /v1/auth/token).",
                    None,
                )
            })?;
        let mut auth = state.engine.authenticate_token(&token).await?;
        auth.face = Some(kumbu_core::Face::Adullam);
        let partner = format!("{}:{}", auth.merchant_id, auth.mode.as_str());
        let config = state.engine.config();
        state
            .adullam_limit
            .check(&partner, std::time::Instant::now())
            .map_err(|wait| {
                AdError::too_many(
                    wait,
                    (
                        config.adullam_requests_per_minute,
                        config.adullam_requests_per_hour,
                    ),
                )
            })?;
        Ok(auth)
    }
}

type Caller = kit::Caller<Adullam>;
type Body<T> = kit::Body<T, Adullam>;

/// A JSON body whose request must carry an `Idempotency-Key` that is a UUID.
struct Keyed<T>(IdempotencyRequest, T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Keyed<T> {
    type Rejection = AdError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AdError> {
        let key = req
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .map(str::to_owned);
        match key.as_deref() {
            None | Some("") => {
                return Err(AdError::new(
                    ErrorCode::IdempotencyKeyInvalid,
                    "The Idempotency-Key header is required (a UUID).",
                    Some("Idempotency-Key"),
                ))
            }
            Some(k) if uuid::Uuid::parse_str(k).is_err() => {
                return Err(AdError::new(
                    ErrorCode::IdempotencyKeyInvalid,
                    format!("Idempotency-Key must be a UUID, not {k:?}."),
                    Some("Idempotency-Key"),
                ))
            }
            Some(_) => {}
        }
        let Command(idem, body) = Command::<T>::from_request(req, state).await?;
        let idem = idem.ok_or_else(|| {
            AdError::new(
                ErrorCode::IdempotencyKeyInvalid,
                "The Idempotency-Key header is required (a UUID).",
                Some("Idempotency-Key"),
            )
        })?;
        Ok(Keyed(idem, body))
    }
}

fn record_json<T: serde::Serialize>(status: u16, v: &T) -> Recorded {
    crate::reply::record(status, v)
}
