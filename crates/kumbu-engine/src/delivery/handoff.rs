//! The hand-off of fresh deliveries: a transaction that publishes events, in a process that
//! dispatches, creates their deliveries leased to this process; once it commits, they go
//! straight to this process's dispatcher, with no claim query and no wait for a poll.
//!
//! The lease keeps every other dispatcher off them, exactly as a claim would. Nothing is sent
//! before the commit. A delivery left in the queue for too long is dropped before its lease
//! could run out mid-send (any dispatcher claims it when the lease ends), and on shutdown the
//! queue is released so the next process need not wait for the lease.

use crate::delivery::policy::DELIVERY_TIMEOUT;
use crate::Engine;
use kumbu_core::Timestamp;
use kumbu_store::DueDelivery;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Most fresh deliveries queued; past it, new deliveries are created due for any dispatcher.
const MAX_QUEUED: usize = 8192;
/// Longest a delivery waits in this process (the hand-off queue, then its endpoint's lane).
/// Later it is handed back to the database, due at once, so it is never sent on the strength of
/// an endpoint read long ago, and its lease always covers its send.
pub(crate) const MAX_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Time for recording an attempt after its send.
const RECORD_SLACK: Duration = Duration::from_secs(5);

/// How long a leased delivery may still be sent: one send, then its recording.
const SEND_BOUND: Duration = DELIVERY_TIMEOUT.saturating_add(RECORD_SLACK);

/// Whether a lease of `lease` leaves room for a delivery to wait in this process and then be
/// sent and recorded before the lease ends: otherwise every delivery goes through a claim (the
/// default 60 s leaves 10 s of waiting + 10 s of sending + 5 s of recording, with room to spare).
pub fn handoff_possible(lease: Duration) -> bool {
    lease >= MAX_QUEUE_WAIT.saturating_add(SEND_BOUND)
}

/// A delivery this process holds the lease of, waiting to be sent.
#[derive(Debug)]
pub(crate) struct Queued {
    /// When its lease ends.
    pub(crate) until: Timestamp,
    /// Whether the lease was shorter than [`handoff_possible`] asks (the operator's choice:
    /// then a send only needs the lease to stand when it starts).
    pub(crate) short_lease: bool,
    /// When it came to this process.
    pub(crate) at: Instant,
    pub(crate) delivery: DueDelivery,
}

impl Queued {
    /// Whether it may still be sent now: it has not waited too long, and its lease covers a send
    /// and its recording. (With a lease shorter than [`handoff_possible`] asks, the operator's
    /// documented choice, only that the lease still stands.)
    pub(crate) fn sendable(&self, now: Timestamp) -> bool {
        let covered = if self.short_lease {
            now < self.until
        } else {
            now.plus(SEND_BOUND) <= self.until
        };
        self.at.elapsed() <= MAX_QUEUE_WAIT && covered
    }
}

/// Fresh deliveries waiting for this process's dispatcher.
#[derive(Debug, Default)]
pub(crate) struct Handoff {
    /// Whether this process dispatches (set while its dispatcher runs).
    open: AtomicBool,
    queue: Mutex<VecDeque<Queued>>,
}

impl Handoff {
    /// The queue. It is consistent whatever a panicking holder was doing, so a poisoned lock is
    /// used as is.
    fn queue(&self) -> MutexGuard<'_, VecDeque<Queued>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a transaction opened now should lease its new deliveries to this process: it
    /// dispatches, a lease of `lease` leaves room for the hand-off, and its queue is short.
    pub(crate) fn takes(&self, lease: Duration) -> bool {
        self.open.load(Ordering::Relaxed)
            && handoff_possible(lease)
            && self.queue().len() < MAX_QUEUED
    }

    /// Queues deliveries a committed transaction leased to this process until `until`.
    pub(crate) fn hand(&self, fresh: Vec<DueDelivery>, until: Timestamp) {
        metrics::counter!("kumbu_webhook_handoffs_total").increment(fresh.len() as u64);
        let at = Instant::now();
        self.queue()
            .extend(fresh.into_iter().map(|delivery| Queued {
                until,
                short_lease: false,
                at,
                delivery,
            }));
    }
}

impl Engine {
    /// Takes every queued delivery (the dispatcher sorts them into their endpoints' lanes).
    pub(crate) fn take_fresh(&self) -> Vec<Queued> {
        self.inner.handoff.queue().drain(..).collect()
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
    fn the_lease_must_cover_waiting_sending_and_recording() {
        assert_eq!(SEND_BOUND, Duration::from_secs(15));
        assert!(handoff_possible(Duration::from_secs(60)));
        assert!(handoff_possible(Duration::from_secs(25)));
        assert!(!handoff_possible(Duration::from_secs(24)));
        assert!(!handoff_possible(Duration::from_secs(2)));
    }
}
