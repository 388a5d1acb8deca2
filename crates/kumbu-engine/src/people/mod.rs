//! The people of a merchant who use the dashboard: creating them (the first owner from the
//! command line, others invited by an owner), one-time links to set a password, roles and
//! removal. Signing in is `sign_in.rs`; the second factor `two_factor.rs`.
//!
//! Secrets are never stored in clear: passwords as Argon2id hashes, links and recovery codes as
//! SHA-256 hashes (their tokens carry 190 random bits, so a fast hash is enough), TOTP secrets
//! sealed by the vault.

pub mod sign_in;
pub mod two_factor;

use crate::audit::Actor;
use crate::auth::hash_key;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::random_token;
use kumbu_core::person::normalize_email;
use kumbu_core::{new_id, Action, ErrorCode, Field, IdPrefix, Rejection, Role};
use kumbu_store::{LinkPurpose, PersonRecord, StoreError};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// How long an invitation link works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long a password-reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(3600);

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Longest password accepted (Argon2 takes any length; this bounds the work per request).
pub const MAX_PASSWORD_LEN: usize = 256;

/// A person as the dashboard shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// `usr_…`
    pub id: String,
    /// Their merchant.
    pub merchant_id: String,
    /// Their address (how they sign in).
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// Whether they have set a password (an invitation not yet taken up has not).
    pub has_password: bool,
    /// Whether they use a second factor.
    pub two_factor: bool,
}

impl From<&PersonRecord> for Person {
    fn from(r: &PersonRecord) -> Self {
        Self {
            id: r.id.clone(),
            merchant_id: r.merchant_id.clone(),
            email: r.email.clone(),
            role: r.role,
            has_password: r.password_hash.is_some(),
            two_factor: r.totp_secret.is_some(),
        }
    }
}

/// A one-time link just made: its token exists only here.
#[derive(Debug)]
pub struct NewLink {
    /// Who it is for.
    pub person: Person,
    /// The token, for the URL `/dashboard/welcome/{token}` (invitation) or
    /// `/dashboard/reset/{token}` (reset).
    pub token: SecretString,
}

/// Random characters in a link's token.
const LINK_TOKEN_LEN: usize = 32;

impl Engine {
    /// Creates a person of `merchant_id` with `role`, and the one-time link by which they set
    /// their password. `actor` is written to the audit log (the command line, or the owner
    /// who invites them).
    pub async fn create_person(
        &self,
        merchant_id: &str,
        email: &str,
        role: Role,
        actor: &Actor,
    ) -> Result<NewLink, EngineError> {
        let email = normalize_email(email).ok_or_else(|| {
            EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::Email,
                "email must be an e-mail address such as ana@example.com",
            )
        })?;
        if self.store().merchant(merchant_id).await?.is_none() {
            return Err(EngineError::not_found("merchant", merchant_id));
        }
        let now = self.now();
        let record = PersonRecord {
            id: new_id(IdPrefix::Person),
            merchant_id: merchant_id.to_owned(),
            email: email.clone(),
            role,
            password_hash: None,
            totp_secret: None,
            totp_pending: None,
            totp_last_step: None,
            failed_sign_ins: 0,
            last_failed_at: None,
            created_at: now,
            removed_at: None,
        };
        let token = random_token(LINK_TOKEN_LEN);
        let mut tx = self.begin().await?;
        match tx.insert_person(&record).await {
            Err(StoreError::Conflict(_)) => {
                return Err(EngineError::field(
                    ErrorCode::ParameterInvalid,
                    Field::Email,
                    format!(
                    "{email} already has a Kumbu sign-in; each address signs in to one merchant"
                ),
                ))
            }
            other => other?,
        }
        tx.insert_person_link(
            &hash_key(&token),
            &record.id,
            LinkPurpose::Invitation,
            now,
            now.plus(INVITATION_TTL),
        )
        .await?;
        self.audit(
            &mut tx,
            merchant_id,
            actor,
            "person.invited",
            Some(&record.id),
            format!("{email} invited as {role}"),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(person = %record.id, merchant = %merchant_id, %role, "person created");
        Ok(NewLink {
            person: Person::from(&record),
            token: SecretString::from(token),
        })
    }

    /// Who a one-time link is for and what it is for, if it still works (not used, not
    /// expired); nothing changes.
    pub async fn link_person(
        &self,
        token: &str,
    ) -> Result<Option<(Person, LinkPurpose)>, EngineError> {
        if token.len() != LINK_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let mut tx = self.begin().await?;
        let found = tx.person_link(&hash_key(token), self.now(), false).await?;
        let person = match &found {
            Some((id, _)) => tx.lock_person(id).await?,
            None => None,
        };
        tx.rollback().await?;
        Ok(person
            .filter(|p| p.removed_at.is_none())
            .zip(found)
            .map(|(p, (_, purpose))| (Person::from(&p), purpose)))
    }

    /// Sets a person's password by their one-time link, which is then used up; every session
    /// they had ends (a reset is how someone takes back an account). `None` if the link no
    /// longer works.
    pub async fn set_password_by_link(
        &self,
        token: &str,
        password: &SecretString,
        source: &str,
    ) -> Result<Option<Person>, EngineError> {
        check_password(password)?;
        if token.len() != LINK_TOKEN_LEN {
            return Ok(None);
        }
        let hash = hash_password(password.clone()).await?;
        let now = self.now();
        let mut tx = self.begin().await?;
        let Some((id, purpose)) = tx.person_link(&hash_key(token), now, true).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let Some(mut p) = tx
            .lock_person(&id)
            .await?
            .filter(|p| p.removed_at.is_none())
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        p.password_hash = Some(hash);
        p.failed_sign_ins = 0;
        tx.save_person(&p).await?;
        tx.end_dashboard_sessions(&p.id, None, now).await?;
        tx.void_person_links(&p.id, now).await?;
        let actor = Actor::Person {
            id: p.id.clone(),
            email: p.email.clone(),
            source: source.to_owned(),
        };
        let action = match purpose {
            LinkPurpose::Invitation => "person.password_set",
            LinkPurpose::Reset => "person.password_reset",
        };
        self.audit(
            &mut tx,
            &p.merchant_id,
            &actor,
            action,
            Some(&p.id),
            String::new(),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Person::from(&p)))
    }

    /// Makes a password-reset link for the person with this address, if there is one (the
    /// caller shows the same answer either way, so that the form tells no one who has an
    /// account). `source` is where the request came from: the client address of the
    /// dashboard's form, or `None` for the command line. The audit log notes it.
    pub async fn reset_link(
        &self,
        email: &str,
        source: Option<&str>,
    ) -> Result<Option<NewLink>, EngineError> {
        let Some(email) = normalize_email(email) else {
            return Ok(None);
        };
        let Some(p) = self
            .store()
            .person_by_email(&email)
            .await?
            .filter(|p| p.removed_at.is_none())
        else {
            return Ok(None);
        };
        let token = random_token(LINK_TOKEN_LEN);
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.insert_person_link(
            &hash_key(&token),
            &p.id,
            LinkPurpose::Reset,
            now,
            now.plus(RESET_TTL),
        )
        .await?;
        let (actor, detail) = match source {
            // Whoever typed the address (the link goes to the person's own mailbox).
            Some(source) => (
                Actor::Visitor {
                    source: source.to_owned(),
                },
                "asked for on the forgotten-password page",
            ),
            None => (Actor::Command, "made on the command line"),
        };
        self.audit(
            &mut tx,
            &p.merchant_id,
            &actor,
            "person.reset_link",
            Some(&p.id),
            detail.to_owned(),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(NewLink {
            person: Person::from(&p),
            token: SecretString::from(token),
        }))
    }

    /// A merchant's people.
    pub async fn people(&self, merchant_id: &str) -> Result<Vec<Person>, EngineError> {
        Ok(self
            .store()
            .people(merchant_id)
            .await?
            .iter()
            .map(Person::from)
            .collect())
    }

    /// Changes a person's role (`Some`) or removes them from the merchant (`None`), as the
    /// owner `by`. The last owner can be neither demoted nor removed, nor can an owner act on
    /// themselves here (so that a merchant always keeps an owner).
    pub async fn change_person(
        &self,
        by: &DashboardActor,
        person_id: &str,
        role: Option<Role>,
    ) -> Result<Person, EngineError> {
        by.require(Action::ManagePeople)?;
        if person_id == by.person.id {
            return Err(EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::Id,
                "you cannot change your own role or remove yourself; ask another owner",
            ));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        // Both rows, in id order (one lock order: two owners acting on each other at once
        // cannot deadlock), and the actor checked again under its lock: an owner demoted a
        // moment ago can no longer demote the last other owner.
        let mut ids = [by.person.id.as_str(), person_id];
        ids.sort_unstable();
        let mut rows = Vec::with_capacity(2);
        for id in ids {
            rows.push(tx.lock_person(id).await?);
        }
        let still_owner = rows
            .iter()
            .flatten()
            .any(|r| r.id == by.person.id && r.role == Role::Owner && r.removed_at.is_none());
        if !still_owner {
            return Err(EngineError::Rejected(Rejection::new(
                ErrorCode::NotPermitted,
                "you are no longer an owner of this merchant",
            )));
        }
        let Some(mut p) = rows
            .into_iter()
            .flatten()
            .find(|r| r.id == person_id)
            .filter(|p| p.merchant_id == by.person.merchant_id && p.removed_at.is_none())
        else {
            return Err(EngineError::not_found("person", person_id));
        };
        let before = p.role;
        match role {
            Some(r) => p.role = r,
            None => p.removed_at = Some(now),
        }
        tx.save_person(&p).await?;
        if role.is_none() {
            tx.end_dashboard_sessions(&p.id, None, now).await?;
        }
        let (action, detail) = match role {
            Some(r) => (
                "person.role_changed",
                format!("{}: {before} → {r}", p.email),
            ),
            None => ("person.removed", format!("{} ({before}) removed", p.email)),
        };
        self.audit(
            &mut tx,
            &p.merchant_id,
            &by.actor(),
            action,
            Some(&p.id),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(Person::from(&p))
    }
}

/// A person acting in the dashboard, as the engine checks them: who, and from where.
#[derive(Debug, Clone)]
pub struct DashboardActor {
    /// The person.
    pub person: Person,
    /// Their client address.
    pub source: String,
    /// Whether they gave their second factor in this session.
    pub second_factor: bool,
}

impl DashboardActor {
    /// Refuses what the person's role does not allow (403 `not_permitted`).
    pub fn require(&self, action: Action) -> Result<(), EngineError> {
        if self.person.role.may(action) {
            return Ok(());
        }
        Err(EngineError::Rejected(Rejection::new(
            ErrorCode::NotPermitted,
            format!(
                "your role ({}) does not allow this; an owner can change roles",
                self.person.role
            ),
        )))
    }

    /// The person as the engine's reads take a caller: their merchant, in `mode` (the
    /// dashboard's switch), named by their id where a key's would be.
    pub fn auth(&self, mode: kumbu_core::Mode) -> crate::AuthContext {
        crate::AuthContext {
            merchant_id: self.person.merchant_id.clone(),
            mode,
            key_id: self.person.id.clone(),
            audit: None,
            face: None,
        }
    }

    /// The person as a command takes a caller: as [`DashboardActor::auth`], and the audit line
    /// the command writes in its transaction if it succeeds (`action` on `subject`, `detail`).
    pub fn acting(
        &self,
        mode: kumbu_core::Mode,
        action: &'static str,
        subject: &str,
        detail: String,
    ) -> crate::AuthContext {
        crate::AuthContext {
            audit: Some(crate::auth::AuditAs {
                actor: self.actor(),
                action,
                subject: subject.to_owned(),
                detail,
            }),
            ..self.auth(mode)
        }
    }

    /// Refuses a move of money in `mode` the person may not make: their role must allow it,
    /// and live money needs a session signed in with the second factor.
    pub fn require_money(&self, mode: kumbu_core::Mode) -> Result<(), EngineError> {
        self.require(Action::MoveMoney)?;
        match mode {
            kumbu_core::Mode::Test => Ok(()),
            kumbu_core::Mode::Live if self.second_factor => Ok(()),
            kumbu_core::Mode::Live => Err(EngineError::Rejected(Rejection::new(
                ErrorCode::NotPermitted,
                "live money moves only from a session signed in with two-step verification: turn it on (Security) and sign in again",
            ))),
        }
    }

    /// The audit log's actor.
    pub fn actor(&self) -> Actor {
        Actor::Person {
            id: self.person.id.clone(),
            email: self.person.email.clone(),
            source: self.source.clone(),
        }
    }
}

/// Refuses a password too short or too long, naming the field.
fn check_password(password: &SecretString) -> Result<(), EngineError> {
    let n = password.expose_secret().chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        return Err(EngineError::field(
            ErrorCode::ParameterInvalid,
            Field::Password,
            format!("a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters; a few words make a good one"),
        ));
    }
    Ok(())
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes: OWASP's recommendation), off the
/// async threads.
pub(crate) async fn hash_password(password: SecretString) -> Result<String, EngineError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| EngineError::Store(StoreError::Corrupt(format!("hashing stopped: {e}"))))?
    .map_err(|e| EngineError::Store(StoreError::Corrupt(format!("hashing failed: {e}"))))
}

/// Whether `password` matches the PHC string `hash` (a hash that cannot be read matches
/// nothing), off the async threads.
pub(crate) async fn verify_password(password: SecretString, hash: String) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            argon2::Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}
