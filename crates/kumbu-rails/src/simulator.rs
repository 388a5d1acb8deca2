//! The sandbox operator simulator. Its outcome is chosen by the last three digits of the payer's
//! phone number, the same in every country (see `docs/sandbox.md`).

use crate::{Advance, Next, Notice, Step, StepKind, Via};
use kumbu_core::{FailureCode, Payment};
use std::time::Duration;

/// What the simulated operator and payer will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Any other suffix: the payer confirms, money is debited, later settled.
    Success,
    /// `019`: fails PAYER_LIMIT_REACHED.
    PayerLimitReached,
    /// `029`: fails PAYER_NOT_FOUND at once.
    PayerNotFound,
    /// `039`: the payer refuses the prompt (PAYMENT_DECLINED).
    Declined,
    /// `049`: fails INSUFFICIENT_BALANCE.
    InsufficientBalance,
    /// `059`: the payer never answers; the payment expires.
    NeverAnswers,
    /// `069`: fails PROVIDER_ERROR.
    ProviderError,
    /// `079`: operator unavailable at initiation; nothing charged.
    Unavailable,
    /// `129`: the operator never calls back; only status polling resolves it.
    SilentOperator,
    /// `139`: duplicate and out-of-order callbacks.
    DuplicateCallbacks,
    /// `149`: succeeds only after a long delay.
    LongDelay,
    /// `009`: waits for a person to confirm or decline on the sandbox phone.
    Manual,
}

impl Scenario {
    /// The scenario for a payer phone.
    pub fn for_phone_suffix(suffix3: &str) -> Self {
        match suffix3 {
            "019" => Scenario::PayerLimitReached,
            "029" => Scenario::PayerNotFound,
            "039" => Scenario::Declined,
            "049" => Scenario::InsufficientBalance,
            "059" => Scenario::NeverAnswers,
            "069" => Scenario::ProviderError,
            "079" => Scenario::Unavailable,
            "129" => Scenario::SilentOperator,
            "139" => Scenario::DuplicateCallbacks,
            "149" => Scenario::LongDelay,
            "009" => Scenario::Manual,
            _ => Scenario::Success,
        }
    }
}

/// How many step delays the long-delay scenario waits before the payer confirms.
pub const LONG_DELAY_FACTOR: u32 = 15;
/// How many step delays the engine waits for a silent operator before polling.
pub const POLL_AFTER_FACTOR: u32 = 3;

/// The simulator, with its step delay.
#[derive(Debug, Clone)]
pub struct Simulator {
    delay: Duration,
}

impl Simulator {
    /// A simulator whose steps are `delay` apart.
    pub fn new(delay: Duration) -> Self {
        Self { delay }
    }

    /// The step delay.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// The whole script of a scenario.
    pub fn script(&self, scenario: Scenario, payment_id: &str) -> Vec<Step> {
        let d = self.delay;
        let now = Duration::ZERO;
        let callback = |after: Duration, notices: Vec<Notice>| Step {
            after,
            kind: StepKind::Notices(Via::Callback, notices),
        };
        let poll = |after: Duration, notice: Notice| Step {
            after,
            kind: StepKind::Notices(Via::Poll, vec![notice]),
        };
        let fail = |code: FailureCode, operator_code: &str| Notice::Failed {
            code,
            operator_code: operator_code.to_owned(),
        };
        let accepted = Notice::Accepted {
            operator_reference: operator_reference(payment_id),
        };
        let start = |after| callback(after, vec![accepted.clone()]);
        match scenario {
            Scenario::Success => vec![
                start(now),
                callback(d, vec![Notice::Prompted]),
                callback(d, vec![Notice::Debited]),
                callback(d, vec![Notice::Settled]),
            ],
            Scenario::PayerLimitReached => vec![
                start(now),
                callback(d, vec![fail(FailureCode::PayerLimitReached, "SBX-LIMIT")]),
            ],
            Scenario::PayerNotFound => vec![callback(
                now,
                vec![fail(FailureCode::PayerNotFound, "SBX-NO-WALLET")],
            )],
            Scenario::Declined => vec![
                start(now),
                callback(d, vec![Notice::Prompted]),
                callback(d, vec![fail(FailureCode::PaymentDeclined, "SBX-DECLINED")]),
            ],
            Scenario::InsufficientBalance => vec![
                start(now),
                callback(d, vec![Notice::Prompted]),
                callback(
                    d,
                    vec![fail(FailureCode::InsufficientBalance, "SBX-NO-FUNDS")],
                ),
            ],
            Scenario::NeverAnswers => vec![start(now), callback(d, vec![Notice::Prompted])],
            Scenario::ProviderError => vec![
                start(now),
                callback(d, vec![fail(FailureCode::ProviderError, "SBX-500")]),
            ],
            Scenario::Unavailable => vec![callback(
                now,
                vec![fail(FailureCode::ProviderUnavailable, "SBX-503")],
            )],
            Scenario::SilentOperator => vec![
                start(now),
                callback(d, vec![Notice::Prompted]),
                // The payer confirms at 1×d, the operator never says so: we ask after a while.
                poll(d * POLL_AFTER_FACTOR, Notice::Debited),
                poll(d, Notice::Settled),
            ],
            Scenario::DuplicateCallbacks => vec![
                start(now),
                callback(d, vec![Notice::Prompted, Notice::Prompted]),
                callback(
                    d,
                    vec![
                        Notice::Debited,
                        Notice::Prompted,
                        Notice::Debited,
                        accepted.clone(),
                    ],
                ),
                callback(d, vec![Notice::Settled, Notice::Debited, Notice::Settled]),
            ],
            Scenario::LongDelay => vec![
                start(now),
                callback(d, vec![Notice::Prompted]),
                callback(d * LONG_DELAY_FACTOR, vec![Notice::Debited]),
                callback(d, vec![Notice::Settled]),
            ],
            Scenario::Manual => vec![
                start(now),
                callback(d, vec![Notice::Prompted]),
                Step {
                    after: now,
                    kind: StepKind::AwaitPerson,
                },
                callback(d, vec![Notice::Settled]),
            ],
        }
    }
}

impl Simulator {
    /// Step number `index` of this payment's script, or `None` when the script is over (or the
    /// payment has no phone: a bank reference is never scripted, the bank reports it).
    pub fn step(&self, payment: &Payment, index: u32) -> Option<Step> {
        let scenario = Scenario::for_phone_suffix(payment.payer_phone.as_ref()?.suffix3());
        self.script(scenario, &payment.id)
            .into_iter()
            .nth(index as usize)
    }

    /// When the step at `index` comes, relative to the one before it.
    fn next_at(&self, payment: &Payment, index: u32) -> Next {
        match self.step(payment, index) {
            Some(Step {
                after,
                kind: StepKind::Notices(..),
            }) => Next::After(after),
            Some(Step {
                kind: StepKind::AwaitPerson,
                ..
            }) => Next::AwaitPerson,
            None => Next::Done,
        }
    }

    /// Plays the step the payment is at. The sandbox never leaves the process, so the engine
    /// plays it inside the transaction that claimed the payment.
    pub fn play(&self, payment: &Payment) -> Advance {
        let index = payment.progress.step;
        match self.step(payment, index).map(|s| s.kind) {
            Some(StepKind::Notices(via, notices)) => Advance {
                via,
                notices,
                step: index + 1,
                next: self.next_at(payment, index + 1),
                memo: None,
            },
            Some(StepKind::AwaitPerson) => Advance {
                via: Via::Callback,
                notices: Vec::new(),
                step: index,
                next: Next::AwaitPerson,
                memo: None,
            },
            None => Advance {
                via: Via::Callback,
                notices: Vec::new(),
                step: index,
                next: Next::Done,
                memo: None,
            },
        }
    }

    /// Where the payment's script goes after a person answered the prompt it waits on.
    pub fn after_answer(&self, payment: &Payment) -> (u32, Next) {
        let index = payment.progress.step + 1;
        (index, self.next_at(payment, index))
    }
}

/// What the sandbox operator does with a payout to `payee`: `None` when the money arrives,
/// otherwise our code and the operator's (docs/sandbox.md, "Payouts").
pub fn payout_outcome(payee: &kumbu_core::Msisdn) -> Option<(FailureCode, &'static str)> {
    match Scenario::for_phone_suffix(payee.suffix3()) {
        Scenario::PayerNotFound => Some((FailureCode::PayerNotFound, "SBX-NO-WALLET")),
        Scenario::PayerLimitReached => Some((FailureCode::PayerLimitReached, "SBX-LIMIT")),
        Scenario::Declined => Some((FailureCode::AccountNotAllowed, "SBX-NOT-ALLOWED")),
        Scenario::ProviderError => Some((FailureCode::ProviderError, "SBX-500")),
        Scenario::Unavailable => Some((FailureCode::ProviderUnavailable, "SBX-503")),
        Scenario::Success
        | Scenario::InsufficientBalance
        | Scenario::NeverAnswers
        | Scenario::SilentOperator
        | Scenario::DuplicateCallbacks
        | Scenario::LongDelay
        | Scenario::Manual => None,
    }
}

/// A plausible operator transaction id, derived from ours so it is stable across retries.
pub fn operator_reference(payment_id: &str) -> String {
    let tail: String = payment_id
        .chars()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("SBX{}", tail.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_choose_scenarios() {
        assert_eq!(Scenario::for_phone_suffix("789"), Scenario::Success);
        assert_eq!(Scenario::for_phone_suffix("029"), Scenario::PayerNotFound);
        assert_eq!(Scenario::for_phone_suffix("009"), Scenario::Manual);
        assert_eq!(Scenario::for_phone_suffix("149"), Scenario::LongDelay);
    }

    #[test]
    fn every_script_is_nonempty_and_starts_now() {
        let s = Simulator::new(Duration::from_secs(2));
        for sc in [
            Scenario::Success,
            Scenario::PayerLimitReached,
            Scenario::PayerNotFound,
            Scenario::Declined,
            Scenario::InsufficientBalance,
            Scenario::NeverAnswers,
            Scenario::ProviderError,
            Scenario::Unavailable,
            Scenario::SilentOperator,
            Scenario::DuplicateCallbacks,
            Scenario::LongDelay,
            Scenario::Manual,
        ] {
            let script = s.script(sc, "pay_abc");
            assert!(!script.is_empty(), "{sc:?}");
            assert_eq!(script[0].after, Duration::ZERO, "{sc:?}");
        }
    }
}
