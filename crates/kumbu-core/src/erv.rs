//! SIMO "ERV" payment references (Mozambique): a payer pays a biller at any bank, ATM or app with
//! the biller's **entity** (5 digits), a **reference** (11 digits) and, for some references, the
//! amount.
//!
//! A reference is a 9-digit base followed by two ISO 7064 MOD 97-10 check digits:
//! `CD = 98 − ((N × 100) mod 97)`, where `N` is the entity, then the base, then — for a
//! reference bound to an amount — the amount in cents written without padding (`300000` for
//! 3,000.00 MZN). A reference for a customer account, paid with any amount, leaves the amount
//! out. Both kinds are reproduced from published samples in the tests below (an InterBancos
//! MEPS example file, a Vodacom invoice); see `../shared/reference/collections.md` §1.2.

use std::fmt;

/// Why an entity or reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErvError {
    /// Not exactly five digits.
    #[error("an entity is exactly 5 digits, e.g. 90002")]
    Entity,
    /// Not exactly eleven digits.
    #[error("an ERV reference is exactly 11 digits, e.g. 00548781108")]
    Reference,
    /// A base outside 0..=999,999,999.
    #[error("a reference's base is at most 9 digits")]
    Base,
    /// A negative amount.
    #[error("a reference's amount cannot be negative")]
    Amount,
}

/// A biller's entity number: exactly five digits (leading zeros kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entity(String);

impl Entity {
    /// Parses five digits.
    pub fn parse(text: &str) -> Result<Self, ErvError> {
        let t = text.trim();
        if t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(ErvError::Entity)
        }
    }

    /// The five digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An 11-digit ERV reference: a 9-digit base and two check digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErvReference(String);

/// `digits mod 97`, digit by digit (any length, no big integers).
pub(crate) fn mod97(digits: impl Iterator<Item = u8>) -> u32 {
    digits.fold(0u32, |r, d| (r * 10 + u32::from(d - b'0')) % 97)
}

/// The ISO 7064 MOD 97-10 check digits of a digit string: `98 − (N × 100 mod 97)`, 2..=98.
pub fn mod97_10(digits: &str) -> u8 {
    let r = mod97(digits.bytes().chain(*b"00"));
    // r < 97, so the result is 1..=98 and fits.
    u8::try_from(98 - r).unwrap_or(0)
}

/// The check digits of `base` under `entity`, with the amount (minor units) when the reference
/// is bound to one.
pub fn check_digits(entity: &Entity, base: &str, amount: Option<i64>) -> u8 {
    let mut n = String::with_capacity(5 + 9 + 20);
    n.push_str(entity.as_str());
    n.push_str(base);
    if let Some(a) = amount {
        n.push_str(&a.to_string());
    }
    mod97_10(&n)
}

impl ErvReference {
    /// The reference for `base` (0..=999,999,999) under `entity`, bound to `amount` (minor
    /// units) or not.
    pub fn new(entity: &Entity, base: u32, amount: Option<i64>) -> Result<Self, ErvError> {
        if base > 999_999_999 {
            return Err(ErvError::Base);
        }
        if amount.is_some_and(|a| a < 0) {
            return Err(ErvError::Amount);
        }
        let base = format!("{base:09}");
        let cd = check_digits(entity, &base, amount);
        Ok(Self(format!("{base}{cd:02}")))
    }

    /// Parses 11 digits (without checking the check digits: see [`ErvReference::verify`]).
    pub fn parse(text: &str) -> Result<Self, ErvError> {
        let t = text.trim();
        if t.len() == 11 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(ErvError::Reference)
        }
    }

    /// Whether the check digits are right for `entity` and `amount` (minor units, or `None`
    /// for a reference not bound to an amount).
    pub fn verify(&self, entity: &Entity, amount: Option<i64>) -> bool {
        amount.is_none_or(|a| a >= 0)
            && format!("{:02}", check_digits(entity, self.base(), amount)) == self.0[9..]
    }

    /// The 9-digit base.
    pub fn base(&self) -> &str {
        &self.0[..9]
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ErvReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The detail lines of InterBancos' `Exemplo_Ficheiro_MEPS.TXT` (entity 90002 in its
    /// header): the reference (columns 82–92) and the amount in cents (columns 28–40), as
    /// published in the repository Nelzio/calc-referencia (commit 5ae6ee9).
    const MEPS_SAMPLE: [(&str, i64); 11] = [
        ("00548781108", 300_000),
        ("00604600879", 300_000),
        ("00604610946", 300_000),
        ("00604621032", 275_000),
        ("00616121136", 300_000),
        ("00620400869", 744_000),
        ("00620400869", 744_000),
        ("00620410936", 744_000),
        ("00620421003", 744_000),
        ("00620441239", 620_000),
        ("00623420704", 61_000),
    ];

    #[test]
    fn the_published_meps_references_check_with_their_amounts() {
        let entity = Entity::parse("90002").unwrap();
        for (text, cents) in MEPS_SAMPLE {
            let r = ErvReference::parse(text).unwrap();
            assert!(r.verify(&entity, Some(cents)), "{text} {cents}");
            // Rebuilt from its base and amount, it is the same reference.
            let base: u32 = r.base().parse().unwrap();
            assert_eq!(ErvReference::new(&entity, base, Some(cents)).unwrap(), r);
            // Another amount, entity or digit does not check.
            assert!(!r.verify(&entity, Some(cents + 100)), "{text}");
            assert!(!r.verify(&Entity::parse("90003").unwrap(), Some(cents)));
        }
    }

    #[test]
    fn an_account_reference_checks_without_an_amount() {
        // A Vodacom Moçambique invoice: "Entidade 40001, Referência 02706030059".
        let entity = Entity::parse("40001").unwrap();
        let r = ErvReference::parse("02706030059").unwrap();
        assert!(r.verify(&entity, None));
        assert!(!r.verify(&entity, Some(10_000)));
        assert_eq!(ErvReference::new(&entity, 27_060_300, None).unwrap(), r);
    }

    #[test]
    fn mod_97_10_is_the_iso_rule() {
        // SIBS Multibanco's published example (entity 90150, id 1231234, 432.11 padded to 8).
        assert_eq!(mod97_10("90150123123400043211"), 51);
        // Appending the check digits gives a number ≡ 1 (mod 97), as ISO 7064 requires.
        for n in ["9000200548781300000", "4000102706030", "0"] {
            let full = format!("{n}{:02}", mod97_10(n));
            assert_eq!(mod97(full.bytes()), 1, "{full}");
        }
    }

    #[test]
    fn bad_input_is_refused() {
        for e in ["9000", "900021", "9000a", ""] {
            assert_eq!(Entity::parse(e), Err(ErvError::Entity), "{e}");
        }
        for r in ["0054878110", "005487811080", "0054878110x", ""] {
            assert_eq!(ErvReference::parse(r), Err(ErvError::Reference), "{r}");
        }
        let e = Entity::parse("90002").unwrap();
        assert_eq!(
            ErvReference::new(&e, 1_000_000_000, None),
            Err(ErvError::Base)
        );
        assert_eq!(ErvReference::new(&e, 1, Some(-1)), Err(ErvError::Amount));
        assert!(!ErvReference::parse("00548781108")
            .unwrap()
            .verify(&e, Some(-300_000)));
    }
}
