//! The Simiz face at `/compat/simiz/v1/…` (Cameroon and Côte d'Ivoire, XAF/XOF): payments on a
//! hosted page, checkout sessions, refunds and webhooks, in Simiz's wire format (camelCase, UUID
//! ids, `pay_` tokens, whole-franc amounts). See `docs/compat/simiz.md`. Translation only: a
//! Simiz payment is a Kumbu checkout session, and its `paymentUrl` is Kumbu's page.
//!
//! Keys: Simiz prints keys as `smz_test_sk_…` / `smz_live_sk_…`; the secret after the prefix is a
//! Kumbu key's (`sk_test_X` is `smz_test_sk_X`), so a merchant's one key works in both forms.

mod error;
mod views;

pub use views::webhook_body;

use crate::compat::common::{iso_seconds, metadata, paging, Paging};
use crate::extract::{Auth, Command};
use crate::native::payments::{query_pairs, record, respond};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use error::SmzError;
use kumbu_core::{CheckoutSession, Currency, ErrorCode, Msisdn, Refund};
use kumbu_engine::{
    AuthContext, CreateCheckoutSession, CreateEndpoint, CreateRefund, Endpoint, IdempotencyRequest,
    WebhookFormat,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use views::{project_id, SmzPayment, SmzSession, TOKEN_PREFIX};

/// The face's routes, relative to `/compat/simiz`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/payments", post(create_payment).get(list_payments))
        .route("/v1/payments/{token}", get(get_payment))
        .route(
            "/v1/projects/{project}/checkout/sessions",
            post(create_session),
        )
        .route(
            "/v1/projects/{project}/checkout/sessions/{id}",
            get(get_session),
        )
        .route("/v1/refunds", post(create_refund))
        .route("/v1/refunds/{id}", get(get_refund))
        .route("/v1/webhooks", post(create_webhook).get(list_webhooks))
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

/// The caller: `Authorization: Bearer smz_test_sk_…` (or the same key as `sk_test_…`).
struct Caller(AuthContext);

impl FromRequestParts<AppState> for Caller {
    type Rejection = SmzError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, SmzError> {
        let rewritten = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(kumbu_key)
            .and_then(|k| HeaderValue::from_str(&format!("Bearer {k}")).ok());
        if let Some(v) = rewritten {
            parts.headers.insert(AUTHORIZATION, v);
        }
        let Auth(a) = Auth::from_request_parts(parts, state).await?;
        Ok(Caller(a))
    }
}

/// A JSON body and its Idempotency-Key, read as the native API reads them.
struct Body<T>(Option<IdempotencyRequest>, T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = SmzError;

    async fn from_request(req: Request, state: &S) -> Result<Self, SmzError> {
        let Command(idem, body) = Command::<T>::from_request(req, state).await?;
        Ok(Body(idem, body))
    }
}

fn invalid(param: &str, message: impl Into<String>) -> SmzError {
    SmzError::new(ErrorCode::ParameterInvalid, message, Some(param))
}

/// A whole number of francs (Simiz's `amount` is in base units; XAF and XOF have no decimals).
fn francs(v: &Value, param: &str) -> Result<i64, SmzError> {
    let bad = || {
        SmzError::new(
            ErrorCode::AmountTooPrecise,
            format!(
                "{param} is a whole number of francs (XAF and XOF have no decimals), e.g. 5000"
            ),
            Some(param),
        )
    };
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(f as i64),
            (None, Some(_) | None) => Err(bad()),
        },
        Value::Null | Value::Bool(_) | Value::String(_) | Value::Array(_) | Value::Object(_) => {
            Err(invalid(
                param,
                format!("{param} must be a number, e.g. 5000"),
            ))
        }
    }
}

/// Simiz's currencies: XAF (the default) or XOF.
fn currency(c: Option<&str>) -> Result<Currency, SmzError> {
    match c {
        None | Some("XAF") => Ok(Currency::Xaf),
        Some("XOF") => Ok(Currency::Xof),
        Some(other) => Err(SmzError::new(
            ErrorCode::CurrencyNotSupported,
            format!("currency must be XAF or XOF, not {other:?}"),
            Some("currency"),
        )),
    }
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePaymentBody {
    user_id: Option<String>,
    amount: Option<Value>,
    return_url: Option<String>,
    cancel_url: Option<String>,
    currency: Option<String>,
    description: Option<String>,
    metadata: Option<Value>,
}

fn payment_command(body: CreatePaymentBody) -> Result<CreateCheckoutSession, SmzError> {
    let user = required(&body.user_id, "userId")?;
    let user = uuid::Uuid::parse_str(user).map_err(|_| {
        invalid(
            "userId",
            "userId must be a UUID, e.g. 550e8400-e29b-41d4-a716-446655440000",
        )
    })?;
    let amount = francs(
        body.amount.as_ref().ok_or_else(|| {
            SmzError::new(
                ErrorCode::ParameterMissing,
                "amount is required",
                Some("amount"),
            )
        })?,
        "amount",
    )?;
    if amount < MIN_AMOUNT {
        return Err(SmzError::new(
            ErrorCode::AmountOutOfRange,
            format!("amount must be at least {MIN_AMOUNT}"),
            Some("amount"),
        ));
    }
    let return_url = required(&body.return_url, "returnUrl")?.to_owned();
    let cancel_url = required(&body.cancel_url, "cancelUrl")?.to_owned();
    let mut metadata = metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?;
    metadata.insert("simiz_user_id".to_owned(), user.to_string());
    Ok(CreateCheckoutSession {
        amount: Some(amount),
        currency: currency(body.currency.as_deref())?,
        items: Vec::new(),
        operators: Vec::new(),
        return_url,
        cancel_url: Some(cancel_url),
        expires_in_minutes: None,
        locale: None,
        customer_name: None,
        customer_phone: None,
        customer_id: None,
        description: body.description,
        metadata,
    })
}

fn payment_view(state: &AppState, s: &CheckoutSession) -> SmzPayment {
    SmzPayment::of(s, &state.public_url, kumbu_engine::payer_name(s))
}

async fn create_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreatePaymentBody>,
) -> Result<Response, SmzError> {
    let cmd = payment_command(body)?;
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .create_checkout_session(&auth, cmd, idem.as_ref(), |s| {
            record(200, &SmzPayment::of(s, &base, None))
        })
        .await?;
    Ok(respond(outcome))
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

async fn get_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<SmzPayment>, SmzError> {
    for (k, _) in query_pairs(query.as_deref())? {
        // `expand` is accepted; the payment already carries what Kumbu knows of its payer.
        if k != "expand" {
            return Err(invalid(&k, format!("`{k}` is not a known parameter")));
        }
    }
    let s = find(&state, &auth, &token).await?;
    Ok(Json(payment_view(&state, &s)))
}

/// A page of a list.
#[derive(Debug, Serialize)]
struct SmzList<T> {
    data: Vec<T>,
    has_more: bool,
}

async fn list_payments(
    State(state): State<AppState>,
    Caller(auth): Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<SmzList<SmzPayment>>, SmzError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = paging(query_pairs(query.as_deref())?, 10, 100).map_err(|(p, m)| invalid(&p, m))?;
    if let Some((k, _)) = rest.first() {
        return Err(invalid(k, format!("`{k}` is not a known parameter")));
    }
    let after = match starting_after {
        Some(a) => Some(find(&state, &auth, &a).await?.id),
        None => None,
    };
    let (sessions, has_more) = state
        .engine
        .list_checkout_sessions(&auth, &[], after.as_deref(), limit)
        .await?;
    Ok(Json(SmzList {
        data: sessions.iter().map(|s| payment_view(&state, s)).collect(),
        has_more,
    }))
}

/// The project in the path must be the caller's.
fn own_project(auth: &AuthContext, project: &str) -> Result<(), SmzError> {
    if project.eq_ignore_ascii_case(&project_id(&auth.merchant_id)) {
        Ok(())
    } else {
        Err(SmzError::new(
            ErrorCode::ResourceMissing,
            format!(
                "No project `{project}`: your key's project is {}",
                project_id(&auth.merchant_id)
            ),
            Some("projectId"),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateSessionBody {
    amount: Option<Value>,
    currency: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    description: Option<String>,
    customer: Option<SessionCustomer>,
    metadata: Option<Value>,
    expires_in_minutes: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct SessionCustomer {
    name: Option<String>,
    phone: Option<String>,
}

async fn create_session(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(project): Path<String>,
    Body(idem, body): Body<CreateSessionBody>,
) -> Result<Response, SmzError> {
    own_project(&auth, &project)?;
    let amount = francs(
        body.amount.as_ref().ok_or_else(|| {
            SmzError::new(
                ErrorCode::ParameterMissing,
                "amount is required",
                Some("amount"),
            )
        })?,
        "amount",
    )?;
    let phone = body
        .customer
        .as_ref()
        .and_then(|c| c.phone.as_deref())
        .map(Msisdn::parse)
        .transpose()
        .map_err(|e| {
            SmzError::new(
                ErrorCode::PhoneInvalid,
                e.to_string(),
                Some("customer.phone"),
            )
        })?;
    let cmd = CreateCheckoutSession {
        amount: Some(amount),
        currency: currency(body.currency.as_deref())?,
        items: Vec::new(),
        operators: Vec::new(),
        return_url: required(&body.success_url, "successUrl")?.to_owned(),
        cancel_url: body.cancel_url,
        expires_in_minutes: body.expires_in_minutes,
        locale: None,
        customer_name: body.customer.and_then(|c| c.name),
        customer_phone: phone,
        customer_id: None,
        description: body.description,
        metadata: metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?,
    };
    let merchant = state
        .engine
        .store()
        .branding(&auth.merchant_id)
        .await
        .map_err(kumbu_engine::EngineError::from)?
        .unwrap_or_default()
        .name;
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .create_checkout_session(&auth, cmd, idem.as_ref(), |s| {
            record(200, &SmzSession::of(s, &base, &merchant))
        })
        .await?;
    Ok(respond(outcome))
}

async fn get_session(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path((project, id)): Path<(String, String)>,
) -> Result<Json<SmzSession>, SmzError> {
    own_project(&auth, &project)?;
    let s = state.engine.checkout_session(&auth, &id).await?;
    let merchant = state
        .engine
        .store()
        .branding(&auth.merchant_id)
        .await
        .map_err(kumbu_engine::EngineError::from)?
        .unwrap_or_default()
        .name;
    Ok(Json(SmzSession::of(&s, &state.public_url, &merchant)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRefundBody {
    payment_id: Option<String>,
    amount: Option<Value>,
    reason: Option<String>,
    metadata: Option<Value>,
}

/// A Simiz refund.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SmzRefund {
    id: String,
    payment_id: String,
    amount: i64,
    currency: &'static str,
    status: &'static str,
    reason: Option<String>,
    created_at: String,
}

impl SmzRefund {
    fn of(r: &Refund, payment_id: &str) -> Self {
        Self {
            id: r.id.clone(),
            payment_id: payment_id.to_owned(),
            amount: r.amount,
            currency: r.currency.code(),
            status: match r.status {
                kumbu_core::RefundStatus::Pending | kumbu_core::RefundStatus::Processing => {
                    "PENDING"
                }
                kumbu_core::RefundStatus::Succeeded => "COMPLETED",
                kumbu_core::RefundStatus::Failed => "FAILED",
            },
            reason: r.reason.clone(),
            created_at: iso_seconds(r.created_at),
        }
    }
}

async fn create_refund(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreateRefundBody>,
) -> Result<Response, SmzError> {
    let alias = required(&body.payment_id, "paymentId")?;
    let s = find(&state, &auth, alias).await?;
    let paid = s.payment_id.clone().ok_or_else(|| {
        SmzError::new(
            ErrorCode::PaymentStateConflict,
            format!("payment {alias} is not completed; only completed payments can be refunded"),
            Some("paymentId"),
        )
    })?;
    let amount = body
        .amount
        .as_ref()
        .map(|a| francs(a, "amount"))
        .transpose()?;
    let cmd = CreateRefund {
        payment_id: paid,
        amount,
        reason: body.reason,
        metadata: metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?,
    };
    let uuid = s.uuid.clone();
    let outcome = state
        .engine
        .create_refund(&auth, cmd, idem.as_ref(), |r| {
            record(200, &SmzRefund::of(r, &uuid))
        })
        .await?;
    Ok(respond(outcome))
}

async fn get_refund(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, SmzError> {
    let r = state.engine.refund(&auth, &id).await?;
    let p = state.engine.payment(&auth, &r.payment_id).await?;
    let payment = match &p.checkout_session_id {
        Some(cs) => state.engine.checkout_session(&auth, cs).await?.uuid,
        None => p.id.clone(),
    };
    Ok(Json(
        serde_json::to_value(SmzRefund::of(&r, &payment)).unwrap_or(Value::Null),
    ))
}

#[derive(Debug, Deserialize)]
struct CreateWebhookBody {
    url: String,
    events: Option<Vec<String>>,
    description: Option<String>,
}

/// A Simiz webhook endpoint.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SmzWebhook {
    id: String,
    url: String,
    events: Vec<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    created_at: String,
}

impl From<&Endpoint> for SmzWebhook {
    fn from(e: &Endpoint) -> Self {
        let mut events: Vec<String> = Vec::new();
        for k in &e.events {
            for s in views::EVENTS {
                if (k == "*" || views::kumbu_event(s) == Some(k.as_str()))
                    && !events.iter().any(|x| x == s)
                {
                    events.push(s.to_owned());
                }
            }
        }
        Self {
            id: e.id.clone(),
            url: e.url.clone(),
            events,
            status: if e.status == "enabled" {
                "active"
            } else {
                "inactive"
            },
            secret: e.secret.clone(),
            created_at: iso_seconds(e.created_at),
        }
    }
}

async fn create_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreateWebhookBody>,
) -> Result<Response, SmzError> {
    let events = match body.events {
        // Every Simiz event, and nothing Simiz does not send.
        None => kumbu_engine::CHECKOUT_EVENTS
            .iter()
            .map(|e| (*e).to_owned())
            .collect(),
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for e in &list {
                let k = views::kumbu_event(e).ok_or_else(|| {
                    invalid(
                        "events",
                        format!("unknown event `{e}`; one of: {}", views::EVENTS.join(", ")),
                    )
                })?;
                if !out.iter().any(|x| x == k) {
                    out.push(k.to_owned());
                }
            }
            out
        }
    };
    let cmd = CreateEndpoint {
        url: body.url,
        events,
        description: body.description,
        format: WebhookFormat::Simiz,
        signing_key: None,
    };
    let outcome = state
        .engine
        .create_endpoint(&auth, cmd, idem.as_ref(), |e| {
            record(200, &SmzWebhook::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

async fn list_webhooks(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> Result<Json<SmzList<SmzWebhook>>, SmzError> {
    let list = state
        .engine
        .endpoints_of(&auth, WebhookFormat::Simiz)
        .await?;
    Ok(Json(SmzList {
        data: list.iter().map(SmzWebhook::from).collect(),
        has_more: false,
    }))
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
