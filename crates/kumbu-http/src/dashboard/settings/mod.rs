//! `/dashboard/settings`: what only owners change. `connectors.rs` the operators' live
//! credentials (what may be shown of them, never the secrets; set, check, remove);
//! `branding.rs` how the merchant's pages look (name, colour, logo); `entity.rs` the SIMO
//! entity its ERV bills and bank files carry. Each change is the engine's, audited in its
//! transaction; the others read.

mod branding;
mod connectors;
mod entity;

pub(super) use branding::{branding, set_branding};
pub(super) use connectors::{change_connector, connectors, set_connector};
pub(super) use entity::{entity, set_entity};

use super::layout::tabs;
use super::messages::M;
use kumbu_core::Locale;
use maud::Markup;

/// The section's pages, as tabs.
fn settings_tabs(locale: Locale, here: &str) -> Markup {
    tabs(
        locale,
        &[
            ("/dashboard/settings/connectors", M::Connectors),
            ("/dashboard/settings/branding", M::Branding),
            ("/dashboard/settings/entity", M::SimoEntity),
        ],
        here,
    )
}
