//! Payments reported from outside, matched to bills, and the exceptions a person decides.
//!
//! Matching, in order: the SIMO entity and reference to the merchant's bill (the open one, or
//! the last closed one), then the merchant's own reference (`reference` or
//! `reference_number` against `third_party_reference`). Then the amount is judged against the
//! bill; the result is exactly one [`MatchOutcome`]:
//!
//! | found | judged | outcome |
//! |---|---|---|
//! | no bill | — | `unmatched` |
//! | bill in another currency | — | `amount_mismatch` |
//! | same reference, amount and time already ingested (another source or id) | — | `duplicate` |
//! | bill paid | — | `duplicate` |
//! | bill expired or cancelled | — | `unmatched` |
//! | open bill | exact remainder, or an allowed instalment | `matched` |
//! | open bill | short without instalments, or more than is due | `amount_mismatch` |
//!
//! A `pending` report is matched but counts for nothing: its payment record is pending. When
//! the source later reports it `completed`, it is judged again and applied (or, if the bill
//! moved meanwhile, its record is cancelled and it becomes an exception); `failed` fails it.
//!
//! Over 600 lines: one reconciliation decision (match, judge, apply, or raise an exception) in
//! its single and batch forms, which must agree; the batch form is the file import's.

use super::records::{finish_record, new_record, RecordStatus};
use super::{
    accept_into, lock_bill_for, publish_ingest_event, publish_request_event, status_event,
};
use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::ids::has_shape;
use kumbu_core::operator::MAX_EXTERNAL_AMOUNT;
use kumbu_core::{
    new_id, CollectionRequest, CollectionStatus, Currency, Decision, ErrorCode, ExternalStatus,
    FailureCode, Field, IdPrefix, IngestedPayment, Judgement, MatchOutcome, MethodDetails, Mode,
    Payment, RecordDetails, Rejection, Resolution, Timestamp,
};
use kumbu_store::{IngestFilter, StoreError, StoreTx};
use sha2::{Digest, Sha256};

/// A payment reported by a source, parsed by a face or read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestPayment {
    /// Who reports it (`Bank`, `meps:90002`, …; 1 to 100 characters).
    pub source: String,
    /// The source's id for it (1 to 200 characters).
    pub external_id: String,
    /// Minor units.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
    /// What the source says.
    pub status: ExternalStatus,
    /// How it was paid.
    pub method: MethodDetails,
    /// The source's reference.
    pub reference: Option<String>,
    /// When the source processed it.
    pub processed_at: Timestamp,
    /// The imported file it is a line of.
    pub file_id: Option<String>,
}

/// A person's decision on an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveException {
    /// Match it by hand, or mark it for return.
    pub resolution: Resolution,
    /// The bill to apply it to (for `matched`).
    pub collection_request_id: Option<String>,
    /// Why (at most 500 characters).
    pub note: Option<String>,
}

fn ingest_conflict(field: Field, msg: impl Into<String>) -> EngineError {
    EngineError::Rejected(Rejection::field(ErrorCode::IngestConflict, field, msg))
}

fn label(field: Field, name: &str, v: &str, max: usize) -> Result<(), EngineError> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(EngineError::field(
            ErrorCode::ParameterInvalid,
            field,
            format!("{name} must be 1 to {max} printable characters"),
        ));
    }
    Ok(())
}

impl IngestPayment {
    fn validate(&self) -> Result<(), EngineError> {
        label(Field::Source, "source", &self.source, 100)?;
        label(Field::ExternalId, "id", &self.external_id, 200)?;
        if !(1..=MAX_EXTERNAL_AMOUNT).contains(&self.amount) {
            return Err(EngineError::field(
                ErrorCode::AmountOutOfRange,
                Field::Amount,
                format!(
                    "amount must be from {} to {}",
                    self.currency.format_decimal(1),
                    self.currency.format_decimal(MAX_EXTERNAL_AMOUNT)
                ),
            ));
        }
        let m = &self.method;
        for (f, name, v) in [
            (Field::Nib, "nib", &m.nib),
            (Field::EntityNumber, "entity_number", &m.entity_number),
            (
                Field::ReferenceNumber,
                "reference_number",
                &m.reference_number,
            ),
            (Field::Reference, "reference", &self.reference),
            (Field::MethodType, "payment_method_type", &m.method_type),
        ] {
            if let Some(v) = v {
                label(f, name, v, 100)?;
            }
        }
        Ok(())
    }

    /// What identifies the report's content, its status aside (a pending report may become
    /// completed or failed).
    pub(super) fn fingerprint(&self) -> String {
        let m = &self.method;
        let mut h = Sha256::new();
        for part in [
            self.source.as_str(),
            self.external_id.as_str(),
            &self.amount.to_string(),
            self.currency.code(),
            m.method_type.as_deref().unwrap_or("\u{0}"),
            m.nib.as_deref().unwrap_or("\u{0}"),
            m.entity_number.as_deref().unwrap_or("\u{0}"),
            m.reference_number.as_deref().unwrap_or("\u{0}"),
            self.reference.as_deref().unwrap_or("\u{0}"),
            &self.processed_at.as_micros().to_string(),
        ] {
            h.update(part.as_bytes());
            h.update([0xff]);
        }
        hex::encode(h.finalize())
    }
}

/// The first field in which a new report differs from what was ingested under its id.
fn first_difference(old: &IngestedPayment, new: &IngestPayment) -> (Field, &'static str) {
    let m = (&old.method, &new.method);
    if old.amount != new.amount {
        (Field::Amount, "amount")
    } else if old.currency != new.currency {
        (Field::Currency, "currency")
    } else if old.processed_at != new.processed_at {
        (Field::ProcessedAt, "processed_at")
    } else if m.0.entity_number != m.1.entity_number {
        (Field::EntityNumber, "entity_number")
    } else if m.0.reference_number != m.1.reference_number {
        (Field::ReferenceNumber, "reference_number")
    } else if m.0.nib != m.1.nib {
        (Field::Nib, "nib")
    } else if m.0.method_type != m.1.method_type {
        (Field::MethodType, "payment_method_type")
    } else {
        (Field::Reference, "reference")
    }
}

/// The bill a report names, locked: by entity and reference (the bill's own entity, so that
/// bills made before an entity change still match), then by the merchant's reference.
async fn find_bill(
    tx: &mut StoreTx,
    (merchant_id, mode): (&str, Mode),
    i: &IngestedPayment,
) -> Result<(Option<CollectionRequest>, String), EngineError> {
    let m = &i.method;
    let erv = m
        .entity_number
        .as_deref()
        .map(str::trim)
        .zip(m.reference_number.as_deref().map(str::trim));
    if let Some((entity, reference)) = erv {
        if let Some(c) = tx
            .lock_request_by_erv(merchant_id, mode, entity, reference)
            .await?
        {
            return Ok((Some(c), format!("reference {reference} ")));
        }
    }
    for r in [&i.reference, &m.reference_number].into_iter().flatten() {
        if let Some(c) = tx
            .lock_request_by_third_party(merchant_id, mode, r.trim())
            .await?
        {
            return Ok((Some(c), format!("third_party_reference {} ", r.trim())));
        }
    }
    Ok((None, unmatched(erv, m.reference_number.as_deref())))
}

/// Why a report found no bill.
pub(super) fn unmatched(erv: Option<(&str, &str)>, reference: Option<&str>) -> String {
    match (erv, reference) {
        (Some((e, r)), _) => format!("no collection request has entity {e} and reference {r}"),
        (None, Some(r)) => format!("no collection request has reference {}", r.trim()),
        (None, None) => "no reference to match on".to_owned(),
    }
}

/// Decides the outcome of a report against the bill found for it. `elsewhere` is an earlier
/// report of the same money (same reference, amount and time) under another id or source.
pub(super) fn decide(
    i: &mut IngestedPayment,
    bill: Option<&CollectionRequest>,
    how: &str,
    elsewhere: Option<&str>,
) {
    let Some(c) = bill else {
        i.outcome = MatchOutcome::Unmatched;
        i.detail = how.to_owned();
        return;
    };
    i.collection_request_id = Some(c.id.clone());
    let fmt = |a: i64| c.currency.format_decimal(a);
    let (outcome, detail) = if c.currency != i.currency {
        (
            MatchOutcome::AmountMismatch,
            format!(
                "{} is billed in {}, paid in {}",
                c.id,
                c.currency.code(),
                i.currency.code()
            ),
        )
    } else if let Some(other) = elsewhere {
        (
            MatchOutcome::Duplicate,
            format!("same reference, amount and time as {other}"),
        )
    } else {
        match c.balance.judge(i.amount) {
            Judgement::Pays => (MatchOutcome::Matched, format!("{how}pays {}", c.id)),
            Judgement::Instalment { remaining } => (
                MatchOutcome::Matched,
                format!(
                    "{how}is an instalment of {}; {} still due",
                    c.id,
                    fmt(remaining)
                ),
            ),
            Judgement::AmountMismatch { due } => (
                MatchOutcome::AmountMismatch,
                format!(
                    "{} paid, {} due on {}, which does not take instalments",
                    fmt(i.amount),
                    fmt(due),
                    c.id
                ),
            ),
            Judgement::Overpayment { excess } => (
                MatchOutcome::AmountMismatch,
                format!("{} more than is due on {}", fmt(excess), c.id),
            ),
            Judgement::Closed(CollectionStatus::Paid) => {
                (MatchOutcome::Duplicate, format!("{} is already paid", c.id))
            }
            Judgement::Closed(
                s @ (CollectionStatus::Open
                | CollectionStatus::PartiallyPaid
                | CollectionStatus::Expired
                | CollectionStatus::Cancelled),
            ) => (
                MatchOutcome::Unmatched,
                format!("{} is {}", c.id, s.as_str()),
            ),
        }
    };
    i.outcome = outcome;
    i.detail = detail;
}

/// A new report, not yet decided.
pub(super) fn fresh(
    owner: (&str, Mode),
    cmd: &IngestPayment,
    fingerprint: String,
    now: Timestamp,
) -> IngestedPayment {
    IngestedPayment {
        id: new_id(IdPrefix::Ingest),
        merchant_id: owner.0.to_owned(),
        mode: owner.1,
        source: cmd.source.clone(),
        external_id: cmd.external_id.clone(),
        amount: cmd.amount,
        currency: cmd.currency,
        status: cmd.status,
        method: cmd.method.clone(),
        reference: cmd.reference.clone(),
        processed_at: cmd.processed_at,
        outcome: MatchOutcome::Unmatched,
        detail: String::new(),
        collection_request_id: None,
        payment_id: None,
        decision: None,
        file_id: cmd.file_id.clone(),
        fingerprint,
        created_at: now,
        updated_at: now,
        face: None,
    }
}

/// The payment record of a matched report (it came through the report's API).
pub(super) fn record_for(i: &IngestedPayment, bill: &str, now: Timestamp) -> Payment {
    let mut p = new_record(
        (&i.merchant_id, i.mode),
        i.amount,
        i.currency,
        RecordDetails {
            account_id: i.source.clone(),
            provider_id: Some(i.source.clone()),
            channel: Some(
                i.method
                    .method_type
                    .as_deref()
                    .unwrap_or("external")
                    .to_ascii_lowercase(),
            ),
            processed_at: Some(i.processed_at),
            ingest_id: Some(i.id.clone()),
        },
        Some(bill.to_owned()),
        &format!("ingested from {}", i.source),
        now,
    );
    p.face = i.face;
    p
}

/// Applies a completed, matched report to its bill by the rules, settling its record. If the
/// bill no longer takes it (it moved since the report was pending), the record is cancelled
/// and the report becomes an exception. Returns whether it applied.
async fn apply_completed(
    tx: &mut StoreTx,
    changes: &mut Changes,
    i: &mut IngestedPayment,
    p: &mut Payment,
    now: Timestamp,
) -> Result<bool, EngineError> {
    let bill_id = i.collection_request_id.clone().unwrap_or_default();
    let mut bill = lock_bill_for(tx, p, &bill_id).await?;
    match bill.balance.apply(i.amount, now) {
        Ok(_) => {
            tx.save_collection_request(&bill).await?;
            publish_request_event(tx, &bill, &status_event(&bill)).await?;
            let change = p
                .transition(
                    kumbu_core::PaymentStatus::Settled,
                    &format!("reported completed by {}", i.source),
                    now,
                )
                .map_err(|e| EngineError::Store(StoreError::Corrupt(e.to_string())))?;
            changes.record(p, change);
            Ok(true)
        }
        Err(_) => {
            decide(i, Some(&bill), "", None);
            if i.outcome == MatchOutcome::Matched {
                // The same judgement applied a moment ago cannot now refuse.
                return Err(EngineError::Store(StoreError::Corrupt(format!(
                    "bill {} refused a payment it judged applicable",
                    bill.id
                ))));
            }
            let change = p
                .fail(
                    FailureCode::Cancelled,
                    None,
                    &format!("could not be applied: {}", i.detail),
                    now,
                )
                .map_err(|e| EngineError::Store(StoreError::Corrupt(e.to_string())))?;
            changes.record(p, change);
            Ok(false)
        }
    }
}

impl Engine {
    /// Ingests a reported payment and reconciles it; see the module doc. The same report again
    /// returns the first result.
    pub async fn ingest_payment(
        &self,
        auth: &AuthContext,
        cmd: IngestPayment,
        idem: Option<&IdempotencyRequest>,
        render: impl Fn(&IngestedPayment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        cmd.validate()?;
        let owner = (auth.merchant_id.as_str(), auth.mode);
        let mut raced = false;
        loop {
            let cmd = cmd.clone();
            let render = &render;
            let result = self
                .idempotent(
                    auth,
                    idem,
                    async move |tx: &mut StoreTx, changes: &mut Changes| {
                        let i = self
                            .ingest_in(tx, changes, (owner, auth.face), &cmd)
                            .await?;
                        changes.write(tx).await?;
                        Ok(Verdict::Done(render(&i)))
                    },
                )
                .await;
            match result {
                // Another request inserted the same report first: read its result.
                Err(EngineError::Store(StoreError::Conflict(what)))
                    if !raced && what.contains("ingested_payments") =>
                {
                    raced = true;
                }
                other => return other,
            }
        }
    }

    /// Ingests one report inside `tx` (shared by the API and file imports); a payment record it
    /// makes keeps `face`, the API the report came through (none from a file).
    pub(crate) async fn ingest_in(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        (owner, face): ((&str, Mode), Option<kumbu_core::Face>),
        cmd: &IngestPayment,
    ) -> Result<IngestedPayment, EngineError> {
        let now = self.now();
        let fingerprint = cmd.fingerprint();
        if let Some(mut old) = tx
            .lock_ingest_by_source(owner.0, owner.1, &cmd.source, &cmd.external_id)
            .await?
        {
            if old.fingerprint != fingerprint {
                let (f, name) = first_difference(&old, cmd);
                return Err(ingest_conflict(
                    f,
                    format!(
                        "{} already reported payment {} with a different {name}; a report is never changed, only its status moves out of pending",
                        cmd.source, cmd.external_id
                    ),
                ));
            }
            if old.status == cmd.status {
                return Ok(old);
            }
            if !old.status.may_become(cmd.status) {
                return Err(ingest_conflict(
                    Field::Status,
                    format!(
                        "payment {} was reported {}; only a pending payment's status may change",
                        cmd.external_id,
                        old.status.as_str()
                    ),
                ));
            }
            let was_exception = old.is_open_exception();
            old.status = cmd.status;
            old.updated_at = now;
            if old.outcome == MatchOutcome::Matched {
                if let Some(pid) = old.payment_id.clone() {
                    let mut p =
                        tx.lock_payment(owner.0, owner.1, &pid)
                            .await?
                            .ok_or_else(|| {
                                EngineError::Store(StoreError::Corrupt(format!(
                                    "payment {pid} of {} vanished",
                                    old.id
                                )))
                            })?;
                    match cmd.status {
                        ExternalStatus::Completed => {
                            apply_completed(tx, changes, &mut old, &mut p, now).await?;
                        }
                        ExternalStatus::Failed => {
                            finish_record(
                                tx,
                                changes,
                                &mut p,
                                RecordStatus::Failed,
                                &format!("reported failed by {}", old.source),
                                now,
                            )
                            .await?;
                        }
                        ExternalStatus::Pending => {}
                    }
                    changes.save(tx, &[&p]).await?;
                }
            }
            tx.save_ingest(&old).await?;
            publish_ingest_event(tx, &old, "payment_ingest.updated").await?;
            if old.is_open_exception() && !was_exception {
                publish_ingest_event(tx, &old, "payment_ingest.exception_raised").await?;
            }
            return Ok(old);
        }
        let mut i = fresh(owner, cmd, fingerprint, now);
        i.face = face;
        let (bill, how) = find_bill(tx, owner, &i).await?;
        let elsewhere = match &bill {
            Some(c) if c.currency == i.currency => tx.same_payment_elsewhere(&i).await?,
            Some(_) | None => None,
        };
        decide(&mut i, bill.as_ref(), &how, elsewhere.as_deref());
        tx.insert_ingest(&i).await?;
        if i.outcome == MatchOutcome::Matched {
            let bill_id = i.collection_request_id.clone().unwrap_or_default();
            let mut p = record_for(&i, &bill_id, now);
            changes.record_created(&p);
            tx.insert_payment(&p).await?;
            match i.status {
                ExternalStatus::Completed => {
                    apply_completed(tx, changes, &mut i, &mut p, now).await?;
                }
                ExternalStatus::Failed => {
                    finish_record(
                        tx,
                        changes,
                        &mut p,
                        RecordStatus::Failed,
                        &format!("reported failed by {}", i.source),
                        now,
                    )
                    .await?;
                }
                ExternalStatus::Pending => {}
            }
            changes.save(tx, &[&p]).await?;
            i.payment_id = Some(p.id.clone());
            tx.save_ingest(&i).await?;
        }
        publish_ingest_event(tx, &i, "payment_ingest.received").await?;
        if i.is_open_exception() {
            publish_ingest_event(tx, &i, "payment_ingest.exception_raised").await?;
        }
        Ok(i)
    }

    /// One of the caller's ingested payments.
    pub async fn ingested_payment(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<IngestedPayment, EngineError> {
        if !has_shape(id, IdPrefix::Ingest) {
            return Err(EngineError::not_found("ingested payment", id));
        }
        self.store()
            .ingest(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("ingested payment", id))
    }

    /// A newest-first page of the caller's ingested payments (`open_exceptions` for the queue).
    pub async fn list_ingested_payments(
        &self,
        auth: &AuthContext,
        filter: &IngestFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<IngestedPayment>, bool), EngineError> {
        let not_ours = |a: &str| EngineError::unknown_cursor("ingested payments", a);
        EngineError::check_cursor(starting_after, IdPrefix::Ingest, "ingested payments")?;
        self.store()
            .list_ingests(
                &auth.merchant_id,
                auth.mode,
                filter,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| not_ours(starting_after.unwrap_or_default()))
    }

    /// A person's decision on an exception: match it to a bill (which takes the money whatever
    /// the rules said, keeping any excess as overpaid) or mark it for return. Kept with who
    /// decided and when; decided once.
    pub async fn resolve_exception(
        &self,
        auth: &AuthContext,
        id: &str,
        cmd: ResolveException,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&IngestedPayment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let auth = &auth.or_key("exception.resolved", id, cmd.resolution.as_str().to_owned());
        if !has_shape(id, IdPrefix::Ingest) {
            return Err(EngineError::not_found("ingested payment", id));
        }
        if let Some(n) = &cmd.note {
            if n.chars().count() > 500 {
                return Err(EngineError::field(
                    ErrorCode::ParameterInvalid,
                    Field::Note,
                    "note must be at most 500 characters",
                ));
            }
            crate::validate::plain_text(Field::Note, n, "note").map_err(EngineError::Rejected)?;
        }
        let bill_id = match (cmd.resolution, &cmd.collection_request_id) {
            (Resolution::Matched, Some(c)) => Some(c.clone()),
            (Resolution::Matched, None) => {
                return Err(EngineError::field(
                    ErrorCode::ParameterMissing,
                    Field::CollectionRequestId,
                    "to match an exception by hand, name the collection_request_id it pays",
                ))
            }
            (Resolution::Return, None) => None,
            (Resolution::Return, Some(_)) => {
                return Err(EngineError::field(
                    ErrorCode::ParameterInvalid,
                    Field::CollectionRequestId,
                    "a payment marked for return pays no collection request",
                ))
            }
        };
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let mut i = tx
                    .lock_ingest(&auth.merchant_id, auth.mode, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("ingested payment", id))?;
                let decided = |msg: String| {
                    EngineError::Rejected(Rejection::field(
                        ErrorCode::ExceptionAlreadyResolved,
                        Field::Id,
                        msg,
                    ))
                };
                if let Some(d) = &i.decision {
                    return Err(decided(format!(
                        "{id} was already resolved ({}) by {}",
                        d.resolution.as_str(),
                        d.by
                    )));
                }
                if !i.outcome.is_exception() {
                    return Err(decided(format!("{id} was matched automatically; there is nothing to resolve")));
                }
                match i.status {
                    ExternalStatus::Failed => {
                        return Err(decided(format!(
                            "{id} failed at its source: no money arrived, there is nothing to resolve"
                        )))
                    }
                    ExternalStatus::Pending if cmd.resolution == Resolution::Matched => {
                        return Err(EngineError::field(
                            ErrorCode::PaymentStateConflict,
                            Field::Status,
                            format!("{id} is still pending at its source; match it once it is completed"),
                        ))
                    }
                    ExternalStatus::Pending | ExternalStatus::Completed => {}
                }
                if let Some(bill_id) = &bill_id {
                    let mut p = record_for(&i, bill_id, now);
                    let mut bill = lock_bill_for(tx, &p, bill_id).await?;
                    accept_into(tx, &mut bill, i.amount, now).await?;
                    changes.record_created(&p);
                    tx.insert_payment(&p).await?;
                    let change = p
                        .transition(kumbu_core::PaymentStatus::Settled, &format!("matched by hand by {}", auth.key_id), now)
                        .map_err(|e| EngineError::Store(StoreError::Corrupt(e.to_string())))?;
                    changes.record(&p, change);
                    changes.save(tx, &[&p]).await?;
                    i.payment_id = Some(p.id.clone());
                    i.collection_request_id = Some(bill.id.clone());
                }
                i.decision = Some(Decision {
                    resolution: cmd.resolution,
                    by: auth.key_id.clone(),
                    at: now,
                    note: cmd.note,
                });
                i.updated_at = now;
                tx.save_ingest(&i).await?;
                publish_ingest_event(tx, &i, "payment_ingest.exception_resolved").await?;
                changes.write(tx).await?;
                Ok(Verdict::Done(render(&i)))
            },
        )
        .await
    }
}
