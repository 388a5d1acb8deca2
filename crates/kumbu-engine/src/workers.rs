//! The background workers of one `serve` process, all run by one loop ([`run_job`]) with one
//! retry policy (as crates.io's background job runner does): a pass does up to a batch of work
//! and says how much it did; a full pass runs again at once, a partial one waits for its
//! interval (or a wake-up), and a failed one waits 200 ms, doubling up to 10 s while failures
//! last. Each pass claims its rows with `SKIP LOCKED` in its own transaction, so any number of
//! processes share the work.

use crate::error::EngineError;
use crate::Engine;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The first pause after a failed pass; it doubles while failures last.
const FIRST_RETRY: Duration = Duration::from_millis(200);
/// The longest pause after a failed pass.
const MAX_RETRY: Duration = Duration::from_secs(10);

/// A pass's future.
type Pass<'a> = Pin<Box<dyn Future<Output = Result<usize, EngineError>> + Send + 'a>>;

/// One kind of background work.
struct Job {
    /// Its name in logs.
    name: &'static str,
    /// One pass: how many things it moved.
    pass: for<'a> fn(&'a Engine) -> Pass<'a>,
    /// A pass that moved this many ran full: the next one runs at once.
    full: usize,
    /// How long to wait after a pass that was not full.
    every: Duration,
    /// Wakes the job early (work became due now), if it has such a signal.
    wake: Option<fn(&Engine) -> &Notify>,
}

/// Runs `job` until `cancel`, with the one retry policy.
async fn run_job(engine: Engine, cancel: CancellationToken, job: Job) {
    let mut backoff = FIRST_RETRY;
    while !cancel.is_cancelled() {
        let (pause, failed) = match (job.pass)(&engine).await {
            Ok(n) if n >= job.full => {
                backoff = FIRST_RETRY;
                continue;
            }
            Ok(_) => {
                backoff = FIRST_RETRY;
                (job.every, false)
            }
            Err(e) => {
                tracing::warn!(job = job.name, error = %e, retry_in_ms = backoff.as_millis() as u64, "background pass failed; retrying");
                let pause = backoff;
                backoff = (backoff * 2).min(MAX_RETRY);
                (pause, true)
            }
        };
        // After a failure only the back-off (or shutdown) ends the pause: new work arriving
        // must not turn a failing pass into a retry per request.
        match job.wake.filter(|_| !failed) {
            Some(wake) => tokio::select! {
                () = cancel.cancelled() => {}
                () = wake(&engine).notified() => {}
                () = tokio::time::sleep(pause) => {}
            },
            None => tokio::select! {
                () = cancel.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            },
        }
    }
}

/// Due payments: the sandbox's steps, connectors' calls, expiry (`payments/worker.rs`); woken when
/// new work is due now.
fn payments_job(engine: &Engine) -> Job {
    Job {
        name: "payments",
        pass: |e| Box::pin(e.run_due_batch()),
        full: engine.config().worker_batch as usize,
        every: engine.config().worker_interval,
        wake: Some(|e| &e.inner.work_ready),
    }
}

/// Refunds, then payouts: each pass moves them one step each (`refunds/worker.rs`,
/// `payouts/worker.rs`); any progress runs the next pass at once.
fn money_out_job(engine: &Engine) -> Job {
    Job {
        name: "refunds and payouts",
        pass: |e| {
            Box::pin(async move {
                let refunds = e.run_refund_batch().await?;
                Ok(refunds + e.run_payout_batch().await?)
            })
        },
        full: 1,
        every: engine.config().worker_interval,
        wake: None,
    }
}

/// References to send to their gateway, then the gateways' queues whose turn has come
/// (`references/upstream.rs`).
fn gateways_job() -> Job {
    Job {
        name: "reference gateways",
        pass: |e| {
            Box::pin(async move {
                let sent = e.push_references().await?;
                Ok(sent + e.poll_gateways().await?)
            })
        },
        full: usize::MAX,
        every: Duration::from_secs(1),
        wake: None,
    }
}

/// Removes idempotency records past their TTL, access tokens a day past their expiry, and
/// operators' callbacks no pass applied within an hour.
fn sweep_job() -> Job {
    Job {
        name: "sweep",
        pass: |e| Box::pin(e.sweep()),
        full: usize::MAX,
        every: Duration::from_secs(300),
        wake: None,
    }
}

impl Engine {
    /// One sweep: records and tokens no one can use any more. Each purge is independent, and a
    /// failed one is logged and tried at the next sweep (a heavy DELETE is not retried every few
    /// seconds).
    async fn sweep(&self) -> Result<usize, EngineError> {
        let before = self.now().minus(self.config().idempotency_ttl);
        let keys = purged(
            "idempotency records",
            self.store().purge_idempotency_keys(before).await,
        );
        if keys > 0 {
            tracing::info!(purged = keys, "expired idempotency records removed");
        }
        let day_ago = self.now().minus(Duration::from_secs(24 * 3600));
        let tokens = purged(
            "access tokens",
            self.store().purge_access_tokens(day_ago).await,
        );
        if tokens > 0 {
            tracing::info!(purged = tokens, "expired access tokens removed");
        }
        let hour_ago = self.now().minus(Duration::from_secs(3600));
        let pokes = purged(
            "operator callbacks",
            self.store().purge_operator_pokes(hour_ago).await,
        );
        if pokes > 0 {
            tracing::warn!(purged = pokes, "operator callbacks older than an hour were never applied (does any process run workers?)");
        }
        Ok(usize::try_from(keys + tokens + pokes).unwrap_or(usize::MAX))
    }
}

/// What a purge removed, or 0 with a warning naming `what`: it is tried at the next sweep.
fn purged(what: &str, removed: Result<u64, kumbu_store::StoreError>) -> u64 {
    removed.unwrap_or_else(|e| {
        tracing::warn!(error = %e, what, "sweep failed");
        0
    })
}

/// The background workers of one `serve` process.
#[derive(Debug)]
pub struct Workers {
    engine: Engine,
    cancel: CancellationToken,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts the due-action worker tasks, the webhook dispatcher and the idempotency-record
    /// sweeper.
    pub fn spawn(engine: Engine) -> Self {
        let cancel = CancellationToken::new();
        if engine.config().dispatch_tasks == 0 {
            tracing::info!("no webhook dispatcher in this process (dispatch tasks: 0)");
        }
        if engine.config().worker_tasks == 0 {
            tracing::info!("no payment worker in this process (worker tasks: 0)");
        }
        engine.open_handoff(engine.config().dispatch_tasks > 0);
        let mut handles: Vec<JoinHandle<()>> = (0..engine.config().worker_tasks)
            .map(|_| {
                let (engine, cancel) = (engine.clone(), cancel.clone());
                let job = payments_job(&engine);
                tokio::spawn(run_job(engine, cancel, job))
            })
            .collect();
        if engine.config().dispatch_tasks > 0 {
            let (engine, cancel) = (engine.clone(), cancel.clone());
            handles.push(tokio::spawn(crate::delivery::run(engine, cancel)));
        }
        handles.push({
            let (engine, cancel) = (engine.clone(), cancel.clone());
            let job = money_out_job(&engine);
            tokio::spawn(run_job(engine, cancel, job))
        });
        handles.push({
            let (engine, cancel) = (engine.clone(), cancel.clone());
            tokio::spawn(run_job(engine, cancel, sweep_job()))
        });
        handles.push({
            let (engine, cancel) = (engine.clone(), cancel.clone());
            tokio::spawn(run_job(engine, cancel, gateways_job()))
        });
        Self {
            engine,
            cancel,
            handles,
        }
    }

    /// Asks the workers to stop after their current pass, and waits for them.
    pub async fn shutdown(self) {
        self.engine.open_handoff(false);
        self.cancel.cancel();
        for h in self.handles {
            if let Err(e) = h.await {
                tracing::error!(error = %e, "worker task ended abnormally");
            }
        }
        self.engine.release_handoff().await;
    }
}
