//! A merchant's API keys as its people manage them: listed (with their last use, never the
//! secret), created (the secret shown once), rolled with an overlap, revoked. Each change is
//! written to the audit log in its transaction. A key that moves live money needs the person's
//! second factor to be made.

use crate::auth::NewApiKey;
use crate::error::EngineError;
use crate::people::DashboardActor;
use crate::Engine;
use kumbu_core::{Action, ErrorCode, Field, Mode, Rejection};
use kumbu_store::{ApiKeyRow, KeyEnd};
use std::time::Duration;

/// Longest overlap a roll may give the old key.
pub const MAX_ROLL_OVERLAP: Duration = Duration::from_secs(7 * 24 * 3600);

impl Engine {
    /// A merchant's keys, newest first.
    pub async fn api_keys(&self, merchant_id: &str) -> Result<Vec<ApiKeyRow>, EngineError> {
        Ok(self.store().api_keys(merchant_id).await?)
    }

    /// Creates a key of `mode` for the person's merchant: the secret is returned once. The key
    /// and its audit line commit together.
    pub async fn create_key_as(
        &self,
        by: &DashboardActor,
        mode: Mode,
    ) -> Result<NewApiKey, EngineError> {
        by.require(Action::ManageDevelopers)?;
        require_second_factor_for(by, mode)?;
        let mut tx = self.begin().await?;
        let key = self
            .new_key_in(&mut tx, &by.person.merchant_id, mode)
            .await?;
        self.audit(
            &mut tx,
            &by.person.merchant_id,
            &by.actor(),
            "key.created",
            Some(&key.id),
            format!("{} key", mode.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Revokes a key now (every process stops taking it within [`crate::AUTH_CACHE_TTL`], this
    /// one at once).
    pub async fn revoke_key_as(
        &self,
        by: &DashboardActor,
        key_id: &str,
    ) -> Result<(), EngineError> {
        by.require(Action::ManageDevelopers)?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some(hash) = tx
            .end_api_key(&by.person.merchant_id, key_id, KeyEnd::Revoke(now))
            .await?
        else {
            return Err(EngineError::not_found("API key", key_id));
        };
        self.audit(
            &mut tx,
            &by.person.merchant_id,
            &by.actor(),
            "key.revoked",
            Some(key_id),
            String::new(),
        )
        .await?;
        tx.commit().await?;
        self.inner.auth_cache.forget(&hash);
        Ok(())
    }

    /// Rolls a key that still works: a new one of the same mode (returned once) works at once,
    /// and the old one until `overlap` has passed (zero: it is revoked now), time to deploy the
    /// new one. The new key, the old one's end and the audit line commit together.
    pub async fn roll_key_as(
        &self,
        by: &DashboardActor,
        key_id: &str,
        overlap: Duration,
    ) -> Result<NewApiKey, EngineError> {
        by.require(Action::ManageDevelopers)?;
        if overlap > MAX_ROLL_OVERLAP {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::Id,
                "a rolled key works on for at most 7 days",
            ));
        }
        let now = self.now();
        let Some(old) = self
            .api_keys(&by.person.merchant_id)
            .await?
            .into_iter()
            .find(|k| k.id == key_id)
            .filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now))
        else {
            return Err(EngineError::not_found("working API key", key_id));
        };
        require_second_factor_for(by, old.mode)?;
        let end = if overlap.is_zero() {
            KeyEnd::Revoke(now)
        } else {
            KeyEnd::ExpireAt(now.plus(overlap))
        };
        let mut tx = self.begin().await?;
        // Ended first: a key ended meanwhile (revoked, rolled) refuses the roll, and nothing is
        // made.
        let Some(hash) = tx.end_api_key(&by.person.merchant_id, key_id, end).await? else {
            tx.rollback().await?;
            return Err(EngineError::not_found("working API key", key_id));
        };
        let new = self
            .new_key_in(&mut tx, &by.person.merchant_id, old.mode)
            .await?;
        self.audit(
            &mut tx,
            &by.person.merchant_id,
            &by.actor(),
            "key.rolled",
            Some(key_id),
            format!("replaced by {}; works {} s more", new.id, overlap.as_secs()),
        )
        .await?;
        tx.commit().await?;
        // Read again at its next use, with its end (other processes within the cache's life).
        self.inner.auth_cache.forget(&hash);
        Ok(new)
    }
}

/// A live key moves money: making one takes a session that gave its second factor.
fn require_second_factor_for(by: &DashboardActor, mode: Mode) -> Result<(), EngineError> {
    match mode {
        Mode::Test => Ok(()),
        Mode::Live if by.second_factor => Ok(()),
        Mode::Live => Err(EngineError::Rejected(Rejection::new(
            ErrorCode::NotPermitted,
            "live keys move real money: turn on two-step verification (Security) and sign in with it first",
        ))),
    }
}
