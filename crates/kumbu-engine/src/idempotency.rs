//! Idempotency-Key handling shared by every POST of every face.
//!
//! The check and the work share **one** transaction:
//!
//! 1. The transaction locks the key: on PostgreSQL with a transaction-scoped advisory lock taken
//!    without waiting, so a concurrent duplicate is told 409 at once; on SQLite the write
//!    transaction (`BEGIN IMMEDIATE`) already excludes every other writer.
//! 2. If a response is stored for the key (and younger than 24 h), it is replayed byte for byte,
//!    or, if the request differs (method, route or body), refused with `idempotency_key_reused`.
//! 3. Otherwise the work runs and its response is stored in the same transaction, so "the work
//!    happened" and "its response is recorded" are one atomic fact. If the work fails or the
//!    process dies, everything rolls back and the client may retry with the same key.

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::unit_of_work::Changes;
use crate::vault::Keyring;
use crate::Engine;
use kumbu_core::{ErrorCode, Field, Rejection};
use kumbu_store::{IdempotencyRecord, KeyRef, StoreTx};
use sha2::{Digest, Sha256};

/// The longest Idempotency-Key accepted (each character printable ASCII, no space).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The Idempotency-Key of a request and a fingerprint of what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRequest {
    /// The client's key (1–255 printable ASCII characters).
    pub key: String,
    /// Hash of method, route and body: a different request under the same key is refused.
    pub fingerprint: String,
}

impl IdempotencyRequest {
    /// Validates a key from a header.
    pub fn new(key: &str, fingerprint: String) -> Result<Self, Rejection> {
        if key.is_empty()
            || key.len() > MAX_IDEMPOTENCY_KEY_LEN
            || !key.bytes().all(|b| (0x21..0x7f).contains(&b))
        {
            return Err(Rejection::field(
                ErrorCode::IdempotencyKeyInvalid,
                Field::IdempotencyKey,
                "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces (a UUID is a good choice).",
            ));
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint,
        })
    }
}

/// A response as a face rendered it: stored for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// HTTP status.
    pub status: u16,
    /// Body bytes (JSON text).
    pub body: String,
}

/// What a face sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The response.
    pub response: Recorded,
    /// `true` when this is a replay of an earlier request with the same key.
    pub replayed: bool,
}

/// How a command's work ended. Both verdicts commit the transaction (a refusal may carry
/// changes, such as expiring an overdue payment); an `Err` from the work rolls it back.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Done: this response is sent (and stored under the Idempotency-Key).
    Done(Recorded),
    /// Done, and the response shows a secret (a webhook signing secret, say): it is sent, and
    /// its copy stored for replay is sealed.
    Shows(Recorded),
    /// Refused after changing something that must stand; nothing is stored under the key.
    Refused(EngineError),
}

/// A 64-bit lock id for a key of a merchant in a mode.
fn lock_id(auth: &AuthContext, key: &str) -> i64 {
    let mut h = Sha256::new();
    for part in [auth.merchant_id.as_str(), auth.mode.as_str(), key] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// What a stored response that shows a secret is sealed as.
fn replay_context(auth: &AuthContext, key: &str) -> String {
    format!(
        "idempotency:{}:{}:{key}",
        auth.merchant_id,
        auth.mode.as_str()
    )
}

impl Engine {
    /// Runs `work` in a transaction under the idempotency protocol above, then commits (or rolls
    /// back at once, releasing row and key locks before the client hears of the failure).
    pub(crate) async fn idempotent<F>(
        &self,
        auth: &AuthContext,
        idem: Option<&IdempotencyRequest>,
        work: F,
    ) -> Result<Outcome, EngineError>
    where
        F: AsyncFnOnce(&mut StoreTx, &mut Changes) -> Result<Verdict, EngineError>,
    {
        let mut tx = self.begin().await?;
        if let Some(req) = idem {
            let k = KeyRef {
                merchant_id: &auth.merchant_id,
                mode: auth.mode,
                key: &req.key,
            };
            if !tx.try_lock(lock_id(auth, &req.key)).await? {
                tx.rollback().await?;
                return Err(EngineError::field(
                    ErrorCode::IdempotencyKeyInUse,
                    Field::IdempotencyKey,
                    format!(
                        "A request with Idempotency-Key `{}` is still being processed; retry shortly to get its result.",
                        req.key
                    ),
                ));
            }
            let forget_before = self.now().minus(self.config().idempotency_ttl);
            if let Some(rec) = tx.idempotency_record(k, forget_before).await? {
                tx.rollback().await?;
                if rec.fingerprint != req.fingerprint {
                    return Err(EngineError::field(
                        ErrorCode::IdempotencyKeyReused,
                        Field::IdempotencyKey,
                        format!(
                            "Idempotency-Key `{}` was already used with different parameters; use a new key for a new request.",
                            req.key
                        ),
                    ));
                }
                let body = if Keyring::is_sealed(&rec.body) {
                    self.open(&replay_context(auth, &req.key), &rec.body)?
                } else {
                    rec.body
                };
                return Ok(Outcome {
                    response: Recorded {
                        status: rec.status,
                        body,
                    },
                    replayed: true,
                });
            }
        }
        let mut changes = self.changes();
        let verdict = match work(&mut tx, &mut changes).await {
            Ok(v) => v,
            Err(e) => {
                if let Err(rb) = tx.rollback().await {
                    tracing::warn!(error = %rb, "rollback failed");
                }
                return Err(e);
            }
        };
        let (response, sealed) = match verdict {
            Verdict::Done(response) => (response, false),
            Verdict::Shows(response) => (response, true),
            Verdict::Refused(refusal) => {
                self.commit(tx).await?;
                changes.publish_metrics();
                return Err(refusal);
            }
        };
        if let Some(a) = &auth.audit {
            // An object the command creates has no id before it: its render records the id;
            // never what a sealed answer holds (a secret shown once).
            let body = response.body.as_str();
            let an_id =
                body.len() <= 64 && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            let subject = match (a.subject.as_str(), sealed) {
                ("", false) if an_id => Some(body),
                ("", _) => None,
                (named, _) => Some(named),
            };
            self.audit(
                &mut tx,
                &auth.merchant_id,
                &a.actor,
                a.action,
                subject,
                a.detail.clone(),
            )
            .await?;
        }
        if let Some(req) = idem {
            let k = KeyRef {
                merchant_id: &auth.merchant_id,
                mode: auth.mode,
                key: &req.key,
            };
            let rec = IdempotencyRecord {
                fingerprint: req.fingerprint.clone(),
                status: response.status,
                body: if sealed {
                    self.seal(&replay_context(auth, &req.key), &response.body)
                } else {
                    response.body.clone()
                },
            };
            tx.insert_idempotency_record(k, &rec, self.now()).await?;
        }
        self.commit(tx).await?;
        changes.publish_metrics();
        Ok(Outcome {
            response,
            replayed: false,
        })
    }
}
