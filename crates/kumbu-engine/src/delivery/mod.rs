//! Webhook delivery: the dispatcher (`mod.rs`: claims, lanes per endpoint, sends, records), one
//! attempt (`attempt.rs`), how hard each endpoint is pushed (`flow.rs`, `health.rs`), the hand-off
//! of fresh deliveries to this process (`handoff.rs`), the policy (`policy.rs`), the HTTP clients
//! (`client.rs`) and the signatures (`signature.rs`). Endpoints themselves are `endpoints.rs`.
//!
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
//!
//! Over 500 lines: the dispatcher's loop and the database work it does between sends (claims,
//! slot renewals, recording) are one state machine; the lanes are `lanes.rs`, one send
//! `attempt.rs`.

mod attempt;
pub(crate) mod client;
pub(crate) mod flow;
pub(crate) mod handoff;
pub(crate) mod health;
mod lanes;
pub(crate) mod policy;
pub mod signature;

use self::flow::{Signal, DEFAULT_MAX_CONCURRENCY};
use self::lanes::{BacklogLabels, Grant, Lanes, Report, Tending, Ticket};
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::Timestamp;
use kumbu_store::{AttemptResult, ClaimCaps, DueDelivery, PermitRow};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Requests one process keeps in flight in all, per dispatcher task (`--dispatch-tasks`).
pub(crate) const IN_FLIGHT_PER_TASK: usize = 64;
/// How long slots are held without renewal (a dead process's come back after this).
const PERMIT_LEASE: Duration = Duration::from_secs(20);
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
            let work = lanes.tending(now, std::mem::take(&mut back), false);
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
        let work = lanes.tending(now, left, true);
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
                let work = lanes.tending(now, std::mem::take(&mut back), false);
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
    let work = lanes.tending(now, left, true);
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
                Err(ticket.unwrap_or_else(|| Ticket::unslotted(String::new())))
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
        let ticket = Ticket::unslotted(d.endpoint.id.clone());
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
