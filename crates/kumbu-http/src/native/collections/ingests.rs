//! `/v1/ingested_payments`: payments reported by a bank or a file, reconciled, and the exception
//! queue a person resolves.

use super::{currency, invalid, timestamp, unknown};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, PathId};
use crate::native::views::IngestView;
use crate::query::{query_pairs, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ExternalStatus, MatchOutcome, MethodDetails, Resolution};
use kumbu_engine::{IngestFilter, IngestPayment, ResolveException};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
