//! The Orange Money connector: in Côte d'Ivoire (`orange_ci`) collection by Web Payment, where
//! the payer pays on Orange's own page (`page.rs`); in Cameroon (`orange_cm`) by Orange
//! Cameroon's prompt API, where the payer approves on their phone as with MTN (`prompt.rs`);
//! and, in `simulator`, a local stand-in for both APIs which PyPI `o-money` accepts.
//!
//! How a payment moves: the payment is created with a hand-over token (`/pay/go/{token}`, what
//! the merchant or Kumbu's page sends the payer to) and a reference; the connector makes a page
//! at Orange (`webpayment`), whose URL the hand-over then redirects to, and asks its status
//! (`transactionstatus`) until Orange ends it (`collect.rs`). Orange's notification to
//! `notif_url` carries the `notif_token` it gave for that page, and nothing else proves it is
//! Orange's: one without it is ignored, one with it only makes the payment due, so that the
//! status is asked. Orange's Web Payment API moves no money out: refunds and payouts are refused
//! before anything is created (a merchant refunds an Orange payer by a payout through another
//! operator, or in Orange's own portal).
//!
//! Layout: `settings` (a merchant's keys, checked), `page` (Web Payment's pages and their
//! status), `memo` (what is kept of a page), `prompt` (Cameroon's prompts, and what is kept of
//! one), `client` (the HTTP calls and their classification), `wire` (Orange's JSON),
//! `simulator/` (Orange's APIs, locally).
//!
//! Sources: `../shared/reference/connectors.md` §1.2 (WebPay), §2 (PyPI `o-money`), §4
//! (`notif_token`, resolving unknown outcomes).

pub mod client;
pub mod memo;
mod page;
mod prompt;
pub mod settings;
pub mod simulator;
pub mod wire;

use crate::connector::{
    BoxFuture, CallError, Callback, Checked, Connector, Duty, Flow, Opened, Outbound, Outgoing,
    ProductCheck, SettingsError,
};
use crate::{Advance, Next, Notice, Via};
use client::{Client, OrangeStatus};
use kumbu_core::{FailureCode, Operator, Payment, Timestamp};
use memo::Memo;
use prompt::PromptMemo;
use settings::Settings;
use std::time::Duration;

/// The connector's path segment: Orange notifies `<public URL>/callbacks/orange-money/{reference}`.
pub const SLUG: &str = "orange-money";

/// Orange's production API.
pub const PRODUCTION_URL: &str = "https://api.orange.com";

/// What starts every reference of this connector.
const REFERENCE_PREFIX: &str = "OM";

/// Random characters after the prefix (an order id is the reference, `-` and the attempt: at
/// most 30 characters, as Orange allows).
const REFERENCE_RANDOM: usize = 22;

/// The connector: Orange's API at one base URL, and the gateway's public URL (where Orange
/// notifies, and where payers come back to).
#[derive(Debug)]
pub struct OrangeMoney {
    client: Client,
    public_base: Option<String>,
    poll_every: Duration,
}

impl OrangeMoney {
    /// A connector to the API at `base_url`, with the gateway's public URL `public_base`
    /// (`None`: no page can be made, as Orange needs return and notification URLs), asking
    /// statuses every `poll_every`, with `timeout` per call.
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
}

impl OrangeMoney {
    /// Where Orange notifies about `reference`, if the gateway's public URL is known.
    fn notif_url(&self, reference: &str) -> Option<String> {
        self.public_base
            .as_ref()
            .map(|b| format!("{b}/callbacks/{SLUG}/{reference}"))
    }

    /// What Orange's word on a page or a prompt means for the payment at `step`; `keep` writes
    /// Orange's transaction id into the connector's memo. (`INITIATED` waits here; a prompt
    /// reads it first, as "never sent".)
    fn read_status(
        &self,
        p: &Payment,
        step: u32,
        status: OrangeStatus,
        keep: impl FnOnce(Option<String>) -> String,
    ) -> Advance {
        let accepted = || Notice::Accepted {
            operator_reference: p.operator_reference.clone().unwrap_or_default(),
        };
        match status {
            OrangeStatus::Initiated => Advance::wait(step, self.poll_every),
            OrangeStatus::Other(status) => {
                tracing::debug!(payment = %p.id, status, "Orange status not final");
                Advance::wait(step, self.poll_every)
            }
            // The payer is on Orange's page, or has the prompt.
            OrangeStatus::Pending => Advance {
                via: Via::Poll,
                notices: vec![accepted(), Notice::Prompted],
                step,
                next: Next::After(self.poll_every),
                memo: None,
            },
            OrangeStatus::Success(txnid) => Advance {
                via: Via::Poll,
                notices: vec![accepted(), Notice::Debited, Notice::Settled],
                step,
                next: Next::Done,
                memo: Some(keep(txnid)),
            },
            OrangeStatus::Failed(txnid) => Advance {
                memo: Some(keep(txnid)),
                ..Advance::failed(Via::Poll, step, FailureCode::PaymentDeclined, "FAILED")
            },
            OrangeStatus::Expired => {
                Advance::failed(Via::Poll, step, FailureCode::PaymentExpired, "EXPIRED")
            }
        }
    }

    /// A live payment's next action, by Web Payment's page or Cameroon's prompt.
    async fn collect_payment(&self, p: &Payment, creds: &Opened, now: Timestamp) -> Advance {
        let step = p.progress.step;
        let Some(settings) = settings::open(creds) else {
            return Advance::wait(step, self.poll_every);
        };
        let Some(reference) = p.operator_reference.as_deref() else {
            tracing::error!(payment = %p.id, "a live Orange payment has no reference; it was not created for this connector");
            return Advance::failed(
                Via::Request,
                step,
                FailureCode::ProviderError,
                "NO_REFERENCE",
            );
        };
        let flow = self.flow(p.operator);
        match (
            flow,
            settings.web_pay(&creds.key),
            settings.prompt(&creds.key),
        ) {
            (Flow::Page, Some(web), _) => self.by_page(p, &settings, &web, now, reference).await,
            (Flow::Prompt, _, Some(prompt)) => self.by_prompt(p, &prompt, now, reference).await,
            // The merchant's settings lack what this operator needs: nothing was sent, unless
            // an earlier try was (then it is asked about once they are set again).
            (Flow::Page, None, _) | (Flow::Prompt, _, None) => {
                tracing::error!(payment = %p.id, ?flow, "the merchant's Orange settings lack the keys this operator needs (web_payment for orange_ci, cameroon_prompt for orange_cm)");
                if step.is_multiple_of(2) {
                    Advance::failed(
                        Via::Request,
                        step,
                        FailureCode::ProviderUnavailable,
                        "NO_CREDENTIALS",
                    )
                } else {
                    Advance::wait(step, self.poll_every)
                }
            }
        }
    }
}

impl Connector for OrangeMoney {
    fn name(&self) -> &'static str {
        "Orange Money"
    }

    fn slug(&self) -> &'static str {
        SLUG
    }

    fn operators(&self) -> &'static [Operator] {
        &[Operator::OrangeCi, Operator::OrangeCm]
    }

    fn disburses(&self) -> bool {
        false
    }

    fn flow(&self, op: Operator) -> Flow {
        match op {
            // Cameroon has a prompt API; Côte d'Ivoire has none (connectors.md §1.3).
            Operator::OrangeCm => Flow::Prompt,
            Operator::OrangeCi
            | Operator::Cvmovel
            | Operator::UnitelTmais
            | Operator::Multicaixa
            | Operator::MpesaMz
            | Operator::Emola
            | Operator::MtnCi
            | Operator::MoovCi
            | Operator::WaveCi
            | Operator::MtnCm
            | Operator::Mock
            | Operator::External => Flow::Page,
        }
    }

    fn payer_url(&self, memo: &str) -> Option<String> {
        Memo::read(Some(memo)).map(|m| m.payment_url)
    }

    fn callback_reference(&self, path: &str, _body: &[u8]) -> Option<String> {
        self.is_reference(path).then(|| path.to_owned())
    }

    fn checks_callbacks(&self) -> bool {
        true
    }

    fn genuine_callback(&self, callback: &Callback<'_>) -> bool {
        // A page's memo is read first: its fields would also read as a prompt's, and a page's
        // pay_token is in the URL its payer holds, so it proves nothing.
        match Memo::read(callback.memo) {
            Some(page) => page.genuine(callback.body),
            None => PromptMemo::read(callback.memo).is_some_and(|m| m.genuine(callback.body)),
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
            Duty::Collect => settings::open(creds).is_some(),
            // Web Payment moves no money out.
            Duty::Disburse | Duty::Refund => false,
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
        _out: Outgoing<'a>,
        _creds: &'a Opened,
        _now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        // Never reached: `can(Disburse)` is false, so nothing is created to send.
        Box::pin(async {
            Outbound::Failed {
                code: FailureCode::ProviderUnavailable,
                operator_code: "NOT_SUPPORTED".to_owned(),
            }
        })
    }

    fn disbursement_status<'a>(
        &'a self,
        out: Outgoing<'a>,
        creds: &'a Opened,
        now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        self.disburse(out, creds, now)
    }

    fn check<'a>(&'a self, creds: &'a Opened, now: Timestamp) -> BoxFuture<'a, Vec<ProductCheck>> {
        Box::pin(async move {
            let Some(s) = settings::open(creds) else {
                return vec![ProductCheck {
                    product: "settings",
                    problem: Some(
                        "the sealed settings do not read as Orange Money settings; set them again"
                            .to_owned(),
                    ),
                }];
            };
            let problem = |r: Result<_, CallError>| r.err().map(|e| e.to_string());
            let mut out = Vec::new();
            if let Some(web) = s.web_pay(&creds.key) {
                out.push(ProductCheck {
                    product: "web_payment",
                    problem: problem(self.client.token(&web, now).await),
                });
            }
            if let Some(prompt) = s.prompt(&creds.key) {
                out.push(ProductCheck {
                    product: "cameroon_prompt",
                    problem: problem(self.client.prompt_token(&prompt, now).await),
                });
            }
            out
        })
    }

    fn forget(&self, key: &str) {
        self.client.forget(key);
    }

    fn callback_url(&self, reference: &str) -> Option<String> {
        self.notif_url(reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_make_order_ids_orange_accepts() {
        let c = OrangeMoney::new(
            PRODUCTION_URL,
            Some("https://pay.example.com/"),
            Duration::from_secs(5),
            Duration::from_secs(5),
        );
        let r = c.new_reference();
        assert!(c.is_reference(&r), "{r}");
        assert_ne!(r, c.new_reference());
        // Attempts up to 99,999 keep the order id within Orange's 30 characters.
        assert!(format!("{r}-99999").len() <= 30);
        for bad in [
            "",
            "OM",
            "om1234567890123456789012",
            "OMabc/../x",
            &format!("{r}x"),
        ] {
            assert!(!c.is_reference(bad), "{bad}");
        }
        assert_eq!(
            c.callback_url(&r).unwrap(),
            format!("https://pay.example.com/callbacks/orange-money/{r}")
        );
        assert!(!c.disburses());
        assert_eq!(c.flow(Operator::OrangeCi), Flow::Page);
    }
}
