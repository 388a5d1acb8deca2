//! The reconciliation report: per day and source, counts and totals by outcome, and what the
//! day's ingested payments posted to the ledger.

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::{Currency, ErrorCode, Field, Timestamp};
use std::time::Duration;

/// One line: the payments of one source with one outcome, status and decision (the store's
/// aggregate, as it is).
pub use kumbu_store::ReportRow as ReportLine;

/// A day's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The day (UTC), `YYYY-MM-DD`.
    pub date: String,
    /// Only this source, when asked.
    pub source: Option<String>,
    /// The lines, by source, outcome, status and decision.
    pub lines: Vec<ReportLine>,
    /// What the day's ingested payments reported for the merchant (their payment records'
    /// postings to `merchant_reported`: money the bank holds), per currency, in minor units.
    pub ledger_effect: Vec<(Currency, i64)>,
}

impl Engine {
    /// The report of the payments sources processed on `date` (`YYYY-MM-DD`, UTC).
    pub async fn reconciliation_report(
        &self,
        auth: &AuthContext,
        date: &str,
        source: Option<&str>,
    ) -> Result<Report, EngineError> {
        let from = (date.len() == 10)
            .then(|| Timestamp::parse_rfc3339(&format!("{date}T00:00:00Z")))
            .flatten()
            .ok_or_else(|| {
                EngineError::field(
                    ErrorCode::ParameterInvalid,
                    Field::Date,
                    "date must be a day as YYYY-MM-DD",
                )
            })?;
        let to = from.plus(Duration::from_secs(86_400));
        let store = self.store();
        let lines = store
            .reconciliation_report(&auth.merchant_id, auth.mode, from, to)
            .await?
            .into_iter()
            .filter(|r| source.is_none_or(|s| s == r.source))
            .collect();
        let ledger_effect = store
            .ingest_ledger_effect(&auth.merchant_id, auth.mode, from, to, source)
            .await?;
        Ok(Report {
            date: date.to_owned(),
            source: source.map(str::to_owned),
            lines,
            ledger_effect,
        })
    }
}
