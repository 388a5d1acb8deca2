//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 6 digits, 30-second
//! steps, as every authenticator app reads from an `otpauth://` URI; and the RFC 4648 base32 the
//! secret is shown in.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;

/// Digits per code.
pub const DIGITS: u32 = 6;

/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_LEN: usize = 20;

/// The HOTP code for `counter` (RFC 4226 §5.3), as the number shown (zero-padded to [`DIGITS`]).
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(DIGITS)
}

/// The step `unix_secs` falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code for `secret` at the step `step`, as shown ("012345").
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    let counter = u64::try_from(step).unwrap_or(0);
    format!("{:0width$}", hotp(secret, counter), width = DIGITS as usize)
}

/// The step whose code `code` is, within one step either side of `now_step` (clocks drift, and
/// people type slowly); `None` if it matches none. The caller refuses a step already used.
pub fn verify(secret: &[u8], code: &str, now_step: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (now_step - 1..=now_step + 1).find(|&s| {
        let expected = code_at_step(secret, s);
        // Constant time over the six digits.
        expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    })
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of base32 text (case and spaces ignored, padding allowed); `None` if not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let c = u8::try_from(c.to_ascii_uppercase()).ok()?;
        let v = ALPHABET.iter().position(|&a| a == c)?;
        buffer = (buffer << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads (as a QR code or pasted): the issuer and the
/// account name label the entry.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 here).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at_step(secret, step_at(t)), eight[2..], "t = {t}");
        }
    }

    /// RFC 4226 appendix D.
    #[test]
    fn rfc_4226_vectors() {
        let secret = b"12345678901234567890";
        let expected = [
            755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (i, e) in expected.into_iter().enumerate() {
            assert_eq!(hotp(secret, i as u64), e);
        }
    }

    #[test]
    fn codes_verify_one_step_either_side_only() {
        let secret = b"12345678901234567890";
        let now = step_at(1_234_567_890);
        assert_eq!(verify(secret, "005924", now), Some(now));
        assert_eq!(verify(secret, "005 924", now + 1), Some(now));
        assert_eq!(verify(secret, "005924", now - 1), Some(now));
        assert_eq!(verify(secret, "005924", now + 2), None);
        assert_eq!(verify(secret, "005925", now), None);
        assert_eq!(verify(secret, "05924", now), None);
        assert_eq!(verify(secret, "abcdef", now), None);
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("mzxw 6ytb oi======"), Some(b"foobar".to_vec()));
        assert_eq!(from_base32("MZ1W"), None);
        let secret: Vec<u8> = (0..20).collect();
        assert_eq!(from_base32(&base32(&secret)), Some(secret));
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        let uri = otpauth_uri(b"foobar", "Kumbu (Loja Ana)", "ana@loja.cv");
        assert_eq!(
            uri,
            "otpauth://totp/Kumbu%20%28Loja%20Ana%29:ana@loja.cv?secret=MZXW6YTBOI&issuer=Kumbu%20%28Loja%20Ana%29&algorithm=SHA1&digits=6&period=30"
        );
    }
}
