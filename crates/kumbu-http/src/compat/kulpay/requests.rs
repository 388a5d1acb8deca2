//! `/v1/collection-requests`: bills with their SIMO/ERV reference.

use super::bodies::CreateBody;
use super::openapi;
use super::views::{self, parse_bill_status, Envelope, KpCollectionRequest, Page};
use super::{filter_text, invalid, page_query, Body, Caller, KpError};
use crate::extract::NoParams;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::CollectionRequest;
use kumbu_engine::{CreateCollectionRequest, RequestFilter};

/// `{"object": "collection_request", …the request's fields…, "error": null}`.
fn envelope(c: &CollectionRequest) -> Envelope<KpCollectionRequest> {
    Envelope::of(views::REQUEST, KpCollectionRequest::from(c))
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
    let cmd = CreateCollectionRequest::try_from(b)?;
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
