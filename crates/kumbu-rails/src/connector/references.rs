//! A capability some connectors have besides collecting and sending money: issuing bank
//! references at a reference network's gateway and reading the payments made against them
//! (Multicaixa, through ProxyPay). Kumbu's references are its own; a connector with this
//! capability mirrors each live one at the gateway (create or update, delete: both idempotent by
//! the reference's id, so a retry can only converge), and reports what payers paid, by a signed
//! webhook and by the gateway's queue, which is acknowledged only after Kumbu has committed.

use super::{BoxFuture, CallError, Opened};
use kumbu_core::{BankPayment, Reference};
use std::collections::BTreeMap;

/// A payment the gateway reports: what the network says a payer paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// The network's record of it (its id is the gateway's payment id).
    pub bank: BankPayment,
    /// AOA minor units.
    pub amount: i64,
    /// The reference's custom fields, as the gateway holds them.
    pub custom_fields: BTreeMap<String, String>,
}

/// Issuing references at a gateway and reading its payments.
pub trait References: Send + Sync + std::fmt::Debug {
    /// Creates or updates `reference` at the gateway (idempotent by its id).
    fn put_reference<'a>(
        &'a self,
        creds: &'a Opened,
        reference: &'a Reference,
    ) -> BoxFuture<'a, Result<(), CallError>>;

    /// Deletes reference `id` at the gateway (one it does not know is gone already).
    fn delete_reference<'a>(
        &'a self,
        creds: &'a Opened,
        id: u64,
    ) -> BoxFuture<'a, Result<(), CallError>>;

    /// The payments the gateway holds for the merchant, not yet acknowledged (its queue).
    fn queued<'a>(&'a self, creds: &'a Opened) -> BoxFuture<'a, Result<Vec<Reported>, CallError>>;

    /// Acknowledges payment `id`: it leaves the gateway's queue (one it does not know left
    /// already).
    fn acknowledge<'a>(
        &'a self,
        creds: &'a Opened,
        id: i64,
    ) -> BoxFuture<'a, Result<(), CallError>>;

    /// The payment a webhook reports, if `headers` prove it is the gateway's for these
    /// credentials (names in lower case); `None` for anything else.
    fn webhook(
        &self,
        creds: &Opened,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Option<Reported>;
}
