//! A write transaction: everything one engine decision changes, committed together or not at all.

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::StoreError;
use kumbu_core::Timestamp;
use sqlx::{Any, Transaction};

/// An open write transaction. Dropping it without [`StoreTx::commit`] rolls everything back,
/// promptly: the rollback is sent at once rather than left queued on the pooled connection, so
/// locks the transaction held (an idempotency key's, say) are released at once too.
#[derive(Debug)]
pub struct StoreTx {
    pub(crate) dialect: Dialect,
    tx: Option<Transaction<'static, Any>>,
    /// When set, the deliveries this transaction fans out are created leased until then, to the
    /// process that commits it (which sends them itself); otherwise they are due at once.
    pub(crate) lease_new_deliveries: Option<Timestamp>,
    /// The deliveries created under that lease, ready to send once committed.
    pub(crate) leased: Vec<crate::records::DueDelivery>,
    /// Whether events were published (a dispatcher has work once this commits).
    pub(crate) published: bool,
}

impl Drop for StoreTx {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(e) = tx.rollback().await {
                        tracing::warn!(error = %e, "rollback of an abandoned transaction failed");
                    }
                });
            }
        }
    }
}

impl Store {
    /// Opens a write transaction.
    pub async fn begin(&self) -> Result<StoreTx, StoreError> {
        Ok(StoreTx {
            dialect: self.dialect,
            tx: Some(self.begin_write().await?),
            lease_new_deliveries: None,
            leased: Vec::new(),
            published: false,
        })
    }

    /// Begins on the write pool. On SQLite the write lock is taken up front (`BEGIN IMMEDIATE`),
    /// so a transaction that reads before it writes cannot fail to upgrade when another process
    /// (a CLI command, say) wrote in between.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.dialect {
            Dialect::Postgres => self.write.begin().await?,
            Dialect::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
        })
    }
}

impl StoreTx {
    /// The open transaction. It is only taken by `commit`, `rollback` and `drop`, which all
    /// consume or end `self`.
    pub(crate) fn tx(&mut self) -> &mut Transaction<'static, Any> {
        self.tx
            .as_mut()
            .unwrap_or_else(|| unreachable!("a StoreTx is not used after it ends"))
    }

    /// Creates this transaction's deliveries leased to the caller until `until`: no other
    /// dispatcher takes them before then, and [`StoreTx::take_leased`] hands them over.
    pub fn lease_new_deliveries(&mut self, until: Timestamp) {
        self.lease_new_deliveries = Some(until);
    }

    /// The deliveries created under [`StoreTx::lease_new_deliveries`]: send them only after
    /// the commit succeeds.
    pub fn take_leased(&mut self) -> Vec<crate::records::DueDelivery> {
        std::mem::take(&mut self.leased)
    }

    /// Until when this transaction's deliveries are leased, if they are.
    pub fn lease(&self) -> Option<Timestamp> {
        self.lease_new_deliveries
    }

    /// Whether this transaction published events.
    pub fn published(&self) -> bool {
        self.published
    }

    /// Commits. Only after this returns may anything be acknowledged to a client.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Rolls back now.
    pub async fn rollback(mut self) -> Result<(), StoreError> {
        if let Some(tx) = self.tx.take() {
            tx.rollback().await?;
        }
        Ok(())
    }
}
