//! Per-endpoint flow control for webhooks: how many deliveries one endpoint may have in flight,
//! how that limit adapts to the endpoint, and how processes share it.
//!
//! The limit starts low and grows while the endpoint answers quickly with its slots in use
//! (doubling at first, like TCP's slow start; one at a time once it was ever overloaded). A
//! timeout, a failed or dropped connection, or a 429/502/503/504 brings it down at once to one
//! below the concurrency that overloaded the endpoint, and it stays at most there for a minute
//! before probing one higher. It never exceeds the endpoint's `max_concurrency`.
//!
//! Processes share the limit through slots (permits) granted under a row lock: the sum of the
//! slots every process holds never exceeds the limit, and a process that wants slots while
//! others hold them all gets its fair share as they renew. Slots are leased, so a dead process's
//! come back.

use kumbu_core::Timestamp;
use kumbu_store::{FlowRow, PermitRow};
use std::time::Duration;

/// An endpoint's `max_concurrency` unless it sets one.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 16;
/// The largest `max_concurrency` an endpoint may set.
pub const MAX_CONCURRENCY: u32 = 256;
/// Where the adaptive limit starts.
pub(crate) const INITIAL_LIMIT: u32 = 4;
/// How long the ceiling set by an overload holds before the limit may probe one higher.
pub(crate) const CEILING_HOLD: Duration = Duration::from_secs(60);

/// What one attempt says about the endpoint's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// An answer that is not an overload (2xx, or a refusal such as 400 or 500).
    Answered,
    /// A timeout, a failed or dropped connection, or 429, 502, 503 or 504.
    Overloaded,
    /// No request was made (the endpoint is disabled, the destination refused…).
    NotSent,
}

impl Signal {
    /// Classifies an HTTP status.
    pub(crate) fn of_status(status: u16) -> Self {
        match status {
            429 | 502 | 503 | 504 => Signal::Overloaded,
            _ => Signal::Answered,
        }
    }
}

/// What one process saw of an endpoint since it last reported.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Observed {
    /// Quick answers that came while the endpoint's slots were at least half in use.
    pub quick: u32,
    /// The lowest concurrency at which the endpoint was overloaded.
    pub overloaded_at: Option<u32>,
}

impl Observed {
    /// Notes an overload at `concurrency` requests in flight.
    pub(crate) fn overload(&mut self, concurrency: u32) {
        self.overloaded_at = Some(
            self.overloaded_at
                .map_or(concurrency, |c| c.min(concurrency)),
        );
    }
}

/// The shared limit where an endpoint starts.
pub(crate) fn initial_flow(max: u32) -> FlowRow {
    FlowRow {
        limit: i64::from(INITIAL_LIMIT.min(max).max(1)),
        ceiling: None,
        ceiling_until: None,
        congested: false,
    }
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// The shared limit after what a process observed.
pub(crate) fn next_flow(flow: FlowRow, seen: Observed, max: u32, now: Timestamp) -> FlowRow {
    let max = max.max(1);
    let mut limit = to_u32(flow.limit).clamp(1, max);
    let mut ceiling = flow.ceiling.map(to_u32);
    let mut until = flow.ceiling_until;
    let mut congested = flow.congested;
    // A ceiling that held long enough lets the limit probe one higher (and then goes).
    if let (Some(c), Some(u)) = (ceiling, until) {
        if now >= u {
            ceiling = (c + 1 < max).then_some(c + 1);
            until = ceiling.map(|_| now.plus(CEILING_HOLD));
        }
    }
    if let Some(at) = seen.overloaded_at {
        let cap = at.saturating_sub(1).max(1);
        ceiling = Some(ceiling.map_or(cap, |c| c.min(cap)));
        until = Some(now.plus(CEILING_HOLD));
        limit = limit.min(cap);
        congested = true;
    } else if seen.quick > 0 {
        let top = ceiling.map_or(max, |c| c.min(max));
        let grown = if congested {
            limit + seen.quick / limit
        } else {
            limit + seen.quick
        };
        limit = limit.max(grown.min(top));
    }
    FlowRow {
        limit: i64::from(limit.clamp(1, max)),
        ceiling: ceiling.map(i64::from),
        ceiling_until: until,
        congested,
    }
}

/// The slots a process gets: what it wants, within what the others leave of `limit`, and no
/// more than its fair share while others want some too. (It records at least its `in_flight`,
/// so the sum of what every process records never exceeds a limit it was granted under.)
pub(crate) fn grant(limit: u32, me: &str, want: u32, holders: &[PermitRow], now: Timestamp) -> u32 {
    let others: Vec<&PermitRow> = holders
        .iter()
        .filter(|p| p.holder != me && p.until >= now)
        .collect();
    let held: u32 = others
        .iter()
        .map(|p| to_u32(p.permits.max(p.in_flight)))
        .fold(0, u32::saturating_add);
    let wanting = 1 + u32::try_from(others.iter().filter(|p| p.wanted > 0).count()).unwrap_or(0);
    let share = if wanting > 1 {
        limit.div_ceil(wanting)
    } else {
        limit
    };
    want.min(limit.saturating_sub(held)).min(share)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_micros(s * 1_000_000)
    }

    fn quick(n: u32) -> Observed {
        Observed {
            quick: n,
            overloaded_at: None,
        }
    }

    fn overload(at: u32) -> Observed {
        Observed {
            quick: 0,
            overloaded_at: Some(at),
        }
    }

    #[test]
    fn grows_fast_until_an_overload_then_holds_below_it() {
        let mut f = initial_flow(16);
        assert_eq!(f.limit, 4);
        f = next_flow(f, quick(4), 16, t(0));
        assert_eq!(f.limit, 8, "slow start doubles per window");
        f = next_flow(f, quick(100), 16, t(1));
        assert_eq!(f.limit, 16, "never above max_concurrency");
        // Overloaded at 3 in flight: 2 is what the endpoint takes.
        f = next_flow(f, overload(3), 16, t(2));
        assert_eq!((f.limit, f.ceiling), (2, Some(2)));
        assert!(f.congested);
        f = next_flow(f, quick(50), 16, t(3));
        assert_eq!(f.limit, 2, "the ceiling holds");
        // A minute later it probes one higher, one at a time.
        f = next_flow(f, quick(2), 16, t(63));
        assert_eq!((f.limit, f.ceiling), (3, Some(3)));
        f = next_flow(f, overload(3), 16, t(64));
        assert_eq!(
            (f.limit, f.ceiling),
            (2, Some(2)),
            "the probe failed: back below it"
        );
    }

    #[test]
    fn a_dead_endpoint_gets_one_slot_and_recovers_one_at_a_time() {
        let mut f = initial_flow(16);
        f = next_flow(f, overload(1), 16, t(0));
        assert_eq!(f.limit, 1);
        f = next_flow(f, quick(5), 16, t(10));
        assert_eq!(f.limit, 1, "held for a minute");
        let mut now = 70;
        for _ in 0..40 {
            f = next_flow(f, quick(f.limit as u32), 16, t(now));
            now += 61;
        }
        assert_eq!(f.limit, 16);
        assert_eq!(f.ceiling, None, "the ceiling goes once it reaches the max");
    }

    #[test]
    fn no_growth_without_quick_answers_and_max_of_one() {
        let f = next_flow(initial_flow(16), Observed::default(), 16, t(0));
        assert_eq!(f.limit, 4);
        let f = next_flow(initial_flow(1), quick(10), 1, t(0));
        assert_eq!(f.limit, 1);
        let lowered = FlowRow { limit: 12, ..f };
        assert_eq!(
            next_flow(lowered, quick(0), 5, t(0)).limit,
            5,
            "a lowered max applies"
        );
    }

    fn held(holder: &str, permits: i64, in_flight: i64, wanted: i64, until: i64) -> PermitRow {
        PermitRow {
            holder: holder.to_owned(),
            permits,
            in_flight,
            wanted,
            until: t(until),
        }
    }

    #[test]
    fn slots_are_shared_and_never_exceed_the_limit() {
        assert_eq!(grant(8, "a", 20, &[], t(0)), 8);
        assert_eq!(grant(8, "a", 3, &[], t(0)), 3);
        // b holds everything: a gets nothing, but says it wants some.
        let b_all = [held("b", 8, 8, 8, 30)];
        assert_eq!(grant(8, "a", 8, &b_all, t(0)), 0);
        // b renews while a wants: b comes down to its share.
        let a_waits = [held("a", 0, 0, 8, 30), held("b", 8, 8, 8, 30)];
        assert_eq!(grant(8, "b", 8, &a_waits, t(1)), 4);
        // Then a gets what b no longer holds.
        let b_half = [held("b", 4, 4, 8, 30)];
        assert_eq!(grant(8, "a", 8, &b_half, t(2)), 4);
        // In-flight requests count even beyond the permits recorded.
        let b_busy = [held("b", 4, 6, 8, 30)];
        assert_eq!(grant(8, "a", 8, &b_busy, t(2)), 2);
        // Expired holders count for nothing; one's own row is not "others".
        let stale = [held("b", 8, 8, 8, 5), held("a", 8, 8, 8, 30)];
        assert_eq!(grant(8, "a", 8, &stale, t(6)), 8);
    }
}
