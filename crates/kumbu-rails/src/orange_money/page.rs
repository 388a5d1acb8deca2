//! Collection by Web Payment (`orange_ci`): a payment page made at Orange (even steps), then its
//! status asked until Orange decides (odd steps). The memo of the page is what makes an odd step
//! askable.
//!
//! Attempt `k` is made at step `2k` under order id `<reference>-<k>`. The engine commits the odd
//! step before the call, so a process that dies mid-call leaves step `2k + 1` with no memo of
//! attempt `k`: nobody ever had that page's URL (the payer only reaches a page through the
//! memo), so a new page, under a new order id, is made — never the same order id twice, which
//! Orange refuses. A `webpayment` whose outcome is unknown (a timeout, a 5xx) is left the same
//! way. A page that was made is asked about until Orange ends it (`SUCCESS`, `FAILED`,
//! `EXPIRED`): our own deadline never fails a payment the payer may be paying.

use super::client::{OrangeStatus, PageRequest, WebPay};
use super::memo::Memo;
use super::settings::Settings;
use super::OrangeMoney;
use crate::connector::pages::{page_step, PageStep};
use crate::connector::{operator_code, CallError};
use crate::{Advance, Via};
use kumbu_core::{FailureCode, Payment, Timestamp};
use std::time::Duration;

/// The most characters of the reference Orange shows the payer.
const SHOWN_REFERENCE: usize = 30;

/// How long after a payment's deadline a page Orange keeps refusing to report on is still asked
/// about: Orange closes its pages within minutes, so by then nobody can be paying it.
const PAGE_GRACE: Duration = Duration::from_secs(3600);

impl OrangeMoney {
    /// A Web Payment's next action: make its page (even step) or ask about it (odd step).
    pub(super) async fn by_page(
        &self,
        payment: &Payment,
        settings: &Settings,
        web: &WebPay,
        now: Timestamp,
        reference: &str,
    ) -> Advance {
        let step = payment.progress.step;
        match page_step(payment, now, Memo::read, |m| m.attempt) {
            PageStep::Unreadable => {
                tracing::error!(payment = %payment.id, "this payment's Orange memo does not read; it waits for a version that reads it");
                Advance::wait(step, self.poll_every)
            }
            PageStep::Ask(memo) => self.ask(payment, web, now, memo).await,
            PageStep::Expired => {
                Advance::failed(Via::Request, step, FailureCode::PaymentExpired, "NO_PAGE")
            }
            PageStep::NextAttempt => Advance::next_attempt(step),
            PageStep::Make { attempt } => {
                self.make_page(payment, settings, web, now, reference, attempt)
                    .await
            }
        }
    }

    /// Makes the payment page of `attempt` (an even step).
    async fn make_page(
        &self,
        p: &Payment,
        settings: &Settings,
        web: &WebPay,
        now: Timestamp,
        reference: &str,
        attempt: u32,
    ) -> Advance {
        let step = p.progress.step;
        let (Some(base), Some(handover)) = (&self.public_base, &p.handover) else {
            tracing::error!(payment = %p.id, "an Orange Web Payment needs the gateway's public URL (--public-url) and a hand-over token");
            return Advance::failed(
                Via::Request,
                step,
                FailureCode::ProviderError,
                "NO_RETURN_URL",
            );
        };
        if p.currency.exponent() != 0 {
            return Advance::failed(Via::Request, step, FailureCode::ProviderError, "CURRENCY");
        }
        let order_id = format!("{reference}-{attempt}");
        let back = format!("{base}/pay/go/{handover}/back");
        let Some(notif_url) = self.notif_url(reference) else {
            return Advance::failed(
                Via::Request,
                step,
                FailureCode::ProviderError,
                "NO_RETURN_URL",
            );
        };
        let shown: String = p
            .reference
            .as_deref()
            .unwrap_or(&p.id)
            .chars()
            .take(SHOWN_REFERENCE)
            .collect();
        let page = PageRequest {
            currency: settings.currency_code(p.currency.code()),
            order_id: &order_id,
            amount: p.amount,
            return_url: &back,
            cancel_url: &back,
            notif_url: &notif_url,
            lang: "fr",
            reference: &shown,
        };
        match self.client.webpayment(web, now, &page).await {
            // Orange's page must be a web page: anything else is not sent to a payer.
            Ok(made) if !crate::connector::is_web_url(&made.payment_url) => {
                tracing::error!(payment = %p.id, "Orange answered a payment_url that is not an http(s) URL; no payer is sent there");
                Advance::failed(
                    Via::Request,
                    step,
                    FailureCode::ProviderError,
                    "BAD_PAYMENT_URL",
                )
            }
            Ok(made) => {
                let memo = Memo {
                    attempt,
                    order_id,
                    pay_token: made.pay_token,
                    payment_url: made.payment_url,
                    notif_hash: Memo::hash(&made.notif_token),
                    txnid: None,
                };
                Advance::accepted(reference, step, self.poll_every, Some(memo.text()))
            }
            Err(e) => e.fails_request(&p.id, step, "Orange: the payment page", |why| {
                // Nobody has that page's URL: the next attempt makes another.
                tracing::warn!(payment = %p.id, reason = %why, "Orange webpayment: outcome unknown; a new page will be made");
                Advance::wait(step + 2, self.poll_every.min(Duration::from_secs(2)))
            }),
        }
    }

    /// Asks the status of the page in `memo` (an odd step).
    async fn ask(&self, p: &Payment, web: &WebPay, now: Timestamp, memo: Memo) -> Advance {
        let step = p.progress.step;
        match self
            .client
            .status(web, now, &memo.order_id, p.amount, &memo.pay_token)
            .await
        {
            // Never opened, and Orange's page has surely closed: nobody can pay it any more.
            Ok(OrangeStatus::Initiated) if now >= p.expires_at.plus(PAGE_GRACE) => {
                Advance::failed(Via::Poll, step, FailureCode::PaymentExpired, "INITIATED")
            }
            Ok(status) => self.read_status(p, step, status, |txnid| {
                Memo {
                    txnid,
                    ..memo.clone()
                }
                .text()
            }),
            Err(CallError::Refused { status, code, .. })
                if now >= p.expires_at.plus(PAGE_GRACE) =>
            {
                Advance::failed(
                    Via::Poll,
                    step,
                    FailureCode::PaymentExpired,
                    &operator_code(status, code),
                )
            }
            Err(e) => {
                // Refused, unknown or our credentials: the page may be paid meanwhile, so the
                // payment is never failed on it; asked again.
                tracing::warn!(payment = %p.id, reason = %e, "Orange transactionstatus unknown for now; asking again later");
                Advance::wait(step, self.poll_every.min(Duration::from_secs(2)))
            }
        }
    }
}
