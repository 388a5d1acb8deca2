//! The sandbox phone: prompts waiting for a person (`…009` numbers) and their answers.

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::progress::apply_notice;
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::ids::{has_shape, reprefix};
use kumbu_core::{ErrorCode, FailureCode, Field, IdPrefix, Mode, Payment, Rejection};
use kumbu_rails::{Notice, StepKind, Via};
use kumbu_store::StoreTx;

/// A payment prompt on a sandbox phone, waiting for the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// `prm_…` (shares its random part with the payment).
    pub id: String,
    /// The payment it asks about.
    pub payment: Payment,
}

/// The answer a person gives on the sandbox phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Enter the PIN: the payer is debited.
    Confirm,
    /// Refuse: the payment fails PAYMENT_DECLINED.
    Decline,
}

fn test_only(auth: &AuthContext) -> Result<(), EngineError> {
    match auth.mode {
        Mode::Test => Ok(()),
        Mode::Live => Err(Rejection::new(
            ErrorCode::TestModeOnly,
            "the sandbox phone exists only in test mode; use a sk_test_ key",
        )
        .into()),
    }
}

impl Engine {
    /// `true` when the payment's script is waiting for a person right now.
    fn awaits_person(&self, p: &Payment) -> bool {
        matches!(
            self.inner
                .simulator
                .step(p, p.progress.step)
                .map(|s| s.kind),
            Some(StepKind::AwaitPerson)
        )
    }

    /// Prompts waiting on a phone for the caller's test payments.
    pub async fn prompts(
        &self,
        auth: &AuthContext,
        phone: &str,
    ) -> Result<Vec<Prompt>, EngineError> {
        test_only(auth)?;
        let list = self
            .inner
            .store
            .confirming_payments_for_phone(&auth.merchant_id, phone)
            .await?;
        Ok(list
            .into_iter()
            .filter(|p| self.awaits_person(p))
            .filter_map(|p| {
                reprefix(&p.id, IdPrefix::Payment, IdPrefix::Prompt)
                    .map(|id| Prompt { id, payment: p })
            })
            .collect())
    }

    /// Answers a prompt: confirm debits the payer, decline fails the payment.
    pub async fn answer_prompt(
        &self,
        auth: &AuthContext,
        prompt_id: &str,
        answer: Answer,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        test_only(auth)?;
        let payment_id = match reprefix(prompt_id, IdPrefix::Prompt, IdPrefix::Payment) {
            Some(id) if has_shape(prompt_id, IdPrefix::Prompt) => id,
            Some(_) | None => return Err(EngineError::not_found("prompt", prompt_id)),
        };
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let mut p = tx
                    .lock_payment(&auth.merchant_id, auth.mode, &payment_id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("prompt", prompt_id))?;
                if !self.awaits_person(&p) || p.status.is_terminal() {
                    return Err(EngineError::field(
                        ErrorCode::PromptNotPending,
                        Field::Id,
                        format!(
                            "prompt {prompt_id} is not waiting for an answer (payment is {})",
                            p.status.as_str()
                        ),
                    ));
                }
                let now = self.now();
                if let Some(refusal) = self
                    .refuse_if_expired(tx, &mut p, now, ErrorCode::PromptNotPending, changes)
                    .await?
                {
                    return Ok(refusal);
                }
                let notice = match answer {
                    Answer::Confirm => Notice::Debited,
                    Answer::Decline => Notice::Failed {
                        code: FailureCode::PaymentDeclined,
                        operator_code: "SBX-DECLINED".to_owned(),
                    },
                };
                if let Some(change) = apply_notice(&mut p, &notice, Via::Callback, now) {
                    changes.record(&p, change);
                }
                let (step, next) = self.inner.simulator.after_answer(&p);
                p.progress.step = step;
                crate::progress::schedule(&mut p, next, now, Some(std::time::Duration::ZERO));
                changes.save(tx, &[&p]).await?;
                Ok(Verdict::Done(render(&p)))
            },
        )
        .await
    }
}
