//! The outbox: events appended in the same transaction as the change they describe.

use crate::error::StoreError;
use crate::tx::{insert_rows, StoreTx, Value};
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
    /// Appends events to the outbox.
    pub async fn insert_events(&mut self, events: Vec<NewEvent>) -> Result<(), StoreError> {
        let rows = events
            .into_iter()
            .map(|e| {
                vec![
                    Value::Text(e.id),
                    Value::Text(e.merchant_id),
                    Value::Text(e.mode.as_str().to_owned()),
                    Value::Text(e.event_type),
                    Value::Text(e.object_id),
                    Value::Int(e.object_seq),
                    Value::Text(e.payload),
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
        .await
    }
}
