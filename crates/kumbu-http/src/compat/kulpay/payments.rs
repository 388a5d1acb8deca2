//! `/v1/payments`: payment records (create, read, list, partial update, soft delete) and
//! `/v1/payments/ingest`.

use super::openapi;
use super::views::{self, Deleted, Envelope, IngestField, KpIngest, KpPayment, Page, PaymentField};
use super::{
    boolean, currency, filter_text, invalid, missing, money, page_query, payment_id, Body, Caller,
    KpError,
};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{
    Currency, ExternalStatus, MethodDetails, Operator, PaymentStatus, Rounding, Timestamp,
};
use kumbu_engine::{
    CreatePaymentRecord, IngestPayment, PaymentFilter, RecordStatus, UpdatePaymentRecord,
};
use serde::Deserialize;
use serde_json::value::RawValue;

fn status(field: &str, s: &str) -> Result<RecordStatus, KpError> {
    RecordStatus::parse(s.trim())
        .ok_or_else(|| invalid(field, "status must be pending, failed or confirmed"))
}

fn envelope(p: &kumbu_core::Payment) -> Envelope<PaymentField> {
    Envelope::of(
        views::PAYMENT,
        PaymentField {
            payment: KpPayment::from(p),
        },
    )
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
}

/// Records a payment made elsewhere; `confirmed` posts it (and counts it towards its bill).
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header)),
    request_body = openapi::CreatePaymentBody,
    responses((status = 200, description = "The record", body = Envelope<PaymentField>)))]
pub(super) async fn create_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body: b, .. }: Body<PaymentBody>,
) -> Result<Response, KpError> {
    let account_id = b.account_id.ok_or_else(|| missing("account_id"))?;
    let cur = currency(
        "currency",
        b.currency.as_deref().ok_or_else(|| missing("currency"))?,
    )?;
    let amount = money(
        "amount",
        b.amount.as_deref().ok_or_else(|| missing("amount"))?,
        cur,
    )?;
    let st = status(
        "status",
        b.status.as_deref().ok_or_else(|| missing("status"))?,
    )?;
    let cmd = CreatePaymentRecord {
        account_id,
        collection_request_id: b.collection_request_id.filter(|s| !s.is_empty()),
        provider_id: b.provider_id.filter(|s| !s.is_empty()),
        channel: b.channel.filter(|s| !s.is_empty()),
        currency: cur,
        amount,
        status: st,
    };
    let outcome = state
        .engine
        .create_payment_record(&auth, cmd, idem.as_ref(), |p| record(200, &envelope(p)))
        .await?;
    Ok(respond(outcome))
}

/// One payment record (deleted ones too).
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = openapi::KpPaymentId, Path, description = "`pm_…` (or Kumbu's `pay_…`)")),
    responses((status = 200, description = "The record", body = Envelope<PaymentField>)))]
pub(super) async fn get_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<Envelope<PaymentField>>, KpError> {
    let p = state.engine.payment_record(&auth, &payment_id(&id)).await?;
    Ok(Json(envelope(&p)))
}

/// A partial update: only the fields sent change; amount, currency, bill, provider and
/// channel only while `pending`, the status only forward (else 409 naming the field).
#[utoipa::path(put, path = "/v1/payments/{id}", tag = "payments",
    params(
        ("id" = openapi::KpPaymentId, Path, description = "`pm_…` (or Kumbu's `pay_…`)"),
        ("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header),
    ),
    request_body = openapi::UpdatePaymentBody,
    responses((status = 200, description = "The record", body = Envelope<PaymentField>)))]
pub(super) async fn update_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Body { idem, body: b, .. }: Body<PaymentBody>,
) -> Result<Response, KpError> {
    let id = payment_id(&id);
    let account_id = b.account_id.ok_or_else(|| missing("account_id"))?;
    let cur = b
        .currency
        .as_deref()
        .map(|c| currency("currency", c))
        .transpose()?;
    let amount = match &b.amount {
        Some(raw) => {
            // The amount is read in the currency it will have: the one sent, or the record's.
            let in_currency = match cur {
                Some(c) => c,
                None => state.engine.payment_record(&auth, &id).await?.currency,
            };
            Some(money("amount", raw, in_currency)?)
        }
        None => None,
    };
    let cmd = UpdatePaymentRecord {
        account_id: Some(account_id),
        collection_request_id: b.collection_request_id.filter(|s| !s.is_empty()),
        provider_id: b.provider_id.filter(|s| !s.is_empty()),
        channel: b.channel.filter(|s| !s.is_empty()),
        amount,
        currency: cur,
        status: b
            .status
            .as_deref()
            .map(|s| status("status", s))
            .transpose()?,
    };
    let outcome = state
        .engine
        .update_payment_record(&auth, &id, cmd, idem.as_ref(), |p| {
            record(200, &envelope(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// A soft delete: `GET` still shows the record; lists hide it. A confirmed record cannot be
/// deleted (409); a deleted one is not found.
#[utoipa::path(delete, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = openapi::KpPaymentId, Path, description = "`pm_…` (or Kumbu's `pay_…`)")),
    responses((status = 200, description = "Deleted", body = Envelope<Deleted>)))]
pub(super) async fn delete_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Response, KpError> {
    let outcome = state
        .engine
        .delete_payment_record(&auth, &payment_id(&id), None, |_| {
            record(200, &Envelope::of(views::PAYMENT, Deleted {}))
        })
        .await?;
    Ok(respond(outcome))
}

/// The statuses a Kulpay status filter stands for.
fn statuses(s: RecordStatus) -> Vec<PaymentStatus> {
    PaymentStatus::ALL
        .into_iter()
        .filter(|p| RecordStatus::of(*p) == s)
        .collect()
}

fn timestamp(field: &str, v: &str) -> Result<Timestamp, KpError> {
    Timestamp::parse_rfc3339(v.trim()).ok_or_else(|| {
        invalid(
            field,
            format!("{field} must be an ISO 8601 timestamp, such as 2025-07-10T08:30:00Z"),
        )
    })
}

/// Payment records, newest first, a page at a time (AIP-158). Unknown parameters are ignored.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(
        ("collection_request_id" = Option<openapi::FilterText>, Query),
        ("status" = Option<openapi::KpRecordStatus>, Query),
        ("channel" = Option<openapi::FilterText>, Query),
        ("provider_id" = Option<openapi::FilterText>, Query),
        ("currency" = Option<crate::openapi::vocab::Currency>, Query),
        ("amount_min" = Option<openapi::AmountBound>, Query),
        ("amount_max" = Option<openapi::AmountBound>, Query),
        ("from" = Option<crate::openapi::vocab::DateTime>, Query, description = "Created at or after"),
        ("to" = Option<crate::openapi::vocab::DateTime>, Query, description = "Created at or before"),
        ("show_deleted" = Option<bool>, Query, description = "Deleted records too (`1`, `t`, `True`… as Go reads booleans)"),
        ("page_size" = Option<openapi::PageSize>, Query),
        ("page_token" = Option<String>, Query, description = "The `next_page_token` of the previous page, with the same filters"),
    ),
    responses((status = 200, description = "A page", body = Envelope<Page<KpPayment>>)))]
pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Envelope<Page<KpPayment>>>, KpError> {
    let q = page_query(query.as_deref())?;
    let mut filter = PaymentFilter {
        operators: vec![Operator::External],
        ..PaymentFilter::default()
    };
    let (mut min, mut max) = (None, None);
    for (k, v) in &q.rest {
        match k.as_str() {
            "collection_request_id" => {
                filter.collection_request_id = Some(filter_text(k, v)?);
            }
            "status" => filter.statuses = statuses(status("status", v)?),
            "channel" => filter.channel = Some(filter_text(k, v)?),
            "provider_id" => filter.provider_id = Some(filter_text(k, v)?),
            "currency" => filter.currency = Some(currency("currency", v)?),
            "amount_min" => min = Some(v.clone()),
            "amount_max" => max = Some(v.clone()),
            "from" => filter.created_gte = Some(timestamp("from", v)?),
            "to" => {
                filter.created_lt =
                    Some(timestamp("to", v)?.plus(std::time::Duration::from_micros(1)));
            }
            "show_deleted" => filter.show_deleted = boolean(k, v)?,
            // gRPC-Gateway ignores parameters it does not know; so does this face.
            _ => {}
        }
    }
    // Bounds are read in the filtered currency (MZN when none is given), as doubles are: any
    // number, a bound between two minor units rounded inwards, one beyond every amount kept.
    let in_currency = filter.currency.unwrap_or(Currency::Mzn);
    for (field, text, rounding, slot) in [
        ("amount_min", min, Rounding::Up, &mut filter.amount_min),
        ("amount_max", max, Rounding::Down, &mut filter.amount_max),
    ] {
        if let Some(t) = text {
            let bound = in_currency.parse_bound(t.trim(), rounding).map_err(|_| {
                invalid(field, format!("{field} must be a number, such as 7500.00"))
            })?;
            *slot = Some(bound);
        }
    }
    let after = q
        .token
        .as_deref()
        .map(|t| {
            state
                .engine
                .open_page_token(&auth, "kulpay.payments", &q.filters, t)
        })
        .transpose()?;
    let page = state
        .engine
        .list_payments(&auth, &filter, after.as_deref(), q.size)
        .await?;
    let next = match (page.has_more, page.data.last()) {
        (true, Some(last)) => {
            state
                .engine
                .page_token(&auth, "kulpay.payments", &q.filters, &last.id)
        }
        (true, None) | (false, _) => String::new(),
    };
    Ok(Json(Envelope::of(
        views::LIST,
        Page {
            items: page.data.iter().map(KpPayment::from).collect(),
            has_more: page.has_more,
            next_page_token: next,
        },
    )))
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

/// A payment a bank reported, reconciled against the bills: the same report (source and id)
/// again answers as the first time; a changed one is a 409.
#[utoipa::path(post, path = "/v1/payments/ingest", tag = "payments",
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header)),
    request_body = openapi::IngestPaymentBody,
    responses((status = 200, description = "The report, with what reconciliation made of it", body = Envelope<IngestField>)))]
pub(super) async fn ingest_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body: b, .. }: Body<IngestBody>,
) -> Result<Response, KpError> {
    let external_id = b.id.ok_or_else(|| missing("id"))?;
    let cur = currency(
        "currency",
        b.currency.as_deref().ok_or_else(|| missing("currency"))?,
    )?;
    let amount = money(
        "amount",
        b.amount.as_deref().ok_or_else(|| missing("amount"))?,
        cur,
    )?;
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
    let cmd = IngestPayment {
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
    };
    let outcome = state
        .engine
        .ingest_payment(&auth, cmd, idem.as_ref(), |i| {
            record(
                200,
                &Envelope::of(
                    views::INGEST,
                    IngestField {
                        ingest_payment: KpIngest::from(i),
                    },
                ),
            )
        })
        .await?;
    Ok(respond(outcome))
}
