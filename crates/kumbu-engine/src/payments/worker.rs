//! The due-action worker: moves payments along their rail's script, resolves silent operators by
//! polling, and expires payments nobody confirmed.
//!
//! Each pass claims a batch of payments whose `next_action_at` has come (PostgreSQL: `FOR UPDATE
//! SKIP LOCKED`, so any number of processes share the backlog without taking the same payment;
//! SQLite: the single writer serialises passes), applies every step that is due, and writes all
//! payment rows, history rows, events and journals of the batch in one transaction.

use crate::error::EngineError;
use crate::idempotency::Verdict;
use crate::payments::held;
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
        // Calls the operator holds open until the payer answers: each leased for as long as
        // the longest may last, and made in a task of its own once this pass commits.
        let mut held = Vec::new();
        let held_until =
            now.plus(self.config().operator_prompt_timeout + self.config().operator_lease);
        let mut no_room = 0;
        for p in &mut claimed {
            match self.route(p) {
                Route::Local => self.advance_local(p, now, &mut changes).await,
                Route::Connector(connector) => match connector.held_call(p) {
                    None => {
                        if let Some(seen) = self.reserve(p, now, &mut changes) {
                            remote.push((connector, seen));
                        }
                    }
                    // Never tried and past its deadline: expired here, whether or not a room
                    // is free (`reserve` does the same for those that get one).
                    Some(_)
                        if p.progress.step == 0
                            && crate::progress::expire_after_grace(
                                p,
                                now,
                                Duration::ZERO,
                                &mut changes,
                            ) => {}
                    Some(_) => match self.inner.held.admit(&p.merchant_id) {
                        Some(room) => {
                            if let Some(seen) = self.reserve(p, now, &mut changes) {
                                // Not due while its call is open: the pass's claims skip it.
                                p.progress.next_action_at = Some(held_until);
                                held.push((connector, seen, room));
                            }
                        }
                        None => {
                            no_room += 1;
                            p.progress.next_action_at = Some(now.plus(held::no_room_retry()));
                        }
                    },
                },
            }
        }
        // One write per row: the reserved ones with their lease.
        let is_held = |p: &&Payment| held.iter().any(|(_, r, _)| r.id == p.id);
        let (leased_held, rest): (Vec<&Payment>, Vec<&Payment>) = claimed.iter().partition(is_held);
        let (leased, local): (Vec<&Payment>, Vec<&Payment>) = rest
            .into_iter()
            .partition(|p| remote.iter().any(|(_, r)| r.id == p.id));
        tx.save_payments(&local).await?;
        tx.save_leased_payments(&leased, Lease::Until(lease_until))
            .await?;
        tx.save_leased_payments(&leased_held, Lease::Until(held_until))
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
        for (connector, seen, room) in held {
            let engine = self.clone();
            tokio::spawn(async move {
                if let Err(e) = engine
                    .call_connectors(vec![(connector, seen)], held_until)
                    .await
                {
                    tracing::warn!(error = %e, "committing a held call's answer failed; the payment is asked about when its lease runs out");
                }
                drop(room);
                // A room came back: payments waiting for one may go.
                engine.inner.work_ready.notify_one();
            });
        }
        if !remote.is_empty() {
            self.call_connectors(remote, lease_until).await?;
        }
        // Payments that found no room are not progress: the pass waits before it looks again.
        Ok(claimed.len() - no_room + sessions)
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
