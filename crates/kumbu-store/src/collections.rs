//! Collection requests (bills), ingested payments with their reconciliation outcome, imported
//! bank files, and the merchant's SIMO entity.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::{bind, insert_rows, page, Value, MAX_PARAMS};
use crate::tx::StoreTx;
use kumbu_core::{
    CollectionBalance, CollectionRequest, CollectionStatus, Currency, Decision, ErvDetails,
    ExternalStatus, IngestedPayment, MatchOutcome, MethodDetails, Mode, Resolution, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const REQUEST_COLUMNS: &str = "seq, id, merchant_id, mode, status, amount, amount_paid, \
    amount_overpaid, currency, allow_instalments, allow_reuse, methods, erv_entity, \
    erv_reference, erv_with_amount, description, payer, due_at, third_party_reference, \
    bill_number, metadata, created_at, updated_at";

const INGEST_COLUMNS: &str = "seq, id, merchant_id, mode, source, external_id, amount, \
    currency, status, method_type, nib, entity_number, reference_number, reference, \
    processed_at, outcome, detail, collection_request_id, payment_id, resolution, resolved_by, \
    resolved_at, resolution_note, file_id, fingerprint, created_at, updated_at";

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

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

/// One line of a reconciliation report: a source's payments of one outcome and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// Who reported them.
    pub source: String,
    /// What reconciliation decided.
    pub outcome: MatchOutcome,
    /// What the source said.
    pub status: ExternalStatus,
    /// How many were decided by a person, and how (`None`: no decision yet or not needed).
    pub resolution: Option<Resolution>,
    /// Their currency.
    pub currency: Currency,
    /// How many.
    pub count: i64,
    /// Their total, minor units.
    pub total: i64,
}

/// A bank file imported once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    /// `meps`.
    pub kind: String,
    /// The file's own id (MEPS: `AAAAMMDDS`).
    pub file_id: String,
    /// The id it says came before.
    pub previous_id: Option<String>,
    /// The SIMO entity it reports for.
    pub entity: String,
    /// Detail lines.
    pub records: i64,
    /// Their total, minor units.
    pub total: i64,
    /// The id of the file that should have come before but was never imported, if any.
    pub gap: Option<String>,
    /// When imported.
    pub imported_at: Timestamp,
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

    /// Locks the newest bill matching `cond` (`cond` ends with its own `ORDER BY` when several
    /// may match; the indexes behind every caller's condition end in `seq`).
    async fn lock_request_where(
        &mut self,
        cond: &str,
        binds: Vec<Value>,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM collection_requests WHERE {cond} LIMIT 1{}",
            self.dialect.for_update()
        );
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = bind(q, b);
        }
        let row = q.fetch_optional(&mut **self.tx()).await?;
        row.as_ref().map(request_from_row).transpose()
    }

    /// Reads and locks one of a merchant's bills.
    pub async fn lock_collection_request(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        self.lock_request_where(
            "merchant_id = $1 AND mode = $2 AND id = $3",
            owner(merchant_id, mode, id),
        )
        .await
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
        if let Some(open) = self
            .lock_request_where(
                &format!("{base} AND status IN ('open', 'partially_paid')"),
                binds(reference),
            )
            .await?
        {
            return Ok(Some(open));
        }
        self.lock_request_where(&format!("{base} ORDER BY seq DESC"), binds(reference))
            .await
    }

    /// Reads and locks the open bill with this merchant reference, if any.
    pub async fn lock_request_by_third_party(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        reference: &str,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        self.lock_request_where(
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

    /// Whether a reference was ever issued to one of the merchant's bills.
    pub async fn erv_reference_issued(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        reference: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM collection_requests WHERE merchant_id = $1 AND mode = $2 \
             AND erv_reference = $3",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(reference)
        .fetch_one(&mut **self.tx())
        .await?
            > 0)
    }

    /// The next value of a named counter, starting at `first`; safe across processes.
    pub async fn bump_counter(&mut self, name: &str, first: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        )
        .bind(name)
        .bind(first)
        .fetch_one(&mut **self.tx())
        .await?)
    }

    /// The merchant's SIMO entity in `mode`: the configured one; in test mode, failing that,
    /// the one the sandbox assigned.
    pub async fn erv_entity(
        &mut self,
        merchant_id: &str,
        mode: Mode,
    ) -> Result<Option<String>, StoreError> {
        let sql = match mode {
            Mode::Live => "SELECT erv_entity FROM merchants WHERE id = $1",
            Mode::Test => {
                "SELECT COALESCE(erv_entity, erv_test_entity) FROM merchants WHERE id = $1"
            }
        };
        Ok(sqlx::query_scalar::<Any, Option<String>>(sql)
            .bind(merchant_id)
            .fetch_optional(&mut **self.tx())
            .await?
            .flatten())
    }

    /// Configures the merchant's SIMO entity. Another merchant's entity fails with
    /// [`StoreError::Conflict`]; `false` if the merchant does not exist.
    pub async fn set_erv_entity(
        &mut self,
        merchant_id: &str,
        entity: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query::<Any>("UPDATE merchants SET erv_entity = $2 WHERE id = $1")
            .bind(merchant_id)
            .bind(entity)
            .execute(&mut **self.tx())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Gives the merchant a sandbox entity unless it has one (a racing assignment keeps the
    /// first); returns the one it has.
    pub async fn assign_test_entity(
        &mut self,
        merchant_id: &str,
        entity: &str,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query::<Any>(
            "UPDATE merchants SET erv_test_entity = $2 WHERE id = $1 AND erv_test_entity IS NULL",
        )
        .bind(merchant_id)
        .bind(entity)
        .execute(&mut **self.tx())
        .await?;
        self.erv_entity(merchant_id, Mode::Test).await
    }

    /// The merchant whose SIMO entity this is in `mode` (a configured entity before a sandbox
    /// one).
    pub async fn merchant_of_erv_entity(
        &mut self,
        entity: &str,
        mode: Mode,
    ) -> Result<Option<String>, StoreError> {
        let sql = match mode {
            Mode::Live => "SELECT id FROM merchants WHERE erv_entity = $1",
            Mode::Test => {
                "SELECT id FROM merchants WHERE erv_entity = $1 OR (erv_entity IS NULL AND erv_test_entity = $1) \
                 ORDER BY CASE WHEN erv_entity = $1 THEN 0 ELSE 1 END LIMIT 1"
            }
        };
        Ok(sqlx::query_scalar::<Any, String>(sql)
            .bind(entity)
            .fetch_optional(&mut **self.tx())
            .await?)
    }

    /// Inserts an ingested payment; a second one with the same (source, external id) fails
    /// with [`StoreError::Conflict`].
    pub async fn insert_ingest(&mut self, i: &IngestedPayment) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO ingested_payments ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)",
            &INGEST_COLUMNS["seq, ".len()..]
        );
        let d = i.decision.as_ref();
        sqlx::query::<Any>(&sql)
            .bind(i.id.clone())
            .bind(i.merchant_id.clone())
            .bind(i.mode.as_str())
            .bind(i.source.clone())
            .bind(i.external_id.clone())
            .bind(i.amount)
            .bind(i.currency.code())
            .bind(i.status.as_str())
            .bind(i.method.method_type.clone())
            .bind(i.method.nib.clone())
            .bind(i.method.entity_number.clone())
            .bind(i.method.reference_number.clone())
            .bind(i.reference.clone())
            .bind(i.processed_at.as_micros())
            .bind(i.outcome.as_str())
            .bind(i.detail.clone())
            .bind(i.collection_request_id.clone())
            .bind(i.payment_id.clone())
            .bind(d.map(|d| d.resolution.as_str()))
            .bind(d.map(|d| d.by.clone()))
            .bind(d.map(|d| d.at.as_micros()))
            .bind(d.and_then(|d| d.note.clone()))
            .bind(i.file_id.clone())
            .bind(i.fingerprint.clone())
            .bind(i.created_at.as_micros())
            .bind(i.updated_at.as_micros())
            .execute(&mut **self.tx())
            .await?;
        Ok(())
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

    async fn lock_ingest_where(
        &mut self,
        cond: &str,
        binds: Vec<Value>,
    ) -> Result<Option<IngestedPayment>, StoreError> {
        let sql = format!(
            "SELECT {INGEST_COLUMNS} FROM ingested_payments WHERE {cond}{}",
            self.dialect.for_update()
        );
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = bind(q, b);
        }
        let row = q.fetch_optional(&mut **self.tx()).await?;
        row.as_ref().map(ingest_from_row).transpose()
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
        self.lock_ingest_where(
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
        self.lock_ingest_where(
            "merchant_id = $1 AND mode = $2 AND id = $3",
            owner(merchant_id, mode, id),
        )
        .await
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

    /// Records an imported file; the same file twice fails with [`StoreError::Conflict`].
    pub async fn insert_imported_file(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        f: &ImportedFile,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO reconciliation_files (merchant_id, mode, kind, file_id, previous_id, \
             entity, records, total, gap, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10)",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(f.kind.clone())
        .bind(f.file_id.clone())
        .bind(f.previous_id.clone())
        .bind(f.entity.clone())
        .bind(f.records)
        .bind(f.total)
        .bind(f.gap.clone())
        .bind(f.imported_at.as_micros())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Whether a file with this id was imported.
    pub async fn file_imported(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        kind: &str,
        file_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM reconciliation_files WHERE merchant_id = $1 AND mode = $2 \
             AND kind = $3 AND file_id = $4",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(kind)
        .bind(file_id)
        .fetch_one(&mut **self.tx())
        .await?
            > 0)
    }
}

/// What a batch of reports needs to know of earlier reports with the same references: the
/// same money reported under another id or by another source is a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierReport {
    /// `ing_…`
    pub id: String,
    /// Its source.
    pub source: String,
    /// Its id at the source.
    pub external_id: String,
    /// The reference paid.
    pub reference_number: String,
    /// Minor units.
    pub amount: i64,
    /// When processed.
    pub processed_at: Timestamp,
}

/// Bulk reads and writes for reconciling many reports in one transaction (a bank file).
impl StoreTx {
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

    /// The reports, not failed, already ingested with one of these references.
    pub async fn earlier_reports(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        references: &[String],
    ) -> Result<Vec<EarlierReport>, StoreError> {
        let mut out = Vec::new();
        for chunk in references.chunks(MAX_PARAMS - 2) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 3 + i)).collect();
            let sql = format!(
                "SELECT id, source, external_id, reference_number, amount, processed_at \
                 FROM ingested_payments WHERE merchant_id = $1 AND mode = $2 \
                 AND status <> 'failed' AND reference_number IN ({}) ORDER BY seq",
                list.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql)
                .bind(merchant_id)
                .bind(mode.as_str());
            for r in chunk {
                q = q.bind(r.clone());
            }
            for row in q.fetch_all(&mut **self.tx()).await? {
                out.push(EarlierReport {
                    id: row.try_get("id")?,
                    source: row.try_get("source")?,
                    external_id: row.try_get("external_id")?,
                    reference_number: row.try_get("reference_number")?,
                    amount: row.try_get("amount")?,
                    processed_at: Timestamp::from_micros(row.try_get("processed_at")?),
                });
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

    /// The last event sequence number of each of these objects (absent: none yet).
    pub async fn last_object_seqs(
        &mut self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(MAX_PARAMS) {
            let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 1 + i)).collect();
            let sql = format!(
                "SELECT object_id, CAST(MAX(object_seq) AS BIGINT) AS seq FROM events \
                 WHERE object_id IN ({}) GROUP BY object_id",
                list.join(", ")
            );
            let mut q = sqlx::query::<Any>(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&mut **self.tx()).await? {
                out.insert(row.try_get("object_id")?, row.try_get("seq")?);
            }
        }
        Ok(out)
    }
}

fn owner(merchant_id: &str, mode: Mode, third: &str) -> Vec<Value> {
    vec![
        Value::Text(merchant_id.to_owned()),
        Value::Text(mode.as_str().to_owned()),
        Value::Text(third.to_owned()),
    ]
}

impl Store {
    /// Runs a listing query (`sql` with its binds, filtered to the merchant already) newest
    /// first, after the row `starting_after`; `None` if that row is not the merchant's.
    async fn newest_first<T>(
        &self,
        (table, merchant_id, mode): (&'static str, &str, Mode),
        (mut sql, mut binds): (String, Vec<Value>),
        starting_after: Option<&str>,
        limit: u32,
        from_row: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Option<(Vec<T>, bool)>, StoreError> {
        if let Some(after) = starting_after {
            let Some(seq) = self.cursor_seq(table, merchant_id, mode, after).await? else {
                return Ok(None);
            };
            binds.push(Value::Int(seq));
            sql.push_str(&format!(" AND seq < ${}", binds.len()));
        }
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {}",
            u64::from(limit) + 1
        ));
        let mut q = sqlx::query::<Any>(&sql);
        for b in binds {
            q = bind(q, b);
        }
        let rows = q.fetch_all(&self.read).await?;
        Ok(Some(page(&rows, limit, from_row)?))
    }

    /// One row of a merchant's, by id (`select` is `SELECT <columns> FROM <table>`).
    async fn owned_row<T>(
        &self,
        select: &str,
        (merchant_id, mode, id): (&str, Mode, &str),
        from_row: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let sql = format!("{select} WHERE merchant_id = $1 AND mode = $2 AND id = $3");
        let row = sqlx::query::<Any>(&sql)
            .bind(merchant_id)
            .bind(mode.as_str())
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// One of a merchant's bills.
    pub async fn collection_request(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<CollectionRequest>, StoreError> {
        let select = format!("SELECT {REQUEST_COLUMNS} FROM collection_requests");
        self.owned_row(&select, (merchant_id, mode, id), request_from_row)
            .await
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
        let mut sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM collection_requests WHERE merchant_id = $1 AND mode = $2"
        );
        let mut binds = vec![
            Value::Text(merchant_id.to_owned()),
            Value::Text(mode.as_str().to_owned()),
        ];
        if !filter.statuses.is_empty() {
            // Statuses come from the core's enum, never from the request, so they are inlined.
            let list: Vec<String> = filter
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", list.join(", ")));
        }
        for (col, v) in [
            ("erv_reference", &filter.erv_reference),
            ("third_party_reference", &filter.third_party_reference),
        ] {
            if let Some(v) = v {
                binds.push(Value::Text(v.clone()));
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        self.newest_first(
            ("collection_requests", merchant_id, mode),
            (sql, binds),
            starting_after,
            limit,
            request_from_row,
        )
        .await
    }

    /// One of a merchant's ingested payments, by `ing_…` id.
    pub async fn ingest(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<IngestedPayment>, StoreError> {
        let select = format!("SELECT {INGEST_COLUMNS} FROM ingested_payments");
        self.owned_row(&select, (merchant_id, mode, id), ingest_from_row)
            .await
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
        let mut sql = format!(
            "SELECT {INGEST_COLUMNS} FROM ingested_payments WHERE merchant_id = $1 AND mode = $2"
        );
        let mut binds = vec![
            Value::Text(merchant_id.to_owned()),
            Value::Text(mode.as_str().to_owned()),
        ];
        if let Some(o) = filter.outcome {
            sql.push_str(&format!(" AND outcome = '{}'", o.as_str()));
        }
        if filter.open_exceptions {
            sql.push_str(" AND outcome <> 'matched' AND resolution IS NULL AND status <> 'failed'");
        }
        for (col, v) in [("source", &filter.source), ("file_id", &filter.file_id)] {
            if let Some(v) = v {
                binds.push(Value::Text(v.clone()));
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        self.newest_first(
            ("ingested_payments", merchant_id, mode),
            (sql, binds),
            starting_after,
            limit,
            ingest_from_row,
        )
        .await
    }

    /// Counts and totals of the payments the sources processed in `[from, to)`, by source,
    /// outcome, status, decision and currency.
    pub async fn reconciliation_report(
        &self,
        merchant_id: &str,
        mode: Mode,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<ReportRow>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT source, outcome, status, resolution, currency, COUNT(*) AS n, \
             CAST(SUM(amount) AS BIGINT) AS total FROM ingested_payments \
             WHERE merchant_id = $1 AND mode = $2 AND processed_at >= $3 AND processed_at < $4 \
             GROUP BY source, outcome, status, resolution, currency \
             ORDER BY source, outcome, status, resolution, currency",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(from.as_micros())
        .bind(to.as_micros())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.try_get("outcome")?;
                let status: String = r.try_get("status")?;
                let resolution: Option<String> = r.try_get("resolution")?;
                let currency: String = r.try_get("currency")?;
                Ok(ReportRow {
                    source: r.try_get("source")?,
                    outcome: MatchOutcome::parse(&outcome)
                        .ok_or_else(|| corrupt("outcome", &outcome))?,
                    status: ExternalStatus::parse(&status)
                        .ok_or_else(|| corrupt("status", &status))?,
                    resolution: match resolution {
                        Some(x) => {
                            Some(Resolution::parse(&x).ok_or_else(|| corrupt("resolution", &x))?)
                        }
                        None => None,
                    },
                    currency: Currency::parse(&currency)
                        .map_err(|_| corrupt("currency", &currency))?,
                    count: r.try_get("n")?,
                    total: r.try_get("total")?,
                })
            })
            .collect()
    }

    /// What the payments ingested (from `source`, if given) and processed in `[from, to)`
    /// credited to the merchant: their payment records' postings to `merchant_available`,
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
             AND e.account = 'merchant_available' GROUP BY e.currency ORDER BY e.currency",
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

    /// The merchant's configured SIMO entity and the sandbox's, if any.
    pub async fn erv_entities(
        &self,
        merchant_id: &str,
    ) -> Result<(Option<String>, Option<String>), StoreError> {
        let row =
            sqlx::query::<Any>("SELECT erv_entity, erv_test_entity FROM merchants WHERE id = $1")
                .bind(merchant_id)
                .fetch_optional(&self.read)
                .await?;
        Ok(match row {
            Some(r) => (r.try_get("erv_entity")?, r.try_get("erv_test_entity")?),
            None => (None, None),
        })
    }
}
