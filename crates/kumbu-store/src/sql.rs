//! Statements built at run time: bound values, multi-row inserts in chunks, and pages of a
//! listing. Shared by every table's module.

use crate::connect::Store;
use crate::dialect::Dialect;
use crate::error::StoreError;
use crate::tx::StoreTx;
use kumbu_core::{Mode, Timestamp};
use sqlx::any::AnyRow;
use sqlx::AnyPool;
use sqlx::{Any, Row, Transaction};

/// Largest number of bound parameters put in one statement (both backends allow far more).
pub(crate) const MAX_PARAMS: usize = 16_000;

/// A value bound into a dynamically built statement.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

/// Runs `INSERT INTO table (columns) VALUES (…), (…) [suffix]` in chunks.
pub(crate) async fn insert_rows(
    dialect: Dialect,
    tx: &mut Transaction<'static, Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<(), StoreError> {
    let per_chunk = (MAX_PARAMS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_chunk).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..row.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&dialect.param(n));
            }
            sql.push(')');
        }
        sql.push_str(suffix);
        let mut q = sqlx::query::<Any>(&sql);
        for v in chunk.into_iter().flatten() {
            q = bind(q, v);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

pub(crate) fn bind<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    v: Value,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    match v {
        Value::Text(s) => q.bind(s),
        Value::OptText(s) => q.bind(s),
        Value::Int(i) => q.bind(i),
        Value::OptInt(i) => q.bind(i),
    }
}

/// A page of a listing fetched with `LIMIT limit + 1`: the first `limit` rows mapped, and
/// whether more follow.
pub(crate) fn page<T>(
    rows: &[sqlx::any::AnyRow],
    limit: u32,
    from_row: fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
) -> Result<(Vec<T>, bool), StoreError> {
    let more = rows.len() > limit as usize;
    let items = rows
        .iter()
        .take(limit as usize)
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, more))
}

/// [`bind`] for a scalar query.
pub(crate) fn bind_scalar<'q, O>(
    q: sqlx::query::QueryScalar<'q, Any, O, sqlx::any::AnyArguments<'q>>,
    v: Value,
) -> sqlx::query::QueryScalar<'q, Any, O, sqlx::any::AnyArguments<'q>> {
    match v {
        Value::Text(s) => q.bind(s),
        Value::OptText(s) => q.bind(s),
        Value::Int(i) => q.bind(i),
        Value::OptInt(i) => q.bind(i),
    }
}

/// A table whose rows read as one domain type, with the shapes such tables repeat written once:
/// lock one row (by id, by owner and id, or by a condition), claim the rows whose
/// `next_action_at` is due (skipping rows another worker holds, on PostgreSQL), read one row of a
/// merchant, and list a merchant's rows newest first. Each table module declares its `Table` as a
/// `const` (`payments.rs`, `refunds.rs`, `payouts.rs`, `collections/{requests,ingests}.rs`).
pub(crate) struct Table<T> {
    /// The table.
    pub(crate) name: &'static str,
    /// The columns `from_row` reads, in its order.
    pub(crate) columns: &'static str,
    /// Reads one row.
    pub(crate) from_row: fn(&AnyRow) -> Result<T, StoreError>,
}

impl<T> Table<T> {
    /// Locks one row for an update (`None` if there is none).
    pub(crate) async fn lock(&self, tx: &mut StoreTx, id: &str) -> Result<Option<T>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = $1{}",
            self.columns,
            self.name,
            tx.dialect.for_update()
        );
        sqlx::query::<Any>(&sql)
            .bind(id)
            .fetch_optional(&mut **tx.tx())
            .await?
            .as_ref()
            .map(self.from_row)
            .transpose()
    }

    /// Claims up to `limit` rows whose next step is due at `now`, oldest due first.
    pub(crate) async fn claim_due(
        &self,
        tx: &mut StoreTx,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<T>, StoreError> {
        self.claim_due_where(tx, now, limit, "").await
    }

    /// [`claim_due`](Self::claim_due) of the rows that also meet `also` (SQL starting ` AND`,
    /// which may use `$1`, now).
    pub(crate) async fn claim_due_where(
        &self,
        tx: &mut StoreTx,
        now: Timestamp,
        limit: u32,
        also: &str,
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE next_action_at <= $1{also} ORDER BY next_action_at LIMIT {limit}{}",
            self.columns,
            self.name,
            tx.dialect.for_update_skip_locked()
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(now.as_micros())
            .fetch_all(&mut **tx.tx())
            .await?;
        rows.iter().map(self.from_row).collect()
    }

    /// A newest-first page of a merchant's rows whose `column = value` for every filter, after
    /// the row `starting_after`; `None` if that row is not the merchant's.
    pub(crate) async fn newest_first(
        &self,
        store: &Store,
        owner: (&str, Mode),
        filters: Vec<(&'static str, Value)>,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<T>, bool)>, StoreError> {
        let mut cond = Owned::by(owner);
        for (column, value) in filters {
            cond.and(&format!("{column} ="), value);
        }
        self.page(store, owner, cond, starting_after, limit).await
    }

    /// A newest-first page of the merchant's rows that `cond` matches, after the row
    /// `starting_after`; `None` if that row is not the merchant's.
    pub(crate) async fn page(
        &self,
        store: &Store,
        (merchant_id, mode): (&str, Mode),
        Owned { mut sql, mut binds }: Owned,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<T>, bool)>, StoreError> {
        if let Some(after) = starting_after {
            let Some(seq) = store
                .cursor_seq(self.name, merchant_id, mode, after)
                .await?
            else {
                return Ok(None);
            };
            binds.push(Value::Int(seq));
            sql.push_str(&format!(" AND seq < ${}", binds.len()));
        }
        let sql = format!(
            "SELECT {} FROM {} WHERE {sql} ORDER BY seq DESC LIMIT {}",
            self.columns,
            self.name,
            u64::from(limit) + 1
        );
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = bind(q, b);
        }
        let rows = q.fetch_all(&store.read).await?;
        Ok(Some(page(&rows, limit, self.from_row)?))
    }

    /// Up to `limit` of a merchant's rows created in `[from, to)` that also meet `also` (SQL
    /// starting ` AND`, binding nothing), oldest first, after the row at
    /// `after` (its `created_at` and `seq`: the previous page's last), each with its `seq`
    /// (`columns` must hold `seq`). What an export reads a page at a time: the page's index range
    /// starts at the cursor's instant (an `OR` alone would scan the period from its start again
    /// on every page), the `OR` only sorts out rows of that same instant.
    pub(crate) async fn between(
        &self,
        store: &Store,
        (merchant_id, mode): (&str, Mode),
        (from, to): (Timestamp, Timestamp),
        after: Option<(Timestamp, i64)>,
        (also, limit): (&str, u32),
    ) -> Result<Vec<(T, i64)>, StoreError> {
        let (after_at, after_seq) =
            after.map_or((from.as_micros(), -1), |(at, seq)| (at.as_micros(), seq));
        // One lower bound, the later of the period's start and the cursor's instant: given two,
        // SQLite ranges over the first (the period's), and every page would scan it again.
        let sql = format!(
            "SELECT {} FROM {} \
             WHERE merchant_id = $1 AND mode = $2 AND created_at >= $3 AND created_at < $4 \
               AND (created_at > $5 OR seq > $6){also} \
             ORDER BY created_at, seq LIMIT {limit}",
            self.columns, self.name
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str())
            .bind(after_at.max(from.as_micros()))
            .bind(to.as_micros())
            .bind(after_at)
            .bind(after_seq)
            .fetch_all(&store.read)
            .await?;
        rows.iter()
            .map(|r| Ok(((self.from_row)(r)?, r.try_get::<i64, _>("seq")?)))
            .collect()
    }

    /// Locks the first row `cond` matches (`cond` may end with its own `ORDER BY`).
    pub(crate) async fn lock_where(
        &self,
        tx: &mut StoreTx,
        cond: &str,
        binds: Vec<Value>,
    ) -> Result<Option<T>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {cond} LIMIT 1{}",
            self.columns,
            self.name,
            tx.dialect.for_update()
        );
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = bind(q, b);
        }
        q.fetch_optional(&mut **tx.tx())
            .await?
            .as_ref()
            .map(self.from_row)
            .transpose()
    }

    /// Locks one row of a merchant in a mode (`None` if it is not theirs).
    pub(crate) async fn lock_owned(
        &self,
        tx: &mut StoreTx,
        owner: (&str, Mode),
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let mut cond = Owned::by(owner);
        cond.and("id =", Value::Text(id.to_owned()));
        self.lock_where(tx, &cond.sql, cond.binds).await
    }

    /// One row of a merchant in a mode, read from `pool` (`None` if it is not theirs).
    pub(crate) async fn owned(
        &self,
        pool: &AnyPool,
        (merchant_id, mode): (&str, Mode),
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = $1 AND merchant_id = $2 AND mode = $3",
            self.columns, self.name
        );
        sqlx::query::<Any>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(self.from_row)
            .transpose()
    }
}

/// The conditions of a merchant's rows: `merchant_id = $1 AND mode = $2`, narrowed by more, with
/// the values bound to them.
pub(crate) struct Owned {
    /// `merchant_id = $1 AND mode = $2 AND …`
    pub(crate) sql: String,
    /// The values of `$1`, `$2`, …
    pub(crate) binds: Vec<Value>,
}

impl Owned {
    /// A merchant's rows in a mode.
    pub(crate) fn by((merchant_id, mode): (&str, Mode)) -> Self {
        Self {
            sql: "merchant_id = $1 AND mode = $2".to_owned(),
            binds: vec![
                Value::Text(merchant_id.to_owned()),
                Value::Text(mode.as_str().to_owned()),
            ],
        }
    }

    /// Narrows to `test $n` (`test` is e.g. `"amount >="`), binding `value` as `$n`.
    pub(crate) fn and(&mut self, test: &str, value: Value) {
        self.binds.push(value);
        self.sql
            .push_str(&format!(" AND {test} ${}", self.binds.len()));
    }

    /// Narrows to rows whose `a` or `b` equals `value` (bound once per column).
    pub(crate) fn and_either(&mut self, a: &str, b: &str, value: Value) {
        self.binds.push(value.clone());
        self.binds.push(value);
        let n = self.binds.len();
        self.sql
            .push_str(&format!(" AND ({a} = ${} OR {b} = ${n})", n - 1));
    }

    /// Narrows to `column IN (…)` when `codes` has any: codes of Kumbu's own enums (never from a
    /// request), so they are inlined rather than bound.
    pub(crate) fn and_in(&mut self, column: &str, codes: impl IntoIterator<Item = &'static str>) {
        let list: Vec<String> = codes.into_iter().map(|c| format!("'{c}'")).collect();
        if !list.is_empty() {
            self.and_literal(&format!("{column} IN ({})", list.join(", ")));
        }
    }

    /// Narrows by a condition that binds nothing (its values come from Kumbu's own enums).
    pub(crate) fn and_literal(&mut self, cond: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(cond);
    }
}

impl Store {
    /// The insertion sequence of `id` in `table` (`payments` or `events`), if it is one of this
    /// merchant's objects in this mode: the position a `starting_after` cursor stands for.
    pub(crate) async fn cursor_seq(
        &self,
        table: &'static str,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let sql =
            format!("SELECT seq FROM {table} WHERE id = $1 AND merchant_id = $2 AND mode = $3");
        Ok(sqlx::query_scalar::<Any, i64>(&sql)
            .bind(id)
            .bind(merchant_id)
            .bind(mode.as_str())
            .fetch_optional(&self.read)
            .await?)
    }
}
