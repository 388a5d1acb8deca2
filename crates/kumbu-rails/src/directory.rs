//! The sandbox's directory of account holders: the name an operator would return for a number
//! (Adullam shows it as `customer_name`). Deterministic, so tests and demos can rely on it.

use kumbu_core::Msisdn;

const SURNAMES: [&str; 12] = [
    "KONE",
    "TRAORE",
    "OUATTARA",
    "KOUASSI",
    "YAO",
    "KOFFI",
    "DIALLO",
    "BAMBA",
    "COULIBALY",
    "TOURE",
    "N'GUESSAN",
    "SANOGO",
];
const GIVEN: [&str; 12] = [
    "ADAMA", "AWA", "MOUSSA", "FATOU", "IBRAHIM", "AMINATA", "SEYDOU", "MARIAM", "KOFFI", "AICHA",
    "YACOUBA", "SALIMATA",
];

/// The sandbox account holder of a number: surname and given name picked from the digits.
pub fn account_holder(phone: &Msisdn) -> String {
    let digits: u64 = phone
        .as_str()
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u64, |acc, d| {
            acc.wrapping_mul(31).wrapping_add(u64::from(d - b'0'))
        });
    let surname = SURNAMES[(digits % SURNAMES.len() as u64) as usize];
    let given = GIVEN[((digits / 7) % GIVEN.len() as u64) as usize];
    format!("{surname} {given}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_number_always_has_the_same_holder() {
        let a = Msisdn::parse("+2250700000789").unwrap();
        let b = Msisdn::parse("+2250700000788").unwrap();
        assert_eq!(account_holder(&a), account_holder(&a));
        assert_ne!(account_holder(&a), account_holder(&b));
        assert!(account_holder(&a)
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == ' ' || c == '\''));
    }
}
