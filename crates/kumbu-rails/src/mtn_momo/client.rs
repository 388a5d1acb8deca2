//! The HTTP calls Kumbu makes to MTN's Open API: a token per product (cached, refreshed early,
//! cleared and retried once on a 401), request to pay, transfer, their statuses, and the
//! account-holder check. Each call's result is classified once, here: done, refused (with MTN's
//! code) or unknown.

use super::reasons::Reason;
use super::wire::{
    ErrorBody, TokenResponse, TransactionRequest, TransactionStatus, CALLBACK_URL, REFERENCE_ID,
    SUBSCRIPTION_KEY, TARGET_ENVIRONMENT,
};
use super::{Credentials, Product, ProductKeys};
use crate::connector::{CallError, TokenCache};
use kumbu_core::Timestamp;
use reqwest::{RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// What MTN said to a POST that creates a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// 202: registered now.
    Accepted,
    /// 409 `RESOURCE_ALREADY_EXIST`: registered before under this reference (our earlier try).
    AlreadyExists,
}

/// The transaction kinds that have a status resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `collection/v1_0/requesttopay`.
    RequestToPay,
    /// `disbursement/v1_0/transfer`.
    Transfer,
    /// `disbursement/v1_0/refund`.
    Refund,
}

impl Kind {
    fn product(self) -> Product {
        match self {
            Kind::RequestToPay => Product::Collection,
            Kind::Transfer | Kind::Refund => Product::Disbursement,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::RequestToPay => "collection/v1_0/requesttopay",
            Kind::Transfer => "disbursement/v1_0/transfer",
            Kind::Refund => "disbursement/v1_0/refund",
        }
    }
}

/// MTN's API at one base URL, with the tokens of every merchant using it.
#[derive(Debug)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    tokens: TokenCache<(String, Product)>,
}

/// Reads MTN's error body, whatever it holds.
async fn error_of(resp: Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(ErrorBody { code, message }) => (
            status,
            code.unwrap_or_default(),
            message.unwrap_or_default(),
        ),
        Err(_) => (status, String::new(), text.chars().take(200).collect()),
    }
}

/// Classifies a non-success answer. A 5xx is a refusal only when its code says the request was
/// certainly not carried out; otherwise the outcome is unknown.
async fn classify(resp: Response) -> CallError {
    let (status, code, message) = error_of(resp).await;
    match status {
        401 | 403 => CallError::Unauthorized(format!("HTTP {status} {code} {message}")),
        500..=599 if !Reason::parse(&code).refuses_at_initiation() => {
            CallError::Unknown(format!("HTTP {status} {code} {message}"))
        }
        _ => CallError::Refused {
            status,
            code,
            message,
        },
    }
}

impl Client {
    /// A client for the API at `base` (e.g. `https://proxy.momoapi.mtn.com`), with `timeout`
    /// per call.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: crate::connector::http_client(timeout),
            tokens: TokenCache::default(),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Forgets the tokens of credentials `key` (they were replaced).
    pub fn forget(&self, key: &str) {
        // Cached under `<key>#<hash of the keys>` (see `Settings::into_credentials`).
        self.tokens.forget(|(k, _)| {
            k.strip_prefix(key)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'))
        });
    }

    fn keys(creds: &Credentials, product: Product) -> Result<&ProductKeys, CallError> {
        creds.product(product).ok_or_else(|| {
            CallError::Unauthorized(format!(
                "no {} credentials are configured",
                product.as_str()
            ))
        })
    }

    /// Fetches a new token (`POST /{product}/token/`, Basic auth).
    async fn fetch_token(
        &self,
        creds: &Credentials,
        product: Product,
    ) -> Result<(SecretString, Duration), CallError> {
        let keys = Self::keys(creds, product)?;
        let resp = self
            .http
            .post(format!("{}/{}/token/", self.base, product.as_str()))
            .basic_auth(&keys.api_user, Some(keys.api_key.expose_secret()))
            .header(SUBSCRIPTION_KEY, keys.subscription_key.expose_secret())
            .header(TARGET_ENVIRONMENT, &creds.target_environment)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await
            .map_err(|e| CallError::transport(&e))?;
        if !resp.status().is_success() {
            return Err(classify(resp).await.of_token_call());
        }
        let token: TokenResponse = resp
            .json()
            .await
            .map_err(|e| CallError::Unknown(format!("unreadable token response: {e}")))?;
        Ok((
            SecretString::from(token.access_token),
            Duration::from_secs(token.expires_in),
        ))
    }

    /// A token for `product`, from the cache or fetched.
    pub async fn token(
        &self,
        creds: &Credentials,
        product: Product,
        now: Timestamp,
    ) -> Result<SecretString, CallError> {
        let key = (creds.key.clone(), product);
        self.tokens
            .get(&key, now, || self.fetch_token(creds, product))
            .await
    }

    /// Sends a product call built by `build` with a token; on a 401 the token is dropped and
    /// the call is made once more with a fresh one.
    async fn send(
        &self,
        creds: &Credentials,
        product: Product,
        now: Timestamp,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, CallError> {
        let keys = Self::keys(creds, product)?;
        let mut retried = false;
        loop {
            let token = self.token(creds, product, now).await?;
            let resp = build(&self.http)
                .bearer_auth(token.expose_secret())
                .header(SUBSCRIPTION_KEY, keys.subscription_key.expose_secret())
                .header(TARGET_ENVIRONMENT, &creds.target_environment)
                .send()
                .await
                .map_err(|e| CallError::transport(&e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && !retried {
                tracing::info!(
                    product = product.as_str(),
                    "MTN refused a cached token; fetching a fresh one and retrying once"
                );
                self.tokens
                    .invalidate(&(creds.key.clone(), product), &token)
                    .await;
                retried = true;
                continue;
            }
            return Ok(resp);
        }
    }

    /// Creates a request to pay or a transfer under `reference` (our UUID v4, committed before
    /// the call, so that a retry names the same transaction).
    pub async fn create(
        &self,
        creds: &Credentials,
        kind: Kind,
        now: Timestamp,
        reference: &str,
        body: &TransactionRequest,
        callback_url: Option<&str>,
    ) -> Result<Posted, CallError> {
        let url = format!("{}/{}", self.base, kind.path());
        let resp = self
            .send(creds, kind.product(), now, |http| {
                let b = http.post(&url).header(REFERENCE_ID, reference).json(body);
                match callback_url {
                    Some(cb) => b.header(CALLBACK_URL, cb),
                    None => b,
                }
            })
            .await?;
        match resp.status().as_u16() {
            200..=299 => Ok(Posted::Accepted),
            // A conflict on our own X-Reference-Id proves MTN has it, whatever the body says
            // (a gateway may rewrite it): its status is asked next.
            409 => Ok(Posted::AlreadyExists),
            _ => Err(classify(resp).await),
        }
    }

    /// The status of a transaction; `None` when MTN does not know the reference (404: it was
    /// never registered).
    pub async fn status(
        &self,
        creds: &Credentials,
        kind: Kind,
        now: Timestamp,
        reference: &str,
    ) -> Result<Option<TransactionStatus>, CallError> {
        let url = format!("{}/{}/{}", self.base, kind.path(), reference);
        let resp = self
            .send(creds, kind.product(), now, |http| http.get(&url))
            .await?;
        match resp.status().as_u16() {
            200 => resp
                .json()
                .await
                .map(Some)
                .map_err(|e| CallError::Unknown(format!("unreadable status: {e}"))),
            404 => Ok(None),
            _ => Err(classify(resp).await),
        }
    }

    /// Whether the number has an active MTN wallet
    /// (`GET /collection/v1_0/accountholder/msisdn/{number}/active`).
    pub async fn account_active(
        &self,
        creds: &Credentials,
        now: Timestamp,
        msisdn: &str,
    ) -> Result<bool, CallError> {
        let url = format!(
            "{}/collection/v1_0/accountholder/msisdn/{msisdn}/active",
            self.base
        );
        let resp = self
            .send(creds, Product::Collection, now, |http| http.get(&url))
            .await?;
        if !resp.status().is_success() {
            return Err(classify(resp).await);
        }
        let body: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| CallError::Unknown(format!("unreadable answer: {e}")))?;
        // MTN's schema answers `{"result": true}`; a bare boolean is accepted too. Anything else
        // proves nothing about the wallet.
        body.as_bool()
            .or_else(|| body.get("result").and_then(serde_json::Value::as_bool))
            .ok_or_else(|| CallError::Unknown(format!("unexpected account-holder answer: {body}")))
    }
}
