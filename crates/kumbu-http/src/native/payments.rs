//! `/v1/payments`: create, list, retrieve, cancel.

use super::parse::{minor_units, parse_operator};
use super::views::{CreatePaymentBody, PaymentList, PaymentView};
use crate::error::ErrorEnvelope;
use crate::error::{invalid, NativeError};
use crate::extract::{Auth, Command, NoParams, PathId};
use crate::query::{query_pairs, query_phone, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{Currency, ErrorCode, Msisdn, Operator, PaymentStatus, Timestamp};
use kumbu_engine::{CreatePayment, CustomerInput, PaymentFilter, Recorded};
use std::time::Duration;

/// A payment as the native API answers a command about it (stored for idempotent replay).
pub(crate) fn render_payment(p: &kumbu_core::Payment) -> Recorded {
    record(200, &PaymentView::from(p))
}

fn to_command(body: CreatePaymentBody) -> Result<CreatePayment, NativeError> {
    let amount = minor_units(&body.amount)?;
    let currency = Currency::parse(&body.currency)
        .map_err(|e| invalid(ErrorCode::CurrencyNotSupported, "currency", e.to_string()))?;
    let operator = parse_operator(&body.payer.operator, "payer.operator")?;
    let payer_phone = Msisdn::parse(&body.payer.phone)
        .map_err(|e| invalid(ErrorCode::PhoneInvalid, "payer.phone", e.to_string()))?;
    let customer = body
        .customer
        .map(|c| CustomerInput {
            name: c.name,
            email: c.email,
        })
        .unwrap_or_default();
    Ok(CreatePayment {
        amount,
        currency,
        operator,
        payer_phone,
        reference: body.reference,
        description: body.description,
        statement_descriptor: body.statement_descriptor,
        customer_id: body.customer_id,
        metadata: body.metadata.unwrap_or_default(),
        customer,
        expires_in: body.expires_in.map(Duration::from_secs),
    })
}

/// Create a payment: the payer gets a prompt on their phone.
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    request_body = CreatePaymentBody,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "Makes retries safe: the first response is replayed for 24 h")),
    responses(
        (status = 200, description = "The new payment, status `created`", body = PaymentView,
            links(
                ("GetPayment" = (operation_id = "get_payment", parameters(("id" = "$response.body#/id")))),
                ("CancelPayment" = (operation_id = "cancel_payment", parameters(("id" = "$response.body#/id")))),
                ("RefundPayment" = (operation_id = "create_refund", request_body = json!({"payment": "$response.body#/id"}))))),
        (status = 400, description = "Invalid request", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid API key", body = ErrorEnvelope),
        (status = 409, description = "Duplicate reference, or same Idempotency-Key in flight", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn create_payment(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, body): Command<CreatePaymentBody>,
) -> Result<Response, NativeError> {
    let cmd = to_command(body)?;
    let urls = state.public_url.clone();
    let outcome = state
        .engine
        .create_payment(&auth, cmd, idem.as_ref(), |p| {
            record(200, &PaymentView::of(p, &urls))
        })
        .await?;
    Ok(respond(outcome))
}

/// Retrieve a payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = String, Path, description = "pay_…")),
    responses((status = 200, body = PaymentView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_payment(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<PaymentView>, NativeError> {
    let p = state.engine.payment(&auth, &id).await?;
    Ok(Json(PaymentView::of(&p, &state.public_url)))
}

/// Cancel a payment that has not been debited.
#[utoipa::path(post, path = "/v1/payments/{id}/cancel", tag = "payments",
    params(("id" = String, Path, description = "pay_…"),
           ("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "Makes retries safe")),
    responses((status = 200, body = PaymentView), (status = 404, body = ErrorEnvelope),
              (status = 409, description = "Already debited or final", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn cancel_payment(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, _): Command<NoParams>,
) -> Result<Response, NativeError> {
    let outcome = state
        .engine
        .cancel_payment(&auth, &id, idem.as_ref(), render_payment)
        .await?;
    Ok(respond(outcome))
}

fn parse_time(param: &str, v: &str) -> Result<Timestamp, NativeError> {
    if let Ok(secs) = v.parse::<i64>() {
        return Ok(Timestamp::from_micros(secs.saturating_mul(1_000_000)));
    }
    Timestamp::parse_rfc3339(v).ok_or_else(|| {
        invalid(
            ErrorCode::ParameterInvalid,
            param,
            format!("{param} must be an RFC 3339 date-time or Unix seconds"),
        )
    })
}

/// List payments, newest first, with filters and cursor pagination.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(
        ("limit" = Option<u32>, Query, description = "1–100, default 20", minimum = 1, maximum = 100),
        ("starting_after" = Option<String>, Query, description = "Id of the last payment of the previous page", min_length = 1),
        ("status" = Option<crate::openapi::vocab::PaymentStatus>, Query, description = "Only this status"),
        ("operator" = Option<crate::openapi::vocab::Operator>, Query, description = "Only this operator"),
        ("currency" = Option<crate::openapi::vocab::Currency>, Query, description = "Only this currency"),
        ("phone" = Option<crate::openapi::vocab::PhoneFilter>, Query, description = "Only this payer phone"),
        ("reference" = Option<crate::openapi::vocab::FreeText>, Query, description = "Only this merchant reference"),
        ("created_gte" = Option<crate::openapi::vocab::Instant>, Query, description = "Created at or after (RFC 3339 or Unix seconds)"),
        ("created_lt" = Option<crate::openapi::vocab::Instant>, Query, description = "Created before (RFC 3339 or Unix seconds)"),
    ),
    responses((status = 200, body = PaymentList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_payments(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<PaymentList>, NativeError> {
    let pairs = query_pairs(query.as_deref())?;
    let mut filter = PaymentFilter::default();
    let mut paging = Paging::default();
    for (k, v) in pairs {
        if paging.take(&k, &v)? {
            continue;
        }
        match k.as_str() {
            "status" => {
                filter.status = Some(PaymentStatus::parse(&v).ok_or_else(|| {
                    let all: Vec<&str> = PaymentStatus::ALL.iter().map(|s| s.as_str()).collect();
                    invalid(
                        ErrorCode::ParameterInvalid,
                        "status",
                        format!("status must be one of {}", all.join(", ")),
                    )
                })?);
            }
            "operator" => {
                filter.operator = Some(Operator::parse(&v).ok_or_else(|| {
                    invalid(
                        ErrorCode::OperatorUnknown,
                        "operator",
                        format!("unknown operator `{v}`"),
                    )
                })?);
            }
            "currency" => {
                filter.currency = Some(Currency::parse(&v).map_err(|e| {
                    invalid(ErrorCode::CurrencyNotSupported, "currency", e.to_string())
                })?);
            }
            "phone" => filter.phone = Some(query_phone(&v)?),
            "reference" => filter.reference = Some(v),
            "created_gte" => filter.created_gte = Some(parse_time("created_gte", &v)?),
            "created_lt" => filter.created_lt = Some(parse_time("created_lt", &v)?),
            other => {
                return Err(invalid(
                    ErrorCode::ParameterUnknown,
                    other,
                    format!("`{other}` is not a known parameter"),
                ));
            }
        }
    }
    let page = state
        .engine
        .list_payments(
            &auth,
            &filter,
            paging.starting_after.as_deref(),
            paging.limit,
        )
        .await?;
    Ok(Json(PaymentList {
        object: "list",
        data: page
            .data
            .iter()
            .map(|p| PaymentView::of(p, &state.public_url))
            .collect(),
        has_more: page.has_more,
        url: "/v1/payments",
    }))
}
