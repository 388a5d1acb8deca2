//! The HTTP calls Kumbu makes to Orange Money's Web Payment API: an OAuth token per merchant
//! (cached, refreshed early, cleared and retried once on a 401), `webpayment` (a payment page)
//! and `transactionstatus`. Each call's result is classified once, here: done, refused (with
//! Orange's code) or unknown.

use super::wire::{
    ErrorBody, MpAnswer, MpData, MpPayRequest, StatusAnswer, StatusRequest, TokenResponse,
    WebPaymentCreated, WebPaymentRequest,
};
use crate::connector::{CallError, TokenCache};
use base64::Engine as _;
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

/// A merchant's credentials for Cameroon's prompt API (`mp`), as the client uses them.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What their token is cached under (changes when they change).
    pub key: String,
    /// The consumer key (`POST /token`'s Basic user).
    pub consumer_key: String,
    /// The consumer secret.
    pub consumer_secret: SecretString,
    /// The API user `X-AUTH-TOKEN` names.
    pub api_username: String,
    /// Its password.
    pub api_password: SecretString,
    /// The merchant's channel number (`channelUserMsisdn`).
    pub channel_msisdn: String,
    /// The channel user's PIN, which Orange takes in the clear in `mp/pay`.
    pub pin: SecretString,
}

/// Whose token a call needs: Web Payment's client, or the prompt API's consumer.
#[derive(Debug, Clone, Copy)]
enum Auth<'a> {
    Web(&'a WebPay),
    Prompt(&'a Prompt),
}

impl Auth<'_> {
    fn key(&self) -> &String {
        match self {
            Auth::Web(w) => &w.key,
            Auth::Prompt(p) => &p.key,
        }
    }
}

/// A prompt to send.
#[derive(Debug, Clone, Copy)]
pub struct PromptRequest<'a> {
    /// From `mp/init`.
    pub pay_token: &'a str,
    /// Ours.
    pub order_id: &'a str,
    /// Whole francs.
    pub amount: i64,
    /// The payer's number without 237.
    pub subscriber: &'a str,
    /// Where Orange posts the notification.
    pub notif_url: &'a str,
    /// What the payer reads.
    pub description: &'a str,
}

/// A payment page's or a prompt's state, as `transactionstatus` or `mp/paymentstatus` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrangeStatus {
    /// Made; the payer has not opened the page, or the prompt was not sent.
    Initiated,
    /// The payer is on the page, or has the prompt.
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

impl OrangeStatus {
    /// Reads Orange's status word (Cameroon spells success `SUCCESSFULL`).
    fn of(status: &str, txnid: Option<String>) -> Self {
        match status {
            "INITIATED" => OrangeStatus::Initiated,
            "PENDING" => OrangeStatus::Pending,
            "SUCCESS" | "SUCCESSFULL" | "SUCCESSFUL" => OrangeStatus::Success(txnid),
            "FAILED" => OrangeStatus::Failed(txnid),
            "EXPIRED" => OrangeStatus::Expired,
            other => OrangeStatus::Other(other.to_owned()),
        }
    }

    /// The status in an `mp` answer.
    fn of_mp(d: MpData) -> Self {
        Self::of(d.status.as_deref().unwrap_or_default(), d.txnid)
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
    CallError::of_answer(status, code, message)
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

    async fn fetch_token(&self, auth: Auth<'_>) -> Result<(SecretString, Duration), CallError> {
        // Web Payment's gateway and Cameroon's each have their own token endpoint.
        let (url, user, secret) = match auth {
            Auth::Web(w) => (
                format!("{}/oauth/v3/token", self.base),
                &w.client_id,
                &w.client_secret,
            ),
            Auth::Prompt(p) => (
                format!("{}/token", self.base),
                &p.consumer_key,
                &p.consumer_secret,
            ),
        };
        let resp = self
            .http
            .post(url)
            .basic_auth(user, Some(secret.expose_secret()))
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
        self.token_for(Auth::Web(creds), now).await
    }

    /// A token for Cameroon's prompt API, from the cache or fetched.
    pub async fn prompt_token(
        &self,
        creds: &Prompt,
        now: Timestamp,
    ) -> Result<SecretString, CallError> {
        self.token_for(Auth::Prompt(creds), now).await
    }

    async fn token_for(&self, auth: Auth<'_>, now: Timestamp) -> Result<SecretString, CallError> {
        self.tokens
            .get(auth.key(), now, || self.fetch_token(auth))
            .await
    }

    /// Sends a call built by `build` with a token; on a 401 (Web Payment's, or the WSO2
    /// gateway's fault `900901` in Cameroon) the token is dropped and the call is made once more
    /// with a fresh one.
    async fn send(
        &self,
        auth: Auth<'_>,
        now: Timestamp,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, CallError> {
        let mut retried = false;
        loop {
            let token = self.token_for(auth, now).await?;
            let mut req = build(&self.http)
                .bearer_auth(token.expose_secret())
                .header("Accept", "application/json");
            if let Auth::Prompt(p) = auth {
                let user = format!("{}:{}", p.api_username, p.api_password.expose_secret());
                req = req.header(
                    "X-AUTH-TOKEN",
                    base64::engine::general_purpose::STANDARD.encode(user),
                );
            }
            let resp = req.send().await.map_err(|e| CallError::transport(&e))?;
            if resp.status() == StatusCode::UNAUTHORIZED && !retried {
                tracing::info!(
                    "Orange refused a cached token; fetching a fresh one and retrying once"
                );
                self.tokens.invalidate(auth.key(), &token).await;
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
            .send(Auth::Web(creds), now, |http| http.post(&url).json(&body))
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
    ) -> Result<OrangeStatus, CallError> {
        let url = self.url(creds, "transactionstatus");
        let body = StatusRequest {
            order_id,
            amount,
            pay_token,
        };
        let resp = self
            .send(Auth::Web(creds), now, |http| http.post(&url).json(&body))
            .await?;
        if !resp.status().is_success() {
            return Err(classify(resp).await);
        }
        let answer: StatusAnswer = resp
            .json()
            .await
            .map_err(|e| CallError::Unknown(format!("unreadable transactionstatus answer: {e}")))?;
        Ok(OrangeStatus::of(&answer.status, answer.txnid))
    }
}

/// Cameroon's prompt API (`/omcoreapis/1.0.2/mp/`).
impl Client {
    fn mp_url(&self, op: &str) -> String {
        format!("{}/omcoreapis/1.0.2/mp/{op}", self.base)
    }

    async fn mp_read(resp: Response, what: &str) -> Result<MpData, CallError> {
        if !resp.status().is_success() {
            return Err(classify(resp).await);
        }
        let answer: MpAnswer = resp
            .json()
            .await
            .map_err(|e| CallError::Unknown(format!("unreadable {what} answer: {e}")))?;
        Ok(answer.data.unwrap_or_default())
    }

    /// `mp/init`: a payToken. It prompts nobody: one lost to a timeout is simply never used.
    pub async fn mp_init(&self, creds: &Prompt, now: Timestamp) -> Result<String, CallError> {
        let url = self.mp_url("init");
        let resp = self
            .send(Auth::Prompt(creds), now, |http| {
                http.post(&url).json(&serde_json::json!({}))
            })
            .await?;
        Self::mp_read(resp, "mp/init")
            .await?
            .pay_token
            .ok_or_else(|| CallError::Unknown("mp/init answered no payToken".to_owned()))
    }

    /// `mp/pay`: prompts the payer. A timeout or a 5xx leaves it unknown whether they were
    /// prompted: the payToken's status tells.
    pub async fn mp_pay(
        &self,
        creds: &Prompt,
        now: Timestamp,
        prompt: &PromptRequest<'_>,
    ) -> Result<OrangeStatus, CallError> {
        let url = self.mp_url("pay");
        let amount = prompt.amount.to_string();
        let body = MpPayRequest {
            notif_url: prompt.notif_url,
            channel_user_msisdn: &creds.channel_msisdn,
            amount: &amount,
            subscriber_msisdn: prompt.subscriber,
            pin: creds.pin.expose_secret(),
            order_id: prompt.order_id,
            description: prompt.description,
            pay_token: prompt.pay_token,
        };
        let resp = self
            .send(Auth::Prompt(creds), now, |http| http.post(&url).json(&body))
            .await?;
        Ok(OrangeStatus::of_mp(Self::mp_read(resp, "mp/pay").await?))
    }

    /// `mp/paymentstatus/{payToken}`.
    pub async fn mp_status(
        &self,
        creds: &Prompt,
        now: Timestamp,
        pay_token: &str,
    ) -> Result<OrangeStatus, CallError> {
        let url = self.mp_url(&format!("paymentstatus/{pay_token}"));
        let resp = self
            .send(Auth::Prompt(creds), now, |http| http.get(&url))
            .await?;
        Ok(OrangeStatus::of_mp(
            Self::mp_read(resp, "mp/paymentstatus").await?,
        ))
    }
}

#[cfg(test)]
mod tests;
