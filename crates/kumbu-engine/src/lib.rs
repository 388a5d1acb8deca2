//! Kumbu's application services: every rule about money lives here, behind one [`Engine`].
//!
//! Faces (HTTP wire formats) parse their input into the commands below, call the engine and
//! render what it returns. The engine validates against the catalogue, drives the core's state
//! machine, and writes each change together with its history row, outbox event, ledger postings
//! and idempotency record in one store transaction.

mod auth;
mod changes;
mod config;
mod error;
mod events;
mod idempotency;
mod payments;
mod sandbox;
mod worker;

pub use auth::{AuthContext, Bootstrap, NewApiKey, AUTH_CACHE_TTL};
pub use config::EngineConfig;
pub use error::EngineError;
pub use events::{payment_event_types, Event, EventObject};
pub use idempotency::{IdempotencyRequest, Outcome, Recorded};
pub use payments::{Balance, CreatePayment, CustomerInput};
pub use sandbox::{Answer, Prompt};
pub use worker::Workers;

pub use kumbu_store::{EventFilter, PaymentFilter, PaymentPage, Store, StoreError, StoreOptions};

use kumbu_core::{Catalogue, Clock};
use kumbu_rails::Simulator;
use std::sync::Arc;
use tokio::sync::Notify;

/// The payment engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    catalogue: Catalogue,
    simulator: Simulator,
    config: EngineConfig,
    /// Poked when new work is due now, so the worker need not wait for its next poll.
    work_ready: Notify,
    /// Recently verified API keys.
    auth_cache: auth::AuthCache,
}

impl Engine {
    /// Builds an engine over an open (migrated) store.
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: EngineConfig) -> Self {
        let catalogue = Catalogue::with_fee_overrides(&config.fee_overrides);
        let simulator = Simulator::new(config.sandbox_delay);
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                catalogue,
                simulator,
                config,
                work_ready: Notify::new(),
                auth_cache: auth::AuthCache::default(),
            }),
        }
    }

    /// The store (for health checks and operator commands).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The rail catalogue in force.
    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.catalogue
    }

    /// The engine's configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The engine's clock.
    pub fn now(&self) -> kumbu_core::Timestamp {
        self.inner.clock.now()
    }
}
