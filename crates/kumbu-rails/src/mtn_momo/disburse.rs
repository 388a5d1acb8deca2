//! Money out: a refund (a disbursement naming the request to pay it refunds) or a payout (a
//! disbursement transfer to a wallet), sent under the reference written when the refund or payout
//! was created, then its status asked until MTN decides.

use super::client::{Kind, Posted};
use super::reasons::{Meaning, Status};
use super::wire::{Party, TransactionRequest};
use super::{reason_of, refusal, Credentials, MtnMomo};
use crate::connector::{CallError, Opened, Outbound, Outgoing};
use kumbu_core::{FailureCode, Timestamp};

impl MtnMomo {
    /// Sends `out` (`send`; refunds and transfers are both disbursements) or asks its status.
    pub(super) async fn money_out(
        &self,
        out: Outgoing<'_>,
        creds: &Opened,
        now: Timestamp,
        send: bool,
    ) -> Outbound {
        let Some(creds) = Credentials::open(creds) else {
            return Outbound::Undecided;
        };
        match (out.reference(), request(out)) {
            (Some(reference), Some((kind, body))) if send => {
                self.send_out(kind, &creds, now, reference, &body).await
            }
            (Some(reference), _) if !send => {
                self.ask_out(kind_of(out), &creds, now, reference).await
            }
            // Sent already: never given up on, even for a row that lost its reference.
            (None, _) if !send => Outbound::Undecided,
            (Some(_) | None, _) => no_reference(out),
        }
    }

    /// Sends a refund or a transfer under `reference` (committed before the call).
    async fn send_out(
        &self,
        kind: Kind,
        creds: &Credentials,
        now: Timestamp,
        reference: &str,
        body: &TransactionRequest,
    ) -> Outbound {
        match self
            .client
            .create(
                creds,
                kind,
                now,
                reference,
                body,
                self.callback_for(creds, reference).as_deref(),
            )
            .await
        {
            Ok(Posted::Accepted | Posted::AlreadyExists) => Outbound::Sent,
            Err(CallError::Refused { status, code, .. }) => {
                let (code, operator_code) = refusal(status, code);
                Outbound::Failed {
                    code,
                    operator_code,
                }
            }
            Err(CallError::Unknown(why)) => {
                tracing::warn!(reference, reason = %why, "MTN {kind:?}: outcome unknown; its status will be asked");
                Outbound::Undecided
            }
            Err(CallError::Unauthorized(why)) => {
                tracing::error!(reference, reason = %why, "MTN refused the merchant's disbursement credentials; check them with `kumbu connector check`");
                Outbound::Failed {
                    code: FailureCode::ProviderUnavailable,
                    operator_code: "UNAUTHORIZED".to_owned(),
                }
            }
        }
    }

    /// Asks the status of a refund or a transfer.
    async fn ask_out(
        &self,
        kind: Kind,
        creds: &Credentials,
        now: Timestamp,
        reference: &str,
    ) -> Outbound {
        match self.client.status(creds, kind, now, reference).await {
            Ok(None) => Outbound::NotFound,
            Ok(Some(s)) => match Status::parse(&s.status) {
                Status::Successful => Outbound::Succeeded,
                Status::Failed => {
                    let reason = reason_of(&s);
                    match reason.meaning() {
                        Meaning::Failed(code) => Outbound::Failed {
                            code,
                            operator_code: reason.as_str().to_owned(),
                        },
                        Meaning::Undecided => Outbound::Undecided,
                    }
                }
                Status::Pending | Status::Other(_) => Outbound::Undecided,
            },
            Err(
                e
                @ (CallError::Unknown(_) | CallError::Refused { .. } | CallError::Unauthorized(_)),
            ) => {
                tracing::warn!(reference, reason = %e, "MTN {kind:?} status unknown for now");
                Outbound::Undecided
            }
        }
    }
}

/// Refunds and payouts are written with their reference: one without cannot be sent, and was not.
fn no_reference(out: Outgoing<'_>) -> Outbound {
    tracing::error!(
        id = out.id(),
        "money out has no MTN reference; it was not created for this connector"
    );
    Outbound::Failed {
        code: FailureCode::ProviderError,
        operator_code: "NO_REFERENCE".to_owned(),
    }
}

fn kind_of(out: Outgoing<'_>) -> Kind {
    match out {
        Outgoing::Refund { .. } => Kind::Refund,
        Outgoing::Payout(_) => Kind::Transfer,
    }
}

/// MTN's request for `out` (none for a refund of a payment MTN never named).
fn request(out: Outgoing<'_>) -> Option<(Kind, TransactionRequest)> {
    let body = match out {
        Outgoing::Refund { refund: r, payment } => TransactionRequest {
            amount: r.currency.format_decimal(r.amount),
            currency: r.currency.code().to_owned(),
            external_id: Some(r.id.clone()),
            payer: None,
            payee: None,
            payer_message: Some(
                r.reason
                    .clone()
                    .unwrap_or_else(|| "Refund".to_owned())
                    .chars()
                    .take(160)
                    .collect(),
            ),
            payee_note: Some(payment.id.clone()),
            reference_id_to_refund: Some(payment.operator_reference.clone()?),
        },
        Outgoing::Payout(p) => TransactionRequest {
            amount: p.currency.format_decimal(p.amount),
            currency: p.currency.code().to_owned(),
            external_id: Some(p.id.clone()),
            payer: None,
            payee: Some(Party::msisdn(p.payee_phone.digits())),
            payer_message: p.description.clone(),
            payee_note: Some(p.description.clone().unwrap_or_else(|| "Payout".to_owned())),
            reference_id_to_refund: None,
        },
    };
    Some((kind_of(out), body))
}
