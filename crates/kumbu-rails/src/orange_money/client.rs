//! The HTTP calls Kumbu makes to Orange Money's Web Payment API: an OAuth token per merchant
//! (cached, refreshed early, cleared and retried once on a 401), `webpayment` (a payment page)
//! and `transactionstatus`. Each call's result is classified once, here: done, refused (with
//! Orange's code) or unknown.

use super::wire::{
    ErrorBody, StatusAnswer, StatusRequest, TokenResponse, WebPaymentCreated, WebPaymentRequest,
};
use crate::connector::{CallError, TokenCache};
use kumbu_core::Timestamp;
use reqwest::{RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// A merchant's Web Payment credentials, as the client uses them.
#[derive(Debug, Clone)]
pub struct WebPay {
    /// What their token is cached under (changes when they change).
    pub key: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: SecretString,
    /// The merchant key `webpayment` carries.
    pub merchant_key: SecretString,
    /// The path's country segment: `dev` in Orange's sandbox, else `ci`, `cm`, …
    pub country: String,
}

/// A web payment's state, as `transactionstatus` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebStatus {
    /// Made; the payer has not opened the page.
    Initiated,
    /// The payer is on it.
    Pending,
    /// Paid, with Orange's transaction id.
    Success(Option<String>),
    /// Refused.
    Failed(Option<String>),
    /// Nobody paid in time.
    Expired,
    /// A status Orange never documented: not final.
    Other(String),
}

impl WebStatus {
    fn of(a: StatusAnswer) -> Self {
        match a.status.as_str() {
            "INITIATED" => WebStatus::Initiated,
            "PENDING" => WebStatus::Pending,
            "SUCCESS" => WebStatus::Success(a.txnid),
            "FAILED" => WebStatus::Failed(a.txnid),
            "EXPIRED" => WebStatus::Expired,
            _ => WebStatus::Other(a.status),
        }
    }
}

/// A payment page to ask for.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    /// `XOF`, `XAF`, or `OUV` in Orange's sandbox.
    pub currency: &'a str,
    /// Ours, at most 30 characters, never reused.
    pub order_id: &'a str,
    /// Whole francs.
    pub amount: i64,
    /// Where the payer comes back to.
    pub return_url: &'a str,
    /// Where a payer who gives up goes.
    pub cancel_url: &'a str,
    /// Where Orange posts the notification.
    pub notif_url: &'a str,
    /// `fr` or `en`.
    pub lang: &'a str,
    /// Shown to the payer.
    pub reference: &'a str,
}

/// Orange's API at one base URL, with the tokens of every merchant using it.
#[derive(Debug)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    tokens: TokenCache<String>,
}

async fn error_of(resp: Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
    let code = match body.code {
        Some(serde_json::Value::String(s)) => s,
        Some(v) => v.to_string(),
        None => String::new(),
    };
    let message = [body.message, body.description]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
    let message = if message.is_empty() {
        text.chars().take(200).collect()
    } else {
        message
    };
    (status, code, message)
}

/// Classifies a non-success answer: credentials, a refusal (4xx: nothing was made), or an
/// unknown outcome (5xx, a timeout or throttling: the page may have been made, or the status is
/// not known yet). A refusal of `transactionstatus` says nothing of the payment itself: the
/// connector asks again, it never fails a payment on it.
async fn classify(resp: Response) -> CallError {
    let (status, code, message) = error_of(resp).await;
    match status {
        401 | 403 => CallError::Unauthorized(format!("HTTP {status} {code} {message}")),
        408 | 425 | 429 | 500..=599 => {
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
    /// A client for the API at `base` (`https://api.orange.com`), with `timeout` per call.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: crate::connector::http_client(timeout),
            tokens: TokenCache::default(),
        }
    }

    /// Forgets the tokens of credentials `key` (they were replaced).
    pub fn forget(&self, key: &str) {
        // Cached under `<key>#<hash of the keys>` (see `Settings::web_pay`).
        self.tokens.forget(|k| {
            k.strip_prefix(key)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'))
        });
    }

    async fn fetch_token(&self, creds: &WebPay) -> Result<(SecretString, Duration), CallError> {
        let resp = self
            .http
            .post(format!("{}/oauth/v3/token", self.base))
            .basic_auth(&creds.client_id, Some(creds.client_secret.expose_secret()))
            .header("Accept", "application/json")
            .form(&[("grant_type", "client_credentials")])
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

    /// A token for `creds`, from the cache or fetched.
    pub async fn token(&self, creds: &WebPay, now: Timestamp) -> Result<SecretString, CallError> {
        self.tokens
            .get(&creds.key, now, || self.fetch_token(creds))
            .await
    }

    /// Sends a call built by `build` with a token; on a 401 the token is dropped and the call
    /// is made once more with a fresh one.
    async fn send(
        &self,
        creds: &WebPay,
        now: Timestamp,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, CallError> {
        let mut retried = false;
        loop {
            let token = self.token(creds, now).await?;
            let resp = build(&self.http)
                .bearer_auth(token.expose_secret())
                .header("Accept", "application/json")
                .send()
                .await
                .map_err(|e| CallError::transport(&e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && !retried {
                tracing::info!(
                    "Orange refused a cached token; fetching a fresh one and retrying once"
                );
                self.tokens.invalidate(&creds.key, &token).await;
                retried = true;
                continue;
            }
            return Ok(resp);
        }
    }

    fn url(&self, creds: &WebPay, op: &str) -> String {
        format!(
            "{}/orange-money-webpay/{}/v1/{op}",
            self.base, creds.country
        )
    }

    /// Asks for a payment page. A timeout or a 5xx leaves it unknown whether one was made; as
    /// no payer has its URL, a retry under a new order id is safe (an unseen page expires).
    pub async fn webpayment(
        &self,
        creds: &WebPay,
        now: Timestamp,
        page: &PageRequest<'_>,
    ) -> Result<WebPaymentCreated, CallError> {
        let url = self.url(creds, "webpayment");
        let body = WebPaymentRequest {
            merchant_key: creds.merchant_key.expose_secret(),
            currency: page.currency,
            order_id: page.order_id,
            amount: page.amount,
            return_url: page.return_url,
            cancel_url: page.cancel_url,
            notif_url: page.notif_url,
            lang: page.lang,
            reference: page.reference,
        };
        let resp = self
            .send(creds, now, |http| http.post(&url).json(&body))
            .await?;
        if !resp.status().is_success() {
            return Err(classify(resp).await);
        }
        resp.json()
            .await
            .map_err(|e| CallError::Unknown(format!("unreadable webpayment answer: {e}")))
    }

    /// Asks a payment page's status.
    pub async fn status(
        &self,
        creds: &WebPay,
        now: Timestamp,
        order_id: &str,
        amount: i64,
        pay_token: &str,
    ) -> Result<WebStatus, CallError> {
        let url = self.url(creds, "transactionstatus");
        let body = StatusRequest {
            order_id,
            amount,
            pay_token,
        };
        let resp = self
            .send(creds, now, |http| http.post(&url).json(&body))
            .await?;
        if !resp.status().is_success() {
            return Err(classify(resp).await);
        }
        let answer: StatusAnswer = resp
            .json()
            .await
            .map_err(|e| CallError::Unknown(format!("unreadable transactionstatus answer: {e}")))?;
        Ok(WebStatus::of(answer))
    }
}

#[cfg(test)]
mod tests;
