//! Request ids, access logs and Prometheus metrics for every request.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Generates `req_…` ids for requests that do not bring an `X-Request-Id`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeReqId;

impl MakeRequestId for MakeReqId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = format!("req_{}", kumbu_core::ids::random_token(20));
        axum::http::HeaderValue::from_str(&id)
            .ok()
            .map(RequestId::new)
    }
}

/// Sets `X-Request-Id` on the request (keeping the client's if sent) and echoes it back.
pub fn request_id_layers(
) -> tower::layer::util::Stack<PropagateRequestIdLayer, SetRequestIdLayer<MakeReqId>> {
    tower::layer::util::Stack::new(
        PropagateRequestIdLayer::new(REQUEST_ID),
        SetRequestIdLayer::new(REQUEST_ID, MakeReqId),
    )
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(h) => h,
                // Another recorder is installed (e.g. by an embedding program): render ours anyway.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Logs each request with its id, route, status and latency, and counts it in `/metrics`.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, route = %route);
    let _guard = span.enter();
    drop(_guard);
    let response = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    metrics::counter!("kumbu_http_requests_total", "route" => route.clone(), "method" => method.to_string(), "status" => status.to_string()).increment(1);
    metrics::histogram!("kumbu_http_request_duration_seconds", "route" => route.clone(), "method" => method.to_string()).record(elapsed.as_secs_f64());
    let ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, latency_ms = ms, "request failed");
        } else {
            tracing::info!(status, latency_ms = ms, "request");
        }
    });
    response
}
