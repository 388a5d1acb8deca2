//! The Kulpay face ("Payment Service" of Mozambican collections) at `/compat/kulpay/v1/…`:
//! payment records (`pm_…`), ingest of bank-reported payments with reconciliation, and
//! collection requests, in Kulpay's envelope `{"object", …, "error": null}` with snake_case
//! fields, money as JSON doubles (read from their decimal text, never through a float) and
//! Google-style paging (`page_size`, opaque `page_token` bound to its filters,
//! `next_page_token`, `has_more`). See `docs/compat/kulpay.md`. Translation only.

mod bodies;
mod error;
mod openapi;
mod payments;
mod requests;
mod views;

use crate::compat::common::kumbu_id;
use crate::compat::kit::{self, Face};
use crate::AppState;
use axum::http::request::Parts;
use axum::Router;
use error::KpError;
use kumbu_core::{Currency, ErrorCode};
use kumbu_engine::AuthContext;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Lists' page size: (default, largest).
const PAGE_SIZES: (u32, u32) = (50, 100);

/// The face's operations, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(payments::create_payment, payments::list_payments))
        .routes(routes!(payments::ingest_payment))
        .routes(routes!(
            payments::get_payment,
            payments::update_payment,
            payments::delete_payment
        ))
        .routes(routes!(requests::create_request, requests::list_requests))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::cancel_request))
}

/// The face's routes, relative to `/compat/kulpay`, with its document at `/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    crate::openapi::served(router, &openapi::finished(doc))
        .fallback(|| async { KpError::new(ErrorCode::RouteNotFound, "Not found", None) })
        .method_not_allowed_fallback(|| async {
            KpError::new(ErrorCode::MethodNotAllowed, "Method not allowed", None)
        })
}

/// The Kulpay face: its envelope, and the native API's keys (`Bearer sk_test_…|sk_live_…`).
pub struct Kulpay;

impl Face for Kulpay {
    type Error = KpError;

    async fn caller(parts: &mut Parts, state: &AppState) -> Result<AuthContext, KpError> {
        kit::bearer(parts, state).await
    }
}

type Caller = kit::Caller<Kulpay>;
type Body<T> = kit::Body<T, Kulpay>;

fn invalid(field: &str, message: impl Into<String>) -> KpError {
    KpError::new(ErrorCode::ParameterInvalid, message, Some(field))
}

fn missing(field: &str) -> KpError {
    KpError::new(
        ErrorCode::ParameterMissing,
        format!("{field} is required"),
        Some(field),
    )
}

/// A currency code, naming the field when it is not one Kumbu serves.
fn currency(field: &str, code: &str) -> Result<Currency, KpError> {
    Currency::parse(code.trim())
        .map_err(|e| KpError::new(ErrorCode::CurrencyNotSupported, e.to_string(), Some(field)))
}

/// Money from a JSON double (see [`views::parse_amount`]).
fn money(
    field: &str,
    raw: &serde_json::value::RawValue,
    currency: Currency,
) -> Result<i64, KpError> {
    views::parse_amount(raw, currency).map_err(|e| {
        let (code, msg) = views::amount_error(field, &e);
        KpError::new(code, msg, Some(field))
    })
}

/// A filter's text: any, but NUL (no value holds one, and PostgreSQL cannot compare it).
fn filter_text(field: &str, v: &str) -> Result<String, KpError> {
    if v.contains('\0') {
        return Err(invalid(field, format!("{field} must not contain NUL")));
    }
    Ok(v.to_owned())
}

/// A boolean query parameter, read as gRPC-Gateway reads one (Go's `strconv.ParseBool`).
fn boolean(field: &str, v: &str) -> Result<bool, KpError> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(invalid(field, format!("{field} must be true or false"))),
    }
}

/// A list's `page_size` (default 50; 0 means the default; above 100 is brought down to 100;
/// negative or not a number is refused) and `page_token`, and the canonical text of its
/// other parameters, to which the token is bound.
struct PageQuery {
    size: u32,
    token: Option<String>,
    filters: String,
    rest: Vec<(String, String)>,
}

fn page_query(query: Option<&str>) -> Result<PageQuery, KpError> {
    let pairs = crate::query::query_pairs(query)?;
    let mut size = PAGE_SIZES.0;
    let mut token = None;
    let mut rest = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "page_size" => {
                let n: i64 = v
                    .trim()
                    .parse()
                    .map_err(|_| invalid("page_size", "page_size must be an integer"))?;
                if n < 0 {
                    return Err(invalid("page_size", "page_size must not be negative"));
                }
                size = match n {
                    0 => PAGE_SIZES.0,
                    n => u32::try_from(n.min(i64::from(PAGE_SIZES.1))).unwrap_or(PAGE_SIZES.1),
                };
            }
            "page_token" if !v.is_empty() => token = Some(v),
            "page_token" => {}
            _ => rest.push((k, v)),
        }
    }
    let mut sorted = rest.clone();
    sorted.sort();
    let filters = serde_urlencoded::to_string(&sorted).unwrap_or_default();
    Ok(PageQuery {
        size,
        token,
        filters,
        rest,
    })
}

/// A payment id from the path (`pm_…`, or Kumbu's `pay_…`).
fn payment_id(id: &str) -> String {
    kumbu_id(id, views::PAYMENT_PREFIX, "pay_")
}
