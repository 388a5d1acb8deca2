//! The simulator's RSA key pair: clients encrypt their API key under its public key (as they do
//! under Vodacom's), and the simulator decrypts the Bearer to check it.

use base64::Engine as _;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use std::sync::OnceLock;

/// The key pair.
#[derive(Clone)]
pub struct Keys {
    private: RsaPrivateKey,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("public", &self.public_base64())
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// A new 2048-bit key pair (Vodacom's are 4096-bit; the Bearer's shape is the same).
    pub fn generate() -> Self {
        Self {
            private: RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
                .expect("a 2048-bit RSA key is always made"),
        }
    }

    /// A key pair read from a PKCS#8 PEM private key (`openssl genpkey -algorithm RSA`).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        RsaPrivateKey::from_pkcs8_pem(pem)
            .map(|private| Self { private })
            .map_err(|e| format!("not a PKCS#8 PEM RSA private key: {e}"))
    }

    /// One key pair per process, for tests (making one takes a moment).
    pub fn for_tests() -> Self {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(Self::generate).clone()
    }

    /// The public key as Vodacom's portal shows one: base64 of its DER SubjectPublicKeyInfo.
    pub fn public_base64(&self) -> String {
        let der = self
            .private
            .to_public_key()
            .to_public_key_der()
            .expect("an RSA public key encodes");
        base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
    }

    /// The API key a Bearer carries, if it was encrypted under our public key.
    pub fn open_bearer(&self, bearer: &str) -> Option<String> {
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(bearer.trim())
            .ok()?;
        let plain = self.private.decrypt(Pkcs1v15Encrypt, &sealed).ok()?;
        String::from_utf8(plain).ok()
    }
}
