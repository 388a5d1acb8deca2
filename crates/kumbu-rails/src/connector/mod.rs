//! The seam between the engine and the operators: the [`Connector`] trait, which every operator
//! protocol implements in its own folder (`mtn_momo/`), and what connectors share (`call`: an
//! HTTP client and how a call's result is classified; `tokens`: a cache of access tokens;
//! `pages`: where a payment paid on the operator's own page stands).
//!
//! The engine holds connectors only as `dyn Connector`, found in the [`Registry`]
//! (`registry.rs`) by operator or by callback path. It never sees an operator's wire types: it
//! hands a connector its own objects (a [`Payment`], a [`Refund`], a [`Payout`]) and the
//! merchant's credentials as [`Opened`] from the vault, and gets back what the operator said, as
//! [`Advance`] (payments) or [`Outbound`] (money sent out).
//!
//! [`Registry`]: crate::registry::Registry

mod call;
pub(crate) mod pages;
mod references;
mod tokens;

pub use call::{http_client, operator_code, CallError, CONNECT_TIMEOUT};
pub use references::{References, Reported};
pub use tokens::{TokenCache, REFRESH_EARLY};

use crate::Advance;
use kumbu_core::{FailureCode, Msisdn, Operator, Payment, Payout, Refund, Timestamp};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A connector's answer, boxed so that the trait can be held as `dyn Connector`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A merchant's credentials for one connector, opened from the vault: the settings the
/// connector checked ([`Connector::settings`]), as JSON, and the name their tokens are cached
/// under. Only the connector reads the settings.
#[derive(Debug, Clone)]
pub struct Opened {
    /// Whose they are (`<merchant>/<operator>`).
    pub key: String,
    /// The settings, as [`Checked::sealed`] held them.
    pub settings: SecretString,
}

/// Settings a connector accepted: what the engine seals, and what may be shown of them.
#[derive(Debug)]
pub struct Checked {
    /// The settings to seal (JSON; the connector's own shape).
    pub sealed: SecretString,
    /// What may be shown.
    pub summary: Summary,
}

/// What may be shown of a merchant's credentials: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The operator's name for the market (MTN's `X-Target-Environment`).
    pub target_environment: String,
    /// The callback host registered with the operator.
    pub callback_host: Option<String>,
    /// The products configured (`collection`, `disbursement`).
    pub products: Vec<String>,
    /// The API users or client ids of each product (not secret; what operators' support asks for).
    pub api_users: Vec<String>,
}

impl Checked {
    /// Settings a connector checked, sealed as JSON, with what may be shown of them.
    pub fn of(settings: &impl Serialize, summary: Summary) -> Result<Self, SettingsError> {
        let sealed = serde_json::to_string(settings).map_err(|e| SettingsError {
            field: "settings",
            message: e.to_string(),
        })?;
        Ok(Self {
            sealed: SecretString::from(sealed),
            summary,
        })
    }
}

/// Reads a connector's settings as a merchant gave them (the API's body, the CLI's file).
/// serde's message names the field; it never echoes a value.
pub(crate) fn read_given<T: serde::de::DeserializeOwned>(
    given: serde_json::Value,
) -> Result<T, SettingsError> {
    serde_json::from_value(given).map_err(|e| SettingsError {
        field: "settings",
        message: e.to_string(),
    })
}

/// Reads a connector's sealed settings (`what`: whose, in messages). serde's message names the
/// field and the position; it never echoes a value.
pub(crate) fn read_sealed<T: serde::de::DeserializeOwned>(
    opened: &Opened,
    what: &str,
) -> Result<T, SettingsError> {
    use secrecy::ExposeSecret;
    serde_json::from_str(opened.settings.expose_secret()).map_err(|e| SettingsError {
        field: "settings",
        message: format!("sealed {what} settings {} do not read: {e}", opened.key),
    })
}

/// Why settings were refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The field, as the API names it.
    pub field: &'static str,
    /// What to do.
    pub message: String,
}

/// Checks one text field of a merchant's settings: 1 to `max` characters, no spaces or control
/// characters. The message names the field, never the value.
pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<(), SettingsError> {
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

/// Whether `url` is an http(s) URL with a host: what an operator's page URL must be before a
/// payer is sent there (a `javascript:` or scheme-less value is not).
pub(crate) fn is_web_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
}

/// A new reference for a connector whose references are `prefix` and `random` alphanumerics.
pub(crate) fn prefixed_reference(prefix: &str, random: usize) -> String {
    format!("{prefix}{}", kumbu_core::ids::random_token(random))
}

/// Whether `text` is a reference [`prefixed_reference`] makes with `prefix` and `random`.
pub(crate) fn is_prefixed_reference(text: &str, prefix: &str, random: usize) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == random && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// What a merchant's credentials may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// Collecting payments.
    Collect,
    /// Paying out to a wallet.
    Disburse,
    /// Giving a collected payment back (some operators need more for it than for payouts:
    /// M-Pesa's reversals need an initiator).
    Refund,
}

/// The result of asking the operator for a token with one product's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCheck {
    /// The product.
    pub product: &'static str,
    /// `None` when a token was issued; otherwise why not.
    pub problem: Option<String>,
}

/// Money Kumbu sends out through a connector, as the engine holds it.
#[derive(Debug, Clone, Copy)]
pub enum Outgoing<'a> {
    /// A refund of a payment the operator collected.
    Refund {
        /// The refund (its `operator_refund_id` is the reference sent).
        refund: &'a Refund,
        /// The payment refunded.
        payment: &'a Payment,
    },
    /// A payout to a wallet (its `operator_reference` is the reference sent).
    Payout(&'a Payout),
}

impl Outgoing<'_> {
    /// Our id of the object.
    pub fn id(&self) -> &str {
        match self {
            Outgoing::Refund { refund, .. } => &refund.id,
            Outgoing::Payout(p) => &p.id,
        }
    }

    /// The reference the operator knows it by, written when it was created.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Outgoing::Refund { refund, .. } => refund.operator_refund_id.as_deref(),
            Outgoing::Payout(p) => p.operator_reference.as_deref(),
        }
    }
}

/// What an operator said about money Kumbu sends out (a refund or a payout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// The operator has the request: ask its status from now on.
    Sent,
    /// The money moved.
    Succeeded,
    /// It did not, and will not: our code and the operator's.
    Failed {
        /// Our code.
        code: FailureCode,
        /// The operator's reason or error code.
        operator_code: String,
    },
    /// Not decided yet, or we could not learn (a timeout, a 5xx): ask again later. Whether a
    /// request sent reached the operator is unknown too, so its status is asked next.
    Undecided,
    /// The operator does not know the reference: it never got the request; send it again
    /// (same reference).
    NotFound,
}

/// An operator's callback as it arrived, with what the engine knows of the payment it names.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    /// The body, as sent.
    pub body: &'a [u8],
    /// The request's headers, names in lower case.
    pub headers: &'a [(String, String)],
    /// The connector's memo of the payment.
    pub memo: Option<&'a str>,
    /// The payment's merchant's credentials, if they are set.
    pub creds: Option<&'a Opened>,
    /// The wall clock's Unix seconds, which an operator's signed timestamp is compared with (not
    /// the engine's clock, which tests move by hand).
    pub wall_unix: i64,
}

impl Callback<'_> {
    /// The header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a payer answers a live payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// On their phone: the operator prompts them (MTN's request to pay).
    Prompt,
    /// On the operator's own page, which Kumbu's hand-over URL (`/pay/go/{token}`) sends them
    /// to once the connector has made it (Orange Money Web Payment, Wave's checkout).
    Page,
}

/// A connector to an operator's API: how live payments are collected and money is sent out.
///
/// Every call is made outside any transaction: the engine commits the object's "may have been
/// sent" state before [`Connector::collect`] or [`Connector::disburse`], and commits what the
/// answer says after. An unknown outcome is never a failure: the next call asks the status, under
/// the reference written when the object was created, so nothing is ever sent twice.
pub trait Connector: Send + Sync + std::fmt::Debug {
    /// Its name in docs, messages and metrics (`MTN MoMo`).
    fn name(&self) -> &'static str;

    /// Its path segment: callbacks arrive at `/callbacks/<slug>/{reference}`, and the merchant
    /// guide is `docs/operators/<slug>.md`.
    fn slug(&self) -> &'static str;

    /// The operators it carries.
    fn operators(&self) -> &'static [Operator];

    /// Whether the operator's API can send money out at all (refunds, payouts): when not,
    /// they are refused before anything is created, saying so.
    fn disburses(&self) -> bool;

    /// How the payer answers a live payment to `op` (one of [`Connector::operators`]).
    fn flow(&self, op: Operator) -> Flow;

    /// For a [`Flow::Page`] payment: the operator's page the payer is sent to, read from the
    /// memo the connector wrote when it made the page (`None` while it is not made).
    fn payer_url(&self, memo: &str) -> Option<String>;

    /// The reference a callback to `/callbacks/<slug>/{path}` is about: the path's (MTN, Orange),
    /// or one the body names (Wave posts every event to one URL per account, naming the session's
    /// `client_reference`). `None`: not about anything this connector could know.
    fn callback_reference(&self, path: &str, body: &[u8]) -> Option<String>;

    /// Whether a callback is checked before it counts at all ([`Connector::genuine_callback`]);
    /// otherwise any callback naming a reference is a reason to ask the operator (MTN signs
    /// nothing).
    fn checks_callbacks(&self) -> bool;

    /// Whether a callback is the operator's, given the memo of the payment it names and its
    /// merchant's credentials (Orange: the body carries the notification token Orange gave for
    /// that page; Wave: `Wave-Signature` signs the body with the merchant's webhook secret).
    /// Even a genuine callback is only a reason to ask the operator, never applied as sent.
    fn genuine_callback(&self, callback: &Callback<'_>) -> bool;

    fn settings(&self, given: serde_json::Value) -> Result<Checked, SettingsError>;

    /// Checks that sealed settings read as this connector's (a value sealed by another version
    /// may not): the engine treats settings that do not as corrupt, never as absent, so a
    /// payment is not failed for want of credentials it has.
    fn read(&self, creds: &Opened) -> Result<(), SettingsError>;

    /// Whether `creds` (which [`Connector::read`] accepted) may be used for `duty` (MTN:
    /// collection or disbursement keys are set).
    fn can(&self, creds: &Opened, duty: Duty) -> bool;

    /// A reference for a new transaction, written with the object before any call.
    fn new_reference(&self) -> String;

    /// Whether `text` could be one of this connector's references (callbacks naming anything
    /// else are ignored).
    fn is_reference(&self, text: &str) -> bool;

    /// Whether the operator holds open the call that carries out `payment`'s next action, and
    /// for how long the connector waits for it (M-Pesa's C2B call answers only when the payer
    /// has answered the prompt). The engine makes such a call outside its worker's pass, within
    /// bounded numbers of them (`--held-calls`, in all and per merchant), and reserves the
    /// payment for `--operator-prompt-timeout-secs` plus the lease (which the connector's wait
    /// must not exceed). `None` (the default): an ordinary call, made within the pass.
    fn held_call(&self, _payment: &Payment) -> Option<Duration> {
        None
    }

    /// Why `phone` cannot pay through `op` (not one of the operator's numbers), said before
    /// anything is created or sent; `None` (the default) when it may.
    fn payer_problem(&self, _op: Operator, _phone: &Msisdn) -> Option<String> {
        None
    }

    /// Its references capability (ProxyPay: Multicaixa references issued at the gateway, and
    /// the payments made against them), if it has one. `None` (the default): it collects and
    /// sends money only.
    fn references(&self) -> Option<&dyn References> {
        None
    }

    /// Carries out a live payment's next action (`payment.progress.step` says which: the
    /// connector's own bookkeeping) and says what the operator answered.
    fn collect<'a>(
        &'a self,
        payment: &'a Payment,
        creds: &'a Opened,
        now: Timestamp,
    ) -> BoxFuture<'a, Advance>;

    /// Sends a refund or a payout under its reference.
    fn disburse<'a>(
        &'a self,
        out: Outgoing<'a>,
        creds: &'a Opened,
        now: Timestamp,
    ) -> BoxFuture<'a, Outbound>;

    /// Asks the status of a refund or a payout sent before.
    fn disbursement_status<'a>(
        &'a self,
        out: Outgoing<'a>,
        creds: &'a Opened,
        now: Timestamp,
    ) -> BoxFuture<'a, Outbound>;

    /// Asks the operator for a token with each product's credentials (`kumbu connector check`).
    fn check<'a>(&'a self, creds: &'a Opened, now: Timestamp) -> BoxFuture<'a, Vec<ProductCheck>>;

    /// Forgets the tokens of the credentials named `key` (replaced or removed).
    fn forget(&self, key: &str);

    /// Where the operator should call back for `reference`, if callbacks are on.
    fn callback_url(&self, reference: &str) -> Option<String>;
}
