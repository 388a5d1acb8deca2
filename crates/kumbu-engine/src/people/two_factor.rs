//! The second factor: TOTP (RFC 6238, any authenticator app) with ten single-use recovery
//! codes. Enrolment shows a secret, carried in the form sealed to the session, and stores it
//! only when a code from it comes back with the person's password (a stolen session alone
//! cannot enrol an authenticator of its own); a code is good once (the last step used is kept),
//! and every wrong one counts against the person (six digits would otherwise fall to patience).

use super::sign_in::{person_actor, DashboardSession};
use super::verify_password;
use crate::auth::hash_key;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::{totp, ErrorCode, Field, Rejection};
use kumbu_store::{PersonRecord, StoreTx, TOTP_SECRET};
use rand::RngCore;
use secrecy::SecretString;

/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;

/// A TOTP secret shown for enrolment. Nothing is stored until a code from it comes back with
/// the person's password: the secret travels in the form, sealed to the session.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://` URI (for a QR code).
    pub uri: String,
    /// The secret sealed to this session, for the form's hidden field.
    pub sealed: String,
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

fn refused(field: Field, message: &str) -> EngineError {
    EngineError::Rejected(Rejection::field(
        ErrorCode::ParameterInvalid,
        field,
        message,
    ))
}

/// What an enrolment's secret is sealed as: bound to the session that was shown it.
fn enrolment_context(session: &DashboardSession) -> String {
    format!("totp-enrolment:{}", session.token_hash)
}

impl Engine {
    fn now_step(&self) -> i64 {
        totp::step_at(self.now().unix_seconds())
    }

    /// A fresh secret to enrol, shown to the person (nothing is written).
    pub async fn begin_enrolment(
        &self,
        session: &DashboardSession,
    ) -> Result<Enrolment, EngineError> {
        let mut secret = [0u8; totp::SECRET_LEN];
        rand::thread_rng().fill_bytes(&mut secret);
        let p = &session.actor.person;
        let merchant = self
            .store()
            .merchant(&p.merchant_id)
            .await?
            .map_or_else(String::new, |m| m.name);
        let text = totp::base32(&secret);
        Ok(Enrolment {
            sealed: self.seal(&enrolment_context(session), &text),
            uri: totp::otpauth_uri(&secret, &format!("Kumbu {merchant}"), &p.email),
            secret: text,
        })
    }

    /// Confirms enrolment of the secret `sealed` (from the form) with the person's password and
    /// a code from the new secret: the second factor is on (replacing any earlier one, whose
    /// other sessions end), this session has given it, and the recovery codes (shown once) are
    /// returned. A wrong password or code counts as a failed second factor.
    pub async fn confirm_enrolment(
        &self,
        session: &DashboardSession,
        sealed: &str,
        code: &str,
        password: SecretString,
    ) -> Result<Vec<String>, EngineError> {
        let text = self
            .open(&enrolment_context(session), sealed)
            .map_err(|_| refused(Field::Code, "this form has expired: reload the page"))?;
        let secret = totp::from_base32(&text)
            .ok_or_else(|| refused(Field::Code, "this form has expired: reload the page"))?;
        let p = &session.actor.person;
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some(mut rec) = tx.lock_person(&p.id).await? else {
            return Err(EngineError::not_found("person", &p.id));
        };
        if let Some(wait) = self.wait_for(&rec) {
            return Err(EngineError::Rejected(Rejection::field(
                ErrorCode::RateLimited,
                Field::Code,
                format!("too many tries: try again in {} s", wait.as_secs().max(1)),
            )));
        }
        let right_password =
            verify_password(password, rec.password_hash.clone().unwrap_or_default()).await;
        let step = totp::verify(&secret, code, self.now_step());
        let (true, Some(step)) = (right_password, step) else {
            self.count_code_failure(
                &mut tx,
                &mut rec,
                &session.actor.source,
                "password or code at enrolment",
            )
            .await?;
            tx.commit().await?;
            return Err(if right_password {
                refused(
                    Field::Code,
                    "that code is not right: type the six digits your app shows now",
                )
            } else {
                refused(Field::Password, "that is not your password")
            });
        };
        let replaced = rec.totp_secret.is_some();
        rec.totp_secret = Some(self.seal(&TOTP_SECRET.context(&rec.id), &text));
        rec.totp_pending = None;
        rec.totp_last_step = Some(step);
        rec.failed_sign_ins = 0;
        tx.save_person(&rec).await?;
        let codes = self.new_recovery_codes(&mut tx, &rec.id).await?;
        if replaced {
            // A new authenticator: every other session of theirs ends.
            tx.end_other_dashboard_sessions(&rec.id, &session.token_hash, now)
                .await?;
        }
        tx.set_second_factor(&session.token_hash, now).await?;
        self.audit(
            &mut tx,
            &rec.merchant_id,
            &session.actor.actor(),
            if replaced {
                "person.two_factor_replaced"
            } else {
                "person.two_factor_enabled"
            },
            Some(&rec.id),
            String::new(),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Counts a wrong code (or password where a code is asked) against the person, in `tx`,
    /// and logs it for their owners to see.
    async fn count_code_failure(
        &self,
        tx: &mut kumbu_store::StoreTx,
        rec: &mut PersonRecord,
        source: &str,
        what: &str,
    ) -> Result<(), EngineError> {
        rec.failed_sign_ins += 1;
        rec.last_failed_at = Some(self.now());
        tx.save_person(rec).await?;
        self.audit(
            tx,
            &rec.merchant_id,
            &person_actor(rec, source),
            "session.sign_in_failed",
            Some(&rec.id),
            format!("wrong {what} ({} in a row)", rec.failed_sign_ins),
        )
        .await?;
        tracing::info!(person = %rec.id, failures = rec.failed_sign_ins, "dashboard second factor failed");
        Ok(())
    }

    /// Checks the second factor of a session opened by password: a TOTP code (not used
    /// before) or an unused recovery code. Wrong codes count against the person (a password
    /// does not reset them).
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
        let Some(how) = self.check_code(&mut tx, &mut rec, session, code).await? else {
            tx.commit().await?;
            return Ok(CodeCheck::Refused);
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

    /// Checks `code` for `rec` (the person of `session`, locked in `tx`): a TOTP code not used
    /// before, or an unused recovery code (used up). `Some(how)` if right; a wrong code is
    /// counted against the person (the caller commits).
    async fn check_code(
        &self,
        tx: &mut StoreTx,
        rec: &mut PersonRecord,
        session: &DashboardSession,
        code: &str,
    ) -> Result<Option<&'static str>, EngineError> {
        let now = self.now();
        let Some(sealed) = rec.totp_secret.clone() else {
            return Ok(None);
        };
        let secret = self.totp_bytes(rec, &sealed)?;
        let by_app = totp::verify(&secret, code, self.now_step())
            .filter(|s| rec.totp_last_step.is_none_or(|last| *s > last));
        if let Some(step) = by_app {
            rec.totp_last_step = Some(step);
            return Ok(Some("second factor"));
        }
        let normal: String = code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let used = normal.len() == RECOVERY_LEN
            && tx
                .use_recovery_code(&rec.id, &hash_key(&normal), now)
                .await?;
        if used {
            return Ok(Some("recovery code"));
        }
        self.count_code_failure(tx, rec, &session.actor.source, "second-factor code")
            .await?;
        Ok(None)
    }

    /// A second factor asked again, at the moment of a command that moves live money (a
    /// payout): the code is checked as at sign-in (failures counted, throttled alike) and the
    /// session is left as it was.
    pub async fn confirm_second_factor(
        &self,
        session: &DashboardSession,
        code: &str,
    ) -> Result<CodeCheck, EngineError> {
        let mut tx = self.begin().await?;
        let Some(mut rec) = tx.lock_person(&session.actor.person.id).await? else {
            return Ok(CodeCheck::Refused);
        };
        if let Some(wait) = self.wait_for(&rec) {
            return Ok(CodeCheck::Wait(wait));
        }
        let checked = self.check_code(&mut tx, &mut rec, session, code).await?;
        if checked.is_some() {
            rec.failed_sign_ins = 0;
            tx.save_person(&rec).await?;
        }
        tx.commit().await?;
        Ok(match checked {
            Some(_) => CodeCheck::Accepted,
            None => CodeCheck::Refused,
        })
    }

    /// Ten new recovery codes for the signed-in person, on their password (the old ones stop
    /// working).
    pub async fn regenerate_recovery_codes(
        &self,
        session: &DashboardSession,
        password: SecretString,
    ) -> Result<Vec<String>, EngineError> {
        let p = &session.actor.person;
        let mut tx = self.begin().await?;
        let Some(mut rec) = tx.lock_person(&p.id).await? else {
            return Err(EngineError::not_found("person", &p.id));
        };
        if !verify_password(password, rec.password_hash.clone().unwrap_or_default()).await {
            self.count_code_failure(
                &mut tx,
                &mut rec,
                &session.actor.source,
                "password for recovery codes",
            )
            .await?;
            tx.commit().await?;
            return Err(refused(Field::Password, "that is not your password"));
        }
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
