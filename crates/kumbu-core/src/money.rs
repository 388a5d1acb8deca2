//! Currencies and amounts. Inside Kumbu an amount is always an integer count of the currency's
//! minor unit; decimal strings exist only at the edges, converted here without floats.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The currencies Kumbu settles in, with their ISO 4217 minor-unit exponents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    /// Cape Verde escudo (2 decimals).
    #[serde(rename = "CVE")]
    Cve,
    /// Angolan kwanza (2 decimals).
    #[serde(rename = "AOA")]
    Aoa,
    /// Mozambican metical (2 decimals).
    #[serde(rename = "MZN")]
    Mzn,
    /// West African CFA franc (0 decimals).
    #[serde(rename = "XOF")]
    Xof,
    /// Central African CFA franc (0 decimals).
    #[serde(rename = "XAF")]
    Xaf,
}

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not one of the currencies in [`Currency::ALL`].
    #[error("unsupported currency `{0}`; supported: CVE, AOA, MZN, XOF, XAF")]
    UnknownCurrency(String),
    /// The text is not a plain decimal number.
    #[error("`{0}` is not a decimal amount")]
    NotANumber(String),
    /// More decimal places than the currency has.
    #[error("{currency} has {exponent} decimal places; `{text}` has more")]
    TooPrecise {
        /// The offending text.
        text: String,
        /// The currency.
        currency: Currency,
        /// Its exponent.
        exponent: u32,
    },
    /// Does not fit in the integer range Kumbu stores.
    #[error("amount `{0}` is out of range")]
    OutOfRange(String),
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 5] = [
        Currency::Cve,
        Currency::Aoa,
        Currency::Mzn,
        Currency::Xof,
        Currency::Xaf,
    ];

    /// ISO 4217 alphabetic code.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Cve => "CVE",
            Currency::Aoa => "AOA",
            Currency::Mzn => "MZN",
            Currency::Xof => "XOF",
            Currency::Xaf => "XAF",
        }
    }

    /// ISO 4217 minor-unit exponent: how many decimal places the currency has.
    pub const fn exponent(self) -> u32 {
        match self {
            Currency::Cve | Currency::Aoa | Currency::Mzn => 2,
            Currency::Xof | Currency::Xaf => 0,
        }
    }

    /// Parses an ISO code (exact, upper case).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// Converts a decimal text ("9701.84", "100", "1500.5") to minor units, refusing more
    /// precision than the currency allows and anything that is not a plain non-negative decimal.
    pub fn parse_decimal(self, text: &str) -> Result<i64, MoneyError> {
        let not_a_number = || MoneyError::NotANumber(text.to_owned());
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_number());
        }
        if text.contains('.') && frac.is_empty() {
            return Err(not_a_number());
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_number());
        }
        let exp = self.exponent() as usize;
        let significant = frac.trim_end_matches('0');
        if significant.len() > exp {
            return Err(MoneyError::TooPrecise {
                text: text.to_owned(),
                currency: self,
                exponent: self.exponent(),
            });
        }
        let out_of_range = || MoneyError::OutOfRange(text.to_owned());
        let whole: i64 = whole.parse().map_err(|_| out_of_range())?;
        let mut minor = whole
            .checked_mul(10_i64.pow(self.exponent()))
            .ok_or_else(out_of_range)?;
        if !significant.is_empty() {
            let padded = format!("{significant:0<exp$}");
            let f: i64 = padded.parse().map_err(|_| not_a_number())?;
            minor = minor.checked_add(f).ok_or_else(out_of_range)?;
        }
        Ok(minor)
    }

    /// Converts a JSON number's text in major units (the collections service sends money as
    /// doubles: `7500.00`) to minor units, exactly: [`Currency::parse_decimal`], with an
    /// exponent applied on the text (Java clients write `1.0E7`), never through a float, so
    /// `0.29` is 29 and `3200.50` is 320050.
    pub fn parse_number(self, text: &str) -> Result<i64, MoneyError> {
        // An exponent beyond ±30 is absurd for an amount.
        let plain = expand_exponent(text, 30).ok_or_else(|| {
            // `1e300` is a number, just far too large for money.
            let huge = text.split_once(['e', 'E']).is_some_and(|(m, e)| {
                exponent(e).is_some_and(|x| x > 0)
                    && m.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && m.bytes().any(|b| (b'1'..=b'9').contains(&b))
            });
            if huge {
                MoneyError::OutOfRange(text.to_owned())
            } else {
                MoneyError::NotANumber(text.to_owned())
            }
        })?;
        self.parse_decimal(&plain)
    }

    /// Reads a bound on amounts (a list's `amount_min` or `amount_max`, sent as a double) in
    /// minor units: any number a double can be written as, exactly on its text, rounded to
    /// the currency's minor units towards `rounding` and saturated to `i64`. So a bound finer
    /// than the currency keeps its meaning (`amount ≥ 10.005 MZN` is `minor ≥ 1001`), and so
    /// does one beyond every amount. Refuses only what is not a number.
    pub fn parse_bound(self, text: &str, rounding: Rounding) -> Result<i64, MoneyError> {
        let not_a_number = || MoneyError::NotANumber(text.to_owned());
        // One sign, as Go's `ParseFloat` reads a number.
        let (negative, magnitude) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exp) = match magnitude.split_once(['e', 'E']) {
            Some((m, e)) => (m, exponent(e).ok_or_else(not_a_number)?),
            None => (magnitude, 0),
        };
        // `5.` and `.5` are numbers too; `.` is not.
        let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(not_a_number());
        }
        let nonzero = whole.bytes().chain(frac.bytes()).any(|b| b != b'0');
        // Far beyond every amount, or far below a minor unit, is decided without writing the
        // digits out (a double's exponent is within ±324; the text's may be anything).
        let (minor, inexact) = if !nonzero {
            (0, false)
        } else if exp > 400 {
            (i64::MAX, false)
        } else if exp < -400 {
            (0, true)
        } else {
            let whole = if whole.is_empty() { "0" } else { whole };
            let plain =
                expand_exponent(&format!("{whole}.{frac}e{exp}"), 400).ok_or_else(not_a_number)?;
            let (whole, frac) = plain.split_once('.').unwrap_or((&plain, ""));
            let places = self.exponent() as usize;
            let kept = format!("{:0<places$}", frac.get(..places).unwrap_or(frac));
            let inexact = frac
                .get(places..)
                .is_some_and(|rest| rest.bytes().any(|b| b != b'0'));
            let minor = match self.parse_decimal(format!("{whole}.{kept}").trim_end_matches('.')) {
                Ok(m) => m,
                Err(MoneyError::OutOfRange(_)) => i64::MAX,
                Err(_) => return Err(not_a_number()),
            };
            (minor, inexact)
        };
        // Between `minor` and the next unit up (of the magnitude) when inexact.
        let up = u8::from(inexact);
        Ok(match (negative, rounding) {
            (false, Rounding::Down) | (true, Rounding::Up) => minor,
            (false, Rounding::Up) | (true, Rounding::Down) => minor.saturating_add(up.into()),
        } * if negative { -1 } else { 1 })
    }

    /// Formats minor units as a decimal with exactly the currency's places ("9701.84", "5000").
    pub fn format_decimal(self, minor: i64) -> String {
        let exp = self.exponent();
        if exp == 0 {
            return minor.to_string();
        }
        let scale = 10_i64.pow(exp);
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale_u = scale.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale_u,
            abs % scale_u,
            width = exp as usize
        )
    }
}

/// An exponent's text: one optional sign, then digits (a very long one saturates).
fn exponent(text: &str) -> Option<i64> {
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(sign * digits.parse::<i64>().unwrap_or(i64::MAX))
}

/// `1.0E7` → `10000000.0`, exactly, on the text; `None` when it is not a number or its
/// exponent is beyond ±`limit`.
fn expand_exponent(text: &str, limit: u32) -> Option<String> {
    let Some((mantissa, exp)) = text.split_once(['e', 'E']) else {
        return Some(text.to_owned());
    };
    let exp = exponent(exp)?;
    if exp.unsigned_abs() > u64::from(limit) {
        return None;
    }
    let exp = i32::try_from(exp).ok()?;
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty()
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{whole}{frac}");
    // Where the decimal point falls in `digits` once shifted.
    let point = i32::try_from(whole.len()).ok()? + exp;
    let len = i32::try_from(digits.len()).ok()?;
    Some(if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= len {
        format!("{digits}{}", "0".repeat((point - len) as usize))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    })
}

/// Which way [`Currency::parse_bound`] rounds a number between two minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Towards the larger unit (a lower bound: `amount_min`).
    Up,
    /// Towards the smaller unit (an upper bound: `amount_max`).
    Down,
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_doubles_land_exactly() {
        for (text, minor) in [
            ("0.29", 29),
            ("19.99", 1999),
            ("3200.50", 320_050),
            ("7500.00", 750_000),
            ("7500", 750_000),
            ("7500.0", 750_000),
            ("1.0E7", 1_000_000_000),
            ("2.5e-1", 25),
            ("1e2", 10_000),
            ("1E+2", 10_000),
        ] {
            assert_eq!(Currency::Mzn.parse_number(text), Ok(minor), "{text}");
        }
        for bad in [
            "19.999", "-5", "1e400", "1e-3", "e5", "1.5e", "NaN", "Infinity", "", "5e+-1", "5e++1",
        ] {
            assert!(Currency::Mzn.parse_number(bad).is_err(), "{bad}");
        }
        // Too large is said so; a malformed exponent is no number at all.
        let mzn = |t| Currency::Mzn.parse_number(t);
        assert!(matches!(mzn("1e400"), Err(MoneyError::OutOfRange(_))));
        assert!(matches!(mzn("5e+-1"), Err(MoneyError::NotANumber(_))));
        // Through a float they would not all land: 0.29 × 100 is 28.999999999999996.
        assert_ne!((0.29_f64 * 100.0) as i64, 29);
    }

    #[test]
    fn exponents_match_iso_4217() {
        assert_eq!(Currency::Cve.exponent(), 2);
        assert_eq!(Currency::Aoa.exponent(), 2);
        assert_eq!(Currency::Mzn.exponent(), 2);
        assert_eq!(Currency::Xof.exponent(), 0);
        assert_eq!(Currency::Xaf.exponent(), 0);
    }

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(Currency::Aoa.parse_decimal("9701.84"), Ok(970_184));
        assert_eq!(Currency::Aoa.parse_decimal("1500.5"), Ok(150_050));
        assert_eq!(Currency::Aoa.parse_decimal("100"), Ok(10_000));
        assert_eq!(Currency::Aoa.parse_decimal("0.01"), Ok(1));
        assert_eq!(Currency::Aoa.parse_decimal("7.500"), Ok(750));
        assert_eq!(Currency::Xof.parse_decimal("5000"), Ok(5000));
        assert_eq!(Currency::Xof.parse_decimal("5000.0"), Ok(5000));
    }

    #[test]
    fn refuses_too_precise_and_garbage() {
        assert!(matches!(
            Currency::Aoa.parse_decimal("1.001"),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Currency::Xof.parse_decimal("5000.5"),
            Err(MoneyError::TooPrecise { .. })
        ));
        for bad in ["", ".5", "5.", "-1", "1e3", "1,5", " 1", "0x10", "1.2.3"] {
            assert!(Currency::Aoa.parse_decimal(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Currency::Aoa.parse_decimal("99999999999999999999"),
            Err(MoneyError::OutOfRange(_))
        ));
    }

    #[test]
    fn reads_bounds_rounded_inwards_and_saturated() {
        use Rounding::{Down, Up};
        let mzn = |t, r| Currency::Mzn.parse_bound(t, r);
        assert_eq!(mzn("10.005", Up), Ok(1001));
        assert_eq!(mzn("10.005", Down), Ok(1000));
        assert_eq!(mzn("10.00", Up), Ok(1000));
        assert_eq!(mzn("10.0000", Down), Ok(1000));
        assert_eq!(mzn("7.5e3", Up), Ok(750_000));
        assert_eq!(mzn("1e-5", Up), Ok(1));
        assert_eq!(mzn("1e-5", Down), Ok(0));
        assert_eq!(mzn("-10.005", Up), Ok(-1000));
        assert_eq!(mzn("-10.005", Down), Ok(-1001));
        assert_eq!(mzn("-0.0", Up), Ok(0));
        assert_eq!(mzn("1e300", Down), Ok(i64::MAX));
        assert_eq!(mzn("-1e300", Up), Ok(-i64::MAX));
        assert_eq!(mzn("99999999999999999999", Up), Ok(i64::MAX));
        assert_eq!(Currency::Xof.parse_bound("5000.5", Up), Ok(5001));
        assert_eq!(Currency::Xof.parse_bound("5000.5", Down), Ok(5000));
        // As Go's ParseFloat reads numbers: `5.`, `.5`, `+5`; any exponent.
        assert_eq!(mzn("5.", Up), Ok(500));
        assert_eq!(mzn(".5", Up), Ok(50));
        assert_eq!(mzn("+5", Down), Ok(500));
        assert_eq!(mzn("1e401", Down), Ok(i64::MAX));
        assert_eq!(mzn("0.1e401", Up), Ok(i64::MAX));
        assert_eq!(mzn("1e99999999999999999999", Up), Ok(i64::MAX));
        assert_eq!(mzn("1e-500", Up), Ok(1));
        assert_eq!(mzn("1e-500", Down), Ok(0));
        assert_eq!(mzn("-1e-500", Down), Ok(-1));
        assert_eq!(mzn("0e999", Up), Ok(0));
        assert_eq!(mzn("12.345e1", Down), Ok(12_345));
        for bad in [
            "", "-", "+", ".", "e5", "1e", "5e+-1", "5e++1", "+-5", "NaN", "Infinity", "1,5",
            "--1", "0x10", " 5",
        ] {
            assert!(mzn(bad, Up).is_err(), "{bad:?}");
        }
        for bad in ["5..", "5.x", "5.1.2"] {
            assert!(Currency::Xof.parse_bound(bad, Down).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_with_currency_places() {
        assert_eq!(Currency::Aoa.format_decimal(970_184), "9701.84");
        assert_eq!(Currency::Aoa.format_decimal(5), "0.05");
        assert_eq!(Currency::Aoa.format_decimal(-150), "-1.50");
        assert_eq!(Currency::Xof.format_decimal(5000), "5000");
    }

    #[test]
    fn parses_codes() {
        assert_eq!(Currency::parse("XOF"), Ok(Currency::Xof));
        assert!(Currency::parse("xof").is_err());
        assert!(Currency::parse("EUR").is_err());
    }
}
