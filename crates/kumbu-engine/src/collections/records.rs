//! Payment records: money that moved outside Kumbu, recorded by the merchant, as payments on
//! the `external` rail. `pending` is `created`; `confirmed` is `settled` (its journals post and
//! it counts towards its bill); `failed` is `failed`. Updates follow the engine's rules: amount,
//! currency, bill and descriptive fields only while pending; status only forward.

use super::{accept_into, bill_of};
use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::validate::plain_text;
use crate::Engine;
use kumbu_core::ids::has_shape;
use kumbu_core::operator::MAX_EXTERNAL_AMOUNT;
use kumbu_core::payment::RailProgress;
use kumbu_core::{
    new_id, Currency, ErrorCode, FailureCode, Field, IdPrefix, Operator, Payment, PaymentStatus,
    RecordDetails, Rejection, StatusChange, Timestamp,
};
use kumbu_store::StoreTx;
use std::collections::BTreeMap;
use std::time::Duration;

/// A payment record's status, as merchants speak of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordStatus {
    /// Awaiting processing: counts for nothing yet.
    Pending,
    /// The money arrived: posted and counted.
    Confirmed,
    /// It did not.
    Failed,
}

impl RecordStatus {
    /// Every status.
    pub const ALL: [RecordStatus; 3] = [
        RecordStatus::Pending,
        RecordStatus::Confirmed,
        RecordStatus::Failed,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Pending => "pending",
            RecordStatus::Confirmed => "confirmed",
            RecordStatus::Failed => "failed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        RecordStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// How a payment's status reads as a record's.
    pub const fn of(s: PaymentStatus) -> Self {
        match s {
            PaymentStatus::Created
            | PaymentStatus::OperatorPending
            | PaymentStatus::UserConfirming => RecordStatus::Pending,
            PaymentStatus::Debited
            | PaymentStatus::Settled
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded => RecordStatus::Confirmed,
            PaymentStatus::Failed | PaymentStatus::Expired | PaymentStatus::Cancelled => {
                RecordStatus::Failed
            }
        }
    }
}

/// A payment record to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePaymentRecord {
    /// The payer's account in the merchant's books (1 to 100 characters).
    pub account_id: String,
    /// The bill it pays, if any.
    pub collection_request_id: Option<String>,
    /// The provider that carried it.
    pub provider_id: Option<String>,
    /// The channel.
    pub channel: Option<String>,
    /// Currency.
    pub currency: Currency,
    /// Minor units.
    pub amount: i64,
    /// Where it stands.
    pub status: RecordStatus,
    /// Collect it from this payer's wallet (`wallet.rs`) instead of recording it.
    pub collect_from: Option<super::RecordPayer>,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdatePaymentRecord {
    /// New account.
    pub account_id: Option<String>,
    /// New bill.
    pub collection_request_id: Option<String>,
    /// New provider.
    pub provider_id: Option<String>,
    /// New channel.
    pub channel: Option<String>,
    /// New amount (only while pending).
    pub amount: Option<i64>,
    /// New currency (only while pending).
    pub currency: Option<Currency>,
    /// New status (only forward).
    pub status: Option<RecordStatus>,
}

/// A pending record never expires by itself; this is only what its `expires_at` shows.
const RECORD_HORIZON: Duration = Duration::from_secs(365 * 86_400);

fn conflict(field: Field, msg: impl Into<String>) -> EngineError {
    EngineError::Rejected(Rejection::field(
        ErrorCode::PaymentStateConflict,
        field,
        msg,
    ))
}

fn check_label(field: Field, name: &str, v: Option<&String>) -> Result<(), EngineError> {
    if let Some(v) = v {
        if v.trim().is_empty() || v.chars().count() > 100 {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                field,
                format!("{name} must be 1 to 100 characters"),
            ));
        }
        plain_text(field, v, name)?;
    }
    Ok(())
}

fn check_amount(currency: Currency, amount: i64) -> Result<(), EngineError> {
    if (1..=MAX_EXTERNAL_AMOUNT).contains(&amount) {
        return Ok(());
    }
    Err(EngineError::field(
        ErrorCode::AmountOutOfRange,
        Field::Amount,
        format!(
            "amount must be from {} to {}",
            currency.format_decimal(1),
            currency.format_decimal(MAX_EXTERNAL_AMOUNT)
        ),
    ))
}

/// A new record on the external rail, `created`, with its creation row.
pub(crate) fn new_record(
    auth_merchant: (&str, kumbu_core::Mode),
    amount: i64,
    currency: Currency,
    record: RecordDetails,
    collection_request_id: Option<String>,
    reason: &str,
    now: Timestamp,
) -> Payment {
    Payment {
        id: new_id(IdPrefix::Payment),
        merchant_id: auth_merchant.0.to_owned(),
        mode: auth_merchant.1,
        status: PaymentStatus::Created,
        amount,
        fee: 0,
        refund_fee: kumbu_core::RefundFee::Kept,
        amount_refunded: 0,
        currency,
        operator: Operator::External,
        payer_phone: None,
        bank: None,
        customer_name: None,
        customer_email: None,
        reference: None,
        description: None,
        statement_descriptor: None,
        customer_id: None,
        checkout_session_id: None,
        collection_request_id,
        record: Some(record),
        deleted_at: None,
        face: None,
        metadata: BTreeMap::new(),
        operator_reference: None,
        failure_code: None,
        failure_message: None,
        operator_code: None,
        created_at: now,
        updated_at: now,
        expires_at: now.plus(RECORD_HORIZON),
        history: vec![StatusChange {
            from: None,
            to: PaymentStatus::Created,
            reason: reason.to_owned(),
            at: now,
        }],
        progress: RailProgress::default(),
        rail_memo: None,
        handover: None,
    }
}

/// Moves a pending record to `to` (confirmed: settled and counted towards its bill by the
/// merchant's word; failed). The caller saves the payment with `changes.save`.
pub(crate) async fn finish_record(
    tx: &mut StoreTx,
    changes: &mut Changes,
    p: &mut Payment,
    to: RecordStatus,
    reason: &str,
    at: Timestamp,
) -> Result<(), EngineError> {
    let change = match to {
        RecordStatus::Pending => return Ok(()),
        RecordStatus::Confirmed => {
            if let Some(cr) = p.collection_request_id.clone() {
                if let Some(mut bill) = bill_of(tx, p, &cr).await? {
                    accept_into(tx, &mut bill, p.amount, at).await?;
                }
            }
            if let Some(r) = p.record.as_mut() {
                r.processed_at.get_or_insert(at);
            }
            p.transition(PaymentStatus::Settled, reason, at)
        }
        RecordStatus::Failed => p.fail(FailureCode::PaymentDeclined, Some("failed"), reason, at),
    }
    .map_err(|e| conflict(Field::Status, e.to_string()))?;
    changes.record(p, change);
    Ok(())
}

impl Engine {
    /// Records a payment that happened elsewhere. A `collection_request_id` naming one of the
    /// merchant's bills counts towards it (by the merchant's word: any amount, an excess kept as
    /// overpaid) once confirmed; one naming no bill of Kumbu's is kept as a link to a bill held
    /// elsewhere.
    pub async fn create_payment_record(
        &self,
        auth: &AuthContext,
        cmd: CreatePaymentRecord,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        check_label(Field::AccountId, "account_id", Some(&cmd.account_id))?;
        check_label(Field::ProviderId, "provider_id", cmd.provider_id.as_ref())?;
        check_label(Field::Channel, "channel", cmd.channel.as_ref())?;
        check_amount(cmd.currency, cmd.amount)?;
        check_label(
            Field::CollectionRequestId,
            "collection_request_id",
            cmd.collection_request_id.as_ref(),
        )?;
        if let Some(payer) = cmd.collect_from.clone() {
            return self.collect_record(auth, cmd, payer, idem, render).await;
        }
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let record = RecordDetails {
                    account_id: cmd.account_id,
                    provider_id: cmd.provider_id,
                    channel: cmd.channel,
                    processed_at: None,
                    ingest_id: None,
                };
                let mut p = new_record(
                    (&auth.merchant_id, auth.mode),
                    cmd.amount,
                    cmd.currency,
                    record,
                    cmd.collection_request_id.clone(),
                    "recorded by the merchant",
                    now,
                );
                p.face = auth.face;
                if let Some(cr) = &cmd.collection_request_id {
                    if let Some(bill) = bill_of(tx, &p, cr).await? {
                        if !bill.status().takes_payments() {
                            return Err(super::not_open(&bill));
                        }
                    }
                }
                changes.record_created(&p);
                tx.insert_payment(&p).await?;
                finish_record(
                    tx,
                    changes,
                    &mut p,
                    cmd.status,
                    "recorded by the merchant",
                    now,
                )
                .await?;
                changes.save(tx, &[&p]).await?;
                tx.save_payment_record(&p).await?;
                Ok(Verdict::Done(render(&p)))
            },
        )
        .await
    }

    /// One of the caller's payment records (deleted ones too).
    pub async fn payment_record(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<Payment, EngineError> {
        let p = self.payment(auth, id).await?;
        if p.record.is_none() {
            return Err(EngineError::not_found("payment", id));
        }
        Ok(p)
    }

    /// Updates a payment record within the rules (see the module doc).
    pub async fn update_payment_record(
        &self,
        auth: &AuthContext,
        id: &str,
        cmd: UpdatePaymentRecord,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        check_label(Field::AccountId, "account_id", cmd.account_id.as_ref())?;
        check_label(Field::ProviderId, "provider_id", cmd.provider_id.as_ref())?;
        check_label(Field::Channel, "channel", cmd.channel.as_ref())?;
        check_label(
            Field::CollectionRequestId,
            "collection_request_id",
            cmd.collection_request_id.as_ref(),
        )?;
        if let Some(a) = cmd.amount {
            check_amount(cmd.currency.unwrap_or(Currency::Mzn), a)?;
        }
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let mut p = lock_record(tx, auth, id).await?;
                let status = RecordStatus::of(p.status);
                let record = p.record.clone().unwrap_or_default();
                // What would change, field by field; only a pending record may change.
                let changed: Vec<(Field, &str)> = [
                    (
                        Field::AccountId,
                        "account_id",
                        cmd.account_id.as_ref().is_some_and(|v| *v != record.account_id),
                    ),
                    (
                        Field::ProviderId,
                        "provider_id",
                        cmd.provider_id.is_some() && cmd.provider_id != record.provider_id,
                    ),
                    (
                        Field::Channel,
                        "channel",
                        cmd.channel.is_some() && cmd.channel != record.channel,
                    ),
                    (
                        Field::CollectionRequestId,
                        "collection_request_id",
                        cmd.collection_request_id.is_some()
                            && cmd.collection_request_id != p.collection_request_id,
                    ),
                    (Field::Amount, "amount", cmd.amount.is_some_and(|a| a != p.amount)),
                    (
                        Field::Currency,
                        "currency",
                        cmd.currency.is_some_and(|c| c != p.currency),
                    ),
                ]
                .into_iter()
                .filter_map(|(f, name, c)| c.then_some((f, name)))
                .collect();
                if let Some((f, name)) = changed.first() {
                    if status != RecordStatus::Pending {
                        return Err(conflict(
                            *f,
                            format!(
                                "payment {id} is {}: only a pending payment's {name} can change",
                                status.as_str(),
                            ),
                        ));
                    }
                }
                if let Some(to) = cmd.status {
                    let allowed = to == status
                        || (status == RecordStatus::Pending && to != RecordStatus::Pending);
                    if !allowed {
                        return Err(conflict(
                            Field::Status,
                            format!(
                                "payment {id} is {}; a status only moves forward (pending → confirmed | failed)",
                                status.as_str()
                            ),
                        ));
                    }
                }
                if let Some(v) = cmd.account_id {
                    p.record.get_or_insert_with(RecordDetails::default).account_id = v;
                }
                if let Some(v) = cmd.provider_id {
                    p.record.get_or_insert_with(RecordDetails::default).provider_id = Some(v);
                }
                if let Some(v) = cmd.channel {
                    p.record.get_or_insert_with(RecordDetails::default).channel = Some(v);
                }
                if let Some(c) = cmd.currency {
                    p.currency = c;
                }
                if let Some(a) = cmd.amount {
                    p.amount = a;
                }
                if let Some(cr) = cmd.collection_request_id {
                    p.collection_request_id = Some(cr);
                }
                if let Some(cr) = p.collection_request_id.clone() {
                    // A bill of Kumbu's must be in the payment's currency, whatever changed.
                    if !changed.is_empty() {
                        bill_of(tx, &p, &cr).await?;
                    }
                }
                p.updated_at = now;
                if let Some(to) = cmd.status.filter(|t| *t != status) {
                    finish_record(tx, changes, &mut p, to, "updated by the merchant", now).await?;
                }
                changes.save(tx, &[&p]).await?;
                tx.save_payment_record(&p).await?;
                Ok(Verdict::Done(render(&p)))
            },
        )
        .await
    }

    /// Soft-deletes a pending or failed payment record: `GET` still returns it, lists hide it.
    /// A confirmed record is refused: its money is in the ledger and in its bill.
    pub async fn delete_payment_record(
        &self,
        auth: &AuthContext,
        id: &str,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, _changes: &mut Changes| {
                let mut p = lock_record(tx, auth, id).await?;
                if RecordStatus::of(p.status) == RecordStatus::Confirmed {
                    return Err(conflict(
                        Field::Id,
                        format!("payment {id} is confirmed: its money is posted to the ledger and counted in its bill, so it cannot be deleted"),
                    ));
                }
                let now = self.now();
                p.deleted_at = Some(now);
                p.updated_at = now;
                tx.save_payment_record(&p).await?;
                Ok(Verdict::Done(render(&p)))
            },
        )
        .await
    }
}

/// A record, locked; deleted records are gone for writes.
async fn lock_record(
    tx: &mut StoreTx,
    auth: &AuthContext,
    id: &str,
) -> Result<Payment, EngineError> {
    if !has_shape(id, IdPrefix::Payment) {
        return Err(EngineError::not_found("payment", id));
    }
    let p = tx
        .lock_payment(&auth.merchant_id, auth.mode, id)
        .await?
        .filter(|p| p.record.is_some() && p.deleted_at.is_none())
        .ok_or_else(|| EngineError::not_found("payment", id))?;
    if p.operator != Operator::External {
        return Err(conflict(
            Field::Id,
            format!("payment {id} is collected through {}: only the operator's answer confirms or fails it, and it cannot be changed or deleted (cancel it while it is pending with POST /v1/payments/{id}/cancel)", p.operator.code()),
        ));
    }
    if let Some(ingest) = p.record.as_ref().and_then(|r| r.ingest_id.as_deref()) {
        return Err(conflict(
            Field::Id,
            format!("payment {id} was reported by its source ({ingest}): it changes only by the source's next report, or by resolving its exception"),
        ));
    }
    Ok(p)
}
