//! The throttle on failed sign-ins (Adullam's token requests): what a caller without the secret
//! may try, and how often.
//!
//! Only failures count, and they count per account *and* source address (an IPv6 source by its
//! /64), so a stranger guessing at an account slows down only themselves: the owner, signing in
//! from elsewhere, is never locked out. A source failing on many accounts is slowed down too, at
//! ten times the per-account limits. A source past a limit is refused before its secret is looked
//! up. Both tables have a fixed size (see [`crate::rate_limit`]): names of any length, in any
//! number, hold the same memory.

use crate::rate_limit::{RateLimiter, Rule};
use std::time::{Duration, Instant};

/// How many times more failures a source may have over all accounts than on one.
const SOURCE_FACTOR: u32 = 10;

/// Failed sign-ins per account and source, and per source.
#[derive(Debug)]
pub struct SignInThrottle {
    by_account: RateLimiter,
    by_source: RateLimiter,
}

impl SignInThrottle {
    /// A throttle allowing `per_minute` and `per_hour` failures per account and source (0: no
    /// limit).
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        let rules = |factor: u32| {
            vec![
                Rule {
                    max: per_minute.saturating_mul(factor),
                    window: Duration::from_secs(60),
                },
                Rule {
                    max: per_hour.saturating_mul(factor),
                    window: Duration::from_secs(3600),
                },
            ]
        };
        Self {
            by_account: RateLimiter::new(rules(1)),
            by_source: RateLimiter::new(rules(SOURCE_FACTOR)),
        }
    }

    /// Whether `source` may try to sign in as `account` now; `Err(retry_after)` when it has
    /// failed too often. Counts nothing: only [`failed`](Self::failed) does.
    pub fn admit(&self, account: &str, source: Option<&str>, now: Instant) -> Result<(), Duration> {
        let per_account = self.by_account.peek(&(account, source), now);
        let per_source = match source {
            Some(s) => self.by_source.peek(s, now),
            None => Ok(()),
        };
        match (per_account, per_source) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(w), Ok(())) | (Ok(()), Err(w)) => Err(w),
        }
    }

    /// Counts a failed sign-in by `source` as `account`.
    pub fn failed(&self, account: &str, source: Option<&str>, now: Instant) {
        // Past the limit nothing more is counted: `admit` refuses already.
        let _ = self.by_account.check(&(account, source), now);
        if let Some(s) = source {
            let _ = self.by_source.check(s, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stranger_slows_down_only_themselves() {
        let t = SignInThrottle::new(3, 100);
        let now = Instant::now();
        let stranger = Some("203.0.113.7");
        for _ in 0..3 {
            assert!(t.admit("cli_owner", stranger, now).is_ok());
            t.failed("cli_owner", stranger, now);
        }
        assert_eq!(
            t.admit("cli_owner", stranger, now),
            Err(Duration::from_secs(60))
        );
        assert!(t.admit("cli_owner", Some("198.51.100.9"), now).is_ok());
        assert!(t.admit("cli_other", stranger, now).is_ok());
        // Spraying many accounts from one source meets the per-source limit.
        for i in 0..30 {
            t.failed(&format!("cli_{i}"), stranger, now);
        }
        assert!(t.admit("cli_new", stranger, now).is_err());
        assert!(t.admit("cli_new", Some("198.51.100.9"), now).is_ok());
    }

    #[test]
    fn admitting_counts_nothing() {
        let t = SignInThrottle::new(1, 10);
        let now = Instant::now();
        for _ in 0..100 {
            assert!(t.admit("cli_owner", Some("198.51.100.9"), now).is_ok());
        }
    }
}
