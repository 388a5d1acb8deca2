//! The HTTP calls Kumbu makes to Wave's Checkout API: a session made, and read back. Wave's API
//! key is a Bearer token of its own (no token exchange). Each call's result is classified once,
//! here: done, refused (with Wave's code) or unknown.

use super::wire::{ErrorBody, Payout, PayoutRequest, PayoutSearch, Session, SessionRequest};
use crate::connector::CallError;
use reqwest::Response;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// Wave's API at one base URL.
#[derive(Debug)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

async fn classify(resp: Response) -> CallError {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
    let code = body.code.unwrap_or_default();
    let message = body
        .message
        .unwrap_or_else(|| text.chars().take(200).collect());
    CallError::of_answer(status, code, message)
}

impl Client {
    /// A client for the API at `base` (`https://api.wave.com`), with `timeout` per call.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: crate::connector::http_client(timeout),
        }
    }

    async fn read<T: serde::de::DeserializeOwned>(
        resp: Result<Response, reqwest::Error>,
        what: &str,
    ) -> Result<T, CallError> {
        let resp = resp.map_err(|e| CallError::transport(&e))?;
        if !resp.status().is_success() {
            return Err(classify(resp).await);
        }
        resp.json()
            .await
            .map_err(|e| CallError::Unknown(format!("unreadable {what} answer: {e}")))
    }

    /// An answer whose body says nothing more than its success.
    async fn done(resp: Result<Response, reqwest::Error>) -> Result<(), CallError> {
        let resp = resp.map_err(|e| CallError::transport(&e))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(classify(resp).await)
        }
    }

    /// Makes a checkout session. A timeout or a 5xx leaves it unknown whether one was made; as
    /// no payer has its URL, a new one may be made (an unseen session expires).
    pub async fn create_session(
        &self,
        key: &SecretString,
        body: &SessionRequest<'_>,
    ) -> Result<Session, CallError> {
        let resp = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.base))
            .bearer_auth(key.expose_secret())
            .json(body)
            .send()
            .await;
        Self::read(resp, "checkout session").await
    }

    /// Reads a checkout session.
    pub async fn session(&self, key: &SecretString, id: &str) -> Result<Session, CallError> {
        let resp = self
            .http
            .get(format!("{}/v1/checkout/sessions/{id}", self.base))
            .bearer_auth(key.expose_secret())
            .send()
            .await;
        Self::read(resp, "checkout session").await
    }

    /// Stops an open session taking payments (200, no body); 409 when it is no longer open
    /// (paid, or expired, meanwhile).
    pub async fn expire_session(&self, key: &SecretString, id: &str) -> Result<(), CallError> {
        let resp = self
            .http
            .post(format!("{}/v1/checkout/sessions/{id}/expire", self.base))
            .bearer_auth(key.expose_secret())
            .send()
            .await;
        Self::done(resp).await
    }

    /// Refunds a paid session, whole (200, no body).
    pub async fn refund_session(&self, key: &SecretString, id: &str) -> Result<(), CallError> {
        let resp = self
            .http
            .post(format!("{}/v1/checkout/sessions/{id}/refund", self.base))
            .bearer_auth(key.expose_secret())
            .send()
            .await;
        Self::done(resp).await
    }

    /// Sends a payout under `idempotency-key` = our reference: a retry with the same key can
    /// only name the same payout.
    pub async fn payout(
        &self,
        key: &SecretString,
        body: &PayoutRequest<'_>,
    ) -> Result<Payout, CallError> {
        let resp = self
            .http
            .post(format!("{}/v1/payout", self.base))
            .bearer_auth(key.expose_secret())
            .header("idempotency-key", body.client_reference)
            .json(body)
            .send()
            .await;
        Self::read(resp, "payout").await
    }

    /// The payouts made under `client_reference` (none: it never reached Wave).
    pub async fn payouts_by_reference(
        &self,
        key: &SecretString,
        client_reference: &str,
    ) -> Result<Vec<Payout>, CallError> {
        let resp = self
            .http
            .get(format!("{}/v1/payouts/search", self.base))
            .query(&[("client_reference", client_reference)])
            .bearer_auth(key.expose_secret())
            .send()
            .await;
        let found: PayoutSearch = Self::read(resp, "payout search").await?;
        Ok(found.result)
    }

    /// Asks for the balance: what `kumbu connector check` does with a key.
    pub async fn balance(&self, key: &SecretString) -> Result<(), CallError> {
        let resp = self
            .http
            .get(format!("{}/v1/balance", self.base))
            .bearer_auth(key.expose_secret())
            .send()
            .await;
        Self::done(resp).await
    }
}
