//! What the operators' simulators share on the HTTP side: JSON answers, empty answers, and
//! reading a header as operators read it (trimmed; empty is absent).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A JSON answer.
pub(crate) fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// An answer with no body.
pub(crate) fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// A header's value, trimmed; `None` when absent, empty or not text.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Serves a simulator's `router` on `listener` until `shutdown` completes.
pub(crate) async fn serve(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
