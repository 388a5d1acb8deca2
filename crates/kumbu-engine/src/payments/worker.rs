//! The due-action worker: moves payments along their rail's script, resolves silent operators by
//! polling, and expires payments nobody confirmed.
//!
//! Each pass claims a batch of payments whose `next_action_at` has come (PostgreSQL: `FOR UPDATE
//! SKIP LOCKED`, so any number of processes share the backlog without taking the same payment;
//! SQLite: the single writer serialises passes), applies every step that is due, and writes all
//! payment rows, history rows, events and journals of the batch in one transaction.

use crate::error::EngineError;
use crate::idempotency::Verdict;
use crate::payments::live::Route;
use crate::progress::{apply_advance, expire_if_due};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::{ErrorCode, Field};
use kumbu_core::{Payment, Timestamp};
use kumbu_store::{Lease, StoreTx};
use std::time::Duration;

/// Most steps applied to one payment in one pass (a guard against a runaway script).
const MAX_STEPS_PER_PASS: usize = 16;

impl Engine {
    /// For an action on a locked payment (cancel, answer a prompt): if the payment is overdue,
    /// expires it (in `tx`) and returns the refusal of the action, with `code`. The worker may
    /// lag behind the clock; money never moves after `expires_at` because of it.
    pub(crate) async fn refuse_if_expired(
        &self,
        tx: &mut StoreTx,
        p: &mut Payment,
        now: Timestamp,
        code: ErrorCode,
        changes: &mut Changes,
    ) -> Result<Option<Verdict>, EngineError> {
        if !expire_if_due(p, now, changes) {
            return Ok(None);
        }
        changes.save(tx, &[&*p]).await?;
        Ok(Some(Verdict::Refused(EngineError::field(
            code,
            Field::Id,
            format!(
                "payment {} expired at {} before this request",
                p.id, p.expires_at
            ),
        ))))
    }

    /// Runs every sandbox step of `p` that is due at `now` (the sandbox never leaves the
    /// process, so this happens inside the claiming transaction).
    async fn advance_local(&self, p: &mut Payment, now: Timestamp, changes: &mut Changes) {
        let sandbox = &self.inner.simulator;
        for _ in 0..MAX_STEPS_PER_PASS {
            match p.progress.next_action_at {
                Some(t) if t <= now => {}
                Some(_) | None => return,
            }
            if p.status.is_terminal() {
                p.progress.next_action_at = None;
                return;
            }
            if expire_if_due(p, now, changes) {
                return;
            }
            let adv = sandbox.play(p);
            // The sandbox holds nothing past a payment's deadline: no grace.
            apply_advance(p, &adv, now, Some(Duration::ZERO), changes);
        }
    }

    /// One worker pass: claims up to a batch of due payments; advances the sandbox's at once and
    /// reserves the connectors' for this process; expires the checkout sessions and collection
    /// requests that are due; all in one transaction. Then makes the reserved payments'
    /// operator calls, outside any transaction, and commits what they learnt (see `live.rs`).
    /// Returns how many payments and sessions were claimed.
    pub async fn run_due_batch(&self) -> Result<usize, EngineError> {
        // Operators' callbacks first: what they name is due in this very pass. A failure here
        // only delays them (polling learns the same): the pass goes on.
        if let Err(e) = self.apply_operator_callbacks().await {
            tracing::warn!(error = %e, "applying operator callbacks failed; the next pass tries again");
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut claimed = tx
            .claim_due_payments(now, self.config().worker_batch)
            .await?;
        let mut changes = self.changes();
        let lease_until = now.plus(self.config().operator_lease);
        let mut remote = Vec::new();
        for p in &mut claimed {
            match self.route(p) {
                Route::Local => self.advance_local(p, now, &mut changes).await,
                Route::Connector(connector) => {
                    if let Some(seen) = self.reserve(p, now, &mut changes) {
                        remote.push((connector, seen));
                    }
                }
            }
        }
        // One write per row: the reserved ones with their lease.
        let (leased, local): (Vec<&Payment>, Vec<&Payment>) = claimed
            .iter()
            .partition(|p| remote.iter().any(|(_, r)| r.id == p.id));
        tx.save_payments(&local).await?;
        tx.save_leased_payments(&leased, Lease::Until(lease_until))
            .await?;
        changes.write(&mut tx).await?;
        // After the payments, so that a session whose attempt this pass debited or expired is
        // seen as it now is.
        let sessions = self.expire_due_sessions(&mut tx, &mut changes, now).await?
            + crate::collections::expire_due_requests(&mut tx, now).await?;
        changes.write(&mut tx).await?;
        if claimed.is_empty() && sessions == 0 {
            tx.commit().await?;
            return Ok(0);
        }
        self.commit(tx).await?;
        changes.publish_metrics();
        if !remote.is_empty() {
            self.call_connectors(remote, lease_until).await?;
        }
        Ok(claimed.len() + sessions)
    }

    /// Runs passes until nothing is due (for tests and `kumbu` commands that drive time).
    pub async fn run_until_idle(&self) -> Result<usize, EngineError> {
        let mut total = 0;
        loop {
            let n = self.run_due_batch().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }
}
