//! What the simulated MTN does with a transaction, chosen by the number: MTN's sandbox numbers
//! (`46733123450`…`46733123463`, as MTN's testing page documents them) first, then Kumbu's
//! sandbox suffix table (docs/sandbox.md), the same for every operator.

use crate::mtn_momo::reasons::Reason;
use std::time::Duration;

/// Which kind of transaction: the payer's side (request to pay) or the payee's (transfer,
/// deposit, refund).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Money is asked of the number.
    Payer,
    /// Money is sent to the number.
    Payee,
}

/// What happens to one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// `SUCCESSFUL` after the approval delay (times `factor`).
    Succeed {
        /// Multiplies the approval delay (the long-delay numbers).
        factor: u32,
    },
    /// `FAILED` with this reason after the approval delay (at once when `at_once`).
    Fail {
        /// MTN's reason.
        reason: Reason,
        /// Decided without waiting for the payer (no such wallet).
        at_once: bool,
    },
    /// Stays `PENDING` until MTN's approval window closes, then `FAILED EXPIRED`.
    NeverAnswers,
    /// The POST is refused with HTTP 500 and this code; nothing is registered.
    Unavailable(Reason),
    /// Succeeds, but no callback is ever sent: only the status resource tells.
    Silent,
    /// Succeeds, with the callback sent several times and a stale `PENDING` one after it.
    DuplicateCallbacks,
    /// Waits for a person: `POST /_simulator/transactions/{id}/approve` or `/decline`.
    Manual,
}

/// The behaviour for a number (digits only, no `+`).
pub fn for_number(number: &str, side: Side) -> Behaviour {
    use Behaviour as B;
    let fail = |reason: Reason| B::Fail {
        reason,
        at_once: false,
    };
    let mtn = match (number, side) {
        ("46733123450", _) => Some(fail(Reason::InternalProcessingError)),
        ("46733123451", _) => Some(fail(Reason::ApprovalRejected)),
        ("46733123452", _) => Some(fail(Reason::Expired)),
        ("46733123453", _) => Some(B::NeverAnswers),
        ("46733123454", _) => Some(B::Succeed { factor: 15 }),
        ("46733123455", Side::Payer) => Some(B::Fail {
            reason: Reason::PayerNotFound,
            at_once: true,
        }),
        ("46733123455", Side::Payee) => Some(fail(Reason::NotEnoughFunds)),
        ("46733123456", Side::Payer) => Some(fail(Reason::PayeeNotAllowedToReceive)),
        ("46733123456", Side::Payee) => Some(fail(Reason::PayerLimitReached)),
        ("46733123457", Side::Payer) => Some(fail(Reason::NotAllowed)),
        ("46733123457", Side::Payee) => Some(fail(Reason::PayeeNotFound)),
        ("46733123458", _) => Some(fail(Reason::NotAllowed)),
        ("46733123459", _) => Some(fail(Reason::NotAllowedTargetEnvironment)),
        ("46733123460", _) => Some(fail(Reason::InvalidCallbackUrlHost)),
        ("46733123461", _) => Some(fail(Reason::InvalidCurrency)),
        ("46733123462", _) => Some(fail(Reason::InternalProcessingError)),
        ("46733123463", Side::Payer) => Some(fail(Reason::CouldNotPerformTransaction)),
        ("46733123463", Side::Payee) => Some(fail(Reason::ServiceUnavailable)),
        _ => None,
    };
    if let Some(b) = mtn {
        return b;
    }
    let suffix = number.get(number.len().saturating_sub(3)..).unwrap_or("");
    match (suffix, side) {
        ("019", Side::Payer) => fail(Reason::PayerLimitReached),
        ("019", Side::Payee) => fail(Reason::PayeeNotAllowedToReceive),
        ("029", Side::Payer) => B::Fail {
            reason: Reason::PayerNotFound,
            at_once: true,
        },
        ("029", Side::Payee) => B::Fail {
            reason: Reason::PayeeNotFound,
            at_once: true,
        },
        ("039", Side::Payer) => fail(Reason::ApprovalRejected),
        ("039", Side::Payee) => fail(Reason::PayeeNotAllowedToReceive),
        ("049", _) => fail(Reason::NotEnoughFunds),
        ("059", Side::Payer) => B::NeverAnswers,
        ("069", _) => fail(Reason::InternalProcessingError),
        ("079", _) => B::Unavailable(Reason::ServiceUnavailable),
        ("129", _) => B::Silent,
        ("139", _) => B::DuplicateCallbacks,
        ("149", _) => B::Succeed { factor: 15 },
        ("009", Side::Payer) => B::Manual,
        _ => B::Succeed { factor: 1 },
    }
}

impl Behaviour {
    /// When the outcome is decided, after the POST; `None` when only a person or the approval
    /// window decides.
    pub fn decided_after(&self, approval: Duration) -> Option<Duration> {
        match self {
            Behaviour::Succeed { factor } => Some(approval * *factor),
            Behaviour::Fail { at_once: true, .. } => Some(Duration::ZERO),
            Behaviour::Fail { at_once: false, .. }
            | Behaviour::Silent
            | Behaviour::DuplicateCallbacks => Some(approval),
            Behaviour::NeverAnswers | Behaviour::Manual | Behaviour::Unavailable(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtn_numbers_win_over_suffixes() {
        assert_eq!(
            for_number("46733123451", Side::Payer),
            Behaviour::Fail {
                reason: Reason::ApprovalRejected,
                at_once: false
            }
        );
        assert_eq!(for_number("2250500000129", Side::Payer), Behaviour::Silent);
        assert_eq!(
            for_number("2250500000789", Side::Payee),
            Behaviour::Succeed { factor: 1 }
        );
    }
}
