//! Collection by Wave's Checkout API: a checkout session made at Wave (even steps), whose
//! `wave_launch_url` Kumbu's hand-over sends the payer to, then the session read back (odd
//! steps) until Wave ends it. As for Orange's pages: attempt `k` is made at step `2k`; an odd
//! step with no memo of its attempt (a call whose outcome never committed, a process killed
//! mid-call) makes a new session, since nobody ever had the lost one's URL; a session once made
//! is read until Wave completes or expires it, never failed on Kumbu's clock: at the payment's
//! deadline Kumbu asks Wave to expire a session still open, and the next read says whether it
//! expired or was paid first. A payer whose payment fails on Wave's page may try again there:
//! the session stays open.

use super::wire::{Session, SessionRequest};
use super::Wave;
use crate::connector::pages::{page_step, PageStep};
use crate::connector::{operator_code, CallError};
use crate::{Advance, Next, Notice, Via};
use kumbu_core::{FailureCode, Payment, Timestamp};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the connector keeps of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memo {
    /// The attempt (`step / 2`) it was made at.
    pub attempt: u32,
    /// `cos-…`.
    pub session_id: String,
    /// Where the payer pays.
    pub launch_url: String,
    /// Wave's transaction id, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

/// How long after a payment's deadline a session Wave no longer knows is still asked about.
const SESSION_GRACE: Duration = Duration::from_secs(3600);

impl Memo {
    /// Reads a memo the connector wrote.
    pub fn read(text: Option<&str>) -> Option<Self> {
        serde_json::from_str(text?).ok()
    }

    fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Wave {
    /// A live payment's next action: make its session (even step) or read it (odd step).
    pub(super) async fn by_session(
        &self,
        p: &Payment,
        key: &SecretString,
        now: Timestamp,
        reference: &str,
    ) -> Advance {
        let step = p.progress.step;
        match page_step(p, now, Memo::read, |m| m.attempt) {
            PageStep::Unreadable => {
                tracing::error!(payment = %p.id, "this payment's Wave memo does not read; it waits for a version that reads it");
                Advance::wait(step, self.poll_every)
            }
            PageStep::Ask(memo) => self.read_session(p, key, now, memo).await,
            PageStep::Expired => Advance::failed(
                Via::Request,
                step,
                FailureCode::PaymentExpired,
                "NO_SESSION",
            ),
            PageStep::NextAttempt => Advance::next_attempt(step),
            PageStep::Make { attempt } => self.make_session(p, key, reference, attempt).await,
        }
    }

    async fn make_session(
        &self,
        p: &Payment,
        key: &SecretString,
        reference: &str,
        attempt: u32,
    ) -> Advance {
        let step = p.progress.step;
        let (Some(base), Some(handover)) = (&self.public_base, &p.handover) else {
            tracing::error!(payment = %p.id, "a Wave checkout needs the gateway's public URL (--public-url) and a hand-over token");
            return Advance::failed(
                Via::Request,
                step,
                FailureCode::ProviderError,
                "NO_RETURN_URL",
            );
        };
        if p.currency.code() != "XOF" {
            return Advance::failed(Via::Request, step, FailureCode::ProviderError, "CURRENCY");
        }
        let back = format!("{base}/pay/go/{handover}/back");
        let amount = p.amount.to_string();
        let body = SessionRequest {
            amount: &amount,
            currency: "XOF",
            success_url: &back,
            error_url: &back,
            client_reference: reference,
        };
        match self.client.create_session(key, &body).await {
            // Wave's page must be a web page: anything else is not sent to a payer.
            Ok(s) if !crate::connector::is_web_url(&s.wave_launch_url) => {
                tracing::error!(payment = %p.id, "Wave answered a wave_launch_url that is not an http(s) URL; no payer is sent there");
                Advance::failed(
                    Via::Request,
                    step,
                    FailureCode::ProviderError,
                    "BAD_LAUNCH_URL",
                )
            }
            Ok(s) => {
                let memo = Memo {
                    attempt,
                    session_id: s.id,
                    launch_url: s.wave_launch_url,
                    transaction_id: None,
                };
                Advance::accepted(reference, step, self.poll_every, Some(memo.text()))
            }
            Err(e) => e.fails_request(&p.id, step, "Wave: the checkout session", |why| {
                tracing::warn!(payment = %p.id, reason = %why, "Wave checkout session: outcome unknown; a new one will be made");
                Advance::wait(step + 2, self.poll_every.min(Duration::from_secs(2)))
            }),
        }
    }

    async fn read_session(
        &self,
        p: &Payment,
        key: &SecretString,
        now: Timestamp,
        memo: Memo,
    ) -> Advance {
        let step = p.progress.step;
        let s: Session = match self.client.session(key, &memo.session_id).await {
            Ok(s) => s,
            // Wave no longer knows the session, long after the deadline: nobody can pay it.
            Err(CallError::Refused { status, code, .. })
                if now >= p.expires_at.plus(SESSION_GRACE) =>
            {
                return Advance::failed(
                    Via::Poll,
                    step,
                    FailureCode::PaymentExpired,
                    &operator_code(status, code),
                );
            }
            Err(e) => {
                tracing::warn!(payment = %p.id, reason = %e, "Wave session unknown for now; asking again later");
                return Advance::wait(step, self.poll_every.min(Duration::from_secs(2)));
            }
        };
        let accepted = Notice::Accepted {
            operator_reference: p.operator_reference.clone().unwrap_or_default(),
        };
        let wrong_amount = s
            .amount
            .as_deref()
            .is_some_and(|a| a != p.amount.to_string())
            || s.currency
                .as_deref()
                .is_some_and(|c| c != p.currency.code());
        match (s.checkout_status.as_str(), s.payment_status.as_deref()) {
            ("complete", Some("succeeded")) if wrong_amount => {
                tracing::error!(payment = %p.id, amount = ?s.amount, currency = ?s.currency, "Wave reports another amount or currency than asked: not applied; needs reconciliation");
                Advance::wait(step, self.poll_every)
            }
            ("complete", Some("succeeded" | "refunded")) => Advance {
                via: Via::Poll,
                notices: vec![accepted, Notice::Debited, Notice::Settled],
                step,
                next: Next::Done,
                memo: Some(
                    Memo {
                        transaction_id: s.transaction_id,
                        ..memo
                    }
                    .text(),
                ),
            },
            ("expired", _) => {
                Advance::failed(Via::Poll, step, FailureCode::PaymentExpired, "EXPIRED")
            }
            // Kumbu's deadline has passed and the session still takes payments: close it at
            // Wave, so that nobody pays a payment the merchant was told expired. Then read it
            // again: expired, or paid in the meantime (Wave then refuses to expire it).
            ("open", _) if now >= p.expires_at => {
                match self.client.expire_session(key, &memo.session_id).await {
                    Ok(()) => Advance::wait(step, Duration::ZERO),
                    Err(e) => {
                        tracing::info!(payment = %p.id, reason = %e, "Wave did not expire the session at the deadline; reading it again");
                        Advance::wait(step, self.poll_every.min(Duration::from_secs(2)))
                    }
                }
            }
            (status, payment) => {
                tracing::debug!(payment = %p.id, status, ?payment, "Wave session not final");
                Advance::wait(step, self.poll_every)
            }
        }
    }
}
