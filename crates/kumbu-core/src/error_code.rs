//! The one table of API error codes. Every face renders these in its own envelope; the code,
//! its type and its HTTP status are decided here, once. `docs/errors.md` documents this table
//! and a test keeps the two in step.

use serde::Serialize;

/// Broad class of an error, as the native envelope's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The request is wrong; fix it before retrying.
    InvalidRequestError,
    /// The API key is missing or wrong.
    AuthenticationError,
    /// Idempotency-Key misuse.
    IdempotencyError,
    /// The object or route does not exist (or is not yours).
    NotFoundError,
    /// The request conflicts with the object's current state.
    ConflictError,
    /// Too many requests.
    RateLimitError,
    /// Something went wrong on Kumbu's side; retry later.
    ApiError,
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => ($code:literal, $ty:ident, $status:literal), )*) => {
        /// A stable, documented error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The snake_case code clients match on.
            pub const fn code(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// The error's class.
            pub const fn error_type(self) -> ErrorType {
                match self { $( ErrorCode::$variant => ErrorType::$ty, )* }
            }

            /// The HTTP status it is answered with.
            pub const fn http_status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )* }
            }
        }
    };
}

error_codes! {
    /// The body is not valid JSON.
    InvalidJson => ("invalid_json", InvalidRequestError, 400),
    /// A required field is missing.
    ParameterMissing => ("parameter_missing", InvalidRequestError, 400),
    /// A field has the wrong type or an invalid value.
    ParameterInvalid => ("parameter_invalid", InvalidRequestError, 400),
    /// A field the endpoint does not know.
    ParameterUnknown => ("parameter_unknown", InvalidRequestError, 400),
    /// The amount is outside the operator's limits or not a positive integer.
    AmountOutOfRange => ("amount_out_of_range", InvalidRequestError, 400),
    /// The amount has more decimal places than the currency.
    AmountTooPrecise => ("amount_too_precise", InvalidRequestError, 400),
    /// The currency is not supported, or not by this operator.
    CurrencyNotSupported => ("currency_not_supported", InvalidRequestError, 400),
    /// The operator code is unknown.
    OperatorUnknown => ("operator_unknown", InvalidRequestError, 400),
    /// The operator cannot be used this way or in this mode.
    OperatorNotAvailable => ("operator_not_available", InvalidRequestError, 400),
    /// The phone is not E.164 or not of the operator's country.
    PhoneInvalid => ("phone_invalid", InvalidRequestError, 400),
    /// The body is larger than 64 KiB.
    BodyTooLarge => ("body_too_large", InvalidRequestError, 413),
    /// The Content-Type is not JSON.
    UnsupportedMediaType => ("unsupported_media_type", InvalidRequestError, 415),
    /// No API key was sent.
    ApiKeyMissing => ("api_key_missing", AuthenticationError, 401),
    /// The API key is unknown, revoked or malformed.
    ApiKeyInvalid => ("api_key_invalid", AuthenticationError, 401),
    /// The key's mode cannot use this endpoint (sandbox endpoints with a live key).
    TestModeOnly => ("test_mode_only", InvalidRequestError, 403),
    /// The object does not exist, or belongs to another merchant or mode.
    ResourceMissing => ("resource_missing", NotFoundError, 404),
    /// No such route.
    RouteNotFound => ("route_not_found", NotFoundError, 404),
    /// The route exists but not with this method.
    MethodNotAllowed => ("method_not_allowed", InvalidRequestError, 405),
    /// The Idempotency-Key is malformed (empty or over 255 characters).
    IdempotencyKeyInvalid => ("idempotency_key_invalid", IdempotencyError, 400),
    /// The Idempotency-Key was used before with different parameters.
    IdempotencyKeyReused => ("idempotency_key_reused", IdempotencyError, 400),
    /// A request with this Idempotency-Key is still being processed.
    IdempotencyKeyInUse => ("idempotency_key_in_use", IdempotencyError, 409),
    /// The merchant reference is already used by another payment.
    ReferenceAlreadyUsed => ("reference_already_used", ConflictError, 409),
    /// The payment's status does not allow this action.
    PaymentStateConflict => ("payment_state_conflict", ConflictError, 409),
    /// The sandbox prompt is not waiting for an answer.
    PromptNotPending => ("prompt_not_pending", ConflictError, 409),
    /// The bank reference cannot be paid: unknown, deleted or past its end date.
    ReferenceNotPayable => ("reference_not_payable", InvalidRequestError, 400),
    /// The amount differs from the one the bank reference requires.
    ReferenceAmountMismatch => ("reference_amount_mismatch", InvalidRequestError, 400),
    /// The checkout session is completed, expired or cancelled: it takes no more payments.
    CheckoutSessionNotOpen => ("checkout_session_not_open", ConflictError, 409),
    /// A payment of this checkout session is still waiting for the payer.
    CheckoutAttemptInProgress => ("checkout_attempt_in_progress", ConflictError, 409),
    /// The collection request is paid, expired or cancelled: it takes no more payments.
    CollectionRequestNotOpen => ("collection_request_not_open", ConflictError, 409),
    /// This source already reported a payment under this id, with different details.
    IngestConflict => ("ingest_conflict", ConflictError, 409),
    /// A person already decided this reconciliation exception.
    ExceptionAlreadyResolved => ("exception_already_resolved", ConflictError, 409),
    /// Live SIMO/ERV bills need the merchant's entity configured first.
    ErvEntityNotConfigured => ("erv_entity_not_configured", InvalidRequestError, 400),
    /// A live payment to an operator for which the merchant has no credentials on this gateway.
    ConnectorNotConfigured => ("connector_not_configured", InvalidRequestError, 400),
    /// The merchant's available balance does not cover the payout.
    BalanceInsufficient => ("balance_insufficient", ConflictError, 409),
    /// The merchant has as many of these objects as this gateway allows (webhook endpoints:
    /// `--max-webhook-endpoints`); delete one first.
    LimitReached => ("limit_reached", ConflictError, 409),
    /// The endpoint manages live settings: it needs a live key.
    LiveModeOnly => ("live_mode_only", InvalidRequestError, 403),
    /// The person's role does not allow this (the dashboard: a viewer refunding, a developer
    /// paying out); an owner can change roles.
    NotPermitted => ("not_permitted", InvalidRequestError, 403),
    /// Too many requests.
    RateLimited => ("rate_limited", RateLimitError, 429),
    /// The database is unreachable or overloaded; retry.
    ServiceUnavailable => ("service_unavailable", ApiError, 503),
    /// A bug on Kumbu's side; details are in the server log, never in the response.
    InternalError => ("internal_error", ApiError, 500),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {}", c.code());
            assert!(c
                .code()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!((400..600).contains(&c.http_status()));
        }
    }
}
