//! ProxyPay v2 over HTTP: `Authorization: Token <key>`, `Accept: application/vnd.proxypay.v2+json`,
//! and what each answer means ([`CallError`]).

use super::settings::Settings;
use super::wire::{Payment, ReferenceBody};
use crate::connector::{http_client, CallError};
use reqwest::Method;
use std::time::Duration;

/// ProxyPay's versioned media type.
const ACCEPT: &str = "application/vnd.proxypay.v2+json";

/// ProxyPay's API at one base URL.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// A client of the API at `base_url`, waiting `timeout` per call.
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        Self {
            http: http_client(timeout),
            base: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Sends one request; `Ok` with the body of a 2xx. `gone_is_done`: a 404 counts as done
    /// (deleting what is already gone).
    async fn send(
        &self,
        creds: &Settings,
        method: Method,
        path: &str,
        body: Option<&ReferenceBody>,
        gone_is_done: bool,
    ) -> Result<Vec<u8>, CallError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Token {}", creds.api_key))
            .header("Accept", ACCEPT);
        if let Some(b) = body {
            request = request.json(b);
        }
        let response = request.send().await.map_err(|e| CallError::transport(&e))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CallError::transport(&e))?;
        match status {
            200..=299 => Ok(bytes.to_vec()),
            404 if gone_is_done => Ok(Vec::new()),
            _ => Err(CallError::of_answer(
                status,
                String::new(),
                String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            )),
        }
    }

    /// `PUT /references/{id}`.
    pub async fn put_reference(
        &self,
        creds: &Settings,
        id: u64,
        body: &ReferenceBody,
    ) -> Result<(), CallError> {
        self.send(
            creds,
            Method::PUT,
            &format!("/references/{id}"),
            Some(body),
            false,
        )
        .await
        .map(|_| ())
    }

    /// `DELETE /references/{id}`.
    pub async fn delete_reference(&self, creds: &Settings, id: u64) -> Result<(), CallError> {
        self.send(
            creds,
            Method::DELETE,
            &format!("/references/{id}"),
            None,
            true,
        )
        .await
        .map(|_| ())
    }

    /// `GET /payments` (up to 100 queued).
    pub async fn payments(&self, creds: &Settings) -> Result<Vec<Payment>, CallError> {
        let bytes = self
            .send(creds, Method::GET, "/payments?n=100", None, false)
            .await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CallError::Unknown(format!("GET /payments: the list does not read: {e}")))
    }

    /// `DELETE /payments/{id}`.
    pub async fn acknowledge(&self, creds: &Settings, id: i64) -> Result<(), CallError> {
        self.send(
            creds,
            Method::DELETE,
            &format!("/payments/{id}"),
            None,
            true,
        )
        .await
        .map(|_| ())
    }
}
