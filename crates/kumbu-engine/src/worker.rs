//! The due-action worker: moves payments along their rail's script, resolves silent operators by
//! polling, and expires payments nobody confirmed.
//!
//! Each pass claims a batch of payments whose `next_action_at` has come (PostgreSQL: `FOR UPDATE
//! SKIP LOCKED`, so any number of processes share the backlog without taking the same payment;
//! SQLite: the single writer serialises passes), applies every step that is due, and writes all
//! payment rows, history rows, events and journals of the batch in one transaction.

use crate::error::EngineError;
use crate::idempotency::Verdict;
use crate::live::Route;
use crate::progress::{apply_advance, expire_if_due};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::{ErrorCode, Field};
use kumbu_core::{Payment, Timestamp};
use kumbu_store::StoreTx;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

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
                    if let Some(seen) = self.reserve(p, now, lease_until, &mut changes) {
                        remote.push((connector, seen));
                    }
                }
            }
        }
        let refs: Vec<&Payment> = claimed.iter().collect();
        changes.save(&mut tx, &refs).await?;
        if !remote.is_empty() {
            let ids: Vec<&str> = remote.iter().map(|(_, p)| p.id.as_str()).collect();
            tx.lease_payments(&ids, lease_until).await?;
        }
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

/// The background workers of one `serve` process.
#[derive(Debug)]
pub struct Workers {
    engine: Engine,
    cancel: CancellationToken,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts the due-action worker tasks, the webhook dispatcher and the idempotency-record
    /// sweeper.
    pub fn spawn(engine: Engine) -> Self {
        let cancel = CancellationToken::new();
        if engine.config().dispatch_tasks == 0 {
            tracing::info!("no webhook dispatcher in this process (dispatch tasks: 0)");
        }
        if engine.config().worker_tasks == 0 {
            tracing::info!("no payment worker in this process (worker tasks: 0)");
        }
        engine.open_handoff(engine.config().dispatch_tasks > 0);
        let mut handles: Vec<JoinHandle<()>> = (0..engine.config().worker_tasks)
            .map(|_| {
                let (engine, cancel) = (engine.clone(), cancel.clone());
                tokio::spawn(async move { due_loop(engine, cancel).await })
            })
            .collect();
        if engine.config().dispatch_tasks > 0 {
            let (engine, cancel) = (engine.clone(), cancel.clone());
            handles.push(tokio::spawn(crate::delivery::run(engine, cancel)));
        }
        handles.push({
            let (engine, cancel) = (engine.clone(), cancel.clone());
            tokio::spawn(async move { refund_loop(engine, cancel).await })
        });
        handles.push({
            let (engine, cancel) = (engine.clone(), cancel.clone());
            tokio::spawn(async move { sweep_loop(engine, cancel).await })
        });
        Self {
            engine,
            cancel,
            handles,
        }
    }

    /// Asks the workers to stop after their current pass, and waits for them.
    pub async fn shutdown(self) {
        self.engine.open_handoff(false);
        self.cancel.cancel();
        for h in self.handles {
            if let Err(e) = h.await {
                tracing::error!(error = %e, "worker task ended abnormally");
            }
        }
        self.engine.release_handoff().await;
    }
}

async fn due_loop(engine: Engine, cancel: CancellationToken) {
    let interval = engine.config().worker_interval;
    let batch = engine.config().worker_batch as usize;
    let mut backoff = Duration::from_millis(200);
    while !cancel.is_cancelled() {
        match engine.run_due_batch().await {
            Ok(n) if n >= batch => {
                backoff = Duration::from_millis(200);
                continue;
            }
            Ok(_) => {
                backoff = Duration::from_millis(200);
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = engine.inner.work_ready.notified() => {}
                    () = tokio::time::sleep(interval) => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "payment worker pass failed; retrying");
                tokio::select! {
                    () = cancel.cancelled() => {}
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn refund_loop(engine: Engine, cancel: CancellationToken) {
    let interval = engine.config().worker_interval;
    while !cancel.is_cancelled() {
        let moved = match engine.run_refund_batch().await {
            Ok(n) => engine.run_payout_batch().await.map(|m| n + m),
            Err(e) => Err(e),
        };
        let pause = match moved {
            Ok(0) => interval,
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "refund or payout worker pass failed; retrying");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

async fn sweep_loop(engine: Engine, cancel: CancellationToken) {
    loop {
        let before = engine.now().minus(engine.config().idempotency_ttl);
        match engine.store().purge_idempotency_keys(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired idempotency records removed"),
            Err(e) => tracing::warn!(error = %e, "idempotency sweep failed"),
        }
        // Access tokens a day past their expiry are of no use to anyone.
        let day_ago = engine.now().minus(Duration::from_secs(24 * 3600));
        match engine.store().purge_access_tokens(day_ago).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired access tokens removed"),
            Err(e) => tracing::warn!(error = %e, "access-token sweep failed"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(300)) => {}
        }
    }
}
