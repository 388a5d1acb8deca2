//! Kulpay's error envelope. The service answers `{"object", …, "error": null}`; a failure
//! keeps that envelope with `error` filled in the shape of a gRPC status (the service is
//! gRPC-Gateway generated): `{"object": "error", "error": {"code": 3, "status":
//! "INVALID_ARGUMENT", "message", "field", "reason"}}`, where `reason` is Kumbu's stable error
//! code and `field` the wire name of the parameter at fault. Kulpay documents no error body,
//! so this shape is Kumbu's choice (docs/compat/kulpay.md).

use crate::compat::kit::{face_error_from, FaceError};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::ErrorCode;
use serde::Serialize;

/// An error's `object`.
pub const ERROR: &str = "error";

/// An error's body: Kulpay's envelope with `object: "error"` and the status in `error`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpErrorEnvelope {
    #[schema(value_type = KpErrorObject)]
    object: &'static str,
    error: KpErrorStatus,
}

/// A gRPC status, with the field at fault and Kumbu's stable code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpErrorStatus {
    /// The gRPC code.
    #[schema(value_type = KpGrpcCode)]
    code: u16,
    /// The gRPC code's name.
    #[schema(value_type = KpGrpcStatus)]
    status: &'static str,
    message: String,
    /// The parameter at fault, by its wire name (`amount.value`, `page_token`).
    field: Option<String>,
    /// Kumbu's stable error code (docs/errors.md).
    #[schema(value_type = KpReason)]
    reason: &'static str,
}

/// An error as the Kulpay face answers it.
#[derive(Debug)]
pub struct KpError {
    code: ErrorCode,
    message: String,
    field: Option<String>,
}

/// Kumbu's error codes in gRPC's terms: (gRPC code, its name). The HTTP status is Kumbu's
/// (`ErrorCode::http_status`), so a conflict is a 409 even where gRPC-Gateway would say 400.
pub const fn grpc_status(code: ErrorCode) -> (u16, &'static str) {
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
        | ErrorCode::IdempotencyKeyInvalid
        | ErrorCode::IdempotencyKeyReused
        | ErrorCode::ReferenceNotPayable
        | ErrorCode::ReferenceAmountMismatch
        | ErrorCode::ErvEntityNotConfigured
        | ErrorCode::ConnectorNotConfigured
        | ErrorCode::BalanceInsufficient => (3, "INVALID_ARGUMENT"),
        ErrorCode::ApiKeyMissing | ErrorCode::ApiKeyInvalid => (16, "UNAUTHENTICATED"),
        ErrorCode::TestModeOnly | ErrorCode::LiveModeOnly | ErrorCode::NotPermitted => {
            (7, "PERMISSION_DENIED")
        }
        ErrorCode::ResourceMissing | ErrorCode::RouteNotFound => (5, "NOT_FOUND"),
        ErrorCode::MethodNotAllowed => (12, "UNIMPLEMENTED"),
        ErrorCode::IdempotencyKeyInUse => (10, "ABORTED"),
        ErrorCode::ReferenceAlreadyUsed | ErrorCode::IngestConflict => (6, "ALREADY_EXISTS"),
        ErrorCode::PaymentStateConflict
        | ErrorCode::PromptNotPending
        | ErrorCode::CheckoutSessionNotOpen
        | ErrorCode::CheckoutAttemptInProgress
        | ErrorCode::CollectionRequestNotOpen
        | ErrorCode::ExceptionAlreadyResolved => (9, "FAILED_PRECONDITION"),
        ErrorCode::RateLimited | ErrorCode::LimitReached => (8, "RESOURCE_EXHAUSTED"),
        ErrorCode::ServiceUnavailable => (14, "UNAVAILABLE"),
        ErrorCode::InternalError => (13, "INTERNAL"),
    }
}

impl KpError {
    /// An error for a Kumbu code, naming the field at fault by its Kulpay name.
    pub fn new(code: ErrorCode, message: impl Into<String>, field: Option<&str>) -> Self {
        Self {
            code,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }
}

/// The native API's parameter names in Kulpay's words.
fn kulpay_param(native: &str) -> &str {
    match native {
        "external_id" => "id",
        "entity_number" => "payment_method_details.entity_number",
        "reference_number" => "payment_method_details.reference_number",
        "nib" => "payment_method_details.nib",
        "erv_reference" => "reference_number",
        "payer.phone" => "payer_phone",
        other => other,
    }
}

impl FaceError for KpError {
    fn face(code: ErrorCode, message: &str, field: Option<&str>) -> Self {
        Self::new(code, message, field.map(kulpay_param))
    }
}

face_error_from!(KpError);

impl IntoResponse for KpError {
    fn into_response(self) -> Response {
        let (grpc, name) = grpc_status(self.code);
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            Json(KpErrorEnvelope {
                object: ERROR,
                error: KpErrorStatus {
                    code: grpc,
                    status: name,
                    message: self.message,
                    field: self.field,
                    reason: self.code.code(),
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
    fn every_code_has_a_grpc_status() {
        for c in ErrorCode::ALL {
            let (code, name) = grpc_status(*c);
            assert!((1..=16).contains(&code), "{c:?}");
            assert!(name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
        }
        assert_eq!(
            grpc_status(ErrorCode::AmountTooPrecise),
            (3, "INVALID_ARGUMENT")
        );
        assert_eq!(grpc_status(ErrorCode::ResourceMissing), (5, "NOT_FOUND"));
    }
}

crate::openapi::doc_types! {
    /// An error's `object`.
    KpErrorObject => crate::openapi::vocab::one_of("An error", [ERROR]);
    /// The gRPC code of an error.
    KpGrpcCode => {
        let mut codes: Vec<u16> = ErrorCode::ALL.iter().map(|c| grpc_status(*c).0).collect();
        codes.sort_unstable();
        codes.dedup();
        serde_json::from_value(serde_json::json!({"type": "integer", "description": "The gRPC status code", "enum": codes}))
            .expect("the gRPC code schema is valid")
    };
    /// The gRPC code's name.
    KpGrpcStatus => crate::openapi::vocab::one_of(
        "The gRPC status name",
        crate::openapi::vocab::distinct(ErrorCode::ALL.iter().map(|c| grpc_status(*c).1)),
    );
    /// Kumbu's stable error code.
    KpReason => crate::openapi::vocab::one_of("Kumbu's error code (docs/errors.md)", ErrorCode::ALL.iter().map(|c| c.code()));
}
