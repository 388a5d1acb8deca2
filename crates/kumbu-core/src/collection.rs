//! A collection request: a bill the merchant expects to be paid (by ERV reference, mobile
//! wallet or bank transfer), and the one rule that decides what an incoming amount does to it.
//!
//! ```text
//! open → partially_paid → paid          (partially paid only when instalments are allowed)
//!   └──────────┴──────→ expired | cancelled      (paid, expired, cancelled: terminal)
//! ```
//! An amount is judged before it is applied ([`CollectionBalance::judge`]): the exact remainder
//! pays the bill; less is an instalment only when the bill allows instalments, otherwise an
//! amount mismatch; more is an overpayment. Mismatches and overpayments are exceptions for a
//! person to decide: they never change the bill, so money is never silently absorbed.

use crate::clock::Timestamp;
use crate::mode::Mode;
use crate::money::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a collection request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionStatus {
    /// Nothing paid yet.
    Open,
    /// Some instalments paid, some amount still due.
    PartiallyPaid,
    /// Paid in full (terminal).
    Paid,
    /// Past its due date unpaid, or not fully paid (terminal).
    Expired,
    /// Withdrawn by the merchant (terminal).
    Cancelled,
}

impl CollectionStatus {
    /// Every status.
    pub const ALL: [CollectionStatus; 5] = [
        CollectionStatus::Open,
        CollectionStatus::PartiallyPaid,
        CollectionStatus::Paid,
        CollectionStatus::Expired,
        CollectionStatus::Cancelled,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CollectionStatus::Open => "open",
            CollectionStatus::PartiallyPaid => "partially_paid",
            CollectionStatus::Paid => "paid",
            CollectionStatus::Expired => "expired",
            CollectionStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        CollectionStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Payments can still be applied to it.
    pub const fn takes_payments(self) -> bool {
        match self {
            CollectionStatus::Open | CollectionStatus::PartiallyPaid => true,
            CollectionStatus::Paid | CollectionStatus::Expired | CollectionStatus::Cancelled => {
                false
            }
        }
    }

    const fn rank(self) -> u8 {
        match self {
            CollectionStatus::Open => 0,
            CollectionStatus::PartiallyPaid => 1,
            CollectionStatus::Paid | CollectionStatus::Expired | CollectionStatus::Cancelled => 2,
        }
    }
}

/// What an incoming amount would do to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// It is exactly what remains: the request becomes paid.
    Pays,
    /// Less than what remains, and instalments are allowed: partially paid.
    Instalment {
        /// What would still be due afterwards (minor units).
        remaining: i64,
    },
    /// Less than what remains, and instalments are not allowed: an exception.
    AmountMismatch {
        /// What is due (minor units).
        due: i64,
    },
    /// More than what remains: an exception (the excess is never absorbed).
    Overpayment {
        /// How much too much (minor units).
        excess: i64,
    },
    /// The request takes no more payments (paid, expired or cancelled): an exception.
    Closed(CollectionStatus),
}

/// Why a collection transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CollectionTransition {
    /// Backwards, sideways, or out of a final status.
    #[error("collection request cannot go from {} to {}", .from.as_str(), .to.as_str())]
    Refused {
        /// Current status.
        from: CollectionStatus,
        /// Requested status.
        to: CollectionStatus,
    },
    /// The amount is not one that may be applied (see [`Judgement`]).
    #[error("this amount cannot be applied: {0:?}")]
    NotApplicable(Judgement),
}

/// The money side of a collection request (its other fields live with the engine's object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionBalance {
    /// Where it is.
    pub status: CollectionStatus,
    /// What is billed, minor units.
    pub amount: i64,
    /// What has been applied so far, minor units (never more than `amount`).
    pub amount_paid: i64,
    /// Money received beyond `amount` that a person chose to apply to this bill (never by
    /// matching rules), kept apart so that it is owed back or credited, never absorbed.
    #[serde(default)]
    pub amount_overpaid: i64,
    /// Whether partial payments are accepted.
    pub allow_instalments: bool,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl CollectionBalance {
    /// What `amount` (minor units, positive) would do, without doing it.
    pub fn judge(&self, amount: i64) -> Judgement {
        if !self.status.takes_payments() {
            return Judgement::Closed(self.status);
        }
        let due = self.amount - self.amount_paid;
        match amount.cmp(&due) {
            std::cmp::Ordering::Equal => Judgement::Pays,
            std::cmp::Ordering::Greater => Judgement::Overpayment {
                excess: amount - due,
            },
            std::cmp::Ordering::Less if self.allow_instalments && amount > 0 => {
                Judgement::Instalment {
                    remaining: due - amount,
                }
            }
            std::cmp::Ordering::Less => Judgement::AmountMismatch { due },
        }
    }

    /// Applies `amount` if [`CollectionBalance::judge`] says it pays or is an instalment;
    /// returns the judgement. Exceptions change nothing.
    pub fn apply(&mut self, amount: i64, at: Timestamp) -> Result<Judgement, CollectionTransition> {
        let j = self.judge(amount);
        let to = match j {
            Judgement::Pays => CollectionStatus::Paid,
            Judgement::Instalment { .. } => CollectionStatus::PartiallyPaid,
            Judgement::AmountMismatch { .. }
            | Judgement::Overpayment { .. }
            | Judgement::Closed(_) => return Err(CollectionTransition::NotApplicable(j)),
        };
        if to != self.status {
            self.transition(to, at)?;
        }
        self.amount_paid += amount;
        self.updated_at = at;
        Ok(j)
    }

    /// Applies `amount` as a person decided when resolving an exception: whatever the rules
    /// said, the bill takes it; beyond what is due it is paid and the excess is recorded as
    /// overpaid. Only a bill that still takes payments can be given money.
    pub fn accept(&mut self, amount: i64, at: Timestamp) -> Result<(), CollectionTransition> {
        if !self.status.takes_payments() || amount <= 0 {
            return Err(CollectionTransition::NotApplicable(self.judge(amount)));
        }
        let due = self.amount - self.amount_paid;
        let to = if amount >= due {
            CollectionStatus::Paid
        } else {
            CollectionStatus::PartiallyPaid
        };
        if to != self.status {
            self.transition(to, at)?;
        }
        self.amount_paid += amount.min(due);
        self.amount_overpaid += (amount - due).max(0);
        self.updated_at = at;
        Ok(())
    }

    /// Moves forward to `to` (expired or cancelled by a person or the clock; paid and
    /// partially paid through [`CollectionBalance::apply`]).
    pub fn transition(
        &mut self,
        to: CollectionStatus,
        at: Timestamp,
    ) -> Result<(), CollectionTransition> {
        if !self.status.takes_payments() || to.rank() <= self.status.rank() {
            return Err(CollectionTransition::Refused {
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.updated_at = at;
        Ok(())
    }
}

/// A way a collection request may be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionMethod {
    /// At any bank, ATM or banking app, by the merchant's SIMO entity and the bill's reference.
    SimoErv,
    /// A mobile-wallet push (M-Pesa, e-Mola).
    MobileWallet,
    /// A transfer to the merchant's NIB.
    BankTransfer,
}

impl CollectionMethod {
    /// Every method.
    pub const ALL: [CollectionMethod; 3] = [
        CollectionMethod::SimoErv,
        CollectionMethod::MobileWallet,
        CollectionMethod::BankTransfer,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CollectionMethod::SimoErv => "simo_erv",
            CollectionMethod::MobileWallet => "mobile_wallet",
            CollectionMethod::BankTransfer => "bank_transfer",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        CollectionMethod::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Who is billed, as the merchant described them. Only the merchant reads it back; matching
/// never depends on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Payer {
    /// `business` or `individual`.
    pub kind: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// A company's registered name.
    pub legal_name: Option<String>,
    /// Tax number (NUIT).
    pub vat_number: Option<String>,
    /// Phone, as given.
    pub phone_number: Option<String>,
    /// Email, as given.
    pub email: Option<String>,
    /// How the bill reaches the payer (`sms`, `email`, …).
    pub delivery_method: Option<String>,
    /// Address lines by name (`street`, `city`, `country`, …); `null` is none, as a missing
    /// field is.
    #[serde(deserialize_with = "null_as_empty")]
    pub address: BTreeMap<String, String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default())
}

/// The bank reference a payer pays a bill with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErvDetails {
    /// The merchant's 5-digit SIMO entity.
    pub entity: String,
    /// The bill's 11-digit reference.
    pub reference: String,
    /// Whether the amount entered the check digits (fixed-amount bills).
    pub with_amount: bool,
}

/// A bill: what a merchant expects to receive, how it may be paid, and how much has come in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionRequest {
    /// `cr_…`
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Status and money.
    pub balance: CollectionBalance,
    /// Currency of every amount.
    pub currency: Currency,
    /// The ways it may be paid.
    pub methods: Vec<CollectionMethod>,
    /// Entity and reference, when `simo_erv` is a method.
    pub erv: Option<ErvDetails>,
    /// Whether the reference may serve a later bill once this one is closed.
    pub allow_reuse: bool,
    /// What it is for.
    pub description: Option<String>,
    /// Who pays.
    pub payer: Payer,
    /// When it falls due: still open then, it expires.
    pub due_at: Option<Timestamp>,
    /// The merchant's own reference for it (unique among the merchant's open bills).
    pub third_party_reference: Option<String>,
    /// A human bill number, `KMB-2026-00042`.
    pub bill_number: String,
    /// Merchant data.
    pub metadata: BTreeMap<String, String>,
    /// When created.
    pub created_at: Timestamp,
}

impl CollectionRequest {
    /// Its status.
    pub const fn status(&self) -> CollectionStatus {
        self.balance.status
    }

    /// What remains to pay, minor units.
    pub const fn amount_due(&self) -> i64 {
        self.balance.amount - self.balance.amount_paid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CollectionStatus::*;

    fn bill(status: CollectionStatus, paid: i64, instalments: bool) -> CollectionBalance {
        CollectionBalance {
            status,
            amount: 750_000,
            amount_paid: paid,
            amount_overpaid: 0,
            allow_instalments: instalments,
            updated_at: Timestamp::from_micros(0),
        }
    }

    #[test]
    fn only_forward_moves() {
        let t = Timestamp::from_micros(1);
        for from in CollectionStatus::ALL {
            for to in CollectionStatus::ALL {
                let ok = bill(from, 0, true).transition(to, t).is_ok();
                assert_eq!(
                    ok,
                    from.takes_payments() && to.rank() > from.rank(),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn amounts_are_judged_before_they_touch_the_bill() {
        let t = Timestamp::from_micros(1);
        let mut exact = bill(Open, 0, false);
        assert_eq!(exact.apply(750_000, t), Ok(Judgement::Pays));
        assert_eq!((exact.status, exact.amount_paid), (Paid, 750_000));
        // A second payment of a paid bill is an exception and changes nothing.
        assert_eq!(exact.judge(750_000), Judgement::Closed(Paid));
        assert!(exact.apply(750_000, t).is_err());
        assert_eq!(exact.amount_paid, 750_000);

        let mut strict = bill(Open, 0, false);
        assert_eq!(
            strict.judge(300_000),
            Judgement::AmountMismatch { due: 750_000 }
        );
        assert!(strict.apply(300_000, t).is_err());
        assert_eq!((strict.status, strict.amount_paid), (Open, 0));
        assert_eq!(
            strict.judge(800_000),
            Judgement::Overpayment { excess: 50_000 }
        );

        let mut instalments = bill(Open, 0, true);
        assert_eq!(
            instalments.apply(300_000, t),
            Ok(Judgement::Instalment { remaining: 450_000 })
        );
        assert_eq!(instalments.status, PartiallyPaid);
        assert_eq!(
            instalments.apply(200_000, t),
            Ok(Judgement::Instalment { remaining: 250_000 })
        );
        // Too much for what remains is an overpayment, even with instalments.
        assert_eq!(
            instalments.judge(300_000),
            Judgement::Overpayment { excess: 50_000 }
        );
        assert_eq!(instalments.apply(250_000, t), Ok(Judgement::Pays));
        assert_eq!(
            (instalments.status, instalments.amount_paid),
            (Paid, 750_000)
        );

        // A person may accept what the rules would not: the excess is kept apart.
        let mut by_hand = bill(Open, 0, false);
        by_hand.accept(800_000, t).unwrap();
        assert_eq!(
            (by_hand.status, by_hand.amount_paid, by_hand.amount_overpaid),
            (Paid, 750_000, 50_000)
        );
        assert!(by_hand.accept(1, t).is_err());
        let mut short = bill(Open, 0, false);
        short.accept(300_000, t).unwrap();
        assert_eq!((short.status, short.amount_paid), (PartiallyPaid, 300_000));

        let mut expired = bill(PartiallyPaid, 300_000, true);
        expired.transition(Expired, t).unwrap();
        assert_eq!(expired.judge(450_000), Judgement::Closed(Expired));
    }
}
