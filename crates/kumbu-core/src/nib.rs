//! Mozambican bank account numbers (NIB) and their IBAN form, for collections paid by bank
//! transfer: the check digits catch a mistyped account before money is sent to it.

use crate::erv::{mod97, mod97_10};

/// A Mozambican bank account number (NIB): 21 digits, the last two a MOD 97-10 pair over the
/// first 19 (the Portuguese NIB rule, which the published Mozambican samples follow). The IBAN
/// is `MZ59` followed by it: such a NIB is ≡ 1 (mod 97), so every IBAN check comes out 59.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nib(String);

/// Why a NIB or IBAN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NibError {
    /// Not 21 digits (or `MZ`, 2 digits and 21 digits for an IBAN).
    #[error("a NIB is 21 digits (an IBAN: MZ, 2 check digits and the 21-digit NIB)")]
    Shape,
    /// The check digits do not match: a digit is wrong.
    #[error("the check digits do not match: a digit is mistyped")]
    Check,
}

impl Nib {
    /// Parses a NIB, or an IBAN (`MZ59…`), spaces allowed, checking its check digits.
    pub fn parse(text: &str) -> Result<Self, NibError> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let t = t.to_ascii_uppercase();
        let nib = match t.strip_prefix("MZ") {
            Some(rest) => {
                if rest.len() != 23 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(NibError::Shape);
                }
                // ISO 13616: the account, then "MZ" as 2235, then the check digits, ≡ 1 mod 97.
                let check = format!("{}2235{}", &rest[2..], &rest[..2]);
                if mod97(check.bytes()) != 1 {
                    return Err(NibError::Check);
                }
                rest[2..].to_owned()
            }
            None => t,
        };
        if nib.len() != 21 || !nib.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NibError::Shape);
        }
        if format!("{:02}", mod97_10(&nib[..19])) != nib[19..] {
            return Err(NibError::Check);
        }
        Ok(Self(nib))
    }

    /// The 21 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IBAN: `MZ`, its check digits, the NIB.
    pub fn iban(&self) -> String {
        let check = 98 - mod97(format!("{}223500", self.0).bytes());
        format!("MZ{check:02}{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nibs_and_ibans_check() {
        // The published sample IBAN (kishannareshpal/mozambique-utils.js).
        let nib = Nib::parse("MZ59 0003 0108 0016 3671 0237 1").unwrap();
        assert_eq!(nib.as_str(), "000301080016367102371");
        assert_eq!(nib.iban(), "MZ59000301080016367102371");
        assert_eq!(Nib::parse("000301080016367102371").unwrap(), nib);
        assert_eq!(Nib::parse("000301080016367102372"), Err(NibError::Check));
        assert_eq!(
            Nib::parse("MZ58000301080016367102371"),
            Err(NibError::Check)
        );
        assert_eq!(Nib::parse("00030108001636710237"), Err(NibError::Shape));
        assert_eq!(
            Nib::parse("PT50000301080016367102371"),
            Err(NibError::Shape)
        );
    }
}
