//! The PlexosPay face at `/compat/plexospay/v1/…`: payments (Cabo Verde, Angola), refunds,
//! customers and webhooks, in PlexosPay's wire format (camelCase, amounts as strings, `pi_` ids,
//! `{"error": {"message", "code"}}`). See `docs/compat/plexospay.md`. Translation only.

mod checkout;
mod error;
mod views;

pub(crate) use checkout::webhook_data;
pub use views::webhook_body;

use crate::compat::common::{kumbu_id, metadata, paging, Paging};
use crate::extract::{Auth, Command, NoParams};
use crate::native::payments::{query_pairs, record, respond};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use error::PxError;
use kumbu_core::{Currency, ErrorCode, Msisdn};
use kumbu_engine::{
    AuthContext, CreateCustomer, CreateEndpoint, CreatePayment, CreateRefund, CustomerInput,
    IdempotencyRequest, PaymentFilter, WebhookFormat,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use views::{PxCustomer, PxList, PxPayment, PxRefund, PxWebhook, PAYMENT_PREFIX};

/// The face's routes, relative to `/compat/plexospay`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/payments", post(create_payment).get(list_payments))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/cancel", post(cancel_payment))
        .route("/v1/refunds", post(create_refund).get(list_refunds))
        .route("/v1/refunds/{id}", get(get_refund))
        .route("/v1/customers", post(create_customer).get(list_customers))
        .route("/v1/customers/{id}", get(get_customer))
        .route("/v1/webhooks", post(create_webhook).get(list_webhooks))
        .route(
            "/v1/checkout/sessions",
            post(checkout::create_session).get(checkout::list_sessions),
        )
        .route("/v1/checkout/sessions/{id}", get(checkout::get_session))
        .route(
            "/v1/checkout/sessions/{id}/expire",
            post(checkout::expire_session),
        )
        .fallback(|| async { PxError::new(ErrorCode::RouteNotFound, "Not found") })
        .method_not_allowed_fallback(|| async {
            PxError::new(ErrorCode::MethodNotAllowed, "Method not allowed")
        })
}

/// The caller, authenticated as in the native API (`Bearer sk_test_…|sk_live_…`), with
/// PlexosPay's error envelope.
struct Caller(AuthContext);

impl FromRequestParts<AppState> for Caller {
    type Rejection = PxError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PxError> {
        let Auth(a) = Auth::from_request_parts(parts, state).await?;
        Ok(Caller(a))
    }
}

/// A JSON body and its Idempotency-Key, read as the native API reads them.
struct Body<T>(Option<IdempotencyRequest>, T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = PxError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PxError> {
        let Command(idem, body) = Command::<T>::from_request(req, state).await?;
        Ok(Body(idem, body))
    }
}

fn invalid(message: impl Into<String>) -> PxError {
    PxError::new(ErrorCode::ParameterInvalid, message)
}

/// Query parameters with PlexosPay's paging: `limit` 1–100 (default 20), `starting_after`.
fn list_query(query: Option<&str>) -> Result<Paging, PxError> {
    let pairs = query_pairs(query)?;
    paging(pairs, 20, 100).map_err(|(_, m)| invalid(m))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePaymentBody {
    amount: i64,
    operator: String,
    operator_phone: String,
    currency: Option<String>,
    customer_id: Option<String>,
    external_id: Option<String>,
    customer: Option<CustomerBody>,
    description: Option<String>,
    statement_descriptor: Option<String>,
    metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerBody {
    phone: Option<String>,
    operator: Option<String>,
    country: Option<String>,
    name: Option<String>,
    email: Option<String>,
    metadata: Option<Value>,
}

const PAYMENT_AMOUNT: (i64, i64) = (1, 100_000_000);

async fn create_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreatePaymentBody>,
) -> Result<Response, PxError> {
    let (lo, hi) = PAYMENT_AMOUNT;
    if !(lo..=hi).contains(&body.amount) {
        return Err(PxError::new(
            ErrorCode::AmountOutOfRange,
            format!("amount must be an integer number of centavos from {lo} to {hi}"),
        ));
    }
    let operator = views::parse_operator(&body.operator).ok_or_else(|| {
        PxError::new(
            ErrorCode::OperatorUnknown,
            format!(
                "operator must be CVMOVEL, UNITEL_TMAIS or MOCK, not {:?}",
                body.operator
            ),
        )
    })?;
    let currency = match body.currency.as_deref() {
        Some(c @ ("CVE" | "AOA")) => Currency::parse(c).map_err(|e| invalid(e.to_string()))?,
        Some(other) => {
            return Err(PxError::new(
                ErrorCode::CurrencyNotSupported,
                format!("currency must be CVE or AOA, not {other:?}"),
            ))
        }
        None => *state
            .engine
            .catalogue()
            .get(operator)
            .currencies
            .first()
            .unwrap_or(&Currency::Cve),
    };
    let payer_phone = Msisdn::parse(&body.operator_phone)
        .map_err(|e| PxError::new(ErrorCode::PhoneInvalid, format!("operatorPhone: {e}")))?;
    let customer = body.customer.as_ref();
    let cmd = CreatePayment {
        amount: body.amount,
        currency,
        operator,
        payer_phone,
        reference: body.external_id,
        description: body.description,
        statement_descriptor: body.statement_descriptor,
        customer_id: body.customer_id,
        metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
        customer: CustomerInput {
            name: customer.and_then(|c| c.name.clone()),
            email: customer.and_then(|c| c.email.clone()),
        },
        expires_in: None,
    };
    let outcome = state
        .engine
        .create_payment(&auth, cmd, idem.as_ref(), |p| {
            record(200, &PxPayment::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

async fn get_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<PxPayment>, PxError> {
    let p = state
        .engine
        .payment(&auth, &kumbu_id(&id, PAYMENT_PREFIX, "pay_"))
        .await?;
    Ok(Json(PxPayment::from(&p)))
}

async fn list_payments(
    State(state): State<AppState>,
    Caller(auth): Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxPayment>>, PxError> {
    let Paging {
        limit,
        starting_after: after,
        rest,
    } = list_query(query.as_deref())?;
    if let Some((k, _)) = rest.first() {
        return Err(invalid(format!("`{k}` is not a known parameter")));
    }
    let after = after.map(|a| kumbu_id(&a, PAYMENT_PREFIX, "pay_"));
    // PlexosPay lists its own operators' payments, not those of other faces.
    let filter = PaymentFilter {
        operators: views::OPERATORS.to_vec(),
        ..PaymentFilter::default()
    };
    let page = state
        .engine
        .list_payments(&auth, &filter, after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: page.data.iter().map(PxPayment::from).collect(),
        has_more: page.has_more,
    }))
}

async fn cancel_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
    Body(idem, _): Body<NoParams>,
) -> Result<Response, PxError> {
    let outcome = state
        .engine
        .cancel_payment(
            &auth,
            &kumbu_id(&id, PAYMENT_PREFIX, "pay_"),
            idem.as_ref(),
            |p| record(200, &PxPayment::from(p)),
        )
        .await?;
    Ok(respond(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRefundBody {
    payment_intent_id: String,
    amount: Option<Value>,
    reason: Option<String>,
    metadata: Option<Value>,
}

async fn create_refund(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreateRefundBody>,
) -> Result<Response, PxError> {
    let amount = match &body.amount {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_i64()
                .ok_or_else(|| invalid("amount must be an integer number of centavos"))?,
        ),
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| invalid("amount must be an integer number of centavos"))?,
        ),
        Some(Value::Bool(_) | Value::Array(_) | Value::Object(_)) => {
            return Err(invalid("amount must be an integer number of centavos"))
        }
    };
    let cmd = CreateRefund {
        payment_id: kumbu_id(&body.payment_intent_id, PAYMENT_PREFIX, "pay_"),
        amount,
        reason: body.reason,
        metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
    };
    let outcome = state
        .engine
        .create_refund(&auth, cmd, idem.as_ref(), |r| {
            record(200, &PxRefund::from(r))
        })
        .await?;
    Ok(respond(outcome))
}

async fn get_refund(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<PxRefund>, PxError> {
    Ok(Json(PxRefund::from(
        &state.engine.refund(&auth, &id).await?,
    )))
}

async fn list_refunds(
    State(state): State<AppState>,
    Caller(auth): Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxRefund>>, PxError> {
    let Paging {
        limit,
        starting_after: after,
        rest,
    } = list_query(query.as_deref())?;
    let mut payment = None;
    for (k, v) in rest {
        match k.as_str() {
            "payment_intent_id" | "paymentIntentId" => {
                payment = Some(kumbu_id(&v, PAYMENT_PREFIX, "pay_"))
            }
            _ => return Err(invalid(format!("`{k}` is not a known parameter"))),
        }
    }
    let (refunds, has_more) = state
        .engine
        .list_refunds(&auth, payment.as_deref(), after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: refunds.iter().map(PxRefund::from).collect(),
        has_more,
    }))
}

async fn create_customer(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CustomerBody>,
) -> Result<Response, PxError> {
    let phone = body
        .phone
        .as_deref()
        .map(Msisdn::parse)
        .transpose()
        .map_err(|e| PxError::new(ErrorCode::PhoneInvalid, format!("phone: {e}")))?;
    let operator = match body.operator.as_deref() {
        None => None,
        Some(o) => Some(views::parse_operator(o).ok_or_else(|| {
            PxError::new(
                ErrorCode::OperatorUnknown,
                "operator must be CVMOVEL, UNITEL_TMAIS or MOCK",
            )
        })?),
    };
    if let Some(c) = body.country.as_deref() {
        if !["CV", "AO"].contains(&c) {
            return Err(invalid("country must be CV or AO"));
        }
    }
    let cmd = CreateCustomer {
        phone,
        operator,
        country: body.country,
        name: body.name,
        email: body.email,
        metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
    };
    let outcome = state
        .engine
        .create_customer(&auth, cmd, idem.as_ref(), |c| {
            record(200, &PxCustomer::from(c))
        })
        .await?;
    Ok(respond(outcome))
}

async fn get_customer(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<PxCustomer>, PxError> {
    Ok(Json(PxCustomer::from(
        &state.engine.customer(&auth, &id).await?,
    )))
}

async fn list_customers(
    State(state): State<AppState>,
    Caller(auth): Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxCustomer>>, PxError> {
    let Paging {
        limit,
        starting_after: after,
        rest,
    } = list_query(query.as_deref())?;
    if let Some((k, _)) = rest.first() {
        return Err(invalid(format!("`{k}` is not a known parameter")));
    }
    let (list, has_more) = state
        .engine
        .list_customers(&auth, after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: list.iter().map(PxCustomer::from).collect(),
        has_more,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateWebhookBody {
    url: String,
    events: Vec<String>,
    description: Option<String>,
}

/// The event types a PlexosPay endpoint may subscribe to (those Kumbu emits).
const WEBHOOK_EVENTS: [&str; 11] = [
    "payment.created",
    "payment.debited",
    "payment.settled",
    "payment.failed",
    "payment.expired",
    "payment.cancelled",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
    "checkout.completed",
    "checkout.expired",
];

async fn create_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreateWebhookBody>,
) -> Result<Response, PxError> {
    if let Some(bad) = body
        .events
        .iter()
        .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
    {
        return Err(invalid(format!(
            "unknown or unsupported event `{bad}`; one of: {}",
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    // PlexosPay knows no cancelled session: one the customer abandoned is reported expired.
    let mut events = body.events;
    if events.iter().any(|e| e == "checkout.expired") {
        events.push("checkout.cancelled".to_owned());
    }
    let cmd = CreateEndpoint {
        url: body.url,
        events,
        description: body.description,
        format: WebhookFormat::Plexospay,
        signing_key: None,
        max_concurrency: None,
    };
    let outcome = state
        .engine
        .create_endpoint(&auth, cmd, idem.as_ref(), |e| {
            record(200, &PxWebhook::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

async fn list_webhooks(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> Result<Json<PxList<PxWebhook>>, PxError> {
    let list = state
        .engine
        .endpoints_of(&auth, WebhookFormat::Plexospay)
        .await?;
    Ok(Json(PxList {
        data: list.iter().map(PxWebhook::from).collect(),
        has_more: false,
    }))
}
