//! The dashboard's people, written: people, links, recovery codes, sessions, audit lines.

use super::{person_from_row, AuditEntry, LinkPurpose, PersonRecord, PERSON_COLUMNS};
use crate::error::{corrupt, StoreError};
use crate::tx::StoreTx;
use kumbu_core::Timestamp;
use sqlx::{Any, Row};

impl StoreTx {
    /// Inserts a person (the e-mail is unique: a second one is a `Conflict`).
    pub async fn insert_person(&mut self, p: &PersonRecord) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO people (id, merchant_id, email, role, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(p.id.clone())
        .bind(p.merchant_id.clone())
        .bind(p.email.clone())
        .bind(p.role.as_str())
        .bind(p.created_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Reads and locks a person.
    pub async fn lock_person(&mut self, id: &str) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people p WHERE p.id = $1{}",
            self.dialect.for_update()
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(id)
            .fetch_optional(&mut **self.tx())
            .await?;
        row.as_ref().map(person_from_row).transpose()
    }

    /// Writes what sign-in changes of a person: password, second factor, failures, role,
    /// removal.
    pub async fn save_person(&mut self, p: &PersonRecord) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE people SET role = $2, password_hash = $3, totp_secret = $4, \
             totp_pending = $5, totp_last_step = $6, failed_sign_ins = $7, \
             last_failed_at = $8, removed_at = $9 WHERE id = $1",
        )
        .bind(p.id.clone())
        .bind(p.role.as_str())
        .bind(p.password_hash.clone())
        .bind(p.totp_secret.clone())
        .bind(p.totp_pending.clone())
        .bind(p.totp_last_step)
        .bind(i32::try_from(p.failed_sign_ins).unwrap_or(i32::MAX))
        .bind(p.last_failed_at.map(Timestamp::as_micros))
        .bind(p.removed_at.map(Timestamp::as_micros))
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Stores a one-time link (by its token's hash); earlier unused links of the same person
    /// and purpose stop working.
    pub async fn insert_person_link(
        &mut self,
        token_hash: &str,
        person_id: &str,
        purpose: LinkPurpose,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE person_links SET used_at = $3 \
             WHERE person_id = $1 AND purpose = $2 AND used_at IS NULL",
        )
        .bind(person_id)
        .bind(purpose.as_str())
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        sqlx::query::<Any>(
            "INSERT INTO person_links (token_hash, person_id, purpose, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(person_id)
        .bind(purpose.as_str())
        .bind(now.as_micros())
        .bind(expires_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// The person and purpose of an unused, unexpired link (locked); `use_it` marks it used.
    pub async fn person_link(
        &mut self,
        token_hash: &str,
        now: Timestamp,
        use_it: bool,
    ) -> Result<Option<(String, LinkPurpose)>, StoreError> {
        let sql = format!(
            "SELECT person_id, purpose FROM person_links WHERE token_hash = $1 \
             AND used_at IS NULL AND expires_at > $2{}",
            self.dialect.for_update()
        );
        let Some(r) = sqlx::query::<Any>(&sql)
            .bind(token_hash)
            .bind(now.as_micros())
            .fetch_optional(&mut **self.tx())
            .await?
        else {
            return Ok(None);
        };
        let purpose: String = r.try_get("purpose")?;
        let purpose = LinkPurpose::parse(&purpose).ok_or_else(|| corrupt("purpose", &purpose))?;
        if use_it {
            sqlx::query::<Any>("UPDATE person_links SET used_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(now.as_micros())
                .execute(&mut **self.tx())
                .await?;
        }
        Ok(Some((r.try_get("person_id")?, purpose)))
    }

    /// Replaces a person's recovery codes (their hashes).
    pub async fn replace_recovery_codes(
        &mut self,
        person_id: &str,
        hashes: &[String],
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>("DELETE FROM recovery_codes WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut **self.tx())
            .await?;
        for h in hashes {
            sqlx::query::<Any>("INSERT INTO recovery_codes (code_hash, person_id) VALUES ($1, $2)")
                .bind(h.clone())
                .bind(person_id)
                .execute(&mut **self.tx())
                .await?;
        }
        Ok(())
    }

    /// Uses up a recovery code of a person: `true` if it was theirs and unused.
    pub async fn use_recovery_code(
        &mut self,
        person_id: &str,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query::<Any>(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE code_hash = $1 AND person_id = $2 AND used_at IS NULL",
        )
        .bind(code_hash)
        .bind(person_id)
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Opens a session.
    pub async fn insert_dashboard_session(
        &mut self,
        token_hash: &str,
        person_id: &str,
        now: Timestamp,
        expires_at: Timestamp,
        second_factor_at: Option<Timestamp>,
        source: &str,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO dashboard_sessions (token_hash, person_id, created_at, last_seen_at, \
             expires_at, second_factor_at, source) VALUES ($1, $2, $3, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(person_id)
        .bind(now.as_micros())
        .bind(expires_at.as_micros())
        .bind(second_factor_at.map(Timestamp::as_micros))
        .bind(source)
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Records that the second factor was given in a session.
    pub async fn set_second_factor(
        &mut self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE dashboard_sessions SET second_factor_at = $2 WHERE token_hash = $1",
        )
        .bind(token_hash)
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Ends one session (`Some(token_hash)`) or every open session of a person.
    pub async fn end_dashboard_sessions(
        &mut self,
        person_id: &str,
        token_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let q = match token_hash {
            Some(h) => sqlx::query::<Any>(
                "UPDATE dashboard_sessions SET ended_at = $2 \
                 WHERE person_id = $1 AND ended_at IS NULL AND token_hash = $3",
            )
            .bind(person_id)
            .bind(now.as_micros())
            .bind(h.to_owned()),
            None => sqlx::query::<Any>(
                "UPDATE dashboard_sessions SET ended_at = $2 \
                 WHERE person_id = $1 AND ended_at IS NULL",
            )
            .bind(person_id)
            .bind(now.as_micros()),
        };
        Ok(q.execute(&mut **self.tx()).await?.rows_affected())
    }

    /// Ends every open session of a person but `keep`.
    pub async fn end_other_dashboard_sessions(
        &mut self,
        person_id: &str,
        keep: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query::<Any>(
            "UPDATE dashboard_sessions SET ended_at = $2 \
             WHERE person_id = $1 AND ended_at IS NULL AND token_hash <> $3",
        )
        .bind(person_id)
        .bind(now.as_micros())
        .bind(keep)
        .execute(&mut **self.tx())
        .await?
        .rows_affected())
    }

    /// Voids every unused link of a person (a password set by one of them).
    pub async fn void_person_links(
        &mut self,
        person_id: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE person_links SET used_at = $2 WHERE person_id = $1 AND used_at IS NULL",
        )
        .bind(person_id)
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Appends a line to a merchant's audit log.
    pub async fn insert_audit(
        &mut self,
        merchant_id: &str,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO audit_log (merchant_id, actor, action, subject, detail, source, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(merchant_id)
        .bind(entry.actor.clone())
        .bind(entry.action.clone())
        .bind(entry.subject.clone())
        .bind(entry.detail.clone())
        .bind(entry.source.clone())
        .bind(entry.at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }
}
