//! The second factor: TOTP (RFC 6238, any authenticator app) with ten single-use recovery
//! codes. Enrolment shows a secret, sealed and kept aside until a code from it is typed back;
//! a code is good once (the last step used is kept), and every wrong one counts as a failed
//! sign-in (six digits would otherwise fall to patience).

use super::sign_in::{person_actor, DashboardSession};
use crate::auth::hash_key;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::{totp, ErrorCode, Field, Rejection};
use kumbu_store::{PersonRecord, TOTP_SECRET};
use rand::RngCore;

/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;

/// A TOTP secret shown for enrolment.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://` URI (for a QR code).
    pub uri: String,
}

/// What a second-factor code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right: the session may go on.
    Accepted,
    /// Wrong (or a code already used).
    Refused,
    /// Too many failures: wait this long.
    Wait(std::time::Duration),
}

fn code_refused() -> EngineError {
    EngineError::Rejected(Rejection::field(
        ErrorCode::ParameterInvalid,
        Field::Code,
        "that code is not right: type the six digits your app shows now",
    ))
}

impl Engine {
    fn now_step(&self) -> i64 {
        totp::step_at(self.now().unix_seconds())
    }

    /// Starts (or restarts) enrolment: a fresh secret, kept aside until confirmed.
    pub async fn begin_enrolment(
        &self,
        session: &DashboardSession,
    ) -> Result<Enrolment, EngineError> {
        let mut secret = [0u8; totp::SECRET_LEN];
        rand::thread_rng().fill_bytes(&mut secret);
        let p = &session.actor.person;
        let mut tx = self.begin().await?;
        let Some(mut rec) = tx.lock_person(&p.id).await? else {
            return Err(EngineError::not_found("person", &p.id));
        };
        rec.totp_pending = Some(self.seal(&TOTP_SECRET.context(&rec.id), &totp::base32(&secret)));
        tx.save_person(&rec).await?;
        tx.commit().await?;
        let merchant = self
            .store()
            .merchant(&rec.merchant_id)
            .await?
            .map_or_else(String::new, |m| m.name);
        Ok(Enrolment {
            secret: totp::base32(&secret),
            uri: totp::otpauth_uri(&secret, &format!("Kumbu {merchant}"), &rec.email),
        })
    }

    /// Confirms enrolment with a code from the new secret: the second factor is on, this session
    /// has given it, and the recovery codes (shown once) are returned.
    pub async fn confirm_enrolment(
        &self,
        session: &DashboardSession,
        code: &str,
    ) -> Result<Vec<String>, EngineError> {
        let p = &session.actor.person;
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some(mut rec) = tx.lock_person(&p.id).await? else {
            return Err(EngineError::not_found("person", &p.id));
        };
        let Some(pending) = rec.totp_pending.clone() else {
            return Err(code_refused());
        };
        let secret = self.totp_bytes(&rec, &pending)?;
        let Some(step) = totp::verify(&secret, code, self.now_step()) else {
            tx.rollback().await?;
            return Err(code_refused());
        };
        rec.totp_secret = Some(pending);
        rec.totp_pending = None;
        rec.totp_last_step = Some(step);
        tx.save_person(&rec).await?;
        let codes = self.new_recovery_codes(&mut tx, &rec.id).await?;
        tx.set_second_factor(&session.token_hash, now).await?;
        self.audit(
            &mut tx,
            &rec.merchant_id,
            &session.actor.actor(),
            "person.two_factor_enabled",
            Some(&rec.id),
            String::new(),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Checks the second factor of a session opened by password: a TOTP code (not used
    /// before) or an unused recovery code. Wrong codes count as failed sign-ins.
    pub async fn give_second_factor(
        &self,
        session: &DashboardSession,
        code: &str,
    ) -> Result<CodeCheck, EngineError> {
        let p = &session.actor.person;
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some(mut rec) = tx.lock_person(&p.id).await? else {
            return Ok(CodeCheck::Refused);
        };
        if let Some(wait) = self.wait_for(&rec) {
            return Ok(CodeCheck::Wait(wait));
        }
        let Some(sealed) = rec.totp_secret.clone() else {
            return Ok(CodeCheck::Refused);
        };
        let secret = self.totp_bytes(&rec, &sealed)?;
        let by_app = totp::verify(&secret, code, self.now_step())
            .filter(|s| rec.totp_last_step.is_none_or(|last| *s > last));
        let how = match by_app {
            Some(step) => {
                rec.totp_last_step = Some(step);
                "second factor"
            }
            None => {
                let normal: String = code
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if normal.len() != RECOVERY_LEN
                    || !tx
                        .use_recovery_code(&rec.id, &hash_key(&normal), now)
                        .await?
                {
                    tx.rollback().await?;
                    self.sign_in_failed(&p.id, &session.actor.source, "second-factor code")
                        .await?;
                    return Ok(CodeCheck::Refused);
                }
                "recovery code"
            }
        };
        rec.failed_sign_ins = 0;
        tx.save_person(&rec).await?;
        tx.set_second_factor(&session.token_hash, now).await?;
        self.audit(
            &mut tx,
            &rec.merchant_id,
            &person_actor(&rec, &session.actor.source),
            "session.signed_in",
            Some(&rec.id),
            format!("password and {how}"),
        )
        .await?;
        tx.commit().await?;
        Ok(CodeCheck::Accepted)
    }

    /// Ten new recovery codes for the signed-in person (the old ones stop working).
    pub async fn regenerate_recovery_codes(
        &self,
        session: &DashboardSession,
    ) -> Result<Vec<String>, EngineError> {
        let p = &session.actor.person;
        let mut tx = self.begin().await?;
        let codes = self.new_recovery_codes(&mut tx, &p.id).await?;
        self.audit(
            &mut tx,
            &p.merchant_id,
            &session.actor.actor(),
            "person.recovery_codes_regenerated",
            Some(&p.id),
            String::new(),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    async fn new_recovery_codes(
        &self,
        tx: &mut kumbu_store::StoreTx,
        person_id: &str,
    ) -> Result<Vec<String>, EngineError> {
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| random_token(RECOVERY_LEN).to_ascii_lowercase())
            .collect();
        let hashes: Vec<String> = codes.iter().map(|c| hash_key(c)).collect();
        tx.replace_recovery_codes(person_id, &hashes).await?;
        // Shown in two groups of five, easier to copy by hand.
        Ok(codes
            .into_iter()
            .map(|c| format!("{}-{}", &c[..5], &c[5..]))
            .collect())
    }

    fn totp_bytes(&self, rec: &PersonRecord, sealed: &str) -> Result<Vec<u8>, EngineError> {
        let text = self.open(&TOTP_SECRET.context(&rec.id), sealed)?;
        totp::from_base32(&text).ok_or_else(|| {
            EngineError::Store(kumbu_store::StoreError::Corrupt(format!(
                "the second factor of {} is not base32",
                rec.id
            )))
        })
    }
}

/// Characters of a recovery code (lower-case letters and digits; about 51 bits).
const RECOVERY_LEN: usize = 10;
