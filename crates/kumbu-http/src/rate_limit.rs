//! Per-caller request limits in fixed windows (e.g. 100 a minute and 1,000 an hour), answered
//! with 429 and `Retry-After` by the faces that document them.
//!
//! **Memory is bounded whatever callers send.** A limiter is one table allocated when it is made
//! ([`DEFAULT_CAPACITY`] counters of 24 bytes: 1.5 MiB) and never grown. A caller is known only
//! by a keyed hash of its name, so a 15 KiB client id costs 8 bytes, and the hash's key is drawn
//! at random per process, so nobody can aim names at one bucket. A check touches one bucket of
//! [`WAYS`] counters under that bucket's own lock, held for a few comparisons (never across an
//! `.await`, never over the table). When a bucket is full, a new caller takes the place of a
//! counter whose windows have all ended (nothing is lost) or else of the one with the fewest
//! requests counted: a flood of new names evicts its own kind, one request each, and not the
//! counter of a caller close to its limit.
//!
//! Why not `governor` (the usual crate): its keyed stores grow with every distinct key until
//! swept (`retain_recent`, O(n)); its quotas are checked one after the other, so a request
//! refused by the hourly quota would have spent the minute's; and it cannot ask whether a request
//! would pass without spending, which the sign-in throttle needs (only failures count, yet a
//! locked-out caller is refused before its secret is looked up).
//!
//! Counts live in this process's memory: with several processes behind a load balancer each
//! enforces the limit on the requests it sees (docs/security.md).

use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Counters per bucket.
pub const WAYS: usize = 8;
/// Counters in a limiter made by [`RateLimiter::new`].
pub const DEFAULT_CAPACITY: usize = 64 * 1024;
/// Windows a limiter counts at once (a minute and an hour, say).
const MAX_RULES: usize = 2;

/// A limit: at most `max` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Requests allowed in a window.
    pub max: u32,
    /// The window (whole seconds; at least one).
    pub window: Duration,
}

/// One window of one caller: when it began (seconds after the limiter was made) and how many
/// requests it has counted.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: u32,
    count: u32,
}

/// One caller's windows; `tag` is the hash of its name, 0 when the place is free.
#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    tag: u64,
    windows: [Window; MAX_RULES],
}

/// Counts per caller and rule, in a table of fixed size.
#[derive(Debug)]
pub struct RateLimiter {
    rules: Vec<Rule>,
    buckets: Box<[Mutex<[Counter; WAYS]>]>,
    hasher: RandomState,
    epoch: Instant,
}

impl RateLimiter {
    /// A limiter enforcing every rule at once (rules with `max == 0` are ignored), for up to
    /// [`DEFAULT_CAPACITY`] callers at a time.
    pub fn new(rules: Vec<Rule>) -> Self {
        Self::with_capacity(rules, DEFAULT_CAPACITY)
    }

    /// A limiter holding at most `capacity` counters (rounded up to whole buckets).
    ///
    /// # Panics
    /// With more than two rules that limit anything: a programming error.
    pub fn with_capacity(rules: Vec<Rule>, capacity: usize) -> Self {
        let rules: Vec<Rule> = rules.into_iter().filter(|r| r.max > 0).collect();
        assert!(rules.len() <= MAX_RULES, "at most {MAX_RULES} windows");
        let buckets = if rules.is_empty() {
            0
        } else {
            capacity.div_ceil(WAYS).max(1)
        };
        Self {
            rules,
            buckets: (0..buckets).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            epoch: Instant::now(),
        }
    }

    /// How many callers the table holds at most.
    pub fn capacity(&self) -> usize {
        self.buckets.len() * WAYS
    }

    /// Counts a request by `caller` at `now`; `Err(retry_after)` when a limit is reached (the
    /// request is then not counted).
    pub fn check<K: Hash + ?Sized>(&self, caller: &K, now: Instant) -> Result<(), Duration> {
        let Some((bucket, tag)) = self.place(caller) else {
            return Ok(());
        };
        let now = self.seconds(now);
        let mut counters = bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let i = match counters.iter().position(|c| c.tag == tag) {
            Some(i) => i,
            None => {
                let i = self.victim(&counters, now);
                counters[i] = Counter {
                    tag,
                    windows: [Window {
                        start: now,
                        count: 0,
                    }; MAX_RULES],
                };
                i
            }
        };
        let counter = &mut counters[i];
        for (rule, w) in self.rules.iter().zip(counter.windows.iter_mut()) {
            if ended(rule, w, now) {
                *w = Window {
                    start: now,
                    count: 0,
                };
            }
        }
        self.wait(counter, now).map(|()| {
            for w in counter.windows.iter_mut() {
                w.count = w.count.saturating_add(1);
            }
        })
    }

    /// Takes back one request `check` counted for `caller`: what turned out not to count, such
    /// as a sign-in that succeeded.
    pub fn forgive<K: Hash + ?Sized>(&self, caller: &K) {
        let Some((bucket, tag)) = self.place(caller) else {
            return;
        };
        let mut counters = bucket.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = counters.iter_mut().find(|c| c.tag == tag) {
            for w in c.windows.iter_mut() {
                w.count = w.count.saturating_sub(1);
            }
        }
    }

    /// Whether a request by `caller` at `now` would pass `check`, counting nothing.
    pub fn peek<K: Hash + ?Sized>(&self, caller: &K, now: Instant) -> Result<(), Duration> {
        let Some((bucket, tag)) = self.place(caller) else {
            return Ok(());
        };
        let now = self.seconds(now);
        let counters = bucket.lock().unwrap_or_else(PoisonError::into_inner);
        match counters.iter().find(|c| c.tag == tag) {
            Some(c) => self.wait(c, now),
            None => Ok(()),
        }
    }

    /// The bucket of `caller` and its tag (never 0); `None` when nothing is limited.
    fn place<K: Hash + ?Sized>(&self, caller: &K) -> Option<(&Mutex<[Counter; WAYS]>, u64)> {
        if self.buckets.is_empty() {
            return None;
        }
        let hash = self.hasher.hash_one(caller);
        // The high bits choose the bucket; the whole hash is the tag.
        let bucket = usize::try_from(hash >> 32).unwrap_or_default() % self.buckets.len();
        Some((&self.buckets[bucket], hash.max(1)))
    }

    fn seconds(&self, now: Instant) -> u32 {
        u32::try_from(now.saturating_duration_since(self.epoch).as_secs()).unwrap_or(u32::MAX)
    }

    /// How long until `counter` may count another request, when a limit is reached.
    fn wait(&self, counter: &Counter, now: u32) -> Result<(), Duration> {
        let wait = self
            .rules
            .iter()
            .zip(counter.windows.iter())
            .filter(|(rule, w)| !ended(rule, w, now) && w.count >= rule.max)
            .map(|(rule, w)| {
                rule.window
                    .as_secs()
                    .saturating_sub(u64::from(now.saturating_sub(w.start)))
            })
            .max();
        match wait {
            Some(secs) => Err(Duration::from_secs(secs.max(1))),
            None => Ok(()),
        }
    }

    /// The place a new caller takes: a free one, else one whose windows have all ended, else the
    /// one with the fewest requests in its fullest window.
    fn victim(&self, counters: &[Counter; WAYS], now: u32) -> usize {
        let idle = |c: &Counter| {
            self.rules
                .iter()
                .zip(c.windows.iter())
                .all(|(rule, w)| ended(rule, w, now))
        };
        counters
            .iter()
            .position(|c| c.tag == 0)
            .or_else(|| counters.iter().position(idle))
            .unwrap_or_else(|| {
                (0..WAYS)
                    .min_by_key(|&i| counters[i].windows.iter().map(|w| w.count).max())
                    .unwrap_or(0)
            })
    }
}

/// Whether `w` has ended at `now` under `rule`.
fn ended(rule: &Rule, w: &Window, now: u32) -> bool {
    u64::from(now.saturating_sub(w.start)) >= rule.window.as_secs().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute_and_hour(minute: u32, hour: u32) -> Vec<Rule> {
        vec![
            Rule {
                max: minute,
                window: Duration::from_secs(60),
            },
            Rule {
                max: hour,
                window: Duration::from_secs(3600),
            },
        ]
    }

    #[test]
    fn every_rule_holds_and_windows_reset() {
        let l = RateLimiter::new(minute_and_hour(3, 5));
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
        assert_eq!(l.capacity(), 0, "nothing to count, nothing allocated");
        for _ in 0..1000 {
            assert!(l.check("a", Instant::now()).is_ok());
        }
    }

    #[test]
    fn peeking_counts_nothing() {
        let l = RateLimiter::new(minute_and_hour(2, 100));
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(l.peek("a", t0).is_ok());
        }
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert_eq!(l.peek("a", t0), Err(Duration::from_secs(60)));
        assert!(l.peek("a", t0 + Duration::from_secs(60)).is_ok());
    }

    /// A million new names neither grow the table nor free a caller at its limit.
    #[test]
    fn a_flood_of_names_is_held_in_a_fixed_table() {
        let l = RateLimiter::with_capacity(minute_and_hour(3, 1000), 256);
        assert_eq!(l.capacity(), 256);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check("guesser", t0).is_ok());
        }
        assert!(l.check("guesser", t0).is_err());
        for i in 0..1_000_000u32 {
            assert!(l.check(&i, t0).is_ok());
        }
        assert_eq!(l.capacity(), 256);
        assert!(l.check("guesser", t0).is_err(), "still limited");
        // Once its windows end, anyone's place may be taken and nothing is lost.
        let later = t0 + Duration::from_secs(3600);
        assert!(l.check("guesser", later).is_ok());
    }

    #[test]
    fn forgiven_requests_do_not_count() {
        let l = RateLimiter::new(minute_and_hour(2, 100));
        let t0 = Instant::now();
        for _ in 0..10 {
            assert!(l.check("a", t0).is_ok());
            l.forgive("a");
        }
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_err());
    }

    #[test]
    fn any_hashable_caller() {
        let l = RateLimiter::new(minute_and_hour(1, 10));
        let t0 = Instant::now();
        assert!(l.check(&("client", "203.0.113.7"), t0).is_ok());
        assert!(l.check(&("client", "203.0.113.7"), t0).is_err());
        assert!(l.check(&("client", "198.51.100.9"), t0).is_ok());
    }
}
