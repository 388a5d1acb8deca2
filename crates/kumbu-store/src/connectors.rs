//! Merchants' operator credentials (sealed by the engine; the store never sees them in clear),
//! and what an operator's callback may cause: a record of it, then its payment made due now.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use kumbu_core::{Operator, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

/// A merchant's credentials for one operator, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorCredentialRow {
    /// `<merchant id>/<operator code>`.
    pub id: String,
    /// Owner.
    pub merchant_id: String,
    /// The operator they are for.
    pub operator: Operator,
    /// What may be shown, as JSON.
    pub summary: String,
    /// The credentials, sealed.
    pub sealed: String,
    /// When first set.
    pub created_at: Timestamp,
    /// When last replaced.
    pub updated_at: Timestamp,
}

/// Money Kumbu sends out through operators, and the column holding the operator's reference:
/// a callback about one of them makes it due too.
const OUTBOUND: [(&str, &str); 2] = [
    ("refunds", "operator_refund_id"),
    ("payouts", "operator_reference"),
];

const COLUMNS: &str = "id, merchant_id, operator, summary, sealed, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<OperatorCredentialRow, StoreError> {
    let op: String = r.try_get("operator")?;
    Ok(OperatorCredentialRow {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        operator: Operator::parse(&op).ok_or_else(|| corrupt("operator", &op))?,
        summary: r.try_get("summary")?,
        sealed: r.try_get("sealed")?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
    })
}

impl Store {
    /// A merchant's credentials for an operator.
    pub async fn operator_credentials(
        &self,
        merchant_id: &str,
        operator: Operator,
    ) -> Result<Option<OperatorCredentialRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM operator_credentials WHERE merchant_id = $1 AND operator = $2"
        );
        sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(operator.code())
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Every credential of a merchant (or of all merchants), by operator.
    pub async fn list_operator_credentials(
        &self,
        merchant_id: Option<&str>,
    ) -> Result<Vec<OperatorCredentialRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM operator_credentials WHERE ($1 = '' OR merchant_id = $1) \
             ORDER BY merchant_id, operator"
        );
        sqlx::query::<Any>(&sql)
            .bind(merchant_id.unwrap_or_default().to_owned())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Records operators' callbacks naming `references`: one insert, which waits on no payment
    /// row (a worker may hold them for a while). [`Store::apply_operator_pokes`] acts on them.
    pub async fn record_operator_pokes(
        &self,
        references: &[String],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for chunk in references.chunks(500) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "({}, {})",
                        self.dialect.param(2 * i + 1),
                        self.dialect.param(2 * i + 2)
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO operator_pokes (reference, at) VALUES {}",
                rows.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql);
            for r in chunk {
                q = q.bind(r.clone()).bind(now.as_micros());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Applies up to `limit` recorded callbacks: makes the live payments, refunds and payouts
    /// they name due now, where still open and not due sooner (a payment whose operator call is
    /// under way, leased, only has the callback remembered in `poked_at`, for its process to ask
    /// again at once). Only rows nobody holds are taken (`SKIP LOCKED`): the callbacks of held
    /// rows stay recorded for the next pass, so a callback, a worker and this pass never wait on
    /// one another, and cannot deadlock. Callbacks naming nothing open are dropped. Returns the
    /// callbacks used up and the objects made due.
    pub async fn apply_operator_pokes(
        &self,
        operators: &[Operator],
        now: Timestamp,
        limit: usize,
    ) -> Result<(usize, u64), StoreError> {
        let d = self.dialect;
        // Most passes find none: asked on the read pool, so that they take no write lock (on
        // SQLite, the one writer) for nothing.
        let any: Option<i64> =
            sqlx::query_scalar::<Any, i64>("SELECT id FROM operator_pokes LIMIT 1")
                .fetch_optional(&self.read)
                .await?;
        if any.is_none() {
            return Ok((0, 0));
        }
        let mut tx = self.begin_write().await?;
        let pokes: Vec<(i64, String)> = sqlx::query_as::<Any, (i64, String)>(&format!(
            "SELECT id, reference FROM operator_pokes ORDER BY id LIMIT {limit}{}",
            d.for_update_skip_locked()
        ))
        .fetch_all(&mut *tx)
        .await?;
        if pokes.is_empty() {
            tx.rollback().await?;
            return Ok((0, 0));
        }
        let mut refs: Vec<&str> = pokes.iter().map(|(_, r)| r.as_str()).collect();
        refs.sort_unstable();
        refs.dedup();
        let ops: Vec<String> = operators
            .iter()
            .map(|o| format!("'{}'", o.code()))
            .collect();
        let list = |from: usize| -> String {
            (from..from + refs.len())
                .map(|i| d.param(i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut made_due = 0;
        let mut held: Vec<String> = Vec::new();
        // Refunds and payouts, then payments: one order of tables, each in id order.
        let tables = OUTBOUND
            .iter()
            .map(|(table, column)| (*table, *column, String::new()))
            .chain(std::iter::once((
                "payments",
                "operator_reference",
                format!(" AND operator IN ({})", ops.join(", ")),
            )));
        for (table, column, also) in tables {
            let open = format!(
                "{column} IN ({}) AND mode = 'live' AND next_action_at IS NOT NULL{also}",
                list(1)
            );
            let select = format!("SELECT id, {column} FROM {table} WHERE {open} ORDER BY id");
            let all = bind_refs(&select, &refs).fetch_all(&mut *tx).await?;
            if all.is_empty() {
                continue;
            }
            let lock = format!("{select}{}", d.for_update_skip_locked());
            let free = bind_refs(&lock, &refs).fetch_all(&mut *tx).await?;
            held.extend(
                all.into_iter()
                    .filter(|row| !free.contains(row))
                    .map(|(_, r)| r),
            );
            if free.is_empty() {
                continue;
            }
            // `now` is bound once per use: SQLite's `?` placeholders are positional.
            let update = if table == "payments" {
                let ids = (5..free.len() + 5).map(|i| d.param(i)).collect::<Vec<_>>();
                format!(
                    "UPDATE payments SET poked_at = {}, next_action_at = CASE \
                     WHEN lease_until IS NOT NULL AND lease_until > {} THEN next_action_at \
                     WHEN next_action_at > {} THEN {} ELSE next_action_at END \
                     WHERE id IN ({})",
                    d.param(1),
                    d.param(2),
                    d.param(3),
                    d.param(4),
                    ids.join(", ")
                )
            } else {
                let ids = (3..free.len() + 3).map(|i| d.param(i)).collect::<Vec<_>>();
                format!(
                    "UPDATE {table} SET next_action_at = {} WHERE next_action_at > {} \
                     AND id IN ({})",
                    d.param(1),
                    d.param(2),
                    ids.join(", ")
                )
            };
            let uses_of_now = if table == "payments" { 4 } else { 2 };
            let mut q = sqlx::query::<Any>(&update);
            for _ in 0..uses_of_now {
                q = q.bind(now.as_micros());
            }
            for (id, _) in &free {
                q = q.bind(id.clone());
            }
            made_due += q.execute(&mut *tx).await?.rows_affected();
        }
        let used: Vec<i64> = pokes
            .iter()
            .filter(|(_, r)| !held.contains(r))
            .map(|(id, _)| *id)
            .collect();
        for chunk in used.chunks(500) {
            let ids = (1..=chunk.len()).map(|i| d.param(i)).collect::<Vec<_>>();
            let delete = format!(
                "DELETE FROM operator_pokes WHERE id IN ({})",
                ids.join(", ")
            );
            let mut q = sqlx::query::<Any>(&delete);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok((used.len(), made_due))
    }
}

impl Store {
    /// Removes recorded callbacks older than `before` that no pass applied (only possible while
    /// no process runs workers, or a transaction held their object all along): a callback is a
    /// hint, and polling learns the same.
    pub async fn purge_operator_pokes(&self, before: Timestamp) -> Result<u64, StoreError> {
        Ok(
            sqlx::query::<Any>("DELETE FROM operator_pokes WHERE at < $1")
                .bind(before.as_micros())
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }
}

/// `sql` with `refs` bound in order, read as (id, reference) rows.
fn bind_refs<'q>(
    sql: &'q str,
    refs: &[&str],
) -> sqlx::query::QueryAs<'q, Any, (String, String), sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query_as::<Any, (String, String)>(sql);
    for r in refs {
        q = q.bind((*r).to_owned());
    }
    q
}

impl crate::tx::StoreTx {
    /// Locks payments whose operator calls just ended (with their history: events number
    /// themselves by it), each with when an operator called back during our lease (`lease_until`:
    /// remembered in `poked_at`, or recorded and not yet applied, then taken) and whether the lease is still ours (another process may have taken a payment over after
    /// ours ran out); saving ours with [`Lease::End`](crate::Lease::End) ends it. Locked in id
    /// order, so that concurrent passes cannot deadlock.
    pub async fn take_leased_payments(
        &mut self,
        ids: &[&str],
        lease_until: Timestamp,
    ) -> Result<Vec<(kumbu_core::Payment, Option<Timestamp>, bool)>, StoreError> {
        let mut payments = Vec::with_capacity(ids.len());
        let mut pokes = Vec::with_capacity(ids.len());
        let mut ours_list = Vec::with_capacity(ids.len());
        let mut sorted: Vec<&str> = ids.to_vec();
        sorted.sort_unstable();
        for chunk in sorted.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| self.dialect.param(i)).collect();
            let sql = format!(
                "SELECT {}, poked_at, lease_until FROM payments WHERE id IN ({}) ORDER BY id{}",
                crate::payments::PAYMENT_COLUMNS,
                list.join(", "),
                self.dialect.for_update()
            );
            let mut q = sqlx::query::<Any>(&sql);
            for id in chunk {
                q = q.bind((*id).to_owned());
            }
            for row in q.fetch_all(&mut **self.tx()).await? {
                let ours =
                    row.try_get::<Option<i64>, _>("lease_until")? == Some(lease_until.as_micros());
                let poked = row
                    .try_get::<Option<i64>, _>("poked_at")?
                    .filter(|_| ours)
                    .map(Timestamp::from_micros);
                payments.push(crate::payments::payment_from_row(&row)?);
                pokes.push(poked);
                ours_list.push(ours);
            }
        }
        crate::payments::attach_history(self.dialect, &mut **self.tx(), &mut payments).await?;
        // Callbacks recorded (not yet applied) for payments still ours: taken here, so that the
        // news they announce is asked for at once rather than a pass later.
        let ours_refs: Vec<&str> = payments
            .iter()
            .zip(&ours_list)
            .filter(|(_, ours)| **ours)
            .filter_map(|(p, _)| p.operator_reference.as_deref())
            .collect();
        let recorded = self.take_pokes_for(&ours_refs).await?;
        for ((p, poked), ours) in payments.iter().zip(pokes.iter_mut()).zip(&ours_list) {
            if let (true, None, Some(r)) = (*ours, *poked, p.operator_reference.as_deref()) {
                *poked = recorded.get(r).copied();
            }
        }
        Ok(payments
            .into_iter()
            .zip(pokes)
            .zip(ours_list)
            .map(|((p, poked), ours)| (p, poked, ours))
            .collect())
    }

    /// Deletes the recorded callbacks naming `references` that no other pass holds, and returns
    /// when each reference was first called back.
    async fn take_pokes_for(
        &mut self,
        references: &[&str],
    ) -> Result<std::collections::HashMap<String, Timestamp>, StoreError> {
        let mut taken = std::collections::HashMap::new();
        for chunk in references.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| self.dialect.param(i)).collect();
            let sql = format!(
                "DELETE FROM operator_pokes WHERE id IN (SELECT id FROM operator_pokes \
                 WHERE reference IN ({}){}) RETURNING reference, at",
                list.join(", "),
                self.dialect.for_update_skip_locked()
            );
            let mut q = sqlx::query_as::<Any, (String, i64)>(&sql);
            for r in chunk {
                q = q.bind((*r).to_owned());
            }
            for (reference, at) in q.fetch_all(&mut **self.tx()).await? {
                let at = Timestamp::from_micros(at);
                taken
                    .entry(reference)
                    .and_modify(|t: &mut Timestamp| *t = (*t).min(at))
                    .or_insert(at);
            }
        }
        Ok(taken)
    }
}

impl crate::tx::StoreTx {
    /// Stores (or replaces) a merchant's credentials for an operator; `true` if they are new.
    pub async fn put_operator_credentials(
        &mut self,
        row: &OperatorCredentialRow,
    ) -> Result<bool, StoreError> {
        let existed = sqlx::query::<Any>("SELECT 1 AS one FROM operator_credentials WHERE id = $1")
            .bind(row.id.clone())
            .fetch_optional(&mut **self.tx())
            .await?
            .is_some();
        sqlx::query::<Any>(
            "INSERT INTO operator_credentials (id, merchant_id, operator, summary, sealed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (id) DO UPDATE SET summary = excluded.summary, sealed = excluded.sealed, \
             updated_at = excluded.updated_at",
        )
        .bind(row.id.clone())
        .bind(row.merchant_id.clone())
        .bind(row.operator.code())
        .bind(row.summary.clone())
        .bind(row.sealed.clone())
        .bind(row.updated_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(!existed)
    }
}

impl crate::tx::StoreTx {
    /// Removes a merchant's credentials for an operator; `true` if there were some.
    pub async fn delete_operator_credentials(
        &mut self,
        merchant_id: &str,
        operator: Operator,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query::<Any>(
            "DELETE FROM operator_credentials WHERE merchant_id = $1 AND operator = $2",
        )
        .bind(merchant_id)
        .bind(operator.code())
        .execute(&mut **self.tx())
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}
