//! Checkout sessions: the hosted payment page's engine object.
//!
//! A merchant creates a session (amount or line items, currency, the operators offered, where
//! to send the customer afterwards) and sends the customer to its page. On the page the
//! customer picks an operator and a number; each try is an ordinary payment linked to the
//! session (an *attempt*), so ledger, events, refunds and webhooks work as for any payment.
//!
//! Rules, each enforced in one transaction:
//! - **One attempt in flight.** Starting an attempt locks the session row and refuses while its
//!   latest attempt still waits for the payer; a partial unique index on payments backs this.
//! - **Completes once.** When an attempt is debited, whatever debits it (the rail worker, the
//!   sandbox phone) completes its session in the same transaction ([`Changes`] does it on
//!   write), so a session cannot complete twice and a debit never goes unrecorded.
//! - **Expiry.** An attempt never outlives its session (its `expires_at` is at most the
//!   session's), and the due-action worker expires a session once its latest attempt has
//!   ended, so a session never expires under a payment that is being debited.
//! - **Limits.** At most [`MAX_ATTEMPTS`] attempts per session and [`MAX_PROMPTS_PER_PHONE`]
//!   checkout prompts to one number in [`PHONE_WINDOW`] (across merchants and processes: the
//!   count is read from the payments table), so a page cannot be used to spam a phone.

mod page;
mod sessions;

pub use page::CheckoutPage;
pub use sessions::{CreateCheckoutSession, MAX_ITEMS, MAX_QUANTITY};

use crate::error::EngineError;
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::{
    Attempt, CheckoutSession, CheckoutStatus, ErrorCode, FailureCode, Field, Mode, Payment,
    PaymentStatus, Timestamp,
};
use kumbu_store::{NewEvent, SessionKey, StoreError, StoreTx};
use std::time::Duration;

/// Most payment attempts one session may start.
pub const MAX_ATTEMPTS: u32 = 5;
/// Most checkout prompts sent to one phone number within [`PHONE_WINDOW`] (live: across
/// merchants; test: within the merchant).
pub const MAX_PROMPTS_PER_PHONE: i64 = 5;
/// The window of the per-number limit.
pub const PHONE_WINDOW: Duration = Duration::from_secs(600);
/// Shortest, default and longest session lifetime, in minutes.
pub const EXPIRY_MINUTES: (u32, u32, u32) = (5, 30, 1440);
/// An attempt needs at least this long before its session expires.
pub(crate) const MIN_ATTEMPT_TIME: Duration = Duration::from_secs(30);
/// How many due sessions one worker pass expires.
const EXPIRY_BATCH: u32 = 128;

fn session_event(s: &CheckoutSession, event_type: &str, seq: i64) -> NewEvent {
    crate::unit_of_work::object_event(
        event_type,
        seq,
        (&s.merchant_id, s.mode),
        &s.id,
        s.updated_at,
        s,
    )
}

/// The attempt view of a payment.
fn attempt_of(p: &Payment) -> Attempt {
    Attempt {
        payment_id: p.id.clone(),
        status: p.status,
        operator: p.operator,
        payer_phone: p.payer_phone.clone(),
        operator_reference: p.operator_reference.clone(),
        failure_code: p.failure_code,
        expires_at: p.expires_at,
        updated_at: p.updated_at,
        handover: p.handover.clone(),
    }
}

/// The name the operator holds for the payer of a paid session, where it is known: the
/// sandbox's directory in test mode; live connectors do not report it yet.
pub fn payer_name(s: &CheckoutSession) -> Option<String> {
    let phone = s
        .attempt
        .as_ref()
        .filter(|_| s.payment_id.is_some())?
        .payer_phone
        .as_ref()?;
    match s.mode {
        Mode::Test => Some(kumbu_rails::directory::account_holder(phone)),
        Mode::Live => None,
    }
}

/// When the worker should next look at a session: its expiry while open.
fn due_at(s: &CheckoutSession) -> Option<Timestamp> {
    (!s.status.is_terminal()).then_some(s.expires_at)
}

/// The step that follows an attempt's debit: its session completes, in the same transaction
/// (given to every `Changes` by the engine).
#[derive(Debug)]
pub(crate) struct CompleteSessions;

impl crate::unit_of_work::AfterDebit for CompleteSessions {
    fn after_debit<'a>(
        &'a self,
        tx: &'a mut StoreTx,
        changes: &'a mut Changes,
        payment: &'a Payment,
    ) -> crate::unit_of_work::StepFuture<'a> {
        Box::pin(complete_session(tx, changes, payment, payment.updated_at))
    }
}

/// Records that `p` (an attempt) was debited: its session completes when `changes` is written.
async fn complete_session(
    tx: &mut StoreTx,
    changes: &mut Changes,
    p: &Payment,
    at: Timestamp,
) -> Result<(), StoreError> {
    let Some(id) = &p.checkout_session_id else {
        return Ok(());
    };
    let key = SessionKey::Id {
        merchant_id: &p.merchant_id,
        mode: p.mode,
        id,
    };
    let Some(mut s) = tx.lock_checkout_session(key).await? else {
        return Err(StoreError::Corrupt(format!(
            "payment {} names a missing checkout session {id}",
            p.id
        )));
    };
    if s.status.is_terminal() {
        // Cannot happen by the rules above (an attempt ends with its session); if it did, the
        // payment still stands, and the merchant sees it.
        tracing::warn!(payment = %p.id, session = %s.id, status = s.status.as_str(),
            "a checkout attempt was debited after its session closed: needs reconciliation");
        return Ok(());
    }
    s.payment_id = Some(p.id.clone());
    s.attempt = Some(attempt_of(p));
    end_session(tx, changes, &mut s, CheckoutStatus::Completed, at).await
}

/// Moves an open session to the final status `to` and records it in `tx`: its row, and the
/// event `checkout.<to>` with the session as it now is.
async fn end_session(
    tx: &mut StoreTx,
    changes: &mut Changes,
    s: &mut CheckoutSession,
    to: CheckoutStatus,
    at: Timestamp,
) -> Result<(), StoreError> {
    s.transition(to, at)
        .map_err(|e| StoreError::Corrupt(format!("session {}: {e}", s.id)))?;
    tx.save_checkout_session(s, None).await?;
    let seq = tx.next_object_seq(&s.id).await?;
    changes.push_event(session_event(s, &format!("checkout.{}", to.as_str()), seq));
    Ok(())
}

impl Engine {
    /// Closes an open session as `to`. An attempt not yet sent to the operator is cancelled
    /// with it, an overdue one is expired first (the worker may lag), and one with the operator
    /// refuses the close (`checkout_attempt_in_progress`): a debit could still follow. Locks the
    /// attempt's payment before the session (the order the rail worker takes them in). `seen`
    /// is the session as read before the transaction; if another attempt started since, the
    /// caller's retry sees it. Returns the session as it now is.
    async fn close_session(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        key: SessionKey<'_>,
        seen: &CheckoutSession,
        to: CheckoutStatus,
        reason: &str,
    ) -> Result<CheckoutSession, EngineError> {
        let now = self.now();
        let mut attempt = match seen.attempt_in_flight() {
            Some(a) => {
                tx.lock_payment(&seen.merchant_id, seen.mode, &a.payment_id)
                    .await?
            }
            None => None,
        };
        let mut s = tx
            .lock_checkout_session(key)
            .await?
            .ok_or_else(|| EngineError::not_found("checkout session", &seen.id))?;
        if s.status.is_terminal() {
            return Ok(s);
        }
        if let Some(a) = s.attempt_in_flight() {
            if attempt.as_ref().map(|p| &p.id) != Some(&a.payment_id) {
                return Err(EngineError::field(
                    ErrorCode::CheckoutAttemptInProgress,
                    Field::Id,
                    "a payment started on this page just now; try again",
                ));
            }
        }
        if let Some(p) = attempt.as_mut() {
            // A live request the operator may have: only the operator ends it.
            if self.with_operator(p, now) {
                return Err(EngineError::field(
                    ErrorCode::CheckoutAttemptInProgress,
                    Field::Id,
                    "a payment request is with the operator; it must be refused there or expire before the session can close",
                ));
            }
            if crate::progress::expire_if_due(p, now, changes) {
                tx.save_payments(&[&*p]).await?;
                s.attempt = Some(attempt_of(p));
            }
            match p.status {
                // Not yet sent to the operator: nothing can be debited, it is safe to cancel.
                PaymentStatus::Created => {
                    if let Ok(change) = p.fail(FailureCode::Cancelled, None, reason, now) {
                        p.progress.next_action_at = None;
                        changes.record(p, change);
                        tx.save_payments(&[&*p]).await?;
                        s.attempt = Some(attempt_of(p));
                    }
                }
                // The prompt may be on the payer's phone: closing now could leave a debit
                // that no session records. It ends by itself (refused, approved or expired).
                PaymentStatus::OperatorPending | PaymentStatus::UserConfirming => {
                    return Err(EngineError::field(
                        ErrorCode::CheckoutAttemptInProgress,
                        Field::Id,
                        format!(
                            "a payment request is on the payer's phone until {}; it must be refused there or expire before the session can close",
                            p.expires_at.to_rfc3339()
                        ),
                    ));
                }
                PaymentStatus::Debited
                | PaymentStatus::Settled
                | PaymentStatus::PartiallyRefunded
                | PaymentStatus::Refunded
                | PaymentStatus::Failed
                | PaymentStatus::Expired
                | PaymentStatus::Cancelled => {}
            }
        }
        if s.attempt_in_flight().is_some() {
            // Only if cancelling failed, which the core refuses only after a debit (and a
            // debit completes the session): leave the session as it is.
            return Ok(s);
        }
        end_session(tx, changes, &mut s, to, now).await?;
        changes.write(tx).await?;
        Ok(s)
    }

    /// Expires `s` (open and overdue) in `tx`.
    async fn expire_now(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        s: &mut CheckoutSession,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        end_session(tx, changes, s, CheckoutStatus::Expired, now).await?;
        changes.write(tx).await
    }

    /// Expires due sessions whose latest attempt has ended (one still in flight ends by its
    /// own expiry, which is never later than the session's; the session is looked at again a
    /// second later). Runs inside the due-action worker's transaction.
    pub(crate) async fn expire_due_sessions(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let due = tx.claim_due_checkout_sessions(now, EXPIRY_BATCH).await?;
        let n = due.len();
        for mut s in due {
            if s.status.is_terminal() {
                tx.save_checkout_session(&s, None).await?;
            } else if s.attempt_in_flight().is_some() {
                tx.save_checkout_session(&s, Some(now.plus(Duration::from_secs(1))))
                    .await?;
            } else {
                end_session(tx, changes, &mut s, CheckoutStatus::Expired, now).await?;
            }
        }
        Ok(n)
    }
}
