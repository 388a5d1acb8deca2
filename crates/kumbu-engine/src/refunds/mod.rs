//! Refunds: money back from the merchant to the payer of a settled payment.
//!
//! Creating one locks the payment row, so two refunds racing for the same balance are decided
//! one after the other: the second sees the first in flight and is refused (a unique index on
//! "one refund in flight per payment" backs this on both backends). The refund worker then moves
//! it `pending → processing → succeeded | failed` (refund_worker.rs): in test mode through the
//! sandbox, in live mode through the payment's operator (a disbursement, for the connectors Kumbu has).
//!
//! Sandbox trigger: a refund whose amount ends in `13` (minor units) fails with
//! `PROVIDER_ERROR`, as if the operator refused it.

mod worker;

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::ids::has_shape;
use kumbu_core::{new_id, ErrorCode, Field, IdPrefix, Mode, Refund, RefundStatus, Rejection};
use kumbu_store::{NewEvent, StoreError, StoreTx};
use std::collections::BTreeMap;

/// How many refunds one worker pass moves.
pub(crate) const REFUND_BATCH: usize = 128;

/// A refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRefund {
    /// `pay_…`
    pub payment_id: String,
    /// Minor units; `None` refunds all that remains.
    pub amount: Option<i64>,
    /// Why, in words (at most 500 characters).
    pub reason: Option<String>,
    /// Merchant data (at most 50 keys).
    pub metadata: BTreeMap<String, String>,
}

fn conflict(msg: impl Into<String>) -> EngineError {
    EngineError::Rejected(Rejection::field(
        ErrorCode::PaymentStateConflict,
        Field::Id,
        msg,
    ))
}

/// Whether the sandbox operator refuses this refund (documented trigger: amount ends in 13).
pub(crate) fn sandbox_refuses(amount: i64) -> bool {
    amount % 100 == 13
}

pub(crate) fn refund_event(r: &Refund, event_type: &str, seq: i64) -> NewEvent {
    crate::unit_of_work::object_event(
        event_type,
        seq,
        (&r.merchant_id, r.mode),
        &r.id,
        r.updated_at,
        r,
    )
}

impl Engine {
    /// Refunds (part of) a settled payment. `render` turns the new refund into the face's
    /// response, stored under the Idempotency-Key.
    pub async fn create_refund(
        &self,
        auth: &AuthContext,
        cmd: CreateRefund,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Refund) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let shown = cmd.amount.map_or_else(
            || "all that remains".to_owned(),
            |a| format!("{a} minor units"),
        );
        let auth = &auth.or_key("payment.refunded", &cmd.payment_id, shown);
        if !has_shape(&cmd.payment_id, IdPrefix::Payment) {
            return Err(EngineError::not_found("payment", &cmd.payment_id));
        }
        if let Some(r) = &cmd.reason {
            crate::validate::plain_text(Field::Description, r, "reason")?;
            if r.chars().count() > 500 {
                return Err(EngineError::field(
                    ErrorCode::ParameterInvalid,
                    Field::Description,
                    "reason must be at most 500 characters",
                ));
            }
        }
        crate::validate::check_metadata(&cmd.metadata)?;
        if cmd.amount.is_some_and(|a| a < 1) {
            return Err(EngineError::field(
                ErrorCode::AmountOutOfRange,
                Field::Amount,
                "amount must be a positive integer of minor units",
            ));
        }
        let outcome = self
            .idempotent(auth, idem, async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let p = tx
                    .lock_payment(&auth.merchant_id, auth.mode, &cmd.payment_id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("payment", &cmd.payment_id))?;
                if p.operator == kumbu_core::Operator::External {
                    return Err(conflict(format!(
                        "payment {} was recorded from outside Kumbu: its money never passed through Kumbu, so it is returned where it was paid",
                        p.id
                    )));
                }
                if !p.status.is_debited() {
                    return Err(conflict(format!(
                        "payment {} is {}: only debited or settled payments can be refunded",
                        p.id,
                        p.status.as_str()
                    )));
                }
                if !tx.refunds_in_flight(&p.id).await?.is_empty() {
                    return Err(conflict(format!(
                        "payment {} already has a refund in flight; wait for it to end",
                        p.id
                    )));
                }
                let remaining = p.amount - p.amount_refunded;
                if remaining <= 0 {
                    return Err(conflict(format!("payment {} is fully refunded", p.id)));
                }
                let amount = cmd.amount.unwrap_or(remaining);
                if amount > remaining {
                    return Err(EngineError::field(
                        ErrorCode::AmountOutOfRange,
                        Field::Amount,
                        // Without the payment's id: each face writes ids its own way.
                        format!(
                            "amount {amount} is more than the {remaining} minor units left to refund on this payment"
                        ),
                    ));
                }
                // A live refund goes to the payment's operator, under a reference written now.
                let operator_refund_id = match auth.mode {
                    Mode::Test => None,
                    Mode::Live => Some(
                        self.require_disbursement(&p.merchant_id, p.operator, kumbu_rails::connector::Duty::Refund, "refunds")
                            .await?,
                    ),
                };
                let refund = Refund {
                    id: new_id(IdPrefix::Refund),
                    payment_id: p.id.clone(),
                    merchant_id: p.merchant_id.clone(),
                    mode: p.mode,
                    amount,
                    currency: p.currency,
                    status: RefundStatus::Pending,
                    reason: cmd.reason,
                    metadata: cmd.metadata,
                    next_action_at: Some(match operator_refund_id {
                        Some(_) => now,
                        None => now.plus(self.config().sandbox_delay),
                    }),
                    operator_refund_id,
                    failure_code: None,
                    failure_message: None,
                    created_at: now,
                    updated_at: now,
                };
                match tx.insert_refund(&refund).await {
                    Ok(()) => {}
                    Err(StoreError::Conflict(_)) => {
                        return Err(conflict(format!(
                            "payment {} already has a refund in flight; wait for it to end",
                            p.id
                        )))
                    }
                    Err(e) => return Err(e.into()),
                }
                changes.push_event(refund_event(&refund, "refund.created", 1));
                changes.write(tx).await?;
                Ok(Verdict::Done(render(&refund)))
            })
            .await?;
        if !outcome.replayed {
            self.inner.work_ready.notify_one();
        }
        Ok(outcome)
    }

    /// One of the caller's refunds.
    pub async fn refund(&self, auth: &AuthContext, id: &str) -> Result<Refund, EngineError> {
        if !has_shape(id, IdPrefix::Refund) {
            return Err(EngineError::not_found("refund", id));
        }
        self.store()
            .refund(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("refund", id))
    }

    /// A newest-first page of the caller's refunds, optionally of one payment.
    pub async fn list_refunds(
        &self,
        auth: &AuthContext,
        payment_id: Option<&str>,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Refund>, bool), EngineError> {
        let not_ours = |after: &str| EngineError::unknown_cursor("refunds", after);
        EngineError::check_cursor(starting_after, IdPrefix::Refund, "refunds")?;
        self.store()
            .list_refunds(
                &auth.merchant_id,
                auth.mode,
                payment_id,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| not_ours(starting_after.unwrap_or_default()))
    }
}
