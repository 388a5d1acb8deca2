//! Signing in to the dashboard: the password, throttling of failures, and server-side sessions
//! (the cookie holds a random token; the database its SHA-256, so several processes share
//! sessions and signing out is real).
//!
//! Failures slow down without locking anyone out. Wrong passwords count per address typed and
//! source (`sign_in_failures`, migration 0020), known address or not: after [`FREE_FAILURES`]
//! in a row from one source, each further try from there waits twice as long as the one before,
//! at most [`MAX_WAIT`], so a stranger slows down only themselves and the person, signing in
//! from elsewhere, is never kept out; each attempt counts before its password is checked, so
//! attempts in flight cannot outrun the count. Wrong second-factor codes count per person (only
//! someone who knows the password gets that far, and a password does not reset them), with the
//! same back-off. The HTTP layer limits failures per address and source a minute and an hour
//! as well.

use super::{verify_password, DashboardActor, Person};
use crate::audit::Actor;
use crate::auth::hash_key;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::person::normalize_email;
use kumbu_core::Timestamp;
use kumbu_store::PersonRecord;
use secrecy::SecretString;
use std::time::Duration;

/// Failures in a row before an account is slowed down.
pub const FREE_FAILURES: i64 = 5;

/// The longest an account is made to wait between tries.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// How often a session's last use is written (at most).
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Random characters in a session's token.
const SESSION_TOKEN_LEN: usize = 40;

/// What a sign-in came to.
#[derive(Debug)]
pub enum SignIn {
    /// The password was right: a session is open (its token is the cookie's value). The
    /// session may still need a second factor or an enrolment: see [`DashboardSession::stage`].
    Opened {
        /// The cookie's value, shown nowhere else.
        token: SecretString,
        /// Who.
        person: Person,
    },
    /// Wrong address or password (the same answer for both).
    Refused,
    /// Too many failures: try again after this long.
    Wait(Duration),
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The person must give their second factor before anything else.
    SecondFactor,
    /// The person's role requires a second factor they have not set up yet: they must enrol
    /// before anything else.
    Enrol,
    /// Signed in.
    Ready,
}

/// A session found by its cookie.
#[derive(Debug, Clone)]
pub struct DashboardSession {
    /// The person, and from where they act.
    pub actor: DashboardActor,
    /// SHA-256 of the cookie's token.
    pub token_hash: String,
    /// Where it stands.
    pub stage: Stage,
}

/// How long an account must wait after `failures` failures in a row, the last at `last`.
fn wait_left(failures: i64, last: Option<Timestamp>, now: Timestamp) -> Option<Duration> {
    let over = failures - FREE_FAILURES;
    let last = last?;
    if over < 0 {
        return None;
    }
    let wait = Duration::from_secs(1u64 << over.clamp(0, 6)).min(MAX_WAIT);
    let until = last.plus(wait);
    (until > now).then(|| {
        Duration::from_micros(u64::try_from(until.as_micros() - now.as_micros()).unwrap_or(0))
    })
}

/// An Argon2id hash of a password nobody has: checked when the address is unknown, so that
/// the answer takes as long either way.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0N1qJvPBt0Z1m8P5+X1nVwJQy0vuyNmB2Kx3ncl3Tx0";

impl Engine {
    /// Signs a person in by address and password, from the client address `source`.
    pub async fn sign_in(
        &self,
        email: &str,
        password: SecretString,
        source: &str,
    ) -> Result<SignIn, EngineError> {
        let account = normalize_email(email)
            .unwrap_or_else(|| email.trim().to_lowercase().chars().take(254).collect());
        let now = self.now();
        let (failures, last) = self.store().sign_in_failures(&account, source).await?;
        if let Some(wait) = wait_left(failures, last, now) {
            return Ok(SignIn::Wait(wait));
        }
        // Counted before it is checked; forgiven if right.
        self.store()
            .count_sign_in_attempt(&account, source, now)
            .await?;
        let person = self
            .store()
            .person_by_email(&account)
            .await?
            .filter(|p| p.removed_at.is_none());
        let hash = person
            .as_ref()
            .and_then(|p| p.password_hash.clone())
            .unwrap_or_else(|| DECOY_HASH.to_owned());
        let right = verify_password(password, hash).await;
        let Some(p) = person else {
            return Ok(SignIn::Refused);
        };
        if !right || p.password_hash.is_none() {
            self.note_failure(&p, source, "password", failures + 1)
                .await?;
            return Ok(SignIn::Refused);
        }
        self.store()
            .clear_sign_in_failures(&account, source)
            .await?;
        let token = random_token(SESSION_TOKEN_LEN);
        let mut tx = self.begin().await?;
        tx.insert_dashboard_session(
            &hash_key(&token),
            &p.id,
            now,
            now.plus(self.config().dashboard_lifetime),
            None,
            source,
        )
        .await?;
        if p.totp_secret.is_none() {
            // No second factor to give: signed in now (an owner still has to enrol first).
            self.audit(
                &mut tx,
                &p.merchant_id,
                &person_actor(&p, source),
                "session.signed_in",
                Some(&p.id),
                "password".to_owned(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(SignIn::Opened {
            token: SecretString::from(token),
            person: Person::from(&p),
        })
    }

    /// Logs a wrong password (already counted) for the person's owners to see.
    async fn note_failure(
        &self,
        p: &PersonRecord,
        source: &str,
        what: &str,
        in_a_row: i64,
    ) -> Result<(), EngineError> {
        let mut tx = self.begin().await?;
        self.audit(
            &mut tx,
            &p.merchant_id,
            &person_actor(p, source),
            "session.sign_in_failed",
            Some(&p.id),
            format!("wrong {what} ({in_a_row} in a row from there)"),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(person = %p.id, failures = in_a_row, "dashboard sign-in failed");
        Ok(())
    }

    /// How long the person must wait before trying again, if at all.
    pub(crate) fn wait_for(&self, p: &PersonRecord) -> Option<Duration> {
        wait_left(p.failed_sign_ins, p.last_failed_at, self.now())
    }

    /// The session behind a cookie's token, if it is open: not signed out, not idle for
    /// longer than `--dashboard-idle-minutes`, not older than its absolute lifetime, and its
    /// person still a member. Its last use is recorded (at most once a minute).
    pub async fn dashboard_session(
        &self,
        token: &str,
        source: &str,
    ) -> Result<Option<DashboardSession>, EngineError> {
        if token.len() != SESSION_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let hash = hash_key(token);
        let Some(s) = self.store().dashboard_session(&hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if s.person.removed_at.is_some()
            || s.expires_at <= now
            || s.last_seen_at.plus(self.config().dashboard_idle) <= now
        {
            return Ok(None);
        }
        if s.last_seen_at.plus(TOUCH_EVERY) <= now {
            self.store().touch_dashboard_session(&hash, now).await?;
        }
        let stage = match (&s.person.totp_secret, s.second_factor_at) {
            (Some(_), None) => Stage::SecondFactor,
            (None, _) if s.person.role.requires_second_factor() => Stage::Enrol,
            (Some(_), Some(_)) | (None, _) => Stage::Ready,
        };
        Ok(Some(DashboardSession {
            actor: DashboardActor {
                person: Person::from(&s.person),
                source: source.to_owned(),
                second_factor: s.second_factor_at.is_some(),
            },
            token_hash: hash,
            stage,
        }))
    }

    /// The token a session's forms carry (an HMAC of the session under the server's key): a
    /// forged form from another site has nothing to copy it from.
    pub fn session_form_token(&self, session: &DashboardSession) -> String {
        self.mac(format!("dashboard-session:{}", session.token_hash).as_bytes())
    }

    /// Whether `token` is `session`'s form token.
    pub fn session_form_token_ok(&self, session: &DashboardSession, token: &str) -> bool {
        self.verify_mac(
            format!("dashboard-session:{}", session.token_hash).as_bytes(),
            token,
        )
    }

    /// The person's open sessions, newest first: whether it is `session` itself, when it was
    /// opened, and from where.
    pub async fn open_sessions(
        &self,
        session: &DashboardSession,
    ) -> Result<Vec<(bool, Timestamp, String)>, EngineError> {
        let idle_since = self.now().minus(self.config().dashboard_idle);
        Ok(self
            .store()
            .open_sessions(&session.actor.person.id, self.now())
            .await?
            .into_iter()
            .filter(|(_, _, seen, _)| *seen > idle_since)
            .map(|(hash, created, _, source)| (hash == session.token_hash, created, source))
            .collect())
    }

    /// Ends this session (`everywhere`: every session of the person).
    pub async fn sign_out(
        &self,
        session: &DashboardSession,
        everywhere: bool,
    ) -> Result<u64, EngineError> {
        let p = &session.actor.person;
        let mut tx = self.begin().await?;
        let ended = tx
            .end_dashboard_sessions(
                &p.id,
                (!everywhere).then_some(session.token_hash.as_str()),
                self.now(),
            )
            .await?;
        if everywhere {
            self.audit(
                &mut tx,
                &p.merchant_id,
                &session.actor.actor(),
                "session.signed_out_everywhere",
                Some(&p.id),
                format!("{ended} sessions ended"),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ended)
    }
}

/// The audit log's actor for a person acting from `source`.
pub(crate) fn person_actor(p: &PersonRecord, source: &str) -> Actor {
    Actor::Person {
        id: p.id.clone(),
        email: p.email.clone(),
        source: source.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_slow_down_to_a_minute_at_most() {
        let t0 = Timestamp::from_micros(1_000_000_000);
        assert_eq!(wait_left(4, Some(t0), t0), None);
        assert_eq!(wait_left(5, Some(t0), t0), Some(Duration::from_secs(1)));
        assert_eq!(wait_left(7, Some(t0), t0), Some(Duration::from_secs(4)));
        assert_eq!(wait_left(50, Some(t0), t0), Some(MAX_WAIT));
        assert_eq!(wait_left(50, Some(t0), t0.plus(MAX_WAIT)), None);
    }

    #[test]
    fn the_decoy_hash_is_a_hash() {
        use argon2::password_hash::PasswordHash;
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
    }
}
