//! `/v1/payments`: payment records (create, read, list, partial update, soft delete) and
//! `/v1/payments/ingest`.

use super::bodies::{self, status, timestamp, IngestBody, PaymentBody};
use super::openapi;
use super::views::{self, Deleted, Envelope, IngestField, KpIngest, KpPayment, Page, PaymentField};
use super::{
    boolean, currency, filter_text, invalid, page_query, payment_id, Body, Caller, KpError,
};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{Currency, Operator, PaymentStatus, Rounding};
use kumbu_engine::{CreatePaymentRecord, IngestPayment, PaymentFilter, RecordStatus};

fn envelope(p: &kumbu_core::Payment) -> Envelope<PaymentField> {
    Envelope::of(
        views::PAYMENT,
        PaymentField {
            payment: KpPayment::from(p),
        },
    )
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
    let cmd = CreatePaymentRecord::try_from(b)?;
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
    b.require_account()?;
    let amount_in = match b.currency()? {
        Some(c) => Some(c),
        // The amount is read in the currency it will have: the one sent, or the record's.
        None if b.has_amount() => Some(state.engine.payment_record(&auth, &id).await?.currency),
        None => None,
    };
    let cmd = b.update(amount_in)?;
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
    // Records: the merchant's, a source's, and those collected from a wallet (`providers`).
    let mut filter = PaymentFilter {
        operators: std::iter::once(Operator::External)
            .chain(bodies::PROVIDERS.iter().map(|(_, op)| *op))
            .collect(),
        records_only: true,
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
    let cmd = IngestPayment::try_from(b)?;
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
