//! Payer phone numbers (MSISDNs) in E.164 form.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164 form: `+` then 8 to 15 digits. Spaces, dots and dashes that people
/// type are dropped; anything else is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Msisdn(String);

/// How many digits follow the `+` (country code included): at least, at most.
pub const DIGITS: (usize, usize) = (8, 15);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not `+` followed by 8–15 digits.
    #[error("phone must be in E.164 form: `+` then the country code and number, 8 to 15 digits (e.g. +2250700000789)")]
    NotE164,
}

impl Msisdn {
    /// Parses and normalises a phone number.
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.'))
            .collect();
        let digits = cleaned.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        if !(DIGITS.0..=DIGITS.1).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(PhoneError::NotE164);
        }
        if digits.starts_with('0') {
            return Err(PhoneError::NotE164);
        }
        Ok(Self(cleaned))
    }

    /// The normalised text, `+` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits after the `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// The last three digits: the sandbox chooses its outcome by them.
    pub fn suffix3(&self) -> &str {
        let d = self.digits();
        &d[d.len().saturating_sub(3)..]
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_e164() {
        let m = Msisdn::parse("+225 07 00 00 07 89").unwrap();
        assert_eq!(m.as_str(), "+2250700000789");
        assert_eq!(m.suffix3(), "789");
        for bad in [
            "2250700000789",
            "+22507abc",
            "+1234567",
            "+1234567890123456",
            "+0123456789",
            "",
        ] {
            assert!(Msisdn::parse(bad).is_err(), "{bad}");
        }
    }
}
