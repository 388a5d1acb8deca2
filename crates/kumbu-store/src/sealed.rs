//! Where sealed secrets live, so that the engine can reseal them all when the server key changes.
//!
//! The store never sees a secret in clear: columns listed here hold text the engine sealed (see
//! `kumbu_engine::vault`). Listing them in one place is what lets a key rotation, or an upgrade
//! from a version that stored plain text, reach every one of them.

use crate::connect::Store;
use crate::error::StoreError;
use sqlx::{Any, Row};

/// A column of sealed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    /// Table name.
    pub table: &'static str,
    /// The row's key column.
    pub key: &'static str,
    /// The sealed column (nullable columns are skipped where NULL).
    pub column: &'static str,
    /// What a value is sealed as: the associated data is `<kind>:<row key>`.
    pub kind: &'static str,
}

/// A webhook endpoint's signing secret.
pub const WEBHOOK_SECRET: SealedColumn = SealedColumn {
    table: "webhook_endpoints",
    key: "id",
    column: "secret",
    kind: "webhook_endpoint",
};

/// A webhook endpoint's previous signing secret (during the 24 h after a rotation).
pub const WEBHOOK_PREVIOUS_SECRET: SealedColumn = SealedColumn {
    column: "previous_secret",
    ..WEBHOOK_SECRET
};

/// Sealed settings (the key check, for one).
pub const SEALED_SETTING: SealedColumn = SealedColumn {
    table: "settings",
    key: "key",
    column: "value",
    kind: "setting",
};

/// A merchant's credentials for an operator (API users, keys, subscription keys).
pub const OPERATOR_CREDENTIALS: SealedColumn = SealedColumn {
    table: "operator_credentials",
    key: "id",
    column: "sealed",
    kind: "operator_credentials",
};

/// A person's TOTP secret (second factor), once enrolled.
pub const TOTP_SECRET: SealedColumn = SealedColumn {
    table: "people",
    key: "id",
    column: "totp_secret",
    kind: "totp",
};

/// A person's TOTP secret while being enrolled (shown, not yet confirmed by a code).
pub const TOTP_PENDING: SealedColumn = SealedColumn {
    column: "totp_pending",
    ..TOTP_SECRET
};

/// Every column that holds sealed values.
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    WEBHOOK_SECRET,
    WEBHOOK_PREVIOUS_SECRET,
    SEALED_SETTING,
    OPERATOR_CREDENTIALS,
    TOTP_SECRET,
    TOTP_PENDING,
];

impl SealedColumn {
    /// The associated data a value of row `key` is sealed with.
    pub fn context(&self, key: &str) -> String {
        format!("{}:{key}", self.kind)
    }
}

impl Store {
    /// Values in `col` that are not sealed under the key `current_key_id`: plain text left by an
    /// older version, or values sealed under an older key. Returns (row key, value) pairs.
    /// For `settings` only rows whose value looks sealed are considered (other settings are
    /// not secret).
    pub async fn values_to_reseal(
        &self,
        col: &SealedColumn,
        current_key_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let only_sealed = if col.table == "settings" {
            format!(" AND {} LIKE 'kv1.%'", col.column)
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL \
             AND {column} NOT LIKE $1{only_sealed}",
            key = col.key,
            column = col.column,
            table = col.table,
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(format!("kv1.{current_key_id}.%"))
            .fetch_all(&self.write)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("k")?, r.try_get("v")?)))
            .collect()
    }

    /// Replaces one sealed value if it is still `old` (a concurrent rotation wins); `true` if
    /// replaced.
    pub async fn replace_sealed(
        &self,
        col: &SealedColumn,
        key: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {table} SET {column} = $3 WHERE {key} = $1 AND {column} = $2",
            key = col.key,
            column = col.column,
            table = col.table,
        );
        let n = sqlx::query::<Any>(&sql)
            .bind(key)
            .bind(old)
            .bind(new)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Sets a setting if absent; returns the value now stored (this one or another process's).
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        self.setting(key)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("setting {key} vanished after insert")))
    }
}
