//! A payment and its forward-only state machine.
//!
//! ```text
//! created → operator_pending → user_confirming → debited → settled → partially_refunded → refunded
//!    └─────────────┴──────────────────┴→ failed | expired | cancelled   (terminal)
//! ```
//! A status only moves forward; skipping forward is allowed (an operator may report `debited`
//! without a separate prompt step), moving back or sideways is refused here, in the core.

use crate::clock::Timestamp;
use crate::failure::FailureCode;
use crate::mode::Mode;
use crate::money::Currency;
use crate::operator::Operator;
use crate::phone::Msisdn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The canonical payment statuses; every face maps onto these and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Accepted by Kumbu, not yet sent to the operator.
    Created,
    /// Sent to the operator, waiting for it to prompt the payer.
    OperatorPending,
    /// The payer has a prompt on their phone.
    UserConfirming,
    /// Money left the payer's wallet.
    Debited,
    /// Money is available to the merchant.
    Settled,
    /// Refused, with a failure code (terminal).
    Failed,
    /// Not confirmed in time (terminal).
    Expired,
    /// Cancelled before debit (terminal).
    Cancelled,
    /// Part of the money went back to the payer.
    PartiallyRefunded,
    /// All of the money went back to the payer (terminal).
    Refunded,
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The payment is already in that status (a duplicate notice).
    #[error("payment is already {}", .0.as_str())]
    AlreadyThere(PaymentStatus),
    /// The payment is already past that status (a stale, out-of-order notice).
    #[error("payment is {}, already past {}", .from.as_str(), .to.as_str())]
    Backwards {
        /// Current status.
        from: PaymentStatus,
        /// Requested status.
        to: PaymentStatus,
    },
    /// The payment is in a terminal status.
    #[error("payment is {}, which is final", .0.as_str())]
    Final(PaymentStatus),
    /// Only a settled payment can be refunded.
    #[error("payment is {}, not settled: it cannot become {}", .from.as_str(), .to.as_str())]
    NotSettled {
        /// Current status.
        from: PaymentStatus,
        /// Requested status.
        to: PaymentStatus,
    },
    /// Money has been debited: it can no longer fail, expire or be cancelled.
    #[error("payment is {}; money has moved, so it cannot become {}", .from.as_str(), .to.as_str())]
    AfterDebit {
        /// Current status.
        from: PaymentStatus,
        /// Requested status.
        to: PaymentStatus,
    },
}

impl PaymentStatus {
    /// Every status.
    pub const ALL: [PaymentStatus; 10] = [
        PaymentStatus::Created,
        PaymentStatus::OperatorPending,
        PaymentStatus::UserConfirming,
        PaymentStatus::Debited,
        PaymentStatus::Settled,
        PaymentStatus::Failed,
        PaymentStatus::Expired,
        PaymentStatus::Cancelled,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::OperatorPending => "operator_pending",
            PaymentStatus::UserConfirming => "user_confirming",
            PaymentStatus::Debited => "debited",
            PaymentStatus::Settled => "settled",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Expired => "expired",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        PaymentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Position on the success path; `None` for the failure-side terminal statuses.
    const fn progress(self) -> Option<u8> {
        match self {
            PaymentStatus::Created => Some(0),
            PaymentStatus::OperatorPending => Some(1),
            PaymentStatus::UserConfirming => Some(2),
            PaymentStatus::Debited => Some(3),
            PaymentStatus::Settled => Some(4),
            PaymentStatus::PartiallyRefunded => Some(5),
            PaymentStatus::Refunded => Some(6),
            PaymentStatus::Failed | PaymentStatus::Expired | PaymentStatus::Cancelled => None,
        }
    }

    /// The payer may still pay: nothing debited yet, and not ended.
    pub const fn awaits_payer(self) -> bool {
        match self {
            PaymentStatus::Created
            | PaymentStatus::OperatorPending
            | PaymentStatus::UserConfirming => true,
            PaymentStatus::Debited
            | PaymentStatus::Settled
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded
            | PaymentStatus::Failed
            | PaymentStatus::Expired
            | PaymentStatus::Cancelled => false,
        }
    }

    /// No transition leaves a terminal status.
    pub const fn is_terminal(self) -> bool {
        match self {
            PaymentStatus::Refunded
            | PaymentStatus::Failed
            | PaymentStatus::Expired
            | PaymentStatus::Cancelled => true,
            PaymentStatus::Created
            | PaymentStatus::OperatorPending
            | PaymentStatus::UserConfirming
            | PaymentStatus::Debited
            | PaymentStatus::Settled
            | PaymentStatus::PartiallyRefunded => false,
        }
    }

    /// The payment's rail has nothing more to do: it is settled (perhaps refunded since) or
    /// ended without money.
    pub const fn is_collected_or_ended(self) -> bool {
        match self {
            PaymentStatus::Settled
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded
            | PaymentStatus::Failed
            | PaymentStatus::Expired
            | PaymentStatus::Cancelled => true,
            PaymentStatus::Created
            | PaymentStatus::OperatorPending
            | PaymentStatus::UserConfirming
            | PaymentStatus::Debited => false,
        }
    }

    /// Money has left (or may have left) the payer's wallet.
    pub const fn is_debited(self) -> bool {
        matches!(
            self,
            PaymentStatus::Debited
                | PaymentStatus::Settled
                | PaymentStatus::PartiallyRefunded
                | PaymentStatus::Refunded
        )
    }

    /// A refund status.
    pub const fn is_refund(self) -> bool {
        matches!(
            self,
            PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }

    /// The money reached the merchant (and may have been partly refunded since).
    pub const fn is_settled(self) -> bool {
        matches!(
            self,
            PaymentStatus::Settled | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }

    /// Checks that `self → to` is a legal forward move.
    pub fn check_transition(self, to: PaymentStatus) -> Result<(), TransitionError> {
        if self == to {
            return Err(TransitionError::AlreadyThere(self));
        }
        if self.is_terminal() {
            return Err(TransitionError::Final(self));
        }
        match (self.progress(), to.progress()) {
            // Only settled money can be refunded.
            (Some(_), Some(_)) if to.is_refund() && !self.is_settled() => {
                Err(TransitionError::NotSettled { from: self, to })
            }
            (Some(a), Some(b)) if b > a => Ok(()),
            (Some(_), Some(_)) => Err(TransitionError::Backwards { from: self, to }),
            (Some(_), None) if self.is_debited() => {
                Err(TransitionError::AfterDebit { from: self, to })
            }
            (Some(_), None) => Ok(()),
            // `self` is not terminal, so it always has a progress rank.
            (None, _) => Err(TransitionError::Final(self)),
        }
    }
}

/// One row of a payment's history: every transition is recorded with why and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// Status before (`None` for the creation row).
    pub from: Option<PaymentStatus>,
    /// Status after.
    pub to: PaymentStatus,
    /// Why, in words (e.g. "operator callback", "status poll", "cancelled by merchant").
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

/// Where the rail is in its script for this payment; engine bookkeeping, not part of the
/// public object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RailProgress {
    /// Index of the next rail step to run.
    pub step: u32,
    /// When the worker should next look at this payment; `None` when nothing is due.
    pub next_action_at: Option<Timestamp>,
}

fn is_kept(r: &crate::fees::RefundFee) -> bool {
    *r == crate::fees::RefundFee::Kept
}

/// A payment: money a payer sends to a merchant through one operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// `pay_…`
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Current status.
    pub status: PaymentStatus,
    /// Amount in minor units.
    pub amount: i64,
    /// Kumbu's fee in minor units, fixed at creation.
    pub fee: i64,
    /// What a refund does with the fee, fixed at creation with it (the merchant's price then).
    #[serde(default, skip_serializing_if = "is_kept")]
    pub refund_fee: crate::fees::RefundFee,
    /// How much has gone back to the payer in refunds that succeeded.
    #[serde(default)]
    pub amount_refunded: i64,
    /// Currency of amount and fee.
    pub currency: Currency,
    /// The operator collecting.
    pub operator: Operator,
    /// The payer's phone (none for a payment by bank reference).
    pub payer_phone: Option<Msisdn>,
    /// What the bank network reported, for a payment by reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<crate::multicaixa::BankPayment>,
    /// Optional customer name given by the merchant.
    pub customer_name: Option<String>,
    /// Optional customer email given by the merchant.
    pub customer_email: Option<String>,
    /// The merchant's own id for this payment, unique per merchant and mode.
    pub reference: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// What the payer's statement shows, where the operator supports it.
    #[serde(default)]
    pub statement_descriptor: Option<String>,
    /// The merchant's customer (`cu_…`) this payment is for.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The checkout session (`cs_…`) this payment is an attempt of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_session_id: Option<String>,
    /// The collection request (`cr_…`) this payment pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_request_id: Option<String>,
    /// What a payment record says about money that moved outside Kumbu (operator `external`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordDetails>,
    /// When a payment record was deleted: still readable by id, hidden from lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Timestamp>,
    /// Merchant key-value data.
    pub metadata: BTreeMap<String, String>,
    /// The operator's transaction id, once known.
    pub operator_reference: Option<String>,
    /// Why it failed, when it did.
    pub failure_code: Option<FailureCode>,
    /// Human explanation of the failure.
    pub failure_message: Option<String>,
    /// The operator's own code for the outcome, kept beside ours.
    pub operator_code: Option<String>,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
    /// When an unconfirmed payment expires.
    pub expires_at: Timestamp,
    /// The API the payment came through (a checkout page's payment: its session's); none for
    /// one from a bank file or the command line, and for payments made before it was kept.
    #[serde(default)]
    pub face: Option<crate::Face>,
    /// Every transition, oldest first. Not part of the serialized snapshot that events carry:
    /// an event is one transition, and repeating the whole history in each would make the
    /// outbox grow with the square of a payment's transitions.
    #[serde(skip_serializing, default)]
    pub history: Vec<StatusChange>,
    /// Rail bookkeeping.
    #[serde(skip)]
    pub progress: RailProgress,
    /// The connector's memo of what it made at the operator for this payment (a payment page's
    /// order id and URL): its own JSON, read only by it. Never shown.
    #[serde(skip)]
    pub rail_memo: Option<String>,
    /// For a payment the payer completes on the operator's page: the opaque token of Kumbu's
    /// hand-over URL (`/pay/go/{token}`), which sends them there. Never in an event.
    #[serde(skip)]
    pub handover: Option<String>,
}

/// The details a payment record carries about money that moved elsewhere: who paid, through
/// whom, by what channel, and when the source processed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordDetails {
    /// The payer's account in the merchant's books (`acc_…`).
    pub account_id: String,
    /// The provider that carried the money (`provider_mpesa`, …), as the merchant names it.
    pub provider_id: Option<String>,
    /// `mobile_wallet`, `bank_transfer`, `simo_erv`, … as the merchant names it.
    pub channel: Option<String>,
    /// When the money moved, as the source says; set when the record is confirmed.
    pub processed_at: Option<Timestamp>,
    /// The ingested payment (`ing_…`) it came from, if any.
    pub ingest_id: Option<String>,
}

impl Payment {
    /// When it was confirmed (reached `debited` or beyond), from its history.
    pub fn confirmed_at(&self) -> Option<Timestamp> {
        self.history
            .iter()
            .find(|c| c.to.is_debited())
            .map(|c| c.at)
    }

    /// What the merchant receives: amount minus fee.
    pub const fn net(&self) -> i64 {
        self.amount - self.fee
    }

    /// Moves to `to`, recording the change. Refuses illegal moves.
    pub fn transition(
        &mut self,
        to: PaymentStatus,
        reason: &str,
        at: Timestamp,
    ) -> Result<StatusChange, TransitionError> {
        self.status.check_transition(to)?;
        let change = StatusChange {
            from: Some(self.status),
            to,
            reason: reason.to_owned(),
            at,
        };
        self.status = to;
        self.updated_at = at;
        self.history.push(change.clone());
        Ok(change)
    }

    /// Moves to `failed` (or `expired`/`cancelled` for those codes) with a failure code.
    pub fn fail(
        &mut self,
        code: FailureCode,
        operator_code: Option<&str>,
        reason: &str,
        at: Timestamp,
    ) -> Result<StatusChange, TransitionError> {
        let to = match code {
            FailureCode::PaymentExpired => PaymentStatus::Expired,
            FailureCode::Cancelled => PaymentStatus::Cancelled,
            FailureCode::PayerNotFound
            | FailureCode::InsufficientBalance
            | FailureCode::PaymentDeclined
            | FailureCode::InvalidOtp
            | FailureCode::PayerLimitReached
            | FailureCode::PaymentInProgress
            | FailureCode::AccountNotAllowed
            | FailureCode::ProviderUnavailable
            | FailureCode::ProviderError
            | FailureCode::ReferenceExpired => PaymentStatus::Failed,
        };
        let change = self.transition(to, reason, at)?;
        self.failure_code = Some(code);
        self.failure_message = Some(code.message().to_owned());
        self.operator_code = operator_code.map(str::to_owned);
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus::*;

    #[test]
    fn forward_moves_are_allowed() {
        for (a, b) in [
            (Created, OperatorPending),
            (OperatorPending, UserConfirming),
            (UserConfirming, Debited),
            (Debited, Settled),
            (Created, Debited),
            (Created, Failed),
            (OperatorPending, Expired),
            (UserConfirming, Cancelled),
        ] {
            assert_eq!(a.check_transition(b), Ok(()), "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn every_illegal_move_is_refused() {
        for from in PaymentStatus::ALL {
            for to in PaymentStatus::ALL {
                let ok = from.check_transition(to).is_ok();
                let expected = !from.is_terminal()
                    && from != to
                    && match (from.progress(), to.progress()) {
                        (Some(a), Some(b)) => b > a && (!to.is_refund() || from.is_settled()),
                        (Some(_), None) => !from.is_debited(),
                        (None, _) => false,
                    };
                assert_eq!(ok, expected, "{from:?} -> {to:?}");
            }
        }
        assert_eq!(
            Settled.check_transition(Failed),
            Err(TransitionError::AfterDebit {
                from: Settled,
                to: Failed
            })
        );
        assert_eq!(
            Refunded.check_transition(Settled),
            Err(TransitionError::Final(Refunded))
        );
        assert_eq!(
            Debited.check_transition(Refunded),
            Err(TransitionError::NotSettled {
                from: Debited,
                to: Refunded
            })
        );
        assert_eq!(Settled.check_transition(PartiallyRefunded), Ok(()));
        assert_eq!(PartiallyRefunded.check_transition(Refunded), Ok(()));
        assert_eq!(
            PartiallyRefunded.check_transition(Settled),
            Err(TransitionError::Backwards {
                from: PartiallyRefunded,
                to: Settled
            })
        );
        assert_eq!(
            Debited.check_transition(Expired),
            Err(TransitionError::AfterDebit {
                from: Debited,
                to: Expired
            })
        );
        assert_eq!(
            Debited.check_transition(Debited),
            Err(TransitionError::AlreadyThere(Debited))
        );
        assert_eq!(
            Debited.check_transition(UserConfirming),
            Err(TransitionError::Backwards {
                from: Debited,
                to: UserConfirming
            })
        );
    }

    #[test]
    fn names_round_trip() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
    }
}
