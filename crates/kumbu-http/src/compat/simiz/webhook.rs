//! Simiz's webhook: `{"id", "type", "created_at", "livemode", "data"}` with `transaction.*` event
//! names for checkout sessions, signed with `X-Simiz-Signature: t=<unix>,v1=<hex
//! HMAC-SHA256(secret, "<t>.<body>")>` (one `v1` per active secret).

use super::views::{simiz_event, SmzPayment};
use crate::compat::common::iso_seconds;
use crate::urls::PublicUrl;
use kumbu_engine::{signature, Event, EventObject, WebhookFace};

/// Simiz's webhook format; payment page URLs in bodies are under `base`.
#[derive(Debug)]
pub struct Webhook {
    /// The gateway's public URL.
    pub base: PublicUrl,
}

impl WebhookFace for Webhook {
    fn body(&self, e: &Event) -> Option<String> {
        body(e, &self.base)
    }

    fn headers(
        &self,
        _event: &Event,
        secrets: &[&str],
        t: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        vec![("x-simiz-signature", signature::header(secrets, t, body))]
    }
}

/// The webhook body: `{"id", "type", "created_at", "data"}`, `data` being the Simiz payment.
fn body(e: &Event, base: &PublicUrl) -> Option<String> {
    let kind = simiz_event(e)?;
    let EventObject::CheckoutSession(s) = &e.object else {
        return None;
    };
    let data = serde_json::to_value(SmzPayment::of(s, base, None)).ok()?;
    serde_json::to_string(&serde_json::json!({
        "id": e.id,
        "type": kind,
        "created_at": iso_seconds(e.created_at),
        "livemode": e.mode == kumbu_core::Mode::Live,
        "data": data,
    }))
    .ok()
}
