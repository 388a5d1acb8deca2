//! Callbacks as MTN sends them: the status body, by PUT (or POST), to the `X-Callback-Url` of
//! the request, once decided; retried only when configured (MTN's two documentation pages
//! disagree: "sent once, no retry", or retries after a 2 s timeout). Faults add duplicate,
//! stale and late copies.

use super::behaviour::Behaviour;
use super::state::TxnKind;
use super::Sim;
use serde_json::Value;
use std::time::Duration;

/// Plans the callback of a transaction just registered.
pub fn schedule(sim: &Sim, kind: TxnKind, reference: &str) {
    let (after, silent, duplicate) = {
        let st = sim.lock();
        let Some(t) = st.txns.get(&(kind, reference.to_owned())) else {
            return;
        };
        if t.callback_url.is_none() {
            return;
        }
        let cfg = &sim.inner.config;
        let after = match t.behaviour {
            Behaviour::NeverAnswers => Some(cfg.approval_window),
            Behaviour::Succeed { .. }
            | Behaviour::Fail { .. }
            | Behaviour::Silent
            | Behaviour::DuplicateCallbacks
            | Behaviour::Manual
            | Behaviour::Unavailable(_) => t.behaviour.decided_after(cfg.approval_delay),
        };
        (
            after,
            t.behaviour == Behaviour::Silent,
            t.behaviour == Behaviour::DuplicateCallbacks || st.faults.duplicate_callbacks,
        )
    };
    let Some(after) = after.filter(|_| !silent) else {
        return;
    };
    let (sim, reference) = (sim.clone(), reference.to_owned());
    sim.lock().stats.callbacks_pending += 1;
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        deliver(&sim, kind, &reference, duplicate).await;
        sim.lock().stats.callbacks_pending -= 1;
    });
}

/// Sends the callback of a transaction now (a person answered; a late copy was asked for).
pub fn send_now(sim: &Sim, kind: TxnKind, reference: &str) {
    let (sim, reference) = (sim.clone(), reference.to_owned());
    sim.lock().stats.callbacks_pending += 1;
    tokio::spawn(async move {
        deliver(&sim, kind, &reference, false).await;
        sim.lock().stats.callbacks_pending -= 1;
    });
}

async fn deliver(sim: &Sim, kind: TxnKind, reference: &str, duplicate: bool) {
    let (url, body, late) = {
        let mut st = sim.lock();
        let late = st.faults.late_callback_ms;
        let Some((_, _, body)) = st.current(kind, reference, sim.timings()) else {
            return;
        };
        let Some(url) = st
            .txns
            .get(&(kind, reference.to_owned()))
            .and_then(|t| t.callback_url.clone())
        else {
            return;
        };
        (url, body, late)
    };
    send(sim, &url, &body).await;
    if duplicate {
        send(sim, &url, &body).await;
        // A stale copy, as if an earlier PENDING notice had been held up on the way.
        let mut stale = body.clone();
        if let Some(o) = stale.as_object_mut() {
            o.insert("status".into(), Value::String("PENDING".into()));
            o.remove("reason");
            o.remove("financialTransactionId");
        }
        send(sim, &url, &stale).await;
    }
    if late > 0 {
        tokio::time::sleep(Duration::from_millis(late)).await;
        send(sim, &url, &body).await;
    }
}

/// One callback, with the configured retries.
async fn send(sim: &Sim, url: &str, body: &Value) {
    let cfg = &sim.inner.config;
    for attempt in 0..=cfg.callback_retries {
        if attempt > 0 {
            tokio::time::sleep(cfg.callback_retry_every).await;
        }
        let req = if cfg.callback_put {
            sim.inner.http.put(url)
        } else {
            sim.inner.http.post(url)
        };
        let ok = req
            .json(body)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        let mut st = sim.lock();
        if ok {
            st.stats.callbacks_delivered += 1;
            return;
        }
        st.stats.callbacks_failed += 1;
    }
}
