//! Webhooks as Wave sends them: `{"id": "EV_…", "type", "data"}` posted to the configured URL,
//! signed `Wave-Signature: t=<unix>,v1=<hex>` (HMAC-SHA256 of `t` then the body) under the signing
//! secret, or carrying `Authorization: Bearer <shared secret>`. Wave delivers at least once; the
//! faults add duplicates, late copies, forged ones (another secret), stale ones (ten minutes old)
//! and a second `v1` under a retired secret.

use super::answers::new_id;
use super::{now, Sim};
use crate::wave::signature;
use serde_json::{json, Value};
use std::time::Duration;

/// Sends event `kind` about `data`, `copies` times (0: not at all), with the faults in force.
pub(super) fn send(sim: &Sim, kind: &str, data: &Value, copies: u32) {
    let Some(url) = sim.lock().webhook.url.clone() else {
        return;
    };
    if copies == 0 {
        return;
    }
    let body = json!({ "id": new_id("EV_"), "type": kind, "data": data }).to_string();
    let (sim, faults) = (sim.clone(), sim.lock().faults.clone());
    sim.lock().stats.webhooks_pending += 1;
    tokio::spawn(async move {
        if faults.forged_webhooks {
            post(&sim, &url, &body, Some("a-secret-that-is-not-yours"), false).await;
        }
        let copies = if faults.duplicate_webhooks {
            copies.max(2)
        } else {
            copies
        };
        for _ in 0..copies {
            post(&sim, &url, &body, None, faults.stale_webhooks).await;
        }
        if faults.late_webhook_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.late_webhook_ms)).await;
            post(&sim, &url, &body, None, faults.stale_webhooks).await;
        }
        sim.lock().stats.webhooks_pending -= 1;
    });
}

/// One delivery, signed with the configured secret (or `forged_with`).
async fn post(sim: &Sim, url: &str, body: &str, forged_with: Option<&str>, stale: bool) {
    let hook = sim.lock().webhook.clone();
    let t = now().unix_seconds() - if stale { 600 } else { 0 };
    let mut req = sim
        .inner
        .http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    match (
        forged_with.or(hook.signing_secret.as_deref()),
        &hook.shared_secret,
    ) {
        (Some(secret), _) => {
            let rotating = sim.lock().faults.rotating_secret;
            let secrets: Vec<&str> = if rotating {
                vec!["a-retired-signing-secret", secret]
            } else {
                vec![secret]
            };
            req = req.header(
                "Wave-Signature",
                signature::header(&secrets, t, body.as_bytes()),
            );
        }
        (None, Some(shared)) => req = req.bearer_auth(shared),
        (None, None) => {}
    }
    let ok = req.send().await.is_ok_and(|r| r.status().is_success());
    let mut st = sim.lock();
    if ok {
        st.stats.webhooks_delivered += 1;
    } else {
        st.stats.webhooks_failed += 1;
    }
}
