//! Kumbu's application services: every rule about money lives here, behind one [`Engine`].
//!
//! Faces (HTTP wire formats) parse their input into the commands below, call the engine and
//! render what it returns. The engine validates against the catalogue, drives the core's state
//! machine, and writes each change together with its history row, outbox event, ledger postings
//! and idempotency record in one store transaction.

mod audit;
mod auth;
mod branding;
mod callbacks;
mod checkout;
mod collections;
mod config;
mod connectors;
mod customers;
mod delivery;
mod destination;
mod endpoints;
mod error;
mod events;
mod idempotency;
mod keys;
mod page_tokens;
mod payments;
mod payouts;
mod people;
mod pricing;
mod progress;
mod references;
mod refunds;
mod secrets;
mod statements;
mod tokens;
mod unit_of_work;
mod validate;
pub mod vault;
mod webhook_faces;
mod workers;

pub use audit::Actor;
pub use auth::{hash_key, AuditAs, AuthContext, Bootstrap, NewApiKey, AUTH_CACHE_TTL};
pub use branding::{SetBranding, MAX_LOGO_BYTES};
pub use callbacks::CallbackVerdict;
pub use checkout::{
    payer_name, CheckoutPage, CreateCheckoutSession, EXPIRY_MINUTES, MAX_ATTEMPTS, MAX_ITEMS,
    MAX_PROMPTS_PER_PHONE, MAX_QUANTITY, PHONE_WINDOW,
};
pub use collections::{
    CreateCollectionRequest, CreatePaymentRecord, FileImport, FilePreview, IngestPayment,
    RecordPayer, RecordStatus, Report, ReportLine, ResolveException, UpdatePaymentRecord,
    MAX_ADDRESS_LINES,
};
pub use config::{EngineConfig, InternalWebhooks};
pub use connectors::{ConnectorCheck, ConnectorSummary};
pub use customers::CreateCustomer;
pub use delivery::flow::{DEFAULT_MAX_CONCURRENCY, MAX_CONCURRENCY};
pub use delivery::handoff::handoff_possible;
pub use delivery::health::{EndpointHealth, HealthState};
pub use delivery::policy::{retry_delay, DELIVERY_TIMEOUT, RETRY_FOR};
pub use delivery::signature;
pub use destination::MAX_URL_LEN;
pub use endpoints::{
    CreateEndpoint, Endpoint, WebhookFormat, MAX_ENDPOINT_EVENTS, PREVIOUS_SECRET_GRACE,
};
pub use error::EngineError;
pub use events::types::{
    event_types, CHECKOUT_EVENTS, COLLECTION_EVENTS, ENDPOINT_DISABLED, ENDPOINT_TEST,
    INGEST_EVENTS, PAYOUT_EVENTS, REFUND_EVENTS,
};
pub use events::{Event, EventObject};
pub use idempotency::{IdempotencyRequest, Outcome, Recorded, MAX_IDEMPOTENCY_KEY_LEN};
pub use keys::MAX_ROLL_OVERLAP;
pub use kumbu_store::{AttemptRecord, LinkPurpose};
pub use payments::handover::Handover;
pub use payments::sandbox::{Answer, Prompt};
pub use payments::{account_holder, Balance, CreatePayment, CustomerInput, EXPIRES_IN_RANGE};
pub use payouts::{payee_holder, CreatePayout};
pub use people::sign_in::{DashboardSession, SignIn, Stage};
pub use people::two_factor::{CodeCheck, Enrolment};
pub use people::{DashboardActor, NewLink, Person};
pub use references::PutReference;
pub use refunds::CreateRefund;
pub use secrets::KeyringError;
pub use statements::{ExportPage, Statement};
pub use tokens::{IssuedToken, NewCredential, ACCESS_TOKEN_TTL};
pub use validate::{MAX_METADATA_KEYS, MAX_METADATA_KEY_LEN, MAX_METADATA_VALUE_LEN};
pub use vault::{generate_key, Keyring, VaultError};
pub use webhook_faces::{WebhookFace, WebhookFaces};
pub use workers::Workers;

pub use kumbu_store::{
    BalanceFilter, Branding, EventFilter, IngestFilter, PaymentDay, PaymentFilter, PaymentPage,
    PaymentPosting, RequestFilter, Store, StoreError, StoreOptions,
};

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
    /// The connectors to operators (live payments, refunds and payouts).
    connectors: kumbu_rails::Registry,
    /// Rooms for calls operators hold open until the payer answers.
    held: payments::held::HeldCalls,
    config: EngineConfig,
    /// Poked when new work is due now, so the worker need not wait for its next poll.
    work_ready: Notify,
    /// Operators' callbacks being written (group commit).
    pokes: callbacks::PokeQueue,
    /// What follows a payment's first debit in its transaction (a checkout attempt completes its
    /// session).
    after_debit: Arc<dyn unit_of_work::AfterDebit>,
    /// Recently verified API keys.
    auth_cache: auth::AuthCache,
    /// Poked when deliveries became due now.
    deliveries_ready: Notify,
    /// Fresh deliveries for this process's dispatcher.
    handoff: delivery::handoff::Handoff,
    /// This process, as it holds endpoints' delivery slots (random per run).
    holder: String,
    /// How each webhook format renders and signs events (the HTTP faces).
    webhooks: Arc<dyn WebhookFaces>,
    /// Client for test-mode webhook deliveries: no redirects (a 3xx is a failure), 10 s timeout.
    http: reqwest::Client,
    /// Client for live deliveries: the same, and its DNS never yields an internal address
    /// (unless the operator allowed internal webhooks).
    http_live: reqwest::Client,
    /// Seals and opens the secrets the engine stores.
    keyring: vault::Keyring,
}

impl Engine {
    /// Builds an engine over an open (migrated) store, delivering webhooks as `webhooks` render
    /// them (`kumbu_http::webhook_faces`). Call [`Engine::prepare_secrets`] before serving, to
    /// check that `keyring` is the one the database's secrets are sealed with.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
        keyring: vault::Keyring,
        webhooks: Arc<dyn WebhookFaces>,
    ) -> Self {
        let catalogue = Catalogue::with_fee_overrides(&config.fee_overrides);
        let simulator = Simulator::new(config.sandbox_delay);
        let connectors = kumbu_rails::Registry::new(&kumbu_rails::Setup {
            urls: config.operator_urls.clone(),
            callback_base: config.callback_base.clone(),
            poll_every: config.operator_poll_every,
            timeout: config.operator_timeout,
            prompt_timeout: config.operator_prompt_timeout,
        });
        let held =
            payments::held::HeldCalls::new(config.held_calls, config.held_calls_per_merchant);
        let internal = config.internal_webhooks;
        let http_live = delivery::client::client(!internal.allow(kumbu_core::Mode::Live));
        let http_test = delivery::client::client(!internal.allow(kumbu_core::Mode::Test));
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                catalogue,
                simulator,
                connectors,
                held,
                config,
                work_ready: Notify::new(),
                pokes: callbacks::PokeQueue::default(),
                after_debit: Arc::new((checkout::CompleteSessions, collections::CreditBills)),
                auth_cache: auth::AuthCache::default(),
                deliveries_ready: Notify::new(),
                handoff: delivery::handoff::Handoff::default(),
                holder: kumbu_core::ids::random_token(16),
                webhooks,
                http: http_test,
                http_live,
                keyring,
            }),
        }
    }

    /// Wakes the dispatcher: deliveries became due.
    pub(crate) fn deliveries_ready(&self) {
        self.inner.deliveries_ready.notify_one();
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
