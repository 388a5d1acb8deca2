//! Query strings as every API reads them: pairs (or a 400), the native cursor parameters, and
//! phones, whose `+` often arrives decoded as a space.

use crate::error::{invalid, NativeError};
use kumbu_core::{ErrorCode, Msisdn};

/// `limit` and `starting_after`, the cursor parameters every native list takes.
#[derive(Debug)]
pub(crate) struct Paging {
    pub limit: u32,
    pub starting_after: Option<String>,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            limit: 20,
            starting_after: None,
        }
    }
}

impl Paging {
    /// Takes `k=v` if it is a paging parameter; `Ok(false)` if it is not one.
    pub(crate) fn take(&mut self, k: &str, v: &str) -> Result<bool, NativeError> {
        match k {
            "limit" => {
                self.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| {
                        invalid(
                            ErrorCode::ParameterInvalid,
                            "limit",
                            "limit must be an integer from 1 to 100",
                        )
                    })?;
                Ok(true)
            }
            "starting_after" => {
                self.starting_after = Some(v.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Decodes a query string into pairs, or answers 400.
pub(crate) fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, NativeError> {
    serde_urlencoded::from_str(query.unwrap_or("")).map_err(|_| {
        NativeError::new(
            ErrorCode::ParameterInvalid,
            "The query string is malformed.",
            None,
        )
    })
}

/// Normalises a phone from a query string, where `+` often arrives decoded as a space (every
/// face filters by phone this way).
pub(crate) fn normalize_query_phone(v: &str) -> Result<String, kumbu_core::PhoneError> {
    let t = v.trim();
    let t = if t.starts_with('+') {
        t.to_owned()
    } else {
        format!("+{t}")
    };
    Msisdn::parse(&t).map(|m| m.to_string())
}

/// [`normalize_query_phone`] with the native error.
pub(crate) fn query_phone(v: &str) -> Result<String, NativeError> {
    normalize_query_phone(v).map_err(|e| invalid(ErrorCode::PhoneInvalid, "phone", e.to_string()))
}
