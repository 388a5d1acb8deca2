//! Reconciling many reports at once (a bank file): the same decisions as one ingest
//! ([`Engine::ingest_in`]), taken in memory over bills and earlier reports read in a few
//! statements, then written in a few statements, in one transaction. A file of 100,000 payments
//! thus costs a few hundred statements, not millions.
//!
//! The batch takes the common case: a new report naming the file's entity and the reference of
//! one of the merchant's bills. Anything else (a report seen before, a second report of the
//! same id in the batch, another entity, a reference no bill has, which may still match the
//! merchant's own reference) goes through the one-by-one path afterwards, in the same
//! transaction, so it sees what the batch decided.

use super::ingest::{decide, fresh, record_for, IngestPayment};
use super::status_event;
use crate::error::EngineError;
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::{
    CollectionRequest, ExternalStatus, FailureCode, IngestedPayment, MatchOutcome, Mode, Payment,
    PaymentStatus,
};
use kumbu_store::{EarlierReport, NewEvent, StoreError, StoreTx};
use std::collections::{BTreeSet, HashMap, HashSet};

fn broken(what: String) -> EngineError {
    EngineError::Store(StoreError::Corrupt(what))
}

impl Engine {
    /// Ingests `cmds` in `tx`; returns each one's result, in order.
    pub(crate) async fn ingest_batch(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        owner: (&str, Mode),
        cmds: &[IngestPayment],
    ) -> Result<Vec<IngestedPayment>, EngineError> {
        let now = self.now();
        let keys: Vec<(String, String)> = cmds
            .iter()
            .map(|c| (c.source.clone(), c.external_id.clone()))
            .collect();
        let seen_before: HashSet<(String, String)> = tx
            .lock_ingests_by_sources(owner.0, owner.1, &keys)
            .await?
            .into_iter()
            .map(|i| (i.source, i.external_id))
            .collect();
        // The batch takes one entity (a bank file is for one); reports naming another go one by
        // one.
        let entity = cmds
            .iter()
            .find_map(|c| c.method.entity_number.as_deref().map(str::trim))
            .unwrap_or_default()
            .to_owned();
        let reference_of = |c: &IngestPayment| -> Option<String> {
            let e = c.method.entity_number.as_deref().map(str::trim)?;
            let r = c.method.reference_number.as_deref().map(str::trim)?;
            (e == entity && !r.is_empty()).then(|| r.to_owned())
        };
        // Which reports the batch decides, and which go one by one.
        let mut once = HashSet::new();
        let (mut batch, mut one_by_one) = (Vec::new(), Vec::new());
        for (k, (c, key)) in cmds.iter().zip(keys).enumerate() {
            match reference_of(c) {
                Some(r) if !seen_before.contains(&key) && once.insert(key) => batch.push((k, r)),
                Some(_) | None => one_by_one.push(k),
            }
        }
        let references: Vec<String> = batch
            .iter()
            .map(|(_, r)| r.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // Per reference, the open bill, else the latest closed one (as `lock_request_by_erv`).
        let mut bills: HashMap<String, CollectionRequest> = HashMap::new();
        for c in tx
            .lock_requests_by_erv_references(owner.0, owner.1, &entity, &references)
            .await?
        {
            let r = c
                .erv
                .as_ref()
                .map(|e| e.reference.clone())
                .unwrap_or_default();
            if !bills.get(&r).is_some_and(|b| b.status().takes_payments()) {
                bills.insert(r, c);
            }
        }
        // A reference with no bill may still match the merchant's own reference: one by one.
        let (batch, no_bill): (Vec<_>, Vec<_>) =
            batch.into_iter().partition(|(_, r)| bills.contains_key(r));
        one_by_one.extend(no_bill.into_iter().map(|(k, _)| k));
        one_by_one.sort_unstable();
        let mut earlier: Vec<EarlierReport> =
            tx.earlier_reports(owner.0, owner.1, &references).await?;
        let bill_ids: Vec<String> = bills.values().map(|c| c.id.clone()).collect();
        let mut seqs = tx.last_object_seqs(&bill_ids).await?;

        let mut results: Vec<Option<IngestedPayment>> = vec![None; cmds.len()];
        let (mut ingests, mut payments, mut events) =
            (Vec::new(), Vec::<Payment>::new(), Vec::new());
        let mut touched = BTreeSet::new();
        for (k, r) in batch {
            let cmd = &cmds[k];
            let mut i = fresh(owner, cmd, cmd.fingerprint(), now);
            let bill = bills.get_mut(&r);
            let elsewhere = match &bill {
                Some(c) if c.currency == i.currency => earlier
                    .iter()
                    .find(|e| {
                        e.reference_number == r
                            && e.amount == i.amount
                            && e.processed_at.minute() == i.processed_at.minute()
                            && !(e.source == i.source && e.external_id == i.external_id)
                    })
                    .map(|e| e.id.clone()),
                Some(_) | None => None,
            };
            let how = format!("reference {r} ");
            decide(&mut i, bill.as_deref(), &how, elsewhere.as_deref());
            if let (MatchOutcome::Matched, Some(c)) = (i.outcome, bill) {
                let mut p = record_for(&i, &c.id, now);
                changes.record_created(&p);
                let change = match i.status {
                    ExternalStatus::Completed => {
                        c.balance.apply(i.amount, now).map_err(|e| {
                            broken(format!("bill {} refused what it took: {e}", c.id))
                        })?;
                        let seq = seqs.entry(c.id.clone()).or_insert(0);
                        *seq += 1;
                        events.push(bill_event(c, *seq));
                        touched.insert(r.clone());
                        Some(p.transition(
                            PaymentStatus::Settled,
                            &format!("reported completed by {}", i.source),
                            now,
                        ))
                    }
                    ExternalStatus::Failed => Some(p.fail(
                        FailureCode::PaymentDeclined,
                        Some("failed"),
                        &format!("reported failed by {}", i.source),
                        now,
                    )),
                    ExternalStatus::Pending => None,
                };
                if let Some(change) = change {
                    let change = change.map_err(|e| broken(format!("a new record: {e}")))?;
                    changes.record(&p, change);
                }
                i.payment_id = Some(p.id.clone());
                payments.push(p);
            }
            if i.status != ExternalStatus::Failed {
                earlier.push(EarlierReport {
                    id: i.id.clone(),
                    source: i.source.clone(),
                    external_id: i.external_id.clone(),
                    reference_number: r,
                    amount: i.amount,
                    processed_at: i.processed_at,
                });
            }
            events.push(ingest_event(&i, "payment_ingest.received", 1));
            if i.is_open_exception() {
                events.push(ingest_event(&i, "payment_ingest.exception_raised", 2));
            }
            ingests.push(i.clone());
            results[k] = Some(i);
        }
        let refs: Vec<&Payment> = payments.iter().collect();
        tx.insert_payments(&refs).await?;
        tx.insert_ingests(&ingests).await?;
        let changed: Vec<&CollectionRequest> =
            touched.iter().filter_map(|r| bills.get(r)).collect();
        tx.save_collection_requests(&changed).await?;
        tx.publish_events(&events).await?;
        changes.write(tx).await?;
        for k in one_by_one {
            results[k] = Some(self.ingest_in(tx, changes, (owner, None), &cmds[k]).await?);
        }
        Ok(results.into_iter().flatten().collect())
    }
}

fn bill_event(c: &CollectionRequest, seq: i64) -> NewEvent {
    crate::unit_of_work::object_event(
        &status_event(c),
        seq,
        (&c.merchant_id, c.mode),
        &c.id,
        c.balance.updated_at,
        c,
    )
}

fn ingest_event(i: &IngestedPayment, event_type: &str, seq: i64) -> NewEvent {
    crate::unit_of_work::object_event(
        event_type,
        seq,
        (&i.merchant_id, i.mode),
        &i.id,
        i.updated_at,
        i,
    )
}
