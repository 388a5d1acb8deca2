//! ProxyPay's error answers: a 400 is the documented list of `{param, message}`; other statuses
//! carry `{"message": …}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kumbu_core::{ErrorCode, Field, Rejection};
use kumbu_engine::{EngineError, StoreError};
use serde::Serialize;

/// One invalid parameter, as a 400 lists them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PpFieldError {
    /// The parameter (`amount`, `end_datetime`, `custom_fields`, `reference_id`, `n`, `body`).
    param: String,
    message: String,
}

/// A 400's body: the invalid parameters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct PpInvalid(Vec<PpFieldError>);

/// Every other error's body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PpMessage {
    message: String,
}

/// An error as ProxyPay answers it.
#[derive(Debug)]
pub struct PpError {
    status: StatusCode,
    param: Option<String>,
    message: String,
    retry_after: Option<u64>,
}

impl PpError {
    /// A 400 about one parameter.
    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            param: Some(param.to_owned()),
            message: message.into(),
            retry_after: None,
        }
    }

    /// Any other status.
    pub fn status(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            param: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429, with `Retry-After` in seconds.
    pub fn too_many(wait: std::time::Duration) -> Self {
        Self {
            retry_after: Some(wait.as_secs().max(1)),
            ..Self::status(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests: slow down and retry after the number of seconds in Retry-After",
            )
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
        | Field::Events
        | Field::MaxConcurrency
        | Field::StatementDescriptor
        | Field::CustomerId
        | Field::Country
        | Field::ReturnUrl
        | Field::CancelUrl
        | Field::Items
        | Field::Operators
        | Field::AccountId
        | Field::CollectionRequestId
        | Field::ProviderId
        | Field::Channel
        | Field::Status
        | Field::PageToken
        | Field::PageSize
        | Field::Source
        | Field::ExternalId
        | Field::ProcessedAt
        | Field::EntityNumber
        | Field::ReferenceNumber
        | Field::Nib
        | Field::Payer
        | Field::DueDate
        | Field::Methods
        | Field::ThirdPartyReference
        | Field::Resolution
        | Field::Date
        | Field::MethodType
        | Field::Note
        | Field::Email
        | Field::Password
        | Field::Role
        | Field::Code
        | Field::ErvReference
        | Field::TargetEnvironment
        | Field::CallbackHost
        | Field::CollectionKeys
        | Field::DisbursementKeys
        | Field::PayeePhone
        | Field::ConnectorSetting(_)
        | Field::Locale => "body",
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
        let mut resp = match self.param {
            Some(param) if self.status == StatusCode::BAD_REQUEST => (
                self.status,
                Json(PpInvalid(vec![PpFieldError {
                    param,
                    message: self.message,
                }])),
            )
                .into_response(),
            Some(_) | None => (
                self.status,
                Json(PpMessage {
                    message: self.message,
                }),
            )
                .into_response(),
        };
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}
