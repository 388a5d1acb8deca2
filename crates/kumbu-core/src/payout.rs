//! A payout: money the merchant sends from its available balance to a mobile wallet (MTN
//! MoMo's disbursement transfer in live mode; the sandbox in test mode).
//!
//! ```text
//! pending → processing → succeeded
//!    └──────────┴──────→ failed        (both terminal)
//! ```
//!
//! Its amount is reserved from the available balance when it is accepted, so two payouts can
//! never spend the same money; a failed payout gives it back.

use crate::clock::Timestamp;
use crate::failure::FailureCode;
use crate::mode::Mode;
use crate::money::Currency;
use crate::operator::Operator;
use crate::phone::Msisdn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a payout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Accepted and reserved; not yet with the operator.
    Pending,
    /// With the operator (or possibly: an unknown outcome is asked, never re-sent anew).
    Processing,
    /// The money reached the wallet (terminal).
    Succeeded,
    /// It did not, and will not (terminal); the amount is available again.
    Failed,
}

impl PayoutStatus {
    /// Every status.
    pub const ALL: [PayoutStatus; 4] = [
        PayoutStatus::Pending,
        PayoutStatus::Processing,
        PayoutStatus::Succeeded,
        PayoutStatus::Failed,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::Processing => "processing",
            PayoutStatus::Succeeded => "succeeded",
            PayoutStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        PayoutStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Final: nothing moves it any more.
    pub const fn is_terminal(self) -> bool {
        match self {
            PayoutStatus::Pending | PayoutStatus::Processing => false,
            PayoutStatus::Succeeded | PayoutStatus::Failed => true,
        }
    }
}

/// A payout to a mobile wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// `po_…`
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Minor units sent.
    pub amount: i64,
    /// Kumbu's fee on it (the merchant's price for payouts on the operator then), taken from the
    /// balance with the amount and given back if the payout fails.
    #[serde(default)]
    pub fee: i64,
    /// Currency.
    pub currency: Currency,
    /// The payee's operator.
    pub operator: Operator,
    /// The payee's number.
    pub payee_phone: Msisdn,
    /// The merchant's reference, unique per merchant and mode.
    pub reference: Option<String>,
    /// Free text, shown to the payee where the operator can.
    pub description: Option<String>,
    /// Merchant key-value data.
    pub metadata: BTreeMap<String, String>,
    /// Where it is.
    pub status: PayoutStatus,
    /// The operator's id for the transfer (MTN: the `X-Reference-Id`, written at creation).
    pub operator_reference: Option<String>,
    /// Why it failed.
    pub failure_code: Option<FailureCode>,
    /// In words.
    pub failure_message: Option<String>,
    /// The operator's own code for the failure.
    pub operator_code: Option<String>,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
    /// When the worker should next move it (engine bookkeeping).
    #[serde(skip)]
    pub next_action_at: Option<Timestamp>,
}

impl Payout {
    /// Moves forward to `to`; `false` (and nothing changes) for anything else.
    pub fn advance(&mut self, to: PayoutStatus, at: Timestamp) -> bool {
        let allowed = match (self.status, to) {
            (PayoutStatus::Pending, PayoutStatus::Processing)
            | (PayoutStatus::Pending | PayoutStatus::Processing, PayoutStatus::Succeeded)
            | (PayoutStatus::Pending | PayoutStatus::Processing, PayoutStatus::Failed) => true,
            (PayoutStatus::Pending, PayoutStatus::Pending)
            | (PayoutStatus::Processing, PayoutStatus::Pending | PayoutStatus::Processing)
            | (PayoutStatus::Succeeded | PayoutStatus::Failed, _) => false,
        };
        if allowed {
            self.status = to;
            self.updated_at = at;
        }
        allowed
    }

    /// Fails it with `code`, keeping the operator's own code.
    pub fn fail(
        &mut self,
        code: FailureCode,
        operator_code: Option<&str>,
        message: &str,
        at: Timestamp,
    ) -> bool {
        if !self.advance(PayoutStatus::Failed, at) {
            return false;
        }
        self.failure_code = Some(code);
        self.failure_message = Some(message.to_owned());
        self.operator_code = operator_code.map(str::to_owned);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payout_only_moves_forward() {
        let mut p: Payout = serde_json::from_value(serde_json::json!({
            "id": "po_x", "merchant_id": "mer_x", "mode": "test", "amount": 100, "currency": "XOF",
            "operator": "mtn_ci", "payee_phone": "+2250500000789", "reference": null,
            "description": null, "metadata": {}, "status": "pending", "operator_reference": null,
            "failure_code": null, "failure_message": null, "operator_code": null,
            "created_at": 0, "updated_at": 0
        }))
        .unwrap();
        let t = Timestamp::from_micros(1);
        assert!(p.advance(PayoutStatus::Processing, t));
        assert!(!p.advance(PayoutStatus::Pending, t));
        assert!(p.advance(PayoutStatus::Succeeded, t));
        assert!(!p.fail(FailureCode::ProviderError, None, "late", t));
        assert_eq!(p.status, PayoutStatus::Succeeded);
    }
}
