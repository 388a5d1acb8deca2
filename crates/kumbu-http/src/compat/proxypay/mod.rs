//! The ProxyPay API v2 face (Multicaixa references, reference ids, the payments queue, mock
//! payments), served at `/compat/proxypay/` and, optionally, at the root of a listener of its own.
//! See `docs/compat/proxypay.md`. Translation only: the engine owns references and payments.

mod bodies;
mod error;
mod openapi;
mod payments;
mod references;
mod views;
mod webhook;

pub use webhook::Webhook;

use crate::compat::kit::{self, Face};
use crate::AppState;
use axum::http::header::{ACCEPT, AUTHORIZATION};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Router;
use error::PpError;
use kumbu_engine::AuthContext;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

/// The only vendor version served.
const VERSION_MEDIA_TYPE: &str = "application/vnd.proxypay.v2+json";
/// The ProxyPay face: its envelope, and its callers: `Authorization: Token <API key>`, an
/// `Accept` of version 2, within the rate limit.
#[derive(Debug)]
pub struct ProxyPay;

/// An authenticated ProxyPay caller.
pub type Caller = kit::Caller<ProxyPay>;

/// Checks `Accept`: none, `*/*`, `application/json` or v2 get v2; another ProxyPay version → 406.
fn check_accept(parts: &Parts) -> Result<(), PpError> {
    let Some(accept) = parts.headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let asks_other_version = accept
        .split(',')
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .any(|t| t.starts_with("application/vnd.proxypay.") && t != VERSION_MEDIA_TYPE);
    let asks_v2 = accept.to_ascii_lowercase().contains(VERSION_MEDIA_TYPE);
    if asks_other_version && !asks_v2 {
        return Err(PpError::status(
            StatusCode::NOT_ACCEPTABLE,
            format!("Not Acceptable: this server speaks {VERSION_MEDIA_TYPE}"),
        ));
    }
    Ok(())
}

impl Face for ProxyPay {
    type Error = PpError;

    async fn caller(parts: &mut Parts, state: &AppState) -> Result<AuthContext, PpError> {
        check_accept(parts)?;
        let unauthorized =
            |m: &str| PpError::status(StatusCode::UNAUTHORIZED, format!("Unauthorized: {m}"));
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| unauthorized("send `Authorization: Token <API key>`"))?
            .to_str()
            .map_err(|_| unauthorized("the API key is wrong"))?;
        let (scheme, key) = header
            .trim()
            .split_once(' ')
            .ok_or_else(|| unauthorized("send `Authorization: Token <API key>`"))?;
        if !scheme.eq_ignore_ascii_case("token") && !scheme.eq_ignore_ascii_case("bearer") {
            return Err(unauthorized("send `Authorization: Token <API key>`"));
        }
        let ctx = state
            .engine
            .authenticate(key.trim())
            .await
            .map_err(|e| match e {
                kumbu_engine::EngineError::Rejected(_) => unauthorized("the API key is wrong"),
                other @ kumbu_engine::EngineError::Store(_) => PpError::from(other),
            })?;
        let ctx = kumbu_engine::AuthContext {
            face: Some(kumbu_core::Face::Proxypay),
            ..ctx
        };
        if let Err(wait) = state
            .proxypay_limit
            .check(&ctx.key_id, std::time::Instant::now())
        {
            return Err(PpError::too_many(wait));
        }
        Ok(ctx)
    }
}

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
    let r = both(
        r,
        routes!(
            references::put_reference,
            references::delete_reference,
            references::get_reference
        ),
    );
    let r = both(r, routes!(references::new_reference_id));
    let r = both(r, routes!(payments::list_payments, payments::mock_payment));
    both(r, routes!(payments::ack_payment))
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
