//! Ingested payments (reported from outside Kumbu) with their reconciliation outcome.

use super::owner;
use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::{insert_rows, Owned, Table, Value, MAX_PARAMS};
use crate::tx::StoreTx;
use kumbu_core::{
    Currency, Decision, ExternalStatus, IngestedPayment, MatchOutcome, MethodDetails, Mode,
    Resolution, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const INGEST_COLUMNS: &str = "seq, id, merchant_id, mode, source, external_id, amount, \
    currency, status, method_type, nib, entity_number, reference_number, reference, \
    processed_at, outcome, detail, collection_request_id, payment_id, resolution, resolved_by, \
    resolved_at, resolution_note, file_id, fingerprint, created_at, updated_at, face";

/// The ingested_payments table, read as [`IngestedPayment`]s.
const INGESTS: Table<IngestedPayment> = Table {
    name: "ingested_payments",
    columns: INGEST_COLUMNS,
    from_row: ingest_from_row,
};

fn ingest_from_row(r: &AnyRow) -> Result<IngestedPayment, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(c)?) };
    let opt =
        |c: &str| -> Result<Option<String>, StoreError> { Ok(r.try_get::<Option<String>, _>(c)?) };
    let mode = text("mode")?;
    let currency = text("currency")?;
    let status = text("status")?;
    let outcome = text("outcome")?;
    let decision = match (opt("resolution")?, opt("resolved_by")?) {
        (Some(res), Some(by)) => Some(Decision {
            resolution: Resolution::parse(&res).ok_or_else(|| corrupt("resolution", &res))?,
            by,
            at: Timestamp::from_micros(
                r.try_get::<Option<i64>, _>("resolved_at")?
                    .ok_or_else(|| corrupt("resolved_at", "null"))?,
            ),
            note: opt("resolution_note")?,
        }),
        (Some(_), None) | (None, Some(_) | None) => None,
    };
    Ok(IngestedPayment {
        id: text("id")?,
        merchant_id: text("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        source: text("source")?,
        external_id: text("external_id")?,
        amount: r.try_get("amount")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        status: ExternalStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        method: MethodDetails {
            method_type: opt("method_type")?,
            nib: opt("nib")?,
            entity_number: opt("entity_number")?,
            reference_number: opt("reference_number")?,
        },
        reference: opt("reference")?,
        processed_at: Timestamp::from_micros(r.try_get("processed_at")?),
        outcome: MatchOutcome::parse(&outcome).ok_or_else(|| corrupt("outcome", &outcome))?,
        detail: text("detail")?,
        collection_request_id: opt("collection_request_id")?,
        payment_id: opt("payment_id")?,
        decision,
        file_id: opt("file_id")?,
        fingerprint: text("fingerprint")?,
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
        updated_at: Timestamp::from_micros(r.try_get("updated_at")?),
        face: opt("face")?.as_deref().and_then(kumbu_core::Face::parse),
    })
}

/// How ingested payments are listed; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct IngestFilter {
    /// Only this outcome.
    pub outcome: Option<MatchOutcome>,
    /// Only exceptions nobody has decided yet (for money that arrived or may arrive).
    pub open_exceptions: bool,
    /// Only this source.
    pub source: Option<String>,
    /// Only lines of this imported file.
    pub file_id: Option<String>,
}

impl StoreTx {
    /// Inserts an ingested payment; a second one with the same (source, external id) fails
    /// with [`StoreError::Conflict`].
    pub async fn insert_ingest(&mut self, i: &IngestedPayment) -> Result<(), StoreError> {
        self.insert_ingests(std::slice::from_ref(i)).await
    }

    /// Writes what may change on an ingested payment: status, outcome, links and decision.
    pub async fn save_ingest(&mut self, i: &IngestedPayment) -> Result<(), StoreError> {
        let d = i.decision.as_ref();
        sqlx::query::<Any>(
            "UPDATE ingested_payments SET status = $2, outcome = $3, detail = $4, \
             collection_request_id = $5, payment_id = $6, resolution = $7, resolved_by = $8, \
             resolved_at = $9, resolution_note = $10, fingerprint = $11, updated_at = $12 \
             WHERE id = $1",
        )
        .bind(i.id.clone())
        .bind(i.status.as_str())
        .bind(i.outcome.as_str())
        .bind(i.detail.clone())
        .bind(i.collection_request_id.clone())
        .bind(i.payment_id.clone())
        .bind(d.map(|d| d.resolution.as_str()))
        .bind(d.map(|d| d.by.clone()))
        .bind(d.map(|d| d.at.as_micros()))
        .bind(d.and_then(|d| d.note.clone()))
        .bind(i.fingerprint.clone())
        .bind(i.updated_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Reads and locks the ingested payment a source already reported under this id.
    pub async fn lock_ingest_by_source(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        source: &str,
        external_id: &str,
    ) -> Result<Option<IngestedPayment>, StoreError> {
        let mut b = owner(merchant_id, mode, source);
        b.push(Value::Text(external_id.to_owned()));
        INGESTS
            .lock_where(
                self,
                "merchant_id = $1 AND mode = $2 AND source = $3 AND external_id = $4",
                b,
            )
            .await
    }

    /// Reads and locks one ingested payment by id.
    pub async fn lock_ingest(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<IngestedPayment>, StoreError> {
        INGESTS.lock_owned(self, (merchant_id, mode), id).await
    }

    /// An earlier ingested payment, from another source or under another id, with the same
    /// reference and amount, processed in the same minute (bank files say the minute, APIs the
    /// second): the same money reported twice.
    pub async fn same_payment_elsewhere(
        &mut self,
        i: &IngestedPayment,
    ) -> Result<Option<String>, StoreError> {
        let Some(reference) = &i.method.reference_number else {
            return Ok(None);
        };
        Ok(sqlx::query_scalar::<Any, String>(
            "SELECT id FROM ingested_payments WHERE merchant_id = $1 AND mode = $2 \
             AND reference_number = $3 AND amount = $4 AND processed_at >= $5 \
             AND processed_at < $8 AND status <> 'failed' AND NOT (source = $6 AND external_id = $7) \
             ORDER BY seq LIMIT 1",
        )
        .bind(i.merchant_id.clone())
        .bind(i.mode.as_str())
        .bind(reference.clone())
        .bind(i.amount)
        .bind(i.processed_at.minute().as_micros())
        .bind(i.source.clone())
        .bind(i.external_id.clone())
        .bind(i.processed_at.minute().as_micros() + 60_000_000)
        .fetch_optional(&mut **self.tx())
        .await?)
    }

    /// Reads and locks the reports already ingested under these (source, external id) pairs.
    pub async fn lock_ingests_by_sources(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        keys: &[(String, String)],
    ) -> Result<Vec<IngestedPayment>, StoreError> {
        // One source at a time, so that the lookup is a range of the unique index.
        let mut by_source: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for (src, ext) in keys {
            by_source.entry(src).or_default().push(ext);
        }
        let mut out = Vec::new();
        for (source, ids) in by_source {
            for chunk in ids.chunks(MAX_PARAMS - 3) {
                let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 4 + i)).collect();
                let sql = format!(
                    "SELECT {INGEST_COLUMNS} FROM ingested_payments WHERE merchant_id = $1 \
                     AND mode = $2 AND source = $3 AND external_id IN ({}){}",
                    list.join(", "),
                    self.dialect.for_update()
                );
                let mut q = sqlx::query::<Any>(&sql)
                    .bind(merchant_id)
                    .bind(mode.as_str())
                    .bind(source);
                for ext in chunk {
                    q = q.bind((*ext).to_owned());
                }
                for row in q.fetch_all(&mut **self.tx()).await? {
                    out.push(ingest_from_row(&row)?);
                }
            }
        }
        Ok(out)
    }

    /// Inserts many ingested payments in a few statements.
    pub async fn insert_ingests(&mut self, ingests: &[IngestedPayment]) -> Result<(), StoreError> {
        let rows = ingests
            .iter()
            .map(|i| {
                let d = i.decision.as_ref();
                vec![
                    Value::Text(i.id.clone()),
                    Value::Text(i.merchant_id.clone()),
                    Value::Text(i.mode.as_str().to_owned()),
                    Value::Text(i.source.clone()),
                    Value::Text(i.external_id.clone()),
                    Value::Int(i.amount),
                    Value::Text(i.currency.code().to_owned()),
                    Value::Text(i.status.as_str().to_owned()),
                    Value::OptText(i.method.method_type.clone()),
                    Value::OptText(i.method.nib.clone()),
                    Value::OptText(i.method.entity_number.clone()),
                    Value::OptText(i.method.reference_number.clone()),
                    Value::OptText(i.reference.clone()),
                    Value::Int(i.processed_at.as_micros()),
                    Value::Text(i.outcome.as_str().to_owned()),
                    Value::Text(i.detail.clone()),
                    Value::OptText(i.collection_request_id.clone()),
                    Value::OptText(i.payment_id.clone()),
                    Value::OptText(d.map(|d| d.resolution.as_str().to_owned())),
                    Value::OptText(d.map(|d| d.by.clone())),
                    Value::OptInt(d.map(|d| d.at.as_micros())),
                    Value::OptText(d.and_then(|d| d.note.clone())),
                    Value::OptText(i.file_id.clone()),
                    Value::Text(i.fingerprint.clone()),
                    Value::Int(i.created_at.as_micros()),
                    Value::Int(i.updated_at.as_micros()),
                    Value::OptText(i.face.map(|f| f.as_str().to_owned())),
                ]
            })
            .collect();
        let columns: Vec<&str> = INGEST_COLUMNS["seq, ".len()..].split(", ").collect();
        insert_rows(
            self.dialect,
            self.tx(),
            "ingested_payments",
            &columns,
            rows,
            "",
        )
        .await
    }
}

impl Store {
    /// One of a merchant's ingested payments, by `ing_…` id.
    pub async fn ingest(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<IngestedPayment>, StoreError> {
        INGESTS.owned(&self.read, (merchant_id, mode), id).await
    }

    /// A newest-first page of a merchant's ingested payments; `None` if `starting_after` is
    /// not theirs.
    pub async fn list_ingests(
        &self,
        merchant_id: &str,
        mode: Mode,
        filter: &IngestFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<IngestedPayment>, bool)>, StoreError> {
        let owner = (merchant_id, mode);
        let mut cond = Owned::by(owner);
        if let Some(o) = filter.outcome {
            cond.and_literal(&format!("outcome = '{}'", o.as_str()));
        }
        if filter.open_exceptions {
            cond.and_literal("outcome <> 'matched' AND resolution IS NULL AND status <> 'failed'");
        }
        for (col, v) in [("source", &filter.source), ("file_id", &filter.file_id)] {
            if let Some(v) = v {
                cond.and(&format!("{col} ="), Value::Text(v.clone()));
            }
        }
        INGESTS.page(self, owner, cond, starting_after, limit).await
    }

    /// What the payments ingested (from `source`, if given) and processed in `[from, to)`
    /// reported for the merchant: their payment records' postings to `merchant_reported`,
    /// per currency, read from the ledger itself.
    pub async fn ingest_ledger_effect(
        &self,
        merchant_id: &str,
        mode: Mode,
        from: Timestamp,
        to: Timestamp,
        source: Option<&str>,
    ) -> Result<Vec<(Currency, i64)>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT e.currency, CAST(-SUM(e.amount) AS BIGINT) AS total FROM ledger_entries e \
             JOIN ingested_payments i ON i.payment_id = e.payment_id \
             WHERE i.merchant_id = $1 AND i.mode = $2 AND i.processed_at >= $3 \
             AND i.processed_at < $4 AND ($5 = '' OR i.source = $5) \
             AND e.account = 'merchant_reported' GROUP BY e.currency ORDER BY e.currency",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(from.as_micros())
        .bind(to.as_micros())
        .bind(source.unwrap_or(""))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let c: String = r.try_get("currency")?;
                Ok((
                    Currency::parse(&c).map_err(|_| corrupt("currency", &c))?,
                    r.try_get("total")?,
                ))
            })
            .collect()
    }
}
