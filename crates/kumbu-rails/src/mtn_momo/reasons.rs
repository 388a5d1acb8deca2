//! MTN's statuses and failure reasons, and what each means to Kumbu. MTN documents the reasons
//! on its error-codes page and a community update; anything else is kept verbatim as
//! [`Reason::Other`] and treated as an operator error.

use kumbu_core::FailureCode;

/// A transaction status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the payer (or the payee's network).
    Pending,
    /// Money moved.
    Successful,
    /// It did not.
    Failed,
    /// Anything else (MTN's sandbox was measured answering `CREATED`): not final.
    Other(String),
}

impl Status {
    /// Parses MTN's text.
    pub fn parse(s: &str) -> Self {
        match s {
            "PENDING" => Status::Pending,
            "SUCCESSFUL" => Status::Successful,
            "FAILED" => Status::Failed,
            other => Status::Other(other.to_owned()),
        }
    }

    /// MTN's text.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Pending => "PENDING",
            Status::Successful => "SUCCESSFUL",
            Status::Failed => "FAILED",
            Status::Other(s) => s,
        }
    }
}

macro_rules! reasons {
    ($($variant:ident => $text:literal,)*) => {
        /// A failure reason (or error code) MTN documents.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Reason {
            $(#[doc = $text] $variant,)*
            /// A code MTN does not document (kept verbatim).
            Other(String),
        }

        impl Reason {
            /// Every documented reason.
            pub const DOCUMENTED: &'static [Reason] = &[$(Reason::$variant,)*];

            /// Parses MTN's text.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => Reason::$variant,)*
                    other => Reason::Other(other.to_owned()),
                }
            }

            /// MTN's text.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Reason::$variant => $text,)*
                    Reason::Other(s) => s,
                }
            }
        }
    };
}

reasons! {
    PayeeNotFound => "PAYEE_NOT_FOUND",
    PayerNotFound => "PAYER_NOT_FOUND",
    NotAllowed => "NOT_ALLOWED",
    NotAllowedTargetEnvironment => "NOT_ALLOWED_TARGET_ENVIRONMENT",
    InvalidCallbackUrlHost => "INVALID_CALLBACK_URL_HOST",
    InvalidCurrency => "INVALID_CURRENCY",
    InternalProcessingError => "INTERNAL_PROCESSING_ERROR",
    ServiceUnavailable => "SERVICE_UNAVAILABLE",
    NotEnoughFunds => "NOT_ENOUGH_FUNDS",
    PayerLimitReached => "PAYER_LIMIT_REACHED",
    PayeeNotAllowedToReceive => "PAYEE_NOT_ALLOWED_TO_RECEIVE",
    ApprovalRejected => "APPROVAL_REJECTED",
    Expired => "EXPIRED",
    Ongoing => "ONGOING",
    PayerDelayed => "PAYER_DELAYED",
    PayeeDelayed => "PAYEE_DELAYED",
    CouldNotPerformTransaction => "COULD_NOT_PERFORM_TRANSACTION",
    TransactionCanceled => "TRANSACTION_CANCELED",
    SenderAccountNotActive => "SENDER_ACCOUNT_NOT_ACTIVE",
    ResourceNotFound => "RESOURCE_NOT_FOUND",
    ResourceAlreadyExist => "RESOURCE_ALREADY_EXIST",
}

/// What a reason on a `FAILED` transaction (or on a refused request) means for the payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// It failed, for this reason of ours.
    Failed(FailureCode),
    /// Not proof of failure: the transaction is still being decided; keep asking.
    Undecided,
}

impl Reason {
    /// What this reason means. `ONGOING` and the `…_DELAYED` reasons say the transaction is still
    /// being decided, so they never fail a payment; `INTERNAL_PROCESSING_ERROR` is kept as an
    /// operator error although MTN says it "predominantly" means insufficient funds: Kumbu does
    /// not tell a payer they are short of money on a guess.
    pub fn meaning(&self) -> Meaning {
        use FailureCode as F;
        match self {
            Reason::PayerNotFound | Reason::PayeeNotFound => Meaning::Failed(F::PayerNotFound),
            Reason::NotEnoughFunds => Meaning::Failed(F::InsufficientBalance),
            Reason::PayerLimitReached => Meaning::Failed(F::PayerLimitReached),
            Reason::ApprovalRejected | Reason::TransactionCanceled => {
                Meaning::Failed(F::PaymentDeclined)
            }
            Reason::Expired | Reason::CouldNotPerformTransaction => {
                Meaning::Failed(F::PaymentExpired)
            }
            Reason::NotAllowed
            | Reason::NotAllowedTargetEnvironment
            | Reason::PayeeNotAllowedToReceive
            | Reason::SenderAccountNotActive => Meaning::Failed(F::AccountNotAllowed),
            Reason::ServiceUnavailable => Meaning::Failed(F::ProviderUnavailable),
            Reason::InvalidCallbackUrlHost
            | Reason::InvalidCurrency
            | Reason::InternalProcessingError
            | Reason::ResourceNotFound
            | Reason::ResourceAlreadyExist
            | Reason::Other(_) => Meaning::Failed(F::ProviderError),
            Reason::Ongoing | Reason::PayerDelayed | Reason::PayeeDelayed => Meaning::Undecided,
        }
    }

    /// Whether a request refused with this code at initiation was certainly not carried out, so
    /// that the payment may fail at once. `INTERNAL_PROCESSING_ERROR` and `SERVICE_UNAVAILABLE`
    /// are not: the request may have been registered, so its status is asked first.
    pub fn refuses_at_initiation(&self) -> bool {
        match self {
            Reason::PayerNotFound
            | Reason::PayeeNotFound
            | Reason::NotAllowed
            | Reason::NotAllowedTargetEnvironment
            | Reason::InvalidCallbackUrlHost
            | Reason::InvalidCurrency
            | Reason::NotEnoughFunds
            | Reason::PayerLimitReached
            | Reason::PayeeNotAllowedToReceive
            | Reason::SenderAccountNotActive => true,
            Reason::InternalProcessingError
            | Reason::ServiceUnavailable
            | Reason::ApprovalRejected
            | Reason::Expired
            | Reason::Ongoing
            | Reason::PayerDelayed
            | Reason::PayeeDelayed
            | Reason::CouldNotPerformTransaction
            | Reason::TransactionCanceled
            | Reason::ResourceNotFound
            | Reason::ResourceAlreadyExist
            | Reason::Other(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_reason_round_trips() {
        for r in Reason::DOCUMENTED {
            assert_eq!(&Reason::parse(r.as_str()), r);
        }
        assert_eq!(
            Reason::parse("SOMETHING_NEW"),
            Reason::Other("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn only_proof_fails_a_payment() {
        assert_eq!(Reason::Ongoing.meaning(), Meaning::Undecided);
        assert_eq!(
            Reason::NotEnoughFunds.meaning(),
            Meaning::Failed(FailureCode::InsufficientBalance)
        );
        assert!(!Reason::InternalProcessingError.refuses_at_initiation());
        assert!(Reason::PayerNotFound.refuses_at_initiation());
    }
}
