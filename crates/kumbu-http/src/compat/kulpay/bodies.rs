//! What Kulpay's callers send: each request body as Kulpay spells it (snake_case, amounts as JSON
//! doubles read from their text), and its conversion into the engine's command (`TryFrom`, or a
//! method taking what only the record knows), failing with a 400 naming Kulpay's field.

use super::views::parse_method;
use super::{currency, invalid, missing, money, openapi, KpError};
use crate::compat::common::metadata;
use kumbu_core::{
    Currency, ErvReference, ExternalStatus, MethodDetails, Msisdn, Operator, Payer, Timestamp,
};
use kumbu_engine::{
    CreateCollectionRequest, CreatePaymentRecord, IngestPayment, RecordPayer, RecordStatus,
    UpdatePaymentRecord,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

pub(super) fn status(field: &str, s: &str) -> Result<RecordStatus, KpError> {
    RecordStatus::parse(s.trim())
        .ok_or_else(|| invalid(field, "status must be pending, failed or confirmed"))
}

/// A payment record's fields (`POST` needs `account_id`, `currency`, `amount` and `status`;
/// `PUT` changes the ones sent and needs `account_id`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct PaymentBody {
    /// The payer's account in your books.
    #[schema(value_type = openapi::RecordLabel, required = true)]
    account_id: Option<String>,
    /// The bill it pays: one of Kumbu's (counted towards it once confirmed, in its currency)
    /// or one held elsewhere (kept as given).
    #[schema(value_type = Option<openapi::RecordLabelOrEmpty>)]
    collection_request_id: Option<String>,
    #[schema(value_type = Option<openapi::RecordLabelOrEmpty>)]
    provider_id: Option<String>,
    #[schema(value_type = Option<openapi::RecordLabelOrEmpty>)]
    channel: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::Currency>)]
    currency: Option<String>,
    /// A JSON double in `currency`'s places (a `PUT` without `currency`: the record's).
    #[schema(value_type = Option<openapi::AnyAmount>)]
    amount: Option<Box<RawValue>>,
    /// Only forward: `pending` → `confirmed` or `failed`.
    #[schema(value_type = Option<openapi::KpRecordStatus>)]
    status: Option<String>,
    /// A Kumbu addition, on `POST` only: the payer's number (E.164). With `provider_mpesa` (or
    /// `provider_emola`) and `status: pending`, Kumbu collects the payment from that wallet (a
    /// prompt on the payer's phone) instead of recording it: the operator's answer confirms or
    /// fails it.
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    payer_phone: Option<String>,
}

/// The providers whose payments Kumbu can collect from the payer's wallet, and their operators.
pub(super) const PROVIDERS: [(&str, Operator); 2] = [
    ("provider_mpesa", Operator::MpesaMz),
    ("provider_emola", Operator::Emola),
];

/// Whom a new record is collected from: none without `payer_phone`; with one, its provider's
/// operator (or a 400 naming the field).
fn wallet(b: &PaymentBody) -> Result<Option<RecordPayer>, KpError> {
    let Some(phone) = b.payer_phone.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Ok(None);
    };
    let phone = Msisdn::parse(phone.trim()).map_err(|e| invalid("payer_phone", e.to_string()))?;
    let provider = b.provider_id.as_deref().unwrap_or_default();
    let operator = PROVIDERS
        .iter()
        .find(|(name, _)| *name == provider)
        .map(|(_, op)| *op)
        .ok_or_else(|| {
            invalid(
                "provider_id",
                "payer_phone collects the payment from the payer's wallet: provider_id must be provider_mpesa (M-Pesa) or provider_emola (e-Mola)",
            )
        })?;
    Ok(Some(RecordPayer { operator, phone }))
}

pub(super) fn timestamp(field: &str, v: &str) -> Result<Timestamp, KpError> {
    Timestamp::parse_rfc3339(v.trim()).ok_or_else(|| {
        invalid(
            field,
            format!("{field} must be an ISO 8601 timestamp, such as 2025-07-10T08:30:00Z"),
        )
    })
}

/// How a reported payment was paid (each blank or 1 to 100 printable characters).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct MethodDetailsBody {
    #[schema(value_type = Option<openapi::IngestLabelOrBlank>)]
    nib: Option<String>,
    #[schema(value_type = Option<openapi::IngestLabelOrBlank>)]
    entity_number: Option<String>,
    #[schema(value_type = Option<openapi::IngestLabelOrBlank>)]
    reference_number: Option<String>,
}

/// `POST /v1/payments/ingest`'s body: a payment a source (a bank) reports.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct IngestBody {
    /// The source's id for it: with `source`, what makes a report the same one.
    #[schema(value_type = openapi::IngestId, required = true)]
    id: Option<String>,
    /// A JSON double in `currency`'s places.
    #[schema(value_type = openapi::AnyAmount, required = true)]
    amount: Option<Box<RawValue>>,
    #[schema(value_type = crate::openapi::vocab::Currency, required = true)]
    currency: Option<String>,
    #[schema(value_type = openapi::KpIngestStatus, required = true)]
    status: Option<String>,
    #[schema(value_type = Option<openapi::IngestLabelOrBlank>)]
    payment_method_type: Option<String>,
    #[schema(value_type = MethodDetailsBody, required = true)]
    payment_method_details: Option<MethodDetailsBody>,
    #[schema(value_type = Option<openapi::IngestLabelOrBlank>)]
    reference: Option<String>,
    /// Who reports it (`Bank`).
    #[schema(value_type = openapi::IngestSource, required = true)]
    source: Option<String>,
    #[schema(value_type = crate::openapi::vocab::DateTime, required = true)]
    processed_at: Option<String>,
}

/// `{"currency", "value"}` (the value in the currency's places).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct MoneyBody {
    #[schema(value_type = crate::openapi::vocab::Currency, required = true)]
    currency: Option<String>,
    #[schema(value_type = openapi::AnyAmount, required = true)]
    value: Option<Box<RawValue>>,
}

/// `payer.contact`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(super) struct ContactBody {
    #[schema(value_type = Option<openapi::PayerText>)]
    phone_number: Option<String>,
    #[schema(value_type = Option<openapi::PayerText>)]
    email: Option<String>,
}

/// Who pays.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(super) struct PayerBody {
    #[schema(value_type = Option<openapi::PayerText>)]
    first_name: Option<String>,
    #[schema(value_type = Option<openapi::PayerText>)]
    last_name: Option<String>,
    #[schema(value_type = Option<openapi::PayerText>)]
    legal_name: Option<String>,
    #[schema(value_type = Option<openapi::PayerText>)]
    vat_number: Option<String>,
    #[schema(value_type = Option<openapi::PayerAddress>)]
    address: Option<Value>,
    contact: Option<ContactBody>,
    /// `business` or `individual`.
    #[serde(rename = "type")]
    #[schema(value_type = Option<openapi::PayerText>)]
    kind: Option<String>,
    /// How the bill reaches the payer (`sms`, `email`, …).
    #[schema(value_type = Option<openapi::PayerText>)]
    delivery_method: Option<String>,
}

/// `POST /v1/collection-requests`' body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct CreateBody {
    #[schema(value_type = Option<openapi::BillDescription>)]
    description: Option<String>,
    /// The ways it may be paid (SIMO/ERV bills are in MZN).
    #[schema(value_type = Vec<openapi::KpMethodRef>, min_items = 1, required = true)]
    collection_method_ids: Option<Vec<String>>,
    #[schema(value_type = MoneyBody, required = true)]
    amount: Option<MoneyBody>,
    payer: Option<PayerBody>,
    /// Your own reference, unique among open bills.
    #[schema(value_type = Option<openapi::ThirdPartyReference>)]
    third_party_reference: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
    /// When it falls due (in the future); an open bill expires then.
    #[schema(value_type = Option<crate::openapi::vocab::DateTime>)]
    due_date: Option<String>,
    /// Several partial payments may pay it.
    allow_installments: Option<bool>,
    /// Its reference may serve later bills once it is closed.
    allow_reuses: Option<bool>,
    /// A standing reference of an earlier bill to reuse (with `allow_reuses`; used by SIMO/ERV).
    #[schema(value_type = Option<openapi::ErvReferenceText>)]
    reference_number: Option<String>,
}

/// A record of a payment made elsewhere: `account_id`, `currency`, `amount` and `status` are required; blank labels are none.
impl TryFrom<PaymentBody> for CreatePaymentRecord {
    type Error = KpError;

    fn try_from(b: PaymentBody) -> Result<Self, KpError> {
        let collect_from = wallet(&b)?;
        let account_id = b.account_id.ok_or_else(|| missing("account_id"))?;
        let (cur, amount) = amount_in_currency(b.currency.as_deref(), b.amount.as_deref())?;
        let st = status(
            "status",
            b.status.as_deref().ok_or_else(|| missing("status"))?,
        )?;
        Ok(CreatePaymentRecord {
            collect_from,
            account_id,
            collection_request_id: b.collection_request_id.filter(|s| !s.is_empty()),
            provider_id: b.provider_id.filter(|s| !s.is_empty()),
            channel: b.channel.filter(|s| !s.is_empty()),
            currency: cur,
            amount,
            status: st,
        })
    }
}

/// A payment a source reports: every field but the labels is required; blank labels are none.
impl TryFrom<IngestBody> for IngestPayment {
    type Error = KpError;

    fn try_from(b: IngestBody) -> Result<Self, KpError> {
        let external_id = b.id.ok_or_else(|| missing("id"))?;
        let (cur, amount) = amount_in_currency(b.currency.as_deref(), b.amount.as_deref())?;
        let st = b.status.as_deref().ok_or_else(|| missing("status"))?;
        let st = ExternalStatus::parse(st.trim())
            .ok_or_else(|| invalid("status", "status must be pending, completed or failed"))?;
        let details = b
            .payment_method_details
            .ok_or_else(|| missing("payment_method_details"))?;
        let source = b.source.ok_or_else(|| missing("source"))?;
        let processed_at = timestamp(
            "processed_at",
            b.processed_at
                .as_deref()
                .ok_or_else(|| missing("processed_at"))?,
        )?;
        let blank = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
        Ok(IngestPayment {
            source,
            external_id,
            amount,
            currency: cur,
            status: st,
            method: MethodDetails {
                method_type: blank(b.payment_method_type),
                nib: blank(details.nib),
                entity_number: blank(details.entity_number),
                reference_number: blank(details.reference_number),
            },
            reference: blank(b.reference),
            processed_at,
            file_id: None,
        })
    }
}

/// A bill: its methods, amount (in the currency's places) and payer; a reference to reuse is 11 digits.
impl TryFrom<CreateBody> for CreateCollectionRequest {
    type Error = KpError;

    fn try_from(b: CreateBody) -> Result<Self, KpError> {
        let ids = b
            .collection_method_ids
            .ok_or_else(|| missing("collection_method_ids"))?;
        let methods = ids
        .iter()
        .map(|id| {
            parse_method(id).ok_or_else(|| {
                invalid(
                    "collection_method_ids",
                    format!("`{id}` is not a collection method: use cm_simo_erv, cm_mobile_wallet or cm_bank_transfer"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
        let m = b.amount.ok_or_else(|| missing("amount"))?;
        let cur = currency(
            "amount.currency",
            m.currency
                .as_deref()
                .ok_or_else(|| missing("amount.currency"))?,
        )?;
        let amount = money(
            "amount.value",
            m.value.as_deref().ok_or_else(|| missing("amount.value"))?,
            cur,
        )?;
        let p = b.payer.unwrap_or_default();
        let address: BTreeMap<String, String> = metadata(p.address.as_ref())
            .map_err(|e| invalid("payer.address", e.replace("metadata", "payer.address")))?;
        let contact = p.contact.unwrap_or_default();
        let due_at = b
            .due_date
            .as_deref()
            .map(|d| {
                Timestamp::parse_rfc3339(d.trim())
                    .ok_or_else(|| invalid("due_date", "due_date must be an RFC 3339 timestamp"))
            })
            .transpose()?;
        // A reference to reuse is 11 digits, whatever the methods.
        let erv_reference = b.reference_number.filter(|s| !s.is_empty());
        if let Some(r) = &erv_reference {
            ErvReference::parse(r)
                .map_err(|_| invalid("reference_number", "reference_number is 11 digits"))?;
        }
        Ok(CreateCollectionRequest {
            amount,
            currency: cur,
            methods,
            allow_instalments: b.allow_installments.unwrap_or(false),
            allow_reuse: b.allow_reuses.unwrap_or(false),
            erv_reference,
            description: b.description,
            payer: Payer {
                kind: p.kind,
                first_name: p.first_name,
                last_name: p.last_name,
                legal_name: p.legal_name,
                vat_number: p.vat_number,
                phone_number: contact.phone_number,
                email: contact.email,
                delivery_method: p.delivery_method,
                address,
            },
            due_at,
            third_party_reference: b.third_party_reference.filter(|s| !s.is_empty()),
            metadata: metadata(b.metadata.as_ref()).map_err(|e| invalid("metadata", e))?,
        })
    }
}

impl PaymentBody {
    /// `account_id` is required by a `PUT` too: checked first, before anything is looked up.
    pub(super) fn require_account(&self) -> Result<(), KpError> {
        self.account_id
            .as_ref()
            .map(|_| ())
            .ok_or_else(|| missing("account_id"))
    }

    /// The currency sent, if any.
    pub(super) fn currency(&self) -> Result<Option<Currency>, KpError> {
        self.currency
            .as_deref()
            .map(|c| currency("currency", c))
            .transpose()
    }

    /// Whether an amount is sent.
    pub(super) fn has_amount(&self) -> bool {
        self.amount.is_some()
    }

    /// A `PUT`: the fields sent change (`account_id` is required), the amount read in
    /// `amount_in` (the currency sent, or else the record's).
    pub(super) fn update(
        self,
        amount_in: Option<Currency>,
    ) -> Result<UpdatePaymentRecord, KpError> {
        let account_id = self.account_id.ok_or_else(|| missing("account_id"))?;
        if self.payer_phone.is_some() {
            return Err(invalid(
                "payer_phone",
                "payer_phone is for a new payment only (POST): a record's payer cannot change",
            ));
        }
        let cur = self
            .currency
            .as_deref()
            .map(|c| currency("currency", c))
            .transpose()?;
        let amount = match (&self.amount, amount_in) {
            (Some(raw), Some(c)) => Some(money("amount", raw, c)?),
            (Some(_), None) => return Err(missing("currency")),
            (None, _) => None,
        };
        Ok(UpdatePaymentRecord {
            account_id: Some(account_id),
            collection_request_id: self.collection_request_id.filter(|s| !s.is_empty()),
            provider_id: self.provider_id.filter(|s| !s.is_empty()),
            channel: self.channel.filter(|s| !s.is_empty()),
            amount,
            currency: cur,
            status: self
                .status
                .as_deref()
                .map(|s| status("status", s))
                .transpose()?,
        })
    }
}

/// A required `currency` and a required `amount` read in its places.
fn amount_in_currency(
    code: Option<&str>,
    amount: Option<&RawValue>,
) -> Result<(Currency, i64), KpError> {
    let cur = currency("currency", code.ok_or_else(|| missing("currency"))?)?;
    let amount = money("amount", amount.ok_or_else(|| missing("amount"))?, cur)?;
    Ok((cur, amount))
}
