//! The merchant's balance as an accountant reads it: one **balance transaction** for every
//! journal that changes what Kumbu owes the merchant (the `merchant_pending` and
//! `merchant_available` accounts together), numbered per merchant, mode and currency, each with
//! the balance after it. They are a projection of the ledger written in the journal's own
//! transaction, never a second truth: `kumbu ledger verify` checks that they add up to it.
//!
//! Signs are the merchant's: money in is positive, money out negative. A payment reads
//! `amount` (what the payer paid), `fee` (what Kumbu kept) and `net` (`amount - fee`, what the
//! balance moved); a refund or a payout moves `net = amount`, with no fee. A payment's net is
//! *pending* until the operator settles it, then *available* (`available_on`).
//! Reported money (payment records, bank reports) is never in the balance: it is held elsewhere.

use crate::clock::Timestamp;
use crate::ids::{reprefix, IdPrefix};
use crate::ledger::{Account, JournalKind, Posting};
use crate::mode::Mode;
use crate::money::Currency;
use serde::{Deserialize, Serialize};

/// What moved the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceType {
    /// A payment was collected (its net, pending until settled).
    Payment,
    /// A refund went back to the payer.
    Refund,
    /// A payout was sent from the balance.
    Payout,
    /// A payout failed: its amount came back.
    PayoutFailure,
    /// A correction of past postings (an `external` payment's postings moved out of the held
    /// accounts by migration 0013).
    Adjustment,
}

impl BalanceType {
    /// Every type, in the order a statement lists them.
    pub const ALL: [BalanceType; 5] = [
        BalanceType::Payment,
        BalanceType::Refund,
        BalanceType::Payout,
        BalanceType::PayoutFailure,
        BalanceType::Adjustment,
    ];

    /// Stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            BalanceType::Payment => "payment",
            BalanceType::Refund => "refund",
            BalanceType::Payout => "payout",
            BalanceType::PayoutFailure => "payout_failure",
            BalanceType::Adjustment => "adjustment",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The balance type of a journal kind, or `None` for one that never changes the balance
    /// (a settlement moves pending to available; a payout's sending empties money already out
    /// of the balance; reported money is not the balance's).
    pub const fn of_journal(kind: JournalKind) -> Option<Self> {
        match kind {
            JournalKind::PaymentDebited => Some(BalanceType::Payment),
            JournalKind::RefundSucceeded => Some(BalanceType::Refund),
            JournalKind::PayoutReserved => Some(BalanceType::Payout),
            JournalKind::PayoutReleased => Some(BalanceType::PayoutFailure),
            JournalKind::PaymentReclassified => Some(BalanceType::Adjustment),
            JournalKind::PaymentSettled
            | JournalKind::PayoutSucceeded
            | JournalKind::PaymentReported => None,
        }
    }
}

/// One movement of a merchant's balance, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceTransaction {
    /// `txn_…` (the journal's random part).
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Its currency.
    pub currency: Currency,
    /// Its place in the currency's balance: 1, 2, 3, … with no gap.
    pub number: i64,
    /// What moved the balance.
    pub kind: BalanceType,
    /// The payment, refund or payout that did.
    pub source_id: String,
    /// The payment a payment's or a refund's transaction belongs to.
    pub payment_id: Option<String>,
    /// Gross, signed for the merchant.
    pub amount: i64,
    /// What Kumbu kept.
    pub fee: i64,
    /// `amount - fee`: what the balance moved.
    pub net: i64,
    /// The currency's balance (pending and available) after it.
    pub balance_after: i64,
    /// When its net became available; `None` while pending.
    pub available_on: Option<Timestamp>,
    /// When it was posted.
    pub created_at: Timestamp,
}

/// A statement line: the movements of one type in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// What moved the balance.
    pub kind: BalanceType,
    /// How many movements.
    pub count: i64,
    /// Their gross.
    pub amount: i64,
    /// Their fees.
    pub fee: i64,
    /// Their net.
    pub net: i64,
}

/// How one journal moves the merchant's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    /// What moved it.
    pub kind: BalanceType,
    /// Gross, signed for the merchant: a payment's amount, a refund's or payout's (negative).
    pub amount: i64,
    /// What Kumbu kept of it (a payment's fee), 0 otherwise.
    pub fee: i64,
    /// What the balance moved: `amount - fee`.
    pub net: i64,
    /// Whether the net is available at once (all but a payment, available when settled).
    pub available_now: bool,
}

/// The movement a journal makes, if any: its net is minus the sum of its postings on the
/// merchant's two balance accounts (a credit to them is money owed to the merchant).
pub fn movement(kind: JournalKind, postings: &[Posting]) -> Option<Movement> {
    let kind_of = BalanceType::of_journal(kind)?;
    let sum_on = |accounts: &[Account]| -> i64 {
        postings
            .iter()
            .filter(|p| accounts.contains(&p.account))
            .map(|p| p.amount)
            .sum()
    };
    let net = -sum_on(&[Account::MerchantPending, Account::MerchantAvailable]);
    // What Kumbu kept of the movement (negative: a fee given back, by a refund or a failed
    // payout).
    let fee = -sum_on(&[Account::FeeRevenue]);
    (net != 0 || fee != 0).then_some(Movement {
        kind: kind_of,
        amount: net + fee,
        fee,
        net,
        available_now: kind_of != BalanceType::Payment,
    })
}

/// Whether a journal of `kind` makes its payment's balance transaction available (the operator
/// settled it).
pub const fn makes_available(kind: JournalKind) -> bool {
    matches!(kind, JournalKind::PaymentSettled)
}

/// The id of the balance transaction of journal `jrn_X`: `txn_X` (one per journal, so the id
/// is known without a lookup and a journal has at most one).
pub fn transaction_id(journal_id: &str) -> String {
    reprefix(journal_id, IdPrefix::Journal, IdPrefix::BalanceTransaction)
        .unwrap_or_else(|| format!("txn_{journal_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(account: Account, amount: i64) -> Posting {
        Posting { account, amount }
    }

    #[test]
    fn a_payment_moves_its_net_and_shows_its_fee() {
        let m = movement(
            JournalKind::PaymentDebited,
            &[
                p(Account::OperatorClearing, 10_000),
                p(Account::MerchantPending, -9_800),
                p(Account::FeeRevenue, -200),
            ],
        )
        .unwrap();
        assert_eq!((m.amount, m.fee, m.net), (10_000, 200, 9_800));
        assert_eq!(m.kind, BalanceType::Payment);
        assert!(!m.available_now);
    }

    #[test]
    fn money_out_is_negative_and_settling_moves_nothing() {
        let refund = movement(
            JournalKind::RefundSucceeded,
            &crate::ledger::refund_postings(3_000, 0),
        )
        .unwrap();
        assert_eq!((refund.amount, refund.fee, refund.net), (-3_000, 0, -3_000));
        let out = movement(
            JournalKind::PayoutReserved,
            &crate::ledger::payout_postings(JournalKind::PayoutReserved, 500, 0),
        )
        .unwrap();
        assert_eq!(out.net, -500);
        let back = movement(
            JournalKind::PayoutReleased,
            &crate::ledger::payout_postings(JournalKind::PayoutReleased, 500, 0),
        )
        .unwrap();
        assert_eq!((back.kind, back.net), (BalanceType::PayoutFailure, 500));
        let sent = crate::ledger::payout_postings(JournalKind::PayoutSucceeded, 500, 0);
        assert_eq!(movement(JournalKind::PayoutSucceeded, &sent), None);
        let settled = [
            p(Account::SettlementBank, 10_000),
            p(Account::OperatorClearing, -10_000),
            p(Account::MerchantPending, 9_800),
            p(Account::MerchantAvailable, -9_800),
        ];
        assert_eq!(movement(JournalKind::PaymentSettled, &settled), None);
        assert!(makes_available(JournalKind::PaymentSettled));
    }

    #[test]
    fn fees_given_back_are_negative() {
        let refund = movement(
            JournalKind::RefundSucceeded,
            &crate::ledger::refund_postings(10_000, 200),
        )
        .unwrap();
        assert_eq!(
            (refund.amount, refund.fee, refund.net),
            (-10_000, -200, -9_800)
        );
        let out = movement(
            JournalKind::PayoutReserved,
            &crate::ledger::payout_postings(JournalKind::PayoutReserved, 5_000, 100),
        )
        .unwrap();
        assert_eq!((out.amount, out.fee, out.net), (-5_000, 100, -5_100));
        let back = movement(
            JournalKind::PayoutReleased,
            &crate::ledger::payout_postings(JournalKind::PayoutReleased, 5_000, 100),
        )
        .unwrap();
        assert_eq!((back.amount, back.fee, back.net), (5_000, -100, 5_100));
    }

    #[test]
    fn ids_follow_the_journal() {
        assert_eq!(transaction_id("jrn_abc"), "txn_abc");
        for t in BalanceType::ALL {
            assert_eq!(BalanceType::parse(t.as_str()), Some(t));
        }
    }
}
