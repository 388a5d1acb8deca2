//! The dashboard's people (migration 0018): their records, one-time links, recovery codes,
//! sessions, and the audit log. Reads here, writes in `writes.rs`. Secrets never reach this module in clear: passwords arrive
//! hashed (Argon2id), links, codes and session tokens as SHA-256 hashes, TOTP secrets sealed.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use kumbu_core::{Role, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

/// A person, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// `usr_…`
    pub id: String,
    /// Their merchant.
    pub merchant_id: String,
    /// Lower-cased e-mail address, unique.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// Argon2id PHC string; `None` until they set a password by their link.
    pub password_hash: Option<String>,
    /// Sealed TOTP secret, once enrolled.
    pub totp_secret: Option<String>,
    /// Sealed TOTP secret shown during enrolment, not yet confirmed.
    pub totp_pending: Option<String>,
    /// The last TOTP step accepted (a code is good once).
    pub totp_last_step: Option<i64>,
    /// Failed sign-ins since the last success.
    pub failed_sign_ins: i64,
    /// When the last one failed.
    pub last_failed_at: Option<Timestamp>,
    /// When created.
    pub created_at: Timestamp,
    /// When removed from the merchant (they can no longer sign in).
    pub removed_at: Option<Timestamp>,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// The first password of a new person (created by `kumbu user create` or invited).
    Invitation,
    /// A new password for someone who forgot theirs.
    Reset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::Reset => "reset",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "invitation" => Some(LinkPurpose::Invitation),
            "reset" => Some(LinkPurpose::Reset),
            _ => None,
        }
    }
}

/// A dashboard session with its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie's token.
    pub token_hash: String,
    /// Who.
    pub person: PersonRecord,
    /// When signed in.
    pub created_at: Timestamp,
    /// Last request.
    pub last_seen_at: Timestamp,
    /// Absolute end.
    pub expires_at: Timestamp,
    /// When the second factor was given in this session, if it was.
    pub second_factor_at: Option<Timestamp>,
    /// The address it was opened from.
    pub source: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Order of writing (the cursor).
    pub seq: i64,
    /// Who: a person's e-mail (`usr_…` id in `subject` where relevant), an API key's id, or
    /// `kumbu` for the command line.
    pub actor: String,
    /// What, as a stable dotted name (`person.invited`, `session.signed_in`).
    pub action: String,
    /// The object acted on, if any.
    pub subject: Option<String>,
    /// Details in words.
    pub detail: String,
    /// From where (client address), when over HTTP.
    pub source: Option<String>,
    /// When.
    pub at: Timestamp,
}

const PERSON_COLUMNS: &str = "p.id, p.merchant_id, p.email, p.role, p.password_hash, \
    p.totp_secret, p.totp_pending, p.totp_last_step, p.failed_sign_ins, p.last_failed_at, \
    p.created_at, p.removed_at";

/// An `INTEGER` count column (32 bits on PostgreSQL, 64 on SQLite).
fn count(r: &AnyRow, column: &str) -> Result<i64, StoreError> {
    match r.try_get::<i32, _>(column) {
        Ok(v) => Ok(i64::from(v)),
        Err(_) => Ok(r.try_get::<i64, _>(column)?),
    }
}

fn person_from_row(r: &AnyRow) -> Result<PersonRecord, StoreError> {
    let role: String = r.try_get("role")?;
    let ts = |c: &str| -> Result<Option<Timestamp>, StoreError> {
        Ok(r.try_get::<Option<i64>, _>(c)?.map(Timestamp::from_micros))
    };
    Ok(PersonRecord {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        email: r.try_get("email")?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        password_hash: r.try_get("password_hash")?,
        totp_secret: r.try_get("totp_secret")?,
        totp_pending: r.try_get("totp_pending")?,
        totp_last_step: r.try_get("totp_last_step")?,
        failed_sign_ins: count(r, "failed_sign_ins")?,
        last_failed_at: ts("last_failed_at")?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        removed_at: ts("removed_at")?,
    })
}

mod writes;

impl Store {
    /// A person by e-mail (normalised by the caller), removed or not.
    pub async fn person_by_email(&self, email: &str) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.email = $1");
        let row = sqlx::query::<Any>(&sql)
            .bind(email)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(person_from_row).transpose()
    }

    /// A merchant's person by id.
    pub async fn person(
        &self,
        merchant_id: &str,
        id: &str,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let sql =
            format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.id = $1 AND p.merchant_id = $2");
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(person_from_row).transpose()
    }

    /// A merchant's people (not removed), by e-mail.
    pub async fn people(&self, merchant_id: &str) -> Result<Vec<PersonRecord>, StoreError> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people p WHERE p.merchant_id = $1 \
             AND p.removed_at IS NULL ORDER BY p.email"
        );
        sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(person_from_row)
            .collect()
    }

    /// An open session by its token's hash (not ended; the caller checks its times), with its
    /// person.
    pub async fn dashboard_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS}, s.token_hash, s.created_at AS s_created_at, \
             s.last_seen_at, s.expires_at, s.second_factor_at, s.source \
             FROM dashboard_sessions s JOIN people p ON p.id = s.person_id \
             WHERE s.token_hash = $1 AND s.ended_at IS NULL"
        );
        let Some(r) = sqlx::query::<Any>(&sql)
            .bind(token_hash)
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(SessionRecord {
            token_hash: r.try_get("token_hash")?,
            person: person_from_row(&r)?,
            created_at: Timestamp::from_micros(r.try_get("s_created_at")?),
            last_seen_at: Timestamp::from_micros(r.try_get("last_seen_at")?),
            expires_at: Timestamp::from_micros(r.try_get("expires_at")?),
            second_factor_at: r
                .try_get::<Option<i64>, _>("second_factor_at")?
                .map(Timestamp::from_micros),
            source: r.try_get("source")?,
        }))
    }

    /// Marks a session seen at `now` (only forward; a plain write outside any transaction).
    pub async fn touch_dashboard_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE dashboard_sessions SET last_seen_at = $2 \
             WHERE token_hash = $1 AND last_seen_at < $2",
        )
        .bind(token_hash)
        .bind(now.as_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A person's open sessions, newest first.
    pub async fn open_sessions(
        &self,
        person_id: &str,
        now: Timestamp,
    ) -> Result<Vec<(String, Timestamp, Timestamp, String)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT token_hash, created_at, last_seen_at, source FROM dashboard_sessions \
             WHERE person_id = $1 AND ended_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC",
        )
        .bind(person_id)
        .bind(now.as_micros())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("token_hash")?,
                    Timestamp::from_micros(r.try_get("created_at")?),
                    Timestamp::from_micros(r.try_get("last_seen_at")?),
                    r.try_get("source")?,
                ))
            })
            .collect()
    }

    /// The failed passwords for `account` (an address as typed, normalised) from `source`, and
    /// when the last one was (a plain read).
    pub async fn sign_in_failures(
        &self,
        account: &str,
        source: &str,
    ) -> Result<(i64, Option<Timestamp>), StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT failures, last_failed_at FROM sign_in_failures \
             WHERE account = $1 AND source = $2",
        )
        .bind(account)
        .bind(source)
        .fetch_optional(&self.read)
        .await?;
        match row {
            Some(r) => Ok((
                count(&r, "failures")?,
                Some(Timestamp::from_micros(r.try_get("last_failed_at")?)),
            )),
            None => Ok((0, None)),
        }
    }

    /// Counts a password attempt for `account` from `source` as failed, at once (one atomic
    /// write, before the password is checked: attempts in flight count too).
    pub async fn count_sign_in_attempt(
        &self,
        account: &str,
        source: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO sign_in_failures (account, source, failures, last_failed_at) \
             VALUES ($1, $2, 1, $3) ON CONFLICT (account, source) DO UPDATE \
             SET failures = sign_in_failures.failures + 1, last_failed_at = $3",
        )
        .bind(account)
        .bind(source)
        .bind(now.as_micros())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Forgets the failures of `account` from `source` (a right password there).
    pub async fn clear_sign_in_failures(
        &self,
        account: &str,
        source: &str,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>("DELETE FROM sign_in_failures WHERE account = $1 AND source = $2")
            .bind(account)
            .bind(source)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// A merchant's audit log, newest first, before `before` (a `seq`), at most `limit` lines.
    pub async fn audit_log(
        &self,
        merchant_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT seq, actor, action, subject, detail, source, at FROM audit_log \
             WHERE merchant_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(merchant_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get("seq")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                    source: r.try_get("source")?,
                    at: Timestamp::from_micros(r.try_get("at")?),
                })
            })
            .collect()
    }
}
