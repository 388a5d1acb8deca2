//! Idempotency records: a request key claimed before the work, completed with the response in
//! the same transaction as the work, replayed for 24 hours.

use crate::connect::Store;
use crate::error::StoreError;
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::{Any, Row};

/// What is stored for a key that already exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Hash of the first request's method, path and body.
    pub fingerprint: String,
    /// `Some((status, body))` once the first request finished.
    pub response: Option<(u16, String)>,
    /// While running, the claim is held until this instant.
    pub locked_until: Timestamp,
}

/// A request to claim an idempotency key.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    /// Owning merchant.
    pub merchant_id: &'a str,
    /// Mode of the key.
    pub mode: Mode,
    /// The client's key.
    pub key: &'a str,
    /// Hash of the request.
    pub fingerprint: &'a str,
    /// Random token identifying this request's claim.
    pub token: &'a str,
    /// Now.
    pub now: Timestamp,
    /// Until when a new claim is held.
    pub lease_until: Timestamp,
    /// Records created before this are expired.
    pub forget_before: Timestamp,
}

/// A held claim: what completes it.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRef<'a> {
    /// Owning merchant.
    pub merchant_id: &'a str,
    /// Mode of the key.
    pub mode: Mode,
    /// The client's key.
    pub key: &'a str,
    /// This request's claim token.
    pub token: &'a str,
}

/// Outcome of trying to claim a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// This request owns the key and must do the work.
    Claimed,
    /// The key was used before (or is in use): the caller decides between replay, mismatch and
    /// in-progress.
    Exists(IdempotencyRecord),
}

impl Store {
    /// Claims a key for a request, in its own committed transaction, so that a concurrent
    /// duplicate sees the claim at once. Records older than `forget_before` are forgotten; a
    /// running claim whose lease expired (its request died) is taken over. The claim is held
    /// under `token`: only its holder can complete or release it.
    pub async fn claim_idempotency_key(
        &self,
        c: &ClaimRequest<'_>,
    ) -> Result<IdempotencyClaim, StoreError> {
        // A claim released between our conflicting INSERT and our SELECT leaves nothing to read:
        // start over (a handful of times at most).
        for _ in 0..5 {
            if let Some(claim) = self.try_claim(c).await? {
                return Ok(claim);
            }
        }
        Err(StoreError::ClaimLost)
    }

    async fn try_claim(
        &self,
        c: &ClaimRequest<'_>,
    ) -> Result<Option<IdempotencyClaim>, StoreError> {
        let ClaimRequest {
            merchant_id,
            mode,
            key,
            fingerprint,
            token,
            now,
            lease_until,
            forget_before,
        } = *c;
        let mut tx = self.begin_write().await?;
        sqlx::query::<Any>(
            "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND mode = $2 AND key = $3 AND created_at < $4",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(key)
        .bind(forget_before.as_micros())
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query::<Any>(
            "INSERT INTO idempotency_keys (merchant_id, mode, key, fingerprint, token, state, created_at, locked_until) \
             VALUES ($1, $2, $3, $4, $5, 'running', $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(key)
        .bind(fingerprint)
        .bind(token)
        .bind(now.as_micros())
        .bind(lease_until.as_micros())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
            return Ok(Some(IdempotencyClaim::Claimed));
        }
        let taken_over = sqlx::query::<Any>(
            "UPDATE idempotency_keys SET locked_until = $5, token = $7 WHERE merchant_id = $1 AND mode = $2 \
             AND key = $3 AND state = 'running' AND fingerprint = $4 AND locked_until < $6",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(key)
        .bind(fingerprint)
        .bind(lease_until.as_micros())
        .bind(now.as_micros())
        .bind(token)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken_over == 1 {
            tx.commit().await?;
            return Ok(Some(IdempotencyClaim::Claimed));
        }
        let row = sqlx::query::<Any>(
            "SELECT fingerprint, state, response_status, response_body, locked_until FROM idempotency_keys \
             WHERE merchant_id = $1 AND mode = $2 AND key = $3",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        let state: String = row.try_get("state")?;
        let response = if state == "done" {
            let status: Option<i64> = row.try_get("response_status")?;
            let body: Option<String> = row.try_get("response_body")?;
            Some((
                status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
                body.unwrap_or_default(),
            ))
        } else {
            None
        };
        Ok(Some(IdempotencyClaim::Exists(IdempotencyRecord {
            fingerprint: row.try_get("fingerprint")?,
            response,
            locked_until: Timestamp::from_micros(row.try_get("locked_until")?),
        })))
    }

    /// Gives a running claim back (the work failed before committing anything), so the client
    /// may retry with the same key.
    pub async fn release_idempotency_key(
        &self,
        merchant_id: &str,
        mode: Mode,
        key: &str,
        token: &str,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND mode = $2 AND key = $3 \
             AND state = 'running' AND token = $4",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(key)
        .bind(token)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Deletes records created before `before`; returns how many.
    pub async fn purge_idempotency_keys(&self, before: Timestamp) -> Result<u64, StoreError> {
        let r = sqlx::query::<Any>("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before.as_micros())
            .execute(&self.write)
            .await?;
        Ok(r.rows_affected())
    }
}

impl StoreTx {
    /// Stores the response of a claimed key, inside the transaction that did the work. Fails
    /// with [`StoreError::ClaimLost`] (and so rolls the work back) if this request no longer
    /// holds the claim: another request took it over after the lease expired.
    pub async fn complete_idempotency_key(
        &mut self,
        claim: &ClaimRef<'_>,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query::<Any>(
            "UPDATE idempotency_keys SET state = 'done', response_status = $5, response_body = $6 \
             WHERE merchant_id = $1 AND mode = $2 AND key = $3 AND token = $4 AND state = 'running'",
        )
        .bind(claim.merchant_id)
        .bind(claim.mode.as_str())
        .bind(claim.key)
        .bind(claim.token)
        .bind(i64::from(status))
        .bind(body)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if done == 1 {
            Ok(())
        } else {
            Err(StoreError::ClaimLost)
        }
    }
}
