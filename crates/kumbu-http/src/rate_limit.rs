//! Per-caller request limits in fixed windows (e.g. 100 a minute and 1,000 an hour), answered
//! with 429 and `Retry-After` by the faces that document them.
//!
//! Counts live in this process's memory: with several processes behind a load balancer each
//! enforces the limit on the requests it sees.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A limit: at most `max` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Requests allowed in a window.
    pub max: u32,
    /// The window.
    pub window: Duration,
}

/// Counts per caller and rule.
#[derive(Debug)]
pub struct RateLimiter {
    rules: Vec<Rule>,
    /// caller → (window start, count) per rule.
    counts: Mutex<HashMap<String, Vec<(Instant, u32)>>>,
}

impl RateLimiter {
    /// A limiter enforcing every rule at once (rules with `max == 0` are ignored).
    pub fn new(rules: Vec<Rule>) -> Self {
        Self {
            rules: rules.into_iter().filter(|r| r.max > 0).collect(),
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request by `caller` at `now`; `Err(retry_after)` when a limit is reached (the
    /// request is then not counted).
    pub fn check(&self, caller: &str, now: Instant) -> Result<(), Duration> {
        if self.rules.is_empty() {
            return Ok(());
        }
        let Ok(mut counts) = self.counts.lock() else {
            return Ok(()); // a poisoned lock must not take the API down
        };
        if counts.len() > 100_000 {
            let longest = self
                .rules
                .iter()
                .map(|r| r.window)
                .max()
                .unwrap_or_default();
            counts.retain(|_, ws| {
                ws.iter()
                    .any(|(start, _)| now.duration_since(*start) < longest)
            });
        }
        let windows = counts
            .entry(caller.to_owned())
            .or_insert_with(|| vec![(now, 0); self.rules.len()]);
        let mut wait = Duration::ZERO;
        for (rule, (start, count)) in self.rules.iter().zip(windows.iter_mut()) {
            if now.duration_since(*start) >= rule.window {
                *start = now;
                *count = 0;
            }
            if *count >= rule.max {
                wait = wait.max(rule.window.saturating_sub(now.duration_since(*start)));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait.max(Duration::from_secs(1)));
        }
        for (_, count) in windows.iter_mut() {
            *count += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_holds_and_windows_reset() {
        let l = RateLimiter::new(vec![
            Rule {
                max: 3,
                window: Duration::from_secs(60),
            },
            Rule {
                max: 5,
                window: Duration::from_secs(3600),
            },
        ]);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check("a", t0).is_ok());
        }
        let wait = l.check("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(l.check("b", t0).is_ok(), "per caller");
        let t1 = t0 + Duration::from_secs(61);
        assert!(l.check("a", t1).is_ok());
        assert!(l.check("a", t1).is_ok());
        let wait = l.check("a", t1).unwrap_err();
        assert!(
            wait > Duration::from_secs(3000),
            "the hourly rule: {wait:?}"
        );
    }

    #[test]
    fn zero_means_unlimited() {
        let l = RateLimiter::new(vec![Rule {
            max: 0,
            window: Duration::from_secs(1),
        }]);
        for _ in 0..1000 {
            assert!(l.check("a", Instant::now()).is_ok());
        }
    }
}
