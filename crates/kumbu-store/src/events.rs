//! The outbox: events appended in the same transaction as the change they describe.

use crate::connect::Store;
use crate::error::StoreError;
use crate::records::{DueDelivery, EventRecord, Published};
use crate::sql::{bind, insert_rows, page, Value};
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `evt_…`
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// e.g. `payment.debited`.
    pub event_type: String,
    /// The object the event is about.
    pub object_id: String,
    /// 1, 2, 3… per object: the order of its changes.
    pub object_seq: i64,
    /// The object as it was after the change (JSON).
    pub payload: String,
    /// When.
    pub created_at: Timestamp,
}

impl StoreTx {
    /// Appends events to the outbox and creates their deliveries: one per enabled endpoint
    /// subscribed to each, due at the event's time.
    pub async fn publish_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let rows = events
            .iter()
            .map(|e| {
                vec![
                    Value::Text(e.id.clone()),
                    Value::Text(e.merchant_id.clone()),
                    Value::Text(e.mode.as_str().to_owned()),
                    Value::Text(e.event_type.clone()),
                    Value::Text(e.object_id.clone()),
                    Value::Int(e.object_seq),
                    Value::Text(e.payload.clone()),
                    Value::Int(e.created_at.as_micros()),
                ]
            })
            .collect();
        insert_rows(
            self.dialect,
            self.tx(),
            "events",
            &[
                "id",
                "merchant_id",
                "mode",
                "type",
                "object_id",
                "object_seq",
                "payload",
                "created_at",
            ],
            rows,
            "",
        )
        .await?;
        self.published = true;
        let lease = self.lease_new_deliveries;
        let subscribed: Vec<Published<'_>> = events
            .iter()
            .map(|e| Published {
                id: &e.id,
                merchant_id: &e.merchant_id,
                mode: e.mode,
                event_type: &e.event_type,
                object_id: &e.object_id,
                due: lease.unwrap_or(e.created_at),
                created_at: e.created_at,
            })
            .collect();
        let created = self.fan_out(&subscribed, lease.is_some()).await?;
        if created.is_empty() {
            return Ok(());
        }
        let endpoints = self
            .endpoints_by_id(created.iter().map(|c| c.endpoint_id.as_str()))
            .await?;
        let events_by_id: std::collections::HashMap<&str, &NewEvent> =
            events.iter().map(|e| (e.id.as_str(), e)).collect();
        for c in created {
            let (Some(event), Some(endpoint)) = (
                events_by_id.get(c.event_id.as_str()),
                endpoints.iter().find(|e| e.id == c.endpoint_id),
            ) else {
                return Err(StoreError::Corrupt(format!(
                    "delivery {} names an event or endpoint this transaction did not see",
                    c.seq
                )));
            };
            self.leased.push(DueDelivery {
                seq: c.seq,
                attempts: 0,
                created_at: event.created_at,
                event: EventRecord {
                    id: event.id.clone(),
                    mode: event.mode,
                    event_type: event.event_type.clone(),
                    object_id: event.object_id.clone(),
                    object_seq: event.object_seq,
                    payload: event.payload.clone(),
                    created_at: event.created_at,
                    acked_at: None,
                },
                endpoint: endpoint.clone(),
            });
        }
        Ok(())
    }
}

/// Filters for listing events.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events not yet acknowledged, oldest first (the pull queue); otherwise newest first.
    pub pending: bool,
    /// Only this type.
    pub event_type: Option<String>,
    /// Only events about this object.
    pub object_id: Option<String>,
    /// Only events about payments by bank reference (ProxyPay's queue).
    pub bank_payments: bool,
}

const EVENT_COLUMNS: &str =
    "seq, id, mode, type, object_id, object_seq, payload, created_at, acked_at";

fn event_from_row(row: &sqlx::any::AnyRow) -> Result<EventRecord, StoreError> {
    use sqlx::Row;
    let mode: String = row.try_get("mode")?;
    Ok(EventRecord {
        id: row.try_get("id")?,
        mode: Mode::parse(&mode).ok_or_else(|| crate::error::corrupt("mode", &mode))?,
        event_type: row.try_get("type")?,
        object_id: row.try_get("object_id")?,
        object_seq: row.try_get("object_seq")?,
        payload: row.try_get("payload")?,
        created_at: Timestamp::from_micros(row.try_get("created_at")?),
        acked_at: row
            .try_get::<Option<i64>, _>("acked_at")?
            .map(Timestamp::from_micros),
    })
}

impl Store {
    /// One event of a merchant in a mode.
    pub async fn event(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<EventRecord>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 AND merchant_id = $2 AND mode = $3"
        );
        let row = sqlx::query::<sqlx::Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(event_from_row).transpose()
    }

    /// A page of a merchant's events. Pending events come oldest first (a queue), others newest
    /// first; `starting_after` is the last id of the previous page. `None` if that id is not one
    /// of the merchant's events.
    pub async fn list_events(
        &self,
        merchant_id: &str,
        mode: Mode,
        filter: &EventFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<EventRecord>, bool)>, StoreError> {
        let mut sql =
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE merchant_id = $1 AND mode = $2");
        let mut binds: Vec<Value> = vec![
            Value::Text(merchant_id.to_owned()),
            Value::Text(mode.as_str().to_owned()),
        ];
        if filter.pending {
            sql.push_str(" AND acked_at IS NULL");
        }
        if let Some(t) = &filter.event_type {
            binds.push(Value::Text(t.clone()));
            sql.push_str(&format!(" AND type = ${}", binds.len()));
        }
        if let Some(o) = &filter.object_id {
            binds.push(Value::Text(o.clone()));
            sql.push_str(&format!(" AND object_id = ${}", binds.len()));
        }
        if filter.bank_payments {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM payments p WHERE p.id = events.object_id \
                 AND p.bank_payment_id IS NOT NULL)",
            );
        }
        if let Some(after) = starting_after {
            let Some(seq) = self.cursor_seq("events", merchant_id, mode, after).await? else {
                return Ok(None);
            };
            binds.push(Value::Int(seq));
            let cmp = if filter.pending { ">" } else { "<" };
            sql.push_str(&format!(" AND seq {cmp} ${}", binds.len()));
        }
        let order = if filter.pending { "ASC" } else { "DESC" };
        sql.push_str(&format!(
            " ORDER BY seq {order} LIMIT {}",
            u64::from(limit) + 1
        ));
        let mut q = sqlx::query::<sqlx::Any>(&sql);
        for b in binds {
            q = bind(q, b);
        }
        let rows = q.fetch_all(&self.read).await?;
        Ok(Some(page(&rows, limit, event_from_row)?))
    }

    /// Acknowledges an event (idempotent: the first acknowledgement time is kept). Returns the
    /// event, or `None` if it is not the merchant's.
    pub async fn ack_event(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<EventRecord>, StoreError> {
        sqlx::query::<sqlx::Any>(
            "UPDATE events SET acked_at = $4 WHERE id = $1 AND merchant_id = $2 AND mode = $3 AND acked_at IS NULL",
        )
        .bind(id)
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(now.as_micros())
        .execute(&self.write)
        .await?;
        // Read back on the write pool so the acknowledgement is seen at once on SQLite too.
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 AND merchant_id = $2 AND mode = $3"
        );
        let row = sqlx::query::<sqlx::Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&self.write)
            .await?;
        row.as_ref().map(event_from_row).transpose()
    }
}
