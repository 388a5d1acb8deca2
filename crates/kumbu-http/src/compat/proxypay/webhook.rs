//! ProxyPay's webhook: the flat payment object of a settled payment by reference, signed with
//! `X-Signature` = hex HMAC-SHA256 of the raw body keyed by the merchant's API key (the key that
//! created the endpoint). A delivery acknowledges the payment: it leaves the pull queue.

use super::views::PpPayment;
use kumbu_engine::{signature, Event, EventObject, WebhookFace};

/// ProxyPay's webhook format.
#[derive(Debug)]
pub struct Webhook;

impl WebhookFace for Webhook {
    fn body(&self, e: &Event) -> Option<String> {
        match &e.object {
            EventObject::Payment(p) if e.event_type == "payment.settled" => {
                PpPayment::of(p).and_then(|v| serde_json::to_string(&v).ok())
            }
            EventObject::Payment(_)
            | EventObject::WebhookEndpoint(_)
            | EventObject::Refund(_)
            | EventObject::CheckoutSession(_)
            | EventObject::CollectionRequest(_)
            | EventObject::IngestedPayment(_)
            | EventObject::Payout(_) => None,
        }
    }

    fn headers(
        &self,
        _event: &Event,
        secrets: &[&str],
        _t: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let key = secrets.first().copied().unwrap_or("");
        vec![("x-signature", signature::plain_hex(key, body))]
    }

    fn acks_event(&self) -> bool {
        true
    }
}
