//! The refund worker. A refund moves `pending → processing → succeeded | failed`; on success
//! the payment's refunded amount and status move, a reversing journal is posted and events are
//! written, in one transaction.
//!
//! Sandbox refunds move inside the transaction that claimed them. A live refund goes to the
//! payment's operator through its connector (a disbursement naming the payment it refunds): the refund is reserved (its next look pushed past a lease) and committed, the operator
//! is called outside any transaction, and what it said is committed after. Its operator
//! reference is written when the refund is created, so a repeated request names the same refund.

use super::{refund_event, sandbox_refuses, REFUND_BATCH};
use crate::error::EngineError;
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::ledger::{refund_postings, JournalKind};
use kumbu_core::{
    new_id, FailureCode, IdPrefix, Mode, Payment, PaymentStatus, Refund, RefundStatus, Timestamp,
};
use kumbu_rails::connector::{Outbound, Outgoing};
use kumbu_store::{NewJournal, StoreError, StoreTx};
use std::time::Duration;

impl Engine {
    /// One pass of the refund worker: moves up to [`REFUND_BATCH`] due refunds one step each,
    /// each in its own transaction, so one refund that cannot move does not hold up the rest
    /// (it is logged and looked at again a minute later). Returns how many moved.
    pub async fn run_refund_batch(&self) -> Result<usize, EngineError> {
        let mut moved = 0;
        for _ in 0..REFUND_BATCH {
            let now = self.now();
            let mut tx = self.begin().await?;
            let Some(mut r) = tx.claim_due_refunds(now, 1).await?.pop() else {
                tx.rollback().await?;
                break;
            };
            let mut changes = self.changes();
            let stepped = match self.step_refund(&mut tx, &mut changes, &mut r, now).await {
                Ok(call) => changes
                    .write(&mut tx)
                    .await
                    .map(|()| call)
                    .map_err(EngineError::from),
                Err(e) => Err(e),
            };
            match stepped {
                Ok(call) => {
                    self.commit(tx).await?;
                    changes.publish_metrics();
                    moved += 1;
                    if let Some((p, seen)) = call {
                        self.call_for_refund(r, seen, p).await?;
                    }
                }
                Err(e) => {
                    tx.rollback().await?;
                    tracing::error!(refund = %r.id, error = %e, "refund step failed; retrying in a minute");
                    self.store()
                        .postpone_refund(&r.id, now.plus(Duration::from_secs(60)))
                        .await?;
                }
            }
        }
        Ok(moved)
    }

    async fn refund_payment(&self, tx: &mut StoreTx, r: &Refund) -> Result<Payment, EngineError> {
        Ok(tx
            .lock_payment(&r.merchant_id, r.mode, &r.payment_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("refund {} has no payment", r.id)))?)
    }

    /// One step of a claimed refund, in `tx`. Returns the operator call to make after the
    /// commit, for a live refund reserved for it.
    async fn step_refund(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        r: &mut Refund,
        now: Timestamp,
    ) -> Result<Option<(Payment, Refund)>, EngineError> {
        if r.mode == Mode::Live {
            let p = self.refund_payment(tx, r).await?;
            if self.connector_for(p.operator).is_none() {
                // Refused at creation; only a database from elsewhere could hold one.
                self.fail_refund(
                    tx,
                    changes,
                    r,
                    FailureCode::ProviderUnavailable,
                    "no live connector for this operator",
                    now,
                )
                .await?;
                return Ok(None);
            }
            if r.status == RefundStatus::Pending && !p.status.is_settled() {
                // A debited payment is refunded once its money has settled.
                r.next_action_at = Some(now.plus(self.config().operator_poll_every));
                tx.save_refund(r).await?;
                return Ok(None);
            }
            // Committed as `processing` ("may have been sent") before the call, so a process
            // that dies mid-call leaves a refund that is asked about, never one that looks unsent.
            let seen = r.clone();
            let _ = r.transition(RefundStatus::Processing, now);
            r.next_action_at = Some(now.plus(self.config().operator_lease));
            tx.save_refund(r).await?;
            return Ok(Some((p, seen)));
        }
        let next = now.plus(self.config().sandbox_delay);
        match r.status {
            RefundStatus::Pending => {
                let p = self.refund_payment(tx, r).await?;
                if !p.status.is_settled() {
                    r.next_action_at = Some(next);
                } else {
                    let _ = r.transition(RefundStatus::Processing, now);
                    r.operator_refund_id = Some(format!("RF{}", &r.id[3..r.id.len().min(15)]));
                    r.next_action_at = Some(next);
                }
                tx.save_refund(r).await?;
            }
            RefundStatus::Processing if sandbox_refuses(r.amount) => {
                self.fail_refund(
                    tx,
                    changes,
                    r,
                    FailureCode::ProviderError,
                    "the operator refused the refund (sandbox: amount ending in 13)",
                    now,
                )
                .await?;
            }
            RefundStatus::Processing => self.succeed_refund(tx, changes, r, now).await?,
            RefundStatus::Succeeded | RefundStatus::Failed => {
                r.next_action_at = None;
                tx.save_refund(r).await?;
            }
        }
        Ok(None)
    }

    /// The refund went through: the payment's refunded amount and status move, the reversing
    /// journal is posted.
    async fn succeed_refund(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        r: &mut Refund,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let mut p = self.refund_payment(tx, r).await?;
        let _ = r.transition(RefundStatus::Succeeded, now);
        r.next_action_at = None;
        let fee_returned = p
            .refund_fee
            .returned(p.fee, p.amount, p.amount_refunded, r.amount);
        p.amount_refunded += r.amount;
        let target = if p.amount_refunded >= p.amount {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        };
        if p.status != target {
            let change = p
                .transition(target, &format!("refund {}", r.id), now)
                .map_err(|e| StoreError::Corrupt(format!("refund {}: {e}", r.id)))?;
            changes.record(&p, change);
        } else {
            p.updated_at = now;
        }
        tx.save_payments(&[&p]).await?;
        changes.push_journal(NewJournal {
            id: new_id(IdPrefix::Journal),
            kind: JournalKind::RefundSucceeded,
            payment_id: Some(p.id.clone()),
            refund_id: Some(r.id.clone()),
            payout_id: None,
            merchant_id: p.merchant_id.clone(),
            mode: p.mode,
            currency: p.currency,
            postings: refund_postings(r.amount, fee_returned),
            created_at: now,
        });
        tx.save_refund(r).await?;
        changes.push_event(refund_event(r, "refund.succeeded", 2));
        Ok(())
    }

    /// The refund will not happen.
    async fn fail_refund(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        r: &mut Refund,
        code: FailureCode,
        message: &str,
        now: Timestamp,
    ) -> Result<(), EngineError> {
        let _ = r.transition(RefundStatus::Failed, now);
        r.failure_code = Some(code);
        r.failure_message = Some(message.to_owned());
        r.next_action_at = None;
        tx.save_refund(r).await?;
        changes.push_event(refund_event(r, "refund.failed", 2));
        Ok(())
    }

    /// Sends a reserved live refund to the operator (`seen` pending) or asks its status, then
    /// commits the news over `r` as reserved.
    async fn call_for_refund(
        &self,
        r: Refund,
        seen: Refund,
        p: Payment,
    ) -> Result<(), EngineError> {
        let now = self.now();
        let news = self
            .disbursement_news(
                p.operator,
                &r.merchant_id,
                Outgoing::Refund {
                    refund: &seen,
                    payment: &p,
                },
                seen.status != RefundStatus::Pending,
            )
            .await?;
        let mut tx = self.begin().await?;
        let mut changes = self.changes();
        let Some(mut now_r) = tx.lock_refund(&r.id).await? else {
            tx.rollback().await?;
            return Ok(());
        };
        if now_r.status != r.status {
            // Another process moved it after our lease ran out.
            tx.rollback().await?;
            return Ok(());
        }
        let later = now.plus(self.config().operator_poll_every);
        match news {
            // Just sent with an unknown outcome: asked soon.
            Outbound::Undecided if seen.status == RefundStatus::Pending => {
                now_r.next_action_at = Some(now.plus(Duration::from_secs(2)));
                tx.save_refund(&now_r).await?;
            }
            Outbound::Sent | Outbound::Undecided => {
                now_r.next_action_at = Some(later);
                tx.save_refund(&now_r).await?;
            }
            Outbound::NotFound => {
                // The operator never got it: back to `pending` (the one way back: nothing was
                // sent, it says), to be sent again under the same reference.
                now_r.status = RefundStatus::Pending;
                now_r.next_action_at = Some(now);
                tx.save_refund(&now_r).await?;
            }
            Outbound::Succeeded => {
                self.succeed_refund(&mut tx, &mut changes, &mut now_r, now)
                    .await?
            }
            Outbound::Failed {
                code,
                operator_code,
            } => {
                let message = format!(
                    "{} refused the refund: {operator_code}",
                    self.connector_for(p.operator)
                        .map_or("the operator", |c| c.name())
                );
                self.fail_refund(&mut tx, &mut changes, &mut now_r, code, &message, now)
                    .await?;
            }
        }
        changes.write(&mut tx).await?;
        self.commit(tx).await?;
        changes.publish_metrics();
        Ok(())
    }
}
