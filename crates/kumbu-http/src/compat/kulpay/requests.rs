//! `/v1/collection-requests`: bills with their SIMO/ERV reference.

use super::openapi;
use super::views::{self, parse_bill_status, parse_method, Envelope, KpCollectionRequest, Page};
use super::{currency, filter_text, invalid, missing, money, page_query, Body, Caller, KpError};
use crate::compat::common::metadata;
use crate::extract::NoParams;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{CollectionRequest, ErvReference, Payer, Timestamp};
use kumbu_engine::{CreateCollectionRequest, RequestFilter};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// `{"object": "collection_request", …the request's fields…, "error": null}`.
fn envelope(c: &CollectionRequest) -> Envelope<KpCollectionRequest> {
    Envelope::of(views::REQUEST, KpCollectionRequest::from(c))
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

/// A bill, with its SIMO/ERV reference when it may be paid so.
#[utoipa::path(post, path = "/v1/collection-requests", tag = "collection requests",
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header)),
    request_body = openapi::CreateRequestBody,
    responses((status = 200, description = "The bill", body = Envelope<KpCollectionRequest>)))]
pub(super) async fn create_request(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body: b, .. }: Body<CreateBody>,
) -> Result<Response, KpError> {
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
    let cmd = CreateCollectionRequest {
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
    };
    let outcome = state
        .engine
        .create_collection_request(&auth, cmd, idem.as_ref(), |c| record(200, &envelope(c)))
        .await?;
    Ok(respond(outcome))
}

/// One bill.
#[utoipa::path(get, path = "/v1/collection-requests/{id}", tag = "collection requests",
    params(("id" = openapi::KpRequestId, Path, description = "`cr_…`")),
    responses((status = 200, description = "The bill", body = Envelope<KpCollectionRequest>)))]
pub(super) async fn get_request(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<Envelope<KpCollectionRequest>>, KpError> {
    let c = state.engine.collection_request(&auth, &id).await?;
    Ok(Json(envelope(&c)))
}

/// Cancels an open bill (a Kumbu addition; paid, expired and cancelled bills are final: 409).
#[utoipa::path(post, path = "/v1/collection-requests/{id}/cancel", tag = "collection requests",
    params(
        ("id" = openapi::KpRequestId, Path, description = "`cr_…`"),
        ("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header),
    ),
    request_body = Option<openapi::NoParams>,
    responses((status = 200, description = "The bill, cancelled", body = Envelope<KpCollectionRequest>)))]
pub(super) async fn cancel_request(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Body { idem, .. }: Body<NoParams>,
) -> Result<Response, KpError> {
    let outcome = state
        .engine
        .cancel_collection_request(&auth, &id, idem.as_ref(), |c| record(200, &envelope(c)))
        .await?;
    Ok(respond(outcome))
}

/// Bills, newest first, a page at a time (AIP-158). Unknown parameters are ignored.
#[utoipa::path(get, path = "/v1/collection-requests", tag = "collection requests",
    params(
        ("status" = Option<openapi::KpBillStatusFilter>, Query),
        ("third_party_reference" = Option<openapi::FilterText>, Query),
        ("reference_number" = Option<openapi::FilterText>, Query),
        ("page_size" = Option<openapi::PageSize>, Query),
        ("page_token" = Option<String>, Query, description = "The `next_page_token` of the previous page, with the same filters"),
    ),
    responses((status = 200, description = "A page", body = Envelope<Page<KpCollectionRequest>>)))]
pub(super) async fn list_requests(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Envelope<Page<KpCollectionRequest>>>, KpError> {
    let q = page_query(query.as_deref())?;
    let mut filter = RequestFilter::default();
    for (k, v) in &q.rest {
        match k.as_str() {
            "status" => {
                filter.statuses = vec![parse_bill_status(v).ok_or_else(|| {
                    invalid(
                        "status",
                        "status must be pending, partially_paid, paid, expired or cancelled",
                    )
                })?];
            }
            "third_party_reference" => filter.third_party_reference = Some(filter_text(k, v)?),
            "reference_number" => filter.erv_reference = Some(filter_text(k, v)?),
            // gRPC-Gateway ignores parameters it does not know; so does this face.
            _ => {}
        }
    }
    let listing = "kulpay.collection_requests";
    let after = q
        .token
        .as_deref()
        .map(|t| state.engine.open_page_token(&auth, listing, &q.filters, t))
        .transpose()?;
    let (items, has_more) = state
        .engine
        .list_collection_requests(&auth, &filter, after.as_deref(), q.size)
        .await?;
    let next = match (has_more, items.last()) {
        (true, Some(last)) => state
            .engine
            .page_token(&auth, listing, &q.filters, &last.id),
        (true, None) | (false, _) => String::new(),
    };
    Ok(Json(Envelope::of(
        views::LIST,
        Page {
            items: items.iter().map(KpCollectionRequest::from).collect(),
            has_more,
            next_page_token: next,
        },
    )))
}
