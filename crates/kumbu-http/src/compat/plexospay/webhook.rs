//! PlexosPay's webhook: `{"id", "type", "data", "createdAt"}`, signed with
//! `X-Plexos-Signature` = hex HMAC-SHA256 of `"<timestamp>.<body>"` under the endpoint's `whsec_`
//! secret, and `X-Plexos-Timestamp`.

use super::views::webhook_data;
use super::views::{operator, status, PxRefund, PAYMENT_PREFIX};
use crate::compat::common::{face_id, minor_units};
use crate::urls::PublicUrl;
use kumbu_engine::{signature, Event, EventObject, WebhookFace};

/// PlexosPay's webhook format; checkout page URLs in bodies are under `base`.
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
        let secret = secrets.first().copied().unwrap_or("");
        vec![
            ("x-plexos-signature", signature::v1(secret, t, body)),
            ("x-plexos-timestamp", t.to_string()),
        ]
    }
}

/// The webhook body: `{"id", "type", "data", "createdAt"}`, `data` being the payment's short
/// form or the refund.
fn body(e: &Event, base: &PublicUrl) -> Option<String> {
    let mut kind = e.event_type.as_str();
    let data = match &e.object {
        EventObject::Payment(p) => serde_json::json!({
            "id": face_id(&p.id, "pay_", PAYMENT_PREFIX),
            "amount": minor_units(p.amount),
            "currency": p.currency.code(),
            "status": status(p.status),
            "operator": operator(p.operator),
            "operatorPhone": p.payer_phone.as_ref().map(ToString::to_string),
        }),
        EventObject::Refund(r) => serde_json::to_value(PxRefund::from(r.as_ref())).ok()?,
        EventObject::CheckoutSession(s) => {
            kind = match kind {
                "checkout.completed" => "checkout.completed",
                "checkout.expired" | "checkout.cancelled" => "checkout.expired",
                _ => return None,
            };
            webhook_data(s, base)?
        }
        EventObject::WebhookEndpoint(_)
        | EventObject::CollectionRequest(_)
        | EventObject::IngestedPayment(_)
        | EventObject::Payout(_) => return None,
    };
    serde_json::to_string(&serde_json::json!({
        "id": e.id,
        "type": kind,
        "data": data,
        "createdAt": e.created_at.to_rfc3339(),
    }))
    .ok()
}
