//! Checkout session rows, each read with its latest attempt (a payment row) joined in.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::page;
use crate::tx::StoreTx;
use kumbu_core::{
    Attempt, CheckoutSession, CheckoutStatus, Currency, FailureCode, Locale, Mode, Msisdn,
    Operator, PaymentStatus, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

/// The session's columns (alias `s`) and its latest attempt's (alias `p`, all nullable).
const SESSION_SELECT: &str = "SELECT s.seq, s.id, s.token, s.uuid, s.merchant_id, s.mode, \
    s.status, s.amount, s.currency, s.items, s.operators, s.return_url, s.cancel_url, s.locale, \
    s.customer_name, s.customer_phone, s.customer_id, s.description, s.metadata, s.attempts, \
    s.attempt_id, s.payment_id, s.completed_at, s.expires_at, s.created_at, s.updated_at, \
    s.face, p.status AS p_status, p.operator AS p_operator, p.payer_phone AS p_phone, \
    p.operator_reference AS p_operator_reference, p.failure_code AS p_failure_code, \
    p.expires_at AS p_expires_at, p.updated_at AS p_updated_at, p.handover_token AS p_handover \
    FROM checkout_sessions s LEFT JOIN payments p ON p.id = s.attempt_id";

fn session_from_row(r: &AnyRow) -> Result<CheckoutSession, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(c)?) };
    let opt =
        |c: &str| -> Result<Option<String>, StoreError> { Ok(r.try_get::<Option<String>, _>(c)?) };
    let mode = text("mode")?;
    let status = text("status")?;
    let currency = text("currency")?;
    let items = text("items")?;
    let operators = text("operators")?;
    let metadata = text("metadata")?;
    let attempt = match (opt("attempt_id")?, opt("p_status")?) {
        (Some(payment_id), Some(st)) => {
            let op = text("p_operator")?;
            let phone = text("p_phone")?;
            let failure = opt("p_failure_code")?;
            Some(Attempt {
                payment_id,
                status: PaymentStatus::parse(&st).ok_or_else(|| corrupt("status", &st))?,
                operator: Operator::parse(&op).ok_or_else(|| corrupt("operator", &op))?,
                payer_phone: Msisdn::parse(&phone).ok(),
                operator_reference: opt("p_operator_reference")?,
                failure_code: match failure {
                    Some(c) => {
                        Some(FailureCode::parse(&c).ok_or_else(|| corrupt("failure_code", &c))?)
                    }
                    None => None,
                },
                expires_at: Timestamp::from_micros(r.try_get("p_expires_at")?),
                updated_at: Timestamp::from_micros(r.try_get("p_updated_at")?),
                handover: opt("p_handover")?,
            })
        }
        (Some(_), None) | (None, Some(_) | None) => None,
    };
    let phone = opt("customer_phone")?;
    let locale = opt("locale")?;
    Ok(CheckoutSession {
        id: text("id")?,
        token: text("token")?,
        uuid: text("uuid")?,
        merchant_id: text("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        status: CheckoutStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        amount: r.try_get("amount")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        items: serde_json::from_str(&items).map_err(|_| corrupt("items", &items))?,
        operators: serde_json::from_str(&operators)
            .map_err(|_| corrupt("operators", &operators))?,
        return_url: text("return_url")?,
        cancel_url: opt("cancel_url")?,
        locale: match locale {
            Some(l) => Some(Locale::parse(&l).ok_or_else(|| corrupt("locale", &l))?),
            None => None,
        },
        customer_name: opt("customer_name")?,
        customer_phone: match phone {
            Some(p) => Some(Msisdn::parse(&p).map_err(|_| corrupt("customer_phone", &p))?),
            None => None,
        },
        customer_id: opt("customer_id")?,
        description: opt("description")?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata", &metadata))?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?)
            .map_err(|_| corrupt("attempts", "negative"))?,
        attempt,
        payment_id: opt("payment_id")?,
        completed_at: r
            .try_get::<Option<i64>, _>("completed_at")?
            .map(Timestamp::from_micros),
        expires_at: Timestamp::from_micros(r.try_get("expires_at")?),
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
        face: r
            .try_get::<Option<String>, _>("face")?
            .as_deref()
            .and_then(kumbu_core::Face::parse),
    })
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// How a session is looked up.
#[derive(Debug, Clone, Copy)]
pub enum SessionKey<'a> {
    /// By `cs_…` id, within a merchant and mode.
    Id {
        /// The merchant.
        merchant_id: &'a str,
        /// The mode.
        mode: Mode,
        /// `cs_…`
        id: &'a str,
    },
    /// By UUID alias, within a merchant and mode.
    Uuid {
        /// The merchant.
        merchant_id: &'a str,
        /// The mode.
        mode: Mode,
        /// The UUID.
        uuid: &'a str,
    },
    /// By the page's token (the token is the capability: no merchant needed).
    Token(&'a str),
}

impl SessionKey<'_> {
    fn condition(&self) -> (&'static str, Vec<String>) {
        match *self {
            SessionKey::Id {
                merchant_id,
                mode,
                id,
            } => (
                "s.id = $1 AND s.merchant_id = $2 AND s.mode = $3",
                vec![
                    id.to_owned(),
                    merchant_id.to_owned(),
                    mode.as_str().to_owned(),
                ],
            ),
            SessionKey::Uuid {
                merchant_id,
                mode,
                uuid,
            } => (
                "s.uuid = $1 AND s.merchant_id = $2 AND s.mode = $3",
                vec![
                    uuid.to_owned(),
                    merchant_id.to_owned(),
                    mode.as_str().to_owned(),
                ],
            ),
            SessionKey::Token(t) => ("s.token = $1", vec![t.to_owned()]),
        }
    }
}

impl StoreTx {
    /// Inserts a new session (with no attempt yet).
    pub async fn insert_checkout_session(
        &mut self,
        s: &CheckoutSession,
        next_action_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO checkout_sessions (id, token, uuid, merchant_id, mode, status, amount, \
             currency, items, operators, return_url, cancel_url, locale, customer_name, \
             customer_phone, customer_id, description, metadata, attempts, expires_at, \
             created_at, updated_at, next_action_at, face) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
        )
        .bind(s.id.clone())
        .bind(s.token.clone())
        .bind(s.uuid.clone())
        .bind(s.merchant_id.clone())
        .bind(s.mode.as_str())
        .bind(s.status.as_str())
        .bind(s.amount)
        .bind(s.currency.code())
        .bind(json("items", &s.items)?)
        .bind(json("operators", &s.operators)?)
        .bind(s.return_url.clone())
        .bind(s.cancel_url.clone())
        .bind(s.locale.map(Locale::as_str))
        .bind(s.customer_name.clone())
        .bind(s.customer_phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(s.customer_id.clone())
        .bind(s.description.clone())
        .bind(json("metadata", &s.metadata)?)
        .bind(i64::from(s.attempts))
        .bind(s.expires_at.as_micros())
        .bind(s.created_at.as_micros())
        .bind(s.updated_at.as_micros())
        .bind(next_action_at.map(Timestamp::as_micros))
        .bind(s.face.map(|f| f.as_str()))
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Reads and locks one session (`None` if there is none under `key`).
    pub async fn lock_checkout_session(
        &mut self,
        key: SessionKey<'_>,
    ) -> Result<Option<CheckoutSession>, StoreError> {
        let (cond, binds) = key.condition();
        let lock = match self.dialect {
            crate::Dialect::Postgres => " FOR UPDATE OF s",
            crate::Dialect::Sqlite => "",
        };
        let sql = format!("{SESSION_SELECT} WHERE {cond}{lock}");
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let row = q.fetch_optional(&mut **self.tx()).await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Writes a session's mutable fields; `next_action_at` is when the worker should look at it
    /// again (its expiry while open).
    pub async fn save_checkout_session(
        &mut self,
        s: &CheckoutSession,
        next_action_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE checkout_sessions SET status = $2, attempts = $3, attempt_id = $4, \
             payment_id = $5, completed_at = $6, updated_at = $7, next_action_at = $8 \
             WHERE id = $1",
        )
        .bind(s.id.clone())
        .bind(s.status.as_str())
        .bind(i64::from(s.attempts))
        .bind(s.attempt.as_ref().map(|a| a.payment_id.clone()))
        .bind(s.payment_id.clone())
        .bind(s.completed_at.map(Timestamp::as_micros))
        .bind(s.updated_at.as_micros())
        .bind(next_action_at.map(Timestamp::as_micros))
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Claims open sessions whose expiry has come, skipping rows another worker holds.
    pub async fn claim_due_checkout_sessions(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<CheckoutSession>, StoreError> {
        let lock = match self.dialect {
            crate::Dialect::Postgres => " FOR UPDATE OF s SKIP LOCKED",
            crate::Dialect::Sqlite => "",
        };
        let sql = format!(
            "{SESSION_SELECT} WHERE s.next_action_at <= $1 ORDER BY s.next_action_at \
             LIMIT {limit}{lock}"
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(now.as_micros())
            .fetch_all(&mut **self.tx())
            .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// How many checkout attempts of `mode` prompted `phone` since `since`, of one merchant
    /// or (`merchant: None`) of all: the limit protects the phone's owner from prompt spam.
    pub async fn checkout_prompts_to(
        &mut self,
        phone: &str,
        mode: Mode,
        merchant: Option<&str>,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM payments WHERE checkout_session_id IS NOT NULL \
             AND payer_phone = $1 AND created_at >= $2 AND mode = $3{}",
            if merchant.is_some() {
                " AND merchant_id = $4"
            } else {
                ""
            }
        );
        let mut q = sqlx::query_scalar::<Any, i64>(&sql)
            .bind(phone)
            .bind(since.as_micros())
            .bind(mode.as_str());
        if let Some(m) = merchant {
            q = q.bind(m);
        }
        Ok(q.fetch_one(&mut **self.tx()).await?)
    }
}

impl Store {
    /// One session, without locking it.
    pub async fn checkout_session(
        &self,
        key: SessionKey<'_>,
    ) -> Result<Option<CheckoutSession>, StoreError> {
        let (cond, binds) = key.condition();
        let sql = format!("{SESSION_SELECT} WHERE {cond}");
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let row = q.fetch_optional(&self.read).await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// A newest-first page of a merchant's sessions, optionally in some statuses, after the
    /// session `starting_after`. `None` if that session is not the merchant's.
    pub async fn list_checkout_sessions(
        &self,
        merchant_id: &str,
        mode: Mode,
        statuses: &[CheckoutStatus],
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<CheckoutSession>, bool)>, StoreError> {
        let mut sql = format!("{SESSION_SELECT} WHERE s.merchant_id = $1 AND s.mode = $2");
        let mut n = 2;
        if !statuses.is_empty() {
            // Statuses come from the core's enum, never from the request, so they are inlined.
            let list: Vec<String> = statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            sql.push_str(&format!(" AND s.status IN ({})", list.join(", ")));
        }
        let after_seq = match starting_after {
            Some(a) => match self
                .cursor_seq("checkout_sessions", merchant_id, mode, a)
                .await?
            {
                Some(seq) => Some(seq),
                None => return Ok(None),
            },
            None => None,
        };
        if after_seq.is_some() {
            n += 1;
            sql.push_str(&format!(" AND s.seq < ${n}"));
        }
        sql.push_str(&format!(
            " ORDER BY s.seq DESC LIMIT {}",
            u64::from(limit) + 1
        ));
        let mut q = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str());
        if let Some(s) = after_seq {
            q = q.bind(s);
        }
        let rows = q.fetch_all(&self.read).await?;
        Ok(Some(page(&rows, limit, session_from_row)?))
    }
}
