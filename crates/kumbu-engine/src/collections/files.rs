//! Bank files: an InterBancos MEPS file imported through the same matching as the API.
//!
//! The file is checked whole before anything is written (record layout, trailer count and
//! totals, currency 943 or 508): one that does not add up is refused, naming the line. Its
//! entity names the merchant (in the mode imported). Each payment is ingested from source `meps:<entity>` under its
//! network id, so importing a file twice changes nothing. A file whose predecessor (A007) was
//! never imported is imported, and the gap reported.

use super::ingest::IngestPayment;
use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::meps::{self, Detail};
use kumbu_core::{
    Currency, ErrorCode, ExternalStatus, IngestedPayment, MethodDetails, Mode, Rejection, Timestamp,
};
use kumbu_store::{ImportedFile, StoreError};
use std::collections::HashMap;

/// Payments ingested per transaction.
const CHUNK: usize = 2_000;

/// What importing a file did.
#[derive(Debug, Clone)]
pub struct FileImport {
    /// The merchant whose entity the file is for.
    pub merchant_id: String,
    /// The file's id (`AAAAMMDDS`).
    pub file_id: String,
    /// The SIMO entity.
    pub entity: String,
    /// The file it says came before, if any.
    pub previous_id: Option<String>,
    /// That previous file, when it was never imported: a file is missing.
    pub gap: Option<String>,
    /// The file had been imported before (nothing changed).
    pub already_imported: bool,
    /// Every payment of the file, as reconciled.
    pub payments: Vec<IngestedPayment>,
}

/// Where a file would land in one mode, found without importing it.
#[derive(Debug, Clone)]
pub struct FilePreview {
    /// The SIMO entity the file is for.
    pub entity: String,
    /// The merchant with that entity in the mode asked about, if any.
    pub merchant_id: Option<String>,
    /// The file's payments.
    pub payments: usize,
    /// Whether any of them names a reference issued to that merchant's bills in that mode.
    pub names_a_bill: bool,
}

fn refuse(msg: impl Into<String>) -> EngineError {
    EngineError::Rejected(Rejection::new(ErrorCode::ParameterInvalid, msg))
}

/// A detail's payment time: `AAAAMMDDHHMM` on Maputo's clock (UTC+2, no summer time).
fn paid_at(d: &Detail) -> Result<Timestamp, EngineError> {
    let t = &d.paid_at;
    let text = format!(
        "{}-{}-{}T{}:{}:00+02:00",
        &t[0..4],
        &t[4..6],
        &t[6..8],
        &t[8..10],
        &t[10..12]
    );
    Timestamp::parse_rfc3339(&text).ok_or_else(|| {
        refuse(format!(
            "line {}: payment time {t} is not a date and time",
            d.line
        ))
    })
}

impl Engine {
    /// Where a MEPS file would land in `mode`, writing nothing: the merchant its entity names
    /// there, and whether any payment names one of that merchant's bills (so an operator who
    /// did not say which mode is not left with live exceptions for sandbox bills).
    pub async fn preview_meps(&self, mode: Mode, text: &str) -> Result<FilePreview, EngineError> {
        let file = meps::parse(text).map_err(|e| refuse(format!("MEPS file refused: {e}")))?;
        let entity = file.header.entity.as_str().to_owned();
        let mut tx = self.begin().await?;
        let merchant_id = tx.merchant_of_erv_entity(&entity, mode).await?;
        let mut names_a_bill = false;
        if let Some(m) = &merchant_id {
            for d in &file.payments {
                if tx
                    .erv_reference_issued(m, mode, d.reference.as_str())
                    .await?
                {
                    names_a_bill = true;
                    break;
                }
            }
        }
        tx.rollback().await?;
        Ok(FilePreview {
            entity,
            merchant_id,
            payments: file.payments.len(),
            names_a_bill,
        })
    }

    /// Imports a MEPS file for `mode`: every payment reconciled as an ingest from
    /// `meps:<entity>` (the operator's `kumbu reconcile`: any merchant's file).
    pub async fn import_meps(&self, mode: Mode, text: &str) -> Result<FileImport, EngineError> {
        self.import_meps_as(mode, text, None).await
    }

    /// Imports a MEPS file as a merchant's person or key does (a file uploaded in the
    /// dashboard): refused unless its entity is `auth`'s merchant's in `auth`'s mode, and its
    /// first import written to the audit log (in the transaction that records it).
    pub async fn import_meps_for(
        &self,
        auth: &AuthContext,
        text: &str,
    ) -> Result<FileImport, EngineError> {
        self.import_meps_as(auth.mode, text, Some(auth)).await
    }

    async fn import_meps_as(
        &self,
        mode: Mode,
        text: &str,
        caller: Option<&AuthContext>,
    ) -> Result<FileImport, EngineError> {
        let file = meps::parse(text).map_err(|e| refuse(format!("MEPS file refused: {e}")))?;
        let entity = file.header.entity.as_str().to_owned();
        let file_id = file.header.file.as_text();
        let previous_id = file.header.previous.map(|p| p.as_text());
        let source = format!("meps:{entity}");
        let mut cmds = Vec::with_capacity(file.payments.len());
        for d in &file.payments {
            cmds.push(IngestPayment {
                source: source.clone(),
                external_id: d.external_id(),
                amount: d.amount,
                currency: Currency::Mzn,
                status: ExternalStatus::Completed,
                method: MethodDetails {
                    method_type: Some("SIMO_ERV".to_owned()),
                    nib: None,
                    entity_number: Some(entity.clone()),
                    reference_number: Some(d.reference.as_str().to_owned()),
                },
                reference: None,
                processed_at: paid_at(d)?,
                file_id: Some(file_id.clone()),
            });
        }
        // The same network id twice with different content: the file contradicts itself.
        let mut first: HashMap<&str, (usize, &IngestPayment)> = HashMap::new();
        for (d, c) in file.payments.iter().zip(&cmds) {
            if let Some((line, earlier)) = first.get(c.external_id.as_str()) {
                if *earlier != c {
                    return Err(refuse(format!(
                        "MEPS file refused: line {}: payment {} was already on line {line} with other details",
                        d.line, c.external_id
                    )));
                }
            } else {
                first.insert(&c.external_id, (d.line, c));
            }
        }
        let mut tx = self.begin().await?;
        let merchant_id = tx.merchant_of_erv_entity(&entity, mode).await?.ok_or_else(|| {
            refuse(format!(
                "no merchant has SIMO entity {entity}: configure it with `kumbu merchant erv-entity`"
            ))
        })?;
        if let Some(a) = caller.filter(|a| a.merchant_id != merchant_id) {
            tracing::info!(merchant = %a.merchant_id, entity = %entity, "a bank file for another merchant's entity was refused");
            return Err(refuse(format!(
                "this file is for SIMO entity {entity}, which is not this business's in {} mode: check the file, or the entity in Settings",
                mode.as_str()
            )));
        }
        let already_imported = tx
            .file_imported(&merchant_id, mode, "meps", &file_id)
            .await?;
        let gap = match &previous_id {
            Some(p) if !tx.file_imported(&merchant_id, mode, "meps", p).await? => Some(p.clone()),
            Some(_) | None => None,
        };
        tx.rollback().await?;
        let owner = (merchant_id.as_str(), mode);
        let mut payments = Vec::with_capacity(cmds.len());
        for chunk in cmds.chunks(CHUNK) {
            let mut tx = self.begin().await?;
            let mut changes = self.changes();
            payments.extend(
                self.ingest_batch(&mut tx, &mut changes, owner, chunk)
                    .await?,
            );
            changes.write(&mut tx).await?;
            self.commit(tx).await?;
            changes.publish_metrics();
        }
        if !already_imported {
            let mut tx = self.begin().await?;
            let record = ImportedFile {
                kind: "meps".to_owned(),
                file_id: file_id.clone(),
                previous_id: previous_id.clone(),
                entity: entity.clone(),
                records: i64::try_from(file.payments.len()).unwrap_or(i64::MAX),
                total: file.trailer.total,
                gap: gap.clone(),
                imported_at: self.now(),
            };
            match tx.insert_imported_file(&merchant_id, mode, &record).await {
                Ok(()) => {
                    if let Some(a) = caller.and_then(|c| c.audit.as_ref()) {
                        let detail = format!("{} payments, SIMO entity {entity}", record.records);
                        self.audit(
                            &mut tx,
                            &merchant_id,
                            &a.actor,
                            a.action,
                            Some(&file_id),
                            detail,
                        )
                        .await?;
                    }
                }
                // Another import of the same file finished first; its lines are ours.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            self.commit(tx).await?;
        }
        if let Some(g) = &gap {
            tracing::warn!(file = %file_id, missing = %g, entity = %entity, "MEPS file sequence has a gap");
        }
        Ok(FileImport {
            merchant_id,
            file_id,
            entity,
            previous_id,
            gap,
            already_imported,
            payments,
        })
    }
}
