//! Fee schedules: a percentage in basis points plus a fixed part, clamped to a minimum and an
//! optional maximum. A fee is computed once, when a payment is created, and stored with it.

use serde::{Deserialize, Serialize};

/// How much Kumbu keeps from a payment on one rail. All amounts are in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSchedule {
    /// Percentage part, in basis points (100 = 1 %).
    pub percent_bps: u32,
    /// Fixed part added to the percentage, in minor units.
    #[serde(default)]
    pub fixed: i64,
    /// The fee is never below this.
    #[serde(default)]
    pub min: i64,
    /// The fee is never above this, when set.
    #[serde(default)]
    pub max: Option<i64>,
}

impl FeeSchedule {
    /// Why the schedule cannot be used, if it cannot: a negative part, a maximum below the
    /// minimum, or more than 100 %.
    pub fn problem(&self) -> Option<&'static str> {
        if self.min < 0 || self.fixed < 0 || self.max.is_some_and(|m| m < 0) {
            Some("a fee schedule's parts are never negative")
        } else if self.max.is_some_and(|m| m < self.min) {
            Some("the maximum fee is below the minimum")
        } else if self.percent_bps > 10_000 {
            Some("the percentage is over 100 % (10,000 basis points)")
        } else {
            None
        }
    }

    /// The fee for `amount` minor units: `round_half_up(amount × bps / 10 000) + fixed`, clamped
    /// to `[min, max]` and never more than the amount itself (so `net` is never negative).
    pub fn fee_for(&self, amount: i64) -> i64 {
        let pct = (i128::from(amount) * i128::from(self.percent_bps) + 5_000) / 10_000;
        let mut fee = i64::try_from(pct)
            .unwrap_or(i64::MAX)
            .saturating_add(self.fixed);
        fee = fee.max(self.min);
        if let Some(max) = self.max {
            fee = fee.min(max);
        }
        fee.clamp(0, amount.max(0))
    }
}

/// Which way the money a price applies to moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Payments collected from payers.
    Collect,
    /// Payouts sent from the merchant's balance.
    Payout,
}

impl Direction {
    /// Every direction.
    pub const ALL: [Direction; 2] = [Direction::Collect, Direction::Payout];

    /// Stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Collect => "collect",
            Direction::Payout => "payout",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Whether a refund gives the merchant back the fee of what it refunds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFee {
    /// The fee stays Kumbu's (the default: the payment was processed).
    #[default]
    Kept,
    /// The refunded share of the fee goes back to the merchant.
    Returned,
}

impl RefundFee {
    /// Stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundFee::Kept => "kept",
            RefundFee::Returned => "returned",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [RefundFee::Kept, RefundFee::Returned]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// The fee a refund of `refund` gives back, of a payment of `amount` that kept `fee` and had
    /// `refunded` refunded before: the refunded share of the fee, rounded so that refunds that add
    /// up to the whole payment give back exactly the whole fee.
    pub fn returned(self, fee: i64, amount: i64, refunded: i64, refund: i64) -> i64 {
        match self {
            RefundFee::Kept => 0,
            RefundFee::Returned if amount <= 0 => 0,
            RefundFee::Returned => {
                let share = |part: i64| -> i64 {
                    let v = (i128::from(fee) * i128::from(part) + i128::from(amount) / 2)
                        / i128::from(amount);
                    i64::try_from(v).unwrap_or(0)
                };
                (share(refunded + refund) - share(refunded)).clamp(0, fee)
            }
        }
    }
}

/// A merchant's price on one operator and direction: its schedule and, for collections, what a
/// refund does with the fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// The fee schedule.
    pub schedule: FeeSchedule,
    /// What a refund does with the fee (collections only).
    pub refund_fee: RefundFee,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentage_fixed_and_clamps() {
        let s = FeeSchedule {
            percent_bps: 200,
            fixed: 0,
            min: 0,
            max: None,
        };
        assert_eq!(s.fee_for(10_000), 200);
        let s = FeeSchedule {
            percent_bps: 50,
            fixed: 0,
            min: 0,
            max: None,
        };
        assert_eq!(s.fee_for(5_000), 25);
        assert_eq!(s.fee_for(101), 1); // 0.505 rounds half up
        let s = FeeSchedule {
            percent_bps: 100,
            fixed: 10,
            min: 25,
            max: Some(500),
        };
        assert_eq!(s.fee_for(100), 25);
        assert_eq!(s.fee_for(10_000_000), 500);
        let s = FeeSchedule {
            percent_bps: 0,
            fixed: 1_000,
            min: 0,
            max: None,
        };
        assert_eq!(s.fee_for(300), 300, "fee never exceeds the amount");
    }

    #[test]
    fn refunds_give_back_the_whole_fee_in_parts() {
        let r = RefundFee::Returned;
        // A 10,000 payment that kept 333: three refunds of 3,333, 3,333 and 3,334.
        let parts = [
            r.returned(333, 10_000, 0, 3_333),
            r.returned(333, 10_000, 3_333, 3_333),
            r.returned(333, 10_000, 6_666, 3_334),
        ];
        assert_eq!(parts.iter().sum::<i64>(), 333, "{parts:?}");
        assert_eq!(r.returned(200, 10_000, 0, 10_000), 200);
        assert_eq!(RefundFee::Kept.returned(200, 10_000, 0, 10_000), 0);
        assert_eq!(r.returned(0, 10_000, 0, 5_000), 0);
        for d in Direction::ALL {
            assert_eq!(Direction::parse(d.as_str()), Some(d));
        }
        assert_eq!(RefundFee::parse("returned"), Some(RefundFee::Returned));
    }
}
