//! Bank references (Multicaixa, Angola): a 9-digit number the payer keys in at an ATM, a POS or
//! in home banking, optionally for a fixed amount and until an end date.

use crate::clock::Timestamp;
use crate::error_code::ErrorCode;
use crate::mode::Mode;
use crate::rejection::{Field, Rejection};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest reference id (9 digits).
pub const MAX_REFERENCE_ID: u64 = crate::lfsr::MAX_ID;
/// Smallest and largest amount a reference may require: 0.01 to 99,999,999.99 AOA.
pub const AMOUNT_RANGE: (i64, i64) = (1, 9_999_999_999);
/// At most this many custom fields.
pub const MAX_CUSTOM_FIELDS: usize = 10;
/// Longest custom-field key and value, in characters.
pub const CUSTOM_FIELD_LIMITS: (usize, usize) = (100, 1000);
/// Angola's offset from UTC (WAT, GMT+1): a date-only end is valid until 23:59:59 here.
const ANGOLA_OFFSET_SECS: i64 = 3600;

/// A reference's stored status. `expired` is not stored: a reference is expired when its end has
/// passed (see [`Reference::status_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceStatus {
    /// Payable.
    Active,
    /// Paid at least once (still payable until its end, as Multicaixa allows).
    Paid,
    /// Past its end date (derived, never stored).
    Expired,
    /// Deleted by the merchant: no longer payable.
    Deleted,
}

impl ReferenceStatus {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReferenceStatus::Active => "active",
            ReferenceStatus::Paid => "paid",
            ReferenceStatus::Expired => "expired",
            ReferenceStatus::Deleted => "deleted",
        }
    }

    /// Parses a stored status.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ReferenceStatus::Active,
            ReferenceStatus::Paid,
            ReferenceStatus::Expired,
            ReferenceStatus::Deleted,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// A bank reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The 9-digit number (1 to 999,999,999; shown zero-padded to 9 digits).
    pub id: u64,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Required amount in AOA minor units; `None` accepts any amount.
    pub amount: Option<i64>,
    /// Last instant it can be paid; `None` never ends.
    pub end_at: Option<Timestamp>,
    /// Copied onto each payment.
    pub custom_fields: BTreeMap<String, String>,
    /// Stored status (`active`, `paid` or `deleted`).
    pub status: ReferenceStatus,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
    /// The API it was made through (its payments keep it).
    #[serde(skip)]
    pub face: Option<crate::Face>,
}

impl Reference {
    /// The status as of `now`: an active or paid reference past its end is `expired`.
    pub fn status_at(&self, now: Timestamp) -> ReferenceStatus {
        match self.status {
            ReferenceStatus::Deleted | ReferenceStatus::Expired => self.status,
            ReferenceStatus::Active | ReferenceStatus::Paid => match self.end_at {
                Some(end) if now > end => ReferenceStatus::Expired,
                Some(_) | None => self.status,
            },
        }
    }

    /// Checks that a payment of `amount` may be made now, as the Multicaixa network would.
    pub fn check_payable(&self, amount: i64, now: Timestamp) -> Result<(), Rejection> {
        let refuse = |why: &str| {
            Rejection::field(
                ErrorCode::ReferenceNotPayable,
                Field::ReferenceId,
                format!("reference {:09} {why}", self.id),
            )
        };
        match self.status_at(now) {
            ReferenceStatus::Active | ReferenceStatus::Paid => {}
            ReferenceStatus::Deleted => return Err(refuse("was deleted")),
            ReferenceStatus::Expired => return Err(refuse("has expired")),
        }
        match self.amount {
            Some(required) if required != amount => Err(Rejection::field(
                ErrorCode::ReferenceAmountMismatch,
                Field::Amount,
                format!(
                    "reference {:09} must be paid exactly {} AOA",
                    self.id,
                    crate::Currency::Aoa.format_decimal(required)
                ),
            )),
            Some(_) | None => Ok(()),
        }
    }
}

/// Parses a reference id from a path or body: digits only, 1 to 999,999,999, leading zeros
/// allowed (`012345678` is `12345678`).
pub fn parse_reference_id(text: &str) -> Result<u64, Rejection> {
    let bad = || {
        Rejection::field(
            ErrorCode::ParameterInvalid,
            Field::ReferenceId,
            format!("reference id must be a number from 1 to 999999999 (9 digits), not {text:?}"),
        )
    };
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let id: u64 = text.parse().map_err(|_| bad())?;
    if id == 0 {
        return Err(bad());
    }
    Ok(id)
}

/// Parses an end date or date-time. A date (`2026-12-31`, also `2026/12/31`) means until
/// 23:59:59 GMT+1 that day; a date-time with an offset is used as given; one without an offset
/// is read in GMT+1. Refuses one already past.
pub fn parse_end(text: &str, now: Timestamp) -> Result<Timestamp, Rejection> {
    let bad = |why: String| Rejection::field(ErrorCode::ParameterInvalid, Field::EndDatetime, why);
    let t = text.trim();
    let at = if let Some(date) = parse_date(t) {
        let end_of_day = date.with_hms(23, 59, 59).map_err(|e| bad(e.to_string()))?;
        let utc = end_of_day.assume_utc().unix_timestamp() - ANGOLA_OFFSET_SECS;
        Timestamp::from_micros(utc * 1_000_000)
    } else if let Some(ts) = Timestamp::parse_rfc3339(t) {
        ts
    } else if let Some(ts) = parse_naive_datetime(t) {
        ts
    } else if has_date_shape(t) {
        return Err(bad(format!(
            "end_datetime {t:?} is not a day of the calendar (or its time is not a time of day)"
        )));
    } else {
        return Err(bad(format!(
            "end_datetime must be an ISO 8601 date (2026-12-31) or date-time (2026-12-31T18:00:00Z), not {t:?}"
        )));
    };
    if at <= now {
        return Err(bad(format!("end_datetime {t} is in the past")));
    }
    Ok(at)
}

/// Whether `t` starts like a date (`dddd-dd-dd` or `dddd/dd/dd`): its refusal then says the
/// day (or time) does not exist rather than that the format is wrong.
fn has_date_shape(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 10
        && b.iter().take(10).enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-' || *c == b'/'
            } else {
                c.is_ascii_digit()
            }
        })
}

fn parse_date(t: &str) -> Option<time::Date> {
    if t.len() != 10 {
        return None;
    }
    let norm = t.replace('/', "-");
    time::Date::parse(
        &norm,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn parse_naive_datetime(t: &str) -> Option<Timestamp> {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    let dt = time::PrimitiveDateTime::parse(t, fmt).ok()?;
    let secs = dt.assume_utc().unix_timestamp() - ANGOLA_OFFSET_SECS;
    Some(Timestamp::from_micros(
        secs * 1_000_000 + i64::from(dt.microsecond()),
    ))
}

/// Checks custom fields: at most ten, keys 1–100 and values up to 1,000 characters, no control
/// characters.
pub fn check_custom_fields(fields: &BTreeMap<String, String>) -> Result<(), Rejection> {
    let bad = |why: String| Rejection::field(ErrorCode::ParameterInvalid, Field::CustomFields, why);
    if fields.len() > MAX_CUSTOM_FIELDS {
        return Err(bad(format!(
            "custom_fields may have at most {MAX_CUSTOM_FIELDS} entries, not {}",
            fields.len()
        )));
    }
    let (kmax, vmax) = CUSTOM_FIELD_LIMITS;
    for (k, v) in fields {
        if k.is_empty() || k.chars().count() > kmax || v.chars().count() > vmax {
            return Err(bad(format!(
                "custom_fields keys must be 1 to {kmax} characters and values at most {vmax}"
            )));
        }
        if k.chars().chain(v.chars()).any(char::is_control) {
            return Err(bad(
                "custom_fields may not contain control characters".to_owned()
            ));
        }
    }
    Ok(())
}

/// Checks a required amount (AOA minor units).
pub fn check_amount(amount: i64) -> Result<(), Rejection> {
    let (lo, hi) = AMOUNT_RANGE;
    if (lo..=hi).contains(&amount) {
        Ok(())
    } else {
        Err(Rejection::field(
            ErrorCode::AmountOutOfRange,
            Field::Amount,
            "amount must be between 0.01 and 99999999.99 AOA",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-22T12:00:00Z").unwrap()
    }

    #[test]
    fn ids_accept_leading_zeros_and_nine_digits_only() {
        assert_eq!(parse_reference_id("012345678").unwrap(), 12_345_678);
        assert_eq!(parse_reference_id("904800000").unwrap(), 904_800_000);
        for bad in ["", "0", "000000000", "1234567890", "12a", "-1", "+5", " 1"] {
            assert!(parse_reference_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_date_ends_at_23_59_59_gmt_plus_1() {
        let end = parse_end("2026-12-31", now()).unwrap();
        assert_eq!(end.to_rfc3339(), "2026-12-31T22:59:59.000Z");
        assert_eq!(parse_end("2026/12/31", now()).unwrap(), end);
        let exact = parse_end("2026-12-01T10:00:00Z", now()).unwrap();
        assert_eq!(exact.to_rfc3339(), "2026-12-01T10:00:00.000Z");
        let nanos = parse_end("2026-12-01T10:00:00.123456789+00:00", now()).unwrap();
        assert_eq!(nanos.to_rfc3339(), "2026-12-01T10:00:00.123Z");
        let naive = parse_end("2026-12-01T10:00:00", now()).unwrap();
        assert_eq!(naive.to_rfc3339(), "2026-12-01T09:00:00.000Z");
        assert!(parse_end("2026-11-21", now()).is_err(), "past");
        assert!(
            parse_end("2026-11-22", now()).is_ok(),
            "today, until 22:59:59Z"
        );
        assert!(parse_end("31/12/2026", now()).is_err());
        assert!(parse_end("2026-02-30", now()).is_err());
    }

    #[test]
    fn payable_rules() {
        let mut r = Reference {
            face: None,
            id: 904_800_000,
            merchant_id: "mer_x".into(),
            mode: Mode::Test,
            amount: Some(970_184),
            end_at: Some(now().plus(std::time::Duration::from_secs(60))),
            custom_fields: BTreeMap::new(),
            status: ReferenceStatus::Active,
            created_at: now(),
            updated_at: now(),
        };
        assert!(r.check_payable(970_184, now()).is_ok());
        assert_eq!(
            r.check_payable(970_183, now()).unwrap_err().code,
            ErrorCode::ReferenceAmountMismatch
        );
        let later = now().plus(std::time::Duration::from_secs(61));
        assert_eq!(r.status_at(later), ReferenceStatus::Expired);
        assert_eq!(
            r.check_payable(970_184, later).unwrap_err().code,
            ErrorCode::ReferenceNotPayable
        );
        r.status = ReferenceStatus::Deleted;
        assert!(r.check_payable(970_184, now()).is_err());
    }

    #[test]
    fn custom_field_limits() {
        let many: BTreeMap<String, String> =
            (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert!(check_custom_fields(&many).is_err());
        let ten: BTreeMap<String, String> = many.into_iter().take(10).collect();
        assert!(check_custom_fields(&ten).is_ok());
        assert!(check_amount(0).is_err());
        assert!(check_amount(9_999_999_999).is_ok());
        assert!(check_amount(10_000_000_000).is_err());
    }
}
