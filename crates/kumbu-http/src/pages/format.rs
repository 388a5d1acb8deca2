//! How pages write amounts, numbers, dates and durations for people.

use kumbu_core::{Currency, Locale, Msisdn, Timestamp};

/// `minor` units of `currency` as a reader of `locale` expects: grouped thousands (a narrow
/// no-break space in French and Portuguese, a comma in English), the currency's decimals with a
/// decimal comma in French and Portuguese, then the ISO code. XAF and XOF have no decimals.
pub fn amount(locale: Locale, currency: Currency, minor: i64) -> String {
    let exp = currency.exponent();
    let scale = 10_u64.pow(exp);
    let abs = minor.unsigned_abs();
    let (whole, frac) = (abs / scale, abs % scale);
    let (group, decimal) = match locale {
        Locale::Fr | Locale::Pt => ('\u{202f}', ','),
        Locale::En => (',', '.'),
    };
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if minor < 0 { "-" } else { "" };
    if exp == 0 {
        format!("{sign}{grouped}\u{a0}{}", currency.code())
    } else {
        format!(
            "{sign}{grouped}{decimal}{frac:0width$}\u{a0}{}",
            currency.code(),
            width = exp as usize
        )
    }
}

/// A phone with the middle hidden, for the waiting screen: `+225 07•••••789`.
pub fn masked_phone(phone: &Msisdn, dial_code: Option<&str>) -> String {
    let digits = phone.digits();
    let (cc, national) = match dial_code {
        Some(cc) if digits.starts_with(cc) => (cc, &digits[cc.len()..]),
        Some(_) | None => ("", digits),
    };
    let n = national.len();
    let shown_head = 2.min(n);
    let shown_tail = 3.min(n.saturating_sub(shown_head));
    let hidden = n - shown_head - shown_tail;
    format!(
        "+{cc}{}{}{}{}",
        if cc.is_empty() { "" } else { " " },
        &national[..shown_head],
        "•".repeat(hidden),
        &national[n - shown_tail..]
    )
}

/// `m:ss` until `until`, or `0:00` once past.
pub fn time_left(now: Timestamp, until: Timestamp) -> String {
    let secs = (until.unix_seconds() - now.unix_seconds()).max(0);
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// A date and time for a receipt, in UTC: `2026-11-30 22:40 UTC`.
pub fn receipt_time(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    format!("{} {} UTC", &s[..10], &s[11..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_locale_and_currency() {
        assert_eq!(
            amount(Locale::Fr, Currency::Xaf, 5000),
            "5\u{202f}000\u{a0}XAF"
        );
        assert_eq!(
            amount(Locale::En, Currency::Xof, 1_250_000),
            "1,250,000\u{a0}XOF"
        );
        assert_eq!(
            amount(Locale::Pt, Currency::Mzn, 123_456),
            "1\u{202f}234,56\u{a0}MZN"
        );
        assert_eq!(amount(Locale::En, Currency::Cve, 1005), "10.05\u{a0}CVE");
        assert_eq!(amount(Locale::En, Currency::Xaf, 100), "100\u{a0}XAF");
    }

    #[test]
    fn phones_are_masked_and_time_counts_down() {
        let p = Msisdn::parse("+2250700000789").unwrap();
        assert_eq!(masked_phone(&p, Some("225")), "+225 07•••••789");
        assert_eq!(masked_phone(&p, None), "+22••••••••789");
        let t = Timestamp::from_micros(0);
        assert_eq!(
            time_left(t, t.plus(std::time::Duration::from_secs(125))),
            "2:05"
        );
        assert_eq!(
            time_left(t.plus(std::time::Duration::from_secs(9)), t),
            "0:00"
        );
        assert_eq!(
            receipt_time(Timestamp::from_micros(0)),
            "1970-01-01 00:00 UTC"
        );
    }
}
