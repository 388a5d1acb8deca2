//! Merchants, their API keys (stored as hashes only) and small settings.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::{Any, Row};

/// A merchant account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    /// `mer_…`
    pub id: String,
    /// Display name.
    pub name: String,
    /// When created.
    pub created_at: Timestamp,
}

/// How a merchant's pages look: its name, and optionally a brand colour and a logo.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Branding {
    /// Display name.
    pub name: String,
    /// `#rrggbb`.
    pub brand_color: Option<String>,
    /// A `data:image/…;base64,…` URI (pages load nothing from elsewhere).
    pub logo: Option<String>,
}

/// What an API key hash resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// `key_…` (the record, not the secret).
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// The mode the key fixes.
    pub mode: Mode,
}

/// How a key ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEnd {
    /// Now, for good.
    Revoke(Timestamp),
    /// At this time (a roll's overlap).
    ExpireAt(Timestamp),
}

/// An API key as its merchant's people see it (never the secret, nor its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// `key_…`
    pub id: String,
    /// The mode it fixes.
    pub mode: Mode,
    /// `sk_test_AbCd…wxyz`.
    pub hint: String,
    /// When created.
    pub created_at: Timestamp,
    /// When last used (to the minute), if ever.
    pub last_used_at: Option<Timestamp>,
    /// When it stops working, if rolled with an overlap.
    pub expires_at: Option<Timestamp>,
    /// When revoked.
    pub revoked_at: Option<Timestamp>,
}

impl StoreTx {
    /// Inserts a merchant.
    pub async fn insert_merchant(&mut self, m: &Merchant) -> Result<(), StoreError> {
        sqlx::query::<Any>("INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(m.id.clone())
            .bind(m.name.clone())
            .bind(m.created_at.as_micros())
            .execute(&mut **self.tx())
            .await?;
        Ok(())
    }

    /// Inserts an API key record: only the hash and a short hint are stored.
    pub async fn insert_api_key(
        &mut self,
        rec: &ApiKeyRecord,
        key_hash: &str,
        key_hint: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO api_keys (id, merchant_id, mode, key_hash, key_hint, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(rec.id.clone())
        .bind(rec.merchant_id.clone())
        .bind(rec.mode.as_str())
        .bind(key_hash)
        .bind(key_hint)
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Ends a merchant's key: revoked at `now` (`Revoke`), or working until `at` (`ExpireAt`,
    /// a roll's overlap; never later than an end it already has). Returns the key's hash (for
    /// the caller to forget it), or `None` if it is not the merchant's or already ended.
    pub async fn end_api_key(
        &mut self,
        merchant_id: &str,
        id: &str,
        end: KeyEnd,
    ) -> Result<Option<String>, StoreError> {
        let (sql, at) = match end {
            KeyEnd::Revoke(now) => (
                "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND merchant_id = $2 \
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3) \
                 RETURNING key_hash",
                now,
            ),
            KeyEnd::ExpireAt(at) => (
                "UPDATE api_keys SET expires_at = $3 WHERE id = $1 AND merchant_id = $2 \
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3) \
                 RETURNING key_hash",
                at,
            ),
        };
        Ok(sqlx::query_scalar::<Any, String>(sql)
            .bind(id)
            .bind(merchant_id)
            .bind(at.as_micros())
            .fetch_optional(&mut **self.tx())
            .await?)
    }

    /// Sets a setting only if absent; `true` if this call set it. Used to elect one process to
    /// bootstrap an empty database.
    pub async fn insert_setting_if_absent(
        &mut self,
        key: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query::<Any>(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&mut **self.tx())
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}

impl Store {
    /// The key with this hash if it works at `now` (not revoked, not past its end), with when
    /// it stops working, if it will.
    pub async fn api_key_by_hash(
        &self,
        key_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(ApiKeyRecord, Option<Timestamp>)>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT id, merchant_id, mode, expires_at FROM api_keys WHERE key_hash = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(key_hash)
        .bind(now.as_micros())
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mode: String = row.try_get("mode")?;
        let expires = row
            .try_get::<Option<i64>, _>("expires_at")?
            .map(Timestamp::from_micros);
        Ok(Some((
            ApiKeyRecord {
                id: row.try_get("id")?,
                merchant_id: row.try_get("merchant_id")?,
                mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
            },
            expires,
        )))
    }

    /// Notes that a key was used at `now` (a plain write, at most once a minute per key).
    pub async fn touch_api_key(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(id)
        .bind(now.as_micros())
        .bind(now.as_micros() - 60_000_000)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A merchant's keys, newest first (revoked ones included, for the record).
    pub async fn api_keys(&self, merchant_id: &str) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, mode, key_hint, created_at, last_used_at, expires_at, revoked_at \
             FROM api_keys WHERE merchant_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(merchant_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let mode: String = r.try_get("mode")?;
                let ts = |c: &str| -> Result<Option<Timestamp>, StoreError> {
                    Ok(r.try_get::<Option<i64>, _>(c)?.map(Timestamp::from_micros))
                };
                Ok(ApiKeyRow {
                    id: r.try_get("id")?,
                    mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
                    hint: r.try_get("key_hint")?,
                    created_at: Timestamp::from_micros(r.try_get("created_at")?),
                    last_used_at: ts("last_used_at")?,
                    expires_at: ts("expires_at")?,
                    revoked_at: ts("revoked_at")?,
                })
            })
            .collect()
    }

    /// A merchant by id.
    pub async fn merchant(&self, id: &str) -> Result<Option<Merchant>, StoreError> {
        let row = sqlx::query::<Any>("SELECT id, name, created_at FROM merchants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Merchant {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: Timestamp::from_micros(r.try_get("created_at")?),
            })
        })
        .transpose()
    }

    /// A merchant's branding (`None` if there is no such merchant).
    pub async fn branding(&self, id: &str) -> Result<Option<Branding>, StoreError> {
        let row = sqlx::query::<Any>("SELECT name, brand_color, logo FROM merchants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Branding {
                name: r.try_get("name")?,
                brand_color: r.try_get("brand_color")?,
                logo: r.try_get("logo")?,
            })
        })
        .transpose()
    }

    /// A setting's value.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar::<Any, String>("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.read)
                .await?,
        )
    }
}

impl crate::tx::StoreTx {
    /// Sets a merchant's branding; `false` if there is no such merchant.
    pub async fn set_branding(&mut self, id: &str, b: &Branding) -> Result<bool, StoreError> {
        let n = sqlx::query::<Any>(
            "UPDATE merchants SET name = $2, brand_color = $3, logo = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(b.name.clone())
        .bind(b.brand_color.clone())
        .bind(b.logo.clone())
        .execute(&mut **self.tx())
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
