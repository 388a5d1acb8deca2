//! PlexosPay's error envelope: `{"error": {"message": "…", "code": "NOT_FOUND"}}`, with the
//! documented statuses (400, 401, 403, 404, 409, 429, 500, 503).

use crate::compat::kit::{face_error_from, FaceError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::ErrorCode;
use serde::Serialize;

/// Every error's body: `{"error": {"message": "…", "code": "…"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PxErrorBody {
    error: PxErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PxErrorDetail {
    /// In words, for a developer.
    message: String,
    #[schema(value_type = PxErrorCode)]
    code: &'static str,
}

/// An error as PlexosPay answers it.
#[derive(Debug)]
pub struct PxError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// Kumbu's error codes in PlexosPay's terms: (HTTP status, PlexosPay code). One arm per code.
pub const fn plexos_error(code: ErrorCode) -> (u16, &'static str) {
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
        | ErrorCode::BodyTooLarge
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::ReferenceNotPayable
        | ErrorCode::ReferenceAmountMismatch
        | ErrorCode::ErvEntityNotConfigured
        | ErrorCode::ConnectorNotConfigured
        | ErrorCode::BalanceInsufficient => (400, "VALIDATION_ERROR"),
        ErrorCode::IdempotencyKeyInvalid | ErrorCode::IdempotencyKeyReused => {
            (400, "IDEMPOTENCY_ERROR")
        }
        ErrorCode::ApiKeyMissing | ErrorCode::ApiKeyInvalid => (401, "UNAUTHORIZED"),
        ErrorCode::TestModeOnly | ErrorCode::LiveModeOnly | ErrorCode::NotPermitted => {
            (403, "FORBIDDEN")
        }
        ErrorCode::ResourceMissing | ErrorCode::RouteNotFound => (404, "NOT_FOUND"),
        ErrorCode::MethodNotAllowed => (405, "METHOD_NOT_ALLOWED"),
        ErrorCode::IdempotencyKeyInUse
        | ErrorCode::ReferenceAlreadyUsed
        | ErrorCode::PaymentStateConflict
        | ErrorCode::PromptNotPending
        | ErrorCode::CheckoutSessionNotOpen
        | ErrorCode::CheckoutAttemptInProgress
        | ErrorCode::CollectionRequestNotOpen
        | ErrorCode::IngestConflict
        | ErrorCode::ExceptionAlreadyResolved
        | ErrorCode::LimitReached => (409, "CONFLICT"),
        ErrorCode::RateLimited => (429, "RATE_LIMITED"),
        ErrorCode::ServiceUnavailable => (503, "SERVICE_UNAVAILABLE"),
        ErrorCode::InternalError => (500, "INTERNAL_ERROR"),
    }
}

impl PxError {
    /// An error for a Kumbu code with this message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let (status, code) = plexos_error(code);
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
        }
    }
}

impl FaceError for PxError {
    fn face(code: ErrorCode, message: &str, _field: Option<&str>) -> Self {
        Self::new(code, message)
    }
}

face_error_from!(PxError);

impl IntoResponse for PxError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(PxErrorBody {
                error: PxErrorDetail {
                    message: self.message,
                    code: self.code,
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
            let (status, code) = plexos_error(*c);
            assert!(
                [400, 401, 403, 404, 405, 409, 429, 500, 503].contains(&status),
                "{c:?}"
            );
            assert!(code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
        }
    }
}

crate::openapi::doc_types! {
    /// PlexosPay's error codes, from the one table mapping Kumbu's onto them.
    PxErrorCode => crate::openapi::vocab::one_of(
        "What kind of error (400 VALIDATION_ERROR or IDEMPOTENCY_ERROR, 401 UNAUTHORIZED, …)",
        crate::openapi::vocab::distinct(ErrorCode::ALL.iter().map(|c| plexos_error(*c).1.to_owned())),
    );
}
