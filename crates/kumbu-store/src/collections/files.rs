//! Imported bank files (MEPS): one row per file, so that importing one twice changes nothing.

use crate::error::StoreError;
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::Any;

/// A bank file imported once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    /// `meps`.
    pub kind: String,
    /// The file's own id (MEPS: `AAAAMMDDS`).
    pub file_id: String,
    /// The id it says came before.
    pub previous_id: Option<String>,
    /// The SIMO entity it reports for.
    pub entity: String,
    /// Detail lines.
    pub records: i64,
    /// Their total, minor units.
    pub total: i64,
    /// The id of the file that should have come before but was never imported, if any.
    pub gap: Option<String>,
    /// When imported.
    pub imported_at: Timestamp,
}

impl StoreTx {
    /// Records an imported file; the same file twice fails with [`StoreError::Conflict`].
    pub async fn insert_imported_file(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        f: &ImportedFile,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO reconciliation_files (merchant_id, mode, kind, file_id, previous_id, \
             entity, records, total, gap, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10)",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(f.kind.clone())
        .bind(f.file_id.clone())
        .bind(f.previous_id.clone())
        .bind(f.entity.clone())
        .bind(f.records)
        .bind(f.total)
        .bind(f.gap.clone())
        .bind(f.imported_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Whether a file with this id was imported.
    pub async fn file_imported(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        kind: &str,
        file_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM reconciliation_files WHERE merchant_id = $1 AND mode = $2 \
             AND kind = $3 AND file_id = $4",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(kind)
        .bind(file_id)
        .fetch_one(&mut **self.tx())
        .await?
            > 0)
    }
}
