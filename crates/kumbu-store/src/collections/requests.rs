//! Collection requests (bills): rows, locks, the expiry claim, reads and lists.

use super::{json, owner};
use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::{bind, Owned, Table, Value, MAX_PARAMS};
use crate::tx::StoreTx;
use kumbu_core::{
    CollectionBalance, CollectionRequest, CollectionStatus, Currency, ErvDetails, Mode, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const REQUEST_COLUMNS: &str = "seq, id, merchant_id, mode, status, amount, amount_paid, \
    amount_overpaid, currency, allow_instalments, allow_reuse, methods, erv_entity, \
    erv_reference, erv_with_amount, description, payer, due_at, third_party_reference, \
    bill_number, metadata, created_at, updated_at";

/// The collection_requests table, read as [`CollectionRequest`]s.
const REQUESTS: Table<CollectionRequest> = Table {
    name: "collection_requests",
    columns: REQUEST_COLUMNS,
    from_row: request_from_row,
};

fn request_from_row(r: &AnyRow) -> Result<CollectionRequest, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(c)?) };
    let opt =
        |c: &str| -> Result<Option<String>, StoreError> { Ok(r.try_get::<Option<String>, _>(c)?) };
    let flag = |c: &str| -> Result<bool, StoreError> { Ok(r.try_get::<i64, _>(c)? != 0) };
    let mode = text("mode")?;
    let status = text("status")?;
    let currency = text("currency")?;
    let methods = text("methods")?;
    let payer = text("payer")?;
    let metadata = text("metadata")?;
    let erv = match (opt("erv_entity")?, opt("erv_reference")?) {
        (Some(entity), Some(reference)) => Some(ErvDetails {
            entity,
            reference,
            with_amount: flag("erv_with_amount")?,
        }),
        (Some(_), None) | (None, Some(_) | None) => None,
    };
    Ok(CollectionRequest {
        id: text("id")?,
        merchant_id: text("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        balance: CollectionBalance {
            status: CollectionStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            amount: r.try_get("amount")?,
            amount_paid: r.try_get("amount_paid")?,
            amount_overpaid: r.try_get("amount_overpaid")?,
            allow_instalments: flag("allow_instalments")?,
            updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
        },
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        methods: serde_json::from_str(&methods).map_err(|_| corrupt("methods", &methods))?,
        erv,
        allow_reuse: flag("allow_reuse")?,
        description: opt("description")?,
        payer: serde_json::from_str(&payer).map_err(|_| corrupt("payer", &payer))?,
        due_at: r
            .try_get::<Option<i64>, _>("due_at")?
            .map(Timestamp::from_micros),
        third_party_reference: opt("third_party_reference")?,
        bill_number: text("bill_number")?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata", &metadata))?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
    })
}

/// How collection requests are listed; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only these statuses, when not empty.
    pub statuses: Vec<CollectionStatus>,
    /// Only this ERV reference.
    pub erv_reference: Option<String>,
    /// Only this merchant reference.
    pub third_party_reference: Option<String>,
}

impl StoreTx {
    /// Inserts a bill. A second open bill with the same reference (ERV or the merchant's)
    /// fails with [`StoreError::Conflict`].
    pub async fn insert_collection_request(
        &mut self,
        c: &CollectionRequest,
    ) -> Result<(), StoreError> {
        let b = &c.balance;
        let sql = format!(
            "INSERT INTO collection_requests ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
            &REQUEST_COLUMNS["seq, ".len()..]
        );
        sqlx::query::<Any>(&sql)
            .bind(c.id.clone())
            .bind(c.merchant_id.clone())
            .bind(c.mode.as_str())
            .bind(b.status.as_str())
            .bind(b.amount)
            .bind(b.amount_paid)
            .bind(b.amount_overpaid)
            .bind(c.currency.code())
            .bind(i64::from(b.allow_instalments))
            .bind(i64::from(c.allow_reuse))
            .bind(json("methods", &c.methods)?)
            .bind(c.erv.as_ref().map(|e| e.entity.clone()))
            .bind(c.erv.as_ref().map(|e| e.reference.clone()))
            .bind(i64::from(c.erv.as_ref().is_some_and(|e| e.with_amount)))
            .bind(c.description.clone())
            .bind(json("payer", &c.payer)?)
            .bind(c.due_at.map(Timestamp::as_micros))
            .bind(c.third_party_reference.clone())
            .bind(c.bill_number.clone())
            .bind(json("metadata", &c.metadata)?)
            .bind(c.created_at.as_micros())
            .bind(b.updated_at.as_micros())
            .execute(&mut **self.tx())
            .await?;
        Ok(())
    }

    /// Writes a bill's status and money.
    pub async fn save_collection_request(
        &mut self,
        c: &CollectionRequest,
    ) -> Result<(), StoreError> {
        let b = &c.balance;
        sqlx::query::<Any>(
            "UPDATE collection_requests SET status = $2, amount_paid = $3, amount_overpaid = $4, \
             updated_at = $5 WHERE id = $1",
        )
        .bind(c.id.clone())
        .bind(b.status.as_str())
        .bind(b.amount_paid)
        .bind(b.amount_overpaid)
        .bind(b.updated_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Reads and locks one of a merchant's bills.
    pub async fn lock_collection_request(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        REQUESTS.lock_owned(self, (merchant_id, mode), id).await
    }

    /// Reads and locks the bill an ERV reference names: the open one if there is one, else
    /// the latest closed one (whose late payments are duplicates or exceptions).
    pub async fn lock_request_by_erv(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        entity: &str,
        reference: &str,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        let binds = |r: &str| {
            vec![
                Value::Text(merchant_id.to_owned()),
                Value::Text(mode.as_str().to_owned()),
                Value::Text(entity.to_owned()),
                Value::Text(r.to_owned()),
            ]
        };
        let base = "merchant_id = $1 AND mode = $2 AND erv_entity = $3 AND erv_reference = $4";
        if let Some(open) = REQUESTS
            .lock_where(
                self,
                &format!("{base} AND status IN ('open', 'partially_paid')"),
                binds(reference),
            )
            .await?
        {
            return Ok(Some(open));
        }
        REQUESTS
            .lock_where(self, &format!("{base} ORDER BY seq DESC"), binds(reference))
            .await
    }

    /// Reads and locks the open bill with this merchant reference, if any.
    pub async fn lock_request_by_third_party(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        reference: &str,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        REQUESTS
            .lock_where(
                self,
                "merchant_id = $1 AND mode = $2 AND third_party_reference = $3 \
             AND status IN ('open', 'partially_paid')",
                owner(merchant_id, mode, reference),
            )
            .await
    }

    /// Claims open bills whose due date has passed, oldest first, skipping rows another
    /// process holds.
    pub async fn claim_due_collection_requests(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<CollectionRequest>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM collection_requests WHERE due_at <= $1 \
             AND status IN ('open', 'partially_paid') ORDER BY due_at LIMIT {limit}{}",
            self.dialect.for_update_skip_locked()
        );
        let rows = sqlx::query::<Any>(&sql)
            .bind(now.as_micros())
            .fetch_all(&mut **self.tx())
            .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// Reads and locks every bill (open or closed) of the entity with one of these references,
    /// oldest first.
    pub async fn lock_requests_by_erv_references(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        entity: &str,
        references: &[String],
    ) -> Result<Vec<CollectionRequest>, StoreError> {
        let mut out = Vec::new();
        for chunk in references.chunks(MAX_PARAMS - 3) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 4 + i)).collect();
            let sql = format!(
                "SELECT {REQUEST_COLUMNS} FROM collection_requests WHERE merchant_id = $1 \
                 AND mode = $2 AND erv_entity = $3 AND erv_reference IN ({}) ORDER BY seq{}",
                list.join(", "),
                self.dialect.for_update()
            );
            let mut q = sqlx::query::<Any>(&sql)
                .bind(merchant_id)
                .bind(mode.as_str())
                .bind(entity);
            for r in chunk {
                q = q.bind(r.clone());
            }
            for row in q.fetch_all(&mut **self.tx()).await? {
                out.push(request_from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// Writes the status and money of many bills in one statement per chunk.
    pub async fn save_collection_requests(
        &mut self,
        bills: &[&CollectionRequest],
    ) -> Result<(), StoreError> {
        const COLS: usize = 5;
        for chunk in bills.chunks(MAX_PARAMS / COLS) {
            let mut sql = String::from(
                "UPDATE collection_requests SET status = v.column2, amount_paid = v.column3, \
                 amount_overpaid = v.column4, updated_at = v.column5 FROM (VALUES ",
            );
            let mut values = Vec::with_capacity(chunk.len() * COLS);
            for (i, c) in chunk.iter().enumerate() {
                let ph = |k: usize| self.dialect.param(i * COLS + k);
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "({}, {}, CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT))",
                    ph(1),
                    ph(2),
                    ph(3),
                    ph(4),
                    ph(5)
                ));
                values.extend([
                    Value::Text(c.id.clone()),
                    Value::Text(c.status().as_str().to_owned()),
                    Value::Int(c.balance.amount_paid),
                    Value::Int(c.balance.amount_overpaid),
                    Value::Int(c.balance.updated_at.as_micros()),
                ]);
            }
            sql.push_str(") AS v WHERE collection_requests.id = v.column1");
            let mut q = sqlx::query::<Any>(&sql);
            for v in values {
                q = bind(q, v);
            }
            q.execute(&mut **self.tx()).await?;
        }
        Ok(())
    }
}

impl Store {
    /// One of a merchant's bills.
    pub async fn collection_request(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        REQUESTS.owned(&self.read, (merchant_id, mode), id).await
    }

    /// A newest-first page of a merchant's bills after the bill `starting_after`; `None` if
    /// that bill is not theirs.
    pub async fn list_collection_requests(
        &self,
        merchant_id: &str,
        mode: Mode,
        filter: &RequestFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<CollectionRequest>, bool)>, StoreError> {
        let owner = (merchant_id, mode);
        let mut cond = Owned::by(owner);
        cond.and_in("status", filter.statuses.iter().map(|s| s.as_str()));
        for (col, v) in [
            ("erv_reference", &filter.erv_reference),
            ("third_party_reference", &filter.third_party_reference),
        ] {
            if let Some(v) = v {
                cond.and(&format!("{col} ="), Value::Text(v.clone()));
            }
        }
        REQUESTS
            .page(self, owner, cond, starting_after, limit)
            .await
    }
}
