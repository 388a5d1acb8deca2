//! Delivery attempts: recorded a pass at a time with what they mean for their delivery, and
//! read back per event.

use crate::connect::Store;
use crate::error::StoreError;
use crate::sql::{insert_rows, Value};
use kumbu_core::{Mode, Timestamp};
use sqlx::{Any, Row};

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

impl Store {
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
}
