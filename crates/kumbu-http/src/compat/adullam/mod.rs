//! The Adullam face at `/compat/adullam/v1/…` (Côte d'Ivoire, XOF): access tokens for issued
//! credentials, payments with a required UUID Idempotency-Key, lists and search, refunds,
//! webhooks, and the documented rate limits. See `docs/compat/adullam.md`. Translation only.

mod error;
mod openapi;
mod views;
mod webhook;

pub use webhook::Webhook;

use crate::compat::common::{kumbu_id, metadata, paging, Paging};
use crate::compat::kit::{self, Face};
use crate::extract::Command;
use crate::query::query_pairs;
use crate::reply::respond;
use crate::AppState;
use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::Response;
use axum::{Json, Router};
use error::{AdError, AdErrorEnvelope, OauthError, OauthErrorBody};
use kumbu_core::{Currency, ErrorCode, Msisdn, Timestamp};
use kumbu_engine::{
    AuthContext, CreateEndpoint, CreatePayment, CreateRefund, CustomerInput, EngineError,
    IdempotencyRequest, PaymentFilter, Recorded, WebhookFormat,
};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use views::{
    AdPayment, AdPaymentList, AdPaymentSearch, AdRefund, AdWebhook, AdWebhookList, ClientToken,
    PasswordToken,
};

/// The smallest payment, in XOF.
const MIN_AMOUNT: i64 = 100;
/// The longest description of a payment or refund, in characters.
const MAX_DESCRIPTION: usize = 200;
/// Lists' page size: (default, largest).
const LIMITS: (u32, u32) = (50, 100);
/// The largest token request body read.
const MAX_TOKEN_BODY: usize = 16 * 1024;

/// The face's operations, each with its documentation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(password_token))
        .routes(routes!(oauth_token))
        .routes(routes!(create_payment, list_payments))
        .routes(routes!(search_payments))
        .routes(routes!(get_payment))
        .routes(routes!(refund_payment))
        .routes(routes!(create_webhook, list_webhooks))
}

/// The face's routes, relative to `/compat/adullam`, with its document at `/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    crate::openapi::served(router, &openapi::finished(doc))
        .fallback(|| async { AdError::new(ErrorCode::RouteNotFound, "Not found", None) })
        .method_not_allowed_fallback(|| async {
            AdError::new(ErrorCode::MethodNotAllowed, "Method not allowed", None)
        })
}

/// The Adullam face: its envelope, and its callers: an access token (from `/v1/auth/token`),
/// within the rate limits.
pub struct Adullam;

impl Face for Adullam {
    type Error = AdError;

    async fn caller(parts: &mut Parts, state: &AppState) -> Result<AuthContext, AdError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_owned())
            .ok_or_else(|| {
                AdError::new(
                    ErrorCode::ApiKeyMissing,
                    "Send `Authorization: Bearer <access_token>` (get one from /v1/auth/token).",
                    None,
                )
            })?;
        let auth = state.engine.authenticate_token(&token).await?;
        let partner = format!("{}:{}", auth.merchant_id, auth.mode.as_str());
        let config = state.engine.config();
        state
            .adullam_limit
            .check(&partner, std::time::Instant::now())
            .map_err(|wait| {
                AdError::too_many(
                    wait,
                    (
                        config.adullam_requests_per_minute,
                        config.adullam_requests_per_hour,
                    ),
                )
            })?;
        Ok(auth)
    }
}

type Caller = kit::Caller<Adullam>;
type Body<T> = kit::Body<T, Adullam>;

/// A JSON body whose request must carry an `Idempotency-Key` that is a UUID.
struct Keyed<T>(IdempotencyRequest, T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Keyed<T> {
    type Rejection = AdError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AdError> {
        let key = req
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .map(str::to_owned);
        match key.as_deref() {
            None | Some("") => {
                return Err(AdError::new(
                    ErrorCode::IdempotencyKeyInvalid,
                    "The Idempotency-Key header is required (a UUID).",
                    Some("Idempotency-Key"),
                ))
            }
            Some(k) if uuid::Uuid::parse_str(k).is_err() => {
                return Err(AdError::new(
                    ErrorCode::IdempotencyKeyInvalid,
                    format!("Idempotency-Key must be a UUID, not {k:?}."),
                    Some("Idempotency-Key"),
                ))
            }
            Some(_) => {}
        }
        let Command(idem, body) = Command::<T>::from_request(req, state).await?;
        let idem = idem.ok_or_else(|| {
            AdError::new(
                ErrorCode::IdempotencyKeyInvalid,
                "The Idempotency-Key header is required (a UUID).",
                Some("Idempotency-Key"),
            )
        })?;
        Ok(Keyed(idem, body))
    }
}

/// Reads a token request: JSON, or a form as OAuth clients send.
async fn token_fields(req: Request) -> Result<serde_json::Map<String, Value>, OauthError> {
    let form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let bytes = axum::body::to_bytes(req.into_body(), MAX_TOKEN_BODY)
        .await
        .map_err(|_| OauthError::invalid_request("the body must be at most 16 KiB"))?;
    if form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| OauthError::invalid_request("malformed form body"))?;
        return Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) | Err(_) => Err(OauthError::invalid_request(
            "the body must be a JSON object",
        )),
    }
}

fn field(m: &serde_json::Map<String, Value>, name: &str) -> Result<String, OauthError> {
    m.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| OauthError::invalid_request(format!("{name} is required")))
}

/// An access token for a credential issued with a phone (`kumbu credentials create --phone`):
/// the phone and the client secret as the password.
#[utoipa::path(post, path = "/v1/auth/token", tag = "auth",
    request_body(content(
        (openapi::PasswordTokenBody = "application/json"),
        (openapi::PasswordTokenBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The token (`Cache-Control: no-store`)", body = PasswordToken),
        (status = 400, description = "`invalid_request`: the body is not a JSON object or form, or lacks `phone` or `password`", body = OauthErrorBody),
        (status = 401, description = "`invalid_client`: no such phone, a wrong password, or a revoked credential", body = OauthErrorBody),
        (status = 503, description = "`server_error`: the database is unreachable for now; retry later", body = OauthErrorBody),
        (status = 429, description = "`slow_down`: too many token requests for this phone", body = OauthErrorBody),
    ))]
async fn password_token(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, OauthError> {
    let m = token_fields(req).await?;
    let (phone, password) = (field(&m, "phone")?, field(&m, "password")?);
    let phone = Msisdn::parse(&phone)
        .map(|p| p.to_string())
        .map_err(|_| OauthError::invalid_client())?;
    throttle(&state, &phone)?;
    let t = state
        .engine
        .issue_access_token(&phone, &SecretString::from(password))
        .await?;
    Ok(no_store(PasswordToken {
        access_token: secrecy::ExposeSecret::expose_secret(&t.token).to_owned(),
        token_type: views::TOKEN_TYPE,
        expires_in: t.expires_in,
        partner_id: t.merchant_id,
    }))
}

/// An access token for a client's credentials (OAuth 2.0 `client_credentials`). The client id
/// and secret may instead come as HTTP Basic credentials (`client_secret_basic`, RFC 6749
/// §2.3.1), which replace those of the body.
#[utoipa::path(post, path = "/v1/oauth/token", tag = "auth",
    request_body(content(
        (openapi::ClientCredentialsBody = "application/json"),
        (openapi::ClientCredentialsBody = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The token (`Cache-Control: no-store`)", body = ClientToken),
        (status = 400, description = "`invalid_request` (the body is not a JSON object or form, or a field is missing) or `unsupported_grant_type`", body = OauthErrorBody),
        (status = 401, description = "`invalid_client`: an unknown client, a wrong secret, or a revoked credential", body = OauthErrorBody),
        (status = 503, description = "`server_error`: the database is unreachable for now; retry later", body = OauthErrorBody),
        (status = 429, description = "`slow_down`: too many token requests for this client", body = OauthErrorBody),
    ))]
async fn oauth_token(State(state): State<AppState>, req: Request) -> Result<Response, OauthError> {
    let basic = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(basic_credentials);
    let mut m = token_fields(req).await?;
    if let Some((id, secret)) = basic {
        m.insert("client_id".to_owned(), Value::String(id));
        m.insert("client_secret".to_owned(), Value::String(secret));
    }
    let grant = field(&m, "grant_type")?;
    if grant != "client_credentials" {
        return Err(OauthError::unsupported_grant(format!(
            "grant_type {grant:?} is not supported; use client_credentials"
        )));
    }
    let (id, secret) = (field(&m, "client_id")?, field(&m, "client_secret")?);
    // No client id has a control character (and PostgreSQL refuses NUL in text).
    if id.chars().any(char::is_control) {
        return Err(OauthError::invalid_client());
    }
    throttle(&state, &id)?;
    let t = state
        .engine
        .issue_access_token(&id, &SecretString::from(secret))
        .await?;
    Ok(no_store(ClientToken {
        access_token: secrecy::ExposeSecret::expose_secret(&t.token).to_owned(),
        token_type: views::TOKEN_TYPE,
        expires_in: t.expires_in,
        scope: views::SCOPE,
    }))
}

/// `Basic base64(client_id:client_secret)`.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Token answers must not be cached (RFC 6749 §5.1).
fn no_store(body: impl serde::Serialize) -> Response {
    use axum::response::IntoResponse;
    (
        [
            (axum::http::header::CACHE_CONTROL, "no-store"),
            (axum::http::header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}

/// Token requests count against the same limits, per client, so guessing costs time.
fn throttle(state: &AppState, client: &str) -> Result<(), OauthError> {
    state
        .adullam_limit
        .check(&format!("token:{client}"), std::time::Instant::now())
        .map_err(|_| OauthError::slow_down())
}

fn record_json<T: serde::Serialize>(status: u16, v: &T) -> Recorded {
    crate::reply::record(status, v)
}

/// `POST /v1/payments`' body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct CreatePaymentBody {
    #[schema(value_type = openapi::AdAmount)]
    amount: i64,
    #[schema(value_type = openapi::AdCurrency)]
    currency: String,
    #[schema(value_type = openapi::CiPhone)]
    customer_phone: String,
    #[schema(value_type = openapi::AdChannel)]
    channel: String,
    #[schema(value_type = Option<openapi::Description>)]
    description: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// A payment: the payer gets a prompt on their phone. The Idempotency-Key is required; the
/// same key replays the first answer for 24 h (with another body: 400).
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    params(("Idempotency-Key" = openapi::UuidKey, Header, description = "A UUID, required: a retry with the same key replays the first answer")),
    request_body = CreatePaymentBody,
    responses((status = 201, description = "The payment, `pending`", body = AdPayment)))]
async fn create_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Keyed(idem, body): Keyed<CreatePaymentBody>,
) -> Result<Response, AdError> {
    if body.amount < MIN_AMOUNT {
        return Err(AdError::new(
            ErrorCode::AmountOutOfRange,
            format!("amount must be an integer number of XOF, at least {MIN_AMOUNT}"),
            Some("amount"),
        ));
    }
    if body.currency != Currency::Xof.code() {
        return Err(AdError::new(
            ErrorCode::CurrencyNotSupported,
            "currency must be XOF",
            Some("currency"),
        ));
    }
    let operator = views::parse_channel(&body.channel).ok_or_else(bad_channel)?;
    if body
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return Err(AdError::invalid(
            "description",
            format!("description must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    let payer_phone = Msisdn::parse(&body.customer_phone).map_err(|e| {
        AdError::new(
            ErrorCode::PhoneInvalid,
            e.to_string(),
            Some("customer_phone"),
        )
    })?;
    let cmd = CreatePayment {
        amount: body.amount,
        currency: Currency::Xof,
        operator,
        payer_phone,
        reference: None,
        description: body.description,
        statement_descriptor: None,
        customer_id: None,
        metadata: metadata(body.metadata.as_ref()).map_err(|m| AdError::invalid("metadata", m))?,
        customer: CustomerInput::default(),
        expires_in: None,
    };
    let engine = state.engine.clone();
    let outcome = state
        .engine
        .create_payment(&auth, cmd, Some(&idem), |p| {
            record_json(201, &AdPayment::of(p, engine.account_holder(p)))
        })
        .await?;
    Ok(respond(outcome))
}

/// One payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = openapi::PaymentId, Path, description = "The payment's id")),
    responses((status = 200, description = "The payment", body = AdPayment)))]
async fn get_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<AdPayment>, AdError> {
    let p = state.engine.payment(&auth, &id).await?;
    Ok(Json(AdPayment::of(&p, state.engine.account_holder(&p))))
}

/// A channel Adullam does not have.
fn bad_channel() -> AdError {
    AdError::new(
        ErrorCode::OperatorUnknown,
        format!(
            "channel must be one of {}",
            views::CHANNELS.map(|(c, _)| c).join(", ")
        ),
        Some("channel"),
    )
}

fn time(field: &str, v: &str) -> Result<Timestamp, AdError> {
    Timestamp::parse_rfc3339(v)
        .ok_or_else(|| AdError::invalid(field, format!("{field} must be an ISO 8601 date-time")))
}

fn amount(field: &str, v: &str) -> Result<i64, AdError> {
    v.trim()
        .parse()
        .map_err(|_| AdError::invalid(field, format!("{field} must be an integer")))
}

fn phone(v: &str) -> Result<String, AdError> {
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
async fn list_payments(
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
fn cursor_error(e: EngineError, cursor: Option<&str>) -> AdError {
    match (e.code(), cursor) {
        (ErrorCode::ResourceMissing, Some(c)) => AdError::new(
            ErrorCode::ResourceMissing,
            format!("cursor `{c}` is not one of your payments"),
            Some("cursor"),
        ),
        (_, Some(_) | None) => e.into(),
    }
}

/// Query pairs with Adullam's `cursor` read as the shared paging's `starting_after`.
fn cursor_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, AdError> {
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
fn next_cursor(page: &kumbu_engine::PaymentPage) -> Option<String> {
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
async fn search_payments(
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

/// `POST /v1/payments/{id}/refund`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct RefundBody {
    /// What is left to refund when absent.
    #[schema(value_type = Option<openapi::RefundAmount>)]
    amount: Option<i64>,
    /// `customer_request` when absent.
    #[schema(value_type = Option<openapi::RefundReason>)]
    reason: Option<String>,
    #[schema(value_type = Option<openapi::Description>)]
    description: Option<String>,
}

/// Why a refund is made.
const REASONS: [&str; 5] = ["customer_request", "fraud", "duplicate", "error", "other"];

/// Refunds (part of) a settled payment, never more than remains, one at a time. The
/// Idempotency-Key is required.
#[utoipa::path(post, path = "/v1/payments/{id}/refund", tag = "refunds",
    params(
        ("id" = openapi::PaymentId, Path, description = "The payment's id"),
        ("Idempotency-Key" = openapi::UuidKey, Header, description = "A UUID, required: a retry with the same key replays the first answer"),
    ),
    request_body = Option<RefundBody>,
    responses(
        (status = 201, description = "The refund, `pending`", body = AdRefund),
        (status = 409, description = "The payment is not settled, or a refund of it is in flight, or it is refunded in full", body = AdErrorEnvelope),
    ))]
async fn refund_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Keyed(idem, body): Keyed<RefundBody>,
) -> Result<Response, AdError> {
    let reason = body.reason.unwrap_or_else(|| "customer_request".to_owned());
    if !REASONS.contains(&reason.as_str()) {
        return Err(AdError::invalid(
            "reason",
            format!("reason must be one of {}", REASONS.join(", ")),
        ));
    }
    let mut meta = std::collections::BTreeMap::new();
    if let Some(d) = body.description {
        if d.chars().count() > MAX_DESCRIPTION {
            return Err(AdError::invalid(
                "description",
                format!("description must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        meta.insert("description".to_owned(), d);
    }
    let cmd = CreateRefund {
        payment_id: id,
        amount: body.amount,
        reason: Some(reason),
        metadata: meta,
    };
    let outcome = state
        .engine
        .create_refund(&auth, cmd, Some(&idem), |r| {
            record_json(201, &AdRefund::from(r))
        })
        .await?;
    Ok(respond(outcome))
}

/// `POST /v1/webhooks`' body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct WebhookBody {
    #[schema(value_type = openapi::WebhookUrl)]
    url: String,
    /// The events to send (a repeated one counts once).
    #[schema(value_type = Vec<openapi::AdEvent>, min_items = 1)]
    events: Vec<String>,
    #[schema(value_type = Option<openapi::WebhookDescription>)]
    description: Option<String>,
}

/// A webhook: the events it names are sent to its URL, signed with its secret (shown once,
/// in this answer).
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks",
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header)),
    request_body = WebhookBody,
    responses((status = 201, description = "The webhook, with its secret", body = AdWebhook)))]
async fn create_webhook(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<WebhookBody>,
) -> Result<Response, AdError> {
    let mut kumbu_events = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for e in &body.events {
        // A repeated event adds nothing (and must not count against the engine's limit).
        if named.contains(&e.as_str()) {
            continue;
        }
        named.push(e);
        let (_, ks) = views::EVENTS.iter().find(|(a, _)| a == e).ok_or_else(|| {
            AdError::invalid(
                "events",
                format!(
                    "unknown or unsupported event `{e}`; one of: {}",
                    views::EVENTS
                        .iter()
                        .map(|(a, _)| *a)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        kumbu_events.extend(ks.iter().map(|k| (*k).to_owned()));
    }
    let cmd = CreateEndpoint {
        url: body.url,
        events: kumbu_events,
        description: body.description,
        format: WebhookFormat::Adullam,
        signing_key: None,
        max_concurrency: None,
    };
    let outcome = state
        .engine
        .create_endpoint(&auth, cmd, idem.as_ref(), |e| {
            record_json(201, &AdWebhook::from(e))
        })
        .await?;
    Ok(respond(outcome))
}

/// The webhooks, oldest first (without their secrets).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The webhooks", body = AdWebhookList)))]
async fn list_webhooks(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
) -> Result<Json<AdWebhookList>, AdError> {
    let data: Vec<AdWebhook> = state
        .engine
        .endpoints_of(&auth, WebhookFormat::Adullam)
        .await?
        .iter()
        .map(AdWebhook::from)
        .collect();
    Ok(Json(AdWebhookList { data }))
}
