//! Collection: a request to pay, sent under the payment's reference (even steps), then its status
//! asked until MTN decides (odd steps). See the module's header (`mod.rs`) for why the odd step is
//! committed before the call.

use super::client::{Kind, Posted};
use super::reasons::{Meaning, Reason, Status};
use super::wire::{Party, TransactionRequest, TransactionStatus};
use super::{reason_of, refusal, retry_after, Credentials, MtnMomo, EXPIRY_GRACE, NOT_ACTIVE};
use crate::connector::{CallError, Opened};
use crate::{Advance, Next, Notice, Via};
use kumbu_core::{FailureCode, Payment, PaymentStatus, Timestamp};
use std::time::Duration;

impl MtnMomo {
    /// The payment's next action: send (even step) or ask (odd step).
    pub(super) async fn collect_payment(
        &self,
        payment: &Payment,
        creds: &Opened,
        now: Timestamp,
    ) -> Advance {
        // Unreadable keys are as good as none: the engine only calls with keys it found usable,
        // so this is a sealed value from another version.
        let Some(creds) = Credentials::open(creds) else {
            return Advance::wait(payment.progress.step, self.poll_every);
        };
        let creds = &creds;
        let Some(reference) = payment.operator_reference.as_deref() else {
            tracing::error!(payment = %payment.id, "a live MTN payment has no reference; it was not created for this connector");
            return Advance::failed(
                Via::Request,
                payment.progress.step,
                FailureCode::ProviderError,
                "NO_REFERENCE",
            );
        };
        if payment.progress.step.is_multiple_of(2) {
            self.send(payment, creds, now, reference).await
        } else {
            self.ask(payment, creds, now, reference).await
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
            return Advance::failed(Via::Request, step, FailureCode::PayerNotFound, "NO_PAYER");
        };
        if step == 0 {
            // MTN's account-holder check: a number without an active wallet is told at once,
            // without a prompt. Its own failure only means we ask MTN the usual way.
            match self.client.account_active(creds, now, phone.digits()).await {
                Ok(false) => {
                    return Advance::failed(
                        Via::Request,
                        step,
                        FailureCode::PayerNotFound,
                        NOT_ACTIVE,
                    )
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
                memo: None,
            },
            // Our earlier try got through: ask how it is going.
            Ok(Posted::AlreadyExists) => Advance {
                via: Via::Request,
                notices: vec![accepted],
                step: step + 1,
                next: Next::After(Duration::ZERO),
                memo: None,
            },
            Err(CallError::Refused {
                status,
                code,
                message,
            }) => {
                tracing::info!(payment = %p.id, status, code, message, "MTN refused the request to pay");
                let (ours, raw) = refusal(status, code);
                Advance::failed(Via::Request, step, ours, &raw)
            }
            Err(CallError::Unknown(why)) => {
                tracing::warn!(payment = %p.id, reason = %why, "MTN request to pay: outcome unknown; its status will be asked");
                Advance::wait(step + 1, retry_after(self.poll_every))
            }
            Err(CallError::Unauthorized(why)) => {
                tracing::error!(payment = %p.id, reason = %why, "MTN refused the merchant's credentials; check them with `kumbu connector check`");
                Advance::failed(
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
            // and MTN's approval window has closed since. Nothing was charged. A payment MTN
            // never took (still `created`: no send was ever accepted) failed for want of the
            // operator, as the sandbox's …079 does; one it took and then lost, expired.
            Ok(None) if now >= p.expires_at.plus(EXPIRY_GRACE) => Advance::failed(
                Via::Poll,
                step,
                if p.status == PaymentStatus::Created {
                    FailureCode::ProviderUnavailable
                } else {
                    FailureCode::PaymentExpired
                },
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
                    memo: None,
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
                memo: None,
            },
            Status::Successful => Advance {
                via: Via::Poll,
                notices: vec![accepted, Notice::Debited, Notice::Settled],
                step,
                next: Next::Done,
                memo: None,
            },
            Status::Failed => {
                let reason = reason_of(s);
                match reason.meaning() {
                    Meaning::Failed(code) => {
                        Advance::failed(Via::Poll, step, code, reason.as_str())
                    }
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
