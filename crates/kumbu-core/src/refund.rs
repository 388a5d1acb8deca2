//! A refund: money going back from the merchant to the payer of a settled payment.
//!
//! ```text
//! pending → processing → succeeded
//!    └──────────┴──────→ failed        (both terminal)
//! ```

use crate::clock::Timestamp;
use crate::failure::FailureCode;
use crate::mode::Mode;
use crate::money::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a refund is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Accepted, not yet sent to the operator.
    Pending,
    /// Sent to the operator.
    Processing,
    /// The money went back (terminal).
    Succeeded,
    /// The operator refused it (terminal); the amount is free to refund again.
    Failed,
}

impl RefundStatus {
    /// Every status.
    pub const ALL: [RefundStatus; 4] = [
        RefundStatus::Pending,
        RefundStatus::Processing,
        RefundStatus::Succeeded,
        RefundStatus::Failed,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Processing => "processing",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        RefundStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still moving: it holds its amount against the payment and blocks another refund.
    pub const fn in_flight(self) -> bool {
        match self {
            RefundStatus::Pending | RefundStatus::Processing => true,
            RefundStatus::Succeeded | RefundStatus::Failed => false,
        }
    }

    const fn rank(self) -> u8 {
        match self {
            RefundStatus::Pending => 0,
            RefundStatus::Processing => 1,
            RefundStatus::Succeeded | RefundStatus::Failed => 2,
        }
    }
}

/// A refund of (part of) a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// `re_…`
    pub id: String,
    /// The payment refunded.
    pub payment_id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Minor units going back.
    pub amount: i64,
    /// The payment's currency.
    pub currency: Currency,
    /// Where it is.
    pub status: RefundStatus,
    /// Why, as the merchant said.
    pub reason: Option<String>,
    /// Merchant key-value data.
    pub metadata: BTreeMap<String, String>,
    /// The operator's id for the refund, once known.
    pub operator_refund_id: Option<String>,
    /// Why it failed.
    pub failure_code: Option<FailureCode>,
    /// In words.
    pub failure_message: Option<String>,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
    /// When the worker should next move it (engine bookkeeping).
    #[serde(skip)]
    pub next_action_at: Option<Timestamp>,
}

impl Refund {
    /// Moves forward to `to`; refuses anything else.
    pub fn transition(&mut self, to: RefundStatus, at: Timestamp) -> Result<(), RefundTransition> {
        if self.status == to {
            return Err(RefundTransition::AlreadyThere);
        }
        if !self.status.in_flight() || to.rank() <= self.status.rank() {
            return Err(RefundTransition::Refused {
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.updated_at = at;
        Ok(())
    }
}

/// Why a refund transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefundTransition {
    /// Already in that status (a duplicate notice).
    #[error("refund is already in that status")]
    AlreadyThere,
    /// Backwards, sideways, or out of a final status.
    #[error("refund cannot go from {} to {}", .from.as_str(), .to.as_str())]
    Refused {
        /// Current status.
        from: RefundStatus,
        /// Requested status.
        to: RefundStatus,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use RefundStatus::*;

    fn refund(status: RefundStatus) -> Refund {
        Refund {
            id: "re_1".into(),
            payment_id: "pay_1".into(),
            merchant_id: "mer_1".into(),
            mode: Mode::Test,
            amount: 100,
            currency: Currency::Xof,
            status,
            reason: None,
            metadata: BTreeMap::new(),
            operator_refund_id: None,
            failure_code: None,
            failure_message: None,
            created_at: Timestamp::from_micros(0),
            updated_at: Timestamp::from_micros(0),
            next_action_at: None,
        }
    }

    #[test]
    fn only_forward_moves() {
        let t = Timestamp::from_micros(1);
        for from in RefundStatus::ALL {
            for to in RefundStatus::ALL {
                let ok = refund(from).transition(to, t).is_ok();
                let expected = from.in_flight() && to.rank() > from.rank();
                assert_eq!(ok, expected, "{from:?} -> {to:?}");
            }
        }
        assert!(refund(Pending).transition(Failed, t).is_ok());
        assert_eq!(
            refund(Processing).transition(Processing, t),
            Err(RefundTransition::AlreadyThere)
        );
    }
}
