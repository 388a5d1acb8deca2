//! The MTN MoMo connector (Côte d'Ivoire and Cameroon): collection by request to pay, payouts by
//! disbursement transfer, over MTN's Open API; and, in `simulator`, a local stand-in for that
//! API which real MTN client libraries accept.
//!
//! How a payment moves (`RailProgress::step` is the connector's bookkeeping):
//! - even step `2k`: the request is to be sent (MTN said it does not know it, or it was never
//!   tried). The engine commits the odd step `2k + 1` *before* the call, so a process that dies
//!   mid-call leaves a payment that is asked about, never one that looks unsent. The POST carries
//!   the payment's `operator_reference`, a UUID v4 written when the payment was created, so a
//!   retry can only name the same transaction: MTN answers 409 to a second POST.
//! - odd step: the request is (or may be) with MTN; its status is asked until MTN decides. A 404
//!   before the deadline sends it again, under the same reference; nothing is sent after the
//!   deadline, and a 404 after the deadline plus MTN's approval window expires the payment (MTN
//!   never had it). Otherwise only MTN's own answer ends a payment, never our clock.
//!
//! MTN signs nothing, so its callback is only a reason to ask (the engine makes the payment due
//! at once); what MTN's status resource says is what counts.

mod client;
pub mod reasons;
pub mod simulator;
pub mod wire;

pub use client::{Client, Kind, Posted};

use crate::connector::CallError;
use crate::{Advance, Next, Notice, Rail, Via};
use kumbu_core::{FailureCode, Payment, Timestamp};
use reasons::{Meaning, Reason, Status};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use wire::{Party, TransactionRequest, TransactionStatus};

/// MTN fails a request to pay that the payer has not approved within five minutes
/// (`COULD_NOT_PERFORM_TRANSACTION`).
pub const APPROVAL_WINDOW: Duration = Duration::from_secs(300);

/// The path, under the gateway's public URL, where MTN calls back; the reference follows.
pub const CALLBACK_PATH: &str = "/callbacks/mtn-momo/";

/// Our code for MTN's account-holder check answering `false` (no active wallet).
pub const NOT_ACTIVE: &str = "ACCOUNT_HOLDER_NOT_ACTIVE";

/// MTN's production API.
pub const PRODUCTION_URL: &str = "https://proxy.momoapi.mtn.com";

/// An MTN product: each has its own subscription key, API user and token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Product {
    /// Collections: request to pay, account holder.
    Collection,
    /// Disbursements: transfers (payouts).
    Disbursement,
}

impl Product {
    /// Both products.
    pub const ALL: [Product; 2] = [Product::Collection, Product::Disbursement];

    /// MTN's path segment.
    pub const fn as_str(self) -> &'static str {
        match self {
            Product::Collection => "collection",
            Product::Disbursement => "disbursement",
        }
    }
}

/// One product's keys, as MTN's partner portal (or the sandbox's provisioning) issues them.
#[derive(Clone)]
pub struct ProductKeys {
    /// `Ocp-Apim-Subscription-Key`.
    pub subscription_key: SecretString,
    /// The API user (a UUID).
    pub api_user: String,
    /// The API key.
    pub api_key: SecretString,
}

impl std::fmt::Debug for ProductKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductKeys")
            .field("api_user", &self.api_user)
            .finish_non_exhaustive()
    }
}

/// A merchant's MTN credentials for one operator (`mtn_ci` or `mtn_cm`).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Whose they are (`<merchant>/<operator>`): names their tokens in the cache.
    pub key: String,
    /// `X-Target-Environment`: `mtnivorycoast`, `mtncameroon` (or `sandbox`).
    pub target_environment: String,
    /// The callback host registered with MTN (`providerCallbackHost`); MTN refuses callbacks to
    /// any other host.
    pub callback_host: Option<String>,
    /// Collection keys (payments).
    pub collection: Option<ProductKeys>,
    /// Disbursement keys (payouts and refunds).
    pub disbursement: Option<ProductKeys>,
}

impl Credentials {
    /// The keys of `product`, if configured.
    pub fn product(&self, product: Product) -> Option<&ProductKeys> {
        match product {
            Product::Collection => self.collection.as_ref(),
            Product::Disbursement => self.disbursement.as_ref(),
        }
    }
}

/// One product's keys as given by the CLI or the API, and as sealed at rest.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSettings {
    /// `Ocp-Apim-Subscription-Key`.
    pub subscription_key: String,
    /// The API user.
    pub api_user: String,
    /// The API key.
    pub api_key: String,
}

impl std::fmt::Debug for ProductSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductSettings")
            .field("api_user", &self.api_user)
            .finish_non_exhaustive()
    }
}

/// MTN credentials as given and as sealed (JSON). Never logged, never returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `X-Target-Environment`.
    pub target_environment: String,
    /// The registered callback host.
    #[serde(default)]
    pub callback_host: Option<String>,
    /// Collection keys.
    #[serde(default)]
    pub collection: Option<ProductSettings>,
    /// Disbursement keys.
    #[serde(default)]
    pub disbursement: Option<ProductSettings>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("target_environment", &self.target_environment)
            .field("callback_host", &self.callback_host)
            .finish_non_exhaustive()
    }
}

/// Why MTN settings were refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The field, as the API names it.
    pub field: &'static str,
    /// What to do.
    pub message: String,
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), SettingsError> {
    if value.trim().is_empty()
        || value.chars().count() > max
        || value.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(SettingsError {
            field,
            message: format!("{field} must be 1 to {max} characters, with no spaces"),
        });
    }
    Ok(())
}

impl Settings {
    /// Checks the settings: a target environment, at least one product, each complete.
    pub fn check(&self) -> Result<(), SettingsError> {
        check_text("target_environment", &self.target_environment, 64)?;
        if !self
            .target_environment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(SettingsError {
                field: "target_environment",
                message: "target_environment is MTN's name for the market, e.g. mtnivorycoast or mtncameroon (or sandbox)".into(),
            });
        }
        if let Some(h) = &self.callback_host {
            check_text("callback_host", h, 253)?;
            if h.contains('/') || h.contains(':') {
                return Err(SettingsError {
                    field: "callback_host",
                    message: "callback_host is a host name only (e.g. pay.example.com), as registered with MTN".into(),
                });
            }
        }
        if self.collection.is_none() && self.disbursement.is_none() {
            return Err(SettingsError {
                field: "collection",
                message:
                    "give the collection keys (payments), the disbursement keys (payouts), or both"
                        .into(),
            });
        }
        for (name, p) in [
            ("collection", &self.collection),
            ("disbursement", &self.disbursement),
        ] {
            if let Some(p) = p {
                check_text(name, &p.subscription_key, 128).map_err(|e| SettingsError {
                    message: format!("{name}.subscription_key: {}", e.message),
                    ..e
                })?;
                check_text(name, &p.api_user, 128).map_err(|e| SettingsError {
                    message: format!("{name}.api_user: {}", e.message),
                    ..e
                })?;
                check_text(name, &p.api_key, 256).map_err(|e| SettingsError {
                    message: format!("{name}.api_key: {}", e.message),
                    ..e
                })?;
            }
        }
        Ok(())
    }

    /// The products configured.
    pub fn products(&self) -> Vec<Product> {
        Product::ALL
            .into_iter()
            .filter(|p| match p {
                Product::Collection => self.collection.is_some(),
                Product::Disbursement => self.disbursement.is_some(),
            })
            .collect()
    }

    /// The credentials in memory, named `key`.
    pub fn into_credentials(self, key: String) -> Credentials {
        let keys = |p: ProductSettings| ProductKeys {
            subscription_key: SecretString::from(p.subscription_key),
            api_user: p.api_user,
            api_key: SecretString::from(p.api_key),
        };
        // Tokens belong to these very keys: replaced keys (in any process) never reuse them.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(
            &(
                &self.target_environment,
                &self
                    .collection
                    .as_ref()
                    .map(|p| (&p.api_user, &p.api_key, &p.subscription_key)),
                &self
                    .disbursement
                    .as_ref()
                    .map(|p| (&p.api_user, &p.api_key, &p.subscription_key)),
            ),
            &mut h,
        );
        let key = format!("{key}#{:016x}", std::hash::Hasher::finish(&h));
        Credentials {
            key,
            target_environment: self.target_environment,
            callback_host: self.callback_host,
            collection: self.collection.map(keys),
            disbursement: self.disbursement.map(keys),
        }
    }
}

/// The connector: MTN's API at one base URL, and where MTN should call Kumbu back.
#[derive(Debug)]
pub struct MtnMomo {
    client: Client,
    callback_base: Option<String>,
    poll_every: Duration,
}

impl MtnMomo {
    /// A connector to the API at `base_url`, calling back `callback_base` (the gateway's public
    /// URL; `None`: no callbacks, status polling only), polling every `poll_every` while a
    /// payment is pending, with `timeout` per call.
    pub fn new(
        base_url: &str,
        callback_base: Option<&str>,
        poll_every: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            client: Client::new(base_url, timeout),
            callback_base: callback_base.map(|b| b.trim_end_matches('/').to_owned()),
            poll_every,
        }
    }

    /// The HTTP client (for credential checks).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The callback URL for a transaction, if callbacks are on.
    pub fn callback_url(&self, reference: &str) -> Option<String> {
        self.callback_base
            .as_ref()
            .map(|b| format!("{b}{CALLBACK_PATH}{reference}"))
    }

    /// The callback URL to send MTN for these credentials: only when its host is the one the
    /// merchant registered (MTN refuses any other with `INVALID_CALLBACK_URL_HOST`, which would
    /// fail every request); otherwise none, and statuses are polled.
    fn callback_for(&self, creds: &Credentials, reference: &str) -> Option<String> {
        let url = self.callback_url(reference)?;
        let host = url
            .split("://")
            .nth(1)?
            .split(['/', ':'])
            .next()?
            .to_owned();
        match &creds.callback_host {
            Some(registered) if registered.eq_ignore_ascii_case(&host) => Some(url),
            Some(_) | None => None,
        }
    }

    /// Sends the request to pay (even steps).
    async fn send(
        &self,
        p: &Payment,
        creds: &Credentials,
        now: Timestamp,
        reference: &str,
    ) -> Advance {
        let step = p.progress.step;
        if now >= p.expires_at {
            // Never send after the deadline. MTN does not know this request (or we never sent
            // it): asking again settles whether an earlier try is registered after all.
            return Advance::wait(step + 1, self.poll_every);
        }
        let Some(phone) = &p.payer_phone else {
            return failed(Via::Request, step, FailureCode::PayerNotFound, "NO_PAYER");
        };
        if step == 0 {
            // MTN's account-holder check: a number without an active wallet is told at once,
            // without a prompt. Its own failure only means we ask MTN the usual way.
            match self.client.account_active(creds, now, phone.digits()).await {
                Ok(false) => {
                    return failed(Via::Request, step, FailureCode::PayerNotFound, NOT_ACTIVE)
                }
                Ok(true) => {}
                Err(e) => {
                    tracing::info!(payment = %p.id, reason = %e, "MTN account-holder check unavailable; sending the request to pay");
                }
            }
        }
        let body = TransactionRequest {
            amount: p.currency.format_decimal(p.amount),
            currency: p.currency.code().to_owned(),
            external_id: Some(p.id.clone()),
            payer: Some(Party::msisdn(phone.digits())),
            payee: None,
            payer_message: Some(message(p)),
            payee_note: Some(p.reference.clone().unwrap_or_else(|| p.id.clone())),
            reference_id_to_refund: None,
        };
        let callback = self.callback_for(creds, reference);
        let accepted = Notice::Accepted {
            operator_reference: reference.to_owned(),
        };
        match self
            .client
            .create(
                creds,
                Kind::RequestToPay,
                now,
                reference,
                &body,
                callback.as_deref(),
            )
            .await
        {
            Ok(Posted::Accepted) => Advance {
                via: Via::Request,
                notices: vec![accepted],
                step: step + 1,
                next: Next::After(self.poll_every),
            },
            // Our earlier try got through: ask how it is going.
            Ok(Posted::AlreadyExists) => Advance {
                via: Via::Request,
                notices: vec![accepted],
                step: step + 1,
                next: Next::After(Duration::ZERO),
            },
            Err(CallError::Refused {
                status,
                code,
                message,
            }) => {
                tracing::info!(payment = %p.id, status, code, message, "MTN refused the request to pay");
                let (ours, raw) = refusal(status, code);
                failed(Via::Request, step, ours, &raw)
            }
            Err(CallError::Unknown(why)) => {
                tracing::warn!(payment = %p.id, reason = %why, "MTN request to pay: outcome unknown; its status will be asked");
                Advance::wait(step + 1, retry_after(self.poll_every))
            }
            Err(CallError::Unauthorized(why)) => {
                tracing::error!(payment = %p.id, reason = %why, "MTN refused the merchant's credentials; check them with `kumbu connector check`");
                failed(
                    Via::Request,
                    step,
                    FailureCode::ProviderUnavailable,
                    "UNAUTHORIZED",
                )
            }
        }
    }

    /// Asks the status (odd steps).
    async fn ask(
        &self,
        p: &Payment,
        creds: &Credentials,
        now: Timestamp,
        reference: &str,
    ) -> Advance {
        let step = p.progress.step;
        match self
            .client
            .status(creds, Kind::RequestToPay, now, reference)
            .await
        {
            // MTN does not know it, and cannot any more: every send was before the deadline,
            // and MTN's approval window has closed since. Nothing was charged.
            Ok(None) if now >= p.expires_at.plus(self.expiry_grace()) => failed(
                Via::Poll,
                step,
                FailureCode::PaymentExpired,
                Reason::ResourceNotFound.as_str(),
            ),
            // Past the deadline: never sent again; asked until the window has surely closed.
            Ok(None) if now >= p.expires_at => Advance::wait(step, self.poll_every),
            Ok(None) => {
                tracing::info!(payment = %p.id, "MTN does not know the request to pay; sending it again under the same reference");
                Advance {
                    via: Via::Poll,
                    notices: Vec::new(),
                    step: step + 1,
                    next: Next::After(Duration::ZERO),
                }
            }
            Ok(Some(s)) => self.read_status(p, step, reference, &s),
            Err(e @ (CallError::Unknown(_) | CallError::Refused { .. })) => {
                tracing::warn!(payment = %p.id, reason = %e, "MTN status unknown for now; asking again later");
                Advance::wait(step, retry_after(self.poll_every))
            }
            Err(CallError::Unauthorized(why)) => {
                // The request may have reached the payer: never fail it on our credentials.
                tracing::error!(payment = %p.id, reason = %why, "MTN refused the merchant's credentials while asking a status; check them with `kumbu connector check`");
                Advance::wait(step, self.poll_every)
            }
        }
    }

    fn read_status(
        &self,
        p: &Payment,
        step: u32,
        reference: &str,
        s: &TransactionStatus,
    ) -> Advance {
        let accepted = Notice::Accepted {
            operator_reference: reference.to_owned(),
        };
        let status = Status::parse(&s.status);
        if matches!(status, Status::Successful)
            && (s.amount.as_deref().is_some_and(|a| !same_amount(p, a))
                || s.currency
                    .as_deref()
                    .is_some_and(|c| c != p.currency.code()))
        {
            tracing::error!(
                payment = %p.id, amount = ?s.amount, currency = ?s.currency,
                "MTN reports another amount or currency than requested: not applied; needs reconciliation"
            );
            return Advance::wait(step, self.poll_every);
        }
        match status {
            Status::Pending => Advance {
                via: Via::Poll,
                notices: vec![accepted, Notice::Prompted],
                step,
                next: Next::After(self.poll_every),
            },
            Status::Successful => Advance {
                via: Via::Poll,
                notices: vec![accepted, Notice::Debited, Notice::Settled],
                step,
                next: Next::Done,
            },
            Status::Failed => {
                let reason = reason_of(s);
                match reason.meaning() {
                    Meaning::Failed(code) => failed(Via::Poll, step, code, reason.as_str()),
                    Meaning::Undecided => Advance::wait(step, self.poll_every),
                }
            }
            Status::Other(other) => {
                tracing::debug!(payment = %p.id, status = %other, "MTN status not final");
                Advance::wait(step, self.poll_every)
            }
        }
    }
}

/// What MTN said about money Kumbu sends out (a refund or a payout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// MTN has the request (202, or 409 for an earlier try): ask its status from now on.
    Sent,
    /// The money moved.
    Succeeded,
    /// It did not, and will not: our code and MTN's.
    Failed {
        /// Our code.
        code: FailureCode,
        /// MTN's reason or error code.
        operator_code: String,
    },
    /// Not decided yet, or we could not learn (a timeout, a 5xx): ask again later. Whether a
    /// request sent reached MTN is unknown too, so its status is asked next.
    Undecided,
    /// MTN does not know the reference: it never got the request; send it again (same reference).
    NotFound,
}

impl MtnMomo {
    /// Sends a refund or a transfer under `reference` (committed before the call).
    pub async fn send_out(
        &self,
        kind: Kind,
        creds: &Credentials,
        now: Timestamp,
        reference: &str,
        body: &TransactionRequest,
    ) -> Outbound {
        match self
            .client
            .create(
                creds,
                kind,
                now,
                reference,
                body,
                self.callback_for(creds, reference).as_deref(),
            )
            .await
        {
            Ok(Posted::Accepted | Posted::AlreadyExists) => Outbound::Sent,
            Err(CallError::Refused { status, code, .. }) => {
                let (code, operator_code) = refusal(status, code);
                Outbound::Failed {
                    code,
                    operator_code,
                }
            }
            Err(CallError::Unknown(why)) => {
                tracing::warn!(reference, reason = %why, "MTN {kind:?}: outcome unknown; its status will be asked");
                Outbound::Undecided
            }
            Err(CallError::Unauthorized(why)) => {
                tracing::error!(reference, reason = %why, "MTN refused the merchant's disbursement credentials; check them with `kumbu connector check`");
                Outbound::Failed {
                    code: FailureCode::ProviderUnavailable,
                    operator_code: "UNAUTHORIZED".to_owned(),
                }
            }
        }
    }

    /// Asks the status of a refund or a transfer.
    pub async fn ask_out(
        &self,
        kind: Kind,
        creds: &Credentials,
        now: Timestamp,
        reference: &str,
    ) -> Outbound {
        match self.client.status(creds, kind, now, reference).await {
            Ok(None) => Outbound::NotFound,
            Ok(Some(s)) => match Status::parse(&s.status) {
                Status::Successful => Outbound::Succeeded,
                Status::Failed => {
                    let reason = reason_of(&s);
                    match reason.meaning() {
                        Meaning::Failed(code) => Outbound::Failed {
                            code,
                            operator_code: reason.as_str().to_owned(),
                        },
                        Meaning::Undecided => Outbound::Undecided,
                    }
                }
                Status::Pending | Status::Other(_) => Outbound::Undecided,
            },
            Err(
                e
                @ (CallError::Unknown(_) | CallError::Refused { .. } | CallError::Unauthorized(_)),
            ) => {
                tracing::warn!(reference, reason = %e, "MTN {kind:?} status unknown for now");
                Outbound::Undecided
            }
        }
    }

    /// How often an undecided status is asked again.
    pub fn poll_every(&self) -> Duration {
        self.poll_every
    }
}

/// What a refusal means: our code, and MTN's (its code, or the HTTP status when it gave none).
fn refusal(status: u16, code: String) -> (FailureCode, String) {
    let ours = match Reason::parse(&code).meaning() {
        Meaning::Failed(c) => c,
        Meaning::Undecided => FailureCode::ProviderError,
    };
    let raw = if code.is_empty() {
        format!("HTTP_{status}")
    } else {
        code
    };
    (ours, raw)
}

/// The reason of a `FAILED` status (`FAILED` itself when MTN gave none).
fn reason_of(s: &TransactionStatus) -> Reason {
    s.reason
        .as_ref()
        .map(|r| Reason::parse(r.code()))
        .unwrap_or(Reason::Other("FAILED".to_owned()))
}

/// Whether MTN's decimal text is the payment's amount.
fn same_amount(p: &Payment, text: &str) -> bool {
    p.currency
        .parse_decimal(text)
        .is_ok_and(|minor| minor == p.amount)
}

/// What the payer's prompt says.
fn message(p: &Payment) -> String {
    let m = p
        .statement_descriptor
        .as_deref()
        .or(p.description.as_deref())
        .unwrap_or("Payment");
    m.chars().filter(|c| !c.is_control()).take(160).collect()
}

/// A short pause before asking again after an unknown outcome.
fn retry_after(poll_every: Duration) -> Duration {
    poll_every.min(Duration::from_secs(2))
}

fn failed(via: Via, step: u32, code: FailureCode, raw: &str) -> Advance {
    Advance {
        via,
        notices: vec![Notice::Failed {
            code,
            operator_code: raw.to_owned(),
        }],
        step: step | 1,
        next: Next::Done,
    }
}

impl Rail for MtnMomo {
    type Credentials = Credentials;
    const LOCAL: bool = false;

    fn expiry_grace(&self) -> Duration {
        APPROVAL_WINDOW + Duration::from_secs(60)
    }

    async fn advance(
        &self,
        payment: &Payment,
        credentials: &Credentials,
        now: Timestamp,
    ) -> Advance {
        let Some(reference) = payment.operator_reference.as_deref() else {
            tracing::error!(payment = %payment.id, "a live MTN payment has no reference; it was not created for this connector");
            return failed(
                Via::Request,
                payment.progress.step,
                FailureCode::ProviderError,
                "NO_REFERENCE",
            );
        };
        if payment.progress.step.is_multiple_of(2) {
            self.send(payment, credentials, now, reference).await
        } else {
            self.ask(payment, credentials, now, reference).await
        }
    }
}

/// A reference for a new MTN transaction: a UUID v4, as MTN requires.
pub fn new_reference() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether `s` is a UUID v4 in MTN's textual form.
pub fn is_reference(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 4) && s.len() == 36
}
