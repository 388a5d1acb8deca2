//! The notification Orange posts to `notif_url` once a web payment ends: `{"status":
//! "SUCCESS"|"FAILED", "notif_token", "txnid"}`, unsigned (the merchant compares `notif_token`
//! with the one `webpayment` gave, then asks `transactionstatus`). Faults add a duplicate, a late
//! copy, and a forged notification (a wrong `notif_token`) before the real one.

use super::state::WebPayment;
use super::Sim;
use serde_json::{json, Value};
use std::time::Duration;

/// Sends the notification of `p` (which just ended), with the faults in force.
pub(super) fn schedule(sim: &Sim, p: &WebPayment, duplicate: bool) {
    let body = json!({
        "status": p.status.as_str(),
        "notif_token": p.notif_token,
        "txnid": p.txnid,
    });
    let url = p.notif_url.clone();
    let (faults, sim) = (sim.lock().faults.clone(), sim.clone());
    sim.lock().stats.notifications_pending += 1;
    tokio::spawn(async move {
        if faults.forged_notifications {
            let forged = json!({"status": "SUCCESS", "notif_token": "forged-notif-token",
                "txnid": "MP000000.0000.00000"});
            send(&sim, &url, &forged).await;
        }
        send(&sim, &url, &body).await;
        if duplicate || faults.duplicate_notifications {
            send(&sim, &url, &body).await;
        }
        if faults.late_notification_ms > 0 {
            tokio::time::sleep(Duration::from_millis(faults.late_notification_ms)).await;
            send(&sim, &url, &body).await;
        }
        sim.lock().stats.notifications_pending -= 1;
    });
}

/// Posts one notification; counts it delivered (2xx) or failed.
pub(super) async fn send(sim: &Sim, url: &str, body: &Value) {
    let ok = sim
        .inner
        .http
        .post(url)
        .json(body)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    let mut st = sim.lock();
    if ok {
        st.stats.notifications_delivered += 1;
    } else {
        st.stats.notifications_failed += 1;
    }
}
