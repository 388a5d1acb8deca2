//! How a webhook looks in each format: the body of an event and the headers that sign it. Each
//! face (kumbu-http, `<face>/webhook.rs`) implements [`WebhookFace`]; the server hands the engine
//! all of them at start-up as one [`WebhookFaces`], whose `face` is an exhaustive match, so a
//! format without a renderer does not compile (there is no fallback body to send by mistake).

use crate::endpoints::WebhookFormat;
use crate::events::Event;

/// One webhook format: what is POSTed for an event, and how it is signed.
pub trait WebhookFace: Send + Sync {
    /// The body for `event`; `None` when this format carries nothing for it.
    fn body(&self, event: &Event) -> Option<String>;

    /// The headers that sign `body`, sent at unix time `t`, with the endpoint's active secrets
    /// (newest first; a format with one signature uses the first).
    fn headers(
        &self,
        event: &Event,
        secrets: &[&str],
        t: i64,
        body: &[u8],
    ) -> Vec<(&'static str, String)>;

    /// Whether a successful delivery acknowledges the event (ProxyPay's pull queue: a payment
    /// pushed to the merchant's endpoint leaves the queue).
    fn acks_event(&self) -> bool {
        false
    }
}

/// Every format's [`WebhookFace`].
pub trait WebhookFaces: Send + Sync + std::fmt::Debug {
    /// The face of `format`.
    fn face(&self, format: WebhookFormat) -> &dyn WebhookFace;
}
