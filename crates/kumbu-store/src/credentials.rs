//! Client credentials and access tokens (hashes only).

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use kumbu_core::{Mode, Timestamp};
use sqlx::{Any, Row};

/// A client credential as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    /// `cli_…` (the client id).
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// The mode its tokens work in.
    pub mode: Mode,
    /// The phone it may also be named by.
    pub phone: Option<String>,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// When revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// What a live access token resolves to: (merchant, mode, credential id).
pub type TokenOwner = (String, Mode, String);

impl Store {
    /// Stores a new credential.
    pub async fn insert_credential(
        &self,
        c: &CredentialRecord,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO client_credentials (id, merchant_id, mode, phone, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id.clone())
        .bind(c.merchant_id.clone())
        .bind(c.mode.as_str())
        .bind(c.phone.clone())
        .bind(c.secret_hash.clone())
        .bind(now.as_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A credential by client id or by phone.
    pub async fn credential(
        &self,
        id_or_phone: &str,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT id, merchant_id, mode, phone, secret_hash, revoked_at FROM client_credentials \
             WHERE id = $1 OR phone = $1",
        )
        .bind(id_or_phone)
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let mode: String = r.try_get("mode")?;
        Ok(Some(CredentialRecord {
            id: r.try_get("id")?,
            merchant_id: r.try_get("merchant_id")?,
            mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
            phone: r.try_get("phone")?,
            secret_hash: r.try_get("secret_hash")?,
            revoked_at: r
                .try_get::<Option<i64>, _>("revoked_at")?
                .map(Timestamp::from_micros),
        }))
    }

    /// Revokes a credential and every token issued for it; `false` if there was none.
    pub async fn revoke_credential(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let n = sqlx::query::<Any>(
            "UPDATE client_credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now.as_micros())
        .execute(&mut **tx.tx())
        .await?
        .rows_affected();
        sqlx::query::<Any>(
            "UPDATE access_tokens SET revoked_at = $2 WHERE credential_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now.as_micros())
        .execute(&mut **tx.tx())
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Stores an access token's hash.
    pub async fn insert_access_token(
        &self,
        token_hash: &str,
        c: &CredentialRecord,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO access_tokens (token_hash, credential_id, merchant_id, mode, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(c.id.clone())
        .bind(c.merchant_id.clone())
        .bind(c.mode.as_str())
        .bind(now.as_micros())
        .bind(expires_at.as_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Deletes tokens that expired before `before`; returns how many.
    pub async fn purge_access_tokens(&self, before: Timestamp) -> Result<u64, StoreError> {
        Ok(
            sqlx::query::<Any>("DELETE FROM access_tokens WHERE expires_at < $1")
                .bind(before.as_micros())
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    /// The owner of a token that is neither expired nor revoked (nor its credential).
    pub async fn token_owner(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT t.merchant_id, t.mode, t.credential_id FROM access_tokens t \
             JOIN client_credentials c ON c.id = t.credential_id \
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND t.revoked_at IS NULL \
             AND c.revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(now.as_micros())
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let mode: String = r.try_get("mode")?;
        Ok(Some((
            r.try_get("merchant_id")?,
            Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
            r.try_get("credential_id")?,
        )))
    }
}
