//! `/v1/collection_requests`: bills, with their SIMO/ERV reference; create, get, cancel, list.

use super::{currency, invalid, timestamp, unknown};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, NoParams, PathId};
use crate::native::views::CollectionRequestView;
use crate::query::{query_pairs, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{CollectionMethod, CollectionStatus, Payer};
use kumbu_engine::{CreateCollectionRequest, RequestFilter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

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
