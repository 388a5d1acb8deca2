//! Deliveries: fan-out of new events to the endpoints that want them, claims under a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL), release, and resending an event.

use super::endpoints::{endpoint_from_row, ENDPOINT_COLUMNS};
use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::{corrupt, StoreError};
use crate::records::{DueDelivery, EventRecord, Published};
use crate::sql::MAX_PARAMS;
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::{Any, Row};

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

impl StoreTx {
    /// Creates a pending delivery for every enabled endpoint subscribed to each of these events
    /// (which this transaction has just written); a `webhook_endpoint.test` goes to its own
    /// endpoint (its object) alone, whatever that subscribes to. The events' own fields are sent along, so this
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
                 AND CASE WHEN ev.column4 = 'webhook_endpoint.test' THEN we.id = ev.column5 \
                 ELSE (we.events = '*' OR we.events LIKE ('%,' || replace(ev.column4, '_', '!_') || ',%') ESCAPE '!') END \
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
}

impl Store {
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
}

impl StoreTx {
    /// Makes an event due for delivery again now, to every enabled endpoint subscribed to it
    /// (creating deliveries for endpoints added since). Returns how many deliveries are due.
    pub async fn resend_event(
        &mut self,
        event_id: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let tx = self;
        let row = sqlx::query::<Any>(
            "SELECT merchant_id, mode, type, object_id FROM events WHERE id = $1",
        )
        .bind(event_id)
        .fetch_optional(&mut **tx.tx())
        .await?;
        let Some(row) = row else {
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
        Ok(n)
    }
}
