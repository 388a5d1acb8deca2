//! Adullam's error answers. Its documentation shows statuses but no error body, so Kumbu answers
//! `{"error": {"code": "…", "message": "…", "field": …}}` with lower-case codes, the shape its
//! OpenAPI pages use for other errors (a choice, noted in docs/compat/adullam.md). The token
//! endpoints answer as OAuth 2.0 does (`{"error": "invalid_client", …}`).

use crate::error::NativeError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::ErrorCode;
use kumbu_engine::EngineError;
use serde_json::json;

/// An error as the Adullam face answers it.
#[derive(Debug)]
pub struct AdError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after: Option<u64>,
}

/// Kumbu's error codes in Adullam's terms: (HTTP status, code). One arm per code.
pub const fn adullam_error(code: ErrorCode) -> (u16, &'static str) {
    match code {
        ErrorCode::InvalidJson
        | ErrorCode::ParameterMissing
        | ErrorCode::ParameterInvalid
        | ErrorCode::ParameterUnknown
        | ErrorCode::AmountOutOfRange
        | ErrorCode::AmountTooPrecise
        | ErrorCode::CurrencyNotSupported
        | ErrorCode::OperatorUnknown
        | ErrorCode::OperatorNotAvailable
        | ErrorCode::PhoneInvalid
        | ErrorCode::ReferenceNotPayable
        | ErrorCode::ReferenceAmountMismatch
        | ErrorCode::ErvEntityNotConfigured
        | ErrorCode::ConnectorNotConfigured
        | ErrorCode::BalanceInsufficient => (400, "validation_error"),
        ErrorCode::BodyTooLarge => (413, "payload_too_large"),
        ErrorCode::UnsupportedMediaType => (415, "unsupported_media_type"),
        ErrorCode::IdempotencyKeyInvalid | ErrorCode::IdempotencyKeyReused => {
            (400, "idempotency_error")
        }
        ErrorCode::ApiKeyMissing | ErrorCode::ApiKeyInvalid => (401, "unauthorized"),
        ErrorCode::TestModeOnly | ErrorCode::LiveModeOnly => (403, "forbidden"),
        ErrorCode::ResourceMissing | ErrorCode::RouteNotFound => (404, "not_found"),
        ErrorCode::MethodNotAllowed => (405, "method_not_allowed"),
        ErrorCode::IdempotencyKeyInUse
        | ErrorCode::ReferenceAlreadyUsed
        | ErrorCode::PaymentStateConflict
        | ErrorCode::PromptNotPending
        | ErrorCode::CheckoutSessionNotOpen
        | ErrorCode::CheckoutAttemptInProgress
        | ErrorCode::CollectionRequestNotOpen
        | ErrorCode::IngestConflict
        | ErrorCode::ExceptionAlreadyResolved => (409, "conflict"),
        ErrorCode::RateLimited => (429, "rate_limit_exceeded"),
        ErrorCode::ServiceUnavailable => (503, "service_unavailable"),
        ErrorCode::InternalError => (500, "internal_error"),
    }
}

impl AdError {
    /// An error for a Kumbu code.
    pub fn new(code: ErrorCode, message: impl Into<String>, field: Option<&str>) -> Self {
        let (status, code) = adullam_error(code);
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            field: field.map(str::to_owned),
            retry_after: None,
        }
    }

    /// A 400 on a field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ParameterInvalid, message, Some(field))
    }

    /// 429 with `Retry-After`.
    pub fn too_many(wait: std::time::Duration) -> Self {
        Self {
            retry_after: Some(wait.as_secs().max(1)),
            ..Self::new(
                ErrorCode::RateLimited,
                "Rate limit exceeded (100 requests a minute, 1,000 an hour): retry after Retry-After seconds.",
                None,
            )
        }
    }
}

impl From<NativeError> for AdError {
    fn from(e: NativeError) -> Self {
        let (code, message, field) = e.parts();
        Self::new(code, message, field)
    }
}

impl From<EngineError> for AdError {
    fn from(e: EngineError) -> Self {
        NativeError::from(e).into()
    }
}

impl IntoResponse for AdError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// An OAuth 2.0 token-endpoint error (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OauthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OauthError {
    /// `invalid_request` (400).
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: d.into(),
        }
    }
    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant(d: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: d.into(),
        }
    }
    /// Too many token requests (429).
    pub fn slow_down() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            error: "slow_down",
            description: "Too many token requests for this client; retry in a minute.".to_owned(),
        }
    }
    /// `invalid_client` (401).
    pub fn invalid_client() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "The credentials are wrong or revoked.".to_owned(),
        }
    }
}

impl From<EngineError> for OauthError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Rejected(r) if r.code == ErrorCode::ApiKeyInvalid => {
                Self::invalid_client()
            }
            other @ (EngineError::Rejected(_) | EngineError::Store(_)) => {
                let native = NativeError::from(other);
                let (code, message, _) = native.parts();
                Self {
                    status: StatusCode::from_u16(code.http_status())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    error: "server_error",
                    description: message.to_owned(),
                }
            }
        }
    }
}

impl IntoResponse for OauthError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response()
    }
}
