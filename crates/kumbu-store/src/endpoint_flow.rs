//! Per-endpoint flow control for webhooks: the adaptive limit every process shares
//! (`endpoint_flow`), the slots each process holds (`endpoint_permits`, leased, so a dead
//! process's slots come back), and what an endpoint's health shows.
//!
//! The rules (how the limit moves, who gets how many slots) are the engine's; this persists
//! them under a row lock, so processes on one PostgreSQL decide one at a time per endpoint.

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::StoreError;
use crate::sql::MAX_PARAMS;
use crate::tx::StoreTx;
use kumbu_core::Timestamp;
use sqlx::{Any, Row};

/// An endpoint's shared adaptive limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowRow {
    /// Deliveries that may be in flight at once, across processes.
    pub limit: i64,
    /// After an overload: the limit may not grow past this…
    pub ceiling: Option<i64>,
    /// …until then.
    pub ceiling_until: Option<Timestamp>,
    /// Whether the limit ever came down (it then grows one at a time).
    pub congested: bool,
}

/// The slots one process holds for an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitRow {
    /// The process (a random id per run).
    pub holder: String,
    /// Slots held: never fewer than `in_flight`.
    pub permits: i64,
    /// Requests it had in flight when it last reported.
    pub in_flight: i64,
    /// Slots it would use.
    pub wanted: i64,
    /// The slots are free again after this, unless renewed.
    pub until: Timestamp,
}

/// What `GET /v1/webhook_endpoints/{id}` shows of an endpoint's deliveries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthRow {
    /// Due now and waiting for a slot (or a dispatcher).
    pub queued: i64,
    /// Not delivered yet and not given up: queued, in flight, or waiting for a retry.
    pub pending: i64,
    /// Requests in flight, as the processes holding slots last reported.
    pub in_flight: i64,
    /// The shared adaptive limit (none before the first delivery).
    pub limit: Option<i64>,
    /// The latest attempts, newest first: status code, latency, error, when.
    pub recent: Vec<(Option<i64>, i64, Option<String>, Timestamp)>,
}

impl StoreTx {
    /// Locks an endpoint's flow row, creating it as `initial` if it has none, and returns it
    /// with the endpoint's configured `max_concurrency`.
    pub async fn lock_endpoint_flow(
        &mut self,
        endpoint_id: &str,
        initial: &FlowRow,
        now: Timestamp,
    ) -> Result<(FlowRow, Option<i64>), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO endpoint_flow (endpoint_id, flow_limit, congested, updated_at) \
             VALUES ($1, $2, 0, $3) ON CONFLICT (endpoint_id) DO NOTHING",
        )
        .bind(endpoint_id)
        .bind(initial.limit)
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE OF f",
            // BEGIN IMMEDIATE already holds SQLite's one write lock.
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "SELECT f.flow_limit, f.ceiling, f.ceiling_until, f.congested, we.max_concurrency \
             FROM endpoint_flow f JOIN webhook_endpoints we ON we.id = f.endpoint_id \
             WHERE f.endpoint_id = $1{lock}"
        );
        let r = sqlx::query::<Any>(&sql)
            .bind(endpoint_id)
            .fetch_one(&mut **self.tx())
            .await?;
        Ok((
            FlowRow {
                limit: r.try_get("flow_limit")?,
                ceiling: r.try_get("ceiling")?,
                ceiling_until: r
                    .try_get::<Option<i64>, _>("ceiling_until")?
                    .map(Timestamp::from_micros),
                congested: r.try_get::<i64, _>("congested")? != 0,
            },
            r.try_get("max_concurrency")?,
        ))
    }

    /// Writes an endpoint's flow row (locked by [`StoreTx::lock_endpoint_flow`]).
    pub async fn save_endpoint_flow(
        &mut self,
        endpoint_id: &str,
        flow: &FlowRow,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE endpoint_flow SET flow_limit = $2, ceiling = $3, ceiling_until = $4, \
             congested = $5, updated_at = $6 WHERE endpoint_id = $1",
        )
        .bind(endpoint_id)
        .bind(flow.limit)
        .bind(flow.ceiling)
        .bind(flow.ceiling_until.map(Timestamp::as_micros))
        .bind(i64::from(flow.congested))
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Every process's slots for an endpoint, expired ones included.
    pub async fn endpoint_permits(
        &mut self,
        endpoint_id: &str,
    ) -> Result<Vec<PermitRow>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT holder, permits, in_flight, wanted, until FROM endpoint_permits \
             WHERE endpoint_id = $1 ORDER BY holder",
        )
        .bind(endpoint_id)
        .fetch_all(&mut **self.tx())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PermitRow {
                    holder: r.try_get("holder")?,
                    permits: r.try_get("permits")?,
                    in_flight: r.try_get("in_flight")?,
                    wanted: r.try_get("wanted")?,
                    until: Timestamp::from_micros(r.try_get("until")?),
                })
            })
            .collect()
    }

    /// Records one process's slots for an endpoint, and forgets slots that expired before `now`.
    pub async fn put_permit(
        &mut self,
        endpoint_id: &str,
        p: &PermitRow,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>("DELETE FROM endpoint_permits WHERE endpoint_id = $1 AND until < $2")
            .bind(endpoint_id)
            .bind(now.as_micros())
            .execute(&mut **self.tx())
            .await?;
        sqlx::query::<Any>(
            "INSERT INTO endpoint_permits (endpoint_id, holder, permits, in_flight, wanted, until) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (endpoint_id, holder) DO UPDATE SET \
             permits = excluded.permits, in_flight = excluded.in_flight, wanted = excluded.wanted, \
             until = excluded.until",
        )
        .bind(endpoint_id)
        .bind(&p.holder)
        .bind(p.permits)
        .bind(p.in_flight)
        .bind(p.wanted)
        .bind(p.until.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Gives back a process's slots for these endpoints (all of them when `endpoint_ids` is
    /// `None`: on shutdown).
    pub async fn release_permits(
        &self,
        holder: &str,
        endpoint_ids: Option<&[String]>,
    ) -> Result<(), StoreError> {
        match endpoint_ids {
            None => {
                sqlx::query::<Any>("DELETE FROM endpoint_permits WHERE holder = $1")
                    .bind(holder)
                    .execute(&self.write)
                    .await?;
            }
            Some(ids) => {
                for chunk in ids.chunks(MAX_PARAMS - 1) {
                    let list: Vec<String> = (0..chunk.len())
                        .map(|i| self.dialect.param(i + 2))
                        .collect();
                    let sql = format!(
                        "DELETE FROM endpoint_permits WHERE holder = {} AND endpoint_id IN ({})",
                        self.dialect.param(1),
                        list.join(", ")
                    );
                    let mut q = sqlx::query::<Any>(&sql).bind(holder);
                    for id in chunk {
                        q = q.bind(id);
                    }
                    q.execute(&self.write).await?;
                }
            }
        }
        Ok(())
    }

    /// The endpoints with the most deliveries due and not taken by any dispatcher (at most
    /// `top`), with how many each has.
    pub async fn endpoint_backlogs(
        &self,
        now: Timestamp,
        top: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = format!(
            "SELECT endpoint_id, COUNT(*) AS n FROM deliveries WHERE next_attempt_at <= $1 \
             GROUP BY endpoint_id ORDER BY n DESC, endpoint_id LIMIT {top}"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(now.as_micros())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("endpoint_id")?, r.try_get("n")?)))
            .collect()
    }

    /// An endpoint's deliveries waiting, in flight and recently attempted (the last `recent`).
    pub async fn endpoint_health(
        &self,
        endpoint_id: &str,
        now: Timestamp,
        recent: u32,
    ) -> Result<HealthRow, StoreError> {
        let counts = sqlx::query::<Any>(
            "SELECT CAST(COALESCE(SUM(CASE WHEN next_attempt_at <= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS due, \
             CAST(COUNT(*) AS BIGINT) AS pending \
             FROM deliveries WHERE endpoint_id = $1 AND status = 'pending' AND next_attempt_at IS NOT NULL",
        )
        .bind(endpoint_id)
        .bind(now.as_micros())
        .fetch_one(&self.read)
        .await?;
        let in_flight: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT CAST(COALESCE(SUM(in_flight), 0) AS BIGINT) FROM endpoint_permits \
             WHERE endpoint_id = $1 AND until >= $2",
        )
        .bind(endpoint_id)
        .bind(now.as_micros())
        .fetch_one(&self.read)
        .await?;
        let limit: Option<i64> = sqlx::query_scalar::<Any, i64>(
            "SELECT flow_limit FROM endpoint_flow WHERE endpoint_id = $1",
        )
        .bind(endpoint_id)
        .fetch_optional(&self.read)
        .await?;
        let sql = format!(
            "SELECT status_code, latency_ms, error, at FROM delivery_attempts WHERE endpoint_id = $1 \
             ORDER BY seq DESC LIMIT {recent}"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(endpoint_id)
            .fetch_all(&self.read)
            .await?;
        let recent = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("status_code")?,
                    r.try_get("latency_ms")?,
                    r.try_get("error")?,
                    Timestamp::from_micros(r.try_get("at")?),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(HealthRow {
            queued: counts.try_get("due")?,
            pending: counts.try_get("pending")?,
            in_flight,
            limit,
            recent,
        })
    }
}
