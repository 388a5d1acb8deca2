//! The native webhook signature: `Kumbu-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, where each
//! `v1` is HMAC-SHA256 of `"<t>.<raw body>"` under one of the endpoint's active secrets.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `hex(HMAC-SHA256(secret, "<t>.<body>"))`.
pub fn v1(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Lowercase hex HMAC-SHA256 of the raw body alone (ProxyPay's `X-Signature`).
pub fn plain_hex(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The header value for a body signed at `t` with every active secret.
pub fn header(secrets: &[&str], t: i64, body: &[u8]) -> String {
    let mut out = format!("t={t}");
    for s in secrets {
        out.push_str(",v1=");
        out.push_str(&v1(s, t, body));
    }
    out
}

/// Checks a header against a secret, as a merchant would: some `v1` matches, and `t` is within
/// `tolerance_secs` of `now`.
pub fn verify(header: &str, secret: &str, body: &[u8], now_unix: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v),
            Some(_) | None => {}
        }
    }
    let Some(t) = t else { return false };
    if (now_unix - t).abs() > tolerance_secs {
        return false;
    }
    let expected = v1(secret, t, body);
    sigs.iter()
        .any(|s| constant_time_eq(s.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/webhooks.md.
    #[test]
    fn docs_example() {
        let body = br#"{"id":"evt_test","type":"payment.settled"}"#;
        let sig = v1("whsec_example", 1_790_000_000, body);
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/webhooks.md"
        ))
        .expect("docs/webhooks.md");
        assert!(
            doc.contains(&sig),
            "docs/webhooks.md must show the digest {sig}"
        );
        let h = header(&["whsec_example", "whsec_old"], 1_790_000_000, body);
        assert!(verify(&h, "whsec_example", body, 1_790_000_100, 300));
        assert!(verify(&h, "whsec_old", body, 1_790_000_100, 300));
        assert!(!verify(&h, "whsec_other", body, 1_790_000_100, 300));
        assert!(
            !verify(&h, "whsec_example", body, 1_790_000_400, 300),
            "too old"
        );
        assert!(!verify(
            &h,
            "whsec_example",
            b"tampered",
            1_790_000_100,
            300
        ));
    }
}
