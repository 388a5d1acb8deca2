//! Webhook endpoints: rows, secrets' rotation, status and limits, and disabling failing ones.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::records::EndpointRecord;
use crate::sql::{insert_rows, Value};
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

pub(super) const ENDPOINT_COLUMNS: &str =
    "id, merchant_id, mode, url, description, events, status, format, secret, \
    previous_secret, previous_secret_until, failing_since, max_concurrency, created_at, updated_at";

pub(super) fn endpoint_from_row(r: &AnyRow) -> Result<EndpointRecord, StoreError> {
    let mode: String = r.try_get("mode")?;
    let ts = |c: &str| -> Result<Option<Timestamp>, StoreError> {
        Ok(r.try_get::<Option<i64>, _>(c)?.map(Timestamp::from_micros))
    };
    Ok(EndpointRecord {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        url: r.try_get("url")?,
        description: r.try_get("description")?,
        events: r.try_get("events")?,
        status: r.try_get("status")?,
        format: r.try_get("format")?,
        secret: r.try_get("secret")?,
        previous_secret: r.try_get("previous_secret")?,
        previous_secret_until: ts("previous_secret_until")?,
        failing_since: ts("failing_since")?,
        max_concurrency: r.try_get("max_concurrency")?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
    })
}

impl StoreTx {
    /// How many endpoints (not deleted) the merchant has in `mode`, counted under a lock on the
    /// merchant's row: two creations at once cannot both pass a cap on the count.
    pub async fn endpoints_counted_for_update(
        &mut self,
        merchant_id: &str,
        mode: Mode,
    ) -> Result<i64, StoreError> {
        let lock = format!(
            "SELECT id FROM merchants WHERE id = $1{}",
            self.dialect.for_update()
        );
        sqlx::query::<Any>(&lock)
            .bind(merchant_id)
            .fetch_optional(&mut **self.tx())
            .await?;
        let n: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM webhook_endpoints \
             WHERE merchant_id = $1 AND mode = $2 AND status <> 'deleted'",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .fetch_one(&mut **self.tx())
        .await?;
        Ok(n)
    }

    /// Replaces an endpoint's secret; the old one keeps signing until `previous_until`.
    pub async fn rotate_endpoint_secret(
        &mut self,
        id: &str,
        new_secret: &str,
        previous_until: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $3, \
             secret = $2, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(new_secret)
        .bind(previous_until.as_micros())
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Disables every enabled endpoint whose attempts have all failed since before `cutoff`, and
    /// returns them (so the caller can record an event in the same transaction).
    pub async fn disable_failing_endpoints(
        &mut self,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<EndpointRecord>, StoreError> {
        let sql = format!(
            "UPDATE webhook_endpoints SET status = 'disabled', updated_at = $2 WHERE status = 'enabled' \
             AND failing_since IS NOT NULL AND failing_since <= $1 RETURNING {ENDPOINT_COLUMNS}"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(cutoff.as_micros())
            .bind(now.as_micros())
            .fetch_all(&mut **self.tx())
            .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// Inserts an endpoint.
    pub async fn insert_endpoint(&mut self, e: &EndpointRecord) -> Result<(), StoreError> {
        let rows = vec![vec![
            Value::Text(e.id.clone()),
            Value::Text(e.merchant_id.clone()),
            Value::Text(e.mode.as_str().to_owned()),
            Value::Text(e.url.clone()),
            Value::OptText(e.description.clone()),
            Value::Text(e.events.clone()),
            Value::Text(e.status.clone()),
            Value::Text(e.format.clone()),
            Value::Text(e.secret.clone()),
            Value::OptInt(e.max_concurrency),
            Value::Int(e.created_at.as_micros()),
            Value::Int(e.updated_at.as_micros()),
        ]];
        insert_rows(
            self.dialect,
            self.tx(),
            "webhook_endpoints",
            &[
                "id",
                "merchant_id",
                "mode",
                "url",
                "description",
                "events",
                "status",
                "format",
                "secret",
                "max_concurrency",
                "created_at",
                "updated_at",
            ],
            rows,
            "",
        )
        .await
    }

    /// These endpoints (each once), read in this transaction.
    pub(crate) async fn endpoints_by_id<'a>(
        &mut self,
        ids: impl Iterator<Item = &'a str>,
    ) -> Result<Vec<EndpointRecord>, StoreError> {
        let mut ids: Vec<&str> = ids.collect();
        ids.sort_unstable();
        ids.dedup();
        let list: Vec<String> = (1..=ids.len()).map(|i| self.dialect.param(i)).collect();
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query::<Any>(&sql);
        for id in ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&mut **self.tx()).await?;
        rows.iter().map(endpoint_from_row).collect()
    }
}

impl Store {
    /// One endpoint of a merchant (deleted ones included, so a delete is idempotent).
    pub async fn endpoint(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<EndpointRecord>, StoreError> {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND mode = $3");
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&self.write)
            .await?;
        row.as_ref().map(endpoint_from_row).transpose()
    }

    /// A merchant's endpoints that are not deleted, oldest first.
    pub async fn endpoints(
        &self,
        merchant_id: &str,
        mode: Mode,
    ) -> Result<Vec<EndpointRecord>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE merchant_id = $1 AND mode = $2 \
             AND status <> 'deleted' ORDER BY created_at, id"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_all(&self.write)
            .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// Sets (or, with `None`, clears) an endpoint's `max_concurrency`.
    pub async fn set_endpoint_max_concurrency(
        &self,
        id: &str,
        max_concurrency: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE webhook_endpoints SET max_concurrency = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(max_concurrency)
        .bind(now.as_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }
}

impl crate::tx::StoreTx {
    /// Sets an endpoint's status (`enabled`, `disabled`, `deleted`); any change clears its
    /// failure streak.
    pub async fn set_endpoint_status(
        &mut self,
        id: &str,
        status: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE webhook_endpoints SET status = $2, updated_at = $3, failing_since = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }
}
