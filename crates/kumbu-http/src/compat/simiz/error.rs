//! Simiz's error envelope: `{"error": {"code", "message", "param"}}`, with Simiz's codes
//! (`invalid_api_key` 401, `validation_error` 400, `not_found` 404, …). Simiz documents the
//! codes but not the envelope; this one is the Stripe-like shape its REST overview follows.

use crate::compat::kit::{face_error_from, FaceError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::ErrorCode;
use serde::Serialize;

/// Every error's body: `{"error": {"code": "…", "message": "…", "param": "…" or null}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SmzErrorBody {
    error: SmzErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SmzErrorDetail {
    #[schema(value_type = SmzErrorCode)]
    code: &'static str,
    /// In words, for a developer.
    message: String,
    /// The field at fault, in Simiz's words (`userId`, `returnUrl`, …), if one is.
    #[schema(required = true)]
    param: Option<String>,
}

/// An error as the Simiz face answers it.
#[derive(Debug)]
pub struct SmzError {
    status: StatusCode,
    code: &'static str,
    message: String,
    param: Option<String>,
}

/// Kumbu's error codes in Simiz's terms: (HTTP status, Simiz code). One arm per code.
pub const fn simiz_error(code: ErrorCode) -> (u16, &'static str) {
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
        ErrorCode::ApiKeyMissing | ErrorCode::ApiKeyInvalid => (401, "invalid_api_key"),
        ErrorCode::TestModeOnly | ErrorCode::LiveModeOnly | ErrorCode::NotPermitted => {
            (403, "insufficient_permissions")
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
        ErrorCode::RateLimited => (429, "rate_limited"),
        ErrorCode::ServiceUnavailable => (503, "service_unavailable"),
        ErrorCode::InternalError => (500, "internal_error"),
    }
}

impl SmzError {
    /// An error for a Kumbu code, naming the field at fault (in Simiz's camelCase).
    pub fn new(code: ErrorCode, message: impl Into<String>, param: Option<&str>) -> Self {
        let (status, code) = simiz_error(code);
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }
}

/// The native parameter names in Simiz's words.
fn simiz_param(native: &str) -> &str {
    match native {
        "return_url" => "returnUrl",
        "cancel_url" => "cancelUrl",
        "expires_in" => "expiresIn",
        "customer.name" => "customer.name",
        "payer.phone" => "customer.phone",
        other => other,
    }
}

impl FaceError for SmzError {
    fn face(code: ErrorCode, message: &str, field: Option<&str>) -> Self {
        Self::new(code, message, field.map(simiz_param))
    }
}

face_error_from!(SmzError);

impl IntoResponse for SmzError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(SmzErrorBody {
                error: SmzErrorDetail {
                    code: self.code,
                    message: self.message,
                    param: self.param,
                },
            }),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_documented_status() {
        for c in ErrorCode::ALL {
            let (status, code) = simiz_error(*c);
            assert!(
                [400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503].contains(&status),
                "{c:?}"
            );
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(
            simiz_error(ErrorCode::ApiKeyInvalid),
            (401, "invalid_api_key")
        );
    }
}

crate::openapi::doc_types! {
    /// Simiz's error codes, from the one table mapping Kumbu's onto them.
    SmzErrorCode => crate::openapi::vocab::one_of(
        "What kind of error (400 validation_error or idempotency_error, 401 invalid_api_key, …)",
        crate::openapi::vocab::distinct(ErrorCode::ALL.iter().map(|c| simiz_error(*c).1)),
    );
}
