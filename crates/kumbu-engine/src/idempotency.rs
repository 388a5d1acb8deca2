//! Idempotency-Key handling shared by every POST of every face.
//!
//! 1. The key is *claimed* in its own committed transaction, so a concurrent duplicate sees it
//!    at once and gets 409 instead of doing the work twice.
//! 2. The work runs; its transaction also stores the response the face rendered, so "the work
//!    happened" and "the response is recorded" are one atomic fact.
//! 3. A later request with the same key and the same fingerprint gets that response replayed
//!    byte for byte for 24 hours; with a different fingerprint, `idempotency_key_reused`.
//!
//! If the work fails, the claim is released so the client may retry with the same key; if the
//! process dies mid-request, the claim's lease expires and a retry takes it over (nothing was
//! committed, so nothing is done twice).

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::{ErrorCode, Field, Rejection};
use kumbu_store::{ClaimRef, ClaimRequest, IdempotencyClaim, StoreError, StoreTx};
use std::future::Future;

/// The Idempotency-Key of a request and a fingerprint of what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRequest {
    /// The client's key (1–255 printable ASCII characters).
    pub key: String,
    /// Hash of method, route and body: a different request under the same key is refused.
    pub fingerprint: String,
    /// This request's claim token: only its holder may complete or release the claim.
    token: String,
}

impl IdempotencyRequest {
    /// Validates a key from a header.
    pub fn new(key: &str, fingerprint: String) -> Result<Self, Rejection> {
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(Rejection::field(
                ErrorCode::IdempotencyKeyInvalid,
                Field::IdempotencyKey,
                "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces (a UUID is a good choice).",
            ));
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint,
            token: random_token(24),
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

/// Passed into a command's transaction so it can record the response atomically.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Completion<'a> {
    claim: Option<ClaimRef<'a>>,
}

impl Completion<'_> {
    /// Stores `response` for the claimed key (if any) inside `tx`. If the claim was lost (its
    /// lease expired and another request took the key), the work is refused and rolls back.
    pub(crate) async fn record(
        &self,
        tx: &mut StoreTx,
        response: &Recorded,
    ) -> Result<(), EngineError> {
        let Some(claim) = &self.claim else {
            return Ok(());
        };
        match tx
            .complete_idempotency_key(claim, response.status, &response.body)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::ClaimLost) => Err(in_use(claim.key)),
            Err(e) => Err(e.into()),
        }
    }
}

fn in_use(key: &str) -> EngineError {
    EngineError::field(
        ErrorCode::IdempotencyKeyInUse,
        Field::IdempotencyKey,
        format!("A request with Idempotency-Key `{key}` is still being processed; retry shortly to get its result."),
    )
}

impl Engine {
    /// Runs `work` under the idempotency protocol above.
    pub(crate) async fn idempotent<'a, F, Fut>(
        &self,
        auth: &'a AuthContext,
        idem: Option<&'a IdempotencyRequest>,
        work: F,
    ) -> Result<Outcome, EngineError>
    where
        F: FnOnce(Completion<'a>) -> Fut,
        Fut: Future<Output = Result<Recorded, EngineError>>,
    {
        let Some(req) = idem else {
            let response = work(Completion { claim: None }).await?;
            return Ok(Outcome {
                response,
                replayed: false,
            });
        };
        let store = &self.inner.store;
        let cfg = &self.inner.config;
        let now = self.now();
        let token = req.token.as_str();
        let claimed = store
            .claim_idempotency_key(&ClaimRequest {
                merchant_id: &auth.merchant_id,
                mode: auth.mode,
                key: &req.key,
                fingerprint: &req.fingerprint,
                token,
                now,
                lease_until: now.plus(cfg.idempotency_lease),
                forget_before: now.minus(cfg.idempotency_ttl),
            })
            .await;
        match claimed {
            Ok(IdempotencyClaim::Claimed) => {}
            Ok(IdempotencyClaim::Exists(rec)) if rec.fingerprint != req.fingerprint => {
                return Err(EngineError::field(
                    ErrorCode::IdempotencyKeyReused,
                    Field::IdempotencyKey,
                    format!(
                        "Idempotency-Key `{}` was already used with different parameters; use a new key for a new request.",
                        req.key
                    ),
                ));
            }
            Ok(IdempotencyClaim::Exists(rec)) => {
                return match rec.response {
                    Some((status, body)) => Ok(Outcome {
                        response: Recorded { status, body },
                        replayed: true,
                    }),
                    None => Err(in_use(&req.key)),
                };
            }
            Err(StoreError::ClaimLost) => return Err(in_use(&req.key)),
            Err(e) => return Err(e.into()),
        }
        let claim = ClaimRef {
            merchant_id: &auth.merchant_id,
            mode: auth.mode,
            key: &req.key,
            token,
        };
        match work(Completion { claim: Some(claim) }).await {
            Ok(response) => Ok(Outcome {
                response,
                replayed: false,
            }),
            Err(e) => {
                if let Err(release) = store
                    .release_idempotency_key(&auth.merchant_id, auth.mode, &req.key, token)
                    .await
                {
                    tracing::warn!(error = %release, "could not release idempotency key; its lease will expire");
                }
                Err(e)
            }
        }
    }
}
