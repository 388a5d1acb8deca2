//! Bank references, their id generator's state, Multicaixa period counters and merchants'
//! Multicaixa entities.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::page;
use crate::tx::StoreTx;
use kumbu_core::{Face, Mode, Reference, ReferenceStatus, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const REFERENCE_COLUMNS: &str =
    "merchant_id, mode, id, amount, end_at, custom_fields, status, created_at, updated_at, face";

fn reference_from_row(r: &AnyRow) -> Result<Reference, StoreError> {
    let mode: String = r.try_get("mode")?;
    let status: String = r.try_get("status")?;
    let fields: String = r.try_get("custom_fields")?;
    let id: i64 = r.try_get("id")?;
    Ok(Reference {
        id: u64::try_from(id).map_err(|_| corrupt("reference id", &id.to_string()))?,
        merchant_id: r.try_get("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        amount: r.try_get("amount")?,
        end_at: r
            .try_get::<Option<i64>, _>("end_at")?
            .map(Timestamp::from_micros),
        custom_fields: serde_json::from_str(&fields)
            .map_err(|_| corrupt("custom_fields", &fields))?,
        status: ReferenceStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
        face: r
            .try_get::<Option<String>, _>("face")?
            .as_deref()
            .and_then(Face::parse),
    })
}

fn db_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

impl StoreTx {
    /// Reads and locks a reference (`None` if the merchant has none with this id).
    pub async fn lock_reference(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        id: u64,
    ) -> Result<Option<Reference>, StoreError> {
        let sql = format!(
            "SELECT {REFERENCE_COLUMNS} FROM bank_references WHERE merchant_id = $1 AND mode = $2 \
             AND id = $3{}",
            self.dialect.for_update()
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str())
            .bind(db_id(id))
            .fetch_optional(&mut **self.tx())
            .await?;
        row.as_ref().map(reference_from_row).transpose()
    }

    /// Inserts a reference, or replaces its amount, end and custom fields (a deleted one becomes
    /// active again; a paid one stays paid).
    pub async fn upsert_reference(&mut self, r: &Reference) -> Result<(), StoreError> {
        let fields = serde_json::to_string(&r.custom_fields)
            .map_err(|e| StoreError::Corrupt(format!("custom_fields: {e}")))?;
        sqlx::query::<Any>(
            "INSERT INTO bank_references (merchant_id, mode, id, amount, end_at, custom_fields, \
             status, created_at, updated_at, face) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (merchant_id, mode, id) DO UPDATE SET amount = excluded.amount, \
             end_at = excluded.end_at, custom_fields = excluded.custom_fields, \
             status = CASE WHEN bank_references.status = 'deleted' THEN 'active' \
             ELSE bank_references.status END, updated_at = excluded.updated_at",
        )
        .bind(r.merchant_id.clone())
        .bind(r.mode.as_str())
        .bind(db_id(r.id))
        .bind(r.amount)
        .bind(r.end_at.map(Timestamp::as_micros))
        .bind(fields)
        .bind(r.status.as_str())
        .bind(r.created_at.as_micros())
        .bind(r.updated_at.as_micros())
        .bind(r.face.map(|f| f.as_str()))
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Sets a reference's stored status.
    pub async fn set_reference_status(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        id: u64,
        status: ReferenceStatus,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE bank_references SET status = $4, updated_at = $5 WHERE merchant_id = $1 \
             AND mode = $2 AND id = $3",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(db_id(id))
        .bind(status.as_str())
        .bind(now.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Whether the merchant has a reference with this id (in any status).
    pub async fn reference_exists(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        id: u64,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM bank_references WHERE merchant_id = $1 AND mode = $2 AND id = $3",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(db_id(id))
        .fetch_one(&mut **self.tx())
        .await?;
        Ok(n > 0)
    }

    /// Locks the merchant's reference-id generator, creating it at `seed` if it has none.
    /// Returns (last id handed out, how many were handed out).
    pub async fn lock_reference_generator(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        seed: u64,
    ) -> Result<(u64, i64), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO reference_id_generators (merchant_id, mode, state, issued) \
             VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(db_id(seed))
        .execute(&mut **self.tx())
        .await?;
        let sql = format!(
            "SELECT state, issued FROM reference_id_generators WHERE merchant_id = $1 AND mode = $2{}",
            self.dialect.for_update()
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_one(&mut **self.tx())
            .await?;
        let state: i64 = row.try_get("state")?;
        Ok((
            u64::try_from(state).map_err(|_| corrupt("generator state", &state.to_string()))?,
            row.try_get("issued")?,
        ))
    }

    /// Stores the generator's new state.
    pub async fn save_reference_generator(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        state: u64,
        issued: i64,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE reference_id_generators SET state = $3, issued = $4 WHERE merchant_id = $1 AND mode = $2",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(db_id(state))
        .bind(issued)
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// The next transaction number of a merchant's Multicaixa period starting at `period_start`.
    pub async fn next_period_transaction(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        period_start: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "INSERT INTO multicaixa_periods (merchant_id, mode, period_start, last_transaction) \
             VALUES ($1, $2, $3, 1) ON CONFLICT (merchant_id, mode, period_start) DO UPDATE SET \
             last_transaction = multicaixa_periods.last_transaction + 1 RETURNING last_transaction",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(period_start.as_micros())
        .fetch_one(&mut **self.tx())
        .await?)
    }

    /// The merchant's Multicaixa entity, assigning the next one (from 10001) on first use. The
    /// number comes from a counter row, so concurrent first uses never collide.
    pub async fn assign_merchant_entity(&mut self, merchant_id: &str) -> Result<i64, StoreError> {
        if let Some(e) = self.merchant_entity(merchant_id).await? {
            return Ok(e);
        }
        let next: i64 = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO counters (name, value) VALUES ('multicaixa_entity', 10001) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .fetch_one(&mut **self.tx())
        .await?;
        sqlx::query::<Any>(
            "UPDATE merchants SET multicaixa_entity = $2 WHERE id = $1 AND multicaixa_entity IS NULL",
        )
        .bind(merchant_id)
        .bind(next)
        .execute(&mut **self.tx())
        .await?;
        self.merchant_entity(merchant_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("merchant {merchant_id} vanished")))
    }

    async fn merchant_entity(&mut self, merchant_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar::<Any, Option<i64>>(
            "SELECT multicaixa_entity FROM merchants WHERE id = $1",
        )
        .bind(merchant_id)
        .fetch_optional(&mut **self.tx())
        .await?
        .flatten())
    }

    /// Inserts a new reference; `false` if the merchant already has one with this id.
    pub async fn insert_reference(&mut self, r: &Reference) -> Result<bool, StoreError> {
        let fields = serde_json::to_string(&r.custom_fields)
            .map_err(|e| StoreError::Corrupt(format!("custom_fields: {e}")))?;
        let n = sqlx::query::<Any>(
            "INSERT INTO bank_references (merchant_id, mode, id, amount, end_at, custom_fields, \
             status, created_at, updated_at, face) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING",
        )
        .bind(r.merchant_id.clone())
        .bind(r.mode.as_str())
        .bind(db_id(r.id))
        .bind(r.amount)
        .bind(r.end_at.map(Timestamp::as_micros))
        .bind(fields)
        .bind(r.status.as_str())
        .bind(r.created_at.as_micros())
        .bind(r.updated_at.as_micros())
        .bind(r.face.map(|f| f.as_str()))
        .execute(&mut **self.tx())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records where a reference stands at its gateway: `state` `pending` (sent again from
    /// `due_at`), `synced` or `refused` (`error` says why). `tried`: one more attempt made.
    pub async fn set_reference_upstream(
        &mut self,
        key: (&str, Mode, u64),
        state: UpstreamState,
        due_at: Option<Timestamp>,
        error: Option<&str>,
        tried: bool,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "UPDATE bank_references SET upstream = $4, upstream_due_at = $5, upstream_error = $6, \
             upstream_tries = CASE WHEN $7 THEN upstream_tries + 1 ELSE 0 END \
             WHERE merchant_id = $1 AND mode = $2 AND id = $3",
        )
        .bind(key.0.to_owned())
        .bind(key.1.as_str())
        .bind(db_id(key.2))
        .bind(state.as_str())
        .bind(due_at.map(Timestamp::as_micros))
        .bind(error.map(str::to_owned))
        .bind(tried)
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Claims up to `limit` references whose change is due at their gateway at `now`, oldest due
    /// first, and moves each one's due time to `lease_until` (another process skips them until
    /// then): with how many attempts each has had.
    pub async fn claim_upstream_references(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<(Reference, i64)>, StoreError> {
        let sql = format!(
            "SELECT {REFERENCE_COLUMNS}, upstream_tries FROM bank_references \
             WHERE upstream = 'pending' AND upstream_due_at <= $1 ORDER BY upstream_due_at \
             LIMIT {limit}{}",
            self.dialect.for_update_skip_locked()
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(now.as_micros())
            .fetch_all(&mut **self.tx())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = reference_from_row(row)?;
            let tries: i64 = row
                .try_get::<i32, _>("upstream_tries")
                .map(i64::from)
                .or_else(|_| row.try_get::<i64, _>("upstream_tries"))?;
            sqlx::query::<Any>(
                "UPDATE bank_references SET upstream_due_at = $4 \
                 WHERE merchant_id = $1 AND mode = $2 AND id = $3",
            )
            .bind(r.merchant_id.clone())
            .bind(r.mode.as_str())
            .bind(db_id(r.id))
            .bind(lease_until.as_micros())
            .execute(&mut **self.tx())
            .await?;
            out.push((r, tries));
        }
        Ok(out)
    }
}

/// Where a reference stands at its gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamState {
    /// A change is to be sent.
    Pending,
    /// The gateway has it as Kumbu does.
    Synced,
    /// The gateway refused it.
    Refused,
}

impl UpstreamState {
    /// The stored word.
    pub const fn as_str(self) -> &'static str {
        match self {
            UpstreamState::Pending => "pending",
            UpstreamState::Synced => "synced",
            UpstreamState::Refused => "refused",
        }
    }
}

impl Store {
    /// The merchants with `operator` credentials whose gateway queue is due to be read at `now`
    /// (a read of the credentials' rows; the turn itself is [`Store::take_poll_turn`]).
    pub async fn due_poll_merchants(
        &self,
        operator: &str,
        now: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar::<Any, String>(
            "SELECT merchant_id FROM operator_credentials WHERE operator = $1 \
             AND (next_poll_at IS NULL OR next_poll_at <= $2) ORDER BY merchant_id",
        )
        .bind(operator.to_owned())
        .bind(now.as_micros())
        .fetch_all(&self.read)
        .await?)
    }

    /// Takes `merchant`'s turn to read its gateway's queue for `operator`, if it is due at `now`,
    /// moving the next turn to `next`: `true` for the one process that moved it.
    pub async fn take_poll_turn(
        &self,
        merchant: &str,
        operator: &str,
        now: Timestamp,
        next: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query::<Any>(
            "UPDATE operator_credentials SET next_poll_at = $3 WHERE merchant_id = $1 \
             AND operator = $2 AND (next_poll_at IS NULL OR next_poll_at <= $4)",
        )
        .bind(merchant.to_owned())
        .bind(operator.to_owned())
        .bind(next.as_micros())
        .bind(now.as_micros())
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}

impl Store {
    /// The merchant's Multicaixa entity, if one was assigned.
    pub async fn merchant_entity(&self, merchant_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar::<Any, Option<i64>>(
            "SELECT multicaixa_entity FROM merchants WHERE id = $1",
        )
        .bind(merchant_id)
        .fetch_optional(&self.read)
        .await?
        .flatten())
    }

    /// One reference of a merchant.
    pub async fn reference(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: u64,
    ) -> Result<Option<Reference>, StoreError> {
        let sql = format!(
            "SELECT {REFERENCE_COLUMNS} FROM bank_references WHERE merchant_id = $1 AND mode = $2 AND id = $3"
        );
        let row = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str())
            .bind(db_id(id))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(reference_from_row).transpose()
    }

    /// A page of a merchant's references, newest first, after the id `starting_after` (in
    /// creation order), with whether more follow.
    pub async fn list_references(
        &self,
        merchant_id: &str,
        mode: Mode,
        starting_after: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Reference>, bool), StoreError> {
        let mut sql = format!(
            "SELECT {REFERENCE_COLUMNS} FROM bank_references WHERE merchant_id = $1 AND mode = $2"
        );
        if starting_after.is_some() {
            sql.push_str(
                " AND (created_at, id) < (SELECT created_at, id FROM bank_references \
                 WHERE merchant_id = $1 AND mode = $2 AND id = $3)",
            );
        }
        sql.push_str(&format!(
            " ORDER BY created_at DESC, id DESC LIMIT {}",
            u64::from(limit) + 1
        ));
        let mut q = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str());
        if let Some(a) = starting_after {
            q = q.bind(db_id(a));
        }
        let rows = q.fetch_all(&self.read).await?;
        page(&rows, limit, reference_from_row)
    }

    /// The payment a merchant's bank payment id (ProxyPay's 12-digit id) belongs to.
    pub async fn payment_id_for_bank_payment(
        &self,
        merchant_id: &str,
        mode: Mode,
        bank_payment_id: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar::<Any, String>(
            "SELECT id FROM payments WHERE merchant_id = $1 AND mode = $2 AND bank_payment_id = $3",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(bank_payment_id)
        .fetch_optional(&self.read)
        .await?)
    }
}
