//! Live references issued at a gateway (Multicaixa through ProxyPay), and the payments it
//! reports. A connector with the references capability carries them; the engine names no
//! gateway.
//!
//! - **References.** A live reference of a merchant with the gateway's credentials is committed
//!   here first, marked `pending`, then sent (create or update, delete: idempotent by id) outside
//!   any transaction. The gateway's answer marks it `synced`, or `refused` (its reason kept and
//!   told to the caller); an unknown outcome leaves it `pending`, and the worker sends it again
//!   with back-off until the gateway answers. The caller learns which.
//! - **Payments.** What the gateway reports, by its signed webhook or from its queue (read every
//!   `--upstream-poll-secs` per merchant, one process per turn), is recorded as a settled
//!   payment with its events and journals, once (the bank payment id is unique per merchant and
//!   mode), taking its reference's face; only after that commit is it acknowledged at the
//!   gateway, so nothing is lost while Kumbu is down and nothing counts twice.

use crate::error::EngineError;
use crate::Engine;
use kumbu_core::{ErrorCode, Field, Mode, Operator, Reference, ReferenceStatus, Rejection};
use kumbu_rails::connector::{CallError, Connector, Duty, Opened, Reported};
use kumbu_store::UpstreamState;
use std::sync::Arc;
use std::time::Duration;

/// The operator whose references go through a gateway.
const OPERATOR: Operator = Operator::Multicaixa;

/// How many pending references one worker pass sends.
const PUSH_BATCH: u32 = 64;

/// The wait before sending a reference again after the `tries`-th unknown outcome: 2 s doubling
/// to 10 minutes.
fn backoff(tries: i64) -> Duration {
    let exp = u32::try_from(tries.clamp(0, 9)).unwrap_or(9);
    Duration::from_secs((2u64 << exp).min(600))
}

/// What the gateway's answer to a sent reference came to.
#[derive(Debug)]
enum Sent {
    /// It has it (or a newer change is due to it at once).
    Synced,
    /// Unknown: it is sent again later.
    Again(String),
    /// Refused: why.
    Refused(String),
}

impl Upstream {
    /// The caller's answer: done, or (the gateway did not answer) a 503 saying the reference is
    /// kept and sent again, so that a retry is safe.
    pub(crate) fn into_result(
        self,
        gateway: &Arc<dyn Connector>,
        id: u64,
    ) -> Result<(), EngineError> {
        match self {
            Upstream::Synced => Ok(()),
            Upstream::Pending(why) => Err(EngineError::Rejected(Rejection::new(
                ErrorCode::ServiceUnavailable,
                format!(
                    "{} did not answer ({why}); reference {id:09} is kept and sent to it again in the background (a PUT, or a POST with the same Idempotency-Key, may be retried safely)",
                    gateway.name()
                ),
            ))),
        }
    }
}

/// What happened to a reference's change at the gateway, as the caller is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Upstream {
    /// The gateway has it.
    Synced,
    /// The gateway did not answer; it is sent again in the background.
    Pending(String),
}

impl Engine {
    /// The gateway's connector and the merchant's credentials, when `merchant`'s references in
    /// `mode` go through one.
    pub(crate) async fn gateway(
        &self,
        merchant: &str,
        mode: Mode,
    ) -> Result<Option<(Arc<dyn Connector>, Opened)>, EngineError> {
        if mode != Mode::Live {
            return Ok(None);
        }
        let Some(c) = self
            .connector_for(OPERATOR)
            .filter(|c| c.references().is_some())
            .cloned()
        else {
            return Ok(None);
        };
        let creds = self
            .credentials_for(c.as_ref(), merchant, OPERATOR, Duty::Collect)
            .await?;
        Ok(creds.map(|o| (c, o)))
    }

    /// Sends a committed reference's change (`r` as it now stands) to the gateway, and records
    /// the answer. A refusal is the caller's error (naming what the gateway said).
    pub(crate) async fn send_upstream(
        &self,
        gateway: &(Arc<dyn Connector>, Opened),
        r: &Reference,
    ) -> Result<Upstream, EngineError> {
        let result = self.call_gateway(gateway, r).await;
        match self.record_sent(r, result, 0).await? {
            Sent::Synced => Ok(Upstream::Synced),
            Sent::Again(why) => Ok(Upstream::Pending(why)),
            Sent::Refused(why) => Err(EngineError::Rejected(Rejection::field(
                ErrorCode::OperatorNotAvailable,
                Field::ReferenceId,
                format!("{} refused reference {:09}: {why}", gateway.0.name(), r.id),
            ))),
        }
    }

    /// Records what the gateway answered to `sent` (after `tries` earlier unknown outcomes). A
    /// reference changed here meanwhile (a newer PUT or a DELETE while this one was on its way)
    /// is sent again at once, so the gateway ends with the latest.
    async fn record_sent(
        &self,
        sent: &Reference,
        result: Result<(), CallError>,
        tries: i64,
    ) -> Result<Sent, EngineError> {
        let key = (sent.merchant_id.as_str(), sent.mode, sent.id);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let changed = tx
            .lock_reference(key.0, key.1, key.2)
            .await?
            .is_some_and(|now| {
                // What the gateway holds of it: a payment marking it paid changes nothing there.
                let deleted = |r: &Reference| r.status == ReferenceStatus::Deleted;
                (now.amount, now.end_at, &now.custom_fields, deleted(&now))
                    != (sent.amount, sent.end_at, &sent.custom_fields, deleted(sent))
            });
        let outcome = match result {
            Ok(()) if changed => {
                tx.set_reference_upstream(key, UpstreamState::Pending, Some(now), None, false)
                    .await?;
                Sent::Synced
            }
            Ok(()) => {
                tx.set_reference_upstream(key, UpstreamState::Synced, None, None, false)
                    .await?;
                Sent::Synced
            }
            Err(CallError::Unknown(why)) => {
                let due = now.plus(backoff(tries));
                tx.set_reference_upstream(key, UpstreamState::Pending, Some(due), Some(&why), true)
                    .await?;
                Sent::Again(why)
            }
            Err(e @ (CallError::Refused { .. } | CallError::Unauthorized(_))) => {
                let why = e.to_string();
                tx.set_reference_upstream(key, UpstreamState::Refused, None, Some(&why), true)
                    .await?;
                Sent::Refused(why)
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// The gateway call for `r`: delete a deleted reference, put any other.
    async fn call_gateway(
        &self,
        (connector, creds): &(Arc<dyn Connector>, Opened),
        r: &Reference,
    ) -> Result<(), CallError> {
        let Some(refs) = connector.references() else {
            return Err(CallError::Unauthorized(
                "no references capability".to_owned(),
            ));
        };
        match r.status {
            ReferenceStatus::Deleted => refs.delete_reference(creds, r.id).await,
            ReferenceStatus::Active | ReferenceStatus::Paid | ReferenceStatus::Expired => {
                refs.put_reference(creds, r).await
            }
        }
    }

    /// One worker pass: sends the references whose change is due at their gateway. Returns how
    /// many were sent.
    pub async fn push_references(&self) -> Result<usize, EngineError> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let claimed = tx
            .claim_upstream_references(now, now.plus(self.to_send_after()), PUSH_BATCH)
            .await?;
        tx.commit().await?;
        let n = claimed.len();
        // All at once, so that each is sent within the claim's lease (one call's longest).
        let mut sends = tokio::task::JoinSet::new();
        for (r, tries) in claimed {
            let engine = self.clone();
            sends.spawn(async move { engine.send_claimed(r, tries).await });
        }
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "recording a reference's send failed; it is sent again when its lease runs out")
                }
                Err(e) => tracing::error!(error = %e, "a reference's send ended abnormally"),
            }
        }
        Ok(n)
    }

    /// Sends one claimed reference and records the answer.
    async fn send_claimed(&self, r: Reference, tries: i64) -> Result<(), EngineError> {
        let Some(gateway) = self.gateway(&r.merchant_id, r.mode).await? else {
            // Credentials removed meanwhile: nothing to send it to.
            let mut tx = self.store().begin().await?;
            tx.set_reference_upstream(
                (&r.merchant_id, r.mode, r.id),
                UpstreamState::Refused,
                None,
                Some("the merchant's gateway credentials were removed"),
                false,
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        };
        let result = self.call_gateway(&gateway, &r).await;
        match self.record_sent(&r, result, tries + 1).await? {
            Sent::Synced => {
                tracing::info!(reference = r.id, merchant = %r.merchant_id, "reference sent to the gateway");
            }
            Sent::Again(why) => {
                tracing::warn!(reference = r.id, merchant = %r.merchant_id, reason = %why, tries, "the gateway did not answer; sending the reference again later");
            }
            Sent::Refused(why) => {
                tracing::error!(reference = r.id, merchant = %r.merchant_id, reason = %why, "the gateway refused a reference");
            }
        }
        Ok(())
    }

    /// One worker pass: reads the queue of each merchant whose turn has come (one process per
    /// turn), records what it reports, then acknowledges it. Returns how many payments were
    /// recorded.
    pub async fn poll_gateways(&self) -> Result<usize, EngineError> {
        let Some(connector) = self
            .connector_for(OPERATOR)
            .filter(|c| c.references().is_some())
            .cloned()
        else {
            return Ok(0);
        };
        let merchants = self
            .store()
            .due_poll_merchants(OPERATOR.code(), self.now())
            .await?;
        let mut recorded = 0;
        for merchant in merchants {
            // One merchant's trouble (its gateway down, a payment that will not record) is
            // logged and waits for its next turn; the others' turns go on.
            match self.poll_gateway(connector.as_ref(), &merchant).await {
                Ok(n) => recorded += n,
                Err(e) => {
                    tracing::warn!(merchant = %merchant, error = %e, "reading the gateway's queue failed; next turn");
                }
            }
        }
        Ok(recorded)
    }

    /// Reads `merchant`'s gateway queue if its turn is this process's to take, records what it
    /// reports, then acknowledges each: how many were new.
    async fn poll_gateway(
        &self,
        connector: &dyn Connector,
        merchant: &str,
    ) -> Result<usize, EngineError> {
        let now = self.now();
        let next = now.plus(self.config().upstream_poll_every);
        if !self
            .store()
            .take_poll_turn(merchant, OPERATOR.code(), now, next)
            .await?
        {
            return Ok(0);
        }
        let (Some(gateway), Some(refs)) = (
            self.gateway(merchant, Mode::Live).await?,
            connector.references(),
        ) else {
            return Ok(0);
        };
        let queued = match refs.queued(&gateway.1).await {
            Ok(q) => q,
            Err(e) => {
                tracing::warn!(merchant, reason = %e, "the gateway's queue could not be read; next turn");
                return Ok(0);
            }
        };
        let mut recorded = 0;
        for reported in queued {
            if self.record_reported(merchant, &reported).await? {
                recorded += 1;
            }
            self.acknowledge(&gateway, reported.bank.payment_id).await;
        }
        Ok(recorded)
    }

    /// Acknowledges a reported payment at the gateway (after its commit); a failure only leaves
    /// it in the queue, to be read, found recorded, and acknowledged at the next turn.
    async fn acknowledge(&self, (connector, creds): &(Arc<dyn Connector>, Opened), id: i64) {
        if let Some(refs) = connector.references() {
            if let Err(e) = refs.acknowledge(creds, id).await {
                tracing::warn!(payment = id, reason = %e, "acknowledging a payment at the gateway failed; it is read again and acknowledged at the next turn");
            }
        }
    }

    /// A gateway's webhook to `/callbacks/<slug>/<merchant>`: `Ok(true)` when it was the
    /// gateway's (signed with the merchant's credentials) and its payment is recorded (and then
    /// acknowledged); `Ok(false)` when it proved nothing.
    pub async fn gateway_webhook(
        &self,
        slug: &str,
        merchant: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<bool, EngineError> {
        let Some(connector) = self
            .inner
            .connectors
            .by_slug(slug)
            .filter(|c| c.references().is_some())
        else {
            return Ok(false);
        };
        if !kumbu_core::ids::has_shape(merchant, kumbu_core::IdPrefix::Merchant) {
            return Ok(false);
        }
        let Some(gateway) = self.gateway(merchant, Mode::Live).await? else {
            return Ok(false);
        };
        let Some(reported) = connector
            .references()
            .and_then(|r| r.webhook(&gateway.1, headers, body))
        else {
            return Ok(false);
        };
        self.record_reported(merchant, &reported).await?;
        self.acknowledge(&gateway, reported.bank.payment_id).await;
        Ok(true)
    }

    /// Whether `slug` names a connector whose callbacks are a gateway's webhooks.
    pub fn is_gateway(&self, slug: &str) -> bool {
        self.inner
            .connectors
            .by_slug(slug)
            .is_some_and(|c| c.references().is_some())
    }

    /// Records a payment the gateway reported for `merchant`'s live references, once: `false`
    /// when it was recorded before.
    async fn record_reported(
        &self,
        merchant: &str,
        reported: &Reported,
    ) -> Result<bool, EngineError> {
        if self
            .store()
            .payment_id_for_bank_payment(merchant, Mode::Live, reported.bank.payment_id)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let mut tx = self.begin().await?;
        let mut changes = self.changes();
        let now = self.now();
        let reference = tx
            .lock_reference(merchant, Mode::Live, reported.bank.reference_id)
            .await?;
        if reference.is_none() {
            tracing::warn!(merchant, reference = reported.bank.reference_id, payment = reported.bank.payment_id,
                "the gateway reports a payment of a reference Kumbu does not hold; recorded all the same (money moved)");
        }
        let metadata = reference.as_ref().map_or_else(
            || reported.custom_fields.clone(),
            |r| r.custom_fields.clone(),
        );
        let face = reference.as_ref().and_then(|r| r.face);
        let price = self
            .collect_price(&mut tx, merchant, kumbu_core::Operator::Multicaixa)
            .await?;
        let payment = self.bank_payment(
            (merchant, Mode::Live),
            (reported.bank.clone(), price),
            reported.amount,
            metadata,
            face,
            now,
        );
        match self
            .settle_bank_payment(
                &mut tx,
                &mut changes,
                payment,
                "reported by the gateway",
                now,
            )
            .await
        {
            Ok(_) => {}
            Err(EngineError::Store(kumbu_store::StoreError::Conflict(_))) => {
                // Another process (the webhook and a queue read at once) recorded it first.
                tx.rollback().await?;
                return Ok(false);
            }
            Err(e) => {
                tx.rollback().await?;
                return Err(e);
            }
        }
        if let Some(r) = reference.filter(|r| r.status == ReferenceStatus::Active) {
            tx.set_reference_status(merchant, Mode::Live, r.id, ReferenceStatus::Paid, now)
                .await?;
        }
        self.commit(tx).await?;
        changes.publish_metrics();
        Ok(true)
    }
}

impl Engine {
    /// How long a reference to send is left to the call under way (the request's own, or a
    /// worker's) before any process sends it: the longest a call may last, and a second.
    pub(crate) fn to_send_after(&self) -> Duration {
        self.config().operator_timeout + Duration::from_secs(1)
    }
}
