//! Payouts: money a merchant sends from its available balance to a mobile wallet. Test mode
//! pays out through the sandbox (the payee's number chooses the outcome); live mode through
//! the operator's connector (a disbursement to the payee's wallet).
//!
//! Accepting a payout locks the merchant's available-balance account row, checks the amount
//! against it and reserves it (a journal to `payouts_in_flight`) in the same transaction, so
//! two payouts can never spend the same money. A payout that fails gives it back.
//!
//! The payout worker (`worker.rs`) moves each payout `pending → processing → succeeded | failed`.

mod worker;

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::validate::{check_metadata, plain_text};
use crate::Engine;
use kumbu_core::ids::has_shape;
use kumbu_core::ledger::{payout_postings, JournalKind};
use kumbu_core::{
    new_id, Currency, Direction, ErrorCode, Field, IdPrefix, Mode, Msisdn, Operator, Payout,
    PayoutStatus, Timestamp,
};
use kumbu_store::{NewEvent, NewJournal, StoreError, StoreTx};
use std::collections::BTreeMap;

/// How many payouts one worker pass moves.
const PAYOUT_BATCH: usize = 128;

/// A payout request, parsed by a face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayout {
    /// Minor units.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
    /// The payee's operator.
    pub operator: Operator,
    /// The payee's number.
    pub payee_phone: Msisdn,
    /// The merchant's reference (unique per merchant and mode, at most 128 characters).
    pub reference: Option<String>,
    /// Free text (at most 160 characters: what the payee's wallet shows).
    pub description: Option<String>,
    /// Merchant data.
    pub metadata: BTreeMap<String, String>,
}

/// The name the operator holds for a payee's number, where known: the sandbox's directory in
/// test mode; live connectors do not report it yet.
pub fn payee_holder(p: &Payout) -> Option<String> {
    match p.mode {
        Mode::Test => Some(kumbu_rails::directory::account_holder(&p.payee_phone)),
        Mode::Live => None,
    }
}

fn payout_event(p: &Payout, event_type: &str, seq: i64) -> NewEvent {
    crate::unit_of_work::object_event(
        event_type,
        seq,
        (&p.merchant_id, p.mode),
        &p.id,
        p.updated_at,
        p,
    )
}

fn journal(p: &Payout, kind: JournalKind, at: Timestamp) -> NewJournal {
    NewJournal {
        id: new_id(IdPrefix::Journal),
        kind,
        payment_id: None,
        refund_id: None,
        payout_id: Some(p.id.clone()),
        merchant_id: p.merchant_id.clone(),
        mode: p.mode,
        currency: p.currency,
        postings: payout_postings(kind, p.amount, p.fee),
        created_at: at,
    }
}

impl Engine {
    fn validate_payout(&self, mode: Mode, cmd: &CreatePayout) -> Result<(), EngineError> {
        self.check_push_rail(
            mode,
            cmd.operator,
            cmd.currency,
            &cmd.payee_phone,
            Field::PayeePhone,
            cmd.amount,
        )?;
        check_metadata(&cmd.metadata)?;
        for (field, value, name, max) in [
            (Field::Reference, &cmd.reference, "reference", 128),
            (Field::Description, &cmd.description, "description", 160),
        ] {
            if let Some(v) = value {
                if v.is_empty() || v.chars().count() > max {
                    return Err(EngineError::field(
                        ErrorCode::ParameterInvalid,
                        field,
                        format!("{name} must be 1 to {max} characters"),
                    ));
                }
                plain_text(field, v, name)?;
            }
        }
        Ok(())
    }

    /// Accepts a payout: checks it, reserves its amount from the available balance, and hands
    /// it to the payout worker. `render` makes the face's response, stored under the key.
    pub async fn create_payout(
        &self,
        auth: &AuthContext,
        cmd: CreatePayout,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payout) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let detail = format!(
            "{} {} to {}",
            cmd.currency.format_decimal(cmd.amount),
            cmd.currency.code(),
            cmd.operator.code()
        );
        let auth = &auth.or_key("payout.created", "", detail);
        self.validate_payout(auth.mode, &cmd)?;
        let operator_reference = match auth.mode {
            Mode::Test => None,
            Mode::Live => Some(
                self.require_disbursement(
                    &auth.merchant_id,
                    cmd.operator,
                    kumbu_rails::connector::Duty::Disburse,
                    "payouts",
                )
                .await?,
            ),
        };
        let outcome = self
            .idempotent(auth, idem, async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let fee = tx
                    .price(&auth.merchant_id, cmd.operator, Direction::Payout)
                    .await?
                    .map_or(0, |p| p.schedule.fee_for(cmd.amount));
                let money = tx.lock_money(&auth.merchant_id, auth.mode, cmd.currency).await?;
                // Refunds in flight will take their money from the available balance too.
                let available = money.available - money.refunds_in_flight;
                if available < cmd.amount + fee {
                    return Err(EngineError::field(
                        ErrorCode::BalanceInsufficient,
                        Field::Amount,
                        format!(
                            "the available balance is {} {} minor units, less than the {} asked and its fee of {}; payments settle into it (GET /v1/balance)",
                            available, cmd.currency, cmd.amount, fee
                        ),
                    ));
                }
                let first_look = match operator_reference {
                    Some(_) => now,
                    None => now.plus(self.config().sandbox_delay),
                };
                let payout = Payout {
                    id: new_id(IdPrefix::Payout),
                    merchant_id: auth.merchant_id.clone(),
                    mode: auth.mode,
                    amount: cmd.amount,
                    fee,
                    currency: cmd.currency,
                    operator: cmd.operator,
                    payee_phone: cmd.payee_phone,
                    reference: cmd.reference,
                    description: cmd.description,
                    metadata: cmd.metadata,
                    status: PayoutStatus::Pending,
                    operator_reference,
                    failure_code: None,
                    failure_message: None,
                    operator_code: None,
                    created_at: now,
                    updated_at: now,
                    next_action_at: Some(first_look),
                };
                match tx.insert_payout(&payout).await {
                    Ok(()) => {}
                    Err(StoreError::Conflict(_)) => {
                        return Err(EngineError::field(
                            ErrorCode::ReferenceAlreadyUsed,
                            Field::Reference,
                            "this reference is already used by another payout of this merchant",
                        ))
                    }
                    Err(e) => return Err(e.into()),
                }
                changes.push_journal(journal(&payout, JournalKind::PayoutReserved, now));
                changes.push_event(payout_event(&payout, "payout.created", 1));
                changes.write(tx).await?;
                Ok(Verdict::Done(render(&payout)))
            })
            .await?;
        if !outcome.replayed {
            metrics::counter!("kumbu_payouts_created_total").increment(1);
        }
        Ok(outcome)
    }

    /// One of the caller's payouts.
    pub async fn payout(&self, auth: &AuthContext, id: &str) -> Result<Payout, EngineError> {
        if !has_shape(id, IdPrefix::Payout) {
            return Err(EngineError::not_found("payout", id));
        }
        self.store()
            .payout(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("payout", id))
    }

    /// A newest-first page of the caller's payouts.
    pub async fn list_payouts(
        &self,
        auth: &AuthContext,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Payout>, bool), EngineError> {
        let not_ours = |after: &str| EngineError::unknown_cursor("payouts", after);
        EngineError::check_cursor(starting_after, IdPrefix::Payout, "payouts")?;
        self.store()
            .list_payouts(
                &auth.merchant_id,
                auth.mode,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| not_ours(starting_after.unwrap_or_default()))
    }
}
