//! What ProxyPay's callers send: bodies as real clients send them (JSON, `{}` or nothing, or a
//! form with bracket keys) read into [`Fields`], and their conversion into the engine's commands,
//! failing with a 400 naming ProxyPay's field.

use super::error::PpError;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use kumbu_engine::PutReference;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const MAX_BODY_BYTES: usize = 64 * 1024;

/// A body as a JSON object: parsed JSON, a decoded form, or empty (`{}`).
#[derive(Debug)]
pub struct Fields(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = PpError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, PpError> {
        let form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| PpError::invalid("body", "the body must be at most 64 KiB"))?;
        // No body (white space only is no JSON text: refused below, as everywhere).
        if bytes.is_empty() {
            return Ok(Fields(Map::new()));
        }
        let looks_json = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{' || *b == b'[');
        if form && !looks_json {
            return Ok(Fields(parse_form(&bytes)));
        }
        json_object(&bytes).map(Fields)
    }
}

/// A JSON body as an object (`null` as an empty one), its numbers as sent (see
/// [`exact_numbers`]).
fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, PpError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(mut m)) => {
            exact_numbers(&mut m, bytes);
            Ok(m)
        }
        // A client's encoding of "no body" (`json_encode(null)`, `JSON.stringify(null)`).
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(PpError::invalid("body", "the body must be a JSON object")),
        Err(e) => Err(PpError::invalid(
            "body",
            format!("invalid JSON ({e}); note that numbers may not have leading zeros (RFC 4627)"),
        )),
    }
}

/// serde_json reads a number as a double, which may not be the number sent (`99999999.99000001`
/// reads as `99999999.99`, `100.10` as `100.1`): a top-level number its double does not write
/// back as sent keeps the text sent, so an amount is judged on what the client wrote, never on
/// a float.
fn exact_numbers(fields: &mut Map<String, Value>, bytes: &[u8]) {
    let Ok(raw) = serde_json::from_slice::<
        std::collections::HashMap<String, &serde_json::value::RawValue>,
    >(bytes) else {
        return;
    };
    for (k, v) in fields.iter_mut() {
        if let (Value::Number(n), Some(sent)) = (&*v, raw.get(k)) {
            let text = sent.get().trim();
            if n.to_string() != text {
                *v = Value::String(text.to_owned());
            }
        }
    }
}

/// Decodes `a=1&custom_fields[k]=v&product_ids[]=x` into `{"a": "1", "custom_fields": {"k": "v"},
/// "product_ids": ["x"]}` (PHP and Rails bracket notation).
pub fn parse_form(bytes: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in form_urlencoded::parse(bytes) {
        let v = Value::String(v.into_owned());
        match k.split_once('[') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix(']').unwrap_or(rest);
                let slot = out.entry(name.to_owned());
                if inner.is_empty() {
                    let list = slot.or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = list {
                        a.push(v);
                    }
                } else {
                    let map = slot.or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(m) = map {
                        m.insert(inner.to_owned(), v);
                    }
                }
            }
            None => {
                out.insert(k.into_owned(), v);
            }
        }
    }
    out
}

/// An amount as clients send it: a JSON number (`1780.78`, `100`) or a string (`"1500.5"`).
pub fn amount(fields: &Map<String, Value>, name: &str) -> Result<Option<i64>, PpError> {
    let text = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(PpError::invalid(
                name,
                "amount must be a decimal number or string",
            ))
        }
    };
    kumbu_core::Currency::Aoa
        .parse_number(&text)
        .map(Some)
        .map_err(|_| {
            PpError::invalid(
                name,
                format!("amount must be between 0.01 and 99999999.99 with at most 2 decimals, not {text:?}"),
            )
        })
}

/// A reference id from a body: a JSON integer or a string of digits (leading zeros allowed).
pub fn reference_id(fields: &Map<String, Value>, name: &str) -> Result<u64, PpError> {
    let text = match fields.get(name) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        None | Some(Value::Null) => {
            return Err(PpError::invalid(name, format!("{name} is required")))
        }
        Some(_) => return Err(PpError::invalid(name, format!("{name} must be an integer"))),
    };
    kumbu_core::reference::parse_reference_id(&text).map_err(|r| PpError::invalid(name, r.message))
}

impl Fields {
    /// `PUT /references/{id}`'s fields: an amount, an end (a date or date-time string), and
    /// custom fields of string values (PHP's `[]` is none).
    pub(super) fn reference(self, id: u64) -> Result<PutReference, PpError> {
        let end_datetime = match self.0.get("end_datetime") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(PpError::invalid(
                    "end_datetime",
                    "end_datetime must be an ISO 8601 date or date-time string",
                ))
            }
        };
        let custom_fields = match self.0.get("custom_fields") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    Value::Null
                    | Value::Bool(_)
                    | Value::Number(_)
                    | Value::Array(_)
                    | Value::Object(_) => Err(PpError::invalid(
                        "custom_fields",
                        format!("custom_fields values must be strings; `{k}` is not"),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Array(a)) if a.is_empty() => BTreeMap::new(), // PHP's json_encode([])
            Some(_) => {
                return Err(PpError::invalid(
                    "custom_fields",
                    "custom_fields must be an object of string keys and values",
                ))
            }
        };
        Ok(PutReference {
            id,
            amount: amount(&self.0, "amount")?,
            end_datetime,
            custom_fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_forms_decode() {
        let m = parse_form(
            b"amount=1200&end_datetime=2026-11-25&custom_fields%5Border%5D=X1&custom_fields%5Buuid%5D=u-1&product_ids%5B%5D=3",
        );
        assert_eq!(m["amount"], "1200");
        assert_eq!(m["custom_fields"]["order"], "X1");
        assert_eq!(m["custom_fields"]["uuid"], "u-1");
        assert_eq!(m["product_ids"][0], "3");
    }

    #[test]
    fn amounts_as_numbers_or_strings() {
        let m: Map<String, Value> = serde_json::from_str(
            r#"{"a": 1780.78, "b": 100, "c": "1500.5", "d": "1.234", "e": true}"#,
        )
        .unwrap();
        assert_eq!(amount(&m, "a").unwrap(), Some(178_078));
        assert_eq!(amount(&m, "b").unwrap(), Some(10_000));
        assert_eq!(amount(&m, "c").unwrap(), Some(150_050));
        assert!(amount(&m, "d").is_err());
        assert!(amount(&m, "e").is_err());
        assert_eq!(amount(&m, "missing").unwrap(), None);
    }

    #[test]
    fn white_space_is_no_json() {
        for bad in [&b"\r"[..], b"\n", b" ", b"\x0c"] {
            assert!(json_object(bad).is_err(), "{bad:?}");
        }
        assert!(json_object(b" null\n").unwrap().is_empty());
    }

    #[test]
    fn amounts_are_read_as_sent_never_through_a_double() {
        let m = json_object(
            br#"{"a": 99999999.99000001, "b": 100.10, "c": 1e3, "d": 1.000000000000000001, "e": 1780.78}"#,
        )
        .unwrap();
        assert!(amount(&m, "a").is_err(), "{m:?}");
        assert_eq!(amount(&m, "b").unwrap(), Some(10_010));
        assert_eq!(amount(&m, "c").unwrap(), Some(100_000));
        assert!(amount(&m, "d").is_err(), "{m:?}");
        assert_eq!(amount(&m, "e").unwrap(), Some(178_078));
    }
}
