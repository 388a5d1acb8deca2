//! Checkout sessions: the hosted payment page's engine object.
//!
//! A merchant creates a session (amount or line items, currency, the operators offered, where
//! to send the customer afterwards) and sends the customer to its page. On the page the
//! customer picks an operator and a number; each try is an ordinary payment linked to the
//! session (an *attempt*), so ledger, events, refunds and webhooks work as for any payment.
//!
//! Rules, each enforced in one transaction:
//! - **One attempt in flight.** Starting an attempt locks the session row and refuses while its
//!   latest attempt still waits for the payer; a partial unique index on payments backs this.
//! - **Completes once.** When an attempt is debited, whatever debits it (the rail worker, the
//!   sandbox phone) completes its session in the same transaction ([`Changes`] does it on
//!   write), so a session cannot complete twice and a debit never goes unrecorded.
//! - **Expiry.** An attempt never outlives its session (its `expires_at` is at most the
//!   session's), and the due-action worker expires a session once its latest attempt has
//!   ended, so a session never expires under a payment that is being debited.
//! - **Limits.** At most [`MAX_ATTEMPTS`] attempts per session and [`MAX_PROMPTS_PER_PHONE`]
//!   checkout prompts to one number in [`PHONE_WINDOW`] (across merchants and processes: the
//!   count is read from the payments table), so a page cannot be used to spam a phone.

use crate::auth::AuthContext;
use crate::changes::Changes;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::payments::{check_metadata, plain_text, CreatePayment, CustomerInput};
use crate::sandbox::Answer;
use crate::Engine;
use kumbu_core::ids::{has_shape, random_token, reprefix};
use kumbu_core::{
    new_id, Attempt, CheckoutSession, CheckoutStatus, Currency, ErrorCode, FailureCode, Field,
    IdPrefix, LineItem, Locale, Mode, Msisdn, Operator, Payment, PaymentStatus, Timestamp,
};
use kumbu_store::{Branding, NewEvent, SessionKey, StoreError, StoreTx};
use std::collections::BTreeMap;
use std::time::Duration;

/// The checkout session event types.
pub const CHECKOUT_EVENTS: [&str; 4] = [
    "checkout.created",
    "checkout.completed",
    "checkout.expired",
    "checkout.cancelled",
];

/// Most payment attempts one session may start.
pub const MAX_ATTEMPTS: u32 = 5;
/// Most checkout prompts sent to one phone number within [`PHONE_WINDOW`] (live: across
/// merchants; test: within the merchant).
pub const MAX_PROMPTS_PER_PHONE: i64 = 5;
/// The window of the per-number limit.
pub const PHONE_WINDOW: Duration = Duration::from_secs(600);
/// Shortest, default and longest session lifetime, in minutes.
pub const EXPIRY_MINUTES: (u32, u32, u32) = (5, 30, 1440);
/// An attempt needs at least this long before its session expires.
const MIN_ATTEMPT_TIME: Duration = Duration::from_secs(30);
/// Most line items.
const MAX_ITEMS: usize = 100;
/// How many due sessions one worker pass expires.
const EXPIRY_BATCH: u32 = 128;

/// A request for a checkout session, parsed by a face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCheckoutSession {
    /// Minor units; may be omitted when `items` are given (they must sum to it when both are).
    pub amount: Option<i64>,
    /// Currency.
    pub currency: Currency,
    /// What is paid for.
    pub items: Vec<LineItem>,
    /// Operators offered; empty offers every push operator of the currency.
    pub operators: Vec<Operator>,
    /// Absolute http(s) URL the customer goes to after paying.
    pub return_url: String,
    /// Absolute http(s) URL for a cancelled or expired session.
    pub cancel_url: Option<String>,
    /// Lifetime in minutes (5 to 1,440; default 30).
    pub expires_in_minutes: Option<u32>,
    /// The page's language; `None` follows the browser.
    pub locale: Option<Locale>,
    /// The customer's name.
    pub customer_name: Option<String>,
    /// A phone to prefill.
    pub customer_phone: Option<Msisdn>,
    /// The merchant's customer (`cu_…`), which must exist.
    pub customer_id: Option<String>,
    /// Shown to the customer (at most 500 characters).
    pub description: Option<String>,
    /// Merchant data.
    pub metadata: BTreeMap<String, String>,
}

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

fn invalid(field: Field, msg: impl Into<String>) -> EngineError {
    EngineError::field(ErrorCode::ParameterInvalid, field, msg)
}

/// Checks a redirect URL: absolute http(s), a host, at most 2,048 characters, nothing that
/// could break out of an attribute or header.
fn check_url(field: Field, name: &str, url: &str) -> Result<(), EngineError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty() && !host.contains('@')
    });
    if !host_ok
        || url.len() > 2048
        || url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return Err(invalid(
            field,
            format!("{name} must be an absolute http:// or https:// URL of at most 2048 characters, e.g. https://shop.example/paid"),
        ));
    }
    Ok(())
}

/// A UUID (version 4 layout) from 16 random bytes.
fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn session_event(s: &CheckoutSession, event_type: &str, seq: i64) -> NewEvent {
    NewEvent {
        id: new_id(IdPrefix::Event),
        merchant_id: s.merchant_id.clone(),
        mode: s.mode,
        event_type: event_type.to_owned(),
        object_id: s.id.clone(),
        object_seq: seq,
        payload: serde_json::to_string(s).unwrap_or_else(|_| "{}".to_owned()),
        created_at: s.updated_at,
    }
}

/// The attempt view of a payment.
fn attempt_of(p: &Payment) -> Attempt {
    Attempt {
        payment_id: p.id.clone(),
        status: p.status,
        operator: p.operator,
        payer_phone: p.payer_phone.clone(),
        operator_reference: p.operator_reference.clone(),
        failure_code: p.failure_code,
        expires_at: p.expires_at,
        updated_at: p.updated_at,
    }
}

/// The name the operator holds for the payer of a paid session, where it is known: the
/// sandbox's directory in test mode; live connectors do not report it yet.
pub fn payer_name(s: &CheckoutSession) -> Option<String> {
    let phone = s
        .attempt
        .as_ref()
        .filter(|_| s.payment_id.is_some())?
        .payer_phone
        .as_ref()?;
    match s.mode {
        Mode::Test => Some(kumbu_rails::directory::account_holder(phone)),
        Mode::Live => None,
    }
}

/// When the worker should next look at a session: its expiry while open.
fn due_at(s: &CheckoutSession) -> Option<Timestamp> {
    (!s.status.is_terminal()).then_some(s.expires_at)
}

/// Records that `p` (an attempt) was debited: its session completes when `changes` is written.
pub(crate) async fn complete_session(
    tx: &mut StoreTx,
    changes: &mut Changes,
    p: &Payment,
    at: Timestamp,
) -> Result<(), StoreError> {
    let Some(id) = &p.checkout_session_id else {
        return Ok(());
    };
    let key = SessionKey::Id {
        merchant_id: &p.merchant_id,
        mode: p.mode,
        id,
    };
    let Some(mut s) = tx.lock_checkout_session(key).await? else {
        return Err(StoreError::Corrupt(format!(
            "payment {} names a missing checkout session {id}",
            p.id
        )));
    };
    match s.transition(CheckoutStatus::Completed, at) {
        Ok(()) => {
            s.payment_id = Some(p.id.clone());
            s.attempt = Some(attempt_of(p));
            tx.save_checkout_session(&s, None).await?;
            let seq = tx.next_object_seq(&s.id).await?;
            changes.push_event(session_event(&s, "checkout.completed", seq));
        }
        Err(e) => {
            // Cannot happen by the rules above (an attempt ends with its session); if it did,
            // the payment still stands, and the merchant sees it.
            tracing::warn!(payment = %p.id, session = %s.id, reason = %e,
                "a checkout attempt was debited after its session closed: needs reconciliation");
        }
    }
    Ok(())
}

impl Engine {
    /// Creates a checkout session. `render` turns it into the face's response.
    pub async fn create_checkout_session(
        &self,
        auth: &AuthContext,
        cmd: CreateCheckoutSession,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&CheckoutSession) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let (amount, operators, minutes) = self.validate_session(auth.mode, &cmd)?;
        if let Some(c) = &cmd.customer_id {
            self.customer(auth, c).await.map_err(|e| match e {
                EngineError::Rejected(_) => invalid(
                    Field::CustomerId,
                    format!("customer `{c}` does not exist (create it first)"),
                ),
                e @ EngineError::Store(_) => e,
            })?;
        }
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let s = CheckoutSession {
                    id: new_id(IdPrefix::CheckoutSession),
                    token: random_token(32),
                    uuid: new_uuid(),
                    merchant_id: auth.merchant_id.clone(),
                    mode: auth.mode,
                    status: CheckoutStatus::Open,
                    amount,
                    currency: cmd.currency,
                    items: cmd.items,
                    operators,
                    return_url: cmd.return_url,
                    cancel_url: cmd.cancel_url,
                    locale: cmd.locale,
                    customer_name: cmd.customer_name,
                    customer_phone: cmd.customer_phone,
                    customer_id: cmd.customer_id,
                    description: cmd.description,
                    metadata: cmd.metadata,
                    attempts: 0,
                    attempt: None,
                    payment_id: None,
                    completed_at: None,
                    expires_at: now.plus(Duration::from_secs(u64::from(minutes) * 60)),
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_checkout_session(&s, due_at(&s)).await?;
                changes.push_event(session_event(&s, "checkout.created", 1));
                changes.write(tx).await?;
                Ok(Verdict::Done(render(&s)))
            },
        )
        .await
    }

    /// Checks a create command; returns the amount, the operators offered and the lifetime.
    fn validate_session(
        &self,
        mode: Mode,
        cmd: &CreateCheckoutSession,
    ) -> Result<(i64, Vec<Operator>, u32), EngineError> {
        if cmd.items.len() > MAX_ITEMS {
            return Err(invalid(Field::Items, format!("at most {MAX_ITEMS} items")));
        }
        let mut sum: i64 = 0;
        for (i, it) in cmd.items.iter().enumerate() {
            if it.name.trim().is_empty() || it.name.chars().count() > 200 {
                return Err(invalid(
                    Field::Items,
                    format!("items[{i}].name must be 1 to 200 characters"),
                ));
            }
            plain_text(Field::Items, &it.name, "item names")?;
            for t in [&it.description, &it.product_id].into_iter().flatten() {
                plain_text(Field::Items, t, "item descriptions and product ids")?;
                if t.chars().count() > 500 {
                    return Err(invalid(
                        Field::Items,
                        format!("items[{i}] fields must be at most 500 characters"),
                    ));
                }
            }
            if it.quantity < 1 || it.quantity > 10_000 {
                return Err(invalid(
                    Field::Items,
                    format!("items[{i}].quantity must be from 1 to 10000"),
                ));
            }
            if it.unit_amount < 1 {
                return Err(EngineError::field(
                    ErrorCode::AmountOutOfRange,
                    Field::Items,
                    format!("items[{i}].unit_amount must be a positive integer of minor units"),
                ));
            }
            sum = it.total().and_then(|t| sum.checked_add(t)).ok_or_else(|| {
                EngineError::field(
                    ErrorCode::AmountOutOfRange,
                    Field::Items,
                    "the items add up to more than any operator accepts",
                )
            })?;
        }
        let amount = match (cmd.amount, cmd.items.is_empty()) {
            (Some(a), true) => a,
            (None, false) => sum,
            (Some(a), false) if a == sum => a,
            (Some(a), false) => {
                return Err(EngineError::field(
                    ErrorCode::AmountOutOfRange,
                    Field::Amount,
                    format!("amount {a} differs from the sum of the items, {sum}; send one or make them agree"),
                ))
            }
            (None, true) => {
                return Err(EngineError::field(
                    ErrorCode::ParameterMissing,
                    Field::Amount,
                    "give an amount or line items",
                ))
            }
        };
        if amount < 1 {
            return Err(EngineError::field(
                ErrorCode::AmountOutOfRange,
                Field::Amount,
                "amount must be a positive integer of minor units",
            ));
        }
        let offered = self.catalogue().push_operators_for(cmd.currency);
        let operators = if cmd.operators.is_empty() {
            offered
        } else {
            for op in &cmd.operators {
                let info = self.catalogue().get(*op);
                if !info.currencies.contains(&cmd.currency)
                    || info.kind != kumbu_core::RailKind::MobileMoneyPush
                {
                    return Err(EngineError::field(
                        ErrorCode::OperatorNotAvailable,
                        Field::Operators,
                        format!(
                            "{} cannot collect {} by phone prompt; offer some of: {}",
                            op.code(),
                            cmd.currency,
                            offered
                                .iter()
                                .map(|o| o.code())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
            let mut ops: Vec<Operator> = Vec::with_capacity(cmd.operators.len());
            for op in &cmd.operators {
                if !ops.contains(op) {
                    ops.push(*op);
                }
            }
            ops
        };
        if operators.is_empty() {
            return Err(EngineError::field(
                ErrorCode::CurrencyNotSupported,
                Field::Currency,
                format!(
                    "no operator collects {} by phone prompt, so a checkout page cannot take it",
                    cmd.currency
                ),
            ));
        }
        for op in &operators {
            self.check_mode(mode, *op)?;
            let info = self.catalogue().get(*op);
            if amount < info.min_amount || amount > info.max_amount {
                return Err(EngineError::field(
                    ErrorCode::AmountOutOfRange,
                    Field::Amount,
                    format!(
                        "amount must be between {} and {} {} minor units for {}",
                        info.min_amount,
                        info.max_amount,
                        cmd.currency,
                        op.code()
                    ),
                ));
            }
        }
        check_url(Field::ReturnUrl, "return_url", &cmd.return_url)?;
        if let Some(u) = &cmd.cancel_url {
            check_url(Field::CancelUrl, "cancel_url", u)?;
        }
        let (lo, default, hi) = EXPIRY_MINUTES;
        let minutes = cmd.expires_in_minutes.unwrap_or(default);
        if !(lo..=hi).contains(&minutes) {
            return Err(invalid(
                Field::ExpiresIn,
                format!("the session's lifetime must be from {lo} to {hi} minutes"),
            ));
        }
        check_metadata(&cmd.metadata)?;
        for (field, value, name, max) in [
            (Field::Description, &cmd.description, "description", 500),
            (
                Field::CustomerName,
                &cmd.customer_name,
                "customer name",
                200,
            ),
        ] {
            if let Some(v) = value {
                plain_text(field, v, name)?;
                if v.chars().count() > max {
                    return Err(invalid(
                        field,
                        format!("{name} must be at most {max} characters"),
                    ));
                }
            }
        }
        Ok((amount, operators, minutes))
    }

    /// One of the caller's sessions, by `cs_…` id.
    pub async fn checkout_session(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<CheckoutSession, EngineError> {
        if !has_shape(id, IdPrefix::CheckoutSession) {
            return Err(EngineError::not_found("checkout session", id));
        }
        self.store()
            .checkout_session(SessionKey::Id {
                merchant_id: &auth.merchant_id,
                mode: auth.mode,
                id,
            })
            .await?
            .ok_or_else(|| EngineError::not_found("checkout session", id))
    }

    /// One of the caller's sessions, by its UUID alias or its page token.
    pub async fn checkout_session_by_alias(
        &self,
        auth: &AuthContext,
        alias: &str,
    ) -> Result<CheckoutSession, EngineError> {
        let found = if uuid::Uuid::parse_str(alias).is_ok() {
            self.store()
                .checkout_session(SessionKey::Uuid {
                    merchant_id: &auth.merchant_id,
                    mode: auth.mode,
                    uuid: &alias.to_ascii_lowercase(),
                })
                .await?
        } else if alias.len() <= 64 && alias.bytes().all(|b| b.is_ascii_alphanumeric()) {
            self.store()
                .checkout_session(SessionKey::Token(alias))
                .await?
                .filter(|s| s.merchant_id == auth.merchant_id && s.mode == auth.mode)
        } else {
            None
        };
        found.ok_or_else(|| EngineError::not_found("payment", alias))
    }

    /// A newest-first page of the caller's sessions (in any of `statuses`, when not empty).
    pub async fn list_checkout_sessions(
        &self,
        auth: &AuthContext,
        statuses: &[CheckoutStatus],
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<CheckoutSession>, bool), EngineError> {
        let not_ours = |after: &str| {
            EngineError::field(
                ErrorCode::ResourceMissing,
                Field::Id,
                format!("starting_after `{after}` is not one of your checkout sessions"),
            )
        };
        if let Some(a) = starting_after {
            if !has_shape(a, IdPrefix::CheckoutSession) {
                return Err(not_ours(a));
            }
        }
        self.store()
            .list_checkout_sessions(
                &auth.merchant_id,
                auth.mode,
                statuses,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| not_ours(starting_after.unwrap_or_default()))
    }

    /// Expires an open session at the merchant's request (an attempt still waiting for its
    /// payer is cancelled with it). Expiring an expired session answers it as it is.
    pub async fn expire_checkout_session(
        &self,
        auth: &AuthContext,
        id: &str,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&CheckoutSession) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        if !has_shape(id, IdPrefix::CheckoutSession) {
            return Err(EngineError::not_found("checkout session", id));
        }
        let current = self.checkout_session(auth, id).await?;
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let key = SessionKey::Id {
                    merchant_id: &auth.merchant_id,
                    mode: auth.mode,
                    id,
                };
                let s = self
                    .close_session(
                        tx,
                        changes,
                        key,
                        &current,
                        CheckoutStatus::Expired,
                        "expired by the merchant",
                    )
                    .await?;
                match s.status {
                    CheckoutStatus::Expired => Ok(Verdict::Done(render(&s))),
                    CheckoutStatus::Open
                    | CheckoutStatus::Completed
                    | CheckoutStatus::Cancelled => Err(EngineError::field(
                        ErrorCode::CheckoutSessionNotOpen,
                        Field::Id,
                        format!(
                            "checkout session {id} is {}; only an open session can be expired",
                            s.status.as_str()
                        ),
                    )),
                }
            },
        )
        .await
    }

    /// Closes an open session as `to`, cancelling its attempt in flight, if any. Locks the
    /// attempt's payment before the session (the order the rail worker takes them in).
    /// `seen` is the session as read before the transaction; if another attempt started since,
    /// the caller's retry sees it. Returns the session as it now is.
    async fn close_session(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        key: SessionKey<'_>,
        seen: &CheckoutSession,
        to: CheckoutStatus,
        reason: &str,
    ) -> Result<CheckoutSession, EngineError> {
        let now = self.now();
        let mut attempt = match seen.attempt_in_flight() {
            Some(a) => {
                tx.lock_payment(&seen.merchant_id, seen.mode, &a.payment_id)
                    .await?
            }
            None => None,
        };
        let mut s = tx
            .lock_checkout_session(key)
            .await?
            .ok_or_else(|| EngineError::not_found("checkout session", &seen.id))?;
        if s.status.is_terminal() {
            return Ok(s);
        }
        if let Some(a) = s.attempt_in_flight() {
            if attempt.as_ref().map(|p| &p.id) != Some(&a.payment_id) {
                return Err(EngineError::field(
                    ErrorCode::CheckoutAttemptInProgress,
                    Field::Id,
                    "a payment started on this page just now; try again",
                ));
            }
        }
        if let Some(p) = attempt.as_mut() {
            match p.status {
                // Not yet sent to the operator: nothing can be debited, it is safe to cancel.
                PaymentStatus::Created => {
                    if let Ok(change) = p.fail(FailureCode::Cancelled, None, reason, now) {
                        p.progress.next_action_at = None;
                        changes.record(p, change);
                        tx.save_payments(&[&*p]).await?;
                        s.attempt = Some(attempt_of(p));
                    }
                }
                // The prompt may be on the payer's phone: closing now could leave a debit
                // that no session records. It ends by itself (refused, approved or expired).
                PaymentStatus::OperatorPending | PaymentStatus::UserConfirming => {
                    return Err(EngineError::field(
                        ErrorCode::CheckoutAttemptInProgress,
                        Field::Id,
                        format!(
                            "a payment request is on the payer's phone until {}; it must be refused there or expire before the session can close",
                            p.expires_at.to_rfc3339()
                        ),
                    ));
                }
                PaymentStatus::Debited
                | PaymentStatus::Settled
                | PaymentStatus::PartiallyRefunded
                | PaymentStatus::Refunded
                | PaymentStatus::Failed
                | PaymentStatus::Expired
                | PaymentStatus::Cancelled => {}
            }
        }
        if s.attempt_in_flight().is_some() {
            // The attempt was debited meanwhile: the session completes instead.
            return Ok(s);
        }
        s.transition(to, now)
            .map_err(|e| StoreError::Corrupt(format!("session {}: {e}", s.id)))?;
        tx.save_checkout_session(&s, None).await?;
        let seq = tx.next_object_seq(&s.id).await?;
        let event = match to {
            CheckoutStatus::Expired => "checkout.expired",
            CheckoutStatus::Cancelled => "checkout.cancelled",
            CheckoutStatus::Completed | CheckoutStatus::Open => {
                return Err(
                    StoreError::Corrupt("close_session to a non-closing status".into()).into(),
                )
            }
        };
        changes.push_event(session_event(&s, event, seq));
        changes.write(tx).await?;
        Ok(s)
    }

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
        let mut changes = Changes::default();
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
        let mut p = self.new_payment(&s.merchant_id, s.mode, cmd, expires_at, now);
        p.checkout_session_id = Some(s.id.clone());
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

    /// Expires `s` (open and overdue) in `tx`.
    async fn expire_now(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        s: &mut CheckoutSession,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        s.transition(CheckoutStatus::Expired, now)
            .map_err(|e| StoreError::Corrupt(format!("session {}: {e}", s.id)))?;
        tx.save_checkout_session(s, None).await?;
        let seq = tx.next_object_seq(&s.id).await?;
        changes.push_event(session_event(s, "checkout.expired", seq));
        changes.write(tx).await
    }

    /// The customer cancels on the page; an attempt still waiting for its payer is cancelled
    /// too. Returns the session as it now is (completed, if the attempt was debited first).
    pub async fn cancel_checkout(&self, token: &str) -> Result<CheckoutSession, EngineError> {
        let page = self.checkout_page(token).await?;
        let mut tx = self.begin().await?;
        let mut changes = Changes::default();
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

    /// Expires due sessions whose latest attempt has ended (one still in flight ends by its
    /// own expiry, which is never later than the session's; the session is looked at again a
    /// second later). Runs inside the due-action worker's transaction.
    pub(crate) async fn expire_due_sessions(
        &self,
        tx: &mut StoreTx,
        changes: &mut Changes,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let due = tx.claim_due_checkout_sessions(now, EXPIRY_BATCH).await?;
        let n = due.len();
        for mut s in due {
            if s.status.is_terminal() {
                tx.save_checkout_session(&s, None).await?;
            } else if s.attempt_in_flight().is_some() {
                tx.save_checkout_session(&s, Some(now.plus(Duration::from_secs(1))))
                    .await?;
            } else {
                s.transition(CheckoutStatus::Expired, now)
                    .map_err(|e| StoreError::Corrupt(format!("session {}: {e}", s.id)))?;
                tx.save_checkout_session(&s, None).await?;
                let seq = tx.next_object_seq(&s.id).await?;
                changes.push_event(session_event(&s, "checkout.expired", seq));
            }
        }
        Ok(n)
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
