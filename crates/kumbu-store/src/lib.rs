//! Kumbu's persistence: one SQL store that runs unchanged on PostgreSQL (production) and SQLite
//! (the embedded default).
//!
//! The store speaks through sqlx's `Any` driver with runtime-checked queries. SQL text is shared
//! wherever the dialects agree (both accept `$1` placeholders, `ON CONFLICT`, `RETURNING`, partial
//! indexes, `UPDATE … FROM`); the few places they differ branch on [`Dialect`]. On SQLite all
//! writes go through one connection (SQLite has one writer anyway) so that read-then-write
//! transactions never fail to upgrade; reads use a separate pool.
//!
//! The store owns no rules: it persists what the engine decided, in the engine's transactions.

mod balance;
mod checkout;
mod collections;
mod connect;
mod connectors;
mod credentials;
mod customers;
mod dialect;
mod endpoint_flow;
mod error;
mod events;
mod idempotency;
mod ledger;
mod merchants;
mod payments;
mod payouts;
mod people;
mod prices;
mod records;
mod references;
pub use references::UpstreamState;
mod refunds;
mod sealed;
mod sql;
mod tx;
mod webhooks;

pub use balance::BalanceFilter;
pub use checkout::SessionKey;
pub use collections::{EarlierReport, ImportedFile, IngestFilter, ReportRow, RequestFilter};
pub use connect::{Store, StoreOptions};
pub use connectors::OperatorCredentialRow;
pub use credentials::{CredentialRecord, TokenOwner};
pub use dialect::Dialect;
pub use endpoint_flow::{FlowRow, HealthRow, PermitRow};
pub use error::StoreError;
pub use events::{EventFilter, NewEvent};
pub use idempotency::{IdempotencyRecord, KeyRef};
pub use ledger::{BalanceRow, LedgerProblem, NewJournal, PaymentPosting};
pub use merchants::{ApiKeyRecord, ApiKeyRow, Branding, KeyEnd, Merchant};
pub use payments::{CallbackSubject, Lease, PaymentDay, PaymentFilter, PaymentPage};
pub use payouts::LockedMoney;
pub use people::{AuditEntry, LinkPurpose, PersonRecord, SessionRecord};
pub use records::{DueDelivery, EndpointRecord, EventRecord};
pub use sealed::{
    SealedColumn, OPERATOR_CREDENTIALS, SEALED_COLUMNS, SEALED_SETTING, TOTP_PENDING, TOTP_SECRET,
    WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET,
};
pub use tx::StoreTx;
pub use webhooks::{AttemptRecord, AttemptResult, ClaimCaps, NextStep};
