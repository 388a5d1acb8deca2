//! The native error envelope: `{"error": {"type", "code", "message", "param"}}`.
//!
//! Codes, types and statuses come from the core's one table; this module only renders them.
//! A 5xx never carries internal details: those go to the log with the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::{ErrorCode, Field, Rejection};
use kumbu_engine::{EngineError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// An error as the native API answers it.
#[derive(Debug)]
pub struct NativeError {
    code: ErrorCode,
    message: String,
    param: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: kumbu_core::ErrorType,
    code: &'a str,
    message: &'a str,
    param: Option<&'a str>,
}

impl NativeError {
    /// An error with an explicit parameter name.
    pub fn new(code: ErrorCode, message: impl Into<String>, param: Option<&str>) -> Self {
        Self {
            code,
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }
}

impl NativeError {
    /// The code, message and parameter, for faces that render errors their own way.
    pub fn parts(&self) -> (ErrorCode, &str, Option<&str>) {
        (self.code, &self.message, self.param.as_deref())
    }
}

impl From<Rejection> for NativeError {
    fn from(r: Rejection) -> Self {
        Self {
            code: r.code,
            param: r.field.map(|f| param_name(f).to_owned()),
            message: r.message,
        }
    }
}

impl From<EngineError> for NativeError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Rejected(r) => r.into(),
            EngineError::Store(s) => {
                tracing::error!(error = %s, "request failed in the store");
                let (code, message) = match s {
                    StoreError::Unavailable(_) => (
                        ErrorCode::ServiceUnavailable,
                        "The database is unavailable right now; retry in a few seconds.",
                    ),
                    StoreError::Conflict(_)
                    | StoreError::Corrupt(_)
                    | StoreError::Database(_)
                    | StoreError::Config(_) => (
                        ErrorCode::InternalError,
                        "An internal error occurred. It has been logged with this request's id (X-Request-Id); retrying may help.",
                    ),
                };
                Self {
                    code,
                    message: message.to_owned(),
                    param: None,
                }
            }
        }
    }
}

impl IntoResponse for NativeError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Envelope {
            error: Body {
                kind: self.code.error_type(),
                code: self.code.code(),
                message: &self.message,
                param: self.param.as_deref(),
            },
        };
        (status, Json(body)).into_response()
    }
}

/// 404 for unknown routes.
pub async fn route_not_found(uri: axum::http::Uri) -> NativeError {
    NativeError::new(
        ErrorCode::RouteNotFound,
        format!("No route {}; see /openapi.json for the API.", uri.path()),
        None,
    )
}

/// 405 for a known route with the wrong method.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> NativeError {
    NativeError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} does not accept {method}.", uri.path()),
        None,
    )
}

/// 500 for a handler that panicked (a bug): logged, never detailed to the client.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    NativeError::new(
        ErrorCode::InternalError,
        "An internal error occurred. It has been logged.",
        None,
    )
    .into_response()
}

/// The native API's name for a domain field: how the native envelope's `param` names it.
pub fn param_name(f: Field) -> &'static str {
    match f {
        Field::Amount => "amount",
        Field::Currency => "currency",
        Field::Operator => "payer.operator",
        Field::PayerPhone => "payer.phone",
        Field::Reference => "reference",
        Field::Description => "description",
        Field::Metadata => "metadata",
        Field::CustomerName => "customer.name",
        Field::CustomerEmail => "customer.email",
        Field::ExpiresIn => "expires_in",
        Field::IdempotencyKey => "Idempotency-Key",
        Field::Id => "id",
        Field::EventType => "type",
        Field::Url => "url",
        Field::Events => "events",
        Field::MaxConcurrency => "max_concurrency",
        Field::ReferenceId => "id",
        Field::EndDatetime => "end_datetime",
        Field::CustomFields => "custom_fields",
        Field::StatementDescriptor => "statement_descriptor",
        Field::CustomerId => "customer_id",
        Field::Country => "country",
        Field::ReturnUrl => "return_url",
        Field::CancelUrl => "cancel_url",
        Field::Items => "items",
        Field::Operators => "operators",
        Field::Locale => "locale",
        Field::AccountId => "account_id",
        Field::CollectionRequestId => "collection_request_id",
        Field::ProviderId => "provider_id",
        Field::Channel => "channel",
        Field::Status => "status",
        Field::PageToken => "page_token",
        Field::PageSize => "page_size",
        Field::Source => "source",
        Field::ExternalId => "external_id",
        Field::ProcessedAt => "processed_at",
        Field::EntityNumber => "entity_number",
        Field::ReferenceNumber => "reference_number",
        Field::Nib => "nib",
        Field::Payer => "payer",
        Field::DueDate => "due_date",
        Field::Methods => "methods",
        Field::ThirdPartyReference => "third_party_reference",
        Field::Resolution => "resolution",
        Field::Date => "date",
        Field::MethodType => "payment_method_type",
        Field::Note => "note",
        Field::Email => "email",
        Field::Password => "password",
        Field::Role => "role",
        Field::Code => "code",
        Field::ErvReference => "erv_reference",
        Field::TargetEnvironment => "target_environment",
        Field::CallbackHost => "callback_host",
        Field::CollectionKeys => "collection",
        Field::DisbursementKeys => "disbursement",
        Field::PayeePhone => "payee.phone",
        Field::ConnectorSetting(name) => name,
    }
}

/// A native 400-class error naming `param`.
pub(crate) fn invalid(code: ErrorCode, param: &str, message: impl Into<String>) -> NativeError {
    NativeError::new(code, message, Some(param))
}

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorDetail,
}

/// An error: see docs/errors.md for every code.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Class: invalid_request_error, authentication_error, idempotency_error, not_found_error,
    /// conflict_error, rate_limit_error, api_error.
    #[serde(rename = "type")]
    pub kind: String,
    /// Stable snake_case code.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
    /// The offending parameter, if one.
    pub param: Option<String>,
}
