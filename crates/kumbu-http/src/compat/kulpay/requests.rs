//! `/v1/collection-requests`: bills with their SIMO/ERV reference.

use super::views::{parse_bill_status, parse_method, Envelope, KpCollectionRequest, Page};
use super::{currency, invalid, missing, money, page_query, Body, Caller, KpError};
use crate::compat::common::metadata;
use crate::extract::NoParams;
use crate::native::payments::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{CollectionRequest, Payer, Timestamp};
use kumbu_engine::{CreateCollectionRequest, RequestFilter};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// `{"object": "collection_request", …the request's fields…, "error": null}`.
fn envelope(c: &CollectionRequest) -> Envelope<KpCollectionRequest> {
    Envelope::of("collection_request", KpCollectionRequest::from(c))
}

#[derive(Debug, Deserialize)]
pub(super) struct MoneyBody {
    currency: Option<String>,
    value: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ContactBody {
    phone_number: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PayerBody {
    first_name: Option<String>,
    last_name: Option<String>,
    legal_name: Option<String>,
    vat_number: Option<String>,
    address: Option<Value>,
    contact: Option<ContactBody>,
    #[serde(rename = "type")]
    kind: Option<String>,
    delivery_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CreateBody {
    description: Option<String>,
    collection_method_ids: Option<Vec<String>>,
    amount: Option<MoneyBody>,
    payer: Option<PayerBody>,
    third_party_reference: Option<String>,
    metadata: Option<Value>,
    due_date: Option<String>,
    allow_installments: Option<bool>,
    allow_reuses: Option<bool>,
    reference_number: Option<String>,
}

pub(super) async fn create_request(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, b): Body<CreateBody>,
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
    let cmd = CreateCollectionRequest {
        amount,
        currency: cur,
        methods,
        allow_instalments: b.allow_installments.unwrap_or(false),
        allow_reuse: b.allow_reuses.unwrap_or(false),
        erv_reference: b.reference_number.filter(|s| !s.is_empty()),
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

pub(super) async fn get_request(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<Envelope<KpCollectionRequest>>, KpError> {
    let c = state.engine.collection_request(&auth, &id).await?;
    Ok(Json(envelope(&c)))
}

pub(super) async fn cancel_request(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
    Body(idem, _): Body<NoParams>,
) -> Result<Response, KpError> {
    let outcome = state
        .engine
        .cancel_collection_request(&auth, &id, idem.as_ref(), |c| record(200, &envelope(c)))
        .await?;
    Ok(respond(outcome))
}

pub(super) async fn list_requests(
    State(state): State<AppState>,
    Caller(auth): Caller,
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
            "third_party_reference" => filter.third_party_reference = Some(v.clone()),
            "reference_number" => filter.erv_reference = Some(v.clone()),
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
        "list",
        Page {
            items: items.iter().map(KpCollectionRequest::from).collect(),
            has_more,
            next_page_token: next,
        },
    )))
}
