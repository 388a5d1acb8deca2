//! Collections in the native API: `/v1/collection_requests` (`requests.rs`), `/v1/payment_records`
//! (`records.rs`), `/v1/ingested_payments` with the exception queue (`ingests.rs`) and
//! `/v1/reconciliation_report` (`report.rs`); here, the body readers they share. Amounts are
//! integers of minor units, as everywhere in the native API.

mod ingests;
mod records;
mod report;
mod requests;

pub use ingests::*;
pub use records::*;
pub use report::*;
pub use requests::*;

use crate::error::NativeError;
use kumbu_core::{Currency, ErrorCode, Timestamp};

fn invalid(param: &str, msg: impl Into<String>) -> NativeError {
    NativeError::new(ErrorCode::ParameterInvalid, msg, Some(param))
}

fn unknown(k: &str) -> NativeError {
    NativeError::new(
        ErrorCode::ParameterUnknown,
        format!("`{k}` is not a known parameter"),
        Some(k),
    )
}

fn currency(code: &str) -> Result<Currency, NativeError> {
    Currency::parse(code).map_err(|e| {
        NativeError::new(
            ErrorCode::CurrencyNotSupported,
            e.to_string(),
            Some("currency"),
        )
    })
}

fn timestamp(param: &str, v: &str) -> Result<Timestamp, NativeError> {
    Timestamp::parse_rfc3339(v.trim())
        .ok_or_else(|| invalid(param, format!("{param} must be an RFC 3339 timestamp")))
}
