//! The connectors' side of the due-action worker. A pass that claims live payments carried by a
//! connector reserves them for this process (their next action is pushed to the end of a lease)
//! and commits; then it makes their operator calls, outside any transaction, and commits what
//! the operator said in one more transaction. A process killed between a call and that commit
//! loses nothing: when the lease runs out another process takes the payment at the same step,
//! and the operator reference committed with the payment makes a repeated request name the same
//! transaction, so nothing is sent twice.

use crate::error::EngineError;
use crate::progress::{apply_advance, apply_notice, expire_after_grace};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::{FailureCode, Mode, Operator, Payment, Timestamp};
use kumbu_rails::connector::{Connector, Duty, Opened};
use kumbu_rails::{Advance, Next, Notice, Via};
use kumbu_store::Lease;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Most rounds of operator calls one pass makes for a payment: the first, then asking again at
/// once while operators call back meanwhile (a duplicate callback cannot keep a pass busy).
const ROUNDS_PER_PASS: usize = 3;

/// Where a claimed payment's next action is carried out.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    /// In this process, inside the claiming transaction: the sandbox (every test payment, and
    /// live payments no rail drives, such as bank references).
    Local,
    /// By a connector, over the network.
    Connector(Arc<dyn Connector>),
}

impl Engine {
    /// Where `p` goes.
    pub(crate) fn route(&self, p: &Payment) -> Route {
        match (p.mode, self.connector_for(p.operator)) {
            (Mode::Live, Some(c)) => Route::Connector(c.clone()),
            (Mode::Live, None) | (Mode::Test, _) => Route::Local,
        }
    }

    /// Whether a connector's request for `p` may have reached the operator (tried, or being
    /// tried): then only the operator can end it, never a cancellation or a deadline of ours.
    pub(crate) fn with_operator(&self, p: &Payment, now: Timestamp) -> bool {
        matches!(self.route(p), Route::Connector(_))
            && !p.status.is_terminal()
            && (p.progress.step > 0 || p.progress.next_action_at.is_some_and(|t| t > now))
    }

    /// Inside the claiming transaction: expires `p` if no operator ever had it and its deadline
    /// has passed, or reserves it for this process (the lease itself is written with the row:
    /// `save_leased_payments`; its due time stays as it was, so that the write changes no
    /// indexed column — except for a held call's, which the worker moves to the lease's end so
    /// that its passes skip it: `held.rs`). Returns the payment as
    /// its rail must see it, when its operator call is to be made. An even step (to be sent) is
    /// committed odd ("may have been sent") with the reservation, before any call: a process
    /// that dies mid-call leaves a payment that is asked about, never one that looks unsent.
    pub(crate) fn reserve(
        &self,
        p: &mut Payment,
        now: Timestamp,
        changes: &mut Changes,
    ) -> Option<Payment> {
        if p.status.is_terminal() {
            p.progress.next_action_at = None;
            return None;
        }
        // Never tried: nothing is at the operator, so the deadline is ours to apply. Once tried,
        // only the operator's answer ends it (the connector decides).
        if p.progress.step == 0 && expire_after_grace(p, now, Duration::ZERO, changes) {
            return None;
        }
        let seen = p.clone();
        p.progress.step |= 1;
        Some(seen)
    }

    /// The connector's next action for `p`.
    async fn connector_advance(
        &self,
        connector: &dyn Connector,
        p: &Payment,
        creds: Option<&Opened>,
        now: Timestamp,
    ) -> Advance {
        match creds {
            Some(c) => connector.collect(p, c, now).await,
            // Removed since the payment was created: nothing was sent, so nothing is charged.
            None if p.progress.step.is_multiple_of(2) => Advance {
                via: Via::Request,
                notices: vec![Notice::Failed {
                    code: FailureCode::ProviderUnavailable,
                    operator_code: "NO_CREDENTIALS".to_owned(),
                }],
                step: p.progress.step | 1,
                next: Next::Done,
                memo: None,
            },
            None => {
                tracing::error!(payment = %p.id, connector = connector.name(), "the merchant's credentials were removed while the operator holds this payment; its status cannot be asked until they are set again");
                Advance::wait(p.progress.step, self.config().operator_poll_every)
            }
        }
    }

    /// Makes the operator calls of reserved payments, then commits what they learnt. A payment
    /// whose operator called back while we asked (the callback may bring newer news than our
    /// answer) stays leased in that commit and is asked again at once, in this pass, rather than
    /// a pass later (which would cost two more writes of its row), up to [`ROUNDS_PER_PASS`].
    pub(crate) async fn call_connectors(
        &self,
        mut reserved: Vec<(Arc<dyn Connector>, Payment)>,
        mut lease_until: Timestamp,
    ) -> Result<(), EngineError> {
        for round in 1..=ROUNDS_PER_PASS {
            let connectors: HashMap<String, Arc<dyn Connector>> = reserved
                .iter()
                .map(|(c, p)| (p.id.clone(), c.clone()))
                .collect();
            let learnt = self.make_calls(reserved).await?;
            let again_until =
                (round < ROUNDS_PER_PASS).then(|| self.now().plus(self.config().operator_lease));
            // What the operator said is in memory only until it commits: a transaction that
            // fails (PostgreSQL may abort one of two that deadlock) is tried again at once,
            // rather than leaving the payments leased, and asked again, a lease later.
            let mut tries = 0;
            let again = loop {
                match self
                    .commit_learnt(learnt.clone(), lease_until, again_until)
                    .await
                {
                    Ok(again) => break again,
                    Err(e) if tries < 2 => {
                        tries += 1;
                        tracing::warn!(error = %e, tries, "committing what operators said failed; trying again");
                    }
                    Err(e) => return Err(e),
                }
            };
            let Some(until) = again_until.filter(|_| !again.is_empty()) else {
                return Ok(());
            };
            reserved = again
                .into_iter()
                .filter_map(|p| Some((connectors.get(&p.id)?.clone(), p)))
                .collect();
            lease_until = until;
        }
        Ok(())
    }

    /// The operator calls of reserved payments, several at once: each payment with what its
    /// operator said.
    async fn make_calls(
        &self,
        reserved: Vec<(Arc<dyn Connector>, Payment)>,
    ) -> Result<Vec<(Payment, Advance)>, EngineError> {
        let now = self.now();
        let mut creds: HashMap<(String, Operator), Option<Arc<Opened>>> = HashMap::new();
        for (connector, p) in &reserved {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                creds.entry((p.merchant_id.clone(), p.operator))
            {
                let c = self
                    .credentials_for(
                        connector.as_ref(),
                        &p.merchant_id,
                        p.operator,
                        Duty::Collect,
                    )
                    .await?;
                slot.insert(c.map(Arc::new));
            }
        }
        let limit = Arc::new(Semaphore::new(self.config().operator_concurrency.max(1)));
        let mut calls = JoinSet::new();
        for (connector, p) in reserved {
            let c = creds
                .get(&(p.merchant_id.clone(), p.operator))
                .cloned()
                .flatten();
            let (engine, limit) = (self.clone(), limit.clone());
            calls.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let started = std::time::Instant::now();
                let adv = engine
                    .connector_advance(connector.as_ref(), &p, c.as_deref(), now)
                    .await;
                metrics::histogram!("kumbu_connector_call_seconds", "protocol" => connector.name())
                    .record(started.elapsed().as_secs_f64());
                (p, adv)
            });
        }
        let mut learnt = Vec::new();
        while let Some(joined) = calls.join_next().await {
            match joined {
                Ok(r) => learnt.push(r),
                // A panicking call leaves its payment reserved; the lease hands it back.
                Err(e) => tracing::error!(error = %e, "an operator call ended abnormally"),
            }
        }
        Ok(learnt)
    }

    /// Commits what the operator said, in one transaction, over the payments as they are now.
    /// With `again_until`, a payment whose operator called back meanwhile and that is still open
    /// is leased anew until then, in the same write, and returned as its rail must see it, to
    /// be asked again at once.
    async fn commit_learnt(
        &self,
        learnt: Vec<(Payment, Advance)>,
        lease_until: Timestamp,
        again_until: Option<Timestamp>,
    ) -> Result<Vec<Payment>, EngineError> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut changes = self.changes();
        let ids: Vec<&str> = learnt.iter().map(|(p, _)| p.id.as_str()).collect();
        let mut current: std::collections::HashMap<String, (Payment, Option<Timestamp>, bool)> = tx
            .take_leased_payments(&ids, lease_until)
            .await?
            .into_iter()
            .map(|(p, poked, ours)| (p.id.clone(), (p, poked, ours)))
            .collect();
        // Payments whose lease is still ours (saved ending it), those leased again to be asked
        // at once, and those another process took.
        let (mut saved, mut again, mut taken) =
            (Vec::with_capacity(learnt.len()), Vec::new(), Vec::new());
        let mut ask_again = Vec::new();
        for (snap, adv) in learnt {
            let Some((mut p, poked, ours)) = current.remove(&snap.id) else {
                continue;
            };
            if !ours {
                // Another process took it after our lease ran out: keep its bookkeeping and
                // its lease, and apply the news (the state machine ignores what it knows).
                apply_news(&mut p, &adv, now, &mut changes);
                taken.push(p);
                continue;
            }
            if p.progress.step != (snap.progress.step | 1) {
                // Ours, yet moved on since we asked: the news only, as above.
                apply_news(&mut p, &adv, now, &mut changes);
            } else {
                // The connector decides when it ends (only the operator's answer ends a payment
                // it may hold); our deadline only stops sending.
                apply_advance(&mut p, &adv, now, None, &mut changes);
                // The operator called back while we were asking: ask again at once, since the
                // news may be newer than our answer (in this pass if we may, else the next).
                if let (Some(_), Some(next)) = (poked, p.progress.next_action_at) {
                    p.progress.next_action_at = Some(next.min(now));
                    // A call the operator would hold open is never made within this round's
                    // ordinary lease: the next pass gives it a held call's.
                    let held = match self.route(&p) {
                        Route::Connector(c) => c.held_call(&p).is_some(),
                        Route::Local => false,
                    };
                    if again_until.is_some() && !held {
                        if let Some(seen) = self.reserve(&mut p, now, &mut changes) {
                            ask_again.push(seen);
                            again.push(p);
                            continue;
                        }
                    }
                }
            }
            saved.push(p);
        }
        tx.save_leased_payments(&saved.iter().collect::<Vec<_>>(), Lease::End)
            .await?;
        if let Some(until) = again_until {
            tx.save_leased_payments(&again.iter().collect::<Vec<_>>(), Lease::Until(until))
                .await?;
        }
        changes
            .save(&mut tx, &taken.iter().collect::<Vec<_>>())
            .await?;
        self.commit(tx).await?;
        changes.publish_metrics();
        // Only rows nobody holds now: those another process took are its to run.
        if saved
            .iter()
            .any(|p| p.progress.next_action_at.is_some_and(|t| t <= now))
        {
            self.inner.work_ready.notify_one();
        }
        Ok(ask_again)
    }
}

/// What an operator said about `p`, applied as news only: its statuses (the state machine
/// ignores what it knows), not its scheduling nor the connector's memo, which belong to whoever
/// holds the payment.
fn apply_news(p: &mut Payment, adv: &Advance, now: Timestamp, changes: &mut Changes) {
    for n in &adv.notices {
        if let Some(change) = apply_notice(p, n, adv.via, now) {
            changes.record(p, change);
        }
    }
    if p.status.is_terminal() {
        p.progress.next_action_at = None;
    }
}
