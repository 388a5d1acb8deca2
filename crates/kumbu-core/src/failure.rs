//! Why a payment did not succeed: stable codes that every face maps from.

use serde::{Deserialize, Serialize};

/// A stable failure code. The operator's raw code is kept beside it on the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureCode {
    /// The number has no wallet at this operator.
    PayerNotFound,
    /// The payer's balance does not cover the amount.
    InsufficientBalance,
    /// The payer refused the prompt.
    PaymentDeclined,
    /// The payer did not answer before the payment expired.
    PaymentExpired,
    /// The payer entered a wrong PIN/OTP too often.
    InvalidOtp,
    /// The payer's daily or monthly limit is reached.
    PayerLimitReached,
    /// Another payment for this payer is already in progress at the operator.
    PaymentInProgress,
    /// The payer's account may not make this payment.
    AccountNotAllowed,
    /// The operator could not be reached; nothing was charged.
    ProviderUnavailable,
    /// The operator reported an internal error.
    ProviderError,
    /// The bank reference had expired.
    ReferenceExpired,
    /// The merchant or payer cancelled.
    Cancelled,
}

impl FailureCode {
    /// Every code.
    pub const ALL: [FailureCode; 12] = [
        FailureCode::PayerNotFound,
        FailureCode::InsufficientBalance,
        FailureCode::PaymentDeclined,
        FailureCode::PaymentExpired,
        FailureCode::InvalidOtp,
        FailureCode::PayerLimitReached,
        FailureCode::PaymentInProgress,
        FailureCode::AccountNotAllowed,
        FailureCode::ProviderUnavailable,
        FailureCode::ProviderError,
        FailureCode::ReferenceExpired,
        FailureCode::Cancelled,
    ];

    /// The upper-snake-case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureCode::PayerNotFound => "PAYER_NOT_FOUND",
            FailureCode::InsufficientBalance => "INSUFFICIENT_BALANCE",
            FailureCode::PaymentDeclined => "PAYMENT_DECLINED",
            FailureCode::PaymentExpired => "PAYMENT_EXPIRED",
            FailureCode::InvalidOtp => "INVALID_OTP",
            FailureCode::PayerLimitReached => "PAYER_LIMIT_REACHED",
            FailureCode::PaymentInProgress => "PAYMENT_IN_PROGRESS",
            FailureCode::AccountNotAllowed => "ACCOUNT_NOT_ALLOWED",
            FailureCode::ProviderUnavailable => "PROVIDER_UNAVAILABLE",
            FailureCode::ProviderError => "PROVIDER_ERROR",
            FailureCode::ReferenceExpired => "REFERENCE_EXPIRED",
            FailureCode::Cancelled => "CANCELLED",
        }
    }

    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    /// A sentence for people, used as the default failure message.
    pub const fn message(self) -> &'static str {
        match self {
            FailureCode::PayerNotFound => "The phone number has no wallet at this operator.",
            FailureCode::InsufficientBalance => "The payer's balance is too low for this amount.",
            FailureCode::PaymentDeclined => "The payer declined the payment prompt.",
            FailureCode::PaymentExpired => "The payer did not confirm before the payment expired.",
            FailureCode::InvalidOtp => "The payer entered a wrong PIN or code.",
            FailureCode::PayerLimitReached => "The payer has reached their transaction limit.",
            FailureCode::PaymentInProgress => "Another payment for this payer is in progress.",
            FailureCode::AccountNotAllowed => "The payer's account may not make this payment.",
            FailureCode::ProviderUnavailable => {
                "The operator could not be reached; nothing was charged."
            }
            FailureCode::ProviderError => "The operator reported an error.",
            FailureCode::ReferenceExpired => "The payment reference had expired.",
            FailureCode::Cancelled => "The payment was cancelled.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in [
            FailureCode::PayerNotFound,
            FailureCode::Cancelled,
            FailureCode::InvalidOtp,
        ] {
            assert_eq!(FailureCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(FailureCode::parse("NOPE"), None);
    }
}
