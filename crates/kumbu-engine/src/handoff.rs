//! The hand-off of fresh deliveries: a transaction that publishes events, in a process that
//! dispatches, creates their deliveries leased to this process; once it commits, they go
//! straight to this process's dispatcher, with no claim query and no wait for a poll.
//!
//! The lease keeps every other dispatcher off them, exactly as a claim would. Nothing is sent
//! before the commit. A delivery left in the queue for too long is dropped before its lease
//! could run out mid-send (any dispatcher claims it when the lease ends), and on shutdown the
//! queue is released so the next process need not wait for the lease.

use crate::dispatch::{CONCURRENCY, DELIVERY_TIMEOUT};
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::Timestamp;
use kumbu_store::{DueDelivery, StoreError, StoreTx};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Most fresh deliveries queued; past it, new deliveries are created due for any dispatcher.
const MAX_QUEUED: usize = 8192;
/// Longest a delivery waits in the queue. Later it is handed back to the database, due at once,
/// so it is never sent on the strength of an endpoint read long ago.
const MAX_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Time for recording a pass's attempts after its last send.
const RECORD_SLACK: Duration = Duration::from_secs(5);

/// Longest a dispatcher pass of `batch` deliveries may take: sends go [`CONCURRENCY`] at a
/// time, each within [`DELIVERY_TIMEOUT`], then the attempts are recorded.
fn pass_bound(batch: u32) -> Duration {
    let waves = usize::try_from(batch)
        .unwrap_or(usize::MAX)
        .div_ceil(CONCURRENCY);
    DELIVERY_TIMEOUT
        .saturating_mul(u32::try_from(waves).unwrap_or(u32::MAX))
        .saturating_add(RECORD_SLACK)
}

/// Whether a lease of `lease` leaves room for a delivery to wait in the queue and then go
/// through a whole pass of `batch` before the lease ends: otherwise every delivery goes
/// through a claim (the default 60 s with batches of 256 leaves 10 s of queueing + 45 s).
pub fn handoff_possible(lease: Duration, batch: u32) -> bool {
    lease >= MAX_QUEUE_WAIT.saturating_add(pass_bound(batch))
}

/// A fresh delivery waiting for this process's dispatcher.
#[derive(Debug)]
struct Queued {
    /// When its lease ends.
    until: Timestamp,
    /// When it was queued.
    at: Instant,
    delivery: DueDelivery,
}

/// Fresh deliveries waiting for this process's dispatcher.
#[derive(Debug, Default)]
pub(crate) struct Handoff {
    /// Whether this process dispatches (set while its dispatcher tasks run).
    open: AtomicBool,
    queue: Mutex<VecDeque<Queued>>,
    /// When a dispatcher of this process last claimed due deliveries from the database.
    last_claim: Mutex<Option<Instant>>,
}

impl Handoff {
    /// The queue. It is consistent whatever a panicking holder was doing, so a poisoned lock is
    /// used as is.
    fn queue(&self) -> MutexGuard<'_, VecDeque<Queued>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Engine {
    /// Opens a store transaction; while this process dispatches and its queue is short, the
    /// deliveries it creates are leased to this process (see [`Engine::commit`]).
    pub(crate) async fn begin(&self) -> Result<StoreTx, StoreError> {
        let mut tx = self.store().begin().await?;
        let handoff = &self.inner.handoff;
        let config = self.config();
        if handoff.open.load(Ordering::Relaxed)
            && handoff_possible(config.delivery_lease, config.dispatch_batch)
            && handoff.queue().len() < MAX_QUEUED
        {
            tx.lease_new_deliveries(self.now().plus(config.delivery_lease));
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
            let at = Instant::now();
            self.inner
                .handoff
                .queue()
                .extend(fresh.into_iter().map(|delivery| Queued {
                    until,
                    at,
                    delivery,
                }));
        }
        if published {
            self.deliveries_ready();
        }
        Ok(())
    }

    /// Takes up to `n` queued deliveries to send now. Those that waited too long (or whose
    /// lease could end within a pass) are made due again in the database instead.
    pub(crate) async fn take_fresh(
        &self,
        now: Timestamp,
        n: usize,
    ) -> Result<Vec<DueDelivery>, EngineError> {
        let bound = pass_bound(self.config().dispatch_batch);
        let (fresh, stale) = {
            let mut q = self.inner.handoff.queue();
            let mut fresh = Vec::with_capacity(n.min(q.len()));
            let mut stale = Vec::new();
            while fresh.len() < n {
                let Some(item) = q.pop_front() else {
                    break;
                };
                if item.at.elapsed() <= MAX_QUEUE_WAIT && now.plus(bound) < item.until {
                    fresh.push(item.delivery);
                } else {
                    stale.push((item.delivery.seq, item.until));
                }
            }
            (fresh, stale)
        };
        if !stale.is_empty() {
            tracing::debug!(
                count = stale.len(),
                "fresh deliveries waited too long; handed back to the database"
            );
            self.store().release_deliveries(&stale, now).await?;
        }
        Ok(fresh)
    }

    /// Whether a worker interval has passed since the last database claim.
    pub(crate) fn claim_is_due(&self) -> bool {
        let last = self
            .inner
            .handoff
            .last_claim
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        last.is_none_or(|t| t.elapsed() >= self.config().worker_interval)
    }

    /// Notes a database claim (see [`Engine::claim_is_due`]).
    pub(crate) fn note_claim(&self) {
        *self
            .inner
            .handoff
            .last_claim
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// Starts (or stops) leasing fresh deliveries to this process.
    pub(crate) fn open_handoff(&self, open: bool) {
        self.inner.handoff.open.store(open, Ordering::Relaxed);
    }

    /// Stops leasing, and makes every queued delivery whose lease this process still holds due
    /// now for any dispatcher.
    pub(crate) async fn release_handoff(&self) {
        self.open_handoff(false);
        let now = self.now();
        let held: Vec<(i64, Timestamp)> = self
            .inner
            .handoff
            .queue()
            .drain(..)
            .filter(|q| q.until > now)
            .map(|q| (q.delivery.seq, q.until))
            .collect();
        if held.is_empty() {
            return;
        }
        if let Err(e) = self.store().release_deliveries(&held, now).await {
            tracing::warn!(error = %e, count = held.len(), "could not release queued deliveries; they are retried when their lease ends");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_must_cover_queueing_and_a_whole_pass() {
        // 256 deliveries: 4 waves of 64 at 10 s each, 5 s to record, 10 s of queueing.
        assert_eq!(pass_bound(256), Duration::from_secs(45));
        assert!(handoff_possible(Duration::from_secs(60), 256));
        assert!(handoff_possible(Duration::from_secs(55), 256));
        assert!(!handoff_possible(Duration::from_secs(54), 256));
        assert!(!handoff_possible(Duration::from_secs(60), 1024));
        assert!(handoff_possible(Duration::from_secs(25), 8));
        assert!(!handoff_possible(Duration::from_secs(2), 1));
    }
}
