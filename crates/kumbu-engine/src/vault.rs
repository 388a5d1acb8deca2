//! Secrets at rest: the server's keyring and the sealed strings it produces.
//!
//! Secrets that Kumbu must be able to read back (webhook signing secrets, responses that showed
//! one, the keys a face signs with) are never stored in plain text. They are sealed with
//! XChaCha20-Poly1305 under a 256-bit server key, with a random 192-bit nonce and, as associated
//! data, the identity of what is sealed (say `webhook_endpoint:we_…`), so that a sealed value
//! copied into another row does not open there.
//!
//! A sealed value is text: `kv1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id is
//! the first 8 bytes (hex) of HMAC-SHA256(key, "kumbu key id"): it names a key without revealing
//! it, so that a process given the wrong key says so instead of failing to sign.
//!
//! A keyring is an ordered list of keys: the first seals, every one opens. Rotating the server key
//! is therefore: add the new key second on every process, then move it first (the engine reseals
//! what it holds at start-up), then drop the old key once every process has restarted and a day
//! has passed (idempotency replays are kept 24 h and are not resealed).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

const PREFIX: &str = "kv1.";
const NONCE_LEN: usize = 24;
/// Bytes in a server key.
pub const KEY_LEN: usize = 32;

/// Why a keyring could not be built or a value could not be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    /// A key in the configuration is not 32 bytes of standard base64.
    #[error(
        "secret key #{position} is not 32 bytes of base64 (generate one with `kumbu secret-key`)"
    )]
    BadKey {
        /// 1-based position of the key in the list.
        position: usize,
    },
    /// The configuration held no key at all.
    #[error("no secret key given")]
    Empty,
    /// The value was sealed under a key that is not in the keyring.
    #[error("sealed with secret key {0}, which is not in this server's keyring")]
    UnknownKey(String),
    /// The value is not a sealed string, or was altered, or belongs elsewhere.
    #[error("a sealed secret failed to open: it is corrupt or was moved from another record")]
    Corrupt,
}

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
    /// HMAC-SHA256(key, "kumbu mac key"): authenticates values the server hands out and must
    /// recognise later (a page's CSRF token), without using the sealing key itself.
    mac_key: [u8; 32],
}

/// The server's keys; the first seals.
pub struct Keyring {
    keys: Vec<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.key_ids())
            .finish()
    }
}

fn key_id(key: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"kumbu key id");
    hex::encode(&mac.finalize().into_bytes()[..8])
}

fn mac_with(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A fresh random key, in the base64 form a keyring is configured with.
pub fn generate_key() -> String {
    let mut k = [0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut k);
    STANDARD.encode(k)
}

impl Keyring {
    /// A keyring from base64 keys separated by commas, spaces or newlines (the form of
    /// `KUMBU_SECRET_KEY` and of a key file); the first seals.
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let mut keys = Vec::new();
        for (i, part) in text
            .lines()
            .map(|line| line.split('#').next().unwrap_or(""))
            .flat_map(|line| line.split(|c: char| c == ',' || c.is_whitespace()))
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let raw = STANDARD
                .decode(part)
                .ok()
                .filter(|k| k.len() == KEY_LEN)
                .ok_or(VaultError::BadKey { position: i + 1 })?;
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&raw)
                .map_err(|_| VaultError::BadKey { position: i + 1 })?;
            mac.update(b"kumbu mac key");
            keys.push(Key {
                mac_key: mac.finalize().into_bytes().into(),
                id: key_id(&raw),
                cipher: XChaCha20Poly1305::new_from_slice(&raw)
                    .map_err(|_| VaultError::BadKey { position: i + 1 })?,
            });
        }
        if keys.is_empty() {
            return Err(VaultError::Empty);
        }
        Ok(Self { keys })
    }

    /// A keyring of one fresh random key (for throwaway databases).
    pub fn ephemeral() -> Self {
        Self::parse(&generate_key()).expect("a generated key parses")
    }

    /// Ids of the keys, the sealing key first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// The id of the key that seals.
    pub fn current_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// A tag for `data` (hex HMAC-SHA256 under the current key's MAC key).
    pub fn mac(&self, data: &[u8]) -> String {
        hex::encode(mac_with(&self.keys[0].mac_key, data))
    }

    /// Whether `tag` is [`Keyring::mac`] of `data` under any key of the ring (so tags handed out
    /// before a key rotation still verify). Compared in constant time.
    pub fn verify_mac(&self, data: &[u8], tag: &str) -> bool {
        let Ok(tag) = hex::decode(tag) else {
            return false;
        };
        self.keys.iter().any(|k| {
            <Hmac<Sha256> as Mac>::new_from_slice(&k.mac_key)
                .map(|mut m| {
                    m.update(data);
                    m.verify_slice(&tag).is_ok()
                })
                .unwrap_or(false)
        })
    }

    /// Seals `plain` for the record named by `context`.
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message under 256 GiB");
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        format!("{PREFIX}{}.{}", key.id, URL_SAFE_NO_PAD.encode(blob))
    }

    /// `true` when `value` has the form of a sealed string (it may still fail to open).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    /// The id of the key a sealed value names, if it is one.
    pub fn sealed_with(value: &str) -> Option<&str> {
        value.strip_prefix(PREFIX)?.split('.').next()
    }

    /// Opens a value sealed for `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, VaultError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(VaultError::Corrupt)?;
        let (id, b64) = rest.split_once('.').ok_or(VaultError::Corrupt)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_owned()))?;
        let blob = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| VaultError::Corrupt)?;
        if blob.len() < NONCE_LEN {
            return Err(VaultError::Corrupt);
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Corrupt)?;
        String::from_utf8(plain).map_err(|_| VaultError::Corrupt)
    }

    /// `Some(resealed)` when `value` is plain text or sealed under an older key of this ring;
    /// `None` when it is already sealed under the current key.
    pub fn reseal(&self, context: &str, value: &str) -> Result<Option<String>, VaultError> {
        if !Self::is_sealed(value) {
            return Ok(Some(self.seal(context, value)));
        }
        if Self::sealed_with(value) == Some(self.current_key_id()) {
            return Ok(None);
        }
        let plain = self.open(context, value)?;
        Ok(Some(self.seal(context, &plain)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_context() {
        let ring = Keyring::ephemeral();
        let s = ring.seal("webhook_endpoint:we_1", "whsec_abc");
        assert!(Keyring::is_sealed(&s));
        assert!(!s.contains("whsec_abc"));
        assert_eq!(ring.open("webhook_endpoint:we_1", &s).unwrap(), "whsec_abc");
        assert_eq!(
            ring.open("webhook_endpoint:we_2", &s),
            Err(VaultError::Corrupt)
        );
        // Two seals of one secret differ (random nonce).
        assert_ne!(s, ring.seal("webhook_endpoint:we_1", "whsec_abc"));
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::ephemeral();
        let s = ring.seal("c", "secret");
        let mut bytes = s.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        assert_eq!(ring.open("c", &altered), Err(VaultError::Corrupt));
        assert_eq!(ring.open("c", "kv1.nonsense"), Err(VaultError::Corrupt));
        assert_eq!(ring.open("c", "plain"), Err(VaultError::Corrupt));
    }

    #[test]
    fn rotation_opens_old_and_seals_new() {
        let old = generate_key();
        let new = generate_key();
        let before = Keyring::parse(&old).unwrap();
        let sealed_old = before.seal("c", "s");
        let during = Keyring::parse(&format!("{new},{old}")).unwrap();
        assert_eq!(during.open("c", &sealed_old).unwrap(), "s");
        let resealed = during.reseal("c", &sealed_old).unwrap().unwrap();
        assert_eq!(
            Keyring::sealed_with(&resealed),
            Some(during.current_key_id())
        );
        assert_eq!(during.reseal("c", &resealed).unwrap(), None);
        let after = Keyring::parse(&new).unwrap();
        assert_eq!(after.open("c", &resealed).unwrap(), "s");
        assert_eq!(
            after.open("c", &sealed_old),
            Err(VaultError::UnknownKey(before.current_key_id().to_owned()))
        );
        // Plain text left by an older version gets sealed.
        assert!(after.reseal("c", "whsec_x").unwrap().is_some());
    }

    #[test]
    fn bad_configuration_is_named() {
        assert_eq!(Keyring::parse("").unwrap_err(), VaultError::Empty);
        assert_eq!(
            Keyring::parse(&format!("{} short", generate_key())).unwrap_err(),
            VaultError::BadKey { position: 2 }
        );
        let file = format!("# kumbu secret key\n{}\n", generate_key());
        assert_eq!(Keyring::parse(&file).unwrap().key_ids().len(), 1);
    }

    #[test]
    fn debug_shows_ids_only() {
        let k = generate_key();
        let ring = Keyring::parse(&k).unwrap();
        let dbg = format!("{ring:?}");
        assert!(dbg.contains(ring.current_key_id()));
        assert!(!dbg.contains(&k));
    }
}
