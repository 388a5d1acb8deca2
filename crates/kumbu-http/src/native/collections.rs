//! Collections in the native API: `/v1/collection_requests`, `/v1/payment_records`,
//! `/v1/ingested_payments` (with the exception queue) and `/v1/reconciliation_report`.
//! Amounts are integers of minor units, as everywhere in the native API.

use super::views::PaymentView;
use super::views::{CollectionRequestView, IngestView};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, NoParams, PathId};
use crate::query::{query_pairs, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{
    CollectionMethod, CollectionStatus, Currency, ErrorCode, ExternalStatus, MatchOutcome,
    MethodDetails, Payer, Resolution, Timestamp,
};
use kumbu_engine::{
    CreateCollectionRequest, CreatePaymentRecord, IngestFilter, IngestPayment, RecordStatus,
    RequestFilter, ResolveException, UpdatePaymentRecord,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

fn invalid(param: &str, msg: impl Into<String>) -> NativeError {
    NativeError::new(ErrorCode::ParameterInvalid, msg, Some(param))
}

fn unknown(k: &str) -> NativeError {
    NativeError::new(
        ErrorCode::ParameterUnknown,
        format!("`{k}` is not a known parameter"),
        Some(k),
    )
}

fn currency(code: &str) -> Result<Currency, NativeError> {
    Currency::parse(code).map_err(|e| {
        NativeError::new(
            ErrorCode::CurrencyNotSupported,
            e.to_string(),
            Some("currency"),
        )
    })
}

fn timestamp(param: &str, v: &str) -> Result<Timestamp, NativeError> {
    Timestamp::parse_rfc3339(v.trim())
        .ok_or_else(|| invalid(param, format!("{param} must be an RFC 3339 timestamp")))
}

/// Who is billed (`kumbu_core::Payer`, which the body is read into), as documented: every field
/// free text of at most 200 characters.
#[expect(
    dead_code,
    reason = "only its schema is used: the body is read into kumbu_core::Payer"
)]
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillPayerBody {
    /// `business` or `individual`.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    kind: Option<String>,
    /// Given name.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    first_name: Option<String>,
    /// Family name.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    last_name: Option<String>,
    /// A company's registered name.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    legal_name: Option<String>,
    /// Tax number (NUIT).
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    vat_number: Option<String>,
    /// Phone, as given.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    phone_number: Option<String>,
    /// Email, as given.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    email: Option<String>,
    /// How the bill reaches the payer (`sms`, `email`, …).
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    delivery_method: Option<String>,
    /// Address lines by name (`street`, `city`, `country`, …).
    #[schema(schema_with = crate::openapi::vocab::field::address)]
    address: Option<BTreeMap<String, String>>,
}

/// A bill to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollectionRequestBody {
    /// Minor units.
    #[schema(value_type = crate::openapi::vocab::ExternalAmount)]
    pub amount: i64,
    /// ISO 4217 (MZN for simo_erv).
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: String,
    /// simo_erv, mobile_wallet, bank_transfer (at least one).
    #[schema(value_type = Vec<crate::openapi::vocab::CollectionMethod>)]
    pub methods: Vec<String>,
    /// Several partial payments may pay it (default false).
    #[serde(default)]
    pub allow_instalments: bool,
    /// Its reference may serve a later bill (default false).
    #[serde(default)]
    pub allow_reuse: bool,
    /// A standing reference of an earlier bill to reuse (requires allow_reuse).
    #[schema(schema_with = crate::openapi::vocab::field::erv_reference)]
    pub erv_reference: Option<String>,
    /// What it is for.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub description: Option<String>,
    /// Who pays.
    #[schema(value_type = Option<BillPayerBody>)]
    #[serde(default, deserialize_with = "crate::extract::object::optional")]
    pub payer: Option<Payer>,
    /// RFC 3339, in the future.
    #[schema(value_type = Option<crate::openapi::vocab::DateTime>)]
    pub due_date: Option<String>,
    /// Your own reference (unique among your open bills).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub third_party_reference: Option<String>,
    /// Up to 50 string key-value pairs.
    #[serde(default)]
    #[schema(value_type = crate::openapi::vocab::Metadata)]
    pub metadata: BTreeMap<String, String>,
}

/// Create a collection request (a bill).
#[utoipa::path(post, path = "/v1/collection_requests", tag = "collections",
    request_body = CreateCollectionRequestBody,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retry returns the same bill")),
    responses((status = 200, body = CollectionRequestView), (status = 400, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_collection_request(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, b): Command<CreateCollectionRequestBody>,
) -> Result<Response, NativeError> {
    let methods = b
        .methods
        .iter()
        .map(|m| {
            CollectionMethod::parse(m).ok_or_else(|| {
                invalid(
                    "methods",
                    format!("`{m}` is not simo_erv, mobile_wallet or bank_transfer"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cmd = CreateCollectionRequest {
        amount: b.amount,
        currency: currency(&b.currency)?,
        methods,
        allow_instalments: b.allow_instalments,
        allow_reuse: b.allow_reuse,
        erv_reference: b.erv_reference,
        description: b.description,
        payer: b.payer.unwrap_or_default(),
        due_at: b
            .due_date
            .as_deref()
            .map(|d| timestamp("due_date", d))
            .transpose()?,
        third_party_reference: b.third_party_reference,
        metadata: b.metadata,
    };
    let outcome = state
        .engine
        .create_collection_request(&auth, cmd, idem.as_ref(), |c| {
            record(200, &CollectionRequestView::from(c))
        })
        .await?;
    Ok(respond(outcome))
}

/// Retrieve a collection request.
#[utoipa::path(get, path = "/v1/collection_requests/{id}", tag = "collections",
    params(("id" = String, Path, description = "cr_…")),
    responses((status = 200, body = CollectionRequestView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_collection_request(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<CollectionRequestView>, NativeError> {
    let c = state.engine.collection_request(&auth, &id).await?;
    Ok(Json(CollectionRequestView::from(&c)))
}

/// Cancel an open collection request.
#[utoipa::path(post, path = "/v1/collection_requests/{id}/cancel", tag = "collections",
    params(("id" = String, Path, description = "cr_…")),
    responses((status = 200, body = CollectionRequestView), (status = 404, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn cancel_collection_request(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, _): Command<NoParams>,
) -> Result<Response, NativeError> {
    let outcome = state
        .engine
        .cancel_collection_request(&auth, &id, idem.as_ref(), |c| {
            record(200, &CollectionRequestView::from(c))
        })
        .await?;
    Ok(respond(outcome))
}

/// A page of collection requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionRequestList {
    /// Always `list`.
    pub object: &'static str,
    /// Newest first.
    pub data: Vec<CollectionRequestView>,
    /// More follow.
    pub has_more: bool,
}

/// List collection requests, newest first.
#[utoipa::path(get, path = "/v1/collection_requests", tag = "collections",
    params(("status" = Option<crate::openapi::vocab::CollectionStatus>, Query, description = "Only this status"),
           ("erv_reference" = Option<String>, Query, description = "only this reference"),
           ("third_party_reference" = Option<String>, Query, description = "only this reference of yours"),
           ("limit" = Option<u32>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
           ("starting_after" = Option<String>, Query, description = "the last id of the previous page", min_length = 1)),
    responses((status = 200, body = CollectionRequestList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_collection_requests(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<CollectionRequestList>, NativeError> {
    let mut paging = Paging::default();
    let mut filter = RequestFilter::default();
    for (k, v) in query_pairs(query.as_deref())? {
        match k.as_str() {
            "status" => {
                filter.statuses = vec![CollectionStatus::parse(&v).ok_or_else(|| {
                    invalid(
                        "status",
                        "status must be open, partially_paid, paid, expired or cancelled",
                    )
                })?];
            }
            "erv_reference" => filter.erv_reference = Some(v),
            "third_party_reference" => filter.third_party_reference = Some(v),
            _ if paging.take(&k, &v)? => {}
            _ => return Err(unknown(&k)),
        }
    }
    let (items, has_more) = state
        .engine
        .list_collection_requests(
            &auth,
            &filter,
            paging.starting_after.as_deref(),
            paging.limit,
        )
        .await?;
    Ok(Json(CollectionRequestList {
        object: "list",
        data: items.iter().map(CollectionRequestView::from).collect(),
        has_more,
    }))
}

fn record_status(s: &str) -> Result<RecordStatus, NativeError> {
    RecordStatus::parse(s)
        .ok_or_else(|| invalid("status", "status must be pending, confirmed or failed"))
}

/// A payment that happened outside Kumbu, to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRecordBody {
    /// The payer's account in your books.
    #[schema(schema_with = crate::openapi::vocab::field::required::label_100)]
    pub account_id: String,
    /// Minor units.
    #[schema(value_type = crate::openapi::vocab::ExternalAmount)]
    pub amount: i64,
    /// ISO 4217.
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: String,
    /// pending, confirmed or failed.
    #[schema(value_type = crate::openapi::vocab::RecordStatus)]
    pub status: String,
    /// The bill (`cr_…`) it pays.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub collection_request_id: Option<String>,
    /// The provider that carried it.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub provider_id: Option<String>,
    /// The channel.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub channel: Option<String>,
}

/// Record a payment that happened outside Kumbu (a payment on the `external` rail).
#[utoipa::path(post, path = "/v1/payment_records", tag = "collections",
    request_body = CreatePaymentRecordBody,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retry returns the same record")),
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_payment_record(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, b): Command<CreatePaymentRecordBody>,
) -> Result<Response, NativeError> {
    let cmd = CreatePaymentRecord {
        account_id: b.account_id,
        collection_request_id: b.collection_request_id,
        provider_id: b.provider_id,
        channel: b.channel,
        currency: currency(&b.currency)?,
        amount: b.amount,
        status: record_status(&b.status)?,
    };
    let outcome = state
        .engine
        .create_payment_record(&auth, cmd, idem.as_ref(), |p| {
            record(200, &PaymentView::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// A partial update of a payment record: absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePaymentRecordBody {
    /// The payer's account (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub account_id: Option<String>,
    /// Minor units (while pending).
    #[schema(value_type = Option<crate::openapi::vocab::ExternalAmount>)]
    pub amount: Option<i64>,
    /// ISO 4217 (while pending).
    #[schema(value_type = Option<crate::openapi::vocab::Currency>)]
    pub currency: Option<String>,
    /// Forward only: pending → confirmed | failed.
    #[schema(value_type = Option<crate::openapi::vocab::RecordStatus>)]
    pub status: Option<String>,
    /// The bill it pays (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub collection_request_id: Option<String>,
    /// The provider (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub provider_id: Option<String>,
    /// The channel (while pending).
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub channel: Option<String>,
}

/// Update a payment record within the rules.
#[utoipa::path(post, path = "/v1/payment_records/{id}", tag = "collections",
    request_body = UpdatePaymentRecordBody,
    params(("id" = String, Path, description = "pay_…")),
    responses((status = 200, body = PaymentView), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn update_payment_record(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, b): Command<UpdatePaymentRecordBody>,
) -> Result<Response, NativeError> {
    let cmd = UpdatePaymentRecord {
        account_id: b.account_id,
        collection_request_id: b.collection_request_id,
        provider_id: b.provider_id,
        channel: b.channel,
        amount: b.amount,
        currency: b.currency.as_deref().map(currency).transpose()?,
        status: b.status.as_deref().map(record_status).transpose()?,
    };
    let outcome = state
        .engine
        .update_payment_record(&auth, &id, cmd, idem.as_ref(), |p| {
            record(200, &PaymentView::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// Delete a pending or failed payment record (it stays readable by id).
#[utoipa::path(delete, path = "/v1/payment_records/{id}", tag = "collections",
    params(("id" = String, Path, description = "pay_…")),
    responses((status = 200, body = PaymentView), (status = 404, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete_payment_record(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Response, NativeError> {
    let outcome = state
        .engine
        .delete_payment_record(&auth, &id, None, |p| record(200, &PaymentView::from(p)))
        .await?;
    Ok(respond(outcome))
}

/// A payment a source reports.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestBody {
    /// Who reports it (`Bank`, …).
    #[schema(schema_with = crate::openapi::vocab::field::required::label_100)]
    pub source: String,
    /// The source's id for it.
    #[schema(schema_with = crate::openapi::vocab::field::required::label_200)]
    pub external_id: String,
    /// Minor units.
    #[schema(value_type = crate::openapi::vocab::ExternalAmount)]
    pub amount: i64,
    /// ISO 4217.
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: String,
    /// pending, completed or failed.
    #[schema(value_type = crate::openapi::vocab::IngestStatus)]
    pub status: String,
    /// RFC 3339.
    #[schema(value_type = crate::openapi::vocab::DateTime)]
    pub processed_at: String,
    /// SIMO_ERV, INTERBANK, …
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub payment_method_type: Option<String>,
    /// The account paid into.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub nib: Option<String>,
    /// The SIMO entity paid.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub entity_number: Option<String>,
    /// The reference paid.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub reference_number: Option<String>,
    /// The source's own reference.
    #[schema(schema_with = crate::openapi::vocab::field::label_100)]
    pub reference: Option<String>,
}

/// Ingest a payment a bank reported and reconcile it. Idempotent on (source, external_id).
#[utoipa::path(post, path = "/v1/ingested_payments", tag = "collections",
    request_body = IngestBody,
    responses((status = 200, body = IngestView), (status = 400, body = ErrorEnvelope),
              (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn ingest_payment(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, b): Command<IngestBody>,
) -> Result<Response, NativeError> {
    let cmd = IngestPayment {
        source: b.source,
        external_id: b.external_id,
        amount: b.amount,
        currency: currency(&b.currency)?,
        status: ExternalStatus::parse(&b.status)
            .ok_or_else(|| invalid("status", "status must be pending, completed or failed"))?,
        method: MethodDetails {
            method_type: b.payment_method_type,
            nib: b.nib,
            entity_number: b.entity_number,
            reference_number: b.reference_number,
        },
        reference: b.reference,
        processed_at: timestamp("processed_at", &b.processed_at)?,
        file_id: None,
    };
    let outcome = state
        .engine
        .ingest_payment(&auth, cmd, idem.as_ref(), |i| {
            record(200, &IngestView::from(i))
        })
        .await?;
    Ok(respond(outcome))
}

/// Retrieve an ingested payment.
#[utoipa::path(get, path = "/v1/ingested_payments/{id}", tag = "collections",
    params(("id" = String, Path, description = "ing_…")),
    responses((status = 200, body = IngestView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_ingested_payment(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<IngestView>, NativeError> {
    Ok(Json(IngestView::from(
        &state.engine.ingested_payment(&auth, &id).await?,
    )))
}

/// A page of ingested payments.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestList {
    /// Always `list`.
    pub object: &'static str,
    /// Newest first.
    pub data: Vec<IngestView>,
    /// More follow.
    pub has_more: bool,
}

/// List ingested payments, newest first; `exceptions=true` is the queue waiting for a person.
#[utoipa::path(get, path = "/v1/ingested_payments", tag = "collections",
    params(("exceptions" = Option<bool>, Query, description = "only exceptions nobody decided yet"),
           ("outcome" = Option<crate::openapi::vocab::IngestOutcome>, Query, description = "Only this outcome"),
           ("source" = Option<String>, Query, description = "only this source"),
           ("file_id" = Option<String>, Query, description = "only lines of this imported file"),
           ("limit" = Option<u32>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
           ("starting_after" = Option<String>, Query, description = "the last id of the previous page", min_length = 1)),
    responses((status = 200, body = IngestList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_ingested_payments(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<IngestList>, NativeError> {
    let mut paging = Paging::default();
    let mut filter = IngestFilter::default();
    for (k, v) in query_pairs(query.as_deref())? {
        match k.as_str() {
            "exceptions" => {
                filter.open_exceptions = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid("exceptions", "exceptions must be true or false")),
                }
            }
            "outcome" => {
                filter.outcome = Some(MatchOutcome::parse(&v).ok_or_else(|| {
                    invalid(
                        "outcome",
                        "outcome must be matched, unmatched, duplicate or amount_mismatch",
                    )
                })?);
            }
            "source" => filter.source = Some(v),
            "file_id" => filter.file_id = Some(v),
            _ if paging.take(&k, &v)? => {}
            _ => return Err(unknown(&k)),
        }
    }
    let (items, has_more) = state
        .engine
        .list_ingested_payments(
            &auth,
            &filter,
            paging.starting_after.as_deref(),
            paging.limit,
        )
        .await?;
    Ok(Json(IngestList {
        object: "list",
        data: items.iter().map(IngestView::from).collect(),
        has_more,
    }))
}

/// A person's decision on an exception.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// `matched` (apply to `collection_request_id`) or `return`.
    #[schema(value_type = crate::openapi::vocab::Resolution)]
    pub resolution: String,
    /// The bill it pays, for `matched`.
    pub collection_request_id: Option<String>,
    /// Why.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub note: Option<String>,
}

/// Resolve an exception: match it to a bill by hand, or mark it for return.
#[utoipa::path(post, path = "/v1/ingested_payments/{id}/resolve", tag = "collections",
    request_body = ResolveBody,
    params(("id" = String, Path, description = "ing_…")),
    responses((status = 200, body = IngestView), (status = 400, body = ErrorEnvelope),
              (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn resolve_exception(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, b): Command<ResolveBody>,
) -> Result<Response, NativeError> {
    let cmd = ResolveException {
        resolution: Resolution::parse(&b.resolution)
            .ok_or_else(|| invalid("resolution", "resolution must be matched or return"))?,
        collection_request_id: b.collection_request_id,
        note: b.note,
    };
    let outcome = state
        .engine
        .resolve_exception(&auth, &id, cmd, idem.as_ref(), |i| {
            record(200, &IngestView::from(i))
        })
        .await?;
    Ok(respond(outcome))
}

/// One line of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportLineView {
    /// Who reported them.
    pub source: String,
    /// matched, unmatched, duplicate or amount_mismatch.
    pub outcome: String,
    /// pending, completed or failed.
    pub status: String,
    /// A person's decision (matched, return), if any.
    pub resolution: Option<String>,
    /// ISO 4217.
    pub currency: String,
    /// How many.
    pub count: i64,
    /// Their total, minor units.
    pub total: i64,
}

/// What the day's ingested payments credited to you, in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEffectView {
    /// ISO 4217.
    pub currency: String,
    /// Minor units credited to `merchant_available`.
    pub credited: i64,
}

/// A day's reconciliation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Always `reconciliation_report`.
    pub object: &'static str,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The source, when one was asked for.
    pub source: Option<String>,
    /// Counts and totals by source, outcome, status and decision.
    pub lines: Vec<ReportLineView>,
    /// Read from the ledger.
    pub ledger_effect: Vec<LedgerEffectView>,
}

/// The reconciliation report of one day (UTC), optionally of one source.
#[utoipa::path(get, path = "/v1/reconciliation_report", tag = "collections",
    params(("date" = crate::openapi::vocab::Day, Query, description = "The day (UTC)"),
           ("source" = Option<String>, Query, description = "only this source")),
    responses((status = 200, body = ReportView), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn reconciliation_report(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<ReportView>, NativeError> {
    let (mut date, mut source) = (None, None);
    for (k, v) in query_pairs(query.as_deref())? {
        match k.as_str() {
            "date" => date = Some(v),
            "source" => source = Some(v),
            _ => return Err(unknown(&k)),
        }
    }
    let date = date.ok_or_else(|| {
        NativeError::new(
            ErrorCode::ParameterMissing,
            "date is required (YYYY-MM-DD)",
            Some("date"),
        )
    })?;
    let r = state
        .engine
        .reconciliation_report(&auth, &date, source.as_deref())
        .await?;
    Ok(Json(ReportView {
        object: "reconciliation_report",
        date: r.date,
        source: r.source,
        lines: r
            .lines
            .into_iter()
            .map(|l| ReportLineView {
                source: l.source,
                outcome: l.outcome.as_str().to_owned(),
                status: l.status.as_str().to_owned(),
                resolution: l.resolution.map(|x| x.as_str().to_owned()),
                currency: l.currency.code().to_owned(),
                count: l.count,
                total: l.total,
            })
            .collect(),
        ledger_effect: r
            .ledger_effect
            .into_iter()
            .map(|(c, credited)| LedgerEffectView {
                currency: c.code().to_owned(),
                credited,
            })
            .collect(),
    }))
}
