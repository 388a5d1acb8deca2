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
}
