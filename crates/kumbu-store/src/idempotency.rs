//! Idempotency records: the response of a request made with an Idempotency-Key, written in the
//! same transaction as the work it answers, and looked up (under a lock on the key) by the next
//! request with that key.

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::StoreError;
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::{Any, Row};

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Hash of the first request's method, route and body.
    pub fingerprint: String,
    /// HTTP status it was answered with.
    pub status: u16,
    /// Body it was answered with.
    pub body: String,
}

/// Names one key of one merchant in one mode.
#[derive(Debug, Clone, Copy)]
pub struct KeyRef<'a> {
    /// Owning merchant.
    pub merchant_id: &'a str,
    /// Mode.
    pub mode: Mode,
    /// The client's key.
    pub key: &'a str,
}

impl StoreTx {
    /// Takes a lock on `lock_id` until this transaction ends, without waiting: `false` if another
    /// transaction holds it (a request with the same key is in flight). On SQLite the write
    /// transaction itself already excludes every other writer, so this always succeeds.
    pub async fn try_lock(&mut self, lock_id: i64) -> Result<bool, StoreError> {
        match self.dialect {
            Dialect::Postgres => Ok(sqlx::query_scalar::<Any, bool>(
                "SELECT pg_try_advisory_xact_lock($1)",
            )
            .bind(lock_id)
            .fetch_one(&mut **self.tx())
            .await?),
            Dialect::Sqlite => Ok(true),
        }
    }

    /// The stored response for a key, unless it was created before `forget_before` (expired
    /// records are overwritten by [`StoreTx::insert_idempotency_record`] and swept later).
    pub async fn idempotency_record(
        &mut self,
        k: KeyRef<'_>,
        forget_before: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT fingerprint, response_status, response_body FROM idempotency_keys \
             WHERE merchant_id = $1 AND mode = $2 AND key = $3 AND created_at >= $4",
        )
        .bind(k.merchant_id)
        .bind(k.mode.as_str())
        .bind(k.key)
        .bind(forget_before.as_micros())
        .fetch_optional(&mut **self.tx())
        .await?;
        row.map(|r| {
            let status: i64 = r.try_get("response_status")?;
            Ok(IdempotencyRecord {
                fingerprint: r.try_get("fingerprint")?,
                status: u16::try_from(status)
                    .map_err(|_| StoreError::Corrupt(format!("response_status {status}")))?,
                body: r.try_get("response_body")?,
            })
        })
        .transpose()
    }

    /// Stores the response of a request, in the transaction that did its work.
    pub async fn insert_idempotency_record(
        &mut self,
        k: KeyRef<'_>,
        rec: &IdempotencyRecord,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO idempotency_keys (merchant_id, mode, key, fingerprint, response_status, response_body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (merchant_id, mode, key) DO UPDATE SET \
             fingerprint = excluded.fingerprint, response_status = excluded.response_status, \
             response_body = excluded.response_body, created_at = excluded.created_at",
        )
        .bind(k.merchant_id)
        .bind(k.mode.as_str())
        .bind(k.key)
        .bind(rec.fingerprint.clone())
        .bind(i64::from(rec.status))
        .bind(rec.body.clone())
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Deletes records created before `before`; returns how many.
    pub async fn purge_idempotency_keys(&self, before: Timestamp) -> Result<u64, StoreError> {
        let r = sqlx::query::<Any>("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before.as_micros())
            .execute(&self.write)
            .await?;
        Ok(r.rows_affected())
    }
}
