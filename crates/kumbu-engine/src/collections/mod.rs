//! Collections: bills the merchant expects to be paid (collection requests), payment records of
//! money that moved outside Kumbu, and payments reported by banks, reconciled against the bills.
//!
//! Rules, each decided in one transaction with its events and ledger postings:
//! - **A reference names one open bill.** A SIMO/ERV reference is 11 digits (a 9-digit base
//!   from a per-merchant counter plus MOD 97-10 check digits, over the amount for fixed-amount
//!   bills); a partial unique index keeps it to one open bill per entity.
//! - **Money is judged before it is applied** ([`kumbu_core::CollectionBalance::judge`]): the
//!   exact remainder pays, less is an instalment only where allowed, more is an exception.
//!   Nothing is absorbed silently; a person decides every exception, and the decision is kept.
//! - **Ingest is idempotent on the source's own id.** The same report again returns the first
//!   result; a changed one is a conflict, except a pending payment becoming completed or
//!   failed. Two racing reports of one payment produce one row (a unique index, and a retry
//!   that reads the winner).
//! - **Payment records are payments** on the `external` rail: a confirmed record posts its
//!   journals like any settled payment and counts towards its bill; a confirmed record cannot
//!   be deleted (the ledger never forgets money), a pending or failed one is soft-deleted.
//! - **A record that names the payer's wallet is collected** (`wallet.rs`): a payment on the
//!   operator's rail that Kumbu holds, confirmed by the operator alone, counted towards its
//!   bill on its first debit.

mod batch;
mod files;
mod ingest;
mod records;
mod report;
mod requests;
mod wallet;

pub use files::{FileImport, FilePreview};
pub use ingest::{IngestPayment, ResolveException};
pub use records::{CreatePaymentRecord, RecordStatus, UpdatePaymentRecord};
pub use report::{Report, ReportLine};
pub use requests::{CreateCollectionRequest, MAX_ADDRESS_LINES};
pub(crate) use wallet::CreditBills;
pub use wallet::RecordPayer;

use crate::error::EngineError;
use kumbu_core::{
    CollectionRequest, CollectionStatus, ErrorCode, Field, IngestedPayment, Payment, Rejection,
    Timestamp,
};
use kumbu_store::{StoreError, StoreTx};

/// How many due bills one worker pass expires.
const EXPIRY_BATCH: u32 = 256;

/// Writes the event of a bill's change (`collection_request.<status>`) at once, so that a
/// second change in the same transaction gets the next sequence number.
pub(crate) async fn publish_request_event(
    tx: &mut StoreTx,
    c: &CollectionRequest,
    event_type: &str,
) -> Result<(), StoreError> {
    let seq = tx.next_object_seq(&c.id).await?;
    tx.publish_events(&[crate::unit_of_work::object_event(
        event_type,
        seq,
        (&c.merchant_id, c.mode),
        &c.id,
        c.balance.updated_at,
        c,
    )])
    .await
}

/// The event of a bill's status as it now is.
pub(crate) fn status_event(c: &CollectionRequest) -> String {
    format!("collection_request.{}", c.status().as_str())
}

/// Writes the event of an ingested payment's change at once (see [`publish_request_event`]).
pub(crate) async fn publish_ingest_event(
    tx: &mut StoreTx,
    i: &IngestedPayment,
    event_type: &str,
) -> Result<(), StoreError> {
    let seq = tx.next_object_seq(&i.id).await?;
    tx.publish_events(&[crate::unit_of_work::object_event(
        event_type,
        seq,
        (&i.merchant_id, i.mode),
        &i.id,
        i.updated_at,
        i,
    )])
    .await
}

fn not_open(c: &CollectionRequest) -> EngineError {
    EngineError::Rejected(Rejection::field(
        ErrorCode::CollectionRequestNotOpen,
        Field::CollectionRequestId,
        format!(
            "collection request {} is {}: it takes no more payments",
            c.id,
            c.status().as_str()
        ),
    ))
}

/// Applies `payment` (just settled) to its bill by a person's word (a merchant's record, a
/// resolved exception): the bill takes it whatever the matching rules say, an excess is kept
/// as overpaid. Writes the bill and its event.
pub(crate) async fn accept_into(
    tx: &mut StoreTx,
    c: &mut CollectionRequest,
    amount: i64,
    at: Timestamp,
) -> Result<(), EngineError> {
    c.balance.accept(amount, at).map_err(|_| not_open(c))?;
    tx.save_collection_request(c).await?;
    publish_request_event(tx, c, &status_event(c)).await?;
    Ok(())
}

/// The bill a payment names, locked, checked to take the payment's currency.
pub(crate) async fn lock_bill_for(
    tx: &mut StoreTx,
    p: &Payment,
    id: &str,
) -> Result<CollectionRequest, EngineError> {
    bill_of(tx, p, id).await?.ok_or_else(|| {
        EngineError::field(
            ErrorCode::ParameterInvalid,
            Field::CollectionRequestId,
            format!("collection request `{id}` does not exist"),
        )
    })
}

/// The merchant's own bill with this id, locked and checked to take the payment's currency;
/// `None` when Kumbu holds no such bill (a record may name a bill kept elsewhere).
pub(crate) async fn bill_of(
    tx: &mut StoreTx,
    p: &Payment,
    id: &str,
) -> Result<Option<CollectionRequest>, EngineError> {
    let Some(c) = tx
        .lock_collection_request(&p.merchant_id, p.mode, id)
        .await?
    else {
        return Ok(None);
    };
    if c.currency != p.currency {
        return Err(EngineError::field(
            ErrorCode::CurrencyNotSupported,
            Field::Currency,
            format!(
                "collection request {} is billed in {}, not {}",
                c.id,
                c.currency.code(),
                p.currency.code()
            ),
        ));
    }
    Ok(Some(c))
}

/// Expires open bills past their due date, inside the due-action worker's transaction;
/// returns how many.
pub(crate) async fn expire_due_requests(
    tx: &mut StoreTx,
    now: Timestamp,
) -> Result<usize, EngineError> {
    let due = tx.claim_due_collection_requests(now, EXPIRY_BATCH).await?;
    for mut c in due.iter().cloned() {
        if c.balance.transition(CollectionStatus::Expired, now).is_ok() {
            tx.save_collection_request(&c).await?;
            publish_request_event(tx, &c, &status_event(&c)).await?;
        }
    }
    Ok(due.len())
}
