//! The hand-off of fresh deliveries: a transaction that publishes events, in a process that
//! dispatches, creates their deliveries leased to this process; once it commits, they go
//! straight to this process's dispatcher, with no claim query and no wait for a poll.
//!
//! The lease keeps every other dispatcher off them, exactly as a claim would. Nothing is sent
//! before the commit. A delivery left in the queue for too long is dropped before its lease
//! could run out mid-send (any dispatcher claims it when the lease ends), and on shutdown the
//! queue is released so the next process need not wait for the lease.

use crate::dispatch::DELIVERY_TIMEOUT;
use crate::Engine;
use kumbu_core::Timestamp;
use kumbu_store::{DueDelivery, StoreError, StoreTx};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most fresh deliveries queued; past it, new deliveries are created due for any dispatcher.
const MAX_QUEUED: usize = 8192;
/// A queued delivery is sent only if at least this much of its lease is left.
const LEASE_MARGIN: Duration = DELIVERY_TIMEOUT.saturating_add(Duration::from_secs(5));
/// Shorter leases leave no time to queue: every delivery then goes through a claim.
pub const MIN_HANDOFF_LEASE: Duration = Duration::from_secs(30);

/// Fresh deliveries waiting for this process's dispatcher.
#[derive(Debug, Default)]
pub(crate) struct Handoff {
    /// Whether this process dispatches (set while its dispatcher tasks run).
    open: AtomicBool,
    /// Each delivery with the end of its lease.
    queue: Mutex<VecDeque<(Timestamp, DueDelivery)>>,
    /// When a dispatcher of this process last claimed due deliveries from the database.
    last_claim: Mutex<Option<Instant>>,
}

impl Handoff {
    fn len(&self) -> usize {
        self.queue.lock().map_or(MAX_QUEUED, |q| q.len())
    }
}

impl Engine {
    /// Opens a store transaction; while this process dispatches and its queue is short, the
    /// deliveries it creates are leased to this process (see [`Engine::commit`]).
    pub(crate) async fn begin(&self) -> Result<StoreTx, StoreError> {
        let mut tx = self.store().begin().await?;
        let handoff = &self.inner.handoff;
        if handoff.open.load(Ordering::Relaxed)
            && self.config().delivery_lease >= MIN_HANDOFF_LEASE
            && handoff.len() < MAX_QUEUED
        {
            tx.lease_new_deliveries(self.now().plus(self.config().delivery_lease));
        }
        Ok(tx)
    }

    /// Commits `tx`; then queues the deliveries it created for this process's dispatcher and
    /// wakes it.
    pub(crate) async fn commit(&self, mut tx: StoreTx) -> Result<(), StoreError> {
        let fresh = tx.take_leased();
        let until = tx.lease();
        let published = tx.published();
        tx.commit().await?;
        if let (Some(until), false) = (until, fresh.is_empty()) {
            metrics::counter!("kumbu_webhook_handoffs_total").increment(fresh.len() as u64);
            if let Ok(mut q) = self.inner.handoff.queue.lock() {
                q.extend(fresh.into_iter().map(|d| (until, d)));
            }
        }
        if published {
            self.deliveries_ready();
        }
        Ok(())
    }

    /// Takes up to `n` queued deliveries whose lease leaves time to send them.
    pub(crate) fn take_fresh(&self, now: Timestamp, n: usize) -> Vec<DueDelivery> {
        let Ok(mut q) = self.inner.handoff.queue.lock() else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(n.min(q.len()));
        while out.len() < n {
            let Some((until, d)) = q.pop_front() else {
                break;
            };
            if now.plus(LEASE_MARGIN) < until {
                out.push(d);
            } else {
                tracing::debug!(
                    delivery = d.seq,
                    "fresh delivery waited too long; left for its lease to end"
                );
            }
        }
        out
    }

    /// Whether a worker interval has passed since the last database claim.
    pub(crate) fn claim_is_due(&self) -> bool {
        self.inner.handoff.last_claim.lock().map_or(true, |last| {
            last.is_none_or(|t| t.elapsed() >= self.config().worker_interval)
        })
    }

    /// Notes a database claim (see [`Engine::claim_is_due`]).
    pub(crate) fn note_claim(&self) {
        if let Ok(mut last) = self.inner.handoff.last_claim.lock() {
            *last = Some(Instant::now());
        }
    }

    /// Starts (or stops) leasing fresh deliveries to this process.
    pub(crate) fn open_handoff(&self, open: bool) {
        self.inner.handoff.open.store(open, Ordering::Relaxed);
    }

    /// Stops leasing, and makes every queued delivery due now for any dispatcher.
    pub(crate) async fn release_handoff(&self) {
        self.open_handoff(false);
        let seqs: Vec<i64> = match self.inner.handoff.queue.lock() {
            Ok(mut q) => q.drain(..).map(|(_, d)| d.seq).collect(),
            Err(_) => return,
        };
        if seqs.is_empty() {
            return;
        }
        if let Err(e) = self.store().release_deliveries(&seqs, self.now()).await {
            tracing::warn!(error = %e, count = seqs.len(), "could not release queued deliveries; they are retried when their lease ends");
        }
    }
}
