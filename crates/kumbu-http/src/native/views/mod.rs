//! Native wire types: what goes over HTTP, kept apart from the domain types they translate. One
//! file per resource; everything is re-exported here, so handlers name `views::PaymentView`.

mod balance;
mod catalogue;
mod collections;
mod common;
mod events;
mod payments;
mod references;
mod refunds;
mod sandbox;
mod statements;
mod webhooks;

pub use balance::*;
pub use catalogue::*;
pub use collections::*;
pub use common::*;
pub use events::*;
pub use payments::*;
pub use references::*;
pub use refunds::*;
pub use sandbox::*;
pub use statements::*;
pub use webhooks::*;
