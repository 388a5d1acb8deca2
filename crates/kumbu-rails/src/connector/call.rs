//! How a connector calls its operator: an HTTP client with timeouts and no redirects, and the
//! one way a call's result is classified (the operator acted, refused, or we cannot know).

use std::time::Duration;

/// How long a connection to an operator may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An HTTP client for operator APIs: no redirects (an operator that redirects is misconfigured,
/// and a redirect would re-send credentials elsewhere), a connect timeout, and `timeout` for the
/// whole exchange. A timed-out request has an unknown outcome: the caller queries, it never
/// re-sends under a new reference.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .timeout(timeout)
        .user_agent(concat!("kumbu/", env!("CARGO_PKG_VERSION")))
        .build()
        // A default client would follow redirects with our keys and wait forever.
        .expect("the operator HTTP client builds (TLS roots and settings are static)")
}

/// Why a call to an operator did not give the answer asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// We cannot know whether the operator acted: a timeout, a dropped connection, a 5xx that
    /// names no verdict, a body we could not read. Query before doing anything else.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// The operator answered and did not act: its HTTP status and its own code.
    #[error("refused by the operator: HTTP {status} {code}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The operator's code (e.g. `RESOURCE_ALREADY_EXIST`).
        code: String,
        /// Its message.
        message: String,
    },
    /// The operator refused our credentials, even with a fresh token.
    #[error("credentials refused by the operator: {0}")]
    Unauthorized(String),
}

/// The operator's own code for a refusal, kept beside ours: its code, or the HTTP status when it
/// gave none (`HTTP_400`).
pub fn operator_code(status: u16, code: String) -> String {
    if code.is_empty() {
        format!("HTTP_{status}")
    } else {
        code
    }
}

impl CallError {
    /// What a failed request means for payment `payment` at `step`: a refusal fails it
    /// (`PROVIDER_ERROR`, with the operator's code), credentials turned away fail it
    /// (`PROVIDER_UNAVAILABLE`, `UNAUTHORIZED`), each logged naming `what` was asked of whom
    /// ("Wave: the checkout session"); an unknown outcome is the connector's to decide, with
    /// `unknown`.
    pub fn fails_request(
        self,
        payment: &str,
        step: u32,
        what: &str,
        unknown: impl FnOnce(String) -> crate::Advance,
    ) -> crate::Advance {
        use crate::{Advance, Via};
        use kumbu_core::FailureCode;
        match self {
            CallError::Unknown(why) => unknown(why),
            CallError::Refused {
                status,
                code,
                message,
            } => {
                tracing::info!(
                    payment,
                    status,
                    code,
                    message,
                    "refused by the operator: {what}"
                );
                Advance::failed(
                    Via::Request,
                    step,
                    FailureCode::ProviderError,
                    &operator_code(status, code),
                )
            }
            CallError::Unauthorized(why) => {
                tracing::error!(payment, reason = %why, "the operator refused the merchant's credentials ({what}); check them with `kumbu connector check`");
                Advance::failed(
                    Via::Request,
                    step,
                    FailureCode::ProviderUnavailable,
                    "UNAUTHORIZED",
                )
            }
        }
    }

    /// What an operator's non-success answer means: our credentials refused (401, 403), an
    /// unknown outcome (a timeout, throttling or a 5xx: the operator may have acted), or a
    /// refusal (any other 4xx: nothing was done).
    pub fn of_answer(status: u16, code: String, message: String) -> Self {
        match status {
            401 | 403 => CallError::Unauthorized(format!("HTTP {status} {code} {message}")),
            408 | 425 | 429 | 500..=599 => {
                CallError::Unknown(format!("HTTP {status} {code} {message}"))
            }
            _ => CallError::Refused {
                status,
                code,
                message,
            },
        }
    }

    /// What a token call's failure means: it moves no money, so any refusal is a refusal of
    /// our credentials.
    pub fn of_token_call(self) -> Self {
        match self {
            CallError::Refused {
                status,
                code,
                message,
            } => CallError::Unauthorized(format!("HTTP {status} {code} {message}")),
            other @ (CallError::Unknown(_) | CallError::Unauthorized(_)) => other,
        }
    }

    /// Classifies a transport error: every one leaves the outcome unknown.
    pub fn transport(e: &reqwest::Error) -> Self {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "connection failed"
        };
        // Not `e` itself: its text carries the URL, and a URL may carry a payer's number.
        let cause = std::error::Error::source(e)
            .map(ToString::to_string)
            .unwrap_or_default();
        CallError::Unknown(format!("{what}: {cause}"))
    }
}
