//! ProxyPay's error answers: a 400 is the documented list of `{param, message}`; other statuses
//! carry `{"message": …}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::{ErrorCode, Field, Rejection};
use kumbu_engine::{EngineError, StoreError};
use serde_json::json;

/// An error as ProxyPay answers it.
#[derive(Debug)]
pub struct PpError {
    status: StatusCode,
    param: Option<String>,
    message: String,
}

impl PpError {
    /// A 400 about one parameter.
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            param: Some(param.to_owned()),
            message: message.into(),
        }
    }

    /// Any other status.
    pub fn status(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            param: None,
            message: message.into(),
        }
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::status(StatusCode::NOT_FOUND, "Not Found")
    }
}

/// ProxyPay's name for a domain field.
fn param(f: Field) -> &'static str {
    match f {
        Field::Amount => "amount",
        Field::ReferenceId => "reference_id",
        Field::EndDatetime => "end_datetime",
        Field::CustomFields => "custom_fields",
        Field::Id => "id",
        Field::Currency
        | Field::Operator
        | Field::PayerPhone
        | Field::Reference
        | Field::Description
        | Field::Metadata
        | Field::CustomerName
        | Field::CustomerEmail
        | Field::ExpiresIn
        | Field::IdempotencyKey
        | Field::EventType
        | Field::Url
        | Field::Events => "body",
    }
}

impl From<Rejection> for PpError {
    fn from(r: Rejection) -> Self {
        let status =
            StatusCode::from_u16(r.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match (r.code, r.field) {
            (ErrorCode::ResourceMissing | ErrorCode::RouteNotFound, _) => Self::not_found(),
            (_, Some(f)) if status == StatusCode::BAD_REQUEST => Self::invalid(param(f), r.message),
            (_, Some(_) | None) => Self::status(status, r.message),
        }
    }
}

impl From<EngineError> for PpError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Rejected(r) => r.into(),
            EngineError::Store(s) => {
                tracing::error!(error = %s, "ProxyPay request failed in the store");
                match s {
                    StoreError::Unavailable(_) => Self::status(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Service Unavailable: retry in a few seconds",
                    ),
                    StoreError::Conflict(_)
                    | StoreError::Corrupt(_)
                    | StoreError::Database(_)
                    | StoreError::Config(_) => Self::status(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal Server Error (logged with this request's X-Request-Id)",
                    ),
                }
            }
        }
    }
}

impl IntoResponse for PpError {
    fn into_response(self) -> Response {
        let body = match &self.param {
            Some(p) if self.status == StatusCode::BAD_REQUEST => {
                json!([{"param": p, "message": self.message}])
            }
            Some(_) | None => json!({"message": self.message}),
        };
        (self.status, Json(body)).into_response()
    }
}
