//! What the simulated Wave's handlers share: its error bodies, its ids, where the payer's page
//! is served, and how it reads amounts and numbers.

use crate::sim_http::{header, reply};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// Wave's error body.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    reply(status, json!({ "code": code, "message": message }))
}

/// A validation error naming the field.
pub(super) fn invalid(field: &str, message: &str) -> Response {
    reply(
        StatusCode::BAD_REQUEST,
        json!({ "code": "request-validation-error", "message": message,
            "details": [{ "loc": [field], "msg": message }] }),
    )
}

/// `<prefix>` and 13 lowercase letters and digits, as Wave's ids look (`cos-18qq25rgr100a`).
pub(super) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", crate::sim_http::random(13).to_lowercase())
}

/// Where the payer's page is served (`wave_launch_url`), from the request's `Host`.
pub(super) fn launch_base(headers: &HeaderMap) -> String {
    format!("http://{}", header(headers, "host").unwrap_or("127.0.0.1"))
}

/// The largest amount the simulated wallet moves at once (a bound that keeps its arithmetic
/// exact; Wave's own limits are far lower).
const MAX_FRANCS: i64 = 1_000_000_000_000;

/// A whole number of francs written as a string, as Wave wants amounts (`"1000"`), from 1 to
/// [`MAX_FRANCS`].
pub(super) fn francs(v: &Value) -> Option<i64> {
    let s = v.as_str()?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>()
        .ok()
        .filter(|a| (1..=MAX_FRANCS).contains(a))
}

/// An E.164 number (`+` and 8 to 15 digits).
pub(super) fn is_mobile(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}
