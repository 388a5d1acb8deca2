//! SIMO (ERV) entities per merchant and the counters ERV references are issued from.

use crate::connect::Store;
use crate::error::StoreError;
use crate::tx::StoreTx;
use kumbu_core::Mode;
use sqlx::{Any, Row};

impl StoreTx {
    /// Whether a reference was ever issued to one of the merchant's bills.
    pub async fn erv_reference_issued(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        reference: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM collection_requests WHERE merchant_id = $1 AND mode = $2 \
             AND erv_reference = $3",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(reference)
        .fetch_one(&mut **self.tx())
        .await?
            > 0)
    }

    /// The next value of a named counter, starting at `first`; safe across processes.
    pub async fn bump_counter(&mut self, name: &str, first: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(name)
        .bind(first)
        .fetch_one(&mut **self.tx())
        .await?)
    }

    /// The merchant's SIMO entity in `mode`: the configured one; in test mode, failing that,
    /// the one the sandbox assigned.
    pub async fn erv_entity(
        &mut self,
        merchant_id: &str,
        mode: Mode,
    ) -> Result<Option<String>, StoreError> {
        let sql = match mode {
            Mode::Live => "SELECT erv_entity FROM merchants WHERE id = $1",
            Mode::Test => {
                "SELECT COALESCE(erv_entity, erv_test_entity) FROM merchants WHERE id = $1"
            }
        };
        Ok(sqlx::query_scalar::<Any, Option<String>>(sql)
            .bind(merchant_id)
            .fetch_optional(&mut **self.tx())
            .await?
            .flatten())
    }

    /// Configures the merchant's SIMO entity. Another merchant's entity fails with
    /// [`StoreError::Conflict`]; `false` if the merchant does not exist.
    pub async fn set_erv_entity(
        &mut self,
        merchant_id: &str,
        entity: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query::<Any>("UPDATE merchants SET erv_entity = $2 WHERE id = $1")
            .bind(merchant_id)
            .bind(entity)
            .execute(&mut **self.tx())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Gives the merchant a sandbox entity unless it has one (a racing assignment keeps the
    /// first); returns the one it has.
    pub async fn assign_test_entity(
        &mut self,
        merchant_id: &str,
        entity: &str,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query::<Any>(
            "UPDATE merchants SET erv_test_entity = $2 WHERE id = $1 AND erv_test_entity IS NULL",
        )
        .bind(merchant_id)
        .bind(entity)
        .execute(&mut **self.tx())
        .await?;
        self.erv_entity(merchant_id, Mode::Test).await
    }

    /// The merchant whose SIMO entity this is in `mode` (a configured entity before a sandbox
    /// one).
    pub async fn merchant_of_erv_entity(
        &mut self,
        entity: &str,
        mode: Mode,
    ) -> Result<Option<String>, StoreError> {
        let sql = match mode {
            Mode::Live => "SELECT id FROM merchants WHERE erv_entity = $1",
            Mode::Test => {
                "SELECT id FROM merchants WHERE erv_entity = $1 OR (erv_entity IS NULL AND erv_test_entity = $1) \
                 ORDER BY CASE WHEN erv_entity = $1 THEN 0 ELSE 1 END LIMIT 1"
            }
        };
        Ok(sqlx::query_scalar::<Any, String>(sql)
            .bind(entity)
            .fetch_optional(&mut **self.tx())
            .await?)
    }
}

impl Store {
    /// The merchant's configured SIMO entity and the sandbox's, if any.
    pub async fn erv_entities(
        &self,
        merchant_id: &str,
    ) -> Result<(Option<String>, Option<String>), StoreError> {
        let row =
            sqlx::query::<Any>("SELECT erv_entity, erv_test_entity FROM merchants WHERE id = $1")
                .bind(merchant_id)
                .fetch_optional(&self.read)
                .await?;
        Ok(match row {
            Some(r) => (r.try_get("erv_entity")?, r.try_get("erv_test_entity")?),
            None => (None, None),
        })
    }
}
