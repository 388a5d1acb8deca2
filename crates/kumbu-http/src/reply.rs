//! How every handler, native or face, answers an engine command: the rendered response the engine
//! stores for idempotent replay (`record`), and the HTTP response sent from it (`respond`).

use axum::response::{IntoResponse, Response};
use kumbu_engine::{Outcome, Recorded};

/// Renders a value as a stored response.
pub(crate) fn record<T: serde::Serialize>(status: u16, value: &T) -> Recorded {
    Recorded {
        status,
        body: serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned()),
    }
}

/// Sends an engine outcome, marking replays with `Idempotent-Replayed: true`.
pub(crate) fn respond(outcome: Outcome) -> Response {
    let status = axum::http::StatusCode::from_u16(outcome.response.status)
        .unwrap_or(axum::http::StatusCode::OK);
    let mut resp = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        outcome.response.body,
    )
        .into_response();
    if outcome.replayed {
        resp.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    resp
}
