//! The PlexosPay face at `/compat/plexospay/v1/…`: payments (Cabo Verde, Angola), refunds,
//! customers and webhooks, in PlexosPay's wire format (camelCase, amounts as strings, `pi_` ids,
//! `{"error": {"message", "code"}}`). See `docs/compat/plexospay.md`. Translation only.

mod checkout;
mod error;
mod openapi;
mod views;
mod webhook;

pub use webhook::Webhook;

use crate::compat::common::{kumbu_id, metadata, paging, Paging};
use crate::compat::kit::{self, Face};
use crate::extract::NoParams;
use crate::query::query_pairs;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::{Json, Router};
use error::{PxError, PxErrorBody};
use kumbu_core::{Currency, ErrorCode, Msisdn};
use kumbu_engine::{
    AuthContext, CreateCustomer, CreateEndpoint, CreatePayment, CreateRefund, CustomerInput,
    PaymentFilter, WebhookFormat,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use views::{PxCustomer, PxList, PxPayment, PxRefund, PxWebhook, PAYMENT_PREFIX};

/// The face's operations, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(create_payment, list_payments))
        .routes(routes!(get_payment))
        .routes(routes!(cancel_payment))
        .routes(routes!(create_refund, list_refunds))
        .routes(routes!(get_refund))
        .routes(routes!(create_customer, list_customers))
        .routes(routes!(get_customer))
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(checkout::create_session, checkout::list_sessions))
        .routes(routes!(checkout::get_session))
        .routes(routes!(checkout::expire_session))
}

/// The face's routes, relative to `/compat/plexospay`, with its document at `/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    crate::openapi::served(router, &openapi::finished(doc))
        .fallback(|| async { PxError::new(ErrorCode::RouteNotFound, "Not found") })
        .method_not_allowed_fallback(|| async {
            PxError::new(ErrorCode::MethodNotAllowed, "Method not allowed")
        })
}

/// The PlexosPay face: its envelope, and the native API's keys (`Bearer sk_test_…|sk_live_…`).
pub struct PlexosPay;

impl Face for PlexosPay {
    type Error = PxError;

    async fn caller(parts: &mut Parts, state: &AppState) -> Result<AuthContext, PxError> {
        kit::bearer(parts, state).await
    }
}

type Caller = kit::Caller<PlexosPay>;
type Body<T> = kit::Body<T, PlexosPay>;

fn invalid(message: impl Into<String>) -> PxError {
    PxError::new(ErrorCode::ParameterInvalid, message)
}

/// Query parameters with PlexosPay's paging: `limit` 1–100 (default 20), `starting_after`.
fn list_query(query: Option<&str>) -> Result<Paging, PxError> {
    let pairs = query_pairs(query)?;
    paging(pairs, 20, 100).map_err(|(_, m)| invalid(m))
}

/// A payment request's fields (documented per operator by [`openapi::PaymentRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreatePaymentBody {
    /// Centavos (minor units).
    #[schema(value_type = i64)]
    amount: i64,
    #[schema(value_type = openapi::PxOperatorName)]
    operator: String,
    /// The phone prompted to pay.
    #[schema(value_type = crate::openapi::vocab::Phone)]
    operator_phone: String,
    #[schema(value_type = Option<openapi::PxPaymentCurrency>)]
    currency: Option<String>,
    /// One of your customers (`cu_…`, from `POST /v1/customers`).
    customer_id: Option<String>,
    /// Your reference, unique per merchant and mode (a second payment with it: 409).
    #[schema(value_type = Option<openapi::Text128>)]
    external_id: Option<String>,
    #[schema(value_type = Option<openapi::PaymentCustomer>)]
    customer: Option<CustomerBody>,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    /// What the payer's statement shows.
    #[schema(value_type = Option<openapi::Text100>)]
    statement_descriptor: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// `POST /v1/customers`'s body (and a payment's `customer`, of which only `name` and `email`
/// are kept: documented by [`openapi::PaymentCustomer`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CustomerBody {
    /// Mobile money number.
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    phone: Option<String>,
    #[schema(value_type = Option<openapi::PxOperatorName>)]
    operator: Option<String>,
    #[schema(value_type = Option<openapi::CustomerCountry>)]
    country: Option<String>,
    #[schema(value_type = Option<openapi::Text200>)]
    name: Option<String>,
    #[schema(value_type = Option<openapi::Text254>)]
    email: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// A payment's amount: centavos, lowest and highest (each operator's limits apply too).
const PAYMENT_AMOUNT: (i64, i64) = (1, 100_000_000);

/// The currencies a payment may name (each operator collects some of them).
const PAYMENT_CURRENCIES: [Currency; 2] = [Currency::Cve, Currency::Aoa];

/// The countries a customer may be of.
const CUSTOMER_COUNTRIES: [&str; 2] = ["CV", "AO"];

/// An `Idempotency-Key` header, as every POST takes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "only its documentation is used: utoipa reads the fields into the document; handlers read the request themselves"
)]
struct Idempotent {
    /// Makes retries safe: the first response is replayed for 24 h; the same key with another
    /// request is refused (400 `IDEMPOTENCY_ERROR`).
    #[param(rename = "Idempotency-Key", value_type = crate::openapi::vocab::IdempotencyKey, required = false)]
    idempotency_key: String,
}

/// The paging of a list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "only its documentation is used: utoipa reads the fields into the document; handlers read the request themselves"
)]
struct ListParams {
    /// How many, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The id of the last object of the previous page (one of yours: otherwise 404).
    starting_after: Option<String>,
}

/// Create a payment: the payer is prompted on their phone.
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    params(Idempotent),
    request_body = openapi::PaymentRequest,
    responses(
        (status = 200, description = "The payment, `CREATED`", body = PxPayment,
            links(
                ("GetPayment" = (operation_id = "get_payment", parameters(("id" = "$response.body#/id")))),
                ("CancelPayment" = (operation_id = "cancel_payment", parameters(("id" = "$response.body#/id")))),
                ("RefundPayment" = (operation_id = "create_refund", request_body = json!({"paymentIntentId": "$response.body#/id"}))))),
        (status = 409, description = "`externalId` is already another payment's, or a request with this Idempotency-Key is in progress", body = PxErrorBody)))]
async fn create_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreatePaymentBody>,
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
        Some(c) if PAYMENT_CURRENCIES.iter().any(|x| x.code() == c) => {
            Currency::parse(c).map_err(|e| invalid(e.to_string()))?
        }
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

/// A payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = String, Path, description = "`pi_…` (or Kumbu's `pay_…`)")),
    responses((status = 200, description = "The payment", body = PxPayment)))]
async fn get_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxPayment>, PxError> {
    let p = state
        .engine
        .payment(&auth, &kumbu_id(&id, PAYMENT_PREFIX, "pay_"))
        .await?;
    Ok(Json(PxPayment::from(&p)))
}

/// Payments through PlexosPay's operators, newest first.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(ListParams),
    responses((status = 200, description = "A page of payments", body = PxList<PxPayment>)))]
async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
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

/// Cancel a payment before money moves.
#[utoipa::path(post, path = "/v1/payments/{id}/cancel", tag = "payments",
    params(("id" = String, Path, description = "`pi_…`"), Idempotent),
    responses(
        (status = 200, description = "The payment, `CANCELLED`", body = PxPayment),
        (status = 409, description = "Money moved, or the payment already ended, or the operator has it", body = PxErrorBody)))]
async fn cancel_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Body { idem, .. }: Body<NoParams>,
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

/// `POST /v1/refunds`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreateRefundBody {
    /// The payment refunded: `pi_…` (unknown: 404).
    payment_intent_id: String,
    #[schema(value_type = Option<openapi::RefundAmount>)]
    amount: Option<Value>,
    /// Why.
    #[schema(value_type = Option<openapi::Text500>)]
    reason: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// Refund (part of) a payment whose money moved.
#[utoipa::path(post, path = "/v1/refunds", tag = "refunds",
    params(Idempotent),
    request_body = CreateRefundBody,
    responses(
        (status = 200, description = "The refund, `PENDING`", body = PxRefund),
        (status = 404, description = "No such payment", body = PxErrorBody),
        (status = 409, description = "The payment's money has not moved, it is fully refunded or a refund of it is in flight", body = PxErrorBody)))]
async fn create_refund(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateRefundBody>,
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

/// A refund.
#[utoipa::path(get, path = "/v1/refunds/{id}", tag = "refunds",
    params(("id" = String, Path, description = "`re_…`")),
    responses((status = 200, description = "The refund", body = PxRefund)))]
async fn get_refund(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxRefund>, PxError> {
    Ok(Json(PxRefund::from(
        &state.engine.refund(&auth, &id).await?,
    )))
}

/// Refunds, newest first.
#[utoipa::path(get, path = "/v1/refunds", tag = "refunds",
    params(ListParams,
        ("payment_intent_id" = Option<String>, Query, description = "Only this payment's (`pi_…`; `paymentIntentId` is read too)")),
    responses((status = 200, description = "A page of refunds", body = PxList<PxRefund>)))]
async fn list_refunds(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
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

/// Create a customer.
#[utoipa::path(post, path = "/v1/customers", tag = "customers",
    params(Idempotent),
    request_body = Option<CustomerBody>,
    responses((status = 200, description = "The customer", body = PxCustomer)))]
async fn create_customer(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CustomerBody>,
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
        if !CUSTOMER_COUNTRIES.contains(&c) {
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

/// A customer.
#[utoipa::path(get, path = "/v1/customers/{id}", tag = "customers",
    params(("id" = String, Path, description = "`cu_…`")),
    responses((status = 200, description = "The customer", body = PxCustomer)))]
async fn get_customer(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxCustomer>, PxError> {
    Ok(Json(PxCustomer::from(
        &state.engine.customer(&auth, &id).await?,
    )))
}

/// Customers, newest first.
#[utoipa::path(get, path = "/v1/customers", tag = "customers",
    params(ListParams),
    responses((status = 200, description = "A page of customers", body = PxList<PxCustomer>)))]
async fn list_customers(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
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

/// `POST /v1/webhooks`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreateWebhookBody {
    #[schema(value_type = crate::openapi::vocab::WebhookUrl)]
    url: String,
    /// What to send (a type listed twice counts once).
    #[schema(value_type = Vec<openapi::PxWebhookEvent>, min_items = 1)]
    events: Vec<String>,
    #[schema(value_type = Option<openapi::Text500>)]
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

/// Create a webhook endpoint: its `secret` signs every event (shown this once).
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks",
    params(Idempotent),
    request_body = CreateWebhookBody,
    responses((status = 200, description = "The endpoint, with its secret", body = PxWebhook)))]
async fn create_webhook(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateWebhookBody>,
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
    // A type listed twice counts once; PlexosPay knows no cancelled session: one the customer
    // abandoned is reported expired.
    let mut events: Vec<String> = Vec::with_capacity(body.events.len() + 1);
    for e in body.events {
        if !events.contains(&e) {
            events.push(e);
        }
    }
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

/// The webhook endpoints created here.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "Every endpoint (`hasMore` is false)", body = PxList<PxWebhook>)))]
async fn list_webhooks(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
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
