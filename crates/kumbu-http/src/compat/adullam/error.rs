//! Adullam's error answers. Its documentation shows statuses but no error body, so Kumbu answers
//! `{"error": {"code": "…", "message": "…", "field": …}}` with lower-case codes, the shape its
//! OpenAPI pages use for other errors (a choice, noted in docs/compat/adullam.md). The token
//! endpoints answer as OAuth 2.0 does (`{"error": "invalid_client", …}`).

use crate::compat::kit::{face_error_from, FaceError};
use crate::error::NativeError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::ErrorCode;
use kumbu_engine::EngineError;
use serde::Serialize;

/// Every error's body but the token endpoints'.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdErrorEnvelope {
    error: AdErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdErrorDetail {
    #[schema(value_type = AdErrorCode)]
    code: &'static str,
    message: String,
    /// The parameter at fault (`amount`, `Idempotency-Key`, a query parameter), if one is.
    field: Option<String>,
}

/// A token endpoint's error body (RFC 6749 §5.2).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OauthErrorBody {
    #[schema(value_type = OauthErrorCode)]
    error: &'static str,
    error_description: String,
}

const INVALID_REQUEST: &str = "invalid_request";
const UNSUPPORTED_GRANT_TYPE: &str = "unsupported_grant_type";
const INVALID_CLIENT: &str = "invalid_client";
const SLOW_DOWN: &str = "slow_down";
const SERVER_ERROR: &str = "server_error";

/// The OAuth 2.0 error codes the token endpoints answer.
pub const OAUTH_ERRORS: [&str; 5] = [
    INVALID_REQUEST,
    UNSUPPORTED_GRANT_TYPE,
    INVALID_CLIENT,
    SLOW_DOWN,
    SERVER_ERROR,
];

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
        ErrorCode::TestModeOnly | ErrorCode::LiveModeOnly | ErrorCode::NotPermitted => {
            (403, "forbidden")
        }
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
        | ErrorCode::ExceptionAlreadyResolved
        | ErrorCode::LimitReached => (409, "conflict"),
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

    /// 429 with `Retry-After`; `limits` are the configured (per minute, per hour).
    pub fn too_many(wait: std::time::Duration, limits: (u32, u32)) -> Self {
        // "100 requests a minute, 1,000 an hour"
        let limits = [(limits.0, "a minute"), (limits.1, "an hour")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .enumerate()
            .map(|(i, (n, per))| {
                let digits = n.to_string();
                let mut n = String::new();
                for (j, d) in digits.chars().enumerate() {
                    if j > 0 && (digits.len() - j) % 3 == 0 {
                        n.push(',');
                    }
                    n.push(d);
                }
                if i == 0 {
                    format!("{n} requests {per}")
                } else {
                    format!("{n} {per}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            retry_after: Some(wait.as_secs().max(1)),
            ..Self::new(
                ErrorCode::RateLimited,
                format!("Rate limit exceeded ({limits}): retry after Retry-After seconds."),
                None,
            )
        }
    }
}

impl FaceError for AdError {
    fn face(code: ErrorCode, message: &str, field: Option<&str>) -> Self {
        Self::new(code, message, field)
    }
}

face_error_from!(AdError);

impl IntoResponse for AdError {
    fn into_response(self) -> Response {
        let body = AdErrorEnvelope {
            error: AdErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
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
    /// `Retry-After`, in seconds (`slow_down`).
    retry_after: Option<u64>,
}

impl OauthError {
    /// `invalid_request` (400).
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: INVALID_REQUEST,
            description: d.into(),
            retry_after: None,
        }
    }
    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant(d: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: UNSUPPORTED_GRANT_TYPE,
            description: d.into(),
            retry_after: None,
        }
    }
    /// Too many failed token requests from this address (429), with `Retry-After`.
    pub fn slow_down(wait: std::time::Duration) -> Self {
        let secs = wait.as_secs().max(1);
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            error: SLOW_DOWN,
            description: format!(
                "Too many failed token requests from this address; retry in {secs} s."
            ),
            retry_after: Some(secs),
        }
    }
    /// `invalid_client` (401).
    pub fn invalid_client() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: INVALID_CLIENT,
            description: "The credentials are wrong or revoked.".to_owned(),
            retry_after: None,
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
                    error: SERVER_ERROR,
                    description: message.to_owned(),
                    retry_after: None,
                }
            }
        }
    }
}

impl IntoResponse for OauthError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(OauthErrorBody {
                error: self.error,
                error_description: self.description,
            }),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_message_names_the_limits() {
        let message = |limits| AdError::too_many(std::time::Duration::from_secs(3), limits).message;
        assert_eq!(
            message((100, 1000)),
            "Rate limit exceeded (100 requests a minute, 1,000 an hour): retry after Retry-After seconds."
        );
        assert_eq!(
            message((0, 25_000)),
            "Rate limit exceeded (25,000 requests an hour): retry after Retry-After seconds."
        );
    }
}

crate::openapi::doc_types! {
    /// The `code` of an error.
    AdErrorCode => crate::openapi::vocab::one_of(
        "What kind of error",
        crate::openapi::vocab::distinct(ErrorCode::ALL.iter().map(|c| adullam_error(*c).1.to_owned())),
    );
    /// The `error` of a token endpoint's error.
    OauthErrorCode => crate::openapi::vocab::one_of("The OAuth 2.0 error (RFC 6749 §5.2)", OAUTH_ERRORS);
}
