//! The engine's use of the [`Keyring`]: sealing secrets for storage, opening them for use, and
//! checking at start-up that this process holds the key the database was sealed with.

use crate::error::EngineError;
use crate::vault::{Keyring, VaultError};
use crate::Engine;
use kumbu_store::{StoreError, SEALED_COLUMNS, SEALED_SETTING};

/// The setting that proves a keyring matches the database: a sealed constant.
const KEY_CHECK: &str = "secret_key_check";
const KEY_CHECK_PLAIN: &str = "kumbu secret key check";

/// Why start-up refused the configured secret key.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The database was sealed with a key this process was not given.
    #[error(
        "this database's secrets are sealed with secret key {sealed_with}, but this process holds \
         {held}: give every kumbu process on one database the same key (KUMBU_SECRET_KEY or \
         --secret-key-file); during a rotation list the new key first and the old one after it"
    )]
    WrongKey {
        /// Key id named by the database.
        sealed_with: String,
        /// Key ids this process holds.
        held: String,
    },
    /// A sealed value is damaged.
    #[error("a sealed secret in {what} is damaged: {source}")]
    Damaged {
        /// Where.
        what: String,
        /// Why.
        source: VaultError,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Engine {
    /// Seals a secret for the record named by `context`.
    pub(crate) fn seal(&self, context: &str, plain: &str) -> String {
        self.inner.keyring.seal(context, plain)
    }

    /// Opens a sealed secret; a failure is ours (a 500), never the client's. A value in clear
    /// (written by a process of a version before sealing, during a rolling upgrade) is used as
    /// it is and sealed at the next start-up.
    pub(crate) fn open(&self, context: &str, sealed: &str) -> Result<String, EngineError> {
        if !Keyring::is_sealed(sealed) {
            tracing::warn!(
                context,
                "a secret is stored in clear; it will be sealed at the next start-up"
            );
            return Ok(sealed.to_owned());
        }
        self.inner.keyring.open(context, sealed).map_err(|e| {
            EngineError::Store(StoreError::Corrupt(format!("cannot open {context}: {e}")))
        })
    }

    /// Checks at start-up that this process holds the key the database's secrets are sealed
    /// with, then reseals under the current key whatever is not (plain text from an older version,
    /// or values sealed under a key that is now second in the ring). Returns how many values were
    /// resealed.
    pub async fn prepare_secrets(&self) -> Result<usize, KeyringError> {
        let ring = &self.inner.keyring;
        let store = self.store();
        let check_ctx = SEALED_SETTING.context(KEY_CHECK);
        let stored = store
            .setting_or_insert(KEY_CHECK, &ring.seal(&check_ctx, KEY_CHECK_PLAIN))
            .await?;
        match ring.open(&check_ctx, &stored) {
            Ok(_) => {}
            Err(VaultError::UnknownKey(id)) => {
                return Err(KeyringError::WrongKey {
                    sealed_with: id,
                    held: ring.key_ids().join(", "),
                })
            }
            Err(source @ (VaultError::Corrupt | VaultError::BadKey { .. } | VaultError::Empty)) => {
                return Err(KeyringError::Damaged {
                    what: format!("setting {KEY_CHECK}"),
                    source,
                })
            }
        }
        let mut resealed = 0;
        for col in SEALED_COLUMNS {
            for (key, value) in store.values_to_reseal(col, ring.current_key_id()).await? {
                let ctx = col.context(&key);
                let fresh = ring.reseal(&ctx, &value).map_err(|source| match source {
                    VaultError::UnknownKey(id) => KeyringError::WrongKey {
                        sealed_with: id,
                        held: ring.key_ids().join(", "),
                    },
                    VaultError::Corrupt | VaultError::BadKey { .. } | VaultError::Empty => {
                        KeyringError::Damaged {
                            what: format!("{}.{} of {key}", col.table, col.column),
                            source,
                        }
                    }
                })?;
                if let Some(fresh) = fresh {
                    if store.replace_sealed(col, &key, &value, &fresh).await? {
                        resealed += 1;
                    }
                }
            }
        }
        if resealed > 0 {
            tracing::info!(
                resealed,
                key = ring.current_key_id(),
                "resealed stored secrets under the current secret key"
            );
        }
        Ok(resealed)
    }

    /// A tag authenticating `data` for a later [`Engine::verify_mac`] (CSRF tokens of pages).
    pub fn mac(&self, data: &[u8]) -> String {
        self.inner.keyring.mac(data)
    }

    /// Whether `tag` authenticates `data` (under any key of the ring).
    pub fn verify_mac(&self, data: &[u8], tag: &str) -> bool {
        self.inner.keyring.verify_mac(data, tag)
    }

    /// The id of the key new secrets are sealed with (safe to show).
    pub fn secret_key_id(&self) -> &str {
        self.inner.keyring.current_key_id()
    }
}
