//! Operators' callbacks, `/callbacks/<connector>/{reference}` (MTN MoMo: `mtn-momo`; Orange
//! Money: `orange-money`; Wave: `wave/events`, naming the reference in the body). An operator
//! that signs nothing (MTN) could be anyone: its body is never applied. Orange's carries the
//! notification token it gave for the page, Wave's is signed with the merchant's webhook secret;
//! the engine checks them before the callback counts at all; even then it is never applied. A callback only
//! makes the payment the operator knows by that reference due now, so that the worker asks the
//! operator itself; a forged callback costs at most one status query per payment in
//! [`crate::CALLBACK_PULL_INTERVAL`] (per process) and changes nothing. The answer is the same
//! whether the reference is known or not, and whether it moved anything.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::Router;
use kumbu_engine::CallbackVerdict;

/// The callback routes (MTN sends PUT or POST), one for every connector.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/callbacks/{connector}/{reference}",
            put(callback).post(callback),
        )
        // Operators' callbacks are a few hundred bytes; nothing larger is read.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CALLBACK_BODY))
}

/// The largest callback body read (a larger one is refused with 413 before it is buffered).
const MAX_CALLBACK_BODY: usize = 16 * 1024;

async fn callback(
    State(state): State<AppState>,
    Path((connector, path)): Path<(String, String)>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    if state.engine.is_gateway(&connector) {
        // A reference gateway's webhook (ProxyPay's): it reports a payment for the merchant the
        // path names, believed only when signed with that merchant's key; recorded before the
        // answer, acknowledged at the gateway after.
        return match state
            .engine
            .gateway_webhook(&connector, &path, &headers, &body)
            .await
        {
            Ok(true) => StatusCode::NO_CONTENT.into_response(),
            Ok(false) => StatusCode::UNAUTHORIZED.into_response(),
            Err(e) => {
                tracing::error!(connector = %connector, merchant = %path, error = %e, "gateway webhook not recorded; the gateway's queue brings it again");
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        };
    }
    let failed = |reference: &str, e: kumbu_engine::EngineError| {
        // A 5xx asks the operator to retry (where it retries); the status is polled regardless.
        tracing::error!(connector = %connector, operator.reference = %reference, error = %e, "operator callback not recorded");
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    };
    let (reference, proved) = match state
        .engine
        .callback_verdict(&connector, &path, &body, &headers)
        .await
    {
        Ok(CallbackVerdict::Believed(reference)) => (reference, false),
        Ok(CallbackVerdict::Proved(reference)) => (reference, true),
        Ok(CallbackVerdict::Ignored) => return StatusCode::OK.into_response(),
        // No connector by that name: the same answer as any unknown path.
        Ok(CallbackVerdict::NoSuchConnector) => {
            return crate::error::route_not_found(uri).await.into_response()
        }
        Err(e) => return failed(&path, e),
    };
    // A callback only moves the payment's status query forward; once per reference in a few
    // seconds is enough, and a stream of forged ones costs the merchant's operator quota no
    // more. One proved to be the operator's (Orange, Wave) is counted per reference *and body*:
    // operators send successive, different events within seconds (a failed try, then the
    // payment), all taken; a replayed copy of one is held back like any other.
    let key = if proved {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&body[..], &mut h);
        format!("{reference}#{:016x}", std::hash::Hasher::finish(&h))
    } else {
        reference.clone()
    };
    let pulled = (connector.as_str(), key.as_str());
    if state
        .callback_pulls
        .check(&pulled, std::time::Instant::now())
        .is_err()
    {
        return StatusCode::OK.into_response();
    }
    match state.engine.operator_callback(&reference).await {
        Ok(()) => {
            tracing::debug!(
                connector = %connector,
                operator.reference = %reference,
                "operator callback received: the status will be asked of the operator"
            );
            StatusCode::OK.into_response()
        }
        Err(e) => failed(&reference, e),
    }
}
