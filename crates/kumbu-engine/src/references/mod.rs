//! Bank references (Multicaixa): create or update, delete, read, reference ids from the LFSR,
//! and payments against a reference, which the sandbox simulates as the Multicaixa network would
//! report them. Live references of a merchant with a gateway (ProxyPay) are also issued there,
//! and the gateway's payments recorded (`upstream.rs`).

mod upstream;

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::lfsr::{next_reference_id, MAX_ID};
use kumbu_core::payment::RailProgress;
use kumbu_core::reference::{check_amount, check_custom_fields};
use kumbu_core::{
    new_id, BankPayment, Currency, ErrorCode, Field, IdPrefix, Mode, Operator, Payment,
    PaymentStatus, Period, Reference, ReferenceStatus, Rejection, StatusChange,
};
use kumbu_store::StoreTx;
use rand::Rng;
use std::collections::BTreeMap;

/// Create or update a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutReference {
    /// 1 to 999,999,999.
    pub id: u64,
    /// Required amount (AOA minor units), or any.
    pub amount: Option<i64>,
    /// End date or date-time as given (see `kumbu_core::reference::parse_end`).
    pub end_datetime: Option<String>,
    /// Copied onto each payment.
    pub custom_fields: BTreeMap<String, String>,
}

/// Steps the caller's generator inside `tx` (which holds its row lock until commit).
async fn next_reference_id_in(tx: &mut StoreTx, auth: &AuthContext) -> Result<u64, EngineError> {
    let seed = rand::thread_rng().gen_range(1..=MAX_ID);
    let (mut state, mut issued) = tx
        .lock_reference_generator(&auth.merchant_id, auth.mode, seed)
        .await?;
    let mut skips = 0;
    loop {
        state = next_reference_id(state);
        issued += 1;
        if !tx
            .reference_exists(&auth.merchant_id, auth.mode, state)
            .await?
        {
            break;
        }
        skips += 1;
        if skips > MAX_SKIPS {
            return Err(EngineError::Rejected(Rejection::new(
                ErrorCode::ServiceUnavailable,
                "no free reference id found; delete unused references or choose ids yourself",
            )));
        }
    }
    tx.save_reference_generator(&auth.merchant_id, auth.mode, state, issued)
        .await?;
    Ok(state)
}

/// How many ids the generator skips at most because the merchant already chose them, before
/// giving up (a merchant would need to hold that many consecutive ids in LFSR order).
const MAX_SKIPS: usize = 10_000;

impl Engine {
    /// Validates a create-or-update command into the reference it would store.
    fn check_reference(
        &self,
        auth: &AuthContext,
        cmd: PutReference,
    ) -> Result<Reference, EngineError> {
        let now = self.now();
        if cmd.id > MAX_ID {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::ReferenceId,
                "reference id must be from 1 to 999999999",
            ));
        }
        if let Some(a) = cmd.amount {
            check_amount(a)?;
        }
        let end_at = cmd
            .end_datetime
            .as_deref()
            .map(|t| kumbu_core::reference::parse_end(t, now))
            .transpose()?;
        check_custom_fields(&cmd.custom_fields)?;
        Ok(Reference {
            id: cmd.id,
            merchant_id: auth.merchant_id.clone(),
            mode: auth.mode,
            amount: cmd.amount,
            end_at,
            custom_fields: cmd.custom_fields,
            status: ReferenceStatus::Active,
            created_at: now,
            updated_at: now,
            face: auth.face,
        })
    }

    /// Creates a reference, or updates its amount, end and custom fields.
    pub async fn put_reference(
        &self,
        auth: &AuthContext,
        cmd: PutReference,
    ) -> Result<Reference, EngineError> {
        if cmd.id == 0 {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::ReferenceId,
                "reference id must be from 1 to 999999999",
            ));
        }
        let r = self.check_reference(auth, cmd)?;
        let gateway = self.gateway(&auth.merchant_id, auth.mode).await?;
        let mut tx = self.store().begin().await?;
        tx.upsert_reference(&r).await?;
        tx.assign_merchant_entity(&auth.merchant_id).await?;
        if gateway.is_some() {
            // Committed as "to send" first: if this process stops before the gateway answers,
            // the worker sends it.
            self.mark_to_send(&mut tx, &r).await?;
        }
        let stored = tx
            .lock_reference(&auth.merchant_id, auth.mode, r.id)
            .await?;
        tx.commit().await?;
        let stored =
            stored.ok_or_else(|| EngineError::not_found("reference", &format!("{:09}", r.id)))?;
        if let Some(g) = gateway {
            self.send_upstream(&g, &stored)
                .await?
                .into_result(&g.0, stored.id)?;
        }
        Ok(stored)
    }

    /// Marks `r`'s change as to be sent to its gateway: due once the call this request makes
    /// must have ended, so that the worker sends it if this process stops first.
    async fn mark_to_send(&self, tx: &mut StoreTx, r: &Reference) -> Result<(), EngineError> {
        tx.set_reference_upstream(
            (&r.merchant_id, r.mode, r.id),
            kumbu_store::UpstreamState::Pending,
            Some(self.now().plus(self.to_send_after())),
            None,
            false,
        )
        .await?;
        Ok(())
    }

    /// Deletes a reference: it can no longer be paid.
    pub async fn delete_reference(&self, auth: &AuthContext, id: u64) -> Result<(), EngineError> {
        let gateway = self.gateway(&auth.merchant_id, auth.mode).await?;
        let mut tx = self.store().begin().await?;
        match tx.lock_reference(&auth.merchant_id, auth.mode, id).await? {
            Some(mut r) if r.status != ReferenceStatus::Deleted => {
                tx.set_reference_status(
                    &auth.merchant_id,
                    auth.mode,
                    id,
                    ReferenceStatus::Deleted,
                    self.now(),
                )
                .await?;
                r.status = ReferenceStatus::Deleted;
                if gateway.is_some() {
                    self.mark_to_send(&mut tx, &r).await?;
                }
                tx.commit().await?;
                if let Some(g) = gateway {
                    self.send_upstream(&g, &r).await?.into_result(&g.0, id)?;
                }
                Ok(())
            }
            Some(_) => {
                // Already deleted: deleting again is harmless (clients retry after timeouts).
                tx.rollback().await?;
                Ok(())
            }
            None => {
                tx.rollback().await?;
                Err(EngineError::not_found("reference", &format!("{id:09}")))
            }
        }
    }

    /// One of the caller's references (deleted ones too, with that status).
    pub async fn reference(&self, auth: &AuthContext, id: u64) -> Result<Reference, EngineError> {
        self.store()
            .reference(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("reference", &format!("{id:09}")))
    }

    /// A newest-first page of the caller's references.
    pub async fn list_references(
        &self,
        auth: &AuthContext,
        starting_after: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Reference>, bool), EngineError> {
        Ok(self
            .store()
            .list_references(&auth.merchant_id, auth.mode, starting_after, limit)
            .await?)
    }

    /// The next id from the caller's reference-id generator: a maximum-length LFSR whose state is
    /// stored (and locked while it steps), so restarts and concurrent processes never hand out an
    /// id twice. Ids the merchant already used for a reference are skipped.
    pub async fn new_reference_id(&self, auth: &AuthContext) -> Result<u64, EngineError> {
        let mut tx = self.store().begin().await?;
        match next_reference_id_in(&mut tx, auth).await {
            Ok(id) => {
                tx.commit().await?;
                Ok(id)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }

    /// Creates a reference under a fresh id from the generator (the native `POST
    /// /v1/references`); with an Idempotency-Key a retry returns the same reference.
    pub async fn create_reference(
        &self,
        auth: &AuthContext,
        cmd: PutReference,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Reference, Option<i64>) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let checked = self.check_reference(auth, cmd)?;
        let gateway = self.gateway(&auth.merchant_id, auth.mode).await?;
        let to_send = gateway.is_some();
        let made = std::sync::Mutex::new(None);
        let outcome = self
            .idempotent(auth, idem, async |tx: &mut StoreTx, _: &mut Changes| {
                let mut r = checked;
                // A concurrent PUT may take the id between the generator's check and the
                // insert: then take the next one, never overwrite.
                loop {
                    r.id = next_reference_id_in(tx, auth).await?;
                    if tx.insert_reference(&r).await? {
                        break;
                    }
                }
                let entity = tx.assign_merchant_entity(&auth.merchant_id).await?;
                if to_send {
                    self.mark_to_send(tx, &r).await?;
                }
                let answer = render(&r, Some(entity));
                *made
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
                Ok(Verdict::Done(answer))
            })
            .await?;
        let made = made
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Some(g), Some(r)) = (gateway, made) {
            self.send_upstream(&g, &r).await?.into_result(&g.0, r.id)?;
        }
        Ok(outcome)
    }

    /// The merchant's Multicaixa entity, which payers key in with the reference (assigned with
    /// the merchant's first reference).
    pub async fn multicaixa_entity(&self, auth: &AuthContext) -> Result<Option<i64>, EngineError> {
        Ok(self.store().merchant_entity(&auth.merchant_id).await?)
    }

    /// A payment of `amount` (AOA minor units) against reference `id`, as the Multicaixa network
    /// reports one: checked against the reference (refused with no payment and no event if it is
    /// unknown, deleted, expired or for another amount), then recorded settled, with its events
    /// and ledger journals, in one transaction. Only the sandbox simulates these (test mode).
    pub async fn simulate_reference_payment(
        &self,
        auth: &AuthContext,
        id: u64,
        amount: i64,
    ) -> Result<Payment, EngineError> {
        if auth.mode != Mode::Test {
            return Err(EngineError::Rejected(Rejection::new(
                ErrorCode::TestModeOnly,
                "mock payments exist only in the sandbox: use a test key (sk_test_…)",
            )));
        }
        check_amount(amount)?;
        let mut tx = self.begin().await?;
        let mut changes = self.changes();
        match self
            .record_reference_payment(&mut tx, &mut changes, auth, id, amount)
            .await
        {
            Ok(payment) => {
                self.commit(tx).await?;
                changes.publish_metrics();
                Ok(payment)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }

    async fn record_reference_payment(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        auth: &AuthContext,
        id: u64,
        amount: i64,
    ) -> Result<Payment, EngineError> {
        let now = self.now();
        let reference = tx
            .lock_reference(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| {
                EngineError::field(
                    ErrorCode::ReferenceNotPayable,
                    Field::ReferenceId,
                    format!("reference {id:09} does not exist"),
                )
            })?;
        reference.check_payable(amount, now)?;
        let entity = tx.assign_merchant_entity(&auth.merchant_id).await?;
        let period = Period::containing(now);
        let transaction = tx
            .next_period_transaction(&auth.merchant_id, auth.mode, period.start)
            .await?;
        if transaction >= kumbu_core::multicaixa::MAX_TRANSACTIONS {
            return Err(EngineError::Rejected(Rejection::new(
                ErrorCode::ServiceUnavailable,
                "this Multicaixa period has no transaction numbers left; retry after 19:00 UTC",
            )));
        }
        let bank = BankPayment::simulated(id, entity, period, transaction, now);
        // The simulated network payment is asked for through a face; a gateway's takes its
        // reference's (`upstream.rs`).
        let price = self
            .collect_price(tx, &auth.merchant_id, Operator::Multicaixa)
            .await?;
        let payment = self.bank_payment(
            (&auth.merchant_id, auth.mode),
            (bank, price),
            amount,
            reference.custom_fields.clone(),
            auth.face,
            now,
        );
        let payment = self
            .settle_bank_payment(tx, changes, payment, "reported by multicaixa", now)
            .await?;
        if reference.status == ReferenceStatus::Active {
            tx.set_reference_status(&auth.merchant_id, auth.mode, id, ReferenceStatus::Paid, now)
                .await?;
        }
        Ok(payment)
    }

    /// A payment by reference as the network reports it, `created`, not yet stored.
    pub(crate) fn bank_payment(
        &self,
        (merchant_id, mode): (&str, Mode),
        (bank, price): (BankPayment, kumbu_core::Price),
        amount: i64,
        metadata: BTreeMap<String, String>,
        face: Option<kumbu_core::Face>,
        now: kumbu_core::Timestamp,
    ) -> Payment {
        Payment {
            id: new_id(IdPrefix::Payment),
            merchant_id: merchant_id.to_owned(),
            mode,
            status: PaymentStatus::Created,
            amount,
            fee: price.schedule.fee_for(amount),
            refund_fee: price.refund_fee,
            currency: Currency::Aoa,
            operator: Operator::Multicaixa,
            amount_refunded: 0,
            payer_phone: None,
            operator_reference: Some(bank.payment_id.to_string()),
            bank: Some(bank),
            customer_name: None,
            customer_email: None,
            reference: None,
            description: None,
            statement_descriptor: None,
            customer_id: None,
            checkout_session_id: None,
            collection_request_id: None,
            record: None,
            deleted_at: None,
            face,
            metadata,
            failure_code: None,
            failure_message: None,
            operator_code: None,
            created_at: now,
            updated_at: now,
            expires_at: now,
            history: vec![StatusChange {
                from: None,
                to: PaymentStatus::Created,
                reason: "paid by reference".to_owned(),
                at: now,
            }],
            progress: RailProgress {
                step: 0,
                next_action_at: None,
            },
            rail_memo: None,
            handover: None,
        }
    }

    /// Stores `payment` (a payment by reference) and settles it, with its events and journals,
    /// in `tx`. A second payment with its bank payment id is a `StoreError::Conflict`.
    pub(crate) async fn settle_bank_payment(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        mut payment: Payment,
        reason: &str,
        now: kumbu_core::Timestamp,
    ) -> Result<Payment, EngineError> {
        changes.record_created(&payment);
        tx.insert_payment(&payment).await?;
        let change = payment
            .transition(PaymentStatus::Settled, reason, now)
            .map_err(|e| {
                EngineError::Store(kumbu_store::StoreError::Corrupt(format!(
                    "a new payment could not settle: {e}"
                )))
            })?;
        changes.record(&payment, change);
        changes.save(tx, &[&payment]).await?;
        Ok(payment)
    }
}

impl Engine {
    /// Acknowledges the settled payment whose bank payment id (ProxyPay's 12-digit id) is `id`:
    /// it leaves the pull queue. Acknowledging twice is harmless; an id that is not the caller's
    /// is not found.
    pub async fn ack_bank_payment(&self, auth: &AuthContext, id: i64) -> Result<(), EngineError> {
        let missing = || EngineError::not_found("payment", &id.to_string());
        let payment_id = self
            .store()
            .payment_id_for_bank_payment(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(missing)?;
        let filter = kumbu_store::EventFilter {
            event_type: Some("payment.settled".to_owned()),
            object_id: Some(payment_id),
            ..kumbu_store::EventFilter::default()
        };
        let (events, _) = self.list_events(auth, &filter, None, 1).await?;
        let event = events.first().ok_or_else(missing)?;
        self.ack_event(auth, &event.id).await?;
        Ok(())
    }
}
