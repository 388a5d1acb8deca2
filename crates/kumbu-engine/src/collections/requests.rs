//! Collection requests (bills): create with a SIMO/ERV reference, read, list, cancel; and the
//! merchant's SIMO entity.

use super::{not_open, publish_request_event, status_event};
use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::unit_of_work::Changes;
use crate::validate::{check_metadata, plain_text};
use crate::Engine;
use kumbu_core::ids::has_shape;
use kumbu_core::operator::MAX_EXTERNAL_AMOUNT;
use kumbu_core::{
    new_id, CollectionBalance, CollectionMethod, CollectionRequest, CollectionStatus, Currency,
    Entity, ErrorCode, ErvDetails, ErvReference, Field, IdPrefix, Mode, Payer, Timestamp,
};
use kumbu_store::{RequestFilter, StoreError, StoreTx};
use std::collections::BTreeMap;

/// The first SIMO entity the sandbox assigns (real entities are given by SIMO and configured
/// with `kumbu merchant erv-entity`).
const FIRST_SANDBOX_ENTITY: i64 = 70_001;
/// Spreads the per-merchant reference counter over the 9-digit space (3¹⁸ is coprime with
/// 10⁹, so `n × 3¹⁸ mod 10⁹` is a bijection): consecutive bills get unrelated references.
const SPREAD: u64 = 387_420_489;

/// A bill to create, parsed by a face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCollectionRequest {
    /// Minor units.
    pub amount: i64,
    /// Currency (SIMO/ERV bills are in MZN).
    pub currency: Currency,
    /// The ways it may be paid (at least one).
    pub methods: Vec<CollectionMethod>,
    /// Several partial payments may pay it.
    pub allow_instalments: bool,
    /// Its reference may serve later bills once it is closed (a standing customer reference).
    pub allow_reuse: bool,
    /// A standing reference to reuse (11 digits, check digits without the amount); only with
    /// `allow_reuse`. Without it a fresh reference is issued.
    pub erv_reference: Option<String>,
    /// What it is for (at most 500 characters).
    pub description: Option<String>,
    /// Who pays.
    pub payer: Payer,
    /// When it falls due (in the future); an open bill expires then.
    pub due_at: Option<Timestamp>,
    /// The merchant's own reference (at most 100 characters, unique among open bills).
    pub third_party_reference: Option<String>,
    /// Merchant data.
    pub metadata: BTreeMap<String, String>,
}

fn invalid(field: Field, msg: impl Into<String>) -> EngineError {
    EngineError::field(ErrorCode::ParameterInvalid, field, msg)
}

fn check_text(field: Field, name: &str, v: Option<&String>, max: usize) -> Result<(), EngineError> {
    if let Some(v) = v {
        if v.chars().count() > max {
            return Err(invalid(
                field,
                format!("{name} must be at most {max} characters"),
            ));
        }
        plain_text(field, v, name)?;
    }
    Ok(())
}

/// The most address lines a bill's payer may have.
pub const MAX_ADDRESS_LINES: usize = 20;

impl CreateCollectionRequest {
    fn validate(&self, now: Timestamp) -> Result<(), EngineError> {
        if !(1..=MAX_EXTERNAL_AMOUNT).contains(&self.amount) {
            return Err(EngineError::field(
                ErrorCode::AmountOutOfRange,
                Field::Amount,
                format!(
                    "amount must be from {} to {}",
                    self.currency.format_decimal(1),
                    self.currency.format_decimal(MAX_EXTERNAL_AMOUNT)
                ),
            ));
        }
        if self.methods.is_empty() {
            return Err(invalid(
                Field::Methods,
                "give at least one way to pay: simo_erv, mobile_wallet or bank_transfer",
            ));
        }
        if self.methods.contains(&CollectionMethod::SimoErv) && self.currency != Currency::Mzn {
            return Err(EngineError::field(
                ErrorCode::CurrencyNotSupported,
                Field::Currency,
                "SIMO/ERV references are paid in MZN",
            ));
        }
        if self.erv_reference.is_some() && !self.allow_reuse {
            return Err(invalid(
                Field::ErvReference,
                "a reference can only be given to reuse one: set allow_reuse, or leave it out and one is issued",
            ));
        }
        if self.due_at.is_some_and(|d| d <= now) {
            return Err(invalid(Field::DueDate, "due_date must be in the future"));
        }
        check_text(
            Field::Description,
            "description",
            self.description.as_ref(),
            500,
        )?;
        check_text(
            Field::ThirdPartyReference,
            "third_party_reference",
            self.third_party_reference.as_ref(),
            100,
        )?;
        if self
            .third_party_reference
            .as_ref()
            .is_some_and(|r| r.trim().is_empty())
        {
            return Err(invalid(
                Field::ThirdPartyReference,
                "third_party_reference must not be blank",
            ));
        }
        let p = &self.payer;
        for v in [
            &p.kind,
            &p.first_name,
            &p.last_name,
            &p.legal_name,
            &p.vat_number,
            &p.phone_number,
            &p.email,
            &p.delivery_method,
        ] {
            check_text(Field::Payer, "payer fields", v.as_ref(), 200)?;
        }
        if p.address.len() > MAX_ADDRESS_LINES {
            return Err(invalid(
                Field::Payer,
                "payer.address may have at most 20 lines",
            ));
        }
        for v in p.address.values() {
            check_text(Field::Payer, "payer.address lines", Some(v), 200)?;
        }
        check_metadata(&self.metadata)?;
        Ok(())
    }
}

impl Engine {
    /// Creates a bill; with `simo_erv` it gets the merchant's entity and a reference.
    pub async fn create_collection_request(
        &self,
        auth: &AuthContext,
        cmd: CreateCollectionRequest,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&CollectionRequest) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        cmd.validate(self.now())?;
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let now = self.now();
                let erv = if cmd.methods.contains(&CollectionMethod::SimoErv) {
                    Some(erv_for(tx, auth, &cmd).await?)
                } else {
                    None
                };
                let year = now.to_rfc3339().get(..4).unwrap_or("0000").to_owned();
                let n = tx
                    .bump_counter(
                        &format!("bill:{}:{}:{year}", auth.merchant_id, auth.mode.as_str()),
                        1,
                    )
                    .await?;
                let mut methods = cmd.methods;
                methods.sort();
                methods.dedup();
                let c = CollectionRequest {
                    id: new_id(IdPrefix::CollectionRequest),
                    merchant_id: auth.merchant_id.clone(),
                    mode: auth.mode,
                    balance: CollectionBalance {
                        status: CollectionStatus::Open,
                        amount: cmd.amount,
                        amount_paid: 0,
                        amount_overpaid: 0,
                        allow_instalments: cmd.allow_instalments,
                        updated_at: now,
                    },
                    currency: cmd.currency,
                    methods,
                    erv,
                    allow_reuse: cmd.allow_reuse,
                    description: cmd.description,
                    payer: cmd.payer,
                    due_at: cmd.due_at,
                    third_party_reference: cmd.third_party_reference,
                    bill_number: format!("KMB-{year}-{n:05}"),
                    metadata: cmd.metadata,
                    created_at: now,
                };
                tx.insert_collection_request(&c)
                    .await
                    .map_err(|e| match e {
                        StoreError::Conflict(what) if what.contains("third_party") => {
                            EngineError::field(
                                ErrorCode::ReferenceAlreadyUsed,
                                Field::ThirdPartyReference,
                                "another open collection request has this third_party_reference",
                            )
                        }
                        StoreError::Conflict(_) => EngineError::field(
                            ErrorCode::ReferenceAlreadyUsed,
                            Field::ErvReference,
                            "another open collection request has this reference",
                        ),
                        e @ (StoreError::Unavailable(_)
                        | StoreError::Corrupt(_)
                        | StoreError::Database(_)
                        | StoreError::Config(_)) => e.into(),
                    })?;
                publish_request_event(tx, &c, "collection_request.created").await?;
                changes.write(tx).await?;
                Ok(Verdict::Done(render(&c)))
            },
        )
        .await
    }

    /// One of the caller's bills.
    pub async fn collection_request(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<CollectionRequest, EngineError> {
        if !has_shape(id, IdPrefix::CollectionRequest) {
            return Err(EngineError::not_found("collection request", id));
        }
        self.store()
            .collection_request(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("collection request", id))
    }

    /// A newest-first page of the caller's bills.
    pub async fn list_collection_requests(
        &self,
        auth: &AuthContext,
        filter: &RequestFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<CollectionRequest>, bool), EngineError> {
        let not_ours = |a: &str| EngineError::unknown_cursor("collection requests", a);
        EngineError::check_cursor(
            starting_after,
            IdPrefix::CollectionRequest,
            "collection requests",
        )?;
        self.store()
            .list_collection_requests(
                &auth.merchant_id,
                auth.mode,
                filter,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| not_ours(starting_after.unwrap_or_default()))
    }

    /// Cancels an open bill (paid, expired and cancelled bills are final).
    pub async fn cancel_collection_request(
        &self,
        auth: &AuthContext,
        id: &str,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&CollectionRequest) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        if !has_shape(id, IdPrefix::CollectionRequest) {
            return Err(EngineError::not_found("collection request", id));
        }
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, changes: &mut Changes| {
                let mut c = tx
                    .lock_collection_request(&auth.merchant_id, auth.mode, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("collection request", id))?;
                c.balance
                    .transition(CollectionStatus::Cancelled, self.now())
                    .map_err(|_| not_open(&c))?;
                tx.save_collection_request(&c).await?;
                publish_request_event(tx, &c, &status_event(&c)).await?;
                changes.write(tx).await?;
                Ok(Verdict::Done(render(&c)))
            },
        )
        .await
    }

    /// The caller's SIMO entity in its mode: the configured one; in test mode, failing that,
    /// the one the sandbox assigned.
    pub async fn erv_entity(&self, auth: &AuthContext) -> Result<Option<String>, EngineError> {
        let (configured, sandbox) = self.store().erv_entities(&auth.merchant_id).await?;
        Ok(match auth.mode {
            Mode::Live => configured,
            Mode::Test => configured.or(sandbox),
        })
    }

    /// Configures a merchant's SIMO entity (5 digits, given by SIMO). One entity belongs to one
    /// merchant.
    pub async fn set_erv_entity(&self, merchant_id: &str, entity: &str) -> Result<(), EngineError> {
        self.set_erv_entity_as(merchant_id, entity, None).await
    }

    /// [`Engine::set_erv_entity`] by a person of the merchant, audited in the change's
    /// transaction.
    pub async fn set_erv_entity_for(
        &self,
        auth: &AuthContext,
        entity: &str,
    ) -> Result<(), EngineError> {
        self.set_erv_entity_as(&auth.merchant_id, entity, Some(auth))
            .await
    }

    async fn set_erv_entity_as(
        &self,
        merchant_id: &str,
        entity: &str,
        caller: Option<&AuthContext>,
    ) -> Result<(), EngineError> {
        let e = Entity::parse(entity).map_err(|e| invalid(Field::EntityNumber, e.to_string()))?;
        let mut tx = self.begin().await?;
        let done = tx
            .set_erv_entity(merchant_id, e.as_str())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => EngineError::field(
                    ErrorCode::ReferenceAlreadyUsed,
                    Field::EntityNumber,
                    format!("entity {entity} belongs to another merchant"),
                ),
                e @ (StoreError::Unavailable(_)
                | StoreError::Corrupt(_)
                | StoreError::Database(_)
                | StoreError::Config(_)) => e.into(),
            })?;
        if !done {
            tx.rollback().await?;
            return Err(EngineError::not_found("merchant", merchant_id));
        }
        if let Some(a) = caller {
            self.audit_as(&mut tx, a).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }
}

/// The merchant's entity: configured, or (test mode only) assigned from a counter, once (a
/// racing first bill keeps the entity the other assigned). A sandbox entity never serves live
/// bills.
pub(crate) async fn entity_for(
    tx: &mut StoreTx,
    auth: &AuthContext,
) -> Result<Entity, EngineError> {
    let text = match tx.erv_entity(&auth.merchant_id, auth.mode).await? {
        Some(e) => e,
        None => match auth.mode {
            Mode::Live => {
                return Err(EngineError::field(
                    ErrorCode::ErvEntityNotConfigured,
                    Field::Methods,
                    "this merchant has no SIMO entity: configure the one SIMO gave you with `kumbu merchant erv-entity --merchant <merchant> <entity>`",
                ))
            }
            Mode::Test => {
                let n = tx.bump_counter("erv_entity", FIRST_SANDBOX_ENTITY).await?;
                let e = format!("{:05}", n % 100_000);
                tx.assign_test_entity(&auth.merchant_id, &e)
                    .await?
                    .ok_or_else(|| EngineError::not_found("merchant", &auth.merchant_id))?
            }
        },
    };
    Entity::parse(&text)
        .map_err(|_| EngineError::Store(StoreError::Corrupt(format!("erv entity `{text}`"))))
}

/// Entity and reference for a new bill: the given standing reference (checked), or a fresh
/// one, bound to the amount when the bill's amount is fixed (no instalments, no reuse).
async fn erv_for(
    tx: &mut StoreTx,
    auth: &AuthContext,
    cmd: &CreateCollectionRequest,
) -> Result<ErvDetails, EngineError> {
    let entity = entity_for(tx, auth).await?;
    if let Some(given) = &cmd.erv_reference {
        let r = ErvReference::parse(given)
            .map_err(|_| invalid(Field::ErvReference, "a reference is 11 digits"))?;
        // Only a reference issued to an earlier bill of the merchant (a standing one, without
        // the amount in its check digits) may be reused: so no reference is issued twice.
        let issued = tx
            .erv_reference_issued(&auth.merchant_id, auth.mode, r.as_str())
            .await?;
        if !issued || !r.verify(&entity, None) {
            return Err(invalid(
                Field::ErvReference,
                format!(
                    "{given} is not a standing reference of yours: reuse the reference of an earlier bill created with allow_reuse (entity {})",
                    entity.as_str()
                ),
            ));
        }
        return Ok(ErvDetails {
            entity: entity.as_str().to_owned(),
            reference: r.as_str().to_owned(),
            with_amount: false,
        });
    }
    // One counter for both modes, so that a test bill and a live bill never share a reference.
    let n = tx
        .bump_counter(&format!("erv:{}", auth.merchant_id), 1)
        .await?;
    let n = u64::try_from(n).unwrap_or(0);
    let base = u32::try_from((n % 1_000_000_000) * SPREAD % 1_000_000_000).unwrap_or(0);
    let with_amount = !cmd.allow_instalments && !cmd.allow_reuse;
    let r = ErvReference::new(&entity, base, with_amount.then_some(cmd.amount))
        .map_err(|e| EngineError::Store(StoreError::Corrupt(format!("erv reference: {e}"))))?;
    Ok(ErvDetails {
        entity: entity.as_str().to_owned(),
        reference: r.as_str().to_owned(),
        with_amount,
    })
}
