//! Adullam's access tokens: `/v1/auth/token` (a phone and the client secret) and
//! `/v1/oauth/token` (OAuth 2.0 client credentials, in the body or as HTTP Basic).

use super::error::{OauthError, OauthErrorBody};
use super::views::{ClientToken, PasswordToken};
use super::{openapi, views};
use crate::client_ip::ClientIp;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::response::Response;
use axum::Json;
use kumbu_core::{ErrorCode, Msisdn};
use kumbu_engine::{EngineError, IssuedToken};
use secrecy::SecretString;
use serde_json::Value;
use std::time::Instant;

/// The largest token request body read.
pub(super) const MAX_TOKEN_BODY: usize = 16 * 1024;

/// Reads a token request: JSON, or a form as OAuth clients send.
pub(super) async fn token_fields(
    req: Request,
) -> Result<serde_json::Map<String, Value>, OauthError> {
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

pub(super) fn field(m: &serde_json::Map<String, Value>, name: &str) -> Result<String, OauthError> {
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
        (status = 429, description = "`slow_down`: too many failed token requests for this phone from this address (`Retry-After`)", body = OauthErrorBody),
    ))]
pub(super) async fn password_token(
    State(state): State<AppState>,
    ClientIp(source): ClientIp,
    req: Request,
) -> Result<Response, OauthError> {
    let m = token_fields(req).await?;
    let (phone, password) = (field(&m, "phone")?, field(&m, "password")?);
    let phone = Msisdn::parse(&phone)
        .map(|p| p.to_string())
        .map_err(|_| OauthError::invalid_client())?;
    let t = sign_in(&state, &phone, password, source.as_deref()).await?;
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
        (status = 429, description = "`slow_down`: too many failed token requests for this client from this address (`Retry-After`)", body = OauthErrorBody),
    ))]
pub(super) async fn oauth_token(
    State(state): State<AppState>,
    ClientIp(source): ClientIp,
    req: Request,
) -> Result<Response, OauthError> {
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
    let t = sign_in(&state, &id, secret, source.as_deref()).await?;
    Ok(no_store(ClientToken {
        access_token: secrecy::ExposeSecret::expose_secret(&t.token).to_owned(),
        token_type: views::TOKEN_TYPE,
        expires_in: t.expires_in,
        scope: views::SCOPE,
    }))
}

/// `Basic base64(client_id:client_secret)`.
pub(super) fn basic_credentials(header: &str) -> Option<(String, String)> {
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
pub(super) fn no_store(body: impl serde::Serialize) -> Response {
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

/// A token for `account` and its `secret`, unless `source` has failed too often on it, or the
/// account has taken too many tokens (429 `slow_down`, before the secret is looked up). Only a
/// refused secret counts against the source: the owner signing in from elsewhere while a
/// stranger guesses is never throttled.
async fn sign_in(
    state: &AppState,
    account: &str,
    secret: String,
    source: Option<&str>,
) -> Result<IssuedToken, OauthError> {
    let attempt = state
        .adullam_sign_ins
        .admit(account, source, Instant::now())
        .map_err(OauthError::slow_down)?;
    let issued = state
        .engine
        .issue_access_token(account, &SecretString::from(secret))
        .await;
    match &issued {
        Ok(_) => attempt.succeeded(Instant::now()),
        Err(EngineError::Rejected(r)) if r.code == ErrorCode::ApiKeyInvalid => attempt.failed(),
        // Not an answer on the secret (the database, say): forgiven.
        Err(_) => drop(attempt),
    }
    Ok(issued?)
}
