//! The unit of work: every command and worker pass opens a store transaction with
//! [`Engine::begin`], collects what its changes must write besides the objects' own rows
//! ([`Changes`]: history, outbox events, ledger journals) and writes them in that transaction, then
//! commits with [`Engine::commit`] (which hands fresh webhook deliveries to this process's
//! dispatcher). Nothing here names a business object: what must follow a payment's first debit
//! (a checkout attempt completes its session; a bill takes a payment collected for it) is an
//! [`AfterDebit`] the engine gives every
//! [`Changes`] it makes ([`Engine::changes`]).

use crate::Engine;
use kumbu_core::ledger::journals_for;
use kumbu_core::{new_id, IdPrefix, Mode, Payment, PaymentStatus, StatusChange, Timestamp};
use kumbu_store::{NewEvent, NewJournal, PaymentDay, StoreError, StoreTx};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A step's future, boxed so that the step can be held as `dyn AfterDebit`.
pub(crate) type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// What must follow, in the same transaction, a payment's first debit, written before the rest of
/// the changes (checkout: `checkout::CompleteSessions`).
pub(crate) trait AfterDebit: Send + Sync + std::fmt::Debug {
    /// Runs the step for `payment`, just debited, recording what it changes in `changes`.
    fn after_debit<'a>(
        &'a self,
        tx: &'a mut StoreTx,
        changes: &'a mut Changes,
        payment: &'a Payment,
    ) -> StepFuture<'a>;
}

/// Two steps, one after the other.
impl<A: AfterDebit, B: AfterDebit> AfterDebit for (A, B) {
    fn after_debit<'a>(
        &'a self,
        tx: &'a mut StoreTx,
        changes: &'a mut Changes,
        payment: &'a Payment,
    ) -> StepFuture<'a> {
        Box::pin(async move {
            self.0.after_debit(tx, changes, payment).await?;
            self.1.after_debit(tx, changes, payment).await
        })
    }
}

/// Pending writes that accompany status changes. Made by [`Engine::changes`].
#[derive(Debug)]
pub(crate) struct Changes {
    history: Vec<(String, StatusChange)>,
    events: Vec<NewEvent>,
    journals: Vec<NewJournal>,
    /// What the changes add to the merchants' days (the home page's charts).
    days: Vec<PaymentDay>,
    /// Target statuses, for metrics once committed.
    pub(crate) transitions: Vec<PaymentStatus>,
    /// Checkout attempts and bills' payments just debited: `after_debit` runs for each when
    /// this is written.
    debited_attempts: Vec<Payment>,
    after_debit: Arc<dyn AfterDebit>,
}

impl Changes {
    /// Records that `payment` has just made `change` (already applied to it): a history row, the
    /// event `payment.<status>` carrying the payment as it now is, and the journal the status
    /// posts, if any.
    pub(crate) fn record(&mut self, payment: &Payment, change: StatusChange) {
        let event_type = match change.from {
            None => "payment.created".to_owned(),
            Some(_) => format!("payment.{}", change.to.as_str()),
        };
        self.events.push(NewEvent {
            id: new_id(IdPrefix::Event),
            merchant_id: payment.merchant_id.clone(),
            mode: payment.mode,
            event_type,
            object_id: payment.id.clone(),
            object_seq: i64::try_from(payment.history.len()).unwrap_or(i64::MAX),
            payload: serde_json::to_string(payment).unwrap_or_else(|_| "{}".to_owned()),
            created_at: change.at,
        });
        for (kind, postings) in journals_for(payment, change.from, change.to) {
            self.journals.push(NewJournal {
                id: new_id(IdPrefix::Journal),
                kind,
                payment_id: Some(payment.id.clone()),
                payout_id: None,
                refund_id: None,
                merchant_id: payment.merchant_id.clone(),
                mode: payment.mode,
                currency: payment.currency,
                postings,
                created_at: change.at,
            });
        }
        if (payment.checkout_session_id.is_some() || payment.collection_request_id.is_some())
            && change.to.is_debited()
            && !change.from.is_some_and(PaymentStatus::is_debited)
        {
            self.debited_attempts.push(payment.clone());
        }
        if let Some(day) = day_of(payment, &change) {
            self.days.push(day);
        }
        self.transitions.push(change.to);
        self.history.push((payment.id.clone(), change));
    }

    /// Records an event about something other than a payment's status (a refund, say).
    pub(crate) fn push_event(&mut self, event: NewEvent) {
        self.events.push(event);
    }

    /// Records a journal that is not a payment transition's (a refund's).
    pub(crate) fn push_journal(&mut self, journal: NewJournal) {
        self.journals.push(journal);
    }

    /// Records the creation row of a new payment (its history row is inserted with the payment).
    pub(crate) fn record_created(&mut self, payment: &Payment) {
        if let Some(first) = payment.history.first() {
            self.record(payment, first.clone());
            // The creation row is written by insert_payment itself.
            self.history.pop();
        }
    }

    /// Saves the payments' rows and writes history, events and journals into `tx`.
    pub(crate) async fn save(
        &mut self,
        tx: &mut StoreTx,
        payments: &[&Payment],
    ) -> Result<(), StoreError> {
        tx.save_payments(payments).await?;
        self.write(tx).await
    }

    /// Runs the after-debit step of debited attempts, then writes history, events and journals
    /// into `tx` (and forgets them: a second call writes only later changes).
    pub(crate) async fn write(&mut self, tx: &mut StoreTx) -> Result<(), StoreError> {
        for p in std::mem::take(&mut self.debited_attempts) {
            let step = self.after_debit.clone();
            step.after_debit(tx, self, &p).await?;
        }
        // Drained, so that writing again (after more changes in the same transaction) writes
        // only what is new.
        let history = std::mem::take(&mut self.history);
        let rows: Vec<(&str, &StatusChange)> =
            history.iter().map(|(id, c)| (id.as_str(), c)).collect();
        tx.insert_history(&rows).await?;
        tx.publish_events(&std::mem::take(&mut self.events)).await?;
        tx.post_journals(&std::mem::take(&mut self.journals))
            .await?;
        tx.add_payment_days(&summed(std::mem::take(&mut self.days)))
            .await
    }

    /// Counts committed transitions in `/metrics`.
    pub(crate) fn publish_metrics(&self) {
        for to in &self.transitions {
            metrics::counter!("kumbu_payment_transitions_total", "to" => to.as_str()).increment(1);
        }
    }
}

/// What `change` (just made by `payment`) adds to its day: a success when it is the first
/// debit, a failure when it fails or expires; nothing otherwise.
fn day_of(payment: &Payment, change: &StatusChange) -> Option<PaymentDay> {
    let first_debit = change.to.is_debited() && !change.from.is_some_and(PaymentStatus::is_debited);
    let failed = matches!(change.to, PaymentStatus::Failed | PaymentStatus::Expired);
    (first_debit || failed).then(|| PaymentDay {
        merchant_id: payment.merchant_id.clone(),
        mode: payment.mode,
        day: payment.created_at.to_rfc3339()[..10].to_owned(),
        operator: payment.operator,
        currency: payment.currency,
        succeeded: i64::from(first_debit),
        succeeded_amount: if first_debit { payment.amount } else { 0 },
        failed: i64::from(failed),
    })
}

/// `days` with those of one key added together (a worker's batch of a thousand payments of one
/// merchant and day is one row to write).
fn summed(days: Vec<PaymentDay>) -> Vec<PaymentDay> {
    let mut by_key: std::collections::BTreeMap<
        (String, &'static str, String, &'static str, &'static str),
        PaymentDay,
    > = std::collections::BTreeMap::new();
    for d in days {
        let key = (
            d.merchant_id.clone(),
            d.mode.as_str(),
            d.day.clone(),
            d.operator.code(),
            d.currency.code(),
        );
        match by_key.get_mut(&key) {
            Some(sum) => {
                sum.succeeded += d.succeeded;
                sum.succeeded_amount += d.succeeded_amount;
                sum.failed += d.failed;
            }
            None => {
                by_key.insert(key, d);
            }
        }
    }
    by_key.into_values().collect()
}

/// The outbox row for a change of `object` (a refund, a checkout session): the object as it
/// now is, under its owner, id and per-object sequence.
pub(crate) fn object_event<T: serde::Serialize>(
    event_type: &str,
    seq: i64,
    (merchant_id, mode): (&str, Mode),
    object_id: &str,
    at: Timestamp,
    object: &T,
) -> NewEvent {
    NewEvent {
        id: new_id(IdPrefix::Event),
        merchant_id: merchant_id.to_owned(),
        mode,
        event_type: event_type.to_owned(),
        object_id: object_id.to_owned(),
        object_seq: seq,
        payload: serde_json::to_string(object).unwrap_or_else(|_| "{}".to_owned()),
        created_at: at,
    }
}

impl Engine {
    /// Opens a store transaction; while this process dispatches and its queue is short, the
    /// deliveries it creates are leased to this process (`handoff.rs`).
    pub(crate) async fn begin(&self) -> Result<StoreTx, StoreError> {
        let mut tx = self.store().begin().await?;
        let lease = self.config().delivery_lease;
        if self.inner.handoff.takes(lease) {
            tx.lease_new_deliveries(self.now().plus(lease));
        }
        Ok(tx)
    }

    /// Commits `tx`; then queues the deliveries it created for this process's dispatcher and
    /// wakes it.
    pub(crate) async fn commit(&self, mut tx: StoreTx) -> Result<(), StoreError> {
        let fresh = tx.take_leased();
        let until = tx.lease();
        let published = tx.published();
        tx.commit().await?;
        if let (Some(until), false) = (until, fresh.is_empty()) {
            self.inner.handoff.hand(fresh, until);
        }
        if published {
            self.deliveries_ready();
        }
        Ok(())
    }

    /// An empty set of changes, with the steps that must follow a payment's first debit.
    pub(crate) fn changes(&self) -> Changes {
        Changes {
            history: Vec::new(),
            events: Vec::new(),
            journals: Vec::new(),
            days: Vec::new(),
            transitions: Vec::new(),
            debited_attempts: Vec::new(),
            after_debit: self.inner.after_debit.clone(),
        }
    }
}
