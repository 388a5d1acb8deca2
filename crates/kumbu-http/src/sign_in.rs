//! The throttle on sign-ins (Adullam's token requests): what a caller without the secret may
//! try, and how many tokens one with it may take.
//!
//! Only failures count towards the lock-out, per account *and* source address (an IPv6 source
//! by its /64): a stranger guessing at an account slows down only themselves, and the owner,
//! signing in from elsewhere, is never locked out. A source failing on many accounts is slowed
//! down too, at ten times the per-account limits. An attempt is counted before its secret is
//! looked up and forgiven once it succeeds, so concurrent guesses cannot outrun the count, and a
//! source past a limit is refused before its secret is looked up. Successes are limited apart,
//! per account, at ten times the failures' limits (each issues a stored token). Every table has a fixed size (see
//! [`crate::rate_limit`]): names of any length, in any number, hold the same memory.

use crate::rate_limit::{RateLimiter, Rule};
use std::time::{Duration, Instant};

/// How many times more failures a source may have over all accounts than on one, and tokens an
/// account may take than failures it may have.
const FACTOR: u32 = 10;

/// Failed sign-ins per account and source and per source, and tokens issued per account.
#[derive(Debug)]
pub struct SignInThrottle {
    by_account: RateLimiter,
    by_source: RateLimiter,
    issued: RateLimiter,
}

impl SignInThrottle {
    /// A throttle allowing `per_minute` and `per_hour` failures per account and source, ten
    /// times that per source, and ten times that in tokens per account (0: no limit).
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
            by_source: RateLimiter::new(rules(FACTOR)),
            issued: RateLimiter::new(rules(FACTOR)),
        }
    }

    /// An attempt by `source` to sign in as `account`, counted as a failure until it
    /// [succeeds](SignInAttempt::succeeded); `Err(retry_after)` when the source has failed too
    /// often on it (or anywhere), or the account has taken too many tokens.
    pub fn admit<'a>(
        &'a self,
        account: &'a str,
        source: Option<&'a str>,
        now: Instant,
    ) -> Result<SignInAttempt<'a>, Duration> {
        self.issued.peek(account, now)?;
        self.by_account.check(&(account, source), now)?;
        if let Some(s) = source {
            if let Err(wait) = self.by_source.check(s, now) {
                self.by_account.forgive(&(account, source));
                return Err(wait);
            }
        }
        Ok(SignInAttempt {
            throttle: self,
            account,
            source,
            counts: false,
        })
    }
}

/// A sign-in under way: a failure unless it [succeeds](Self::succeeded) or is
/// [let go](Drop) without an answer on the secret (the database unreachable, the client gone).
#[derive(Debug)]
pub struct SignInAttempt<'a> {
    throttle: &'a SignInThrottle,
    account: &'a str,
    source: Option<&'a str>,
    counts: bool,
}

impl SignInAttempt<'_> {
    /// The secret was wrong: the attempt stays counted.
    pub fn failed(mut self) {
        self.counts = true;
    }

    /// The secret was right: the attempt is forgiven, and a token counted for the account.
    pub fn succeeded(self, now: Instant) {
        let _ = self.throttle.issued.check(self.account, now);
    }
}

impl Drop for SignInAttempt<'_> {
    fn drop(&mut self) {
        if !self.counts {
            self.throttle
                .by_account
                .forgive(&(self.account, self.source));
            if let Some(s) = self.source {
                self.throttle.by_source.forgive(s);
            }
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
            t.admit("cli_owner", stranger, now).unwrap().failed();
        }
        assert_eq!(
            t.admit("cli_owner", stranger, now).unwrap_err(),
            Duration::from_secs(60)
        );
        assert!(t.admit("cli_owner", Some("198.51.100.9"), now).is_ok());
        assert!(t.admit("cli_other", stranger, now).is_ok());
        // Spraying many accounts from one source meets the per-source limit.
        for i in 0..30 {
            if let Ok(a) = t.admit(&format!("cli_{i}"), stranger, now) {
                a.failed();
            }
        }
        assert!(t.admit("cli_new", stranger, now).is_err());
        assert!(t.admit("cli_new", Some("198.51.100.9"), now).is_ok());
    }

    /// Attempts in flight count at once: concurrent guesses cannot outrun the limit.
    #[test]
    fn attempts_under_way_count() {
        let t = SignInThrottle::new(3, 100);
        let now = Instant::now();
        let held: Vec<_> = (0..3)
            .map(|_| t.admit("cli_owner", Some("203.0.113.7"), now).unwrap())
            .collect();
        assert!(t.admit("cli_owner", Some("203.0.113.7"), now).is_err());
        drop(held); // let go without an answer: forgiven
        assert!(t.admit("cli_owner", Some("203.0.113.7"), now).is_ok());
    }

    #[test]
    fn successes_are_forgiven_but_tokens_are_counted() {
        let t = SignInThrottle::new(2, 100);
        let now = Instant::now();
        for _ in 0..20 {
            t.admit("cli_owner", Some("198.51.100.9"), now)
                .unwrap()
                .succeeded(now);
        }
        // Twenty tokens a minute (ten times two): the next waits, from anywhere; none of them
        // counted as a failure.
        assert!(t.admit("cli_owner", Some("198.51.100.9"), now).is_err());
        assert!(t.admit("cli_other", Some("198.51.100.9"), now).is_ok());
    }
}
