//! The webhook dispatcher: every endpoint has its own lane, so a slow, failing or dead endpoint
//! only ever delays its own deliveries.
//!
//! Deliveries come from this process's commits (the hand-off) and from claims (retries, and
//! what other processes created); each goes to its endpoint's lane. A lane sends while it holds
//! a free slot of its endpoint's limit (`flow.rs`: adaptive, shared by every process on the
//! database), each send its own task. Attempts are recorded in batches by a recorder task, so no
//! send waits for another. A delivery that cannot get a slot soon goes back to the database,
//! due: held back is not an attempt, and its retry delay does not grow.
//!
//! Claims take a lease instead of holding a transaction across HTTP calls: a process that dies
//! leaves its deliveries to be picked up when the lease ends (at least once). On PostgreSQL
//! concurrent dispatchers skip each other's rows, so without crashes each event reaches each
//! endpoint once.

use crate::dispatch::DELIVERY_TIMEOUT;
use crate::error::EngineError;
use crate::flow::{self, Observed, Signal, DEFAULT_MAX_CONCURRENCY, INITIAL_LIMIT};
use crate::handoff::Queued;
use crate::Engine;
use kumbu_core::Timestamp;
use kumbu_store::{AttemptResult, ClaimCaps, DueDelivery, NextStep, PermitRow};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Requests one process keeps in flight in all, per dispatcher task (`--dispatch-tasks`).
pub(crate) const IN_FLIGHT_PER_TASK: usize = 64;
/// How often a busy lane reports what it saw and renews its slots.
const RENEW_EVERY: Duration = Duration::from_secs(1);
/// How long slots are held without renewal (a dead process's come back after this).
const PERMIT_LEASE: Duration = Duration::from_secs(20);
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
/// Shortest gap between two claims while they keep finding work.
const CLAIM_GAP: Duration = Duration::from_millis(5);
/// Longest gap between two discoveries of due deliveries for endpoints without a lane.
const MAX_DISCOVERY_GAP: Duration = Duration::from_secs(1);
/// Most attempts recorded in one transaction.
const RECORD_BATCH: usize = 512;
/// How often the dispatcher hands stale deliveries back and renews slots (at once when a lane
/// has deliveries and no slots).
const TEND_EVERY: Duration = Duration::from_millis(50);
/// How often the per-endpoint gauges are refreshed, and the database backlog (a count over
/// the due rows).
const GAUGES_EVERY: Duration = Duration::from_secs(1);
const BACKLOG_EVERY: Duration = Duration::from_secs(5);

/// The quickest answer of the last minute or two: what "quick" is measured against.
#[derive(Debug, Default)]
struct Fastest {
    current: Option<Duration>,
    previous: Option<Duration>,
    since: Option<Instant>,
}

impl Fastest {
    fn note(&mut self, latency: Duration) {
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
    fn is_quick(&self, latency: Duration) -> bool {
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
struct Lane {
    queue: VecDeque<Queued>,
    in_flight: u32,
    /// Slots this process holds, and until when.
    granted: u32,
    grant_until: Option<Timestamp>,
    /// The shared limit when last granted, and the endpoint's `max_concurrency`.
    limit: u32,
    max: u32,
    /// Lowered at once by an overload, until the shared limit takes it in.
    local_cap: u32,
    seen: Observed,
    last_report: Option<Instant>,
    idle_since: Option<Instant>,
    fastest: Fastest,
    label: String,
}

impl Lane {
    fn new(max: u32, label: String) -> Self {
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

    fn cap(&self) -> u32 {
        self.granted.min(self.local_cap)
    }

    fn holds_slots(&self, now: Timestamp) -> bool {
        self.grant_until
            .is_some_and(|u| now.plus(PERMIT_MARGIN) <= u)
    }

    fn can_send(&self, now: Timestamp) -> bool {
        self.in_flight < self.cap() && self.holds_slots(now)
    }

    fn busy(&self) -> bool {
        !self.queue.is_empty() || self.in_flight > 0
    }

    fn buffer(&self) -> usize {
        MIN_BUFFER.max(BUFFER_PER_SLOT * self.limit as usize)
    }

    /// How many more deliveries the lane takes in.
    fn room(&self) -> usize {
        self.buffer()
            .saturating_sub(self.queue.len() + self.in_flight as usize)
    }

    /// How many a claim should fetch for it: none until half its buffer is free (so claims
    /// come in worthwhile batches).
    fn claim_room(&self) -> usize {
        let room = self.room();
        if room * 2 >= self.buffer() {
            room
        } else {
            0
        }
    }

    /// Slots it asks for: a busy lane would use all the limit allows (fair shares between
    /// processes are the grant's business); an idle one none.
    fn wants(&self) -> u32 {
        if self.busy() {
            self.max
        } else {
            0
        }
    }

    fn needs_report(&self, now: Timestamp) -> bool {
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
pub(crate) struct Ticket {
    endpoint_id: String,
    /// Whether it took a slot (a delivery that makes no request takes none).
    slot: bool,
    started: Instant,
    /// Requests in flight to the endpoint when it started (itself included), and the cap then.
    concurrency: u32,
    cap: u32,
}

/// What a lane reports to the shared limit, and what it asks for.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    endpoint_id: String,
    want: u32,
    in_flight: u32,
    /// Slots it may use until the answer comes: recorded as held whatever is granted.
    holding: u32,
    max: u32,
    seen: Observed,
}

/// What a report got back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grant {
    permits: u32,
    limit: u32,
    max: u32,
    until: Timestamp,
}

/// Database work that tending the lanes needs.
#[derive(Debug, Default)]
pub(crate) struct Tending {
    back: Vec<(i64, Timestamp)>,
    reports: Vec<Report>,
    idle: Vec<String>,
}

/// Database work of the dispatcher, done beside its sends.
enum Job {
    Claimed {
        result: Result<Vec<DueDelivery>, EngineError>,
        until: Timestamp,
        /// When a discovery began (it sets the next one's time).
        discovery: Option<Instant>,
    },
    Tended(Vec<(Report, Result<Grant, EngineError>)>),
}

/// The lanes of one dispatcher.
#[derive(Debug, Default)]
pub(crate) struct Lanes {
    lanes: HashMap<String, Lane>,
    /// Endpoints that have a `/metrics` label of their own.
    labelled: HashMap<String, String>,
    in_flight: usize,
    queued: usize,
    /// Labels the backlog gauge was last set for (zeroed once their backlog is gone).
    backlog_labels: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Lanes {
    /// The `/metrics` label of an endpoint: its id for the first [`LABELLED`] seen, else `other`.
    fn label(&mut self, endpoint_id: &str) -> String {
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
    fn admit(
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
    fn caps(&self, discover: bool) -> ClaimCaps {
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
    fn stale(&mut self, now: Timestamp) -> Vec<(i64, Timestamp)> {
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
    fn admit_claimed(
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
    /// reports due, and the lanes idle long enough (dropped now).
    fn tending(&mut self, now: Timestamp, mut back: Vec<(i64, Timestamp)>) -> Tending {
        back.extend(self.stale(now));
        Tending {
            back,
            reports: self.reports(now, false),
            idle: self.take_idle(),
        }
    }

    /// The last tending before the lanes go (end of a pass, shutdown): every observation not
    /// yet reported is reported now.
    fn last_tending(&mut self, now: Timestamp, mut back: Vec<(i64, Timestamp)>) -> Tending {
        back.extend(self.stale(now));
        Tending {
            back,
            reports: self.reports(now, true),
            idle: Vec::new(),
        }
    }

    /// What the database granted.
    fn tended(&mut self, grants: Vec<(Report, Result<Grant, EngineError>)>) {
        for (r, g) in grants {
            match g {
                Ok(g) => self.granted(&r.endpoint_id, g),
                Err(_) => self.report_failed(r),
            }
        }
    }

    /// Whether tending has anything to do: deliveries to hand back (or stale ones), a report
    /// due, or an idle lane.
    fn tend_due(&self, now: Timestamp, handing_back: bool) -> bool {
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
    fn claimable(&self) -> bool {
        self.lanes.values().any(|l| l.claim_room() > 0)
    }

    fn backlog_labels(&self) -> BacklogLabels {
        BacklogLabels {
            named: self.labelled.clone(),
            last: self.backlog_labels.clone(),
        }
    }

    /// Whether a lane has deliveries waiting and no slots to send them with (or a report due
    /// that would grow its limit).
    fn waiting_for_slots(&self, now: Timestamp) -> bool {
        self.lanes
            .values()
            .any(|l| !l.queue.is_empty() && (!l.holds_slots(now) || l.last_report.is_none()))
    }

    /// The reports due (what each busy lane saw since its last one).
    fn reports(&mut self, now: Timestamp, all_seen: bool) -> Vec<Report> {
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

    fn granted(&mut self, endpoint_id: &str, g: Grant) {
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
    fn report_failed(&mut self, r: Report) {
        if let Some(l) = self.lanes.get_mut(&r.endpoint_id) {
            l.seen.quick += r.seen.quick;
            if let Some(at) = r.seen.overloaded_at {
                l.seen.overload(at);
            }
        }
    }

    /// Deliveries to send now, each with its ticket: round the lanes that hold a free slot,
    /// within `total` requests in flight.
    fn next_sends(&mut self, now: Timestamp, total: usize) -> Vec<(DueDelivery, Ticket)> {
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
    fn abandon(&mut self, t: &Ticket) {
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
    fn finish(&mut self, t: &Ticket, signal: Signal, result: &AttemptResult) {
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
    fn take_idle(&mut self) -> Vec<String> {
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
    fn drain(&mut self) -> Vec<(i64, Timestamp)> {
        self.queued = 0;
        self.lanes
            .values_mut()
            .flat_map(|l| l.queue.drain(..))
            .map(|q| (q.delivery.seq, q.until))
            .collect()
    }

    fn endpoints(&self) -> Vec<String> {
        self.lanes.keys().cloned().collect()
    }

    /// Publishes the per-endpoint gauges (lanes sharing the `other` label are summed).
    fn publish(&self) {
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

fn set_gauges(label: &str, in_flight: u32, queued: usize, limit: u32) {
    let l = label.to_owned();
    metrics::gauge!("kumbu_webhook_endpoint_in_flight", "endpoint" => l.clone())
        .set(f64::from(in_flight));
    metrics::gauge!("kumbu_webhook_endpoint_queued", "endpoint" => l.clone()).set(queued as f64);
    metrics::gauge!("kumbu_webhook_endpoint_limit", "endpoint" => l).set(f64::from(limit));
}

impl Engine {
    /// Reports what a lane saw to its endpoint's shared limit and renews its slots, under the
    /// endpoint's row lock (so processes decide one at a time).
    async fn renew_slots(&self, r: &Report, now: Timestamp) -> Result<Grant, EngineError> {
        let mut tx = self.store().begin().await?;
        let (flow_row, max) = tx
            .lock_endpoint_flow(&r.endpoint_id, &flow::initial_flow(r.max), now)
            .await?;
        let max = max
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(DEFAULT_MAX_CONCURRENCY)
            .max(1);
        let next = flow::next_flow(flow_row, r.seen, max, now);
        if next != flow_row {
            tx.save_endpoint_flow(&r.endpoint_id, &next, now).await?;
        }
        let holders = tx.endpoint_permits(&r.endpoint_id).await?;
        let limit = u32::try_from(next.limit).unwrap_or(1).max(1);
        let want = r.want.min(max);
        let permits = flow::grant(limit, &self.inner.holder, want, &holders, now);
        let until = now.plus(PERMIT_LEASE);
        tx.put_permit(
            &r.endpoint_id,
            &PermitRow {
                holder: self.inner.holder.clone(),
                permits: i64::from(permits.max(r.holding)),
                in_flight: i64::from(r.in_flight),
                wanted: i64::from(want),
                until,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Grant {
            permits,
            limit,
            max,
            until,
        })
    }

    /// Claims due deliveries for the lanes (`caps`), leased until `until`.
    async fn claim(
        self,
        caps: ClaimCaps,
        limit: usize,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<DueDelivery>, EngineError> {
        Ok(self
            .store()
            .claim_deliveries(now, until, u32::try_from(limit).unwrap_or(u32::MAX), &caps)
            .await?)
    }

    /// The database side of tending the lanes: stale deliveries handed back, reports made and
    /// slots renewed, idle lanes' slots given back. Failures are logged (and the reports
    /// returned with them, to count next time).
    async fn tend(
        self,
        work: Tending,
        now: Timestamp,
    ) -> Vec<(Report, Result<Grant, EngineError>)> {
        if !work.back.is_empty() {
            metrics::counter!("kumbu_webhook_held_back_total").increment(work.back.len() as u64);
            if let Err(e) = self.store().release_deliveries(&work.back, now).await {
                tracing::warn!(error = %e, count = work.back.len(), "could not hand deliveries back; they are retried when their lease ends");
            }
        }
        let mut grants = Vec::with_capacity(work.reports.len());
        for r in work.reports {
            let g = self.renew_slots(&r, now).await;
            if let Err(e) = &g {
                tracing::warn!(endpoint = %r.endpoint_id, error = %e, "could not renew the endpoint's delivery slots");
            }
            grants.push((r, g));
        }
        if !work.idle.is_empty() {
            if let Err(e) = self
                .store()
                .release_permits(&self.inner.holder, Some(&work.idle))
                .await
            {
                tracing::warn!(error = %e, "could not give back idle endpoints' slots; they lapse on their own");
            }
        }
        grants
    }

    /// One dispatcher pass (tests, with a manual clock): takes the fresh deliveries and claims
    /// due ones, sends each as its endpoint's slots allow, waits for them, records the attempts;
    /// what got no slot goes back to the database, due. Returns how many were attempted.
    pub async fn run_dispatch_batch(&self) -> Result<usize, EngineError> {
        let now = self.now();
        let total = IN_FLIGHT_PER_TASK * self.config().dispatch_tasks.max(1);
        let mut lanes = Lanes::default();
        let mut direct = Vec::new();
        let mut back = lanes.admit(self.take_fresh(), false, &mut direct);
        let room = (self.config().dispatch_batch as usize).saturating_sub(lanes.queued);
        if room > 0 {
            let until = now.plus(self.config().delivery_lease);
            let claimed = self
                .clone()
                .claim(lanes.caps(true), room, now, until)
                .await?;
            let short = !crate::handoff_possible(self.config().delivery_lease);
            back.extend(lanes.admit_claimed(claimed, until, short, &mut direct));
        }
        let mut sends = Sends::default();
        let mut results = Vec::new();
        loop {
            let work = lanes.tending(now, std::mem::take(&mut back));
            let grants = self.clone().tend(work, now).await;
            lanes.tended(grants);
            start(self, &mut lanes, &mut sends, &mut direct, now, total);
            let Some(done) = sends.next().await else {
                break;
            };
            match done {
                Ok((ticket, result, signal)) => {
                    lanes.finish(&ticket, signal, &result);
                    results.push(result);
                }
                Err(ticket) => lanes.abandon(&ticket),
            }
        }
        self.record(&results).await?;
        let left = lanes.drain();
        let work = lanes.last_tending(now, left);
        lanes.tended(self.clone().tend(work, now).await);
        self.store()
            .release_permits(&self.inner.holder, Some(&lanes.endpoints()))
            .await?;
        Ok(results.len())
    }

    /// Runs passes until nothing is due (tests, with a manual clock).
    pub async fn run_dispatch_until_idle(&self) -> Result<usize, EngineError> {
        let mut total = 0;
        loop {
            let n = self.run_dispatch_batch().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    async fn send(
        self,
        d: DueDelivery,
        ticket: Ticket,
        now: Timestamp,
    ) -> (Ticket, AttemptResult, Signal) {
        let (result, signal) = self.attempt(d, now).await;
        (ticket, result, signal)
    }
}

/// Records attempts as they come, in batches, until the sender side closes.
async fn record_loop(engine: Engine, mut rx: mpsc::UnboundedReceiver<AttemptResult>) {
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < RECORD_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut wait = Duration::from_millis(100);
        for tries in 1.. {
            match engine.record(&batch).await {
                Ok(()) => break,
                // Unrecorded attempts are retried when their lease ends (at least once).
                Err(e) if tries >= 5 => {
                    tracing::error!(error = %e, count = batch.len(), "could not record delivery attempts; they will be made again");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "recording delivery attempts failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
        batch.clear();
    }
}

/// The dispatcher of a `serve` process: runs until `cancel`, then lets its sends finish, records
/// them, and hands back what it still held.
pub(crate) async fn run(engine: Engine, cancel: CancellationToken) {
    let config = engine.config().clone();
    let total = IN_FLIGHT_PER_TASK * config.dispatch_tasks.max(1);
    let tick = config.worker_interval.min(Duration::from_millis(250));
    let (tx, rx) = mpsc::unbounded_channel();
    let recorder = tokio::spawn(record_loop(engine.clone(), rx));
    let mut lanes = Lanes::default();
    let mut sends = Sends::default();
    let mut last_claim: Option<Instant> = None;
    let mut last_discovery: Option<(Instant, Duration)> = None;
    let mut claim_paused_until: Option<Instant> = None;
    let mut last_job_tended = false;
    let mut more_due = false;
    let mut last_gauges: Option<Instant> = None;
    let mut last_backlog: Option<Instant> = None;
    // One backlog count at a time (it scans the due rows).
    let backlog_running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut backoff = Duration::from_millis(200);
    let mut last_tend: Option<Instant> = None;
    let mut back = Vec::new();
    // One database job at a time, run beside the sends (never in their way).
    let mut jobs: JoinSet<Job> = JoinSet::new();
    while !cancel.is_cancelled() {
        let now = engine.now();
        let mut direct = Vec::new();
        back.extend(lanes.admit(engine.take_fresh(), false, &mut direct));
        start(&engine, &mut lanes, &mut sends, &mut direct, now, total);
        if jobs.is_empty() {
            // Room for claims counts sends only: what waits in lanes is bounded per lane (and
            // a slow endpoint's waiting deliveries must not stop claims for the others).
            let room = total.saturating_sub(lanes.in_flight);
            let paused = claim_paused_until.is_some_and(|t| Instant::now() < t);
            // Discovery (a scan of the due rows) every worker interval, stretched so that it
            // never takes more than a twentieth of the time; the lanes' own claims (index
            // ranges) as often as they find work.
            let discover = !paused
                && last_discovery.is_none_or(|(t, took): (Instant, Duration)| {
                    t.elapsed() >= config.worker_interval.max(took * 20).min(MAX_DISCOVERY_GAP)
                });
            let claim_due = !paused
                && (discover
                    || last_claim.is_none_or(|t| {
                        t.elapsed() >= config.worker_interval
                            || (more_due && t.elapsed() >= CLAIM_GAP)
                    }));
            let claim = room > 0 && claim_due && (discover || lanes.claimable());
            // Tending and claims take turns when both are due.
            let tend = (lanes.waiting_for_slots(now)
                || last_tend.is_none_or(|t| t.elapsed() >= TEND_EVERY))
                && lanes.tend_due(now, !back.is_empty())
                && !(claim && last_job_tended);
            if tend {
                last_tend = Some(Instant::now());
                last_job_tended = true;
                let work = lanes.tending(now, std::mem::take(&mut back));
                let e = engine.clone();
                jobs.spawn(async move { Job::Tended(e.tend(work, now).await) });
            } else if claim {
                last_job_tended = false;
                let began = Instant::now();
                last_claim = Some(began);
                let until = now.plus(config.delivery_lease);
                let limit = room.min(config.dispatch_batch as usize);
                let caps = lanes.caps(discover);
                let e = engine.clone();
                jobs.spawn(async move {
                    Job::Claimed {
                        result: e.claim(caps, limit, now, until).await,
                        until,
                        discovery: discover.then_some(began),
                    }
                });
            }
        }
        if last_gauges.is_none_or(|t| t.elapsed() >= GAUGES_EVERY) {
            lanes.publish();
            if last_backlog.is_none_or(|t| t.elapsed() >= BACKLOG_EVERY)
                && !backlog_running.swap(true, std::sync::atomic::Ordering::AcqRel)
            {
                last_backlog = Some(Instant::now());
                let (e, running) = (engine.clone(), backlog_running.clone());
                let labels = lanes.backlog_labels();
                tokio::spawn(async move {
                    publish_backlog(&e, labels, now).await;
                    running.store(false, std::sync::atomic::Ordering::Release);
                });
            }
            last_gauges = Some(Instant::now());
        }
        tokio::select! {
            Some(done) = sends.next(), if !sends.is_empty() => {
                finished(&mut lanes, &tx, done);
                while let Some(done) = sends.try_next() {
                    finished(&mut lanes, &tx, done);
                }
            }
            Some(job) = jobs.join_next(), if !jobs.is_empty() => match job {
                Ok(Job::Claimed { result: Ok(claimed), until, discovery }) => {
                    more_due = !claimed.is_empty();
                    backoff = Duration::from_millis(200);
                    if let Some(began) = discovery {
                        last_discovery = Some((began, began.elapsed()));
                    }
                    let mut direct = Vec::new();
                    let short = !crate::handoff_possible(config.delivery_lease);
            back.extend(lanes.admit_claimed(claimed, until, short, &mut direct));
                    start(&engine, &mut lanes, &mut sends, &mut direct, engine.now(), total);
                }
                Ok(Job::Claimed { result: Err(e), .. }) => {
                    tracing::warn!(error = %e, "claiming due deliveries failed; retrying");
                    claim_paused_until = Some(Instant::now() + backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
                Ok(Job::Tended(grants)) => {
                    lanes.tended(grants);
                    start(&engine, &mut lanes, &mut sends, &mut Vec::new(), engine.now(), total);
                }
                Err(e) => tracing::error!(error = %e, "a dispatcher job failed"),
            },
            () = engine.inner.deliveries_ready.notified() => {}
            () = tokio::time::sleep(tick) => {}
            () = cancel.cancelled() => {}
        }
    }
    while let Some(job) = jobs.join_next().await {
        match job {
            Ok(Job::Claimed {
                result: Ok(claimed),
                until,
                ..
            }) => {
                back.extend(claimed.into_iter().map(|d| (d.seq, until)));
            }
            Ok(Job::Tended(grants)) => lanes.tended(grants),
            Ok(Job::Claimed { result: Err(_), .. }) | Err(_) => {}
        }
    }
    back.extend(lanes.stale(engine.now()));
    // Stop: the sends in flight end within their timeout; record them, give the rest back.
    while let Some(done) = sends.next().await {
        finished(&mut lanes, &tx, done);
    }
    drop(tx);
    if let Err(e) = recorder.await {
        tracing::error!(error = %e, "the attempt recorder ended abnormally");
    }
    let mut left = lanes.drain();
    left.append(&mut back);
    let now = engine.now();
    // What it still held goes back, what it saw is reported, then every slot is given back.
    let work = lanes.last_tending(now, left);
    lanes.tended(engine.clone().tend(work, now).await);
    if let Err(e) = engine
        .store()
        .release_permits(&engine.inner.holder, None)
        .await
    {
        tracing::warn!(error = %e, "could not give back delivery slots; they lapse on their own");
    }
    lanes.publish();
}

/// Sends in flight, each with its ticket kept aside so that a task that dies still frees its
/// slot.
#[derive(Default)]
struct Sends {
    set: JoinSet<(Ticket, AttemptResult, Signal)>,
    tickets: HashMap<tokio::task::Id, Ticket>,
}

impl Sends {
    fn spawn(&mut self, engine: &Engine, d: DueDelivery, ticket: Ticket, now: Timestamp) {
        let kept = ticket.clone();
        let id = self.set.spawn(engine.clone().send(d, ticket, now)).id();
        self.tickets.insert(id, kept);
    }

    fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// What became of a finished task: its attempt, or (the task died) its ticket alone.
    fn done(
        &mut self,
        joined: Result<(tokio::task::Id, (Ticket, AttemptResult, Signal)), tokio::task::JoinError>,
    ) -> Result<(Ticket, AttemptResult, Signal), Ticket> {
        match joined {
            Ok((id, out)) => {
                self.tickets.remove(&id);
                Ok(out)
            }
            Err(e) => {
                tracing::error!(error = %e, "delivery task failed; its lease will expire and it will be retried");
                let ticket = self.tickets.remove(&e.id());
                Err(ticket.unwrap_or(Ticket {
                    endpoint_id: String::new(),
                    slot: false,
                    started: Instant::now(),
                    concurrency: 0,
                    cap: 0,
                }))
            }
        }
    }

    async fn next(&mut self) -> Option<Result<(Ticket, AttemptResult, Signal), Ticket>> {
        let joined = self.set.join_next_with_id().await?;
        Some(self.done(joined))
    }

    fn try_next(&mut self) -> Option<Result<(Ticket, AttemptResult, Signal), Ticket>> {
        let joined = self.set.try_join_next_with_id()?;
        Some(self.done(joined))
    }
}

/// Sends what needs no slot, and what the lanes' free slots allow.
fn start(
    engine: &Engine,
    lanes: &mut Lanes,
    sends: &mut Sends,
    direct: &mut Vec<DueDelivery>,
    now: Timestamp,
    total: usize,
) {
    for d in direct.drain(..) {
        let ticket = Ticket {
            endpoint_id: d.endpoint.id.clone(),
            slot: false,
            started: Instant::now(),
            concurrency: 0,
            cap: 0,
        };
        sends.spawn(engine, d, ticket, now);
    }
    for (d, ticket) in lanes.next_sends(now, total) {
        sends.spawn(engine, d, ticket, now);
    }
}

fn finished(
    lanes: &mut Lanes,
    tx: &mpsc::UnboundedSender<AttemptResult>,
    done: Result<(Ticket, AttemptResult, Signal), Ticket>,
) {
    match done {
        Ok((ticket, result, signal)) => {
            lanes.finish(&ticket, signal, &result);
            if tx.send(result).is_err() {
                tracing::error!("the attempt recorder stopped; this attempt will be made again");
            }
        }
        Err(ticket) => lanes.abandon(&ticket),
    }
}

/// The endpoints with the most deliveries due in the database (any process's), as gauges:
/// `labels` names endpoints as `/metrics` does (others are `other`), and lists the labels set
/// last time (zeroed if their backlog is gone).
async fn publish_backlog(engine: &Engine, labels: BacklogLabels, now: Timestamp) {
    match engine.store().endpoint_backlogs(now, 20).await {
        Ok(rows) => {
            let mut sums: HashMap<String, i64> = HashMap::new();
            for (id, n) in rows {
                let label = labels
                    .named
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| "other".to_owned());
                *sums.entry(label).or_default() += n;
            }
            let mut last = labels
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for gone in last.iter().filter(|l| !sums.contains_key(*l)) {
                metrics::gauge!("kumbu_webhook_endpoint_backlog", "endpoint" => gone.clone())
                    .set(0.0);
            }
            *last = sums.keys().cloned().collect();
            for (label, n) in sums {
                metrics::gauge!("kumbu_webhook_endpoint_backlog", "endpoint" => label)
                    .set(n as f64);
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not read the webhook backlog"),
    }
}

/// What [`publish_backlog`] needs of the lanes' labels.
struct BacklogLabels {
    named: HashMap<String, String>,
    last: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
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
