//! Payment records collected from the payer's wallet: a record that names the payer's number and
//! a mobile-money operator (Kulpay's `provider_mpesa`) is not the merchant's word that money
//! moved elsewhere, but a request to collect it: a payment on that operator's rail (live: its
//! connector; test: the sandbox), which Kumbu holds, carrying the record's account, provider and
//! channel. It starts pending; the operator's answer confirms or fails it, never the merchant.
//! On its first debit it counts towards its bill ([`CreditBills`], in the debit's transaction).

use super::{accept_into, bill_of, not_open, CreatePaymentRecord, RecordStatus};
use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::payments::CreatePayment;
use crate::unit_of_work::{AfterDebit, Changes, StepFuture};
use crate::Engine;
use kumbu_core::{ErrorCode, Field, Msisdn, Operator, Payment, RecordDetails, Timestamp};
use kumbu_store::{StoreError, StoreTx};

/// Whom a record is collected from, and through which operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPayer {
    /// The operator (a phone-prompt rail).
    pub operator: Operator,
    /// The payer's number.
    pub phone: Msisdn,
}

impl Engine {
    /// Creates a record collected from `payer`'s wallet (see the module's header).
    pub(super) async fn collect_record(
        &self,
        auth: &AuthContext,
        cmd: CreatePaymentRecord,
        payer: RecordPayer,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Payment) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        if cmd.status != RecordStatus::Pending {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::Status,
                format!(
                    "a payment collected from the payer's wallet starts pending: Kumbu confirms or fails it when {} answers",
                    payer.operator.code()
                ),
            ));
        }
        self.check_push_rail(
            auth.mode,
            payer.operator,
            cmd.currency,
            &payer.phone,
            Field::PayerPhone,
            cmd.amount,
        )?;
        if auth.mode == kumbu_core::Mode::Live {
            self.require_connector(&auth.merchant_id, payer.operator)
                .await?;
        }
        let outcome = self
            .idempotent(
                auth,
                idem,
                async move |tx: &mut StoreTx, changes: &mut Changes| {
                    let now = self.now();
                    let create = CreatePayment {
                        amount: cmd.amount,
                        currency: cmd.currency,
                        operator: payer.operator,
                        payer_phone: payer.phone,
                        reference: None,
                        description: None,
                        statement_descriptor: None,
                        customer_id: None,
                        metadata: Default::default(),
                        customer: Default::default(),
                        expires_in: None,
                    };
                    let expires_at = now.plus(self.config().default_expires_in);
                    let price = self
                        .collect_price(tx, &auth.merchant_id, create.operator)
                        .await?;
                    let owner = (auth.merchant_id.as_str(), auth.mode);
                    let mut p = self.new_payment(owner, create, price, expires_at, now);
                    p.face = auth.face;
                    p.record = Some(RecordDetails {
                        account_id: cmd.account_id,
                        provider_id: cmd.provider_id,
                        channel: cmd.channel,
                        processed_at: None,
                        ingest_id: None,
                    });
                    p.collection_request_id = cmd.collection_request_id.clone();
                    if let Some(cr) = &cmd.collection_request_id {
                        if let Some(bill) = bill_of(tx, &p, cr).await? {
                            if !bill.status().takes_payments() {
                                return Err(not_open(&bill));
                            }
                        }
                    }
                    changes.record_created(&p);
                    tx.insert_payment(&p).await?;
                    tx.save_payment_record(&p).await?;
                    changes.write(tx).await?;
                    Ok(Verdict::Done(render(&p)))
                },
            )
            .await?;
        if !outcome.replayed {
            metrics::counter!("kumbu_payments_created_total").increment(1);
            self.inner.work_ready.notify_one();
        }
        Ok(outcome)
    }
}

/// The step that follows the first debit of a record collected from a wallet: its bill takes the
/// money, in the same transaction (given to every `Changes` by the engine, with checkout's).
#[derive(Debug)]
pub(crate) struct CreditBills;

impl AfterDebit for CreditBills {
    fn after_debit<'a>(
        &'a self,
        tx: &'a mut StoreTx,
        _changes: &'a mut Changes,
        payment: &'a Payment,
    ) -> StepFuture<'a> {
        Box::pin(credit_bill(tx, payment, payment.updated_at))
    }
}

/// Counts `p` (just debited) towards its bill. A bill that stopped taking payments meanwhile
/// (paid by a bank transfer, cancelled) keeps what it has: the money stays the merchant's, and
/// the log says it needs a person.
async fn credit_bill(tx: &mut StoreTx, p: &Payment, at: Timestamp) -> Result<(), StoreError> {
    let (Some(cr), Some(_)) = (&p.collection_request_id, &p.record) else {
        return Ok(());
    };
    if p.operator == Operator::External {
        // Records by the merchant's word count when confirmed (`records.rs`).
        return Ok(());
    }
    let bill = match bill_of(tx, p, cr).await {
        Ok(Some(bill)) => bill,
        Ok(None) => return Ok(()),
        Err(EngineError::Store(e)) => return Err(e),
        Err(e @ EngineError::Rejected(_)) => {
            tracing::warn!(payment = %p.id, bill = %cr, error = %e, "a wallet payment's bill does not take it: needs reconciliation");
            return Ok(());
        }
    };
    let mut bill = bill;
    if !bill.status().takes_payments() {
        tracing::warn!(payment = %p.id, bill = %cr, "a wallet payment was debited after its bill closed: the money is the merchant's; needs reconciliation");
        return Ok(());
    }
    match accept_into(tx, &mut bill, p.amount, at).await {
        Ok(()) => Ok(()),
        Err(EngineError::Store(e)) => Err(e),
        Err(e @ EngineError::Rejected(_)) => {
            tracing::warn!(payment = %p.id, bill = %cr, error = %e, "a wallet payment's bill refused it: needs reconciliation");
            Ok(())
        }
    }
}
