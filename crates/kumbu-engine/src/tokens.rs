//! Client credentials and access tokens, for faces that authenticate with a token exchange
//! (Adullam's `/auth/token` and `/oauth/token`). The secret and every token are stored as
//! SHA-256 hashes; a token lives [`ACCESS_TOKEN_TTL`]; revoking a credential revokes its tokens.

use crate::auth::{hash_key, AuthContext};
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::{new_id, ErrorCode, IdPrefix, Mode, Msisdn, Rejection};
use kumbu_store::CredentialRecord;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// How long an access token works.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// A credential just created: the secret exists only here.
#[derive(Debug)]
pub struct NewCredential {
    /// The client id (`cli_…`).
    pub client_id: String,
    /// The client secret, shown once.
    pub client_secret: SecretString,
    /// The phone it may also be named by.
    pub phone: Option<String>,
}

/// An access token just issued.
#[derive(Debug)]
pub struct IssuedToken {
    /// The bearer token, shown once.
    pub token: SecretString,
    /// Seconds it lives.
    pub expires_in: u64,
    /// The merchant (Adullam's partner) it acts for.
    pub merchant_id: String,
}

fn refused() -> EngineError {
    EngineError::Rejected(Rejection::new(
        ErrorCode::ApiKeyInvalid,
        "The credentials are wrong or revoked.",
    ))
}

/// Compares two hex digests without leaking where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Engine {
    /// Issues a client credential for a merchant and mode, optionally also named by a phone.
    pub async fn create_credential(
        &self,
        merchant_id: &str,
        mode: Mode,
        phone: Option<Msisdn>,
    ) -> Result<NewCredential, EngineError> {
        if self.store().merchant(merchant_id).await?.is_none() {
            return Err(EngineError::not_found("merchant", merchant_id));
        }
        // `csec_`, not `cs_` (a checkout session's id): a secret pasted in the wrong place is told
        // apart at a glance. Secrets issued as `cs_…` before keep working (only the hash counts).
        let secret = format!("csec_{}", random_token(40));
        let rec = CredentialRecord {
            id: new_id(IdPrefix::Client),
            merchant_id: merchant_id.to_owned(),
            mode,
            phone: phone.map(|p| p.to_string()),
            secret_hash: hash_key(&secret),
            revoked_at: None,
        };
        self.store().insert_credential(&rec, self.now()).await?;
        Ok(NewCredential {
            client_id: rec.id,
            client_secret: SecretString::from(secret),
            phone: rec.phone,
        })
    }

    /// Exchanges a client id (or phone) and secret for an access token.
    pub async fn issue_access_token(
        &self,
        client: &str,
        secret: &SecretString,
    ) -> Result<IssuedToken, EngineError> {
        // The secret is hashed whether or not the client exists, so timing does not tell.
        let presented = hash_key(secret.expose_secret());
        let c = self.store().credential(client).await?;
        let Some(c) = c.filter(|c| c.revoked_at.is_none() && same(&c.secret_hash, &presented))
        else {
            return Err(refused());
        };
        let token = format!("at_{}", random_token(48));
        let now = self.now();
        self.store()
            .insert_access_token(&hash_key(&token), &c, now, now.plus(ACCESS_TOKEN_TTL))
            .await?;
        Ok(IssuedToken {
            token: SecretString::from(token),
            expires_in: ACCESS_TOKEN_TTL.as_secs(),
            merchant_id: c.merchant_id,
        })
    }

    /// The caller behind a live access token.
    pub async fn authenticate_token(&self, token: &str) -> Result<AuthContext, EngineError> {
        let (merchant_id, mode, key_id) = self
            .store()
            .token_owner(&hash_key(token), self.now())
            .await?
            .ok_or_else(|| {
                EngineError::Rejected(Rejection::new(
                    ErrorCode::ApiKeyInvalid,
                    "The access token is unknown, expired or revoked: get a new one from /v1/auth/token.",
                ))
            })?;
        Ok(AuthContext {
            merchant_id,
            mode,
            key_id,
            audit: None,
            face: None,
        })
    }

    /// Revokes a credential and its tokens; `false` if it did not exist or was revoked already.
    pub async fn revoke_credential(&self, client_id: &str) -> Result<bool, EngineError> {
        Ok(self
            .store()
            .revoke_credential(client_id, self.now())
            .await?)
    }
}
