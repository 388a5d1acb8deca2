//! Money out through Wave. A refund gives a paid checkout session back, whole (Wave refunds
//! sessions, not parts of them: a partial refund is refused, saying so); its status is the
//! session's `payment_status`. A payout (`POST /v1/payout`) is sent with `idempotency-key` and
//! `client_reference` both the reference written when it was created, so a retry can only name
//! the same payout; its status is found by that reference (`GET /v1/payouts/search`): none
//! means it never reached Wave, and it is sent again under the same key.

use super::checkout::Memo;
use super::wire::{Payout, PayoutRequest};
use super::Wave;
use crate::connector::{operator_code, CallError, Outbound, Outgoing};
use kumbu_core::FailureCode;
use secrecy::SecretString;

/// The most characters of a payout's reason Wave takes.
const REASON_MAX: usize = 40;

/// What a payout's state means.
fn outbound(p: &Payout) -> Outbound {
    match p.status.as_str() {
        "succeeded" => Outbound::Succeeded,
        "failed" => Outbound::Failed {
            code: FailureCode::ProviderError,
            operator_code: p
                .payout_error
                .as_ref()
                .and_then(|e| e.error_code.clone())
                .unwrap_or_else(|| "failed".to_owned()),
        },
        // Reversed after succeeding: the money came back, the payout did not happen.
        "reversed" => Outbound::Failed {
            code: FailureCode::ProviderError,
            operator_code: "reversed".to_owned(),
        },
        _ => Outbound::Undecided,
    }
}

/// A refusal: our credentials, or the request itself (nothing was done).
fn refused(e: CallError) -> Outbound {
    match e {
        CallError::Unknown(_) => Outbound::Undecided,
        CallError::Unauthorized(_) => Outbound::Failed {
            code: FailureCode::ProviderUnavailable,
            operator_code: "UNAUTHORIZED".to_owned(),
        },
        CallError::Refused { status, code, .. } => Outbound::Failed {
            code: FailureCode::ProviderError,
            operator_code: operator_code(status, code),
        },
    }
}

impl Wave {
    /// Sends `out` (`send`) or asks its status.
    pub(super) async fn money_out(
        &self,
        out: Outgoing<'_>,
        key: &SecretString,
        send: bool,
    ) -> Outbound {
        match out {
            Outgoing::Refund { refund, payment } => {
                let Some(session) = Memo::read(payment.rail_memo.as_deref()) else {
                    return Outbound::Failed {
                        code: FailureCode::ProviderError,
                        operator_code: "NO_SESSION".to_owned(),
                    };
                };
                if send && refund.amount != payment.amount {
                    return Outbound::Failed {
                        code: FailureCode::ProviderError,
                        operator_code: "PARTIAL_REFUND_NOT_SUPPORTED".to_owned(),
                    };
                }
                if send {
                    match self.client.refund_session(key, &session.session_id).await {
                        Ok(()) => Outbound::Succeeded,
                        // Refunded already (an earlier try got through): read it back.
                        Err(CallError::Refused { status: 409, .. }) => Outbound::Sent,
                        Err(e) => refused(e),
                    }
                } else {
                    match self.client.session(key, &session.session_id).await {
                        Ok(s) if s.payment_status.as_deref() == Some("refunded") => {
                            Outbound::Succeeded
                        }
                        Ok(_) => Outbound::NotFound,
                        Err(_) => Outbound::Undecided,
                    }
                }
            }
            Outgoing::Payout(p) => {
                let Some(reference) = p.operator_reference.as_deref() else {
                    return if send {
                        Outbound::Failed {
                            code: FailureCode::ProviderError,
                            operator_code: "NO_REFERENCE".to_owned(),
                        }
                    } else {
                        Outbound::Undecided
                    };
                };
                if !send {
                    return match self.client.payouts_by_reference(key, reference).await {
                        Ok(found) => found.first().map_or(Outbound::NotFound, outbound),
                        Err(_) => Outbound::Undecided,
                    };
                }
                let amount = p.amount.to_string();
                let reason: Option<String> = p
                    .description
                    .as_deref()
                    .map(|d| d.chars().take(REASON_MAX).collect());
                let body = PayoutRequest {
                    currency: p.currency.code(),
                    receive_amount: &amount,
                    mobile: p.payee_phone.as_str(),
                    client_reference: reference,
                    payment_reason: reason.as_deref(),
                };
                match self.client.payout(key, &body).await {
                    Ok(answer) => match outbound(&answer) {
                        // Processing: read back by its reference.
                        Outbound::Undecided | Outbound::Sent => Outbound::Sent,
                        decided @ (Outbound::Succeeded
                        | Outbound::Failed { .. }
                        | Outbound::NotFound) => decided,
                    },
                    Err(e) => refused(e),
                }
            }
        }
    }
}
