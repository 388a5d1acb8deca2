//! `/v1/payments`: payment records (create, read, list, partial update, soft delete) and
//! `/v1/payments/ingest`.

use super::views::{Envelope, IngestField, KpIngest, KpPayment, Page, PaymentField};
use super::{currency, invalid, missing, money, page_query, payment_id, Body, Caller, KpError};
use crate::native::payments::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{Currency, ExternalStatus, MethodDetails, Operator, PaymentStatus, Timestamp};
use kumbu_engine::{
    CreatePaymentRecord, IngestPayment, PaymentFilter, RecordStatus, UpdatePaymentRecord,
};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

fn status(field: &str, s: &str) -> Result<RecordStatus, KpError> {
    RecordStatus::parse(s.trim())
        .ok_or_else(|| invalid(field, "status must be pending, failed or confirmed"))
}

fn envelope(p: &kumbu_core::Payment) -> Envelope<PaymentField> {
    Envelope::of(
        "payment",
        PaymentField {
            payment: KpPayment::from(p),
        },
    )
}

#[derive(Debug, Deserialize)]
pub(super) struct PaymentBody {
    account_id: Option<String>,
    collection_request_id: Option<String>,
    provider_id: Option<String>,
    channel: Option<String>,
    currency: Option<String>,
    amount: Option<Box<RawValue>>,
    status: Option<String>,
}

pub(super) async fn create_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, b): Body<PaymentBody>,
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

pub(super) async fn get_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<Envelope<PaymentField>>, KpError> {
    let p = state.engine.payment_record(&auth, &payment_id(&id)).await?;
    Ok(Json(envelope(&p)))
}

pub(super) async fn update_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
    Body(idem, b): Body<PaymentBody>,
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

pub(super) async fn delete_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Response, KpError> {
    let outcome = state
        .engine
        .delete_payment_record(&auth, &payment_id(&id), None, |_| {
            record(200, &json!({"object": "payment", "error": null}))
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

pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller(auth): Caller,
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
            "collection_request_id" => filter.collection_request_id = Some(v.clone()),
            "status" => filter.statuses = statuses(status("status", v)?),
            "channel" => filter.channel = Some(v.clone()),
            "provider_id" => filter.provider_id = Some(v.clone()),
            "currency" => filter.currency = Some(currency("currency", v)?),
            "amount_min" => min = Some(v.clone()),
            "amount_max" => max = Some(v.clone()),
            "from" => filter.created_gte = Some(timestamp("from", v)?),
            "to" => {
                filter.created_lt =
                    Some(timestamp("to", v)?.plus(std::time::Duration::from_micros(1)));
            }
            "show_deleted" => filter.show_deleted = v == "true",
            // gRPC-Gateway ignores parameters it does not know; so does this face.
            _ => {}
        }
    }
    // Bounds are read in the filtered currency (MZN when none is given).
    let in_currency = filter.currency.unwrap_or(Currency::Mzn);
    for (field, text, slot) in [
        ("amount_min", min, &mut filter.amount_min),
        ("amount_max", max, &mut filter.amount_max),
    ] {
        if let Some(t) = text {
            let raw = RawValue::from_string(t.clone())
                .or_else(|_| RawValue::from_string(json!(t).to_string()))
                .map_err(|_| invalid(field, format!("{field} must be a number")))?;
            *slot = Some(super::money(field, &raw, in_currency)?);
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
        "list",
        Page {
            items: page.data.iter().map(KpPayment::from).collect(),
            has_more: page.has_more,
            next_page_token: next,
        },
    )))
}

#[derive(Debug, Deserialize)]
pub(super) struct MethodDetailsBody {
    nib: Option<String>,
    entity_number: Option<String>,
    reference_number: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct IngestBody {
    id: Option<String>,
    amount: Option<Box<RawValue>>,
    currency: Option<String>,
    status: Option<String>,
    payment_method_type: Option<String>,
    payment_method_details: Option<MethodDetailsBody>,
    reference: Option<String>,
    source: Option<String>,
    processed_at: Option<String>,
}

pub(super) async fn ingest_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, b): Body<IngestBody>,
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
                    "payment_ingest",
                    IngestField {
                        ingest_payment: KpIngest::from(i),
                    },
                ),
            )
        })
        .await?;
    Ok(respond(outcome))
}
