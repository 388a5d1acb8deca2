//! Collection by Orange Cameroon's prompt API (`orange_cm`): the payer approves a USSD prompt on
//! their phone, as with MTN. A payToken (`mp/init`), then the prompt (`mp/pay`), then its status
//! (`mp/paymentstatus`) until Orange decides.
//!
//! Steps: even with no memo, a payToken is asked for, and kept in the memo (it prompts nobody, so
//! one lost to a timeout is simply never used, and a new one is asked for two steps later); even
//! with the memo, the prompt is sent under it; odd, its status is asked. The engine commits the
//! odd step before each call, so a process that dies during `mp/pay` leaves a payment whose
//! payToken is asked about: `INITIATED` (the prompt never reached Orange) sends it again under
//! the same payToken, which Orange accepts once only, so a payer is never prompted twice for one
//! payment.

use super::client::{OrangeStatus, Prompt, PromptRequest};
use super::OrangeMoney;
use crate::connector::CallError;
use crate::{Advance, Next, Notice, Via};
use kumbu_core::{FailureCode, Payment, Timestamp};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long after a payment's deadline a payToken Orange still reports `INITIATED` is asked
/// about: by then Orange's own window has closed.
const PROMPT_GRACE: Duration = Duration::from_secs(3600);

/// Cameroon's country code, which `subscriberMsisdn` goes without.
const CAMEROON: &str = "237";

/// What the connector keeps of a prompt: its payToken and order id, and Orange's transaction id
/// once paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptMemo {
    /// From `mp/init`.
    pub pay_token: String,
    /// The order id the prompt is sent under.
    pub order_id: String,
    /// Whether a prompt may have reached Orange under it (a send was tried): from then on a
    /// refusal is only a reason to ask, and Kumbu's deadline never fails the payment.
    #[serde(default)]
    pub maybe_sent: bool,
    /// Orange's transaction id, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txnid: Option<String>,
}

impl PromptMemo {
    /// Reads a memo the connector wrote (`None`: none, or a page's).
    pub fn read(text: Option<&str>) -> Option<Self> {
        serde_json::from_str(text?).ok()
    }

    fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether a notification names this prompt's payToken (Orange signs nothing; the payToken
    /// is known only to Orange and Kumbu).
    pub fn genuine(&self, body: &[u8]) -> bool {
        #[derive(Deserialize)]
        struct Notification {
            #[serde(rename = "payToken")]
            pay_token: String,
        }
        serde_json::from_slice::<Notification>(body)
            .is_ok_and(|n| super::memo::same_secret(&n.pay_token, &self.pay_token))
    }
}

fn now_again(step: u32, memo: Option<String>) -> Advance {
    Advance {
        via: Via::Request,
        notices: Vec::new(),
        step,
        next: Next::After(Duration::ZERO),
        memo,
    }
}

impl OrangeMoney {
    /// A Cameroon prompt's next action.
    pub(super) async fn by_prompt(
        &self,
        p: &Payment,
        creds: &Prompt,
        now: Timestamp,
        reference: &str,
    ) -> Advance {
        let step = p.progress.step;
        let memo = PromptMemo::read(p.rail_memo.as_deref());
        if memo.is_none() && p.rail_memo.is_some() {
            // Another version's memo: never guess (a new payToken could prompt twice).
            tracing::error!(payment = %p.id, "this payment's Orange memo does not read; it waits for a version that reads it");
            return Advance::wait(step, self.poll_every);
        }
        match (step.is_multiple_of(2), memo) {
            (false, Some(memo)) => self.ask_prompt(p, creds, now, memo).await,
            // Died while asking for a payToken: ask for another.
            (false, None) => Advance::next_attempt(step),
            // A prompt that may have reached Orange is only ever asked about.
            (true, Some(memo)) if memo.maybe_sent && now >= p.expires_at => Advance {
                via: Via::Poll,
                notices: Vec::new(),
                step: step + 1,
                next: Next::After(self.poll_every),
                memo: None,
            },
            // Never prompted: after the deadline, never.
            (true, _) if now >= p.expires_at => {
                Advance::failed(Via::Request, step, FailureCode::PaymentExpired, "NOT_SENT")
            }
            (true, None) => self.init(p, creds, now, reference).await,
            (true, Some(memo)) => self.prompt(p, creds, now, memo).await,
        }
    }

    /// Asks for a payToken (an even step with no memo).
    async fn init(&self, p: &Payment, creds: &Prompt, now: Timestamp, reference: &str) -> Advance {
        let step = p.progress.step;
        match self.client.mp_init(creds, now).await {
            Ok(pay_token) => {
                let memo = PromptMemo {
                    pay_token,
                    order_id: format!("{reference}-{}", step / 2),
                    maybe_sent: false,
                    txnid: None,
                };
                now_again(step + 2, Some(memo.text()))
            }
            Err(e) => e.fails_request(&p.id, step, "Orange Cameroon: mp/init", |why| {
                tracing::warn!(payment = %p.id, reason = %why, "Orange mp/init: outcome unknown; a new payToken will be asked for");
                Advance::wait(step + 2, self.poll_every.min(Duration::from_secs(2)))
            }),
        }
    }

    /// Sends the prompt under the memo's payToken (an even step).
    async fn prompt(
        &self,
        p: &Payment,
        creds: &Prompt,
        now: Timestamp,
        memo: PromptMemo,
    ) -> Advance {
        let step = p.progress.step;
        let Some(subscriber) = p
            .payer_phone
            .as_ref()
            .and_then(|ph| ph.digits().strip_prefix(CAMEROON).map(str::to_owned))
        else {
            return Advance::failed(
                Via::Request,
                step,
                FailureCode::PayerNotFound,
                "NOT_CAMEROON",
            );
        };
        let (Some(notif_url), Some(reference)) = (
            p.operator_reference
                .as_deref()
                .and_then(|r| self.notif_url(r)),
            p.operator_reference.as_deref(),
        ) else {
            return Advance::failed(
                Via::Request,
                step,
                FailureCode::ProviderError,
                "NO_NOTIF_URL",
            );
        };
        let description = p
            .statement_descriptor
            .clone()
            .or_else(|| p.description.clone())
            .unwrap_or_else(|| format!("Paiement {}", p.reference.as_deref().unwrap_or(reference)));
        let description: String = description.chars().take(100).collect();
        let request = PromptRequest {
            pay_token: &memo.pay_token,
            order_id: &memo.order_id,
            amount: p.amount,
            subscriber: &subscriber,
            notif_url: &notif_url,
            description: &description,
        };
        let accepted = Notice::Accepted {
            operator_reference: reference.to_owned(),
        };
        match self.client.mp_pay(creds, now, &request).await {
            Ok(_) => Advance {
                via: Via::Request,
                notices: vec![accepted, Notice::Prompted],
                step: step + 1,
                next: Next::After(self.poll_every),
                memo: None,
            },
            // The payToken was used already (409), or refused after an earlier try may have
            // reached Orange (Orange's code for a reused payToken is not documented): ask.
            Err(CallError::Refused { status, .. }) if status == 409 || memo.maybe_sent => Advance {
                via: Via::Request,
                notices: Vec::new(),
                step: step + 1,
                next: Next::After(self.poll_every),
                memo: None,
            },
            Err(e) => e.fails_request(&p.id, step, "Orange Cameroon: the prompt", |why| {
                tracing::warn!(payment = %p.id, reason = %why, "Orange mp/pay: outcome unknown; its status will be asked");
                Advance::wait(step + 1, self.poll_every.min(Duration::from_secs(2)))
            }),
        }
    }

    /// Asks the prompt's status (an odd step).
    async fn ask_prompt(
        &self,
        p: &Payment,
        creds: &Prompt,
        now: Timestamp,
        memo: PromptMemo,
    ) -> Advance {
        let step = p.progress.step;
        match self.client.mp_status(creds, now, &memo.pay_token).await {
            // Past the deadline and Orange's window, a payToken no prompt reached is dead.
            Ok(OrangeStatus::Initiated) if now >= p.expires_at.plus(PROMPT_GRACE) => {
                Advance::failed(Via::Poll, step, FailureCode::PaymentExpired, "INITIATED")
            }
            // The prompt has not reached Orange (yet: a send may still be on its way): send it
            // again under the same payToken after a pause, which Orange takes once only; from
            // now on a refusal is only a reason to ask.
            Ok(OrangeStatus::Initiated) => Advance {
                via: Via::Poll,
                notices: Vec::new(),
                step: step + 1,
                next: Next::After(self.poll_every.min(Duration::from_secs(2))),
                memo: Some(
                    PromptMemo {
                        maybe_sent: true,
                        ..memo
                    }
                    .text(),
                ),
            },
            Ok(status) => self.read_status(p, step, status, |txnid| {
                PromptMemo {
                    txnid,
                    ..memo.clone()
                }
                .text()
            }),
            Err(e) => {
                tracing::warn!(payment = %p.id, reason = %e, "Orange mp/paymentstatus unknown for now; asking again later");
                Advance::wait(step, self.poll_every.min(Duration::from_secs(2)))
            }
        }
    }
}
