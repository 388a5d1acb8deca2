//! Payment commands: create, read, list, cancel; and the balance read from the ledger. The rail
//! checks a create passes (and checkout and payouts reuse) are `checks.rs`; the worker is
//! `worker.rs`, the connectors' path `live.rs`, the sandbox phone `sandbox.rs`, and what every
//! object checks `crate::validate`.

mod checks;
pub mod handover;
pub(crate) mod held;
pub(crate) mod live;
pub(crate) mod sandbox;
mod worker;

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::validate::plain_text;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::ledger::Account;
use kumbu_core::payment::RailProgress;
use kumbu_core::{
    new_id, Currency, ErrorCode, FailureCode, Field, IdPrefix, Mode, Msisdn, Operator, Payment,
    PaymentStatus, Price, StatusChange,
};
use kumbu_rails::connector::Flow;
use kumbu_store::{PaymentFilter, PaymentPage, StoreError, StoreTx};
use std::collections::BTreeMap;
use std::time::Duration;

/// Random characters of a hand-over token (`/pay/go/{token}`): 32 base62 characters, about 190
/// bits, never guessed.
const HANDOVER_TOKEN_LEN: usize = 32;

/// Shortest and longest allowed `expires_in`.
pub const EXPIRES_IN_RANGE: (u64, u64) = (60, 86_400);

/// Optional customer details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerInput {
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
}

/// A request to collect money, already parsed by a face into domain types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayment {
    /// Amount in minor units.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
    /// Operator.
    pub operator: Operator,
    /// Payer's phone.
    pub payer_phone: Msisdn,
    /// Merchant reference, unique per merchant and mode.
    pub reference: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// What the payer's statement shows (at most 100 characters).
    pub statement_descriptor: Option<String>,
    /// The merchant's customer (`cu_…`), which must exist.
    pub customer_id: Option<String>,
    /// Key-value data.
    pub metadata: BTreeMap<String, String>,
    /// Customer details.
    pub customer: CustomerInput,
    /// Expiry; the engine default when `None`.
    pub expires_in: Option<Duration>,
}

/// A merchant's money in one currency, read from the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Currency.
    pub currency: Currency,
    /// Debited but not yet settled (net of fees).
    pub pending: i64,
    /// Settled and available: money Kumbu holds for the merchant, what payouts draw on.
    pub available: i64,
    /// Reported from elsewhere (payment records, ingested bank payments): the merchant's money
    /// that a bank or the merchant holds. Kumbu never pays it out.
    pub reported: i64,
}

impl Engine {
    /// A new payment from a checked command, in status `created`, due at once for its rail.
    pub(crate) fn new_payment(
        &self,
        (merchant_id, mode): (&str, Mode),
        cmd: CreatePayment,
        price: Price,
        expires_at: kumbu_core::Timestamp,
        now: kumbu_core::Timestamp,
    ) -> Payment {
        let connector = match mode {
            Mode::Live => self.connector_for(cmd.operator),
            Mode::Test => None,
        };
        Payment {
            id: new_id(IdPrefix::Payment),
            merchant_id: merchant_id.to_owned(),
            mode,
            status: PaymentStatus::Created,
            amount: cmd.amount,
            fee: price.schedule.fee_for(cmd.amount),
            refund_fee: price.refund_fee,
            currency: cmd.currency,
            operator: cmd.operator,
            amount_refunded: 0,
            payer_phone: Some(cmd.payer_phone),
            bank: None,
            customer_name: cmd.customer.name,
            customer_email: cmd.customer.email,
            reference: cmd.reference,
            description: cmd.description,
            statement_descriptor: cmd.statement_descriptor,
            customer_id: cmd.customer_id,
            checkout_session_id: None,
            collection_request_id: None,
            record: None,
            deleted_at: None,
            face: None,
            metadata: cmd.metadata,
            // A connector's request is named by a reference written with the payment, before
            // any call, so that a retry can only name the same transaction.
            operator_reference: connector.map(|c| c.new_reference()),
            // A payer who pays on the operator's page is given Kumbu's hand-over URL at once;
            // it sends them on when the connector has made the page.
            handover: connector
                .filter(|c| c.flow(cmd.operator) == Flow::Page)
                .map(|_| random_token(HANDOVER_TOKEN_LEN)),
            rail_memo: None,
            failure_code: None,
            failure_message: None,
            operator_code: None,
            created_at: now,
            updated_at: now,
            expires_at,
            history: vec![StatusChange {
                from: None,
                to: PaymentStatus::Created,
                reason: "created".to_owned(),
                at: now,
            }],
            progress: RailProgress {
                step: 0,
                next_action_at: Some(now),
            },
        }
    }

    /// Creates a payment and hands it to its rail. `render` turns the new payment into the face's
    /// response, which is stored with the payment when an Idempotency-Key is given.
    pub async fn create_payment(
        &self,
        auth: &AuthContext,
        cmd: CreatePayment,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let expires_in = self.validate_create(auth.mode, &cmd)?;
        if auth.mode == Mode::Live {
            self.require_connector(&auth.merchant_id, cmd.operator)
                .await?;
        }
        if let Some(c) = &cmd.customer_id {
            match self.customer(auth, c).await {
                Ok(_) => {}
                Err(EngineError::Rejected(_)) => {
                    return Err(EngineError::field(
                        ErrorCode::ParameterInvalid,
                        Field::CustomerId,
                        format!("customer `{c}` does not exist (create it first)"),
                    ))
                }
                Err(e @ EngineError::Store(_)) => return Err(e),
            }
        }
        let outcome = self
            .idempotent(auth, idem, async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let price = self.collect_price(tx, &auth.merchant_id, cmd.operator).await?;
                let owner = (auth.merchant_id.as_str(), auth.mode);
                let mut payment = self.new_payment(owner, cmd, price, now.plus(expires_in), now);
                payment.face = auth.face;
                changes.record_created(&payment);
                let response = render(&payment);
                match tx.insert_payment(&payment).await {
                    Ok(()) => {}
                    Err(StoreError::Conflict(what)) if what.contains("reference") => {
                        return Err(EngineError::field(
                            ErrorCode::ReferenceAlreadyUsed,
                            Field::Reference,
                            format!(
                                "reference `{}` is already used by another payment of this merchant; references must be unique",
                                payment.reference.as_deref().unwrap_or_default()
                            ),
                        ));
                    }
                    Err(e) => return Err(e.into()),
                }
                changes.write(tx).await?;
                Ok(Verdict::Done(response))
            })
            .await?;
        if !outcome.replayed {
            metrics::counter!("kumbu_payments_created_total").increment(1);
            self.inner.work_ready.notify_one();
        }
        Ok(outcome)
    }

    /// One payment, if it belongs to the caller's merchant and mode.
    pub async fn payment(&self, auth: &AuthContext, id: &str) -> Result<Payment, EngineError> {
        if !kumbu_core::ids::has_shape(id, IdPrefix::Payment) {
            return Err(EngineError::not_found("payment", id));
        }
        self.inner
            .store
            .payment(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("payment", id))
    }

    /// How many of the caller's payments `filter` matches.
    pub async fn count_payments(
        &self,
        auth: &AuthContext,
        filter: &PaymentFilter,
    ) -> Result<i64, EngineError> {
        Ok(self
            .store()
            .count_payments(&auth.merchant_id, auth.mode, filter)
            .await?)
    }

    /// The name the operator holds for the payer's number, where it is known: the sandbox's
    /// directory in test mode; live connectors do not report it yet.
    pub fn account_holder(&self, p: &Payment) -> Option<String> {
        account_holder(p)
    }

    /// A newest-first page of the caller's payments.
    pub async fn list_payments(
        &self,
        auth: &AuthContext,
        filter: &PaymentFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<PaymentPage, EngineError> {
        let limit = limit.clamp(1, 100);
        if let Some(r) = &filter.reference {
            plain_text(Field::Reference, r, "reference")?;
        }
        EngineError::check_cursor(starting_after, IdPrefix::Payment, "payments")?;
        self.inner
            .store
            .list_payments(&auth.merchant_id, auth.mode, filter, starting_after, limit)
            .await?
            .ok_or_else(|| {
                EngineError::unknown_cursor("payments", starting_after.unwrap_or_default())
            })
    }

    /// Cancels a payment that has not been debited.
    pub async fn cancel_payment(
        &self,
        auth: &AuthContext,
        id: &str,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let auth = &auth.or_key("payment.cancelled", id, String::new());
        if !kumbu_core::ids::has_shape(id, IdPrefix::Payment) {
            return Err(EngineError::not_found("payment", id));
        }
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let mut p = tx
                    .lock_payment(&auth.merchant_id, auth.mode, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("payment", id))?;
                if p.operator == Operator::External {
                    return Err(EngineError::field(
                        ErrorCode::PaymentStateConflict,
                        Field::Id,
                        format!("payment {id} was recorded from outside Kumbu: mark it failed with POST /v1/payment_records/{id}"),
                    ));
                }
                let now = self.now();
                // Once a request may have reached the operator (sent, or being sent), it cannot
                // be withdrawn: the payer may still approve it.
                if self.with_operator(&p, now) {
                    return Err(EngineError::field(
                        ErrorCode::PaymentStateConflict,
                        Field::Id,
                        format!("payment {id} was sent to {}, which cannot withdraw a payment request: it ends when the payer answers or the operator's approval window closes", p.operator.code()),
                    ));
                }
                if let Some(refusal) = self
                    .refuse_if_expired(tx, &mut p, now, ErrorCode::PaymentStateConflict, changes)
                    .await?
                {
                    return Ok(refusal);
                }
                let change = p
                    .fail(FailureCode::Cancelled, None, "cancelled by merchant", now)
                    .map_err(|e| {
                        EngineError::field(
                            ErrorCode::PaymentStateConflict,
                            Field::Id,
                            format!("payment cannot be cancelled: {e}"),
                        )
                    })?;
                p.progress.next_action_at = None;
                changes.record(&p, change);
                changes.save(tx, &[&p]).await?;
                Ok(Verdict::Done(render(&p)))
            },
        )
        .await
    }

    /// The caller's payments summed by day (of creation, UTC), operator and currency, for the
    /// last `days` days including today, oldest first: what succeeded and for how much, what
    /// failed or expired. Read from a summary kept as payments change, so it costs the same
    /// for a million payments as for ten.
    pub async fn payment_days(
        &self,
        auth: &AuthContext,
        days: u32,
    ) -> Result<Vec<kumbu_store::PaymentDay>, EngineError> {
        let back = std::time::Duration::from_secs(86_400 * u64::from(days.saturating_sub(1)));
        let first = self.now().minus(back).to_rfc3339()[..10].to_owned();
        Ok(self
            .store()
            .payment_days(&auth.merchant_id, auth.mode, &first)
            .await?)
    }

    /// What one of the caller's payments posted to the ledger (and its refunds did), oldest
    /// first.
    pub async fn payment_postings(
        &self,
        auth: &AuthContext,
        payment_id: &str,
    ) -> Result<Vec<kumbu_store::PaymentPosting>, EngineError> {
        Ok(self
            .store()
            .payment_postings(&auth.merchant_id, auth.mode, payment_id)
            .await?)
    }

    /// What the merchant pays to collect on `operator`: its own price, or the catalogue's
    /// (fee kept on refunds). Read in the transaction that makes the payment.
    pub(crate) async fn collect_price(
        &self,
        tx: &mut StoreTx,
        merchant_id: &str,
        operator: kumbu_core::Operator,
    ) -> Result<Price, StoreError> {
        Ok(tx
            .price(merchant_id, operator, kumbu_core::Direction::Collect)
            .await?
            .unwrap_or(Price {
                schedule: self.catalogue().get(operator).fee,
                refund_fee: kumbu_core::RefundFee::Kept,
            }))
    }

    /// Per-currency pending and available balances, from the ledger accounts.
    pub async fn balance(&self, auth: &AuthContext) -> Result<Vec<Balance>, EngineError> {
        let rows = self
            .inner
            .store
            .balances(&auth.merchant_id, auth.mode)
            .await?;
        let mut out: BTreeMap<Currency, Balance> = BTreeMap::new();
        for r in rows {
            let b = out.entry(r.currency).or_insert(Balance {
                currency: r.currency,
                pending: 0,
                available: 0,
                reported: 0,
            });
            // Liabilities carry credit (negative) balances; merchants see them as positive money.
            match r.account {
                Account::MerchantPending => b.pending = -r.balance,
                Account::MerchantAvailable => b.available = -r.balance,
                Account::MerchantReported => b.reported = -r.balance,
                Account::ReportedFunds
                | Account::OperatorClearing
                | Account::SettlementBank
                | Account::FeeRevenue
                | Account::PayoutsInFlight => {}
            }
        }
        Ok(out.into_values().collect())
    }
}

/// The name the operator holds for the payer's number, where known: the sandbox's directory in
/// test mode; live connectors do not report it yet.
pub fn account_holder(p: &Payment) -> Option<String> {
    match p.mode {
        kumbu_core::Mode::Test => p
            .payer_phone
            .as_ref()
            .map(kumbu_rails::directory::account_holder),
        kumbu_core::Mode::Live => None,
    }
}
