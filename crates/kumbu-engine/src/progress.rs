//! How a payment moves on what its rail says, as pure rules over a `Payment`: the sandbox
//! (`worker.rs`, `sandbox.rs`) and the live connectors (`live.rs`) both apply an operator's
//! notices, the rail's bookkeeping and the payment's deadline through these, so the two paths
//! cannot disagree. A leaf: it names no other engine object.

use crate::unit_of_work::Changes;
use kumbu_core::{FailureCode, Payment, PaymentStatus, StatusChange, Timestamp, TransitionError};
use kumbu_rails::{Advance, Next, Notice, Via};
use std::time::Duration;

/// Applies one operator notice through the state machine. Duplicate, stale and too-late notices
/// are ignored (and logged): that is how out-of-order callbacks still end right, once.
pub(crate) fn apply_notice(
    p: &mut Payment,
    notice: &Notice,
    via: Via,
    now: Timestamp,
) -> Option<StatusChange> {
    let result = match notice {
        Notice::Accepted { operator_reference } => {
            if p.operator_reference.is_none() {
                p.operator_reference = Some(operator_reference.clone());
            }
            p.transition(PaymentStatus::OperatorPending, via.reason(), now)
        }
        Notice::Prompted => p.transition(PaymentStatus::UserConfirming, via.reason(), now),
        Notice::Debited => p.transition(PaymentStatus::Debited, via.reason(), now),
        Notice::Settled => p.transition(PaymentStatus::Settled, via.reason(), now),
        Notice::Failed {
            code,
            operator_code,
        } => p.fail(*code, Some(operator_code), via.reason(), now),
    };
    match result {
        Ok(change) => Some(change),
        Err(
            e @ (TransitionError::AlreadyThere(_)
            | TransitionError::Backwards { .. }
            // Rail notices never ask for a refund status.
            | TransitionError::NotSettled { .. }),
        ) => {
            tracing::debug!(payment = %p.id, ?notice, reason = %e, "duplicate or stale operator notice ignored");
            None
        }
        Err(e @ TransitionError::Final(_))
            if p.status.is_settled() && matches!(notice, Notice::Debited | Notice::Settled) =>
        {
            // A late copy of the debit or settlement of a payment refunded since.
            tracing::debug!(payment = %p.id, ?notice, reason = %e, "duplicate operator notice ignored");
            None
        }
        Err(e @ (TransitionError::Final(_) | TransitionError::AfterDebit { .. })) => {
            match notice {
                // The operator says money moved for a payment we consider closed without it.
                Notice::Debited | Notice::Settled => tracing::warn!(
                    payment = %p.id, status = p.status.as_str(), ?notice, reason = %e,
                    "operator reports money moved for a closed payment: needs reconciliation"
                ),
                Notice::Accepted { .. } | Notice::Prompted | Notice::Failed { .. } => {
                    tracing::info!(payment = %p.id, ?notice, reason = %e, "operator notice arrived too late; ignored");
                }
            }
            None
        }
    }
}

/// Expires `p` if its deadline has passed before any debit; `true` if it did.
pub(crate) fn expire_if_due(p: &mut Payment, now: Timestamp, changes: &mut Changes) -> bool {
    expire_after_grace(p, now, Duration::ZERO, changes)
}

/// Expires `p` if `grace` has passed since its deadline before any debit; `true` if it did.
pub(crate) fn expire_after_grace(
    p: &mut Payment,
    now: Timestamp,
    grace: Duration,
    changes: &mut Changes,
) -> bool {
    if p.status.is_terminal() || p.status.is_debited() || now < p.expires_at.plus(grace) {
        return false;
    }
    if let Ok(change) = p.fail(
        FailureCode::PaymentExpired,
        None,
        "expired: not confirmed in time",
        now,
    ) {
        changes.record(p, change);
    }
    p.progress.next_action_at = None;
    true
}

/// Sets when `p` is next looked at: when its rail asks, or at its deadline (plus `grace`) if it
/// is not debited yet, whichever is first; never once it is final. With no `grace` the deadline
/// is not ours to keep (a connector's operator holds the payment): only the rail's next matters.
pub(crate) fn schedule(p: &mut Payment, next: Next, now: Timestamp, grace: Option<Duration>) {
    if p.status.is_terminal() {
        p.progress.next_action_at = None;
        return;
    }
    let expiry = grace
        .filter(|_| !p.status.is_debited())
        .map(|g| p.expires_at.plus(g));
    let step_at = match next {
        Next::After(d) => Some(now.plus(d)),
        Next::AwaitPerson | Next::Done => None,
    };
    p.progress.next_action_at = match (step_at, expiry) {
        (Some(s), Some(e)) => Some(s.min(e)),
        (Some(s), None) => Some(s),
        (None, e) => e,
    };
}

/// Applies what a rail said: its notices through the state machine, its bookkeeping, and when
/// to ask it again.
pub(crate) fn apply_advance(
    p: &mut Payment,
    adv: &Advance,
    now: Timestamp,
    grace: Option<Duration>,
    changes: &mut Changes,
) {
    for n in &adv.notices {
        if let Some(change) = apply_notice(p, n, adv.via, now) {
            changes.record(p, change);
        }
    }
    p.progress.step = adv.step;
    if let Some(memo) = &adv.memo {
        p.rail_memo = Some(memo.clone());
    }
    schedule(p, adv.next, now, grace);
}
