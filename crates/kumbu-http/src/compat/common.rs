//! Translation pieces every face shares: id prefixes, amount strings, timestamps, cursor paging
//! and metadata values. Written once here; faces only choose their names.

use kumbu_core::{Currency, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;

/// Shows a Kumbu id under a face's prefix: `pay_X` → `pi_X`.
pub fn face_id(id: &str, kumbu_prefix: &str, face_prefix: &str) -> String {
    match id.strip_prefix(kumbu_prefix) {
        Some(rest) => format!("{face_prefix}{rest}"),
        None => id.to_owned(),
    }
}

/// Reads a face's id back: `pi_X` → `pay_X` (a Kumbu id is accepted as it is).
pub fn kumbu_id(id: &str, face_prefix: &str, kumbu_prefix: &str) -> String {
    match id.strip_prefix(face_prefix) {
        Some(rest) => format!("{kumbu_prefix}{rest}"),
        None => id.to_owned(),
    }
}

/// Minor units as a decimal string of minor units (`10000` → `"10000"`), as faces that send
/// amounts as strings expect.
pub fn minor_units(amount: i64) -> String {
    amount.to_string()
}

/// Minor units as a major-unit decimal string with the currency's places (`970184` AOA →
/// `"9701.84"`).
pub fn decimal(currency: Currency, amount: i64) -> String {
    currency.format_decimal(amount)
}

/// ISO 8601 in UTC to the second: `2026-11-22T10:41:36Z`.
pub fn iso_seconds(t: Timestamp) -> String {
    let full = t.to_rfc3339();
    match full.split_once('.') {
        Some((head, _)) => format!("{head}Z"),
        None => full,
    }
}

/// A list request's cursor parameters, and the query pairs that are not paging.
#[derive(Debug)]
pub struct Paging {
    /// How many to return.
    pub limit: u32,
    /// The last id of the previous page.
    pub starting_after: Option<String>,
    /// The other parameters (filters), for the face to read.
    pub rest: Vec<(String, String)>,
}

/// Cursor paging parameters: `limit` (within `1..=max`, `default` when absent) and
/// `starting_after`. Returns the other pairs untouched; an error is (parameter, message).
pub fn paging(
    pairs: Vec<(String, String)>,
    default: u32,
    max: u32,
) -> Result<Paging, (String, String)> {
    let mut limit = default;
    let mut after = None;
    let mut rest = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => {
                limit = v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        (
                            "limit".to_owned(),
                            format!("limit must be an integer from 1 to {max}"),
                        )
                    })?;
            }
            "starting_after" => after = Some(v),
            _ => rest.push((k, v)),
        }
    }
    Ok(Paging {
        limit,
        starting_after: after,
        rest,
    })
}

/// Metadata as faces send it: an object whose values are strings, numbers or booleans (kept as
/// their text). Nested values are refused, naming the key.
pub fn metadata(value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    let Some(v) = value else {
        return Ok(BTreeMap::new());
    };
    let obj = match v {
        Value::Object(m) => m,
        Value::Null => return Ok(BTreeMap::new()),
        Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Array(_) => {
            return Err("metadata must be an object of keys and values".to_owned())
        }
    };
    obj.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(n) => Ok((k.clone(), n.to_string())),
            Value::Bool(b) => Ok((k.clone(), b.to_string())),
            Value::Null | Value::Array(_) | Value::Object(_) => Err(format!(
                "metadata values must be strings, numbers or booleans; `{k}` is not"
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_round_trip() {
        let f = face_id("pay_abc", "pay_", "pi_");
        assert_eq!(f, "pi_abc");
        assert_eq!(kumbu_id(&f, "pi_", "pay_"), "pay_abc");
        assert_eq!(kumbu_id("pay_abc", "pi_", "pay_"), "pay_abc");
    }

    #[test]
    fn paging_and_metadata() {
        let pairs = vec![("limit".into(), "5".into()), ("status".into(), "x".into())];
        let p = paging(pairs, 20, 100).unwrap();
        assert_eq!((p.limit, p.starting_after, p.rest.len()), (5, None, 1));
        assert!(paging(vec![("limit".into(), "0".into())], 20, 100).is_err());
        let m = metadata(Some(&json!({"a": "x", "b": 2, "c": true}))).unwrap();
        assert_eq!(m["b"], "2");
        assert!(metadata(Some(&json!({"a": {"b": 1}}))).is_err());
        assert_eq!(
            iso_seconds(Timestamp::from_micros(1_000_123)),
            "1970-01-01T00:00:01Z"
        );
    }
}
