//! Every face's webhook, handed to the engine at start-up: [`webhook_faces`] answers, for each
//! `WebhookFormat`, the face's `webhook.rs` (body and signature headers). The match is
//! exhaustive: a new format does not build until its face renders it.

use crate::compat::{adullam, plexospay, proxypay, simiz};
use crate::native;
use crate::urls::PublicUrl;
use kumbu_engine::{WebhookFace, WebhookFaces, WebhookFormat};
use std::sync::Arc;

/// The faces' webhook formats.
#[derive(Debug)]
struct Faces {
    native: native::Webhook,
    proxypay: proxypay::Webhook,
    plexospay: plexospay::Webhook,
    adullam: adullam::Webhook,
    simiz: simiz::Webhook,
}

impl WebhookFaces for Faces {
    fn face(&self, format: WebhookFormat) -> &dyn WebhookFace {
        match format {
            WebhookFormat::Native => &self.native,
            WebhookFormat::Proxypay => &self.proxypay,
            WebhookFormat::Plexospay => &self.plexospay,
            WebhookFormat::Adullam => &self.adullam,
            WebhookFormat::Simiz => &self.simiz,
        }
    }
}

/// How every format renders and signs events; checkout page URLs in bodies are under `base`.
pub fn webhook_faces(base: &PublicUrl) -> Arc<dyn WebhookFaces> {
    Arc::new(Faces {
        native: native::Webhook { base: base.clone() },
        proxypay: proxypay::Webhook,
        plexospay: plexospay::Webhook { base: base.clone() },
        adullam: adullam::Webhook,
        simiz: simiz::Webhook { base: base.clone() },
    })
}
