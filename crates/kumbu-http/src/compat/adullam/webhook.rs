//! Adullam's webhook: `{"id", "type", "created_at", "data"}` with Adullam's event names, signed
//! with `X-Adullam-Signature: t=<unix>,v1=<hex>` (the native construction; Adullam's own header
//! was not documented).

use super::views::{adullam_event, AdPayment, AdRefund, AdTransfer};
use crate::compat::common::iso_seconds;
use kumbu_engine::{signature, Event, EventObject, WebhookFace};

/// Adullam's webhook format.
#[derive(Debug)]
pub struct Webhook;

impl WebhookFace for Webhook {
    fn body(&self, e: &Event) -> Option<String> {
        body(e)
    }

    fn headers(
        &self,
        _event: &Event,
        secrets: &[&str],
        t: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        vec![("x-adullam-signature", signature::header(secrets, t, body))]
    }
}

/// The webhook body: `{"id", "type", "created_at", "data"}` with Adullam's event name and the
/// payment (or, for `payment.refunded`, the refund; for `transfer.*`, the transfer).
fn body(e: &Event) -> Option<String> {
    let kind = adullam_event(&e.event_type)?;
    let data = match &e.object {
        EventObject::Payment(p) => {
            serde_json::to_value(AdPayment::of(p, kumbu_engine::account_holder(p))).ok()?
        }
        EventObject::Refund(r) => serde_json::to_value(AdRefund::from(r.as_ref())).ok()?,
        EventObject::Payout(p) => {
            serde_json::to_value(AdTransfer::of(p, kumbu_engine::payee_holder(p))).ok()?
        }
        EventObject::WebhookEndpoint(_)
        | EventObject::CheckoutSession(_)
        | EventObject::CollectionRequest(_)
        | EventObject::IngestedPayment(_) => return None,
    };
    serde_json::to_string(&serde_json::json!({
        "id": e.id,
        "type": kind,
        "created_at": iso_seconds(e.created_at),
        "data": data,
    }))
    .ok()
}
