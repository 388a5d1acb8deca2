//! The lanes of a dispatcher: one per endpoint, holding its waiting deliveries, its slots
//! (granted through the shared limit, see `flow.rs`) and what it saw of the endpoint.
//!
//! Over 600 lines: the lanes are one data structure with its invariants (slots, waiting,
//! backlog) and its unit tests.

use crate::delivery::flow::{Observed, Signal, DEFAULT_MAX_CONCURRENCY, INITIAL_LIMIT};
use crate::delivery::handoff::Queued;
use crate::delivery::policy::DELIVERY_TIMEOUT;
use crate::error::EngineError;
use kumbu_core::Timestamp;
use kumbu_store::{AttemptResult, ClaimCaps, DueDelivery, NextStep};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How often a busy lane reports what it saw and renews its slots.
const RENEW_EVERY: Duration = Duration::from_secs(1);
/// A send starts only while the slots are held at least this much longer: it ends before them.
const PERMIT_MARGIN: Duration = DELIVERY_TIMEOUT.saturating_add(Duration::from_secs(5));
/// A lane idle this long gives its slots back.
const IDLE_RELEASE: Duration = Duration::from_secs(2);
/// Deliveries a lane holds (waiting and in flight) per slot of its limit, and at least.
const BUFFER_PER_SLOT: usize = 8;
const MIN_BUFFER: usize = 64;
/// Most deliveries one lane keeps waiting, fresh ones included (past it they go back to the
/// database, due).
const MAX_LANE_QUEUE: usize = 4096;
/// Endpoints with a `/metrics` label of their own; the others are summed as `other`.
const LABELLED: usize = 100;

/// The quickest answer of the last minute or two: what "quick" is measured against.
#[derive(Debug, Default)]
pub(super) struct Fastest {
    pub(super) current: Option<Duration>,
    pub(super) previous: Option<Duration>,
    pub(super) since: Option<Instant>,
}

impl Fastest {
    pub(super) fn note(&mut self, latency: Duration) {
        if self
            .since
            .is_none_or(|s| s.elapsed() >= Duration::from_secs(60))
        {
            self.previous = self.current.take();
            self.since = Some(Instant::now());
        }
        self.current = Some(self.current.map_or(latency, |c| c.min(latency)));
    }

    /// Whether `latency` is quick for this endpoint: within twice its best, plus 50 ms.
    pub(super) fn is_quick(&self, latency: Duration) -> bool {
        let best = match (self.current, self.previous) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => latency,
        };
        latency <= best.saturating_mul(2) + Duration::from_millis(50)
    }
}

/// One endpoint's deliveries in this process.
#[derive(Debug)]
pub(super) struct Lane {
    pub(super) queue: VecDeque<Queued>,
    pub(super) in_flight: u32,
    /// Slots this process holds, and until when.
    pub(super) granted: u32,
    pub(super) grant_until: Option<Timestamp>,
    /// The shared limit when last granted, and the endpoint's `max_concurrency`.
    pub(super) limit: u32,
    pub(super) max: u32,
    /// Lowered at once by an overload, until the shared limit takes it in.
    pub(super) local_cap: u32,
    pub(super) seen: Observed,
    pub(super) last_report: Option<Instant>,
    pub(super) idle_since: Option<Instant>,
    pub(super) fastest: Fastest,
    pub(super) label: String,
}

impl Lane {
    pub(super) fn new(max: u32, label: String) -> Self {
        Self {
            queue: VecDeque::new(),
            in_flight: 0,
            granted: 0,
            grant_until: None,
            limit: INITIAL_LIMIT.min(max),
            max,
            local_cap: u32::MAX,
            seen: Observed::default(),
            last_report: None,
            idle_since: None,
            fastest: Fastest::default(),
            label,
        }
    }

    pub(super) fn cap(&self) -> u32 {
        self.granted.min(self.local_cap)
    }

    pub(super) fn holds_slots(&self, now: Timestamp) -> bool {
        self.grant_until
            .is_some_and(|u| now.plus(PERMIT_MARGIN) <= u)
    }

    pub(super) fn can_send(&self, now: Timestamp) -> bool {
        self.in_flight < self.cap() && self.holds_slots(now)
    }

    pub(super) fn busy(&self) -> bool {
        !self.queue.is_empty() || self.in_flight > 0
    }

    pub(super) fn buffer(&self) -> usize {
        MIN_BUFFER.max(BUFFER_PER_SLOT * self.limit as usize)
    }

    /// How many more deliveries the lane takes in.
    pub(super) fn room(&self) -> usize {
        self.buffer()
            .saturating_sub(self.queue.len() + self.in_flight as usize)
    }

    /// How many a claim should fetch for it: none until half its buffer is free (so claims
    /// come in worthwhile batches).
    pub(super) fn claim_room(&self) -> usize {
        let room = self.room();
        if room * 2 >= self.buffer() {
            room
        } else {
            0
        }
    }

    /// Slots it asks for: a busy lane would use all the limit allows (fair shares between
    /// processes are the grant's business); an idle one none.
    pub(super) fn wants(&self) -> u32 {
        if self.busy() {
            self.max
        } else {
            0
        }
    }

    pub(super) fn needs_report(&self, now: Timestamp) -> bool {
        // An idle lane still reports what it saw (a dead endpoint's last failures).
        if !self.busy() && self.seen == Observed::default() {
            return false;
        }
        let Some(last) = self.last_report else {
            return true;
        };
        let since = last.elapsed();
        since >= RENEW_EVERY
            || (!self.queue.is_empty()
                && !self.holds_slots(now)
                && since >= Duration::from_millis(20))
            || (self.seen.quick >= self.limit
                && self.limit < self.max
                && since >= Duration::from_millis(250))
            || (self.seen.overloaded_at.is_some() && since >= Duration::from_millis(100))
    }
}

/// A send in progress: what its lane needs back when it ends.
#[derive(Debug, Clone)]
pub(super) struct Ticket {
    pub(super) endpoint_id: String,
    /// Whether it took a slot (a delivery that makes no request takes none).
    pub(super) slot: bool,
    pub(super) started: Instant,
    /// Requests in flight to the endpoint when it started (itself included), and the cap then.
    pub(super) concurrency: u32,
    pub(super) cap: u32,
}

impl Ticket {
    /// The ticket of a delivery that makes no request, and so takes no slot.
    pub(super) fn unslotted(endpoint_id: String) -> Self {
        Self {
            endpoint_id,
            slot: false,
            started: Instant::now(),
            concurrency: 0,
            cap: 0,
        }
    }
}

/// What a lane reports to the shared limit, and what it asks for.
#[derive(Debug, Clone)]
pub(super) struct Report {
    pub(super) endpoint_id: String,
    pub(super) want: u32,
    pub(super) in_flight: u32,
    /// Slots it may use until the answer comes: recorded as held whatever is granted.
    pub(super) holding: u32,
    pub(super) max: u32,
    pub(super) seen: Observed,
}

/// What a report got back.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grant {
    pub(super) permits: u32,
    pub(super) limit: u32,
    pub(super) max: u32,
    pub(super) until: Timestamp,
}

/// Database work that tending the lanes needs.
#[derive(Debug, Default)]
pub(super) struct Tending {
    pub(super) back: Vec<(i64, Timestamp)>,
    pub(super) reports: Vec<Report>,
    pub(super) idle: Vec<String>,
}

/// The lanes of one dispatcher.
#[derive(Debug, Default)]
pub(super) struct Lanes {
    pub(super) lanes: HashMap<String, Lane>,
    /// Endpoints that have a `/metrics` label of their own.
    pub(super) labelled: HashMap<String, String>,
    pub(super) in_flight: usize,
    pub(super) queued: usize,
    /// Labels the backlog gauge was last set for (zeroed once their backlog is gone).
    pub(super) backlog_labels: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Lanes {
    /// The `/metrics` label of an endpoint: its id for the first [`LABELLED`] seen, else `other`.
    pub(super) fn label(&mut self, endpoint_id: &str) -> String {
        if let Some(l) = self.labelled.get(endpoint_id) {
            return l.clone();
        }
        if self.labelled.len() < LABELLED {
            self.labelled
                .insert(endpoint_id.to_owned(), endpoint_id.to_owned());
            return endpoint_id.to_owned();
        }
        "other".to_owned()
    }

    /// Takes deliveries in. Those whose endpoint makes no request go to `direct` (sent at once,
    /// without a slot). With `bounded` (claimed ones), those a lane has no room for are
    /// returned, to go back to the database; fresh ones from this process's commits always wait
    /// in their lane (at most 10 s, see `stale`), which is far cheaper than a round trip.
    pub(super) fn admit(
        &mut self,
        items: Vec<Queued>,
        bounded: bool,
        direct: &mut Vec<DueDelivery>,
    ) -> Vec<(i64, Timestamp)> {
        let mut back = Vec::new();
        for item in items {
            let endpoint = &item.delivery.endpoint;
            if endpoint.status != "enabled" {
                direct.push(item.delivery);
                continue;
            }
            let max = endpoint
                .max_concurrency
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(DEFAULT_MAX_CONCURRENCY)
                .max(1);
            let id = endpoint.id.clone();
            if !self.lanes.contains_key(&id) {
                let label = self.label(&id);
                self.lanes.insert(id.clone(), Lane::new(max, label));
            }
            let lane = self.lanes.get_mut(&id).expect("inserted above");
            if (bounded && lane.room() == 0) || lane.queue.len() >= MAX_LANE_QUEUE {
                back.push((item.delivery.seq, item.until));
                continue;
            }
            lane.idle_since = None;
            lane.queue.push_back(item);
            self.queued += 1;
        }
        back
    }

    /// How much each endpoint may still be claimed for, and (with `discover`) how much the others.
    pub(super) fn caps(&self, discover: bool) -> ClaimCaps {
        ClaimCaps {
            rooms: self
                .lanes
                .iter()
                .map(|(id, l)| {
                    (
                        id.clone(),
                        u32::try_from(l.claim_room()).unwrap_or(u32::MAX),
                    )
                })
                .collect(),
            default_room: u32::try_from(MIN_BUFFER).unwrap_or(64),
            discover,
        }
    }

    /// Deliveries that waited too long, or whose lease no longer covers a send, taken out to go
    /// back to the database.
    pub(super) fn stale(&mut self, now: Timestamp) -> Vec<(i64, Timestamp)> {
        let mut back = Vec::new();
        for lane in self.lanes.values_mut() {
            // Oldest first: the stale ones are at the front.
            while lane.queue.front().is_some_and(|q| !q.sendable(now)) {
                if let Some(q) = lane.queue.pop_front() {
                    back.push((q.delivery.seq, q.until));
                }
            }
        }
        self.queued -= back.len().min(self.queued);
        back
    }

    /// Claimed deliveries in (bounded by each lane's room); returns those to hand back.
    pub(super) fn admit_claimed(
        &mut self,
        claimed: Vec<DueDelivery>,
        until: Timestamp,
        short_lease: bool,
        direct: &mut Vec<DueDelivery>,
    ) -> Vec<(i64, Timestamp)> {
        let at = Instant::now();
        let items = claimed
            .into_iter()
            .map(|delivery| Queued {
                until,
                short_lease,
                at,
                delivery,
            })
            .collect();
        self.admit(items, true, direct)
    }

    /// What tending the lanes takes to the database: `back` and the stale deliveries, the
    /// reports due, and the lanes idle long enough (dropped now). The `last` tending before the
    /// lanes go (end of a pass, shutdown) reports every observation not yet reported, and drops
    /// nothing.
    pub(super) fn tending(
        &mut self,
        now: Timestamp,
        mut back: Vec<(i64, Timestamp)>,
        last: bool,
    ) -> Tending {
        back.extend(self.stale(now));
        Tending {
            back,
            reports: self.reports(now, last),
            idle: if last { Vec::new() } else { self.take_idle() },
        }
    }

    /// What the database granted.
    pub(super) fn tended(&mut self, grants: Vec<(Report, Result<Grant, EngineError>)>) {
        for (r, g) in grants {
            match g {
                Ok(g) => self.granted(&r.endpoint_id, g),
                Err(_) => self.report_failed(r),
            }
        }
    }

    /// Whether tending has anything to do: deliveries to hand back (or stale ones), a report
    /// due, or an idle lane.
    pub(super) fn tend_due(&self, now: Timestamp, handing_back: bool) -> bool {
        handing_back
            || self.lanes.values().any(|l| {
                l.needs_report(now)
                    || l.queue.front().is_some_and(|q| !q.sendable(now))
                    || (!l.busy()
                        && l.seen == Observed::default()
                        && l.idle_since.is_none_or(|t| t.elapsed() >= IDLE_RELEASE))
            })
    }

    /// Whether a claim would fetch anything for the lanes.
    pub(super) fn claimable(&self) -> bool {
        self.lanes.values().any(|l| l.claim_room() > 0)
    }

    pub(super) fn backlog_labels(&self) -> BacklogLabels {
        BacklogLabels {
            named: self.labelled.clone(),
            last: self.backlog_labels.clone(),
        }
    }

    /// Whether a lane has deliveries waiting and no slots to send them with (or a report due
    /// that would grow its limit).
    pub(super) fn waiting_for_slots(&self, now: Timestamp) -> bool {
        self.lanes
            .values()
            .any(|l| !l.queue.is_empty() && (!l.holds_slots(now) || l.last_report.is_none()))
    }

    /// The reports due (what each busy lane saw since its last one).
    pub(super) fn reports(&mut self, now: Timestamp, all_seen: bool) -> Vec<Report> {
        self.lanes
            .iter_mut()
            .filter(|(_, l)| l.needs_report(now) || (all_seen && l.seen != Observed::default()))
            .map(|(id, l)| {
                l.last_report = Some(Instant::now());
                Report {
                    endpoint_id: id.clone(),
                    want: l.wants(),
                    in_flight: l.in_flight,
                    // Until the new grant is in force the lane may still fill its current one.
                    holding: if l.holds_slots(now) {
                        l.in_flight.max(l.cap())
                    } else {
                        l.in_flight
                    },
                    max: l.max,
                    seen: std::mem::take(&mut l.seen),
                }
            })
            .collect()
    }

    pub(super) fn granted(&mut self, endpoint_id: &str, g: Grant) {
        if let Some(l) = self.lanes.get_mut(endpoint_id) {
            l.granted = g.permits;
            l.grant_until = Some(g.until);
            l.limit = g.limit;
            l.max = g.max;
            // An overload seen since the report stays in force until the next one.
            if l.seen.overloaded_at.is_none() {
                l.local_cap = u32::MAX;
            }
        }
    }

    /// A report that could not be made: what it saw counts next time.
    pub(super) fn report_failed(&mut self, r: Report) {
        if let Some(l) = self.lanes.get_mut(&r.endpoint_id) {
            l.seen.quick += r.seen.quick;
            if let Some(at) = r.seen.overloaded_at {
                l.seen.overload(at);
            }
        }
    }

    /// Deliveries to send now, each with its ticket: round the lanes that hold a free slot,
    /// within `total` requests in flight.
    pub(super) fn next_sends(
        &mut self,
        now: Timestamp,
        total: usize,
    ) -> Vec<(DueDelivery, Ticket)> {
        let mut out = Vec::new();
        loop {
            let before = out.len();
            for (id, lane) in &mut self.lanes {
                if self.in_flight >= total {
                    return out;
                }
                if !lane.can_send(now) {
                    continue;
                }
                let Some(q) = lane.queue.pop_front() else {
                    continue;
                };
                self.queued -= 1;
                if !q.sendable(now) {
                    // Left for `stale` next time round; rare (checked just before).
                    lane.queue.push_front(q);
                    self.queued += 1;
                    continue;
                }
                lane.in_flight += 1;
                self.in_flight += 1;
                out.push((
                    q.delivery,
                    Ticket {
                        endpoint_id: id.clone(),
                        slot: true,
                        started: Instant::now(),
                        concurrency: lane.in_flight,
                        cap: lane.cap(),
                    },
                ));
            }
            if out.len() == before {
                return out;
            }
        }
    }

    /// A send whose task died: frees its slot (its lease will bring the delivery back).
    pub(super) fn abandon(&mut self, t: &Ticket) {
        if !t.slot {
            return;
        }
        self.in_flight -= 1;
        if let Some(lane) = self.lanes.get_mut(&t.endpoint_id) {
            lane.in_flight -= 1;
            if !lane.busy() {
                lane.idle_since = Some(Instant::now());
            }
        }
    }

    /// A send ended: frees its slot and learns from it.
    pub(super) fn finish(&mut self, t: &Ticket, signal: Signal, result: &AttemptResult) {
        if !t.slot {
            return;
        }
        self.in_flight -= 1;
        let Some(lane) = self.lanes.get_mut(&t.endpoint_id) else {
            return;
        };
        lane.in_flight -= 1;
        if !lane.busy() {
            lane.idle_since = Some(Instant::now());
        }
        let latency = t.started.elapsed();
        match signal {
            Signal::Overloaded => {
                // At once, below the lowest concurrency that overloaded it (until the shared
                // limit takes this in at the next report).
                lane.local_cap = lane.local_cap.min(t.concurrency.saturating_sub(1).max(1));
                lane.seen.overload(t.concurrency);
            }
            Signal::Answered => {
                lane.fastest.note(latency);
                if lane.fastest.is_quick(latency) && t.concurrency * 2 >= t.cap {
                    lane.seen.quick += 1;
                }
            }
            Signal::NotSent => {}
        }
        let outcome = match result.next {
            NextStep::Delivered => "delivered",
            NextStep::RetryAt(_) => "retry",
            NextStep::GiveUp => "failed",
        };
        let label = lane.label.clone();
        metrics::counter!("kumbu_webhook_endpoint_attempts_total", "endpoint" => label.clone(), "outcome" => outcome)
            .increment(1);
        metrics::histogram!("kumbu_webhook_endpoint_latency_seconds", "endpoint" => label)
            .record(latency.as_secs_f64());
    }

    /// Lanes idle long enough: dropped, their endpoints returned so their slots are given back.
    pub(super) fn take_idle(&mut self) -> Vec<String> {
        let idle: Vec<String> = self
            .lanes
            .iter()
            .filter(|(_, l)| {
                !l.busy()
                    && l.seen == Observed::default()
                    && l.idle_since.is_none_or(|t| t.elapsed() >= IDLE_RELEASE)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &idle {
            if let Some(l) = self.lanes.remove(id) {
                if l.label != "other" {
                    set_gauges(&l.label, 0, 0, 0);
                }
            }
        }
        idle
    }

    /// Everything still waiting, to go back to the database.
    pub(super) fn drain(&mut self) -> Vec<(i64, Timestamp)> {
        self.queued = 0;
        self.lanes
            .values_mut()
            .flat_map(|l| l.queue.drain(..))
            .map(|q| (q.delivery.seq, q.until))
            .collect()
    }

    pub(super) fn endpoints(&self) -> Vec<String> {
        self.lanes.keys().cloned().collect()
    }

    /// Publishes the per-endpoint gauges (lanes sharing the `other` label are summed).
    pub(super) fn publish(&self) {
        let mut sums: HashMap<&str, (u32, usize, u32)> = HashMap::new();
        for l in self.lanes.values() {
            let s = sums.entry(l.label.as_str()).or_default();
            s.0 += l.in_flight;
            s.1 += l.queue.len();
            s.2 += l.cap().min(l.limit);
        }
        for (label, (in_flight, queued, limit)) in sums {
            set_gauges(label, in_flight, queued, limit);
        }
        metrics::gauge!("kumbu_webhook_in_flight").set(self.in_flight as f64);
    }
}

pub(super) fn set_gauges(label: &str, in_flight: u32, queued: usize, limit: u32) {
    let l = label.to_owned();
    metrics::gauge!("kumbu_webhook_endpoint_in_flight", "endpoint" => l.clone())
        .set(f64::from(in_flight));
    metrics::gauge!("kumbu_webhook_endpoint_queued", "endpoint" => l.clone()).set(queued as f64);
    metrics::gauge!("kumbu_webhook_endpoint_limit", "endpoint" => l).set(f64::from(limit));
}

/// What [`publish_backlog`] needs of the lanes' labels.
pub(super) struct BacklogLabels {
    pub(super) named: HashMap<String, String>,
    pub(super) last: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_is_relative_to_the_endpoints_best() {
        let mut f = Fastest::default();
        f.note(Duration::from_millis(9_000));
        assert!(
            f.is_quick(Duration::from_millis(9_100)),
            "a steady 9 s endpoint is quick for itself"
        );
        f.note(Duration::from_millis(10));
        assert!(f.is_quick(Duration::from_millis(60)));
        assert!(!f.is_quick(Duration::from_millis(200)));
    }
}
