//! Reading the Idempotency-Key header and fingerprinting a request: shared by every face.

use axum::http::{HeaderMap, Method};
use kumbu_core::Rejection;
use kumbu_engine::IdempotencyRequest;
use sha2::{Digest, Sha256};

/// The header name.
pub const HEADER: &str = "idempotency-key";

/// The request's Idempotency-Key, if it sent one, with a fingerprint of method, route and
/// parameters: a JSON body in its canonical form (members in key order, no spacing; see
/// [`crate::canonical_json`]), any other body as written.
pub fn from_request(
    headers: &HeaderMap,
    method: &Method,
    route: &str,
    body: &[u8],
) -> Result<Option<IdempotencyRequest>, Rejection> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("\u{0}");
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(route.as_bytes());
    h.update(b"\n");
    match crate::canonical_json::canonical(body) {
        Some(parameters) => h.update(parameters),
        None => h.update(body),
    }
    IdempotencyRequest::new(key, hex::encode(h.finalize())).map(Some)
}
