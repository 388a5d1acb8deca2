//! Kulpay's wire objects: payments (`pm_…`), ingested payments and collection requests, built
//! from the engine's objects; and the parsing of its money, sent as JSON doubles.

use crate::compat::common::{face_id, iso_seconds};
use kumbu_core::{
    CollectionMethod, CollectionRequest, CollectionStatus, Currency, IngestedPayment, MoneyError,
    Payment,
};
use kumbu_engine::RecordStatus;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// Kulpay's payment id prefix (Kumbu's is `pay_`).
pub const PAYMENT_PREFIX: &str = "pm_";

/// Kulpay's collection method ids for Kumbu's three built-in methods.
pub const fn method_id(m: CollectionMethod) -> &'static str {
    match m {
        CollectionMethod::SimoErv => "cm_simo_erv",
        CollectionMethod::MobileWallet => "cm_mobile_wallet",
        CollectionMethod::BankTransfer => "cm_bank_transfer",
    }
}

/// A collection method from its id (`cm_simo_erv`) or name (`simo_erv`).
pub fn parse_method(s: &str) -> Option<CollectionMethod> {
    CollectionMethod::ALL
        .into_iter()
        .find(|m| s == method_id(*m) || s == m.as_str())
}

/// A bill's status as Kulpay names it (its documents show `pending` for an unpaid bill).
pub const fn bill_status(s: CollectionStatus) -> &'static str {
    match s {
        CollectionStatus::Open => "pending",
        CollectionStatus::PartiallyPaid => "partially_paid",
        CollectionStatus::Paid => "paid",
        CollectionStatus::Expired => "expired",
        CollectionStatus::Cancelled => "cancelled",
    }
}

/// A bill status filter value, in Kulpay's words or Kumbu's.
pub fn parse_bill_status(s: &str) -> Option<CollectionStatus> {
    CollectionStatus::ALL
        .into_iter()
        .find(|x| s == bill_status(*x) || s == x.as_str())
}

/// Money as a JSON number with the currency's places, `7500.00`: the decimal text itself,
/// written as a number, never through a float.
pub fn money_value(currency: Currency, minor: i64) -> Box<RawValue> {
    RawValue::from_string(currency.format_decimal(minor))
        .expect("a decimal of minor units is a JSON number")
}

/// Why an amount was refused: (code, message).
pub fn amount_error(field: &str, e: &MoneyError) -> (kumbu_core::ErrorCode, String) {
    match e {
        MoneyError::TooPrecise {
            currency, exponent, ..
        } => (
            kumbu_core::ErrorCode::AmountTooPrecise,
            format!(
                "{field} has more decimal places than {} allows ({exponent})",
                currency.code()
            ),
        ),
        MoneyError::OutOfRange(_) => (
            kumbu_core::ErrorCode::AmountOutOfRange,
            format!("{field} is larger than any payment Kumbu records"),
        ),
        MoneyError::NotANumber(_) | MoneyError::UnknownCurrency(_) => (
            kumbu_core::ErrorCode::ParameterInvalid,
            format!("{field} must be a non-negative decimal number, such as 7500.00"),
        ),
    }
}

/// Reads a JSON double's text as minor units, exactly. Accepts the number (`7500.00`,
/// `7.5e3`) or, as protojson does, a string holding one; refuses `NaN`, infinities, negatives
/// and anything finer than the currency.
pub fn parse_amount(raw: &RawValue, currency: Currency) -> Result<i64, MoneyError> {
    let text = raw.get().trim();
    let text = match serde_json::from_str::<String>(text) {
        Ok(s) => s,
        Err(_) => text.to_owned(),
    };
    let t = text.trim();
    if t.starts_with('-') || t.is_empty() {
        return Err(MoneyError::NotANumber(t.to_owned()));
    }
    currency.parse_number(t)
}

/// `{"currency", "value"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpMoney {
    /// ISO 4217.
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: &'static str,
    /// A JSON number with the currency's places.
    #[schema(value_type = f64)]
    pub value: Box<RawValue>,
}

impl KpMoney {
    /// The money of `minor` units of `currency`.
    pub fn of(currency: Currency, minor: i64) -> Self {
        Self {
            currency: currency.code(),
            value: money_value(currency, minor),
        }
    }
}

/// A payment record as Kulpay shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpPayment {
    /// `pm_…`
    id: String,
    account_id: String,
    collection_request_id: Option<String>,
    provider_id: Option<String>,
    channel: Option<String>,
    amount: KpMoney,
    #[schema(value_type = super::openapi::KpRecordStatus)]
    status: &'static str,
    /// When the record was confirmed (or as the source reported it).
    #[schema(format = DateTime)]
    processed_at: Option<String>,
    #[schema(format = DateTime)]
    confirmed_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// Set by `DELETE`; lists hide deleted records unless `show_deleted=true`.
    #[schema(format = DateTime)]
    deleted_at: Option<String>,
    /// A Kumbu addition, only on a payment collected from the payer's wallet: their number.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    payer_phone: Option<String>,
    /// A Kumbu addition, only on a payment collected from a wallet that failed: why, as the
    /// native API's `failure_code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<&'static str>,
}

impl From<&Payment> for KpPayment {
    fn from(p: &Payment) -> Self {
        let r = p.record.clone().unwrap_or_default();
        Self {
            id: face_id(&p.id, "pay_", PAYMENT_PREFIX),
            account_id: r.account_id,
            collection_request_id: p.collection_request_id.clone(),
            provider_id: r.provider_id,
            channel: r.channel,
            amount: KpMoney::of(p.currency, p.amount),
            status: RecordStatus::of(p.status).as_str(),
            // A wallet payment is processed when the operator debited it.
            processed_at: r
                .processed_at
                .or_else(|| {
                    p.confirmed_at()
                        .filter(|_| p.operator != kumbu_core::Operator::External)
                })
                .map(iso_seconds),
            confirmed_at: p.confirmed_at().map(iso_seconds),
            created_at: iso_seconds(p.created_at),
            deleted_at: p.deleted_at.map(iso_seconds),
            payer_phone: p.payer_phone.as_ref().map(|m| m.as_str().to_owned()),
            failure_code: p
                .failure_code
                .filter(|_| p.operator != kumbu_core::Operator::External)
                .map(|c| c.as_str()),
        }
    }
}

/// What the engine made of an ingested payment (a Kumbu addition to Kulpay's object).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpReconciliation {
    /// `ing_…`
    id: String,
    #[schema(value_type = super::openapi::KpMatchOutcome)]
    outcome: &'static str,
    /// Why, in words.
    detail: String,
    /// Whether a person must decide it (in the native API's exceptions).
    open_exception: bool,
    /// The bill it was applied to.
    collection_request_id: Option<String>,
    /// Its payment record (`pm_…`).
    payment_id: Option<String>,
    #[schema(value_type = Option<super::openapi::KpResolution>)]
    resolution: Option<&'static str>,
}

/// `payment_method_details`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpMethodDetails {
    nib: Option<String>,
    entity_number: Option<String>,
    reference_number: Option<String>,
}

/// An ingested payment as Kulpay echoes it, with its reconciliation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpIngest {
    /// The source's id for it.
    id: String,
    /// A JSON number with the currency's places.
    #[schema(value_type = f64)]
    amount: Box<RawValue>,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    currency: &'static str,
    #[schema(value_type = super::openapi::KpIngestStatus)]
    status: &'static str,
    payment_method_type: Option<String>,
    payment_method_details: KpMethodDetails,
    reference: Option<String>,
    source: String,
    #[schema(format = DateTime)]
    processed_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(format = DateTime)]
    created_at: String,
    /// Always null: a report is never deleted.
    #[schema(format = DateTime)]
    deleted_at: Option<String>,
    reconciliation: KpReconciliation,
}

impl From<&IngestedPayment> for KpIngest {
    fn from(i: &IngestedPayment) -> Self {
        Self {
            id: i.external_id.clone(),
            amount: money_value(i.currency, i.amount),
            currency: i.currency.code(),
            status: i.status.as_str(),
            payment_method_type: i.method.method_type.clone(),
            payment_method_details: KpMethodDetails {
                nib: i.method.nib.clone(),
                entity_number: i.method.entity_number.clone(),
                reference_number: i.method.reference_number.clone(),
            },
            reference: i.reference.clone(),
            source: i.source.clone(),
            processed_at: iso_seconds(i.processed_at),
            updated_at: iso_seconds(i.updated_at),
            created_at: iso_seconds(i.created_at),
            deleted_at: None,
            reconciliation: KpReconciliation {
                id: i.id.clone(),
                outcome: i.outcome.as_str(),
                detail: i.detail.clone(),
                open_exception: i.is_open_exception(),
                collection_request_id: i.collection_request_id.clone(),
                payment_id: i
                    .payment_id
                    .as_deref()
                    .map(|p| face_id(p, "pay_", PAYMENT_PREFIX)),
                resolution: i.decision.as_ref().map(|d| d.resolution.as_str()),
            },
        }
    }
}

/// `bill_info`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpBillInfo {
    /// The request's id.
    bill_id: String,
    /// `KMB-<year>-<n>`
    bill_number: String,
    #[schema(value_type = super::openapi::KpBillStatus)]
    status: &'static str,
    #[schema(format = DateTime)]
    due_date: Option<String>,
}

/// One entry of `collection_method_details`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpMethodDetail {
    #[serde(rename = "type")]
    #[schema(value_type = super::openapi::KpMethodName)]
    kind: &'static str,
    #[schema(value_type = super::openapi::KpMethodId)]
    collection_method_id: &'static str,
    /// SIMO/ERV only: the merchant's entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    entity_number: Option<String>,
    /// SIMO/ERV only: the bill's 11-digit reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_number: Option<String>,
}

/// `payer.contact`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpContact {
    phone_number: Option<String>,
    email: Option<String>,
}

/// `payer`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpPayer {
    first_name: Option<String>,
    last_name: Option<String>,
    legal_name: Option<String>,
    vat_number: Option<String>,
    address: BTreeMap<String, String>,
    contact: KpContact,
    #[serde(rename = "type")]
    kind: Option<String>,
    delivery_method: Option<String>,
}

/// An answer's `object` about a payment record.
pub const PAYMENT: &str = "payment";
/// … about a page of a list.
pub const LIST: &str = "list";
/// … about an ingested payment.
pub const INGEST: &str = "payment_ingest";
/// … about a collection request.
pub const REQUEST: &str = "collection_request";
/// What a successful answer may be about.
pub const OBJECTS: [&str; 4] = [PAYMENT, LIST, INGEST, REQUEST];

/// `{"object": "payment", "payment": …, "error": null}`, serialised without going through a
/// `serde_json::Value` (which would turn `7500.00` into the float `7500.0`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope<T: Serialize> {
    /// What the answer is about.
    #[schema(value_type = super::openapi::KpObject)]
    pub object: &'static str,
    /// The object, under its own key (`payment`, `ingest_payment`).
    #[serde(flatten)]
    pub body: T,
    /// Always null on success.
    #[schema(value_type = super::openapi::KpNull)]
    pub error: Option<()>,
}

/// `payment`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentField {
    /// The record.
    pub payment: KpPayment,
}

/// `ingest_payment`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestField {
    /// The ingested payment.
    pub ingest_payment: KpIngest,
}

/// A deleted record's answer: `{"object": "payment", "error": null}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {}

/// A page: `items`, `has_more`, `next_page_token` (empty at the end).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T: Serialize> {
    /// The items.
    pub items: Vec<T>,
    /// More follow.
    pub has_more: bool,
    /// The token of the next page; empty on the last.
    pub next_page_token: String,
}

impl<T: Serialize> Envelope<T> {
    /// An answer about `object`.
    pub fn of(object: &'static str, body: T) -> Self {
        Self {
            object,
            body,
            error: None,
        }
    }
}

/// A collection request as Kulpay shows it (its fields at the top level, beside `object`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpCollectionRequest {
    /// `cr_…`
    id: String,
    bill_info: KpBillInfo,
    description: Option<String>,
    amount: KpMoney,
    amount_paid: KpMoney,
    amount_overpaid: KpMoney,
    allow_installments: bool,
    allow_reuses: bool,
    collection_method_details: Vec<KpMethodDetail>,
    payer: KpPayer,
    third_party_reference: Option<String>,
    metadata: BTreeMap<String, String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&CollectionRequest> for KpCollectionRequest {
    fn from(c: &CollectionRequest) -> Self {
        let p = &c.payer;
        Self {
            id: c.id.clone(),
            bill_info: KpBillInfo {
                bill_id: c.id.clone(),
                bill_number: c.bill_number.clone(),
                status: bill_status(c.status()),
                due_date: c.due_at.map(iso_seconds),
            },
            description: c.description.clone(),
            amount: KpMoney::of(c.currency, c.balance.amount),
            amount_paid: KpMoney::of(c.currency, c.balance.amount_paid),
            amount_overpaid: KpMoney::of(c.currency, c.balance.amount_overpaid),
            allow_installments: c.balance.allow_instalments,
            allow_reuses: c.allow_reuse,
            collection_method_details: c
                .methods
                .iter()
                .map(|m| {
                    let erv = c.erv.as_ref().filter(|_| *m == CollectionMethod::SimoErv);
                    KpMethodDetail {
                        kind: m.as_str(),
                        collection_method_id: method_id(*m),
                        entity_number: erv.map(|e| e.entity.clone()),
                        reference_number: erv.map(|e| e.reference.clone()),
                    }
                })
                .collect(),
            payer: KpPayer {
                first_name: p.first_name.clone(),
                last_name: p.last_name.clone(),
                legal_name: p.legal_name.clone(),
                vat_number: p.vat_number.clone(),
                address: p.address.clone(),
                contact: KpContact {
                    phone_number: p.phone_number.clone(),
                    email: p.email.clone(),
                },
                kind: p.kind.clone(),
                delivery_method: p.delivery_method.clone(),
            },
            third_party_reference: c.third_party_reference.clone(),
            metadata: c.metadata.clone(),
            created_at: iso_seconds(c.created_at),
            updated_at: iso_seconds(c.balance.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn doubles_land_exactly_and_bad_ones_are_refused() {
        let mzn = Currency::Mzn;
        for (text, minor) in [
            ("0.29", 29),
            ("19.99", 1999),
            ("3200.50", 320_050),
            ("7500.00", 750_000),
            ("7500", 750_000),
            ("7.5e3", 750_000),
            ("\"7500.00\"", 750_000),
        ] {
            assert_eq!(parse_amount(&raw(text), mzn), Ok(minor), "{text}");
        }
        for text in [
            "7500.001",
            "-1",
            "\"NaN\"",
            "\"Infinity\"",
            "\"-Infinity\"",
            "true",
            "\"\"",
        ] {
            assert!(parse_amount(&raw(text), mzn).is_err(), "{text}");
        }
        assert_eq!(money_value(mzn, 320_050).get(), "3200.50");
        assert_eq!(money_value(Currency::Xof, 5000).get(), "5000");
    }

    #[test]
    fn every_bill_status_and_method_has_a_name() {
        for s in CollectionStatus::ALL {
            assert_eq!(parse_bill_status(bill_status(s)), Some(s));
        }
        for m in CollectionMethod::ALL {
            assert_eq!(parse_method(method_id(m)), Some(m));
            assert_eq!(parse_method(m.as_str()), Some(m));
        }
    }
}
