//! The native API's collection objects: collection requests, payment records' details,
//! ingested payments with their reconciliation, and the daily report.

use kumbu_core::{CollectionRequest, IngestedPayment, RecordDetails, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// What a payment record says about money that moved outside Kumbu.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    /// The payer's account in your books.
    pub account_id: String,
    /// The provider that carried it.
    pub provider_id: Option<String>,
    /// The channel.
    pub channel: Option<String>,
    /// RFC 3339: when the money moved, as its source says.
    pub processed_at: Option<String>,
    /// The ingested payment (`ing_…`) it came from, if any.
    pub ingest: Option<String>,
}

impl From<&RecordDetails> for RecordView {
    fn from(r: &RecordDetails) -> Self {
        Self {
            account_id: r.account_id.clone(),
            provider_id: r.provider_id.clone(),
            channel: r.channel.clone(),
            processed_at: r.processed_at.map(Timestamp::to_rfc3339),
            ingest: r.ingest_id.clone(),
        }
    }
}

/// The bank reference a payer pays a bill with.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErvView {
    /// Your SIMO entity (5 digits).
    pub entity: String,
    /// The bill's reference (11 digits).
    pub reference: String,
    /// Whether the amount entered its check digits.
    pub with_amount: bool,
}

/// A collection request: a bill, how it may be paid, and what came in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionRequestView {
    /// `cr_…`
    pub id: String,
    /// Always `collection_request`.
    pub object: &'static str,
    /// open, partially_paid, paid, expired or cancelled.
    pub status: String,
    /// Billed, minor units.
    pub amount: i64,
    /// Applied so far, minor units.
    pub amount_paid: i64,
    /// Still due, minor units.
    pub amount_due: i64,
    /// Received beyond the bill and applied by a person, minor units (owed back or credited).
    pub amount_overpaid: i64,
    /// ISO 4217.
    pub currency: String,
    /// simo_erv, mobile_wallet, bank_transfer.
    pub methods: Vec<String>,
    /// Entity and reference, for simo_erv.
    pub erv: Option<ErvView>,
    /// Several partial payments may pay it.
    pub allow_instalments: bool,
    /// Its reference may serve a later bill.
    pub allow_reuse: bool,
    /// `KMB-2026-00042`.
    pub bill_number: String,
    /// What it is for.
    pub description: Option<String>,
    /// Who pays.
    #[schema(value_type = Object)]
    pub payer: kumbu_core::Payer,
    /// RFC 3339.
    pub due_date: Option<String>,
    /// Your own reference.
    pub third_party_reference: Option<String>,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
    /// `true` for live bills.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&CollectionRequest> for CollectionRequestView {
    fn from(c: &CollectionRequest) -> Self {
        Self {
            id: c.id.clone(),
            object: "collection_request",
            status: c.status().as_str().to_owned(),
            amount: c.balance.amount,
            amount_paid: c.balance.amount_paid,
            amount_due: c.amount_due(),
            amount_overpaid: c.balance.amount_overpaid,
            currency: c.currency.code().to_owned(),
            methods: c.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            erv: c.erv.as_ref().map(|e| ErvView {
                entity: e.entity.clone(),
                reference: e.reference.clone(),
                with_amount: e.with_amount,
            }),
            allow_instalments: c.balance.allow_instalments,
            allow_reuse: c.allow_reuse,
            bill_number: c.bill_number.clone(),
            description: c.description.clone(),
            payer: c.payer.clone(),
            due_date: c.due_at.map(Timestamp::to_rfc3339),
            third_party_reference: c.third_party_reference.clone(),
            metadata: c.metadata.clone(),
            livemode: c.mode.is_live(),
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.balance.updated_at.to_rfc3339(),
        }
    }
}

/// A person's decision on an exception.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// `matched` (by hand) or `return`.
    pub resolution: String,
    /// Who: the API key id.
    pub by: String,
    /// RFC 3339.
    pub at: String,
    /// Why.
    pub note: Option<String>,
}

/// A payment reported from outside, with what reconciliation made of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestView {
    /// `ing_…`
    pub id: String,
    /// Always `ingested_payment`.
    pub object: &'static str,
    /// Who reported it.
    pub source: String,
    /// The source's id for it.
    pub external_id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// pending, completed or failed, as the source says.
    pub status: String,
    /// SIMO_ERV, INTERBANK, … as sent.
    pub payment_method_type: Option<String>,
    /// The account paid into.
    pub nib: Option<String>,
    /// The SIMO entity paid.
    pub entity_number: Option<String>,
    /// The reference paid.
    pub reference_number: Option<String>,
    /// The source's own reference.
    pub reference: Option<String>,
    /// RFC 3339.
    pub processed_at: String,
    /// matched, unmatched, duplicate or amount_mismatch.
    pub outcome: String,
    /// Why, in words.
    pub detail: String,
    /// Waiting for a person.
    pub open_exception: bool,
    /// The bill it was matched (or nearly matched) to.
    pub collection_request: Option<String>,
    /// The payment record it produced.
    pub payment: Option<String>,
    /// A person's decision, once made.
    pub decision: Option<DecisionView>,
    /// The imported file it was a line of.
    pub file_id: Option<String>,
    /// `true` for live data.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&IngestedPayment> for IngestView {
    fn from(i: &IngestedPayment) -> Self {
        Self {
            id: i.id.clone(),
            object: "ingested_payment",
            source: i.source.clone(),
            external_id: i.external_id.clone(),
            amount: i.amount,
            currency: i.currency.code().to_owned(),
            status: i.status.as_str().to_owned(),
            payment_method_type: i.method.method_type.clone(),
            nib: i.method.nib.clone(),
            entity_number: i.method.entity_number.clone(),
            reference_number: i.method.reference_number.clone(),
            reference: i.reference.clone(),
            processed_at: i.processed_at.to_rfc3339(),
            outcome: i.outcome.as_str().to_owned(),
            detail: i.detail.clone(),
            open_exception: i.is_open_exception(),
            collection_request: i.collection_request_id.clone(),
            payment: i.payment_id.clone(),
            decision: i.decision.as_ref().map(|d| DecisionView {
                resolution: d.resolution.as_str().to_owned(),
                by: d.by.clone(),
                at: d.at.to_rfc3339(),
                note: d.note.clone(),
            }),
            file_id: i.file_id.clone(),
            livemode: i.mode.is_live(),
            created_at: i.created_at.to_rfc3339(),
            updated_at: i.updated_at.to_rfc3339(),
        }
    }
}
