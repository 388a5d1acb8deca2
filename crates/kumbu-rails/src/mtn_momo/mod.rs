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

//!
//! Layout: `settings` (a merchant's keys, checked), `collect` (requests to pay), `disburse`
//! (refunds and transfers), `client` (the HTTP calls and their classification), `wire` (MTN's
//! JSON), `reasons` (MTN's codes mapped to ours), `simulator/` (MTN's API, locally).

mod client;
mod collect;
mod disburse;
pub mod reasons;
mod settings;
pub mod simulator;
pub mod wire;

pub use client::{Client, Kind, Posted};
pub use settings::{Credentials, Product, ProductKeys, ProductSettings, Settings};

use crate::connector::{
    operator_code, BoxFuture, CallError, Callback, Checked, Connector, Duty, Flow, Opened,
    Outbound, Outgoing, ProductCheck, SettingsError,
};
use crate::Advance;
use kumbu_core::{FailureCode, Operator, Payment, Timestamp};
use reasons::{Meaning, Reason};
use std::time::Duration;
use wire::TransactionStatus;

/// MTN fails a request to pay that the payer has not approved within five minutes
/// (`COULD_NOT_PERFORM_TRANSACTION`).
pub const APPROVAL_WINDOW: Duration = Duration::from_secs(300);

/// How long after a payment's deadline MTN may still decide a request it holds: its approval
/// window and a minute for clocks and queues.
const EXPIRY_GRACE: Duration = Duration::from_secs(APPROVAL_WINDOW.as_secs() + 60);

/// The connector's path segment: MTN calls back `<public URL>/callbacks/mtn-momo/{reference}`.
pub const SLUG: &str = "mtn-momo";

/// Our code for MTN's account-holder check answering `false` (no active wallet).
pub const NOT_ACTIVE: &str = "ACCOUNT_HOLDER_NOT_ACTIVE";

/// MTN's production API.
pub const PRODUCTION_URL: &str = "https://proxy.momoapi.mtn.com";

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
            .map(|b| format!("{b}/callbacks/{SLUG}/{reference}"))
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
}

/// What a refusal means: our code, and MTN's (its code, or the HTTP status when it gave none).
fn refusal(status: u16, code: String) -> (FailureCode, String) {
    let ours = match Reason::parse(&code).meaning() {
        Meaning::Failed(c) => c,
        Meaning::Undecided => FailureCode::ProviderError,
    };
    (ours, operator_code(status, code))
}

/// The reason of a `FAILED` status (`FAILED` itself when MTN gave none).
fn reason_of(s: &TransactionStatus) -> Reason {
    s.reason
        .as_ref()
        .map(|r| Reason::parse(r.code()))
        .unwrap_or(Reason::Other("FAILED".to_owned()))
}

/// A short pause before asking again after an unknown outcome.
fn retry_after(poll_every: Duration) -> Duration {
    poll_every.min(Duration::from_secs(2))
}

impl Connector for MtnMomo {
    fn name(&self) -> &'static str {
        "MTN MoMo"
    }

    fn slug(&self) -> &'static str {
        SLUG
    }

    fn operators(&self) -> &'static [Operator] {
        &[Operator::MtnCi, Operator::MtnCm]
    }

    fn disburses(&self) -> bool {
        true
    }

    fn flow(&self, _op: Operator) -> Flow {
        Flow::Prompt
    }

    fn payer_url(&self, _memo: &str) -> Option<String> {
        None
    }

    fn callback_reference(&self, path: &str, _body: &[u8]) -> Option<String> {
        is_reference(path).then(|| path.to_owned())
    }

    fn checks_callbacks(&self) -> bool {
        false
    }

    fn genuine_callback(&self, _callback: &Callback<'_>) -> bool {
        true
    }

    fn settings(&self, given: serde_json::Value) -> Result<Checked, SettingsError> {
        let settings = Settings::given(given)?;
        Checked::of(&settings, settings.summary())
    }

    fn read(&self, creds: &Opened) -> Result<(), SettingsError> {
        Settings::sealed(creds).map(|_| ())
    }

    fn can(&self, creds: &Opened, duty: Duty) -> bool {
        let product = match duty {
            Duty::Collect => Product::Collection,
            Duty::Disburse | Duty::Refund => Product::Disbursement,
        };
        Credentials::open(creds).is_some_and(|c| c.product(product).is_some())
    }

    fn new_reference(&self) -> String {
        new_reference()
    }

    fn is_reference(&self, text: &str) -> bool {
        is_reference(text)
    }

    fn collect<'a>(
        &'a self,
        payment: &'a Payment,
        creds: &'a Opened,
        now: Timestamp,
    ) -> BoxFuture<'a, Advance> {
        Box::pin(self.collect_payment(payment, creds, now))
    }

    fn disburse<'a>(
        &'a self,
        out: Outgoing<'a>,
        creds: &'a Opened,
        now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        Box::pin(self.money_out(out, creds, now, true))
    }

    fn disbursement_status<'a>(
        &'a self,
        out: Outgoing<'a>,
        creds: &'a Opened,
        now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        Box::pin(self.money_out(out, creds, now, false))
    }

    fn check<'a>(&'a self, creds: &'a Opened, now: Timestamp) -> BoxFuture<'a, Vec<ProductCheck>> {
        Box::pin(async move {
            let Some(c) = Credentials::open(creds) else {
                return vec![ProductCheck {
                    product: "settings",
                    problem: Some(
                        "the sealed settings do not read as MTN settings; set them again"
                            .to_owned(),
                    ),
                }];
            };
            let mut out = Vec::new();
            for product in Product::ALL {
                if c.product(product).is_none() {
                    continue;
                }
                let problem = match self.client.token(&c, product, now).await {
                    Ok(_) => None,
                    Err(
                        e @ (CallError::Unknown(_)
                        | CallError::Refused { .. }
                        | CallError::Unauthorized(_)),
                    ) => Some(e.to_string()),
                };
                out.push(ProductCheck {
                    product: product.as_str(),
                    problem,
                });
            }
            out
        })
    }

    fn forget(&self, key: &str) {
        self.client.forget(key);
    }

    fn callback_url(&self, reference: &str) -> Option<String> {
        self.callback_url(reference)
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
