//! Liveness, readiness and metrics endpoints (no authentication). `/metrics` is served on its
//! own listener (`--metrics-listen`, loopback by default): it shows every merchant's volumes,
//! backlogs and endpoint ids.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// What the metrics listener serves: `/metrics`, with `/healthz` and `/readyz` for probes.
pub fn metrics_routes() -> Router<AppState> {
    routes().route("/metrics", get(metrics))
}

/// The process is up.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.engine.store();
    match store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": store.dialect().name()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": store.dialect().name()})),
            )
        }
    }
}

/// Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (open, idle) = state.engine.store().pool_usage();
    metrics::gauge!("kumbu_db_pool_connections", "state" => "open").set(f64::from(open));
    metrics::gauge!("kumbu_db_pool_connections", "state" => "idle").set(idle as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::metrics_handle().render(),
    )
}
