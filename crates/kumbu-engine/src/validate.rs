//! Checks every object's commands share: merchant metadata and plain text. A leaf: it names no
//! object.

use kumbu_core::{ErrorCode, Field, Rejection};
use std::collections::BTreeMap;

/// Most metadata keys a payment may carry.
pub const MAX_METADATA_KEYS: usize = 50;
/// Longest metadata key.
pub const MAX_METADATA_KEY_LEN: usize = 40;
/// Longest metadata value.
pub const MAX_METADATA_VALUE_LEN: usize = 500;

/// Checks merchant metadata: at most 50 keys of 1–40 characters, values of at most 500, plain
/// text (shared by payments and refunds).
pub(crate) fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<(), Rejection> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(Rejection::field(
            ErrorCode::ParameterInvalid,
            Field::Metadata,
            format!("metadata may have at most {MAX_METADATA_KEYS} keys"),
        ));
    }
    for (k, v) in metadata {
        if k.is_empty()
            || k.chars().count() > MAX_METADATA_KEY_LEN
            || v.chars().count() > MAX_METADATA_VALUE_LEN
        {
            return Err(Rejection::field(
                ErrorCode::ParameterInvalid,
                Field::Metadata,
                format!("metadata keys must be 1 to {MAX_METADATA_KEY_LEN} characters and values at most {MAX_METADATA_VALUE_LEN}"),
            ));
        }
        plain_text(Field::Metadata, k, "metadata keys")?;
        plain_text(Field::Metadata, v, "metadata values")?;
    }
    Ok(())
}

/// Refuses control characters (NUL among them, which PostgreSQL cannot store in text); tabs
/// and line breaks are allowed in free text.
pub(crate) fn plain_text(field: Field, value: &str, name: &str) -> Result<(), Rejection> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(Rejection::field(
            ErrorCode::ParameterInvalid,
            field,
            format!("{name} must not contain control characters"),
        ));
    }
    Ok(())
}
