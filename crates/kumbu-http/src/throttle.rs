//! Refusals that say when to come back. The per-key request limit (`--api-rate-limit` a minute,
//! counted per process) of everything an API key authenticates: the native API and the
//! PlexosPay, Simiz and Kulpay faces (ProxyPay and Adullam keep their own documented limits).
//! A refusal is 429 in the face's own envelope with `Retry-After`: whoever refuses leaves the
//! wait in the request's [`RetryAfter`] slot, and [`retry_after`] copies it onto whatever
//! response the face rendered.

use crate::error::NativeError;
use crate::AppState;
use axum::extract::Request;
use axum::http::header::RETRY_AFTER;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use kumbu_core::ErrorCode;
use kumbu_engine::AuthContext;
use std::sync::{Arc, OnceLock};

/// Where a refusal leaves its wait for [`retry_after`] (a handler takes it as an `Extension`).
#[derive(Debug, Clone, Default)]
pub(crate) struct RetryAfter(Arc<OnceLock<u64>>);

impl RetryAfter {
    /// The response will say `Retry-After: <wait in whole seconds, at least 1>`; the wait.
    pub(crate) fn set(&self, wait: std::time::Duration) -> u64 {
        let secs = wait.as_secs().max(1);
        let _ = self.0.set(secs);
        secs
    }
}

/// Counts a request by `auth`'s key; a 429 naming the limit when it is reached.
pub(crate) fn admit(
    parts: &Parts,
    state: &AppState,
    auth: &AuthContext,
) -> Result<(), NativeError> {
    let Err(wait) = state
        .api_limit
        .check(&auth.key_id, std::time::Instant::now())
    else {
        return Ok(());
    };
    let secs = match parts.extensions.get::<RetryAfter>() {
        Some(slot) => slot.set(wait),
        None => wait.as_secs().max(1),
    };
    Err(NativeError::new(
        ErrorCode::RateLimited,
        format!(
            "Too many requests for this key ({} a minute): retry in {secs} s (Retry-After).",
            state.engine.config().api_requests_per_minute
        ),
        None,
    ))
}

/// Adds `Retry-After` to a response refused by [`admit`], in whichever envelope it was written.
pub(crate) async fn retry_after(mut req: Request, next: Next) -> Response {
    let slot = RetryAfter::default();
    req.extensions_mut().insert(slot.clone());
    let mut resp = next.run(req).await;
    if let Some(secs) = slot.0.get() {
        resp.headers_mut()
            .entry(RETRY_AFTER)
            .or_insert_with(|| HeaderValue::from(*secs));
    }
    resp
}
