//! `/v1/checkout/sessions` (the hosted payment page) and `/v1/operators/predict`.
//!
//! The handlers and the session's wire types live together here: one resource, one file.

use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, NoParams, PathId};
use crate::native::parse::minor_units;
use crate::query::{query_pairs, query_phone, Paging};
use crate::reply::{record, respond};
use crate::urls::PublicUrl;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{
    CheckoutSession, CheckoutStatus, Currency, ErrorCode, LineItem, Locale, Msisdn, Operator,
};
use kumbu_engine::CreateCheckoutSession;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Body of `POST /v1/checkout/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionBody {
    /// Minor units; may be omitted when `items` are given (they must agree when both are).
    #[schema(value_type = Option<i64>, example = 5000)]
    pub amount: Option<serde_json::Number>,
    /// ISO 4217 code: CVE, MZN, XOF or XAF.
    #[schema(example = "XAF")]
    #[schema(value_type = crate::openapi::vocab::PushCurrency)]
    pub currency: String,
    /// What is paid for; the amount is their sum.
    #[serde(default, deserialize_with = "crate::extract::object::list")]
    pub items: Option<Vec<ItemBody>>,
    /// Operator codes offered on the page; by default every operator of the currency.
    #[schema(value_type = Option<Vec<crate::openapi::vocab::Operator>>)]
    pub operators: Option<Vec<String>>,
    /// Where the customer goes after paying (absolute http(s) URL). Kumbu adds
    /// `checkout_session_id=cs_…`; confirm the payment by webhook or API, never by the redirect.
    #[schema(example = "https://shop.example/paid")]
    #[schema(value_type = crate::openapi::vocab::RedirectUrl)]
    pub return_url: String,
    /// Where the customer goes after cancelling, or when the session expired.
    #[schema(value_type = Option<crate::openapi::vocab::RedirectUrl>)]
    pub cancel_url: Option<String>,
    /// Minutes the page accepts payment: 5 to 1440, default 30.
    #[schema(schema_with = crate::openapi::vocab::field::session_minutes)]
    pub expires_in_minutes: Option<u32>,
    /// `fr`, `pt` or `en`; by default the customer's browser chooses.
    #[schema(value_type = Option<crate::openapi::vocab::Locale>)]
    pub locale: Option<String>,
    /// Prefills the page.
    #[serde(default, deserialize_with = "crate::extract::object::optional")]
    pub customer: Option<SessionCustomerBody>,
    /// One of your customers (`cu_…`).
    pub customer_id: Option<String>,
    /// Shown to the customer (at most 500 characters).
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub description: Option<String>,
    /// Up to 50 string key-value pairs, copied to each payment attempt.
    #[schema(value_type = Option<crate::openapi::vocab::Metadata>)]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// A line item.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// What it is.
    #[schema(schema_with = crate::openapi::vocab::field::required::item_name)]
    pub name: String,
    /// How many, 1 to 10000.
    #[schema(schema_with = crate::openapi::vocab::field::required::quantity)]
    pub quantity: i64,
    /// Price of one, in minor units.
    #[schema(schema_with = crate::openapi::vocab::field::required::unit_amount)]
    pub unit_amount: i64,
    /// More words.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub description: Option<String>,
    /// Your product id.
    #[schema(schema_with = crate::openapi::vocab::field::text_500)]
    pub product_id: Option<String>,
}

/// The customer, to prefill the page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionCustomerBody {
    /// Name.
    #[schema(schema_with = crate::openapi::vocab::field::text_200)]
    pub name: Option<String>,
    /// E.164 phone, prefilled (the customer may change it).
    #[schema(value_type = Option<crate::openapi::vocab::Phone>)]
    pub phone: Option<String>,
}

/// The latest payment attempt of a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAttemptView {
    /// `pay_…`: an ordinary payment (`GET /v1/payments/{id}`).
    pub payment: String,
    /// Its status.
    pub status: String,
    /// Operator code.
    pub operator: String,
    /// The number prompted.
    pub phone: Option<String>,
    /// Why it failed.
    pub failure_code: Option<String>,
}

/// A checkout session.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutSessionView {
    /// `cs_…`
    pub id: String,
    /// Always `checkout.session`.
    pub object: &'static str,
    /// The payment page to send the customer to (its path is a secret of 190 bits).
    pub url: String,
    /// `open`, `completed`, `expired` or `cancelled`.
    pub status: &'static str,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: &'static str,
    /// Line items.
    pub items: Vec<ItemBody>,
    /// Operator codes offered.
    pub operators: Vec<&'static str>,
    /// After paying.
    pub return_url: String,
    /// After cancelling or expiry.
    pub cancel_url: Option<String>,
    /// The page's language, if fixed.
    pub locale: Option<&'static str>,
    /// Customer name given.
    pub customer_name: Option<String>,
    /// Phone prefilled.
    pub customer_phone: Option<String>,
    /// Your customer.
    pub customer_id: Option<String>,
    /// Shown to the customer.
    pub description: Option<String>,
    /// Your data.
    pub metadata: BTreeMap<String, String>,
    /// Payment attempts so far (at most 5).
    pub attempts: u32,
    /// The latest attempt.
    pub latest_attempt: Option<SessionAttemptView>,
    /// The payment that completed the session.
    pub payment: Option<String>,
    /// `true` for live sessions.
    pub livemode: bool,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339, once completed.
    pub completed_at: Option<String>,
}

impl CheckoutSessionView {
    /// The view of `s`, with its page under `base`.
    pub fn of(s: &CheckoutSession, base: &PublicUrl) -> Self {
        Self {
            id: s.id.clone(),
            object: "checkout.session",
            url: base.checkout_page(&s.token),
            status: s.status.as_str(),
            amount: s.amount,
            currency: s.currency.code(),
            items: s
                .items
                .iter()
                .map(|i| ItemBody {
                    name: i.name.clone(),
                    quantity: i.quantity,
                    unit_amount: i.unit_amount,
                    description: i.description.clone(),
                    product_id: i.product_id.clone(),
                })
                .collect(),
            operators: s.operators.iter().map(|o| o.code()).collect(),
            return_url: s.return_url.clone(),
            cancel_url: s.cancel_url.clone(),
            locale: s.locale.map(Locale::as_str),
            customer_name: s.customer_name.clone(),
            customer_phone: s.customer_phone.as_ref().map(ToString::to_string),
            customer_id: s.customer_id.clone(),
            description: s.description.clone(),
            metadata: s.metadata.clone(),
            attempts: s.attempts,
            latest_attempt: s.attempt.as_ref().map(|a| SessionAttemptView {
                payment: a.payment_id.clone(),
                status: a.status.as_str().to_owned(),
                operator: a.operator.code().to_owned(),
                phone: a.payer_phone.as_ref().map(ToString::to_string),
                failure_code: a.failure_code.map(|c| c.as_str().to_owned()),
            }),
            payment: s.payment_id.clone(),
            livemode: s.mode == kumbu_core::Mode::Live,
            expires_at: s.expires_at.to_rfc3339(),
            created_at: s.created_at.to_rfc3339(),
            updated_at: s.updated_at.to_rfc3339(),
            completed_at: s.completed_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A page of sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutSessionList {
    /// Always `list`.
    pub object: &'static str,
    /// Newest first.
    pub data: Vec<CheckoutSessionView>,
    /// Whether more follow.
    pub has_more: bool,
}

/// What `GET /v1/operators/predict` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PredictionView {
    /// The number, normalised to E.164.
    pub phone: String,
    /// ISO 3166 code of its country.
    pub country: &'static str,
    /// Operators that can prompt it, most likely first (by prefix, then operators that take
    /// any number of the country, such as Wave).
    pub operators: Vec<&'static str>,
}

fn invalid(code: ErrorCode, param: &str, message: impl Into<String>) -> NativeError {
    NativeError::new(code, message, Some(param))
}

/// Parses operator codes (a shared piece: the Simiz and PlexosPay faces name them their way
/// and call the engine with the same list).
fn operators(codes: Vec<String>) -> Result<Vec<Operator>, NativeError> {
    codes
        .iter()
        .map(|c| {
            Operator::parse(c).ok_or_else(|| {
                invalid(
                    ErrorCode::OperatorUnknown,
                    "operators",
                    format!("unknown operator `{c}`; see GET /v1/operators"),
                )
            })
        })
        .collect()
}

fn to_command(body: CreateSessionBody) -> Result<CreateCheckoutSession, NativeError> {
    let amount = body.amount.as_ref().map(minor_units).transpose()?;
    let currency = Currency::parse(&body.currency)
        .map_err(|e| invalid(ErrorCode::CurrencyNotSupported, "currency", e.to_string()))?;
    let locale = body
        .locale
        .as_deref()
        .map(|l| {
            Locale::parse(l).ok_or_else(|| {
                invalid(
                    ErrorCode::ParameterInvalid,
                    "locale",
                    "locale must be fr, pt or en",
                )
            })
        })
        .transpose()?;
    let (customer_name, customer_phone) = match body.customer {
        Some(c) => (
            c.name,
            c.phone
                .as_deref()
                .map(Msisdn::parse)
                .transpose()
                .map_err(|e| invalid(ErrorCode::PhoneInvalid, "customer.phone", e.to_string()))?,
        ),
        None => (None, None),
    };
    Ok(CreateCheckoutSession {
        amount,
        currency,
        items: body
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|i| LineItem {
                name: i.name,
                quantity: i.quantity,
                unit_amount: i.unit_amount,
                description: i.description,
                product_id: i.product_id,
            })
            .collect(),
        operators: operators(body.operators.unwrap_or_default())?,
        return_url: body.return_url,
        cancel_url: body.cancel_url,
        expires_in_minutes: body.expires_in_minutes,
        locale,
        customer_name,
        customer_phone,
        customer_id: body.customer_id,
        description: body.description,
        metadata: body.metadata.unwrap_or_default(),
    })
}

/// Create a checkout session: a payment page to send your customer to.
#[utoipa::path(post, path = "/v1/checkout/sessions", tag = "checkout",
    request_body = CreateSessionBody,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retry returns the same session")),
    responses((status = 200, body = CheckoutSessionView), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_session(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, body): Command<CreateSessionBody>,
) -> Result<Response, NativeError> {
    let cmd = to_command(body)?;
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .create_checkout_session(&auth, cmd, idem.as_ref(), |s| {
            record(200, &CheckoutSessionView::of(s, &base))
        })
        .await?;
    Ok(respond(outcome))
}

/// Retrieve a checkout session.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}", tag = "checkout",
    params(("id" = String, Path, description = "cs_…")),
    responses((status = 200, body = CheckoutSessionView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_session(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<CheckoutSessionView>, NativeError> {
    let s = state.engine.checkout_session(&auth, &id).await?;
    Ok(Json(CheckoutSessionView::of(&s, &state.public_url)))
}

/// List checkout sessions, newest first.
#[utoipa::path(get, path = "/v1/checkout/sessions", tag = "checkout",
    params(("status" = Option<crate::openapi::vocab::CheckoutStatus>, Query, description = "Only this status"),
           ("limit" = Option<u32>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
           ("starting_after" = Option<String>, Query, description = "the last id of the previous page", min_length = 1)),
    responses((status = 200, body = CheckoutSessionList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<CheckoutSessionList>, NativeError> {
    let mut paging = Paging::default();
    let mut status = None;
    for (k, v) in query_pairs(query.as_deref())? {
        if k == "status" {
            status = Some(CheckoutStatus::parse(&v).ok_or_else(|| {
                invalid(
                    ErrorCode::ParameterInvalid,
                    "status",
                    "status must be open, completed, expired or cancelled",
                )
            })?);
        } else if !paging.take(&k, &v)? {
            return Err(invalid(
                ErrorCode::ParameterUnknown,
                &k,
                format!("`{k}` is not a known parameter"),
            ));
        }
    }
    let (sessions, has_more) = state
        .engine
        .list_checkout_sessions(
            &auth,
            status.as_slice(),
            paging.starting_after.as_deref(),
            paging.limit,
        )
        .await?;
    Ok(Json(CheckoutSessionList {
        object: "list",
        data: sessions
            .iter()
            .map(|s| CheckoutSessionView::of(s, &state.public_url))
            .collect(),
        has_more,
    }))
}

/// Expire an open session now (a payment still waiting for its payer is cancelled).
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/expire", tag = "checkout",
    params(("id" = String, Path, description = "cs_…"),
           ("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "Makes retries safe")),
    responses((status = 200, body = CheckoutSessionView), (status = 404, body = ErrorEnvelope),
              (status = 409, description = "Completed or cancelled", body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn expire_session(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, _): Command<NoParams>,
) -> Result<Response, NativeError> {
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .expire_checkout_session(&auth, &id, idem.as_ref(), |s| {
            record(200, &CheckoutSessionView::of(s, &base))
        })
        .await?;
    Ok(respond(outcome))
}

/// Which operators serve a phone number (by country code and prefix). No key needed.
#[utoipa::path(get, path = "/v1/operators/predict", tag = "operators",
    params(("phone" = crate::openapi::vocab::ServedPhone, Query, description = "The payer's number")),
    responses((status = 200, body = PredictionView), (status = 400, body = ErrorEnvelope)))]
pub async fn predict_operators(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<PredictionView>, NativeError> {
    let mut phone = None;
    for (k, v) in query_pairs(query.as_deref())? {
        match k.as_str() {
            "phone" => phone = Some(query_phone(&v)?),
            other => {
                return Err(invalid(
                    ErrorCode::ParameterUnknown,
                    other,
                    format!("`{other}` is not a known parameter"),
                ))
            }
        }
    }
    let phone = phone.ok_or_else(|| {
        invalid(
            ErrorCode::ParameterMissing,
            "phone",
            "give the number as ?phone=+2250700000789",
        )
    })?;
    let msisdn = Msisdn::parse(&phone)
        .map_err(|e| invalid(ErrorCode::PhoneInvalid, "phone", e.to_string()))?;
    let (country, ops) = state
        .engine
        .catalogue()
        .predict(&msisdn)
        .map_err(|m| invalid(ErrorCode::PhoneInvalid, "phone", m))?;
    Ok(Json(PredictionView {
        phone: msisdn.to_string(),
        country: country.code(),
        operators: ops.iter().map(|o| o.code()).collect(),
    }))
}
