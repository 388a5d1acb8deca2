//! What the connector keeps of a payment page it made at Orange (the payment's `rail_memo`):
//! which attempt it was made for, what `transactionstatus` needs, where the payer pays, and a
//! hash of the notification token (what a notification must carry to be believed at all).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A payment page made at Orange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memo {
    /// The attempt (`step / 2`) it was made at: a memo of another attempt is not this one's.
    pub attempt: u32,
    /// The order id it was made with.
    pub order_id: String,
    /// Orange's `pay_token`.
    pub pay_token: String,
    /// Where the payer pays.
    pub payment_url: String,
    /// SHA-256 of the `notif_token` Orange gave, hex.
    pub notif_hash: String,
    /// Orange's transaction id, once the page is paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txnid: Option<String>,
}

impl Memo {
    /// Reads a memo the connector wrote (`None`: none, or another version's).
    pub fn read(text: Option<&str>) -> Option<Self> {
        serde_json::from_str(text?).ok()
    }

    /// The memo as stored.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The hash kept of a notification token.
    pub fn hash(notif_token: &str) -> String {
        hex::encode(Sha256::digest(notif_token.as_bytes()))
    }

    /// Whether a notification's body carries this page's token: Orange signs nothing else.
    /// Compared in constant time over the hashes.
    pub fn genuine(&self, body: &[u8]) -> bool {
        #[derive(Deserialize)]
        struct Notification {
            notif_token: String,
        }
        let Ok(n) = serde_json::from_slice::<Notification>(body) else {
            return false;
        };
        same_bytes(&Self::hash(&n.notif_token), &self.notif_hash)
    }
}

/// Whether two texts are equal, in time that does not depend on where they differ.
fn same_bytes(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a secret given in a callback is the one kept, compared over their hashes in constant
/// time (the length of neither leaks).
pub fn same_secret(given: &str, kept: &str) -> bool {
    same_bytes(&Memo::hash(given), &Memo::hash(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_orange_gave_makes_a_notification_genuine() {
        let m = Memo {
            attempt: 0,
            order_id: "OMabc-0".into(),
            pay_token: "pt".into(),
            payment_url: "https://webpayment.orange-money.com/payment/pay_token/pt".into(),
            notif_hash: Memo::hash("nt-1"),
            txnid: None,
        };
        let back = Memo::read(Some(&m.text())).unwrap();
        assert_eq!(back, m);
        assert!(m.genuine(br#"{"status":"SUCCESS","notif_token":"nt-1","txnid":"MP1"}"#));
        assert!(!m.genuine(br#"{"status":"SUCCESS","notif_token":"nt-2","txnid":"MP1"}"#));
        assert!(!m.genuine(br#"{"status":"SUCCESS"}"#));
        assert!(!m.genuine(b"not json"));
        assert_eq!(Memo::read(Some("{}")), None);
        assert_eq!(Memo::read(None), None);
    }
}
