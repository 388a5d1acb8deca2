//! The payout worker: each payout `pending → processing → succeeded | failed`, one per
//! transaction. Live ones are reserved under a lease and committed before the operator is called,
//! outside any transaction, as payments are (`payments/live.rs`); the operator reference is written
//! at creation.

use super::{journal, payout_event, PAYOUT_BATCH};
use crate::error::EngineError;
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::ledger::JournalKind;
use kumbu_core::{FailureCode, Mode, Payout, PayoutStatus, Timestamp};
use kumbu_rails::connector::{Outbound, Outgoing};
use std::time::Duration;

impl Engine {
    /// One pass of the payout worker: moves up to [`PAYOUT_BATCH`] due payouts one step each.
    /// Returns how many moved.
    pub async fn run_payout_batch(&self) -> Result<usize, EngineError> {
        let mut moved = 0;
        for _ in 0..PAYOUT_BATCH {
            let now = self.now();
            let mut tx = self.begin().await?;
            let Some(mut p) = tx.claim_due_payouts(now, 1).await?.pop() else {
                tx.rollback().await?;
                break;
            };
            let mut changes = self.changes();
            let call = match p.mode {
                Mode::Test => {
                    self.step_sandbox_payout(&mut p, now, &mut changes);
                    None
                }
                Mode::Live => match self.connector_for(p.operator) {
                    // Committed as `processing` ("may have been sent") before the call, so a
                    // process that dies mid-call leaves a payout that is asked about, never one
                    // that looks unsent.
                    Some(_) => {
                        let seen = p.clone();
                        p.advance(PayoutStatus::Processing, now);
                        p.next_action_at = Some(now.plus(self.config().operator_lease));
                        Some(seen)
                    }
                    None => {
                        self.settle_payout(
                            &mut p,
                            Err((FailureCode::ProviderUnavailable, "NO_CONNECTOR")),
                            now,
                            &mut changes,
                        );
                        None
                    }
                },
            };
            tx.save_payout(&p).await?;
            changes.write(&mut tx).await?;
            self.commit(tx).await?;
            moved += 1;
            if let Some(seen) = call {
                self.call_for_payout(p, seen).await?;
            }
        }
        Ok(moved)
    }

    /// The sandbox's step: to the operator, then the outcome the payee's number chooses.
    fn step_sandbox_payout(&self, p: &mut Payout, now: Timestamp, changes: &mut Changes) {
        match p.status {
            PayoutStatus::Pending => {
                p.advance(PayoutStatus::Processing, now);
                p.operator_reference = Some(kumbu_rails::operator_reference(&p.id));
                p.next_action_at = Some(now.plus(self.config().sandbox_delay));
            }
            PayoutStatus::Processing => {
                let outcome = match kumbu_rails::payout_outcome(&p.payee_phone) {
                    None => Ok(()),
                    Some((code, raw)) => Err((code, raw)),
                };
                self.settle_payout(p, outcome, now, changes);
            }
            PayoutStatus::Succeeded | PayoutStatus::Failed => p.next_action_at = None,
        }
    }

    /// Ends a payout: the money left (its journal), or it is available again.
    fn settle_payout(
        &self,
        p: &mut Payout,
        outcome: Result<(), (FailureCode, &str)>,
        now: Timestamp,
        changes: &mut Changes,
    ) {
        let moved = match outcome {
            Ok(()) => p.advance(PayoutStatus::Succeeded, now),
            Err((code, raw)) => p.fail(
                code,
                Some(raw),
                &format!("the operator did not pay it out: {raw}"),
                now,
            ),
        };
        p.next_action_at = None;
        if !moved {
            return;
        }
        let (kind, event) = match p.status {
            PayoutStatus::Succeeded => (JournalKind::PayoutSucceeded, "payout.succeeded"),
            PayoutStatus::Failed | PayoutStatus::Pending | PayoutStatus::Processing => {
                (JournalKind::PayoutReleased, "payout.failed")
            }
        };
        changes.push_journal(journal(p, kind, now));
        changes.push_event(payout_event(p, event, 2));
    }

    /// Sends a reserved live payout to the operator (`seen` pending) or asks its status, then
    /// commits the news over `p` as reserved.
    async fn call_for_payout(&self, p: Payout, seen: Payout) -> Result<(), EngineError> {
        let now = self.now();
        let news = self
            .disbursement_news(
                p.operator,
                &p.merchant_id,
                Outgoing::Payout(&seen),
                seen.status != PayoutStatus::Pending,
            )
            .await?;
        let mut tx = self.begin().await?;
        let mut changes = self.changes();
        let Some(mut cur) = tx.lock_payout(&p.id).await? else {
            tx.rollback().await?;
            return Ok(());
        };
        if cur.status != p.status {
            // Another process moved it after our lease ran out.
            tx.rollback().await?;
            return Ok(());
        }
        let later = now.plus(self.config().operator_poll_every);
        match news {
            Outbound::Sent => {
                cur.advance(PayoutStatus::Processing, now);
                cur.next_action_at = Some(later);
            }
            Outbound::Undecided => {
                // After an unknown outcome the status is asked next, never sent anew.
                let asked_soon = seen.status == PayoutStatus::Pending;
                cur.advance(PayoutStatus::Processing, now);
                cur.next_action_at = Some(if asked_soon {
                    now.plus(Duration::from_secs(2))
                } else {
                    later
                });
            }
            Outbound::NotFound => {
                // The operator never got it: back to `pending` (the one way back: nothing was
                // sent, the operator says), to be sent again under the same reference.
                cur.status = PayoutStatus::Pending;
                cur.next_action_at = Some(now);
            }
            Outbound::Succeeded => self.settle_payout(&mut cur, Ok(()), now, &mut changes),
            Outbound::Failed {
                code,
                operator_code,
            } => {
                self.settle_payout(&mut cur, Err((code, &operator_code)), now, &mut changes);
            }
        }
        tx.save_payout(&cur).await?;
        changes.write(&mut tx).await?;
        self.commit(tx).await?;
        Ok(())
    }
}
