//! The ProxyPay API v2 face (Multicaixa references, reference ids, the payments queue, mock
//! payments), served at `/compat/proxypay/` and, optionally, at the root of a listener of its own.
//! See `docs/compat/proxypay.md`. Translation only: the engine owns references and payments.

mod error;
mod openapi;
mod payments;
mod references;
mod request;
mod views;
mod webhook;

pub use webhook::Webhook;

use crate::AppState;
use axum::http::StatusCode;
use axum::Router;
use error::PpError;
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
