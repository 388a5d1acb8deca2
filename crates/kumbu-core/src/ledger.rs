//! Double-entry postings. Every money movement is a journal whose entries sum to zero per
//! currency; an entry's amount is signed (+ debit, − credit).
//!
//! Accounts are kept per merchant, mode and currency:
//!
//! | account              | kind      | meaning                                              |
//! |----------------------|-----------|------------------------------------------------------|
//! | `operator_clearing`  | asset     | owed to us by the operator after a debit             |
//! | `settlement_bank`    | asset     | received from the operator at settlement             |
//! | `merchant_pending`   | liability | owed to the merchant, not yet available              |
//! | `merchant_available` | liability | owed to the merchant, available                      |
//! | `fee_revenue`        | income    | Kumbu's fees                                          |
//! | `payouts_in_flight`  | liability | the merchant's money on its way out in a payout       |
//! | `reported_funds`     | memo asset | money a bank or the merchant holds, reported to Kumbu |
//! | `merchant_reported`  | memo liability | the merchant's reported money, held elsewhere     |
//!
//! **Held and reported money never mix.** The first six accounts are money Kumbu holds:
//! collected through a rail it operates (mobile money, Multicaixa references), and only they
//! fund refunds, payouts and settlements. A payment on the `external` rail (a merchant's payment
//! record, a payment a bank reported) never passed through Kumbu: its one journal,
//! `payment.reported`, moves `reported_funds` and `merchant_reported` only, so a record of any
//! amount can never be paid out. `kumbu ledger verify` checks the split.

use crate::payment::{Payment, PaymentStatus};
use serde::{Deserialize, Serialize};

/// A ledger account kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// Owed to us by the operator after a debit.
    OperatorClearing,
    /// Received from the operator at settlement.
    SettlementBank,
    /// Owed to the merchant, not yet available.
    MerchantPending,
    /// Owed to the merchant and available.
    MerchantAvailable,
    /// Kumbu's fee income.
    FeeRevenue,
    /// The merchant's money reserved for payouts under way.
    PayoutsInFlight,
    /// Money a bank or the merchant holds, reported to Kumbu (records, ingested bank payments).
    ReportedFunds,
    /// The merchant's reported money: held elsewhere, never paid out by Kumbu.
    MerchantReported,
}

impl Account {
    /// Every account kind.
    pub const ALL: [Account; 8] = [
        Account::OperatorClearing,
        Account::SettlementBank,
        Account::MerchantPending,
        Account::MerchantAvailable,
        Account::FeeRevenue,
        Account::PayoutsInFlight,
        Account::ReportedFunds,
        Account::MerchantReported,
    ];

    /// Whether the account is money Kumbu holds (or owes out of what it holds), as opposed to
    /// money reported from elsewhere.
    pub const fn is_held(self) -> bool {
        match self {
            Account::OperatorClearing
            | Account::SettlementBank
            | Account::MerchantPending
            | Account::MerchantAvailable
            | Account::FeeRevenue
            | Account::PayoutsInFlight => true,
            Account::ReportedFunds | Account::MerchantReported => false,
        }
    }

    /// Stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Account::OperatorClearing => "operator_clearing",
            Account::SettlementBank => "settlement_bank",
            Account::MerchantPending => "merchant_pending",
            Account::MerchantAvailable => "merchant_available",
            Account::FeeRevenue => "fee_revenue",
            Account::PayoutsInFlight => "payouts_in_flight",
            Account::ReportedFunds => "reported_funds",
            Account::MerchantReported => "merchant_reported",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Account::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One line of a journal: a signed amount on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// The account.
    pub account: Account,
    /// Signed amount in minor units: + debit, − credit.
    pub amount: i64,
}

/// A journal kind, named after the money movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalKind {
    /// The payer was debited: clearing up, merchant pending and fees credited.
    PaymentDebited,
    /// The operator settled: money moves from pending to available.
    PaymentSettled,
    /// A refund went back to the payer.
    RefundSucceeded,
    /// A payout was accepted: its amount leaves the available balance, held in flight.
    PayoutReserved,
    /// The payout reached the wallet: the money left the settlement bank.
    PayoutSucceeded,
    /// The payout failed: its amount is available again.
    PayoutReleased,
    /// Money that moved outside Kumbu was reported (an `external` payment became debited).
    PaymentReported,
    /// An `external` payment's postings to held accounts, made before held and reported money
    /// were kept apart, moved to the reported accounts (migration 0013, once per payment).
    PaymentReclassified,
}

impl JournalKind {
    /// Every kind.
    pub const ALL: [JournalKind; 8] = [
        JournalKind::PaymentDebited,
        JournalKind::PaymentSettled,
        JournalKind::RefundSucceeded,
        JournalKind::PayoutReserved,
        JournalKind::PayoutSucceeded,
        JournalKind::PayoutReleased,
        JournalKind::PaymentReported,
        JournalKind::PaymentReclassified,
    ];

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            JournalKind::PaymentDebited => "payment.debited",
            JournalKind::PaymentSettled => "payment.settled",
            JournalKind::RefundSucceeded => "refund.succeeded",
            JournalKind::PayoutReserved => "payout.reserved",
            JournalKind::PayoutSucceeded => "payout.succeeded",
            JournalKind::PayoutReleased => "payout.released",
            JournalKind::PaymentReported => "payment.reported",
            JournalKind::PaymentReclassified => "payment.reclassified",
        }
    }
}

/// The journal of a refund that succeeded: `amount` leaves the settlement bank back to the payer;
/// the merchant gives it back from its available balance, less `fee_returned`, the share of the
/// payment's fee that Kumbu gives back when the merchant's price says so (0 by default: the fee
/// is kept, so a full refund leaves the merchant owing it).
pub fn refund_postings(amount: i64, fee_returned: i64) -> Vec<Posting> {
    let lines = vec![
        Posting {
            account: Account::MerchantAvailable,
            amount: amount - fee_returned,
        },
        Posting {
            account: Account::FeeRevenue,
            amount: fee_returned,
        },
        Posting {
            account: Account::SettlementBank,
            amount: -amount,
        },
    ];
    lines.into_iter().filter(|p| p.amount != 0).collect()
}

/// The journal of a payout at each of its moves: reserved at creation (`amount` and its `fee`
/// leave the available balance: the amount held in flight, the fee Kumbu's), then either sent (in
/// flight → out of the settlement bank) or released (amount and fee back to available).
pub fn payout_postings(kind: JournalKind, amount: i64, fee: i64) -> Vec<Posting> {
    let p = |account, amount| Posting { account, amount };
    let lines = match kind {
        JournalKind::PayoutReserved => vec![
            p(Account::MerchantAvailable, amount + fee),
            p(Account::PayoutsInFlight, -amount),
            p(Account::FeeRevenue, -fee),
        ],
        JournalKind::PayoutSucceeded => vec![
            p(Account::PayoutsInFlight, amount),
            p(Account::SettlementBank, -amount),
        ],
        JournalKind::PayoutReleased => vec![
            p(Account::PayoutsInFlight, amount),
            p(Account::FeeRevenue, fee),
            p(Account::MerchantAvailable, -(amount + fee)),
        ],
        JournalKind::PaymentDebited
        | JournalKind::PaymentSettled
        | JournalKind::RefundSucceeded
        | JournalKind::PaymentReported
        | JournalKind::PaymentReclassified => return Vec::new(),
    };
    lines.into_iter().filter(|p| p.amount != 0).collect()
}

/// Every journal a transition `from → to` posts. A move that skips `debited` (an operator may
/// report `settled` straight after the prompt) posts the debit journal too, so the accounts end
/// the same whichever path the payment took.
pub fn journals_for(
    payment: &Payment,
    from: Option<PaymentStatus>,
    to: PaymentStatus,
) -> Vec<(JournalKind, Vec<Posting>)> {
    let was_debited = from.is_some_and(PaymentStatus::is_debited);
    let mut out = Vec::new();
    if to == PaymentStatus::Settled && !was_debited {
        out.extend(postings_for(payment, PaymentStatus::Debited));
    }
    out.extend(postings_for(payment, to));
    out
}

/// The journal that entering `to` posts, if it moves money. Entries with a zero amount are
/// left out (a zero fee posts nothing to fee revenue).
pub fn postings_for(payment: &Payment, to: PaymentStatus) -> Option<(JournalKind, Vec<Posting>)> {
    if !payment.operator.held_by_kumbu() {
        return reported_postings(payment, to);
    }
    let (kind, lines) = match to {
        PaymentStatus::Debited => (
            JournalKind::PaymentDebited,
            vec![
                Posting {
                    account: Account::OperatorClearing,
                    amount: payment.amount,
                },
                Posting {
                    account: Account::MerchantPending,
                    amount: -payment.net(),
                },
                Posting {
                    account: Account::FeeRevenue,
                    amount: -payment.fee,
                },
            ],
        ),
        PaymentStatus::Settled => (
            JournalKind::PaymentSettled,
            vec![
                Posting {
                    account: Account::SettlementBank,
                    amount: payment.amount,
                },
                Posting {
                    account: Account::OperatorClearing,
                    amount: -payment.amount,
                },
                Posting {
                    account: Account::MerchantPending,
                    amount: payment.net(),
                },
                Posting {
                    account: Account::MerchantAvailable,
                    amount: -payment.net(),
                },
            ],
        ),
        PaymentStatus::Created
        | PaymentStatus::OperatorPending
        | PaymentStatus::UserConfirming
        | PaymentStatus::Failed
        | PaymentStatus::Expired
        | PaymentStatus::Cancelled
        // Refunds post their own journal, one per refund: see [`refund_postings`].
        | PaymentStatus::PartiallyRefunded
        | PaymentStatus::Refunded => return None,
    };
    let lines: Vec<Posting> = lines.into_iter().filter(|p| p.amount != 0).collect();
    debug_assert_eq!(lines.iter().map(|p| p.amount).sum::<i64>(), 0);
    Some((kind, lines))
}

/// The journal of an `external` payment: reported once, when it becomes debited, in the
/// reported accounts only; nothing is charged on it (its rail's fee is 0, and overrides are
/// refused), and settling it moves nothing.
fn reported_postings(payment: &Payment, to: PaymentStatus) -> Option<(JournalKind, Vec<Posting>)> {
    match to {
        PaymentStatus::Debited => Some((
            JournalKind::PaymentReported,
            vec![
                Posting {
                    account: Account::ReportedFunds,
                    amount: payment.amount,
                },
                Posting {
                    account: Account::MerchantReported,
                    amount: -payment.amount,
                },
            ],
        )),
        PaymentStatus::Created
        | PaymentStatus::OperatorPending
        | PaymentStatus::UserConfirming
        | PaymentStatus::Settled
        | PaymentStatus::Failed
        | PaymentStatus::Expired
        | PaymentStatus::Cancelled
        | PaymentStatus::PartiallyRefunded
        | PaymentStatus::Refunded => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_journal_balances() {
        let p: Payment = serde_json::from_value(serde_json::json!({
            "id": "pay_x", "merchant_id": "mer_x", "mode": "test", "status": "user_confirming",
            "amount": 10_000, "fee": 200, "currency": "CVE", "operator": "cvmovel",
            "payer_phone": "+2389001234", "customer_name": null, "customer_email": null,
            "reference": null, "description": null, "metadata": {}, "operator_reference": null,
            "failure_code": null, "failure_message": null, "operator_code": null,
            "created_at": 0, "updated_at": 0, "expires_at": 0, "history": []
        }))
        .unwrap();
        for to in PaymentStatus::ALL {
            if let Some((_, lines)) = postings_for(&p, to) {
                assert_eq!(lines.iter().map(|l| l.amount).sum::<i64>(), 0, "{to:?}");
            }
        }
        let (_, debit) = postings_for(&p, PaymentStatus::Debited).unwrap();
        let skipped = journals_for(
            &p,
            Some(PaymentStatus::UserConfirming),
            PaymentStatus::Settled,
        );
        assert_eq!(skipped.len(), 2, "skipping debited still posts the debit");
        let normal = journals_for(&p, Some(PaymentStatus::Debited), PaymentStatus::Settled);
        assert_eq!(normal.len(), 1);
        assert!(debit.contains(&Posting {
            account: Account::MerchantPending,
            amount: -9_800
        }));
    }
}

#[cfg(test)]
mod split {
    use super::*;
    use crate::Operator;

    fn payment(operator: Operator) -> Payment {
        serde_json::from_value(serde_json::json!({
            "id": "pay_x", "merchant_id": "mer_x", "mode": "live", "status": "created",
            "amount": 9_000_000, "fee": 0, "currency": "XOF", "operator": operator,
            "payer_phone": null, "customer_name": null, "customer_email": null,
            "reference": null, "description": null, "metadata": {}, "operator_reference": null,
            "failure_code": null, "failure_message": null, "operator_code": null,
            "created_at": 0, "updated_at": 0, "expires_at": 0, "history": []
        }))
        .unwrap()
    }

    /// A record confirmed straight to settled touches no account Kumbu holds.
    #[test]
    fn reported_money_never_reaches_held_accounts() {
        let p = payment(Operator::External);
        let journals = journals_for(&p, Some(PaymentStatus::Created), PaymentStatus::Settled);
        assert_eq!(journals.len(), 1);
        assert_eq!(journals[0].0, JournalKind::PaymentReported);
        assert!(journals[0].1.iter().all(|l| !l.account.is_held()));
        assert_eq!(journals[0].1.iter().map(|l| l.amount).sum::<i64>(), 0);
        // A collected payment touches only held ones.
        let p = payment(Operator::OrangeCi);
        let journals = journals_for(
            &p,
            Some(PaymentStatus::UserConfirming),
            PaymentStatus::Settled,
        );
        assert!(journals
            .iter()
            .flat_map(|j| &j.1)
            .all(|l| l.account.is_held()));
    }
}
