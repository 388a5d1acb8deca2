//! Webhooks in the store: endpoints (`endpoints.rs`), deliveries — one per event and endpoint,
//! created by fan-out, claimed under a lease (`deliveries.rs`) — and delivery attempts
//! (`attempts.rs`).

mod attempts;
mod deliveries;
mod endpoints;

pub use attempts::{AttemptRecord, AttemptResult, NextStep};
pub use deliveries::ClaimCaps;

use crate::error::StoreError;
use crate::tx::StoreTx;
use sqlx::Any;

impl StoreTx {
    /// The next per-object sequence number for an object's events.
    pub async fn next_object_seq(&mut self, object_id: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT CAST(COALESCE(MAX(object_seq), 0) + 1 AS BIGINT) FROM events WHERE object_id = $1",
        )
        .bind(object_id)
        .fetch_one(&mut **self.tx())
        .await?)
    }
}
