//! The native webhook: the event object as `GET /v1/events/{id}` shows it, signed with
//! `Kumbu-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` (one `v1` per active secret, so a rotation
//! overlaps) and named by `Kumbu-Event-Id`.

use super::views::EventView;
use crate::urls::PublicUrl;
use kumbu_engine::{signature, Event, WebhookFace};

/// The native webhook format; checkout page URLs in bodies are under `base`.
#[derive(Debug)]
pub struct Webhook {
    /// The gateway's public URL.
    pub base: PublicUrl,
}

impl WebhookFace for Webhook {
    fn body(&self, e: &Event) -> Option<String> {
        Some(
            serde_json::to_string(&EventView::of(e, &self.base))
                .unwrap_or_else(|_| "{}".to_owned()),
        )
    }

    fn headers(
        &self,
        event: &Event,
        secrets: &[&str],
        t: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        vec![
            ("kumbu-signature", signature::header(secrets, t, body)),
            ("kumbu-event-id", event.id.clone()),
        ]
    }
}
