//! The merchant's side of checkout sessions: create (with its checks), read, list, expire.

use super::{due_at, session_event, EXPIRY_MINUTES};
use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::validate::{check_metadata, plain_text};
use crate::Engine;
use kumbu_core::ids::{has_shape, random_token};
use kumbu_core::{
    new_id, CheckoutSession, CheckoutStatus, Currency, ErrorCode, Field, IdPrefix, LineItem,
    Locale, Mode, Msisdn, Operator,
};
use kumbu_store::{SessionKey, StoreTx};
use std::collections::BTreeMap;
use std::time::Duration;

/// Most line items.
/// The most line items a session may list.
pub const MAX_ITEMS: usize = 100;
/// The most of one line item.
pub const MAX_QUANTITY: i64 = 10_000;

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
        || url.len() > crate::destination::MAX_URL_LEN
        || url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return Err(invalid(
            field,
            format!("{name} must be an absolute http:// or https:// URL of at most {} characters, e.g. https://shop.example/paid", crate::destination::MAX_URL_LEN),
        ));
    }
    Ok(())
}

/// A refusal of one operator (a payment's `operator`), as the refusal of a session's
/// `operators`.
fn about_operators(e: EngineError) -> EngineError {
    match e {
        EngineError::Rejected(mut r) if r.field == Some(Field::Operator) => {
            r.field = Some(Field::Operators);
            EngineError::Rejected(r)
        }
        e @ (EngineError::Rejected(_) | EngineError::Store(_)) => e,
    }
}

/// A UUID (version 4 layout) from 16 random bytes.
fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
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
        let (amount, asked, minutes) = self.validate_session(&cmd)?;
        let operators = self
            .offer(auth, cmd.currency, amount, asked, cmd.operators.is_empty())
            .await?;
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
                    face: auth.face,
                };
                tx.insert_checkout_session(&s, due_at(&s)).await?;
                changes.push_event(session_event(&s, "checkout.created", 1));
                changes.write(tx).await?;
                Ok(Verdict::Done(render(&s)))
            },
        )
        .await
    }

    /// What a session offers: the operators named, each of which must be able to take the
    /// payment (in live mode: a connector and the merchant's credentials for it); by default,
    /// every operator of the currency, in live mode only those the merchant can take live
    /// payments through (issue 24: a live session offering an operator without a connector was
    /// refused, so every default live session was). The amount must suit each operator offered.
    async fn offer(
        &self,
        auth: &AuthContext,
        currency: kumbu_core::Currency,
        amount: i64,
        asked: Vec<Operator>,
        by_default: bool,
    ) -> Result<Vec<Operator>, EngineError> {
        let operators = match (auth.mode, by_default) {
            (Mode::Test, _) => asked,
            (Mode::Live, false) => {
                for op in &asked {
                    self.check_mode(auth.mode, *op)
                        .map_err(|r| about_operators(r.into()))?;
                    self.require_connector(&auth.merchant_id, *op)
                        .await
                        .map_err(about_operators)?;
                }
                asked
            }
            (Mode::Live, true) => {
                let usable = self.live_collectable(&auth.merchant_id, &asked).await?;
                if usable.is_empty() {
                    return Err(self.nothing_live_to_offer(&auth.merchant_id, currency, &asked));
                }
                usable
            }
        };
        for op in &operators {
            self.check_mode(auth.mode, *op)
                .map_err(|r| about_operators(r.into()))?;
            self.check_amount(*op, currency, amount)?;
        }
        Ok(operators)
    }

    /// Checks a create command; returns the amount, the operators asked for (or all of the
    /// currency's) and the lifetime.
    fn validate_session(
        &self,
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
            if it.quantity < 1 || it.quantity > MAX_QUANTITY {
                return Err(invalid(
                    Field::Items,
                    format!("items[{i}].quantity must be from 1 to {MAX_QUANTITY}"),
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
        let not_ours = |after: &str| EngineError::unknown_cursor("checkout sessions", after);
        EngineError::check_cursor(
            starting_after,
            IdPrefix::CheckoutSession,
            "checkout sessions",
        )?;
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

    /// Expires an open session at the merchant's request. An attempt not yet sent to the
    /// operator is cancelled with it; one the payer may be approving refuses the request (409
    /// `checkout_attempt_in_progress`). Expiring an expired session answers it as it is.
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
}
