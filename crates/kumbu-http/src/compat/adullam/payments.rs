//! Adullam's payments: create (the payer is prompted), get, list and search.

use super::bodies::{bad_channel, CreatePaymentBody};
use super::error::{AdError, AdErrorEnvelope};
use super::views::{AdPayment, AdPaymentList, AdPaymentSearch};
use super::{openapi, record_json, views, Caller, Keyed, LIMITS};
use crate::compat::common::{kumbu_id, paging, Paging};
use crate::query::query_pairs;
use crate::reply::respond;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ErrorCode, Timestamp};
use kumbu_engine::{CreatePayment, EngineError, PaymentFilter};

/// A payment: the payer gets a prompt on their phone. The Idempotency-Key is required; the
/// same key replays the first answer for 24 h (with another body: 400).
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    params(("Idempotency-Key" = openapi::UuidKey, Header, description = "A UUID, required: a retry with the same key replays the first answer")),
    request_body = CreatePaymentBody,
    responses((status = 201, description = "The payment, `pending`", body = AdPayment)))]
pub(super) async fn create_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Keyed(idem, body): Keyed<CreatePaymentBody>,
) -> Result<Response, AdError> {
    let cmd = CreatePayment::try_from(body)?;
    let engine = state.engine.clone();
    let urls = state.public_url.clone();
    let outcome = state
        .engine
        .create_payment(&auth, cmd, Some(&idem), |p| {
            record_json(
                201,
                &AdPayment::of(p, engine.account_holder(p)).with_redirect(p, &urls),
            )
        })
        .await?;
    Ok(respond(outcome))
}

/// One payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = openapi::PaymentId, Path, description = "The payment's id")),
    responses((status = 200, description = "The payment", body = AdPayment)))]
pub(super) async fn get_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<AdPayment>, AdError> {
    let p = state.engine.payment(&auth, &id).await?;
    Ok(Json(
        AdPayment::of(&p, state.engine.account_holder(&p)).with_redirect(&p, &state.public_url),
    ))
}

pub(super) fn time(field: &str, v: &str) -> Result<Timestamp, AdError> {
    Timestamp::parse_rfc3339(v)
        .ok_or_else(|| AdError::invalid(field, format!("{field} must be an ISO 8601 date-time")))
}

pub(super) fn amount(field: &str, v: &str) -> Result<i64, AdError> {
    v.trim()
        .parse()
        .map_err(|_| AdError::invalid(field, format!("{field} must be an integer")))
}

pub(super) fn phone(v: &str) -> Result<String, AdError> {
    crate::query::normalize_query_phone(v).map_err(|e| {
        AdError::new(
            ErrorCode::PhoneInvalid,
            e.to_string(),
            Some("customer_phone"),
        )
    })
}

/// Payments through Adullam's channels, newest first, filtered; a page at a time (pass
/// `next_cursor` as `cursor`). Another parameter than these is refused.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(
        ("status" = Option<openapi::AdStatusFilter>, Query, description = "Only this status (`created` matches none: new payments are `pending`)"),
        ("limit" = Option<openapi::AdLimit>, Query),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
        ("customer_phone" = Option<openapi::QueryPhone>, Query, description = "Only this payer"),
        ("channel" = Option<openapi::AdChannel>, Query, description = "Only this channel"),
        ("amount_min" = Option<i64>, Query, description = "Only amounts at least this"),
        ("amount_max" = Option<i64>, Query, description = "Only amounts at most this"),
        ("created_after" = Option<crate::openapi::vocab::DateTime>, Query, description = "Only payments created at or after this"),
        ("created_before" = Option<crate::openapi::vocab::DateTime>, Query, description = "Only payments created before this"),
    ),
    responses(
        (status = 200, description = "A page of payments", body = AdPaymentList),
        (status = 404, description = "The cursor is not one of your payments", body = AdErrorEnvelope),
    ))]
pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<AdPaymentList>, AdError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = paging(cursor_pairs(query.as_deref())?, LIMITS.0, LIMITS.1)
        .map_err(|(f, m)| AdError::invalid(&f, m))?;
    // Adullam lists its own channels' payments, not those of other faces.
    let mut filter = PaymentFilter {
        operators: views::OPERATORS.to_vec(),
        ..PaymentFilter::default()
    };
    // A status no payment shows (`created`): every other parameter is still checked.
    let mut matches_none = false;
    for (k, v) in rest {
        match k.as_str() {
            "status" => {
                filter.statuses = views::statuses_for(&v).ok_or_else(|| {
                    AdError::invalid(
                        "status",
                        format!("status must be one of {}", views::STATUS_FILTERS.join(", ")),
                    )
                })?;
                matches_none = filter.statuses.is_empty();
            }
            "customer_phone" => filter.phone = Some(phone(&v)?),
            "channel" => filter.operator = Some(views::parse_channel(&v).ok_or_else(bad_channel)?),
            "amount_min" => filter.amount_min = Some(amount("amount_min", &v)?),
            "amount_max" => filter.amount_max = Some(amount("amount_max", &v)?),
            "created_after" => filter.created_gte = Some(time("created_after", &v)?),
            "created_before" => filter.created_lt = Some(time("created_before", &v)?),
            other => {
                return Err(AdError::invalid(
                    other,
                    format!("`{other}` is not a known parameter"),
                ))
            }
        }
    }
    let page = state
        .engine
        .list_payments(&auth, &filter, starting_after.as_deref(), limit)
        .await
        .map_err(|e| cursor_error(e, starting_after.as_deref()))?;
    if matches_none {
        return Ok(Json(AdPaymentList {
            data: Vec::new(),
            has_more: false,
            next_cursor: None,
        }));
    }
    Ok(Json(AdPaymentList {
        next_cursor: next_cursor(&page),
        has_more: page.has_more,
        data: page
            .data
            .iter()
            .map(|p| AdPayment::of(p, state.engine.account_holder(p)))
            .collect(),
    }))
}

/// A list's error: an unknown cursor is named as Adullam calls it.
pub(super) fn cursor_error(e: EngineError, cursor: Option<&str>) -> AdError {
    listed_cursor_error(e, cursor, "payments")
}

/// [`cursor_error`] for a list of `what` (payments, transfers).
pub(super) fn listed_cursor_error(e: EngineError, cursor: Option<&str>, what: &str) -> AdError {
    match (e.code(), cursor) {
        (ErrorCode::ResourceMissing, Some(c)) => AdError::new(
            ErrorCode::ResourceMissing,
            format!("cursor `{c}` is not one of your {what}"),
            Some("cursor"),
        ),
        (_, Some(_) | None) => e.into(),
    }
}

/// Query pairs with Adullam's `cursor` read as the shared paging's `starting_after`.
pub(super) fn cursor_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, AdError> {
    Ok(query_pairs(query)?
        .into_iter()
        .map(|(k, v)| {
            if k == "cursor" {
                ("starting_after".to_owned(), v)
            } else {
                (k, v)
            }
        })
        .collect())
}

/// The cursor of the page after `page`, if there is one.
pub(super) fn next_cursor(page: &kumbu_engine::PaymentPage) -> Option<String> {
    page.has_more
        .then(|| page.data.last().map(|p| p.id.clone()))
        .flatten()
}

/// Payments through Adullam's channels matching every criterion given, newest first, with how
/// many match in all. With `reference`, the one payment it names (if it matches the others);
/// `cursor` and `limit` page the rest. Another parameter than these is refused.
#[utoipa::path(get, path = "/v1/payments/search", tag = "payments",
    params(
        ("customer_phone" = Option<openapi::QueryPhone>, Query, description = "Only this payer"),
        ("amount_min" = Option<i64>, Query, description = "Only amounts at least this"),
        ("amount_max" = Option<i64>, Query, description = "Only amounts at most this"),
        ("reference" = Option<String>, Query, description = "The payment's `reference` (`REF_…`) or id"),
        ("limit" = Option<openapi::AdLimit>, Query),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "The matching payments", body = AdPaymentSearch),
        (status = 404, description = "The cursor is not one of your payments", body = AdErrorEnvelope),
    ))]
pub(super) async fn search_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<AdPaymentSearch>, AdError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = paging(cursor_pairs(query.as_deref())?, LIMITS.0, LIMITS.1)
        .map_err(|(f, m)| AdError::invalid(&f, m))?;
    // Adullam lists its own channels' payments, not those of other faces.
    let mut filter = PaymentFilter {
        operators: views::OPERATORS.to_vec(),
        ..PaymentFilter::default()
    };
    let mut by_reference = None;
    for (k, v) in rest {
        match k.as_str() {
            "customer_phone" => filter.phone = Some(phone(&v)?),
            "amount_min" => filter.amount_min = Some(amount("amount_min", &v)?),
            "amount_max" => filter.amount_max = Some(amount("amount_max", &v)?),
            "reference" => by_reference = Some(kumbu_id(v.trim(), views::REFERENCE_PREFIX, "pay_")),
            other => {
                return Err(AdError::invalid(
                    other,
                    format!("`{other}` is not a known parameter"),
                ))
            }
        }
    }
    if let Some(id) = by_reference {
        let found = state.engine.payment(&auth, &id).await.ok().filter(|p| {
            filter
                .phone
                .as_ref()
                .is_none_or(|ph| p.payer_phone.as_ref().is_some_and(|m| m.as_str() == ph))
                && filter.amount_min.is_none_or(|a| p.amount >= a)
                && filter.amount_max.is_none_or(|a| p.amount <= a)
        });
        let data: Vec<AdPayment> = found
            .iter()
            .map(|p| AdPayment::of(p, state.engine.account_holder(p)))
            .collect();
        return Ok(Json(AdPaymentSearch {
            total_count: i64::try_from(data.len()).unwrap_or(i64::MAX),
            data,
            has_more: false,
            next_cursor: None,
        }));
    }
    let total = state.engine.count_payments(&auth, &filter).await?;
    let page = state
        .engine
        .list_payments(&auth, &filter, starting_after.as_deref(), limit)
        .await
        .map_err(|e| cursor_error(e, starting_after.as_deref()))?;
    Ok(Json(AdPaymentSearch {
        total_count: total,
        has_more: page.has_more,
        next_cursor: next_cursor(&page),
        data: page
            .data
            .iter()
            .map(|p| AdPayment::of(p, state.engine.account_holder(p)))
            .collect(),
    }))
}
