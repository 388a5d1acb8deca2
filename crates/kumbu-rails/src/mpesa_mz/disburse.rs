//! Money out: a payout is a B2C payment to the payee's wallet, a refund a reversal of the C2B
//! transaction it refunds (M-Pesa's id, kept in the payment's memo). Each is sent under the
//! reference written when it was created (`input_ThirdPartyReference`: a second request is
//! `INS-10`), and its status asked by that reference until M-Pesa decides.

use super::client::{Op, Said};
use super::collect::Status;
use super::settings::{self, Settings};
use super::wire::{Reversal, Transfer};
use super::{amount_text, not_vodacom, Memo, MpesaMz};
use crate::connector::{Opened, Outbound, Outgoing};
use kumbu_core::FailureCode;

/// A failure that needs no call.
fn failed(operator_code: &str) -> Outbound {
    Outbound::Failed {
        code: FailureCode::ProviderError,
        operator_code: operator_code.to_owned(),
    }
}

impl MpesaMz {
    /// Sends `out` (`send`) or asks its status.
    pub(super) async fn money_out(
        &self,
        out: Outgoing<'_>,
        creds: &Opened,
        send: bool,
    ) -> Outbound {
        let Some(creds) = settings::open(creds) else {
            return Outbound::Undecided;
        };
        let Some(reference) = out.reference() else {
            // Sent already: never given up on; unsent: it cannot be, it has no reference.
            return if send {
                failed("NO_REFERENCE")
            } else {
                Outbound::Undecided
            };
        };
        if !send {
            return match self.query(&creds, reference).await {
                Ok(answer) => match Status::parse(answer.transaction_status.as_deref()) {
                    Status::Completed => Outbound::Succeeded,
                    Status::NotFound => Outbound::NotFound,
                    Status::Cancelled | Status::Expired | Status::Failed => failed("Failed"),
                    Status::Pending | Status::Other(_) => Outbound::Undecided,
                },
                Err(why) => {
                    tracing::warn!(reference, reason = %why, "M-Pesa status of money out unknown for now");
                    Outbound::Undecided
                }
            };
        }
        let said = match out {
            Outgoing::Payout(p) => {
                if let Some(why) = not_vodacom(&p.payee_phone) {
                    return Outbound::Failed {
                        code: FailureCode::PayerNotFound,
                        operator_code: why.to_owned(),
                    };
                }
                let body = Transfer {
                    transaction_reference: reference.to_owned(),
                    customer_msisdn: p.payee_phone.digits().to_owned(),
                    amount: amount_text(p.currency, p.amount),
                    third_party_reference: reference.to_owned(),
                    service_provider_code: creds.service_provider_code.clone(),
                };
                self.client.call(Op::B2c, &creds, &body).await
            }
            Outgoing::Refund { refund, payment } => {
                let Some(body) = reversal(&creds, refund, payment, reference) else {
                    return failed("NO_TRANSACTION");
                };
                self.client.call(Op::Reversal, &creds, &body).await
            }
        };
        match said {
            Said::Done(_) => Outbound::Succeeded,
            Said::Duplicate => Outbound::Sent,
            Said::Failed {
                code,
                operator_code,
            } => Outbound::Failed {
                code,
                operator_code,
            },
            Said::Unknown(why) => {
                tracing::warn!(reference, reason = %why, "M-Pesa money out: outcome unknown; its status will be asked");
                Outbound::Undecided
            }
            Said::Credentials(why) => {
                tracing::error!(reference, reason = %why, "M-Pesa refused the merchant's API key; check it with `kumbu connector check`");
                Outbound::Failed {
                    code: FailureCode::ProviderUnavailable,
                    operator_code: "INS-2".to_owned(),
                }
            }
        }
    }
}

/// The reversal of `payment`'s C2B transaction for `refund` (none when M-Pesa's id of the
/// transaction or the initiator is missing).
fn reversal(
    creds: &Settings,
    refund: &kumbu_core::Refund,
    payment: &kumbu_core::Payment,
    reference: &str,
) -> Option<Reversal> {
    let transaction = Memo::read(payment.rail_memo.as_deref())?.transaction_id;
    Some(Reversal {
        transaction_id: transaction,
        security_credential: creds.security_credential.clone()?,
        initiator_identifier: creds.initiator_identifier.clone()?,
        third_party_reference: reference.to_owned(),
        service_provider_code: creds.service_provider_code.clone(),
        reversal_amount: Some(amount_text(refund.currency, refund.amount)),
    })
}
