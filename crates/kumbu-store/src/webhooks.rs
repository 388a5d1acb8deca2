//! Webhook endpoints, deliveries (one per event and endpoint) and delivery attempts.

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::{corrupt, StoreError};
use crate::records::{DueDelivery, EndpointRecord, EventRecord, Published};
use crate::sql::{insert_rows, Value, MAX_PARAMS};
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const ENDPOINT_COLUMNS: &str =
    "id, merchant_id, mode, url, description, events, status, format, secret, \
    previous_secret, previous_secret_until, failing_since, max_concurrency, created_at, updated_at";

fn endpoint_from_row(r: &AnyRow) -> Result<EndpointRecord, StoreError> {
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

/// How many deliveries a claim may take per endpoint.
#[derive(Debug, Clone, Default)]
pub struct ClaimCaps {
    /// Endpoints with a room of their own (0: none of theirs is taken).
    pub rooms: Vec<(String, u32)>,
    /// The room of every other endpoint.
    pub default_room: u32,
    /// Whether to look for due deliveries of endpoints without a room of their own (a scan of
    /// the due rows, skipping those endpoints'; without it only the listed endpoints are
    /// claimed for, each by an index range).
    pub discover: bool,
}

/// A delivery row just created by fan-out.
pub(crate) struct CreatedDelivery {
    pub(crate) seq: i64,
    pub(crate) event_id: String,
    pub(crate) endpoint_id: String,
}

/// What happened to one attempt, and what comes next.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    /// The delivery.
    pub delivery_seq: i64,
    /// Its event.
    pub event_id: String,
    /// Its endpoint.
    pub endpoint_id: String,
    /// When the attempt started.
    pub at: Timestamp,
    /// The HTTP status, if a response came.
    pub status_code: Option<u16>,
    /// How long it took.
    pub latency_ms: i64,
    /// Why it failed without a response (timeout, refused…).
    pub error: Option<String>,
    /// The first KiB of the response body.
    pub response_excerpt: Option<String>,
    /// What to do next.
    pub next: NextStep,
    /// Whether delivering takes the event off the pull queue (ProxyPay: a payment delivered by
    /// webhook is not also served by `GET /payments`).
    pub acks_event: bool,
}

/// The state a delivery moves to after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// A 2xx came back.
    Delivered,
    /// Try again at this instant.
    RetryAt(Timestamp),
    /// Retries are exhausted (or the endpoint is gone).
    GiveUp,
}

/// One recorded attempt, as `GET /v1/events/{id}/deliveries` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The endpoint.
    pub endpoint_id: String,
    /// When.
    pub at: Timestamp,
    /// HTTP status, if any.
    pub status_code: Option<u16>,
    /// Latency.
    pub latency_ms: i64,
    /// Error without a response.
    pub error: Option<String>,
    /// First KiB of the response.
    pub response_excerpt: Option<String>,
}

impl StoreTx {
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

    /// The next per-object sequence number for an object's events.
    pub async fn next_object_seq(&mut self, object_id: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT CAST(COALESCE(MAX(object_seq), 0) + 1 AS BIGINT) FROM events WHERE object_id = $1",
        )
        .bind(object_id)
        .fetch_one(&mut **self.tx())
        .await?)
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

    /// Creates a pending delivery for every enabled endpoint subscribed to each of these events
    /// (which this transaction has just written). The events' own fields are sent along, so this
    /// never reads the events table back; the list is padded to a power of two (repeating the
    /// last event, which `ON CONFLICT` absorbs) so the statement keeps one of a few shapes.
    ///
    /// With `returning`, the deliveries created are returned (for the caller to send).
    pub(crate) async fn fan_out(
        &mut self,
        events: &[Published<'_>],
        returning: bool,
    ) -> Result<Vec<CreatedDelivery>, StoreError> {
        const COLS: usize = 7;
        let mut created = Vec::new();
        for chunk in events.chunks(MAX_PARAMS / COLS / 2) {
            let padded = chunk.len().next_power_of_two();
            let rows: Vec<String> = (0..padded)
                .map(|i| {
                    let ph = |k: usize| self.dialect.param(i * COLS + k);
                    format!(
                        "({}, {}, {}, {}, {}, CAST({} AS BIGINT), CAST({} AS BIGINT))",
                        ph(1),
                        ph(2),
                        ph(3),
                        ph(4),
                        ph(5),
                        ph(6),
                        ph(7)
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO deliveries (event_id, endpoint_id, status, attempts, next_attempt_at, created_at) \
                 SELECT ev.column1, we.id, 'pending', 0, ev.column6, ev.column7 FROM (VALUES {}) AS ev \
                 JOIN webhook_endpoints we ON we.merchant_id = ev.column2 AND we.mode = ev.column3 \
                 AND we.status = 'enabled' \
                 AND (we.events = '*' OR we.events LIKE ('%,' || replace(ev.column4, '_', '!_') || ',%') ESCAPE '!') \
                 AND (we.format <> 'proxypay' OR EXISTS (SELECT 1 FROM payments p WHERE p.id = ev.column5 \
                 AND p.bank_payment_id IS NOT NULL)) \
                 ON CONFLICT (event_id, endpoint_id) DO NOTHING{}",
                rows.join(", "),
                if returning {
                    " RETURNING seq, event_id, endpoint_id"
                } else {
                    ""
                }
            );
            let mut q = sqlx::query::<Any>(&sql);
            for i in 0..padded {
                let e = &chunk[i.min(chunk.len() - 1)];
                q = q
                    .bind(e.id)
                    .bind(e.merchant_id)
                    .bind(e.mode.as_str())
                    .bind(e.event_type)
                    .bind(e.object_id)
                    .bind(e.due.as_micros())
                    .bind(e.created_at.as_micros());
            }
            if returning {
                for r in q.fetch_all(&mut **self.tx()).await? {
                    created.push(CreatedDelivery {
                        seq: r.try_get("seq")?,
                        event_id: r.try_get("event_id")?,
                        endpoint_id: r.try_get("endpoint_id")?,
                    });
                }
            } else {
                q.execute(&mut **self.tx()).await?;
            }
        }
        Ok(created)
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

    /// Sets an endpoint's status (`enabled`, `disabled`, `deleted`); any change clears its failure streak.
    pub async fn set_endpoint_status(
        &self,
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
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Claims up to `limit` due deliveries under a lease: they are not due again before
    /// `lease_until`, so a process that dies mid-delivery only delays them (at least once).
    /// On PostgreSQL concurrent dispatchers skip each other's rows.
    ///
    /// At most `caps` deliveries of each endpoint are taken, and none of an endpoint with no
    /// room: a slow endpoint's backlog stays in the database, due, without holding back any
    /// other endpoint's (held back is not an attempt).
    pub async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
        caps: &ClaimCaps,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        // Endpoints this dispatcher already has a lane for are claimed one by one, each within
        // its room (an index range scan apiece); the others from the earliest due rows, at most
        // `default_room` each. A slow endpoint's backlog so never hides another's due rows.
        // Numbered placeholders on both backends (few, and `$1`/`$2` appear more than once).
        let lanes: Vec<&(String, u32)> = caps.rooms.iter().take(MAX_PARAMS / 2).collect();
        let mut arms = Vec::new();
        let known = if lanes.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = (0..lanes.len()).map(|i| format!("${}", i + 3)).collect();
            format!(" AND endpoint_id NOT IN ({})", list.join(", "))
        };
        let candidates = limit.saturating_mul(4).max(64);
        if caps.discover {
            arms.push(format!(
            "SELECT seq, next_attempt_at FROM (SELECT c.seq, c.next_attempt_at, ROW_NUMBER() OVER \
             (PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at, c.seq) AS rk FROM \
             (SELECT seq, endpoint_id, next_attempt_at FROM deliveries WHERE next_attempt_at <= $1{known} \
             ORDER BY next_attempt_at LIMIT {candidates}) AS c) AS g WHERE g.rk <= {}",
                caps.default_room
            ));
        }
        for (i, (_, room)) in lanes.iter().enumerate() {
            if *room > 0 {
                arms.push(format!(
                    "SELECT seq, next_attempt_at FROM (SELECT seq, next_attempt_at FROM deliveries \
                     WHERE endpoint_id = ${} AND next_attempt_at <= $1 ORDER BY next_attempt_at \
                     LIMIT {room}) AS a{i}",
                    i + 3
                ));
            }
        }
        if arms.is_empty() {
            return Ok(Vec::new());
        }
        let pick = format!(
            "SELECT seq FROM ({}) AS k ORDER BY k.next_attempt_at LIMIT {limit}",
            arms.join(" UNION ALL ")
        );
        let read = |from: &str, filter: &str| {
            format!(
                "SELECT d.seq AS d_seq, d.attempts AS d_attempts, d.created_at AS d_created_at, \
                 ev.id AS ev_id, ev.mode AS ev_mode, ev.type AS ev_type, ev.object_id AS ev_object_id, \
                 ev.object_seq AS ev_object_seq, ev.payload AS ev_payload, ev.created_at AS ev_created_at, \
                 ev.acked_at AS ev_acked_at, {} FROM {from} JOIN events ev ON ev.id = d.event_id \
                 JOIN webhook_endpoints we ON we.id = d.endpoint_id{filter} ORDER BY d.seq",
                ENDPOINT_COLUMNS
                    .split(", ")
                    .map(|c| format!("we.{c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        let rows = match self.dialect {
            Dialect::Postgres => {
                // The due rows are picked once (MATERIALIZED), so the LIMIT holds whatever plan the
                // UPDATE gets, then locked one by one by primary key alone: a condition that implies
                // `next_attempt_at IS NOT NULL` there (even one pushed down from outside) would let
                // the planner, on statistics from before a backlog, scan a whole partial due index
                // per row; COALESCE implies nothing. Whether a locked row is still due is checked
                // on the version the lock returns, so one another dispatcher claimed meanwhile is
                // left alone.
                let sql = format!(
                    "WITH pick AS MATERIALIZED ({pick}), \
                     due AS MATERIALIZED (SELECT d.seq FROM pick CROSS JOIN LATERAL \
                     (SELECT seq, COALESCE(next_attempt_at, 9223372036854775807) AS due_at FROM deliveries \
                     WHERE deliveries.seq = pick.seq FOR UPDATE SKIP LOCKED) AS d WHERE d.due_at <= $1), \
                     claimed AS (UPDATE deliveries SET next_attempt_at = $2 FROM due \
                     WHERE deliveries.seq = due.seq RETURNING deliveries.seq, deliveries.event_id, \
                     deliveries.endpoint_id, deliveries.attempts, deliveries.created_at) {}",
                    read("claimed d", "")
                );
                let mut q = sqlx::query::<Any>(&sql)
                    .bind(now.as_micros())
                    .bind(lease_until.as_micros());
                for (id, _) in &lanes {
                    q = q.bind(id.clone());
                }
                q.fetch_all(&self.write).await?
            }
            Dialect::Sqlite => {
                // No UPDATE inside WITH on SQLite: lease, then read, in one transaction (its
                // single writer makes the pair atomic).
                let mut tx = self.begin().await?;
                let sql = format!(
                    "UPDATE deliveries SET next_attempt_at = $2 WHERE seq IN ({pick}) RETURNING seq"
                );
                let mut q = sqlx::query_scalar::<Any, i64>(&sql)
                    .bind(now.as_micros())
                    .bind(lease_until.as_micros());
                for (id, _) in &lanes {
                    q = q.bind(id.clone());
                }
                let seqs: Vec<i64> = q.fetch_all(&mut **tx.tx()).await?;
                if seqs.is_empty() {
                    tx.rollback().await?;
                    return Ok(Vec::new());
                }
                let list: Vec<String> = seqs.iter().map(|_| self.dialect.param(0)).collect();
                let sql = read(
                    "deliveries d",
                    &format!(" WHERE d.seq IN ({})", list.join(", ")),
                );
                let mut q = sqlx::query::<Any>(&sql);
                for s in &seqs {
                    q = q.bind(*s);
                }
                let rows = q.fetch_all(&mut **tx.tx()).await?;
                tx.commit().await?;
                rows
            }
        };
        rows.iter()
            .map(|r| {
                let mode: String = r.try_get("ev_mode")?;
                Ok(DueDelivery {
                    seq: r.try_get("d_seq")?,
                    attempts: r.try_get("d_attempts")?,
                    created_at: Timestamp::from_micros(r.try_get("d_created_at")?),
                    event: EventRecord {
                        id: r.try_get("ev_id")?,
                        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
                        event_type: r.try_get("ev_type")?,
                        object_id: r.try_get("ev_object_id")?,
                        object_seq: r.try_get("ev_object_seq")?,
                        payload: r.try_get("ev_payload")?,
                        created_at: Timestamp::from_micros(r.try_get("ev_created_at")?),
                        acked_at: r
                            .try_get::<Option<i64>, _>("ev_acked_at")?
                            .map(Timestamp::from_micros),
                    },
                    endpoint: endpoint_from_row(r)?,
                })
            })
            .collect()
    }

    /// Makes deliveries this process leased but will not send due now, for any dispatcher (on
    /// shutdown, or after they waited too long in its queue). Each is given as `(seq, lease
    /// end)` and released only if that lease still stands: one that ran out may be another
    /// process's by now.
    pub async fn release_deliveries(
        &self,
        leased: &[(i64, Timestamp)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        for chunk in leased.chunks(MAX_PARAMS / 2 - 1) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "(CAST({} AS BIGINT), CAST({} AS BIGINT))",
                        self.dialect.param(i * 2 + 2),
                        self.dialect.param(i * 2 + 3)
                    )
                })
                .collect();
            let sql = format!(
                "UPDATE deliveries SET next_attempt_at = {} FROM (VALUES {}) AS v \
                 WHERE deliveries.seq = v.column1 AND deliveries.next_attempt_at = v.column2 \
                 AND deliveries.status = 'pending'",
                self.dialect.param(1),
                rows.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql).bind(now.as_micros());
            for (seq, until) in chunk {
                q = q.bind(*seq).bind(until.as_micros());
            }
            q.execute(&self.write).await?;
        }
        Ok(())
    }

    /// Records attempts and moves each delivery on, in one transaction.
    pub async fn record_attempts(&self, results: &[AttemptResult]) -> Result<(), StoreError> {
        if results.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let rows = results
            .iter()
            .map(|a| {
                vec![
                    Value::Int(a.delivery_seq),
                    Value::Text(a.event_id.clone()),
                    Value::Text(a.endpoint_id.clone()),
                    Value::Int(a.at.as_micros()),
                    Value::OptInt(a.status_code.map(i64::from)),
                    Value::Int(a.latency_ms),
                    Value::OptText(a.error.clone()),
                    Value::OptText(a.response_excerpt.clone()),
                ]
            })
            .collect();
        insert_rows(
            self.dialect,
            tx.tx(),
            "delivery_attempts",
            &[
                "delivery_seq",
                "event_id",
                "endpoint_id",
                "at",
                "status_code",
                "latency_ms",
                "error",
                "response_excerpt",
            ],
            rows,
            "",
        )
        .await?;
        // One statement moves every delivery on; one per endpoint updates its failure streak.
        let mut sql = String::from(
            "UPDATE deliveries SET status = v.column2, attempts = attempts + 1, \
             next_attempt_at = v.column3, delivered_at = COALESCE(v.column4, delivered_at) FROM (VALUES ",
        );
        let mut values = Vec::with_capacity(results.len() * 4);
        for (i, a) in results.iter().enumerate() {
            let (status, next, delivered) = match a.next {
                NextStep::Delivered => ("delivered", None, Some(a.at.as_micros())),
                NextStep::RetryAt(t) => ("pending", Some(t.as_micros()), None),
                NextStep::GiveUp => ("failed", None, None),
            };
            let ph = |k: usize| self.dialect.param(i * 4 + k);
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(CAST({} AS BIGINT), {}, CAST({} AS BIGINT), CAST({} AS BIGINT))",
                ph(1),
                ph(2),
                ph(3),
                ph(4)
            ));
            values.extend([
                Value::Int(a.delivery_seq),
                Value::Text(status.to_owned()),
                Value::OptInt(next),
                Value::OptInt(delivered),
            ]);
        }
        sql.push_str(") AS v WHERE deliveries.seq = v.column1");
        let mut q = sqlx::query::<Any>(&sql);
        for v in values {
            q = crate::sql::bind(q, v);
        }
        q.execute(&mut **tx.tx()).await?;
        // Deliveries that stand for an acknowledgement take their event off the queue, in the same
        // transaction as the attempt that delivered it.
        let acked: Vec<&AttemptResult> = results
            .iter()
            .filter(|a| a.acks_event && a.next == NextStep::Delivered)
            .collect();
        if !acked.is_empty() {
            let list: Vec<String> = (0..acked.len())
                .map(|i| self.dialect.param(i + 2))
                .collect();
            let sql = format!(
                "UPDATE events SET acked_at = {} WHERE acked_at IS NULL AND id IN ({})",
                self.dialect.param(1),
                list.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql).bind(acked[0].at.as_micros());
            for a in &acked {
                q = q.bind(a.event_id.clone());
            }
            q.execute(&mut **tx.tx()).await?;
        }
        // Per endpoint: the last outcome of the batch decides its failure streak.
        let mut last: std::collections::BTreeMap<&str, &AttemptResult> =
            std::collections::BTreeMap::new();
        for a in results {
            last.insert(a.endpoint_id.as_str(), a);
        }
        for (endpoint, a) in last {
            match a.next {
                NextStep::Delivered => {
                    sqlx::query::<Any>("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
                        .bind(endpoint)
                        .execute(&mut **tx.tx())
                        .await?;
                }
                NextStep::RetryAt(_) | NextStep::GiveUp => {
                    sqlx::query::<Any>("UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1")
                        .bind(endpoint)
                        .bind(a.at.as_micros())
                        .execute(&mut **tx.tx())
                        .await?;
                }
            }
        }
        tx.commit().await
    }

    /// Every attempt to deliver one of a merchant's events, oldest first.
    pub async fn attempts_for_event(
        &self,
        merchant_id: &str,
        mode: Mode,
        event_id: &str,
    ) -> Result<Option<Vec<AttemptRecord>>, StoreError> {
        if self
            .cursor_seq("events", merchant_id, mode, event_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let rows = sqlx::query::<Any>(
            "SELECT endpoint_id, at, status_code, latency_ms, error, response_excerpt FROM delivery_attempts \
             WHERE event_id = $1 ORDER BY seq",
        )
        .bind(event_id)
        .fetch_all(&self.write)
        .await?;
        let out = rows
            .iter()
            .map(|r| {
                let code: Option<i64> = r.try_get("status_code")?;
                Ok(AttemptRecord {
                    endpoint_id: r.try_get("endpoint_id")?,
                    at: Timestamp::from_micros(r.try_get("at")?),
                    status_code: code.and_then(|c| u16::try_from(c).ok()),
                    latency_ms: r.try_get("latency_ms")?,
                    error: r.try_get("error")?,
                    response_excerpt: r.try_get("response_excerpt")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(out))
    }

    /// Makes an event due for delivery again now, to every enabled endpoint subscribed to it
    /// (creating deliveries for endpoints added since). Returns how many deliveries are due.
    pub async fn resend_event(&self, event_id: &str, now: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query::<Any>(
            "SELECT merchant_id, mode, type, object_id FROM events WHERE id = $1",
        )
        .bind(event_id)
        .fetch_optional(&mut **tx.tx())
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(0);
        };
        let (merchant_id, mode, event_type, object_id): (String, String, String, String) = (
            row.try_get("merchant_id")?,
            row.try_get("mode")?,
            row.try_get("type")?,
            row.try_get("object_id")?,
        );
        let mode = Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?;
        tx.fan_out(
            &[Published {
                id: event_id,
                merchant_id: &merchant_id,
                mode,
                event_type: &event_type,
                object_id: &object_id,
                due: now,
                created_at: now,
            }],
            false,
        )
        .await?;
        let n = sqlx::query::<Any>(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $2 WHERE event_id = $1 \
             AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE status = 'enabled')",
        )
        .bind(event_id)
        .bind(now.as_micros())
        .execute(&mut **tx.tx())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}
