//! Collection: the C2B request, sent under the payment's reference (even steps) and held open
//! until the payer answers, then, whenever its outcome is unknown, the query API asked by that
//! reference until M-Pesa decides (odd steps). See the module's header (`mod.rs`).

use super::client::{Op, Said};
use super::settings::{self, Settings};
use super::wire::{Answer, Query, Transfer};
use super::{amount_text, retry_after, Memo, MpesaMz};
use crate::connector::Opened;
use crate::{Advance, Next, Notice, Via};
use kumbu_core::{FailureCode, Payment, PaymentStatus, Timestamp};
use std::time::Duration;

/// A transaction's status, as the query API words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The money moved.
    Completed,
    /// Not decided yet.
    Pending,
    /// The payer refused.
    Cancelled,
    /// The payer did not answer in time.
    Expired,
    /// It failed.
    Failed,
    /// M-Pesa has no transaction by that reference (`N/A`).
    NotFound,
    /// A word M-Pesa did not document: not final.
    Other(String),
}

impl Status {
    /// Reads the query's `output_ResponseTransactionStatus`.
    pub fn parse(s: Option<&str>) -> Self {
        match s.map(str::trim) {
            Some("Completed") => Status::Completed,
            Some("Pending") => Status::Pending,
            Some("Cancelled") => Status::Cancelled,
            Some("Expired") => Status::Expired,
            Some("Failed") => Status::Failed,
            Some("N/A") | None => Status::NotFound,
            Some(other) => Status::Other(other.to_owned()),
        }
    }
}

impl MpesaMz {
    /// The payment's next action: send (even step) or ask (odd step).
    pub(super) async fn collect_payment(
        &self,
        payment: &Payment,
        creds: &Opened,
        now: Timestamp,
    ) -> Advance {
        let Some(creds) = settings::open(creds) else {
            return Advance::wait(payment.progress.step, self.poll_every);
        };
        let Some(reference) = payment.operator_reference.as_deref() else {
            tracing::error!(payment = %payment.id, "a live M-Pesa payment has no reference; it was not created for this connector");
            return Advance::failed(
                Via::Request,
                payment.progress.step,
                FailureCode::ProviderError,
                "NO_REFERENCE",
            );
        };
        if payment.progress.step.is_multiple_of(2) {
            self.send(payment, &creds, now, reference).await
        } else {
            self.ask(payment, &creds, now, reference).await
        }
    }

    /// Sends the C2B request and waits for the payer's answer (even steps).
    async fn send(
        &self,
        p: &Payment,
        creds: &Settings,
        now: Timestamp,
        reference: &str,
    ) -> Advance {
        let step = p.progress.step;
        if now >= p.expires_at {
            // Never prompt after the deadline; asking settles whether an earlier try counts.
            return Advance::wait(step + 1, self.poll_every);
        }
        let Some(phone) = &p.payer_phone else {
            return Advance::failed(Via::Request, step, FailureCode::PayerNotFound, "NO_PAYER");
        };
        if let Some(why) = super::not_vodacom(phone) {
            return Advance::failed(Via::Request, step, FailureCode::PayerNotFound, why);
        }
        let body = Transfer {
            transaction_reference: reference.to_owned(),
            customer_msisdn: phone.digits().to_owned(),
            amount: amount_text(p.currency, p.amount),
            third_party_reference: reference.to_owned(),
            service_provider_code: creds.service_provider_code.clone(),
        };
        match self.client.call(Op::C2b, creds, &body).await {
            Said::Done(answer) => paid(p, step, reference, &answer, Via::Request),
            // Our earlier try got through: ask how it went.
            Said::Duplicate => Advance {
                via: Via::Request,
                notices: Vec::new(),
                step: step + 1,
                next: Next::After(Duration::ZERO),
                memo: None,
            },
            Said::Failed {
                code,
                operator_code,
            } => {
                tracing::info!(payment = %p.id, operator_code, "M-Pesa refused the C2B payment");
                Advance::failed(Via::Request, step, code, &operator_code)
            }
            Said::Unknown(why) => {
                tracing::warn!(payment = %p.id, reason = %why, "M-Pesa C2B: outcome unknown; its status will be asked");
                Advance::wait(step + 1, retry_after(self.poll_every))
            }
            Said::Credentials(why) => {
                tracing::error!(payment = %p.id, reason = %why, "M-Pesa refused the merchant's API key; check it with `kumbu connector check`");
                Advance::failed(
                    Via::Request,
                    step,
                    FailureCode::ProviderUnavailable,
                    "INS-2",
                )
            }
        }
    }

    /// Asks the query API (odd steps).
    async fn ask(&self, p: &Payment, creds: &Settings, now: Timestamp, reference: &str) -> Advance {
        let step = p.progress.step;
        let status = match self.query(creds, reference).await {
            Ok(answer) => (Status::parse(answer.transaction_status.as_deref()), answer),
            Err(why) => {
                tracing::warn!(payment = %p.id, reason = %why, "M-Pesa status unknown for now; asking again later");
                return Advance::wait(step, retry_after(self.poll_every));
            }
        };
        match status {
            (Status::Completed, answer) => paid(p, step, reference, &answer, Via::Poll),
            (Status::Pending | Status::Other(_), _) => Advance {
                via: Via::Poll,
                notices: vec![accepted(reference), Notice::Prompted],
                step,
                next: Next::After(self.poll_every),
                memo: None,
            },
            (Status::Cancelled, _) => {
                Advance::failed(Via::Poll, step, FailureCode::PaymentDeclined, "Cancelled")
            }
            (Status::Expired, _) => {
                Advance::failed(Via::Poll, step, FailureCode::PaymentExpired, "Expired")
            }
            (Status::Failed, _) => {
                Advance::failed(Via::Poll, step, FailureCode::ProviderError, "Failed")
            }
            // M-Pesa never had it, and cannot any more: every send was before the deadline, and
            // the longest a prompt (or our wait for one) lasts has passed since, and a minute.
            // Nothing was charged.
            (Status::NotFound, _) if now >= p.expires_at.plus(self.expiry_grace()) => {
                Advance::failed(
                    Via::Poll,
                    step,
                    if p.status == PaymentStatus::Created {
                        FailureCode::ProviderUnavailable
                    } else {
                        FailureCode::PaymentExpired
                    },
                    "N/A",
                )
            }
            (Status::NotFound, _) if now >= p.expires_at => Advance::wait(step, self.poll_every),
            (Status::NotFound, _) => {
                tracing::info!(payment = %p.id, "M-Pesa does not know the C2B payment; sending it again under the same reference");
                Advance {
                    via: Via::Poll,
                    notices: Vec::new(),
                    step: step + 1,
                    next: Next::After(Duration::ZERO),
                    memo: None,
                }
            }
        }
    }

    /// The query API's answer about our request `reference`; `Err` when it could not be read.
    pub(super) async fn query(&self, creds: &Settings, reference: &str) -> Result<Answer, String> {
        let q = Query {
            third_party_reference: super::query_reference(),
            query_reference: reference.to_owned(),
            service_provider_code: creds.service_provider_code.clone(),
        };
        match self.client.call(Op::Query, creds, &q).await {
            Said::Done(answer) => Ok(answer),
            Said::Duplicate => Err("INS-10 to a query".to_owned()),
            Said::Failed { operator_code, .. } => Err(operator_code),
            Said::Unknown(why) | Said::Credentials(why) => Err(why),
        }
    }
}

fn accepted(reference: &str) -> Notice {
    Notice::Accepted {
        operator_reference: reference.to_owned(),
    }
}

/// The payment is paid: M-Pesa's transaction id is kept in the memo (refunds reverse it).
fn paid(p: &Payment, step: u32, reference: &str, answer: &Answer, via: Via) -> Advance {
    let memo = answer
        .transaction_id
        .as_deref()
        .filter(|t| !t.is_empty() && *t != "N/A")
        .map(|t| Memo::new(t).write())
        .or_else(|| p.rail_memo.clone());
    Advance {
        via,
        notices: vec![accepted(reference), Notice::Debited, Notice::Settled],
        step: step | 1,
        next: Next::Done,
        memo,
    }
}
