//! The Adullam face at `/compat/adullam/v1/…` (Côte d'Ivoire, XOF): access tokens for issued
//! credentials, payments with a required UUID Idempotency-Key, lists and search, refunds,
//! webhooks, and the documented rate limits. See `docs/compat/adullam.md`. Translation only.

mod error;
mod views;

pub use views::webhook_body;

use crate::compat::common::{kumbu_id, metadata, paging, Paging};
use crate::extract::Command;
use crate::native::payments::{query_pairs, respond};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use error::{AdError, OauthError};
use kumbu_core::{Currency, ErrorCode, Msisdn, Timestamp};
use kumbu_engine::{
    AuthContext, CreateEndpoint, CreatePayment, CreateRefund, CustomerInput, IdempotencyRequest,
    PaymentFilter, Recorded, WebhookFormat,
};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use views::{AdPayment, AdRefund, AdWebhook};

/// The face's routes, relative to `/compat/adullam`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/token", post(password_token))
        .route("/v1/oauth/token", post(oauth_token))
        .route("/v1/payments", post(create_payment).get(list_payments))
        .route("/v1/payments/search", get(search_payments))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/refund", post(refund_payment))
        .route("/v1/webhooks", post(create_webhook).get(list_webhooks))
        .fallback(|| async { AdError::new(ErrorCode::RouteNotFound, "Not found", None) })
        .method_not_allowed_fallback(|| async {
            AdError::new(ErrorCode::MethodNotAllowed, "Method not allowed", None)
        })
}

/// A caller with a live access token, within the rate limits.
struct Caller(AuthContext);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AdError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AdError> {
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
        state
            .adullam_limit
            .check(&partner, std::time::Instant::now())
            .map_err(AdError::too_many)?;
        Ok(Caller(auth))
    }
}

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
    let bytes = axum::body::to_bytes(req.into_body(), 16 * 1024)
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

/// `POST /v1/auth/token {phone, password}`.
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
    Ok(no_store(json!({
        "access_token": secrecy::ExposeSecret::expose_secret(&t.token),
        "token_type": "Bearer",
        "expires_in": t.expires_in,
        "partner_id": t.merchant_id,
    })))
}

/// `POST /v1/oauth/token {grant_type: client_credentials, client_id, client_secret}`; the client
/// may instead authenticate with HTTP Basic (`client_secret_basic`, RFC 6749 §2.3.1).
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
    throttle(&state, &id)?;
    let t = state
        .engine
        .issue_access_token(&id, &SecretString::from(secret))
        .await?;
    Ok(no_store(json!({
        "access_token": secrecy::ExposeSecret::expose_secret(&t.token),
        "token_type": "Bearer",
        "expires_in": t.expires_in,
        "scope": "payments refunds webhooks",
    })))
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
fn no_store(body: Value) -> Response {
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
    crate::native::payments::record(status, v)
}

#[derive(Debug, Deserialize)]
struct CreatePaymentBody {
    amount: i64,
    currency: String,
    customer_phone: String,
    channel: String,
    description: Option<String>,
    metadata: Option<Value>,
}

async fn create_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Keyed(idem, body): Keyed<CreatePaymentBody>,
) -> Result<Response, AdError> {
    if body.amount < 100 {
        return Err(AdError::new(
            ErrorCode::AmountOutOfRange,
            "amount must be an integer number of XOF, at least 100",
            Some("amount"),
        ));
    }
    if body.currency != "XOF" {
        return Err(AdError::new(
            ErrorCode::CurrencyNotSupported,
            "currency must be XOF",
            Some("currency"),
        ));
    }
    let operator = views::parse_channel(&body.channel).ok_or_else(|| {
        AdError::new(
            ErrorCode::OperatorUnknown,
            "channel must be orangeCI, mtnCI, moovCI or waveCI",
            Some("channel"),
        )
    })?;
    if body
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 200)
    {
        return Err(AdError::invalid(
            "description",
            "description must be at most 200 characters",
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

async fn get_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(id): Path<String>,
) -> Result<Json<AdPayment>, AdError> {
    let p = state.engine.payment(&auth, &id).await?;
    Ok(Json(AdPayment::of(&p, state.engine.account_holder(&p))))
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
    crate::native::payments::normalize_query_phone(v).map_err(|e| {
        AdError::new(
            ErrorCode::PhoneInvalid,
            e.to_string(),
            Some("customer_phone"),
        )
    })
}

/// `GET /v1/payments`: filters, `limit` 1–100 (default 50), `cursor` → `{data, has_more,
/// next_cursor}`.
async fn list_payments(
    State(state): State<AppState>,
    Caller(auth): Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AdError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = paging(cursor_pairs(query.as_deref())?, 50, 100)
        .map_err(|(f, m)| AdError::invalid(&f, m))?;
    // Adullam lists its own channels' payments, not those of other faces.
    let mut filter = PaymentFilter {
        operators: views::OPERATORS.to_vec(),
        ..PaymentFilter::default()
    };
    for (k, v) in rest {
        match k.as_str() {
            "status" => {
                filter.statuses = views::statuses_for(&v).ok_or_else(|| {
                    AdError::invalid("status", "status must be created, pending, processing, completed, failed, expired or cancelled")
                })?;
                if filter.statuses.is_empty() {
                    return Ok(Json(
                        json!({"data": [], "has_more": false, "next_cursor": null}),
                    ));
                }
            }
            "customer_phone" => filter.phone = Some(phone(&v)?),
            "channel" => {
                filter.operator = Some(views::parse_channel(&v).ok_or_else(|| {
                    AdError::invalid(
                        "channel",
                        "channel must be orangeCI, mtnCI, moovCI or waveCI",
                    )
                })?)
            }
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
        .await?;
    let next = next_cursor(&page);
    let data: Vec<AdPayment> = page
        .data
        .iter()
        .map(|p| AdPayment::of(p, state.engine.account_holder(p)))
        .collect();
    Ok(Json(
        json!({"data": data, "has_more": page.has_more, "next_cursor": next}),
    ))
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

/// `GET /v1/payments/search?customer_phone&amount_min&amount_max&reference` →
/// `{data, total_count, has_more}`.
async fn search_payments(
    State(state): State<AppState>,
    Caller(auth): Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, AdError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = paging(cursor_pairs(query.as_deref())?, 50, 100)
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
        let n = data.len();
        return Ok(Json(
            json!({"data": data, "total_count": n, "has_more": false}),
        ));
    }
    let total = state.engine.count_payments(&auth, &filter).await?;
    let page = state
        .engine
        .list_payments(&auth, &filter, starting_after.as_deref(), limit)
        .await?;
    let data: Vec<AdPayment> = page
        .data
        .iter()
        .map(|p| AdPayment::of(p, state.engine.account_holder(p)))
        .collect();
    Ok(Json(json!({
        "data": data,
        "total_count": total,
        "has_more": page.has_more,
        "next_cursor": next_cursor(&page),
    })))
}

#[derive(Debug, Deserialize)]
struct RefundBody {
    amount: Option<i64>,
    reason: Option<String>,
    description: Option<String>,
}

const REASONS: [&str; 5] = ["customer_request", "fraud", "duplicate", "error", "other"];

/// `POST /v1/payments/{id}/refund`.
async fn refund_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
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
        if d.chars().count() > 200 {
            return Err(AdError::invalid(
                "description",
                "description must be at most 200 characters",
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

#[derive(Debug, Deserialize)]
struct WebhookBody {
    url: String,
    events: Vec<String>,
    description: Option<String>,
}

/// `POST /v1/webhooks` → the endpoint with its `whsec_` secret (shown once).
async fn create_webhook(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Command(idem, body): Command<WebhookBody>,
) -> Result<Response, AdError> {
    let mut kumbu_events = Vec::new();
    for e in &body.events {
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

async fn list_webhooks(
    State(state): State<AppState>,
    Caller(auth): Caller,
) -> Result<Json<Value>, AdError> {
    let list: Vec<AdWebhook> = state
        .engine
        .endpoints_of(&auth, WebhookFormat::Adullam)
        .await?
        .iter()
        .map(AdWebhook::from)
        .collect();
    Ok(Json(json!({"data": list})))
}
