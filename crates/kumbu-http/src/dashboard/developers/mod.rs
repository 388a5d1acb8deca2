//! `/dashboard/developers`: what developers handle. `keys.rs` the API keys (create, roll,
//! revoke); `webhooks.rs` the webhook endpoints (health, create with the secret shown once,
//! rotate the secret, disable and enable); `events.rs` the event log, an event with its
//! deliveries, and resending it. Owners and developers act; the others read.

mod events;
mod keys;
mod webhooks;

pub(super) use events::{event, events, resend};
pub(super) use keys::{change, create, show};
pub(super) use webhooks::{change_endpoint, create_endpoint, endpoints};

use super::layout::tabs;
use super::messages::M;
use kumbu_core::Locale;
use maud::Markup;

/// The section's pages, as tabs.
fn developer_tabs(locale: Locale, here: &str) -> Markup {
    tabs(
        locale,
        &[
            ("/dashboard/developers/keys", M::ApiKeys),
            ("/dashboard/developers/webhooks", M::Webhooks),
            ("/dashboard/developers/events", M::Events),
        ],
        here,
    )
}
