//! `/v1/reconciliation_report`: a day's ingested payments by outcome and their ledger effect.

use super::unknown;
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::Auth;
use crate::query::query_pairs;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::Json;
use kumbu_core::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

/// One line of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportLineView {
    /// Who reported them.
    pub source: String,
    /// matched, unmatched, duplicate or amount_mismatch.
    pub outcome: String,
    /// pending, completed or failed.
    pub status: String,
    /// A person's decision (matched, return), if any.
    pub resolution: Option<String>,
    /// ISO 4217.
    pub currency: String,
    /// How many.
    pub count: i64,
    /// Their total, minor units.
    pub total: i64,
}

/// What the day's ingested payments credited to you, in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEffectView {
    /// ISO 4217.
    pub currency: String,
    /// Minor units credited to `merchant_reported` (money the bank holds, reported to Kumbu).
    pub credited: i64,
}

/// A day's reconciliation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Always `reconciliation_report`.
    pub object: &'static str,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The source, when one was asked for.
    pub source: Option<String>,
    /// Counts and totals by source, outcome, status and decision.
    pub lines: Vec<ReportLineView>,
    /// Read from the ledger.
    pub ledger_effect: Vec<LedgerEffectView>,
}

/// The reconciliation report of one day (UTC), optionally of one source.
#[utoipa::path(get, path = "/v1/reconciliation_report", tag = "collections",
    params(("date" = crate::openapi::vocab::Day, Query, description = "The day (UTC)"),
           ("source" = Option<String>, Query, description = "only this source")),
    responses((status = 200, body = ReportView), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn reconciliation_report(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<ReportView>, NativeError> {
    let (mut date, mut source) = (None, None);
    for (k, v) in query_pairs(query.as_deref())? {
        match k.as_str() {
            "date" => date = Some(v),
            "source" => source = Some(v),
            _ => return Err(unknown(&k)),
        }
    }
    let date = date.ok_or_else(|| {
        NativeError::new(
            ErrorCode::ParameterMissing,
            "date is required (YYYY-MM-DD)",
            Some("date"),
        )
    })?;
    let r = state
        .engine
        .reconciliation_report(&auth, &date, source.as_deref())
        .await?;
    Ok(Json(ReportView {
        object: "reconciliation_report",
        date: r.date,
        source: r.source,
        lines: r
            .lines
            .into_iter()
            .map(|l| ReportLineView {
                source: l.source,
                outcome: l.outcome.as_str().to_owned(),
                status: l.status.as_str().to_owned(),
                resolution: l.resolution.map(|x| x.as_str().to_owned()),
                currency: l.currency.code().to_owned(),
                count: l.count,
                total: l.total,
            })
            .collect(),
        ledger_effect: r
            .ledger_effect
            .into_iter()
            .map(|(c, credited)| LedgerEffectView {
                currency: c.code().to_owned(),
                credited,
            })
            .collect(),
    }))
}
