//! What the Multicaixa network reports about a payment by reference, and how the sandbox makes
//! those details up plausibly.
//!
//! Multicaixa accounts in **periods**: one per day, from 19:00 UTC to 19:00 UTC the next day
//! (20:00 in Angola). A period has a 4-digit id (1000–9999, cycling every 9,000 days) and
//! numbers its transactions from 1 (8 digits);
//! ProxyPay's 12-digit payment id is `period_id × 10⁸ + transaction_id`.

use crate::clock::Timestamp;
use serde::{Deserialize, Serialize};

/// Transaction numbers within a period stay below this (8 digits).
pub const MAX_TRANSACTIONS: i64 = 100_000_000;
/// Seconds in a period.
const PERIOD_SECS: i64 = 86_400;
/// Periods start at 19:00 UTC.
const PERIOD_START_OFFSET_SECS: i64 = 19 * 3600;
/// Period ids count from this instant (2000-01-01T19:00:00Z), as 1000 + days modulo 9000, so
/// they always have 4 digits and payment ids 12.
const PERIOD_EPOCH_SECS: i64 = 946_753_200;

/// The kind of terminal a payment was made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TerminalType {
    /// Cash machine.
    #[serde(rename = "ATM")]
    Atm,
    /// Card terminal in a shop.
    #[serde(rename = "POS")]
    Pos,
    /// Internet banking.
    #[serde(rename = "IB")]
    Ib,
    /// Mobile banking.
    #[serde(rename = "MB")]
    Mb,
}

impl TerminalType {
    /// `ATM`, `POS`, `IB` or `MB`.
    pub const fn code(self) -> &'static str {
        match self {
            TerminalType::Atm => "ATM",
            TerminalType::Pos => "POS",
            TerminalType::Ib => "IB",
            TerminalType::Mb => "MB",
        }
    }

    /// Whether terminal period, transaction and location apply (ATM and POS only).
    pub const fn is_physical(self) -> bool {
        match self {
            TerminalType::Atm | TerminalType::Pos => true,
            TerminalType::Ib | TerminalType::Mb => false,
        }
    }
}

/// A Multicaixa accounting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// 1000 to 9999.
    pub id: i64,
    /// First instant.
    pub start: Timestamp,
    /// First instant of the next period.
    pub end: Timestamp,
}

impl Period {
    /// The period `at` falls in.
    pub fn containing(at: Timestamp) -> Self {
        let secs = at.unix_seconds();
        let index = (secs - PERIOD_START_OFFSET_SECS).div_euclid(PERIOD_SECS);
        let start = index * PERIOD_SECS + PERIOD_START_OFFSET_SECS;
        let since_epoch = (start - PERIOD_EPOCH_SECS).div_euclid(PERIOD_SECS);
        Self {
            id: since_epoch.rem_euclid(9000) + 1000,
            start: Timestamp::from_micros(start * 1_000_000),
            end: Timestamp::from_micros((start + PERIOD_SECS) * 1_000_000),
        }
    }
}

/// Details of a payment by reference, as the network reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankPayment {
    /// The reference paid.
    pub reference_id: u64,
    /// `period_id × 10⁸ + transaction_id` (12 digits).
    pub payment_id: i64,
    /// The merchant's 5-digit Multicaixa entity.
    pub entity_id: i64,
    /// Period id (4 digits).
    pub period_id: i64,
    /// Period start.
    pub period_start: Timestamp,
    /// Period end.
    pub period_end: Timestamp,
    /// Transaction number within the period (8 digits).
    pub transaction_id: i64,
    /// Where it was paid.
    pub terminal_type: TerminalType,
    /// Terminal id (up to 10 characters).
    pub terminal_id: Option<String>,
    /// Terminal location (up to 15 characters; ATM and POS only).
    pub terminal_location: Option<String>,
    /// Terminal period (3 digits; ATM and POS only).
    pub terminal_period_id: Option<i64>,
    /// Terminal transaction (5 digits; ATM and POS only).
    pub terminal_transaction_id: Option<i64>,
    /// Product chosen, for entities with several products.
    pub product_id: Option<i64>,
    /// Predefined amount chosen, for entities that use them.
    pub parameter_id: Option<i64>,
    /// When the payer paid.
    pub paid_at: Timestamp,
}

const LOCATIONS: [&str; 6] = [
    "LUANDA", "TALATONA", "VIANA", "BENGUELA", "HUAMBO", "LOBITO",
];

impl BankPayment {
    /// The sandbox's simulation of a payment of `reference_id` at `at`, transaction number
    /// `transaction_id` of its period: the terminal type cycles ATM, POS, IB, MB with the
    /// transaction number, and the terminal fields are derived from it.
    pub fn simulated(
        reference_id: u64,
        entity_id: i64,
        period: Period,
        transaction_id: i64,
        at: Timestamp,
    ) -> Self {
        let terminal_type = match transaction_id % 4 {
            1 => TerminalType::Atm,
            2 => TerminalType::Pos,
            3 => TerminalType::Ib,
            _ => TerminalType::Mb,
        };
        let mix = (transaction_id as u64).wrapping_mul(2_654_435_761) ^ reference_id;
        let physical = terminal_type.is_physical();
        Self {
            reference_id,
            payment_id: period.id * 100_000_000 + transaction_id,
            entity_id,
            period_id: period.id,
            period_start: period.start,
            period_end: period.end,
            transaction_id,
            terminal_type,
            terminal_id: Some(if physical {
                format!("{:06}", 500_000 + mix % 100_000)
            } else {
                format!("{:010}", mix % 10_000_000_000)
            }),
            terminal_location: physical
                .then(|| LOCATIONS[(mix % LOCATIONS.len() as u64) as usize].to_owned()),
            terminal_period_id: physical.then_some(period.id % 1000),
            terminal_transaction_id: physical.then_some((transaction_id % 100_000).max(1)),
            product_id: None,
            parameter_id: None,
            paid_at: at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_run_from_19_00_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-22T18:59:59Z").unwrap();
        let p = Period::containing(t);
        assert_eq!(p.start.to_rfc3339(), "2026-11-21T19:00:00.000Z");
        assert_eq!(p.end.to_rfc3339(), "2026-11-22T19:00:00.000Z");
        let next = Period::containing(p.end);
        assert_eq!(next.id, if p.id == 9999 { 1000 } else { p.id + 1 });
        assert!((1000..=9999).contains(&p.id));
        // Still 4 digits decades from now.
        let later = Period::containing(Timestamp::parse_rfc3339("2049-05-18T10:00:00Z").unwrap());
        assert!((1000..=9999).contains(&later.id));
    }

    #[test]
    fn simulated_details_fit_the_documented_widths() {
        let p = Period::containing(Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap());
        for t in 1..=8 {
            let b = BankPayment::simulated(904_800_000, 411, p, t, p.start);
            assert_eq!(b.payment_id / 100_000_000, p.id);
            assert!(b.payment_id < 1_000_000_000_000);
            assert!(b.terminal_id.as_ref().unwrap().len() <= 10);
            assert_eq!(b.terminal_location.is_some(), b.terminal_type.is_physical());
            assert!(b.terminal_location.as_ref().is_none_or(|l| l.len() <= 15));
        }
    }
}
