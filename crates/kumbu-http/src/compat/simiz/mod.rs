//! The Simiz face at `/compat/simiz/v1/…` (Cameroon and Côte d'Ivoire, XAF/XOF): payments on a
//! hosted page, checkout sessions, refunds and webhooks, in Simiz's wire format (camelCase, UUID
//! ids, `pay_` tokens, whole-franc amounts). See `docs/compat/simiz.md`. Translation only: a
//! Simiz payment is a Kumbu checkout session, and its `paymentUrl` is Kumbu's page.
//!
//! Keys: Simiz prints keys as `smz_test_sk_…` / `smz_live_sk_…`; the secret after the prefix is a
//! Kumbu key's (`sk_test_X` is `smz_test_sk_X`), so a merchant's one key works in both forms.

mod bodies;
mod error;
mod openapi;
mod payments;
mod refunds;
mod sessions;
mod views;
mod webhook;
mod webhooks;

pub use webhook::Webhook;

use crate::compat::kit::{self, Face};
use crate::AppState;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::Router;
use error::SmzError;
use kumbu_core::{CheckoutSession, Currency, ErrorCode, MoneyError};
use kumbu_engine::AuthContext;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use views::TOKEN_PREFIX;

/// The face's operations, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(payments::create_payment, payments::list_payments))
        .routes(routes!(payments::get_payment))
        .routes(routes!(sessions::create_session))
        .routes(routes!(sessions::get_session))
        .routes(routes!(refunds::create_refund))
        .routes(routes!(refunds::get_refund))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
}

/// The face's routes, relative to `/compat/simiz`, with its document at `/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    crate::openapi::served(router, &openapi::finished(doc))
        .fallback(|| async { SmzError::new(ErrorCode::RouteNotFound, "Not found", None) })
        .method_not_allowed_fallback(|| async {
            SmzError::new(ErrorCode::MethodNotAllowed, "Method not allowed", None)
        })
}

/// `smz_test_sk_X` → `sk_test_X` (and live); other keys pass as they are.
fn kumbu_key(bearer: &str) -> Option<String> {
    let key = bearer.strip_prefix("Bearer ")?.trim();
    Some(if let Some(rest) = key.strip_prefix("smz_test_sk_") {
        format!("sk_test_{rest}")
    } else if let Some(rest) = key.strip_prefix("smz_live_sk_") {
        format!("sk_live_{rest}")
    } else {
        key.to_owned()
    })
}

/// The Simiz face: its envelope, and its keys (`Authorization: Bearer smz_test_sk_…`, or the same
/// key as `sk_test_…`).
pub struct Simiz;

impl Face for Simiz {
    type Error = SmzError;

    async fn caller(parts: &mut Parts, state: &AppState) -> Result<AuthContext, SmzError> {
        let rewritten = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(kumbu_key)
            .and_then(|k| HeaderValue::from_str(&format!("Bearer {k}")).ok());
        if let Some(v) = rewritten {
            parts.headers.insert(AUTHORIZATION, v);
        }
        kit::bearer(parts, state).await
    }
}

type Caller = kit::Caller<Simiz>;
type Body<T> = kit::Body<T, Simiz>;

fn invalid(param: &str, message: impl Into<String>) -> SmzError {
    SmzError::new(ErrorCode::ParameterInvalid, message, Some(param))
}

/// A whole number of francs (Simiz's `amount` is in base units; XAF and XOF have no decimals),
/// read exactly on the JSON number's text, never through a float: `5000`, `5000.0` and `5e3` are
/// 5000; `999.99999999999999999` is refused, not rounded to 1000.
fn francs(raw: &RawValue, param: &str) -> Result<i64, SmzError> {
    let text = raw.get().trim();
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, text),
    };
    if !magnitude.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(invalid(
            param,
            format!("{param} must be a number, e.g. 5000"),
        ));
    }
    // XAF and XOF both have no decimals: either reads whole francs.
    match Currency::Xaf.parse_number(magnitude) {
        Ok(francs) => Ok(if negative { -francs } else { francs }),
        Err(MoneyError::OutOfRange(_)) => Err(SmzError::new(
            ErrorCode::AmountOutOfRange,
            format!("{param} is far larger than any payment"),
            Some(param),
        )),
        Err(
            MoneyError::TooPrecise { .. }
            | MoneyError::NotANumber(_)
            | MoneyError::UnknownCurrency(_),
        ) => Err(SmzError::new(
            ErrorCode::AmountTooPrecise,
            format!(
                "{param} is a whole number of francs (XAF and XOF have no decimals), e.g. 5000"
            ),
            Some(param),
        )),
    }
}

/// Simiz's currencies, the default first.
const CURRENCIES: [Currency; 2] = [Currency::Xaf, Currency::Xof];

/// Simiz's currencies: XAF (the default) or XOF.
fn currency(c: Option<&str>) -> Result<Currency, SmzError> {
    let Some(c) = c else {
        return Ok(CURRENCIES[0]);
    };
    CURRENCIES
        .into_iter()
        .find(|x| x.code() == c)
        .ok_or_else(|| {
            SmzError::new(
                ErrorCode::CurrencyNotSupported,
                format!("currency must be XAF or XOF, not {c:?}"),
                Some("currency"),
            )
        })
}

/// The smallest Simiz payment.
const MIN_AMOUNT: i64 = 100;

fn required<'a>(v: &'a Option<String>, param: &str) -> Result<&'a str, SmzError> {
    v.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
        SmzError::new(
            ErrorCode::ParameterMissing,
            format!("{param} is required"),
            Some(param),
        )
    })
}

/// A session by Simiz's `id` (UUID) or `token` (`pay_…`).
async fn find(
    state: &AppState,
    auth: &AuthContext,
    alias: &str,
) -> Result<CheckoutSession, SmzError> {
    let alias = alias.strip_prefix(TOKEN_PREFIX).unwrap_or(alias);
    Ok(state.engine.checkout_session_by_alias(auth, alias).await?)
}

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SmzList<T> {
    /// The objects.
    data: Vec<T>,
    /// Whether more follow.
    has_more: bool,
}

/// An `Idempotency-Key` header, as every POST takes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "only its documentation is used: utoipa reads the fields into the document; handlers read the request themselves"
)]
struct Idempotent {
    /// Makes retries safe: the first response is replayed for 24 h; the same key with another
    /// request is refused (400 `idempotency_error`).
    #[param(rename = "Idempotency-Key", value_type = crate::openapi::vocab::IdempotencyKey, required = false)]
    idempotency_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simiz_keys_map_to_kumbu_keys() {
        assert_eq!(
            kumbu_key("Bearer smz_test_sk_abc").as_deref(),
            Some("sk_test_abc")
        );
        assert_eq!(
            kumbu_key("Bearer smz_live_sk_abc").as_deref(),
            Some("sk_live_abc")
        );
        assert_eq!(
            kumbu_key("Bearer sk_test_abc").as_deref(),
            Some("sk_test_abc")
        );
        assert_eq!(kumbu_key("Basic x"), None);
    }
}
