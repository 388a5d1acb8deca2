//! Collections in the store: collection requests (bills, `requests.rs`), ingested payments with
//! their reconciliation outcome (`ingests.rs`), the merchant's SIMO entity and ERV counters
//! (`erv.rs`), imported bank files (`files.rs`) and the daily report (`report.rs`); here, what they
//! share.

mod erv;
mod files;
mod ingests;
mod report;
mod requests;

pub use files::ImportedFile;
pub use ingests::IngestFilter;
pub use report::{EarlierReport, ReportRow};
pub use requests::RequestFilter;

use crate::error::StoreError;
use crate::sql::{Value, MAX_PARAMS};
use crate::tx::StoreTx;
use kumbu_core::Mode;
use sqlx::{Any, Row};

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

impl StoreTx {
    /// The last event sequence number of each of these objects (absent: none yet).
    pub async fn last_object_seqs(
        &mut self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(MAX_PARAMS) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 1 + i)).collect();
            let sql = format!(
                "SELECT object_id, CAST(MAX(object_seq) AS BIGINT) AS seq FROM events \
                 WHERE object_id IN ({}) GROUP BY object_id",
                list.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&mut **self.tx()).await? {
                out.insert(row.try_get("object_id")?, row.try_get("seq")?);
            }
        }
        Ok(out)
    }
}

fn owner(merchant_id: &str, mode: Mode, third: &str) -> Vec<Value> {
    vec![
        Value::Text(merchant_id.to_owned()),
        Value::Text(mode.as_str().to_owned()),
        Value::Text(third.to_owned()),
    ]
}
