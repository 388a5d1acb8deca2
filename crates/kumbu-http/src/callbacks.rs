//! Operators' callbacks, `/callbacks/<protocol>/{reference}`. An operator that signs nothing
//! (MTN) could be anyone: its body is never applied. A callback only makes the payment the
//! operator knows by that reference due now, so that the worker asks the operator itself; a
//! forged callback costs one status query and changes nothing. The answer is the same whether
//! the reference is known or not.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::put;
use axum::Router;
use kumbu_engine::Protocol;

/// The callback routes (MTN sends PUT or POST).
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/callbacks/mtn-momo/{reference}",
        put(mtn_momo).post(mtn_momo),
    )
}

async fn mtn_momo(State(state): State<AppState>, Path(reference): Path<String>) -> StatusCode {
    match state
        .engine
        .operator_callback(Protocol::MtnMomo, &reference)
        .await
    {
        Ok(()) => {
            tracing::debug!(
                operator.reference = %reference,
                "MTN callback received: the status will be asked of MTN"
            );
            StatusCode::OK
        }
        Err(e) => {
            // A 5xx asks MTN to retry (where it retries); the status is polled regardless.
            tracing::error!(operator.reference = %reference, error = %e, "MTN callback not recorded");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
