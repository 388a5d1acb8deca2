//! The M-Pesa Mozambique connector (Vodacom's iPG "v1x"): collection by C2B single stage, payouts
//! by B2C, refunds by reversal, and the status of each by the query API; and, in `simulator`, a
//! local stand-in for that API which PyPI's `paymentsds-mpesa` drives unchanged.
//!
//! How a payment moves (`RailProgress::step` is the connector's bookkeeping):
//! - even step: the C2B request is to be sent. The engine commits the odd step before the call,
//!   as for every connector. The call is *held*: M-Pesa answers only when the payer has entered
//!   their PIN at the USSD prompt, or when it gives up (60–90 s). So the engine makes it outside
//!   its worker's pass, within bounded numbers of such calls in all and per merchant
//!   ([`Connector::held_call`]), leased for as long as the call may last.
//! - odd step: the outcome is unknown (a timeout, a reset, `INS-9`, a 5xx), or an earlier try is
//!   registered (`INS-10`): the query API is asked by the payment's reference (our
//!   `input_ThirdPartyReference`) until M-Pesa decides. A reference M-Pesa does not know (`N/A`)
//!   before the deadline is sent again under the same reference; after the deadline and the
//!   prompt's time, the payment fails, nothing having been charged.
//!
//! There is no token endpoint: every call's Bearer is the API key encrypted (RSA PKCS#1 v1.5)
//! under the merchant's M-Pesa public key, new each time. In this synchronous mode M-Pesa calls
//! nobody back. Only numbers `+258 84…` and `+258 85…` are Vodacom's: others are refused before
//! any call.
//!
//! Layout: `settings` (a merchant's keys, checked), `client` (the calls, their ports and the
//! Bearer), `wire` (the `input_…`/`output_…` JSON), `codes` (`INS-…` mapped to ours), `collect`,
//! `disburse` (payouts, refunds), `simulator/` (M-Pesa's API, locally).

mod client;
pub mod codes;
mod collect;
mod disburse;
mod settings;
pub mod simulator;
pub mod wire;

pub use client::{Client, Op, Said};
pub use collect::Status;
pub use settings::{public_key, Settings};

use crate::connector::{
    is_prefixed_reference, prefixed_reference, BoxFuture, Callback, Checked, Connector, Duty, Flow,
    Opened, Outbound, Outgoing, ProductCheck, SettingsError,
};
use crate::Advance;
use kumbu_core::{Currency, Msisdn, Operator, Payment, Timestamp};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long M-Pesa may take to give up on a payer who does not answer: integrators report 60 to
/// 90 seconds; it is not published.
pub const PROMPT_WINDOW: Duration = Duration::from_secs(90);

/// The connector's path segment (its guide is `docs/operators/mpesa-mz.md`).
pub const SLUG: &str = "mpesa-mz";

/// M-Pesa's production API (each operation on its own port).
pub const PRODUCTION_URL: &str = "https://api.mpesa.vm.co.mz";

/// Our references: `KB` and 18 letters and digits (M-Pesa takes 1 to 20 characters).
const REFERENCE_PREFIX: &str = "KB";
const REFERENCE_RANDOM: usize = 18;

/// The connector: M-Pesa's API at one base URL.
#[derive(Debug)]
pub struct MpesaMz {
    client: Client,
    poll_every: Duration,
    prompt_timeout: Duration,
}

impl MpesaMz {
    /// A connector to the API at `base_url` (with a port: every operation there, as a simulator
    /// serves them), asking every `poll_every` while a payment is undecided, with `timeout` per
    /// call and `prompt_timeout` for the C2B call, which lasts as long as the payer's prompt.
    pub fn new(
        base_url: &str,
        poll_every: Duration,
        timeout: Duration,
        prompt_timeout: Duration,
    ) -> Self {
        Self {
            client: Client::new(base_url, timeout, prompt_timeout),
            poll_every,
            prompt_timeout,
        }
    }
}

impl MpesaMz {
    /// How long after a payment's deadline M-Pesa may still decide a request it holds: the last
    /// request is sent before the deadline, and lasts as long as M-Pesa's prompt window or our
    /// own wait for it (`--operator-prompt-timeout-secs`), whichever is longer; and a minute for
    /// clocks and queues. Only after it does "M-Pesa does not know it" mean nothing was charged.
    fn expiry_grace(&self) -> Duration {
        PROMPT_WINDOW.max(self.prompt_timeout) + Duration::from_secs(60)
    }
}

/// What the connector keeps of a paid payment: M-Pesa's transaction id, which a refund reverses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memo {
    /// `output_TransactionID`.
    pub transaction_id: String,
}

impl Memo {
    fn new(transaction_id: &str) -> Self {
        Self {
            transaction_id: transaction_id.to_owned(),
        }
    }

    fn write(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a payment's memo.
    pub fn read(memo: Option<&str>) -> Option<Self> {
        serde_json::from_str(memo?).ok()
    }
}

/// An amount as M-Pesa takes it: whole meticais alone (`7500`), else with the centavos
/// (`7500.50`).
fn amount_text(currency: Currency, minor: i64) -> String {
    let text = currency.format_decimal(minor);
    match text.strip_suffix(".00") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

/// `Some(M-Pesa's code)` when `phone` is not a Vodacom number (`+258 84…`, `+258 85…`).
fn not_vodacom(phone: &Msisdn) -> Option<&'static str> {
    let national = phone.digits().strip_prefix("258")?;
    (!(national.starts_with("84") || national.starts_with("85"))).then_some("INS-2051")
}

/// A new reference for a status query (every request carries one of its own).
fn query_reference() -> String {
    prefixed_reference("KQ", REFERENCE_RANDOM)
}

/// A short pause before asking again after an unknown outcome.
fn retry_after(poll_every: Duration) -> Duration {
    poll_every.min(Duration::from_secs(2))
}

impl Connector for MpesaMz {
    fn name(&self) -> &'static str {
        "M-Pesa"
    }

    fn slug(&self) -> &'static str {
        SLUG
    }

    fn operators(&self) -> &'static [Operator] {
        &[Operator::MpesaMz]
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

    fn callback_reference(&self, _path: &str, _body: &[u8]) -> Option<String> {
        // The synchronous API calls nobody back.
        None
    }

    fn checks_callbacks(&self) -> bool {
        true
    }

    fn genuine_callback(&self, _callback: &Callback<'_>) -> bool {
        false
    }

    fn settings(&self, given: serde_json::Value) -> Result<Checked, SettingsError> {
        let settings = Settings::given(given)?;
        Checked::of(&settings, settings.summary())
    }

    fn read(&self, creds: &Opened) -> Result<(), SettingsError> {
        Settings::sealed(creds).map(|_| ())
    }

    fn can(&self, creds: &Opened, duty: Duty) -> bool {
        settings::open(creds).is_some_and(|s| match duty {
            // B2C needs only the API key and the short code.
            Duty::Collect | Duty::Disburse => true,
            // Refunds are reversals, made by the merchant's initiator.
            Duty::Refund => s.reverses(),
        })
    }

    fn new_reference(&self) -> String {
        prefixed_reference(REFERENCE_PREFIX, REFERENCE_RANDOM)
    }

    fn is_reference(&self, text: &str) -> bool {
        is_prefixed_reference(text, REFERENCE_PREFIX, REFERENCE_RANDOM)
    }

    fn held_call(&self, payment: &Payment) -> Option<Duration> {
        // Sending is the C2B call, held until the payer answers; asking is quick.
        payment
            .progress
            .step
            .is_multiple_of(2)
            .then_some(self.prompt_timeout)
    }

    fn payer_problem(&self, _op: Operator, phone: &Msisdn) -> Option<String> {
        not_vodacom(phone).map(|_| {
            format!(
                "{phone} is not a Vodacom M-Pesa number: M-Pesa numbers start +258 84 or +258 85"
            )
        })
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
        _now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        Box::pin(self.money_out(out, creds, true))
    }

    fn disbursement_status<'a>(
        &'a self,
        out: Outgoing<'a>,
        creds: &'a Opened,
        _now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        Box::pin(self.money_out(out, creds, false))
    }

    fn check<'a>(&'a self, creds: &'a Opened, _now: Timestamp) -> BoxFuture<'a, Vec<ProductCheck>> {
        Box::pin(async move {
            let Some(s) = settings::open(creds) else {
                return vec![ProductCheck {
                    product: "settings",
                    problem: Some(
                        "the sealed settings do not read as M-Pesa settings; set them again"
                            .to_owned(),
                    ),
                }];
            };
            // M-Pesa has no token endpoint: a query about a reference nobody used shows whether
            // the key and the short code are taken.
            let problem = match self
                .client
                .call(
                    Op::Query,
                    &s,
                    &wire::Query {
                        third_party_reference: query_reference(),
                        query_reference: query_reference(),
                        service_provider_code: s.service_provider_code.clone(),
                    },
                )
                .await
            {
                Said::Done(_) => None,
                Said::Credentials(why) | Said::Unknown(why) => Some(why),
                Said::Duplicate => None,
                Said::Failed { operator_code, .. } => Some(format!(
                    "M-Pesa answered {operator_code} ({})",
                    codes::description(&operator_code)
                )),
            };
            vec![ProductCheck {
                product: "api_key",
                problem,
            }]
        })
    }

    fn forget(&self, _key: &str) {
        // No tokens: every call makes its own Bearer.
    }

    fn callback_url(&self, _reference: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_numbers_as_mpesa_takes_them() {
        assert_eq!(amount_text(Currency::Mzn, 750_000), "7500");
        assert_eq!(amount_text(Currency::Mzn, 320_050), "3200.50");
        let ok = Msisdn::parse("+258841234567").unwrap();
        let other = Msisdn::parse("+258821234567").unwrap();
        assert_eq!(not_vodacom(&ok), None);
        assert_eq!(not_vodacom(&other), Some("INS-2051"));
        let c = MpesaMz::new(
            PRODUCTION_URL,
            Duration::from_secs(1),
            Duration::from_secs(1),
            Duration::from_secs(1),
        );
        let r = c.new_reference();
        assert!(r.len() <= 20 && c.is_reference(&r), "{r}");
    }
}
