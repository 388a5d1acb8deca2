//! Operators' callbacks: what one is worth before anything is recorded of it (checked by its
//! connector where the operator proves its callbacks), recording it without waiting on any
//! worker (a queue written by one writer at a time), and applying recorded callbacks at the
//! start of each payments pass. A callback is only ever a reason to ask the operator.

use crate::error::EngineError;
use crate::Engine;
use kumbu_core::Operator;
use kumbu_rails::connector::Callback;

/// What a callback is, before anything is recorded of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackVerdict {
    /// No connector has that path: not a callback at all.
    NoSuchConnector,
    /// Not its operator's, or naming nothing it could know: answered as any other, and forgotten.
    Ignored,
    /// A reason to ask the operator about this reference, from anyone (the operator proves
    /// nothing: MTN): worth asking once in a while, not at every copy.
    Believed(String),
    /// A reason to ask, proved to be the operator's (Orange's token, Wave's signature): each
    /// different one is asked about, as operators send successive events within seconds.
    Proved(String),
}

impl Engine {
    /// Where `op`'s operator should call back for a reference (shown by `serve` and the
    /// connectors API), if callbacks are on.
    pub fn callback_url(&self, op: Operator, reference: &str) -> Option<String> {
        self.connector_for(op)?.callback_url(reference)
    }

    /// Where `op`'s operator calls back for `merchant`'s objects, as the merchant registers it:
    /// a gateway's webhook names the merchant (ProxyPay's); other callbacks name each
    /// transaction (`{reference}`).
    pub fn connector_callback_url(&self, op: Operator, merchant: &str) -> Option<String> {
        let c = self.connector_for(op)?;
        if c.references().is_some() {
            c.callback_url(merchant)
        } else {
            c.callback_url("{reference}")
        }
    }

    /// Where each connector's operator calls back (`serve` prints them).
    pub fn callback_urls(&self) -> Vec<(&'static str, Option<String>)> {
        self.inner
            .connectors
            .all()
            .iter()
            .map(|c| (c.name(), c.callback_url("{reference}")))
            .collect()
    }

    /// What to make of a callback to `/callbacks/<slug>/{reference}` with `body`, before it is
    /// recorded: a connector that can tell its operator's callbacks from others' (Orange: the
    /// page's notification token) has it checked here, with a plain read that waits on no
    /// worker's lock; the others' callbacks are believed as far as they go (only ever a reason
    /// to ask), when the reference could be theirs.
    pub async fn callback_verdict(
        &self,
        slug: &str,
        path: &str,
        body: &[u8],
        headers: &[(String, String)],
    ) -> Result<CallbackVerdict, EngineError> {
        let Some(connector) = self.inner.connectors.by_slug(slug) else {
            return Ok(CallbackVerdict::NoSuchConnector);
        };
        let Some(reference) = connector.callback_reference(path, body) else {
            return Ok(CallbackVerdict::Ignored);
        };
        if connector.checks_callbacks() {
            let subject = self.store().callback_subject(&reference).await?;
            let creds = match &subject {
                Some(s) => self.credentials(&s.merchant_id, s.operator).await?,
                None => None,
            };
            let wall_unix = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            let genuine = subject.as_ref().is_some_and(|s| {
                connector.genuine_callback(&Callback {
                    body,
                    headers,
                    memo: s.memo.as_deref(),
                    creds: creds.as_ref(),
                    wall_unix,
                })
            });
            if !genuine {
                tracing::info!(connector = connector.name(), operator.reference = %reference, "an operator callback that does not prove it is the operator's: ignored");
                metrics::counter!("kumbu_operator_callbacks_ignored_total", "protocol" => connector.name()).increment(1);
                return Ok(CallbackVerdict::Ignored);
            }
            return Ok(CallbackVerdict::Proved(reference));
        }
        Ok(CallbackVerdict::Believed(reference))
    }

    /// A callback [`Engine::callback_verdict`] believed: a reason to ask the operator, never
    /// taken at its word. Recorded (one insert, waiting on no payment row a worker holds) and
    /// answered once that is committed; callbacks arriving together are committed together
    /// (group commit: one waits for the write in progress, then writes all that queued
    /// meanwhile). The next payments pass, woken now, makes the live payment (refund, payout) the
    /// operator knows as `reference` due ([`Engine::apply_operator_callbacks`]).
    pub async fn operator_callback(&self, reference: &str) -> Result<(), EngineError> {
        let pokes = &self.inner.pokes;
        pokes.lock_queue().push(reference.to_owned());
        let _writer = pokes.writer.lock().await;
        // Empty: the writer before us took our reference and committed it.
        let batch = std::mem::take(&mut *pokes.lock_queue());
        if batch.is_empty() {
            return Ok(());
        }
        // Until the write commits, the batch goes back to the queue if this request is dropped
        // (a timeout, a client gone) or fails: no waiter is told a lost write happened.
        let mut pending = Requeue {
            queue: pokes,
            batch: Some(batch),
        };
        let refs = pending.batch.as_deref().unwrap_or_default();
        self.store().record_operator_pokes(refs, self.now()).await?;
        let batch = pending.batch.take().unwrap_or_default();
        tracing::debug!(callbacks = batch.len(), "operator callbacks recorded");
        self.inner.work_ready.notify_one();
        Ok(())
    }

    /// Applies the operator callbacks recorded so far (by any process): the live payments,
    /// refunds and payouts they name become due now. The queue is shared by every connector: a
    /// reference is looked up among all live operators' objects (a stray match is only asked
    /// about, never changed). Rows another process holds keep their callbacks for a later pass.
    pub(crate) async fn apply_operator_callbacks(&self) -> Result<u64, EngineError> {
        let (used, made_due) = self
            .store()
            .apply_operator_pokes(
                &self.inner.connectors.operators(),
                self.now(),
                CALLBACKS_PER_PASS,
            )
            .await?;
        if used > 0 {
            tracing::debug!(callbacks = used, made_due, "operator callbacks applied");
        }
        Ok(made_due)
    }
}

/// Recorded callbacks one pass applies at most.
const CALLBACKS_PER_PASS: usize = 1_000;

/// A batch of callbacks being written: back to the queue unless the write committed.
struct Requeue<'q> {
    queue: &'q PokeQueue,
    batch: Option<Vec<String>>,
}

impl Drop for Requeue<'_> {
    fn drop(&mut self) {
        if let Some(batch) = self.batch.take() {
            self.queue.lock_queue().extend(batch);
        }
    }
}

/// Operators' callbacks waiting to be written, and the one writer at a time.
#[derive(Debug, Default)]
pub(crate) struct PokeQueue {
    queue: std::sync::Mutex<Vec<String>>,
    writer: tokio::sync::Mutex<()>,
}

impl PokeQueue {
    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
