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
    /// The active key with this hash, if any.
    pub async fn api_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT id, merchant_id, mode FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mode: String = row.try_get("mode")?;
        Ok(Some(ApiKeyRecord {
            id: row.try_get("id")?,
            merchant_id: row.try_get("merchant_id")?,
            mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        }))
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

    /// Sets a merchant's branding; `false` if there is no such merchant.
    pub async fn set_branding(&self, id: &str, b: &Branding) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query::<Any>(
            "UPDATE merchants SET name = $2, brand_color = $3, logo = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(b.name.clone())
        .bind(b.brand_color.clone())
        .bind(b.logo.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
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
