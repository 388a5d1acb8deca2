//! The reconciliation report: a day's ingested payments by outcome, and earlier reports.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::MAX_PARAMS;
use crate::tx::StoreTx;
use kumbu_core::{Currency, ExternalStatus, MatchOutcome, Mode, Resolution, Timestamp};
use sqlx::{Any, Row};

/// One line of a reconciliation report: a source's payments of one outcome and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// Who reported them.
    pub source: String,
    /// What reconciliation decided.
    pub outcome: MatchOutcome,
    /// What the source said.
    pub status: ExternalStatus,
    /// How many were decided by a person, and how (`None`: no decision yet or not needed).
    pub resolution: Option<Resolution>,
    /// Their currency.
    pub currency: Currency,
    /// How many.
    pub count: i64,
    /// Their total, minor units.
    pub total: i64,
}

/// What a batch of reports needs to know of earlier reports with the same references: the
/// same money reported under another id or by another source is a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierReport {
    /// `ing_…`
    pub id: String,
    /// Its source.
    pub source: String,
    /// Its id at the source.
    pub external_id: String,
    /// The reference paid.
    pub reference_number: String,
    /// Minor units.
    pub amount: i64,
    /// When processed.
    pub processed_at: Timestamp,
}

impl StoreTx {
    /// The reports, not failed, already ingested with one of these references.
    pub async fn earlier_reports(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        references: &[String],
    ) -> Result<Vec<EarlierReport>, StoreError> {
        let mut out = Vec::new();
        for chunk in references.chunks(MAX_PARAMS - 2) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 3 + i)).collect();
            let sql = format!(
                "SELECT id, source, external_id, reference_number, amount, processed_at \
                 FROM ingested_payments WHERE merchant_id = $1 AND mode = $2 \
                 AND status <> 'failed' AND reference_number IN ({}) ORDER BY seq",
                list.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql)
                .bind(merchant_id)
                .bind(mode.as_str());
            for r in chunk {
                q = q.bind(r.clone());
            }
            for row in q.fetch_all(&mut **self.tx()).await? {
                out.push(EarlierReport {
                    id: row.try_get("id")?,
                    source: row.try_get("source")?,
                    external_id: row.try_get("external_id")?,
                    reference_number: row.try_get("reference_number")?,
                    amount: row.try_get("amount")?,
                    processed_at: Timestamp::from_micros(row.try_get("processed_at")?),
                });
            }
        }
        Ok(out)
    }
}

impl Store {
    /// Counts and totals of the payments the sources processed in `[from, to)`, by source,
    /// outcome, status, decision and currency.
    pub async fn reconciliation_report(
        &self,
        merchant_id: &str,
        mode: Mode,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT source, outcome, status, resolution, currency, COUNT(*) AS n, \
             CAST(SUM(amount) AS BIGINT) AS total FROM ingested_payments \
             WHERE merchant_id = $1 AND mode = $2 AND processed_at >= $3 AND processed_at < $4 \
             GROUP BY source, outcome, status, resolution, currency \
             ORDER BY source, outcome, status, resolution, currency",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(from.as_micros())
        .bind(to.as_micros())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.try_get("outcome")?;
                let status: String = r.try_get("status")?;
                let resolution: Option<String> = r.try_get("resolution")?;
                let currency: String = r.try_get("currency")?;
                Ok(ReportRow {
                    source: r.try_get("source")?,
                    outcome: MatchOutcome::parse(&outcome)
                        .ok_or_else(|| corrupt("outcome", &outcome))?,
                    status: ExternalStatus::parse(&status)
                        .ok_or_else(|| corrupt("status", &status))?,
                    resolution: match resolution {
                        Some(x) => {
                            Some(Resolution::parse(&x).ok_or_else(|| corrupt("resolution", &x))?)
                        }
                        None => None,
                    },
                    currency: Currency::parse(&currency)
                        .map_err(|_| corrupt("currency", &currency))?,
                    count: r.try_get("n")?,
                    total: r.try_get("total")?,
                })
            })
            .collect()
    }
}
