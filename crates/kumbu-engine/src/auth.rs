//! API keys and merchants: keys are shown once, stored as SHA-256 hashes, and fix the mode.

use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::{new_id, ErrorCode, IdPrefix, Mode, Rejection, Timestamp};
use kumbu_store::{ApiKeyRecord, Merchant};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Who is calling: resolved from an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthContext {
    /// The merchant the key belongs to.
    pub merchant_id: String,
    /// The mode the key fixes.
    pub mode: Mode,
    /// The key record id (for logs; never the secret).
    pub key_id: String,
    /// The audit line a command that succeeds writes in its own transaction: a person's
    /// (the dashboard), or an API key's (set by the commands that change money or settings,
    /// [`AuthContext::or_key`]).
    pub audit: Option<AuditAs>,
    /// The API the request came through, set by the face that took it (none: the engine's own
    /// work, the dashboard, the command line). Payments and checkout sessions keep it.
    pub face: Option<kumbu_core::Face>,
}

impl AuthContext {
    /// This caller, audited: an API key's command writes `action` on `subject` (`detail` in
    /// words) to its merchant's audit log, as the key, in the command's transaction; a
    /// person's already carries their own line (kept); internal callers (no `key_…` id) are
    /// not audited.
    pub fn or_key(&self, action: &'static str, subject: &str, detail: String) -> AuthContext {
        let mut auth = self.clone();
        if auth.audit.is_none() && auth.key_id.starts_with("key_") {
            auth.audit = Some(AuditAs {
                actor: crate::Actor::Key {
                    id: auth.key_id.clone(),
                },
                action,
                subject: subject.to_owned(),
                detail,
            });
        }
        auth
    }
}

/// The audit line a person's command writes with the change it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAs {
    /// Who.
    pub actor: crate::Actor,
    /// What (`payment.refunded`, `payment.cancelled`).
    pub action: &'static str,
    /// On which object; empty for one the command creates (its render's recorded body, which
    /// the dashboard makes the new object's id, is then the subject; none when the answer is
    /// sealed, as a secret shown once is).
    pub subject: String,
    /// In words.
    pub detail: String,
}

/// A freshly created key: the secret exists only here, once.
#[derive(Debug)]
pub struct NewApiKey {
    /// The record id.
    pub id: String,
    /// The merchant.
    pub merchant_id: String,
    /// The secret (`sk_test_…` / `sk_live_…`).
    pub secret: SecretString,
}

/// What `serve` did on start to make the sandbox usable.
#[derive(Debug)]
pub enum Bootstrap {
    /// The database was empty: a sandbox merchant and its test key were created.
    Created {
        /// The sandbox merchant.
        merchant_id: String,
        /// Its test key (chosen by `KUMBU_SANDBOX_KEY` or generated).
        key: SecretString,
    },
    /// The sandbox merchant already existed.
    Existing {
        /// The sandbox merchant.
        merchant_id: String,
        /// `true` when `KUMBU_SANDBOX_KEY` was unknown and has now been added to it.
        chosen_key_added: bool,
    },
}

/// Recently verified keys, by hash, so that each request does not cost a database round trip.
/// Entries live [`AUTH_CACHE_TTL`]; a key revoked in the database stops working on every
/// process within that time (at once on the process that revoked it), and a rolled key at its
/// end exactly. Only successful lookups are cached.
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, CachedKey>>,
    /// Bumped by every [`AuthCache::forget`]: a lookup that began before a forget does not
    /// cache what it read (it may predate the revocation).
    generation: std::sync::atomic::AtomicU64,
}

/// A verified key: who it is, when it was checked, and when it stops working, if it will.
#[derive(Debug)]
struct CachedKey {
    ctx: AuthContext,
    checked: std::time::Instant,
    expires_at: Option<Timestamp>,
}

/// How long a verified key is trusted without asking the database again: a key revoked on one
/// process stops working on the others within this.
pub const AUTH_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);
const AUTH_CACHE_MAX: usize = 10_000;

impl AuthCache {
    fn get(&self, hash: &str, now: Timestamp) -> Option<AuthContext> {
        let entries = self.entries.lock().ok()?;
        let k = entries.get(hash)?;
        (k.checked.elapsed() < AUTH_CACHE_TTL && k.expires_at.is_none_or(|e| e > now))
            .then(|| k.ctx.clone())
    }

    /// The generation a lookup starts in (see [`AuthCache::put`]).
    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Caches a key read in `generation`, unless a key was forgotten since.
    fn put(&self, hash: String, ctx: AuthContext, expires_at: Option<Timestamp>, generation: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if self.generation() != generation {
                return;
            }
            if entries.len() >= AUTH_CACHE_MAX {
                entries.retain(|_, k| k.checked.elapsed() < AUTH_CACHE_TTL);
                if entries.len() >= AUTH_CACHE_MAX {
                    entries.clear();
                }
            }
            let checked = std::time::Instant::now();
            entries.insert(
                hash,
                CachedKey {
                    ctx,
                    checked,
                    expires_at,
                },
            );
        }
    }

    /// Forgets a key (revoked or rolled here: this process stops trusting it at once).
    pub(crate) fn forget(&self, hash: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            entries.remove(hash);
        }
    }
}

const SANDBOX_SETTING: &str = "sandbox_merchant_id";
const KEY_RANDOM_LEN: usize = 32;

fn key_prefix(mode: Mode) -> &'static str {
    match mode {
        Mode::Test => "sk_test_",
        Mode::Live => "sk_live_",
    }
}

/// SHA-256 of a key, hex: what is stored and looked up. Keys are 190-bit random strings, so a
/// fast hash is enough (no password stretching needed).
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A short, non-secret hint to recognise a key in listings (`sk_test_AbCd…wxyz`).
fn key_hint(secret: &str) -> String {
    let head: String = secret.chars().take(12).collect();
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}…{tail}")
}

/// The mode a key's prefix claims, if it looks like a Kumbu secret key at all.
fn mode_of(secret: &str) -> Option<Mode> {
    let rest_ok = |r: &str| {
        !r.is_empty() && r.len() <= 200 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if let Some(r) = secret.strip_prefix("sk_test_") {
        rest_ok(r).then_some(Mode::Test)
    } else if let Some(r) = secret.strip_prefix("sk_live_") {
        rest_ok(r).then_some(Mode::Live)
    } else {
        None
    }
}

impl Engine {
    /// Resolves a secret key. Unknown, revoked and malformed keys are all 401 with a message that
    /// says which.
    pub async fn authenticate(&self, secret: &str) -> Result<AuthContext, EngineError> {
        let Some(mode) = mode_of(secret) else {
            return Err(Rejection::new(
                ErrorCode::ApiKeyInvalid,
                "The API key is malformed: Kumbu secret keys start with sk_test_ or sk_live_.",
            )
            .into());
        };
        let hash = hash_key(secret);
        let now = self.now();
        if let Some(ctx) = self.inner.auth_cache.get(&hash, now) {
            return Ok(ctx);
        }
        let generation = self.inner.auth_cache.generation();
        let rec = self.inner.store.api_key_by_hash(&hash, now).await?;
        match rec {
            Some((r, expires_at)) if r.mode == mode => {
                let ctx = AuthContext {
                    merchant_id: r.merchant_id,
                    mode: r.mode,
                    key_id: r.id,
                    audit: None,
                    face: None,
                };
                // Its last use, to the minute: written when a process first checks the key,
                // so at most once per cache lifetime per process.
                if let Err(e) = self.inner.store.touch_api_key(&ctx.key_id, now).await {
                    tracing::warn!(error = %e, key = %ctx.key_id, "could not note a key's last use");
                }
                self.inner
                    .auth_cache
                    .put(hash, ctx.clone(), expires_at, generation);
                Ok(ctx)
            }
            Some(_) | None => Err(Rejection::new(
                ErrorCode::ApiKeyInvalid,
                "The API key is not valid: it is unknown or was revoked. Check for typos, or create one with `kumbu keys create`.",
            )
            .into()),
        }
    }

    /// Creates a merchant.
    pub async fn create_merchant(&self, name: &str) -> Result<Merchant, EngineError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Rejection::new(
                ErrorCode::ParameterInvalid,
                "merchant name must be 1 to 200 characters",
            )
            .into());
        }
        let m = Merchant {
            id: new_id(IdPrefix::Merchant),
            name: name.to_owned(),
            created_at: self.now(),
        };
        let mut tx = self.inner.store.begin().await?;
        tx.insert_merchant(&m).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Creates a key for a merchant in a mode; the secret is returned once and never stored.
    pub async fn create_api_key(
        &self,
        merchant_id: &str,
        mode: Mode,
    ) -> Result<NewApiKey, EngineError> {
        if self.inner.store.merchant(merchant_id).await?.is_none() {
            return Err(EngineError::not_found("merchant", merchant_id));
        }
        let secret = format!("{}{}", key_prefix(mode), random_token(KEY_RANDOM_LEN));
        self.insert_key(merchant_id, mode, &secret).await
    }

    async fn insert_key(
        &self,
        merchant_id: &str,
        mode: Mode,
        secret: &str,
    ) -> Result<NewApiKey, EngineError> {
        let mut tx = self.inner.store.begin().await?;
        let key = self
            .insert_key_in(&mut tx, merchant_id, mode, secret)
            .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Inserts a key in `tx` (with whatever else must commit with it: an audit line, the end of
    /// the key it replaces).
    async fn insert_key_in(
        &self,
        tx: &mut kumbu_store::StoreTx,
        merchant_id: &str,
        mode: Mode,
        secret: &str,
    ) -> Result<NewApiKey, EngineError> {
        let rec = ApiKeyRecord {
            id: new_id(IdPrefix::ApiKey),
            merchant_id: merchant_id.to_owned(),
            mode,
        };
        tx.insert_api_key(&rec, &hash_key(secret), &key_hint(secret), self.now())
            .await?;
        Ok(NewApiKey {
            id: rec.id,
            merchant_id: rec.merchant_id,
            secret: SecretString::from(secret.to_owned()),
        })
    }

    /// A new key of `mode` for `merchant_id`, inserted in `tx`: the secret is returned once.
    pub(crate) async fn new_key_in(
        &self,
        tx: &mut kumbu_store::StoreTx,
        merchant_id: &str,
        mode: Mode,
    ) -> Result<NewApiKey, EngineError> {
        let secret = format!("{}{}", key_prefix(mode), random_token(KEY_RANDOM_LEN));
        self.insert_key_in(tx, merchant_id, mode, &secret).await
    }

    /// Makes sure a sandbox merchant exists. On an empty database exactly one process (even
    /// among several starting together) creates it with a test key: `chosen` if given, else a
    /// new random one. Later, a `chosen` key that is not yet known is added to that merchant.
    pub async fn bootstrap_sandbox(
        &self,
        chosen: Option<&SecretString>,
    ) -> Result<Bootstrap, EngineError> {
        if let Some(k) = chosen {
            if mode_of(k.expose_secret()) != Some(Mode::Test) || k.expose_secret().len() < 24 {
                return Err(Rejection::new(
                    ErrorCode::ApiKeyInvalid,
                    "KUMBU_SANDBOX_KEY must be a test key: sk_test_ followed by at least 16 letters, digits or underscores.",
                )
                .into());
            }
        }
        let store = &self.inner.store;
        let merchant_id = new_id(IdPrefix::Merchant);
        let mut tx = store.begin().await?;
        if tx
            .insert_setting_if_absent(SANDBOX_SETTING, &merchant_id)
            .await?
        {
            let m = Merchant {
                id: merchant_id.clone(),
                name: "Sandbox merchant".to_owned(),
                created_at: self.now(),
            };
            tx.insert_merchant(&m).await?;
            let secret = match chosen {
                Some(k) => k.expose_secret().to_owned(),
                None => format!("sk_test_{}", random_token(KEY_RANDOM_LEN)),
            };
            let rec = ApiKeyRecord {
                id: new_id(IdPrefix::ApiKey),
                merchant_id: merchant_id.clone(),
                mode: Mode::Test,
            };
            tx.insert_api_key(&rec, &hash_key(&secret), &key_hint(&secret), self.now())
                .await?;
            tx.commit().await?;
            return Ok(Bootstrap::Created {
                merchant_id,
                key: SecretString::from(secret),
            });
        }
        tx.commit().await?;
        let existing = store.setting(SANDBOX_SETTING).await?.ok_or_else(|| {
            kumbu_store::StoreError::Corrupt("sandbox merchant setting vanished".into())
        })?;
        let mut chosen_key_added = false;
        if let Some(k) = chosen {
            if store
                .api_key_by_hash(&hash_key(k.expose_secret()), self.now())
                .await?
                .is_none()
            {
                self.insert_key(&existing, Mode::Test, k.expose_secret())
                    .await?;
                chosen_key_added = true;
            }
        }
        Ok(Bootstrap::Existing {
            merchant_id: existing,
            chosen_key_added,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shapes() {
        assert_eq!(mode_of("sk_test_abc"), Some(Mode::Test));
        assert_eq!(mode_of("sk_live_abc"), Some(Mode::Live));
        assert_eq!(mode_of("sk_test_"), None);
        assert_eq!(mode_of("pk_test_abc"), None);
        assert_eq!(mode_of("sk_test_a b"), None);
        assert_eq!(key_hint("sk_test_0123456789abcdef"), "sk_test_0123…cdef");
        assert_eq!(hash_key("x").len(), 64);
    }
}
