//! A payment that happened outside Kumbu and was reported to it (a bank's API call, a line of a
//! MEPS file), and what reconciliation decided about it.
//!
//! Every ingested payment ends in exactly one [`MatchOutcome`]. Anything but `matched` is an
//! exception: it waits for a person, who either matches it to a bill or marks it for return
//! ([`Resolution`]); the decision is kept with who made it and when.

use crate::clock::Timestamp;
use crate::mode::Mode;
use crate::money::Currency;
use serde::{Deserialize, Serialize};

/// What the source says happened to the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExternalStatus {
    /// Reported but not final: recorded, never counted.
    Pending,
    /// The money arrived.
    Completed,
    /// It did not, and never will.
    Failed,
}

impl ExternalStatus {
    /// Every status.
    pub const ALL: [ExternalStatus; 3] = [
        ExternalStatus::Pending,
        ExternalStatus::Completed,
        ExternalStatus::Failed,
    ];

    /// The wire and stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExternalStatus::Pending => "pending",
            ExternalStatus::Completed => "completed",
            ExternalStatus::Failed => "failed",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        ExternalStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether a later report may move `self` to `to`: only out of `pending`.
    pub fn may_become(self, to: ExternalStatus) -> bool {
        match self {
            ExternalStatus::Pending => to != ExternalStatus::Pending,
            ExternalStatus::Completed | ExternalStatus::Failed => false,
        }
    }
}

/// What reconciliation decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchOutcome {
    /// Applied to a bill: the bill was updated and a payment recorded.
    Matched,
    /// No open bill has its reference (nor the merchant's reference).
    Unmatched,
    /// The bill it names is already paid, or the same payment came from another source.
    Duplicate,
    /// The amount does not fit the bill: short without instalments, or more than is due.
    AmountMismatch,
}

impl MatchOutcome {
    /// Every outcome.
    pub const ALL: [MatchOutcome; 4] = [
        MatchOutcome::Matched,
        MatchOutcome::Unmatched,
        MatchOutcome::Duplicate,
        MatchOutcome::AmountMismatch,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            MatchOutcome::Matched => "matched",
            MatchOutcome::Unmatched => "unmatched",
            MatchOutcome::Duplicate => "duplicate",
            MatchOutcome::AmountMismatch => "amount_mismatch",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        MatchOutcome::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether it waits for a person.
    pub const fn is_exception(self) -> bool {
        match self {
            MatchOutcome::Matched => false,
            MatchOutcome::Unmatched | MatchOutcome::Duplicate | MatchOutcome::AmountMismatch => {
                true
            }
        }
    }
}

/// What a person decided about an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Applied by hand to a bill they chose.
    Matched,
    /// The money goes back to the payer, outside Kumbu.
    Return,
}

impl Resolution {
    /// Every resolution.
    pub const ALL: [Resolution; 2] = [Resolution::Matched, Resolution::Return];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Resolution::Matched => "matched",
            Resolution::Return => "return",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        Resolution::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How the payer paid, as the source described it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodDetails {
    /// `SIMO_ERV`, `INTERBANK`, … as sent.
    pub method_type: Option<String>,
    /// The account the money went to.
    pub nib: Option<String>,
    /// The SIMO entity paid.
    pub entity_number: Option<String>,
    /// The reference the payer typed.
    pub reference_number: Option<String>,
}

/// A person's decision on an exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What they decided.
    pub resolution: Resolution,
    /// Who: the API key id or `cli:<user>`.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why, in their words.
    pub note: Option<String>,
}

/// One payment reported from outside, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestedPayment {
    /// `ing_…`
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Who reported it (`Bank`, `meps:90002`, …); with `external_id`, its identity.
    pub source: String,
    /// The source's own id for it.
    pub external_id: String,
    /// Minor units.
    pub amount: i64,
    /// Its currency.
    pub currency: Currency,
    /// The source's status, as last reported.
    pub status: ExternalStatus,
    /// How it was paid.
    pub method: MethodDetails,
    /// The source's reference (a transfer description, the merchant's reference).
    pub reference: Option<String>,
    /// When the source processed it.
    pub processed_at: Timestamp,
    /// What reconciliation decided.
    pub outcome: MatchOutcome,
    /// Why, in words.
    pub detail: String,
    /// The bill it was matched (or nearly matched) to.
    pub collection_request_id: Option<String>,
    /// The payment record it produced, once matched.
    pub payment_id: Option<String>,
    /// A person's decision, for an exception.
    pub decision: Option<Decision>,
    /// The file it came in, for a file import.
    pub file_id: Option<String>,
    /// SHA-256 of what the source sent, to tell a replay from a changed report.
    pub fingerprint: String,
    /// When first ingested.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
    /// The API the report came through (none from a file); the payment record it produces
    /// keeps it, whoever matches it. Not part of any face's view of the report.
    #[serde(skip)]
    pub face: Option<crate::Face>,
}

impl IngestedPayment {
    /// Whether it waits for a person: an exception nobody decided, for money that arrived or
    /// may still arrive (a failed report moved nothing, so it asks nothing of anyone).
    pub fn is_open_exception(&self) -> bool {
        self.outcome.is_exception()
            && self.decision.is_none()
            && self.status != ExternalStatus::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_pending_moves() {
        for s in ExternalStatus::ALL {
            assert_eq!(ExternalStatus::parse(s.as_str()), Some(s));
            for t in ExternalStatus::ALL {
                assert_eq!(
                    s.may_become(t),
                    s == ExternalStatus::Pending && t != ExternalStatus::Pending
                );
            }
        }
        for o in MatchOutcome::ALL {
            assert_eq!(MatchOutcome::parse(o.as_str()), Some(o));
            assert_eq!(o.is_exception(), o != MatchOutcome::Matched);
        }
        for r in Resolution::ALL {
            assert_eq!(Resolution::parse(r.as_str()), Some(r));
        }
    }
}
