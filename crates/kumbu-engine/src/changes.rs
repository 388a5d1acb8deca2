//! Everything a batch of transitions must write besides the payment rows themselves: history,
//! outbox events and ledger journals. Collected in memory, written in the same transaction.

use kumbu_core::ledger::journals_for;
use kumbu_core::{new_id, IdPrefix, Payment, PaymentStatus, StatusChange};
use kumbu_store::{NewEvent, NewJournal, StoreError, StoreTx};

/// Pending writes that accompany status changes.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    history: Vec<(String, StatusChange)>,
    events: Vec<NewEvent>,
    journals: Vec<NewJournal>,
    /// Target statuses, for metrics once committed.
    pub(crate) transitions: Vec<PaymentStatus>,
    /// Checkout attempts just debited: their sessions complete when this is written.
    debited_attempts: Vec<Payment>,
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
        if payment.checkout_session_id.is_some()
            && change.to.is_debited()
            && !change.from.is_some_and(PaymentStatus::is_debited)
        {
            self.debited_attempts.push(payment.clone());
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

    /// Completes the checkout sessions of debited attempts, then writes history, events and
    /// journals into `tx` (and forgets them: a second call writes only later changes).
    pub(crate) async fn write(&mut self, tx: &mut StoreTx) -> Result<(), StoreError> {
        for p in std::mem::take(&mut self.debited_attempts) {
            let at = p.updated_at;
            crate::checkout::complete_session(tx, self, &p, at).await?;
        }
        // Drained, so that writing again (after more changes in the same transaction) writes
        // only what is new.
        let history = std::mem::take(&mut self.history);
        let rows: Vec<(&str, &StatusChange)> =
            history.iter().map(|(id, c)| (id.as_str(), c)).collect();
        tx.insert_history(&rows).await?;
        tx.publish_events(&std::mem::take(&mut self.events)).await?;
        tx.post_journals(&std::mem::take(&mut self.journals)).await
    }

    /// Counts committed transitions in `/metrics`.
    pub(crate) fn publish_metrics(&self) {
        for to in &self.transitions {
            metrics::counter!("kumbu_payment_transitions_total", "to" => to.as_str()).increment(1);
        }
    }
}
