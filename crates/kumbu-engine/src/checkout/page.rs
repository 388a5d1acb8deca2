//! The customer's side of a checkout session, behind its page's token: what the page shows,
//! starting a payment attempt, cancelling, and the sandbox phone.

use super::{
    attempt_of, due_at, MAX_ATTEMPTS, MAX_PROMPTS_PER_PHONE, MIN_ATTEMPT_TIME, PHONE_WINDOW,
};
use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::Recorded;
use crate::payments::sandbox::Answer;
use crate::payments::{CreatePayment, CustomerInput};
use crate::unit_of_work::Changes;
use crate::Engine;
use kumbu_core::ids::reprefix;
use kumbu_core::{
    CheckoutSession, CheckoutStatus, ErrorCode, Field, IdPrefix, Mode, Msisdn, Operator, Timestamp,
};
use kumbu_store::{Branding, SessionKey, StoreError, StoreTx};

/// What the page shows: the session, who is paid, and the time.
#[derive(Debug, Clone)]
pub struct CheckoutPage {
    /// The session.
    pub session: CheckoutSession,
    /// The merchant's name and look.
    pub branding: Branding,
    /// Now, by the engine's clock.
    pub now: Timestamp,
    /// The latest attempt's failure message, when it failed.
    pub failure_message: Option<String>,
}

impl Engine {
    /// The page's view of the session behind `token`.
    pub async fn checkout_page(&self, token: &str) -> Result<CheckoutPage, EngineError> {
        let not_found = || EngineError::not_found("checkout page", "…");
        if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(not_found());
        }
        let session = self
            .store()
            .checkout_session(SessionKey::Token(token))
            .await?
            .ok_or_else(not_found)?;
        let branding = self
            .store()
            .branding(&session.merchant_id)
            .await?
            .unwrap_or_default();
        let failure_message = match &session.attempt {
            Some(a) if a.failure_code.is_some() => self
                .store()
                .payment(&session.merchant_id, session.mode, &a.payment_id)
                .await?
                .and_then(|p| p.failure_message),
            Some(_) | None => None,
        };
        Ok(CheckoutPage {
            session,
            branding,
            now: self.now(),
            failure_message,
        })
    }

    /// Starts a payment attempt from the page: a prompt to `phone` through `operator`.
    /// Refusals name the field at fault, for the page to show beside it.
    pub async fn start_checkout_attempt(
        &self,
        token: &str,
        operator: Operator,
        phone: Msisdn,
    ) -> Result<CheckoutSession, EngineError> {
        let mut tx = self.begin().await?;
        let mut changes = self.changes();
        let result = self
            .attempt_in(&mut tx, &mut changes, token, operator, phone)
            .await;
        match result {
            Ok(s) => {
                self.commit(tx).await?;
                changes.publish_metrics();
                metrics::counter!("kumbu_payments_created_total").increment(1);
                self.inner.work_ready.notify_one();
                Ok(s)
            }
            Err(Closing::Refuse(e)) => {
                tx.rollback().await?;
                Err(e)
            }
            Err(Closing::Expired(e)) => {
                // The overdue session was expired in `tx`: that stands.
                self.commit(tx).await?;
                Err(e)
            }
        }
    }

    async fn attempt_in(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        token: &str,
        operator: Operator,
        phone: Msisdn,
    ) -> Result<CheckoutSession, Closing> {
        let now = self.now();
        let mut s = tx
            .lock_checkout_session(SessionKey::Token(token))
            .await
            .map_err(Closing::store)?
            .ok_or_else(|| Closing::Refuse(EngineError::not_found("checkout page", "…")))?;
        if s.status.is_terminal() {
            return Err(Closing::Refuse(not_open(&s)));
        }
        if s.attempt_in_flight().is_some() {
            return Err(Closing::Refuse(EngineError::field(
                ErrorCode::CheckoutAttemptInProgress,
                Field::PayerPhone,
                "a payment is already waiting for approval on a phone",
            )));
        }
        if now.plus(MIN_ATTEMPT_TIME) >= s.expires_at {
            if now >= s.expires_at {
                self.expire_now(tx, changes, &mut s, now)
                    .await
                    .map_err(Closing::store)?;
                return Err(Closing::Expired(not_open(&s)));
            }
            return Err(Closing::Refuse(EngineError::field(
                ErrorCode::CheckoutSessionNotOpen,
                Field::Id,
                "this payment page expires in less than 30 seconds; too little time to approve a payment",
            )));
        }
        if !s.operators.contains(&operator) {
            return Err(Closing::Refuse(EngineError::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operator,
                format!("{} is not offered on this page", operator.code()),
            )));
        }
        if s.attempts >= MAX_ATTEMPTS {
            return Err(Closing::Refuse(EngineError::field(
                ErrorCode::RateLimited,
                Field::Id,
                format!("this page has already tried {MAX_ATTEMPTS} payments"),
            )));
        }
        // Live prompts reach a real phone: counted across merchants. Sandbox prompts reach
        // nobody, so they count only within the merchant and never against live pages.
        let scope = match s.mode {
            Mode::Live => None,
            Mode::Test => Some(s.merchant_id.as_str()),
        };
        let recent = tx
            .checkout_prompts_to(phone.as_str(), s.mode, scope, now.minus(PHONE_WINDOW))
            .await
            .map_err(Closing::store)?;
        if recent >= MAX_PROMPTS_PER_PHONE {
            return Err(Closing::Refuse(EngineError::field(
                ErrorCode::RateLimited,
                Field::PayerPhone,
                format!(
                    "this number was sent {MAX_PROMPTS_PER_PHONE} payment requests in the last {} minutes",
                    PHONE_WINDOW.as_secs() / 60
                ),
            )));
        }
        let cmd = CreatePayment {
            amount: s.amount,
            currency: s.currency,
            operator,
            payer_phone: phone,
            reference: None,
            description: s.description.clone(),
            statement_descriptor: None,
            customer_id: s.customer_id.clone(),
            metadata: s.metadata.clone(),
            customer: CustomerInput {
                name: s.customer_name.clone(),
                email: None,
            },
            expires_in: None,
        };
        self.validate_create(s.mode, &cmd)
            .map_err(|r| Closing::Refuse(r.into()))?;
        let expires_at = now.plus(self.config().default_expires_in).min(s.expires_at);
        let price = self
            .collect_price(tx, &s.merchant_id, cmd.operator)
            .await
            .map_err(|e| Closing::Refuse(e.into()))?;
        let mut p = self.new_payment((&s.merchant_id, s.mode), cmd, price, expires_at, now);
        p.checkout_session_id = Some(s.id.clone());
        p.face = s.face;
        changes.record_created(&p);
        match tx.insert_payment(&p).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(Closing::Refuse(EngineError::field(
                    ErrorCode::CheckoutAttemptInProgress,
                    Field::PayerPhone,
                    "a payment is already waiting for approval on a phone",
                )))
            }
            Err(e) => return Err(Closing::store(e)),
        }
        s.attempts += 1;
        s.attempt = Some(attempt_of(&p));
        s.updated_at = now;
        tx.save_checkout_session(&s, due_at(&s))
            .await
            .map_err(Closing::store)?;
        changes.write(tx).await.map_err(Closing::store)?;
        Ok(s)
    }

    /// The customer cancels on the page; an attempt still waiting for its payer is cancelled
    /// too. Returns the session as it now is (completed, if the attempt was debited first).
    pub async fn cancel_checkout(&self, token: &str) -> Result<CheckoutSession, EngineError> {
        let page = self.checkout_page(token).await?;
        let mut tx = self.begin().await?;
        let mut changes = self.changes();
        match self
            .close_session(
                &mut tx,
                &mut changes,
                SessionKey::Token(token),
                &page.session,
                CheckoutStatus::Cancelled,
                "cancelled on the checkout page",
            )
            .await
        {
            Ok(s) => {
                self.commit(tx).await?;
                changes.publish_metrics();
                Ok(s)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }

    /// Test mode: answers the sandbox prompt of the session's attempt (the `…009` numbers),
    /// as the payer would on their phone.
    pub async fn answer_checkout_prompt(
        &self,
        token: &str,
        answer: Answer,
    ) -> Result<(), EngineError> {
        let page = self.checkout_page(token).await?;
        let s = page.session;
        let auth = AuthContext {
            merchant_id: s.merchant_id.clone(),
            mode: s.mode,
            key_id: "checkout-page".to_owned(),
            audit: None,
            face: None,
        };
        let prompt = s
            .attempt_in_flight()
            .and_then(|a| reprefix(&a.payment_id, IdPrefix::Payment, IdPrefix::Prompt))
            .ok_or_else(|| {
                EngineError::field(
                    ErrorCode::PromptNotPending,
                    Field::Id,
                    "no payment of this page is waiting for an answer",
                )
            })?;
        self.answer_prompt(&auth, &prompt, answer, None, |_| Recorded {
            status: 200,
            body: String::new(),
        })
        .await
        .map(|_| ())
    }
}

fn not_open(s: &CheckoutSession) -> EngineError {
    EngineError::field(
        ErrorCode::CheckoutSessionNotOpen,
        Field::Id,
        format!("this payment page is {}", s.status.as_str()),
    )
}

/// How an attempt's transaction ends when it does not start one.
enum Closing {
    /// Roll back and refuse.
    Refuse(EngineError),
    /// Commit (the session was expired) and refuse.
    Expired(EngineError),
}

impl Closing {
    fn store(e: StoreError) -> Self {
        Closing::Refuse(e.into())
    }
}
