//! The Wave connector (Côte d'Ivoire, `wave_ci`): collection by Wave's Checkout API, where the
//! payer pays on Wave's page (`checkout.rs`), like Orange's Web Payment: Kumbu's hand-over
//! (`/pay/go/{token}`) sends them to the session's `wave_launch_url` and Wave back. Wave posts
//! every event to one URL per Wave account, `<public URL>/callbacks/wave/events`, signed
//! `Wave-Signature` ([`signature`]) with the webhook's secret; an event is believed only so
//! signed, and then only as a reason to read the session. Refunds give a session back whole;
//! payouts go out with `idempotency-key` (`disburse.rs`). And its simulator ([`simulator`]): checkout sessions, payouts, signed webhooks.
//!
//! Layout: `settings` (a merchant's key and webhook secret, checked), `checkout` (sessions and
//! their status), `disburse` (refunds and payouts), `client` (the HTTP calls and their classification), `wire` (Wave's JSON),
//! `signature`, `simulator/`.
//!
//! Sources: `../shared/reference/connectors.md` §1.4 (Checkout, Payout, Webhooks), §2 (PyPI
//! `wave-business-api`), §4.

mod checkout;
pub mod client;
mod disburse;
pub mod settings;
pub mod signature;
pub mod simulator;
pub mod wire;

use crate::connector::{
    BoxFuture, Callback, Checked, Connector, Duty, Flow, Opened, Outbound, Outgoing, ProductCheck,
    SettingsError,
};
use crate::{Advance, Via};
use client::Client;
use kumbu_core::{FailureCode, Operator, Payment, Timestamp};
use settings::Settings;
use std::time::Duration;

/// The connector's path segment: Wave posts to `<public URL>/callbacks/wave/events`.
pub const SLUG: &str = "wave";

/// The path segment Wave's webhook is registered under (one per Wave account).
pub const EVENTS: &str = "events";

/// Wave's API.
pub const PRODUCTION_URL: &str = "https://api.wave.com";

/// What starts every reference of this connector (the sessions' `client_reference`).
const REFERENCE_PREFIX: &str = "WV";

/// Random characters after the prefix.
const REFERENCE_RANDOM: usize = 22;

/// The connector: Wave's API at one base URL, and the gateway's public URL.
#[derive(Debug)]
pub struct Wave {
    client: Client,
    public_base: Option<String>,
    poll_every: Duration,
}

impl Wave {
    /// A connector to the API at `base_url`, with the gateway's public URL `public_base` (where
    /// payers come back to and Wave posts events), reading sessions every `poll_every`, with
    /// `timeout` per call.
    pub fn new(
        base_url: &str,
        public_base: Option<&str>,
        poll_every: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            client: Client::new(base_url, timeout),
            public_base: public_base.map(|b| b.trim_end_matches('/').to_owned()),
            poll_every,
        }
    }

    async fn collect_payment(&self, p: &Payment, creds: &Opened, now: Timestamp) -> Advance {
        let step = p.progress.step;
        let Some(settings) = settings::open(creds) else {
            return Advance::wait(step, self.poll_every);
        };
        let Some(reference) = p.operator_reference.as_deref() else {
            tracing::error!(payment = %p.id, "a live Wave payment has no reference; it was not created for this connector");
            return Advance::failed(
                Via::Request,
                step,
                FailureCode::ProviderError,
                "NO_REFERENCE",
            );
        };
        self.by_session(p, &settings.key(), now, reference).await
    }
}

impl Connector for Wave {
    fn name(&self) -> &'static str {
        "Wave"
    }

    fn slug(&self) -> &'static str {
        SLUG
    }

    fn operators(&self) -> &'static [Operator] {
        &[Operator::WaveCi]
    }

    fn disburses(&self) -> bool {
        true
    }

    fn flow(&self, _op: Operator) -> Flow {
        Flow::Page
    }

    fn payer_url(&self, memo: &str) -> Option<String> {
        checkout::Memo::read(Some(memo)).map(|m| m.launch_url)
    }

    fn callback_reference(&self, path: &str, body: &[u8]) -> Option<String> {
        if path != EVENTS {
            return None;
        }
        let event: wire::Event = serde_json::from_slice(body).ok()?;
        if !event.kind.starts_with("checkout.session.") {
            return None;
        }
        event
            .data?
            .client_reference
            .filter(|r| self.is_reference(r))
    }

    fn checks_callbacks(&self) -> bool {
        true
    }

    fn genuine_callback(&self, callback: &Callback<'_>) -> bool {
        let secret = callback
            .creds
            .and_then(settings::open)
            .and_then(|s| s.webhook_secret);
        match (secret, callback.header("wave-signature")) {
            (Some(secret), Some(header)) => {
                signature::verify(header, &secret, callback.body, callback.wall_unix)
            }
            (None, _) | (_, None) => false,
        }
    }

    fn settings(&self, given: serde_json::Value) -> Result<Checked, SettingsError> {
        let settings = Settings::given(given)?;
        Checked::of(&settings, settings.summary())
    }

    fn read(&self, creds: &Opened) -> Result<(), SettingsError> {
        Settings::sealed(creds).map(|_| ())
    }

    fn can(&self, creds: &Opened, duty: Duty) -> bool {
        match duty {
            // One key, with the Checkout and Payout APIs enabled on it in Wave's portal.
            Duty::Collect | Duty::Disburse | Duty::Refund => settings::open(creds).is_some(),
        }
    }

    fn new_reference(&self) -> String {
        crate::connector::prefixed_reference(REFERENCE_PREFIX, REFERENCE_RANDOM)
    }

    fn is_reference(&self, text: &str) -> bool {
        crate::connector::is_prefixed_reference(text, REFERENCE_PREFIX, REFERENCE_RANDOM)
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
        Box::pin(async move {
            match settings::open(creds) {
                Some(s) => self.money_out(out, &s.key(), true).await,
                None => Outbound::Undecided,
            }
        })
    }

    fn disbursement_status<'a>(
        &'a self,
        out: Outgoing<'a>,
        creds: &'a Opened,
        _now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        Box::pin(async move {
            match settings::open(creds) {
                Some(s) => self.money_out(out, &s.key(), false).await,
                None => Outbound::Undecided,
            }
        })
    }

    fn check<'a>(&'a self, creds: &'a Opened, _now: Timestamp) -> BoxFuture<'a, Vec<ProductCheck>> {
        Box::pin(async move {
            let problem = match settings::open(creds) {
                None => Some(
                    "the sealed settings do not read as Wave settings; set them again".to_owned(),
                ),
                Some(s) => self
                    .client
                    .balance(&s.key())
                    .await
                    .err()
                    .map(|e| e.to_string()),
            };
            vec![ProductCheck {
                product: "checkout",
                problem,
            }]
        })
    }

    fn forget(&self, _key: &str) {
        // No tokens: Wave's API key is the Bearer itself.
    }

    fn callback_url(&self, _reference: &str) -> Option<String> {
        self.public_base
            .as_ref()
            .map(|b| format!("{b}/callbacks/{SLUG}/{EVENTS}"))
    }
}
