//! Merchants' operator credentials for live mode: set (sealed with the vault), shown without
//! their secrets, removed, checked against the operator; and which connector carries a live
//! payment. Credentials are live settings: test keys can neither see nor change them.

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::{ErrorCode, Field, Mode, Operator, Rejection, Timestamp};
use kumbu_rails::connector::CallError;
use kumbu_rails::mtn_momo::{self, Credentials, Product, Settings, SettingsError};
use kumbu_store::OperatorCredentialRow;

/// The connector protocols Kumbu speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// MTN MoMo Open API.
    MtnMomo,
}

impl Protocol {
    /// The protocol that carries live payments for `op`, if Kumbu has one.
    pub fn of(op: Operator) -> Option<Self> {
        match op {
            Operator::MtnCi | Operator::MtnCm => Some(Protocol::MtnMomo),
            Operator::Cvmovel
            | Operator::UnitelTmais
            | Operator::Multicaixa
            | Operator::MpesaMz
            | Operator::Emola
            | Operator::OrangeCi
            | Operator::MoovCi
            | Operator::WaveCi
            | Operator::OrangeCm
            | Operator::Mock
            | Operator::External => None,
        }
    }

    /// The operators it serves.
    pub fn operators(self) -> &'static [Operator] {
        match self {
            Protocol::MtnMomo => &[Operator::MtnCi, Operator::MtnCm],
        }
    }

    /// Its name in docs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::MtnMomo => "MTN MoMo",
        }
    }
}

/// What may be shown of a merchant's credentials for an operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConnectorSummary {
    /// The operator.
    pub operator: Operator,
    /// The operator's name for the market.
    pub target_environment: String,
    /// The callback host registered with the operator.
    pub callback_host: Option<String>,
    /// The products configured (`collection`, `disbursement`).
    pub products: Vec<String>,
    /// The API user of each product (not secret; what the operator's support asks for).
    pub api_users: Vec<String>,
    /// When first set.
    #[serde(skip)]
    pub created_at: Option<Timestamp>,
    /// When last replaced.
    #[serde(skip)]
    pub updated_at: Option<Timestamp>,
}

/// The result of checking one product's credentials against the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorCheck {
    /// Whose.
    pub merchant_id: String,
    /// For which operator.
    pub operator: Operator,
    /// Which product.
    pub product: &'static str,
    /// `None` when a token was issued; otherwise why not.
    pub problem: Option<String>,
}

fn live_only(auth: &AuthContext) -> Result<(), Rejection> {
    match auth.mode {
        Mode::Live => Ok(()),
        Mode::Test => Err(Rejection::new(
            ErrorCode::LiveModeOnly,
            "operator credentials are live settings: use a live key (sk_live_…); test mode always uses the sandbox",
        )),
    }
}

fn protocol(op: Operator) -> Result<Protocol, Rejection> {
    Protocol::of(op).ok_or_else(|| {
        Rejection::field(
            ErrorCode::OperatorNotAvailable,
            Field::Operator,
            format!(
                "Kumbu has no live connector for {} yet; MTN MoMo (mtn_ci, mtn_cm) is the first",
                op.code()
            ),
        )
    })
}

fn settings_rejection(e: SettingsError) -> Rejection {
    let field = match e.field {
        "target_environment" => Field::TargetEnvironment,
        "callback_host" => Field::CallbackHost,
        "disbursement" => Field::DisbursementKeys,
        _ => Field::CollectionKeys,
    };
    Rejection::field(ErrorCode::ParameterInvalid, field, e.message)
}

fn row_id(merchant_id: &str, op: Operator) -> String {
    format!("{merchant_id}/{}", op.code())
}

fn summary_of(s: &Settings, op: Operator) -> ConnectorSummary {
    ConnectorSummary {
        operator: op,
        target_environment: s.target_environment.clone(),
        callback_host: s.callback_host.clone(),
        products: s.products().iter().map(|p| p.as_str().to_owned()).collect(),
        api_users: [&s.collection, &s.disbursement]
            .into_iter()
            .flatten()
            .map(|p| p.api_user.clone())
            .collect(),
        created_at: None,
        updated_at: None,
    }
}

impl Engine {
    /// Sets (or replaces) a merchant's credentials for an operator, sealed at rest. Returns what
    /// may be shown of them, and whether they are new.
    pub async fn set_connector(
        &self,
        auth: &AuthContext,
        op: Operator,
        settings: Settings,
    ) -> Result<(ConnectorSummary, bool), EngineError> {
        live_only(auth)?;
        self.put_connector(&auth.merchant_id, op, settings).await
    }

    /// [`Engine::set_connector`] for the operator of the gateway (the CLI), by merchant id.
    pub async fn put_connector(
        &self,
        merchant_id: &str,
        op: Operator,
        settings: Settings,
    ) -> Result<(ConnectorSummary, bool), EngineError> {
        match protocol(op)? {
            Protocol::MtnMomo => {}
        }
        settings.check().map_err(settings_rejection)?;
        if self.store().merchant(merchant_id).await?.is_none() {
            return Err(EngineError::not_found("merchant", merchant_id));
        }
        let id = row_id(merchant_id, op);
        let plain = serde_json::to_string(&settings)
            .map_err(|e| EngineError::Store(kumbu_store::StoreError::Corrupt(e.to_string())))?;
        let sealed = self.seal(&kumbu_store::OPERATOR_CREDENTIALS.context(&id), &plain);
        let mut summary = summary_of(&settings, op);
        let now = self.now();
        let created = self
            .store()
            .put_operator_credentials(&OperatorCredentialRow {
                id: id.clone(),
                merchant_id: merchant_id.to_owned(),
                operator: op,
                summary: serde_json::to_string(&summary).unwrap_or_default(),
                sealed,
                created_at: now,
                updated_at: now,
            })
            .await?;
        // Tokens issued for the old credentials must not outlive them (in this process; others
        // keep theirs until the operator refuses one, then fetch a fresh one with the new keys).
        self.inner.mtn.client().forget(&id);
        summary.updated_at = Some(now);
        tracing::info!(
            merchant = merchant_id,
            operator = op.code(),
            created,
            "operator credentials set"
        );
        Ok((summary, created))
    }

    /// What may be shown of the caller's credentials (all operators, or one).
    pub async fn connectors(
        &self,
        auth: &AuthContext,
        only: Option<Operator>,
    ) -> Result<Vec<ConnectorSummary>, EngineError> {
        live_only(auth)?;
        let rows = self
            .store()
            .list_operator_credentials(Some(&auth.merchant_id))
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| only.is_none_or(|o| o == r.operator))
            .filter_map(|r| {
                let mut s: ConnectorSummary = serde_json::from_str(&r.summary).ok()?;
                s.created_at = Some(r.created_at);
                s.updated_at = Some(r.updated_at);
                Some(s)
            })
            .collect())
    }

    /// Removes the caller's credentials for an operator; its live payments are then refused.
    pub async fn remove_connector(
        &self,
        auth: &AuthContext,
        op: Operator,
    ) -> Result<(), EngineError> {
        live_only(auth)?;
        if !self
            .store()
            .delete_operator_credentials(&auth.merchant_id, op)
            .await?
        {
            return Err(EngineError::not_found("connector", op.code()));
        }
        self.inner
            .mtn
            .client()
            .forget(&row_id(&auth.merchant_id, op));
        Ok(())
    }

    /// A merchant's MTN credentials for `op`, opened; `None` when not configured.
    pub(crate) async fn mtn_credentials(
        &self,
        merchant_id: &str,
        op: Operator,
    ) -> Result<Option<Credentials>, EngineError> {
        let Some(row) = self.store().operator_credentials(merchant_id, op).await? else {
            return Ok(None);
        };
        let plain = self.open(
            &kumbu_store::OPERATOR_CREDENTIALS.context(&row.id),
            &row.sealed,
        )?;
        let settings: Settings = serde_json::from_str(&plain).map_err(|e| {
            EngineError::Store(kumbu_store::StoreError::Corrupt(format!(
                "operator credentials {}: {e}",
                row.id
            )))
        })?;
        Ok(Some(settings.into_credentials(row.id)))
    }

    /// Refuses a live payment to `op` unless a connector can carry it for the merchant.
    pub(crate) async fn require_connector(
        &self,
        merchant_id: &str,
        op: Operator,
    ) -> Result<(), EngineError> {
        let proto = protocol(op)?;
        let configured = match proto {
            Protocol::MtnMomo => self
                .mtn_credentials(merchant_id, op)
                .await?
                .is_some_and(|c| c.collection.is_some()),
        };
        if configured {
            return Ok(());
        }
        Err(EngineError::field(
            ErrorCode::ConnectorNotConfigured,
            Field::Operator,
            format!(
                "live {} payments need this merchant's {} collection credentials: set them with PUT /v1/connectors/{} (a live key) or `kumbu connector set --merchant {merchant_id} --operator {}`; see docs/operators/mtn-momo.md",
                op.code(),
                proto.name(),
                op.code(),
                op.code()
            ),
        ))
    }

    /// Refuses a live refund of `p` unless its operator's connector can carry it for the
    /// merchant (MTN: disbursement keys); returns the operator reference for the refund.
    pub(crate) async fn require_refund_connector(
        &self,
        p: &kumbu_core::Payment,
    ) -> Result<String, EngineError> {
        let proto = Protocol::of(p.operator).ok_or_else(|| {
            EngineError::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operator,
                format!(
                    "Kumbu has no live refund connector for {}; refund the payer outside Kumbu",
                    p.operator.code()
                ),
            )
        })?;
        let ready = match proto {
            Protocol::MtnMomo => self
                .mtn_credentials(&p.merchant_id, p.operator)
                .await?
                .is_some_and(|c| c.disbursement.is_some()),
        };
        if !ready {
            return Err(EngineError::field(
                ErrorCode::ConnectorNotConfigured,
                Field::Operator,
                format!(
                    "live refunds through {} are disbursements: set this merchant's disbursement keys with PUT /v1/connectors/{}",
                    proto.name(),
                    p.operator.code()
                ),
            ));
        }
        match proto {
            Protocol::MtnMomo => Ok(mtn_momo::new_reference()),
        }
    }

    /// Asks the operator for a token with every product's credentials of every merchant (or of
    /// one): what `kumbu connector check` prints.
    pub async fn check_connectors(
        &self,
        merchant_id: Option<&str>,
    ) -> Result<Vec<ConnectorCheck>, EngineError> {
        let mut out = Vec::new();
        for row in self.store().list_operator_credentials(merchant_id).await? {
            let Some(creds) = self.mtn_credentials(&row.merchant_id, row.operator).await? else {
                continue;
            };
            for product in Product::ALL {
                if creds.product(product).is_none() {
                    continue;
                }
                let problem = match self
                    .inner
                    .mtn
                    .client()
                    .token(&creds, product, self.now())
                    .await
                {
                    Ok(_) => None,
                    Err(
                        e @ (CallError::Unknown(_)
                        | CallError::Refused { .. }
                        | CallError::Unauthorized(_)),
                    ) => Some(e.to_string()),
                };
                out.push(ConnectorCheck {
                    merchant_id: row.merchant_id.clone(),
                    operator: row.operator,
                    product: product.as_str(),
                    problem,
                });
            }
        }
        Ok(out)
    }

    /// Where MTN should call back for a reference (shown by `serve`), if callbacks are on.
    pub fn mtn_callback_url(&self, reference: &str) -> Option<String> {
        self.inner.mtn.callback_url(reference)
    }

    /// An operator's callback: a reason to ask the operator, never taken at its word. Makes the
    /// live payment (refund, payout) the operator knows as `reference` due now. Answered once
    /// that is committed; callbacks arriving together are committed together (group commit:
    /// one waits for the write in progress, then writes all that queued meanwhile).
    pub async fn operator_callback(
        &self,
        proto: Protocol,
        reference: &str,
    ) -> Result<(), EngineError> {
        let plausible = match proto {
            Protocol::MtnMomo => mtn_momo::is_reference(reference),
        };
        if !plausible {
            return Ok(());
        }
        let pokes = &self.inner.pokes;
        pokes.lock_queue().push(reference.to_owned());
        let _writer = pokes.writer.lock().await;
        // Empty: the writer before us took our reference and committed it.
        let batch = std::mem::take(&mut *pokes.lock_queue());
        if batch.is_empty() {
            return Ok(());
        }
        // Until the write commits, the batch goes back to the queue if this request is dropped
        // (a timeout, a client gone) or fails: no waiter is told a lost write happened.
        let mut pending = Requeue {
            queue: pokes,
            batch: Some(batch),
        };
        let refs = pending.batch.as_deref().unwrap_or_default();
        let found = self
            .store()
            .make_due_by_operator_references(proto.operators(), refs, self.now())
            .await?;
        let batch = pending.batch.take().unwrap_or_default();
        tracing::debug!(
            callbacks = batch.len(),
            found,
            "operator callbacks recorded"
        );
        if found > 0 {
            self.inner.work_ready.notify_one();
        }
        Ok(())
    }
}

/// A batch of callbacks being written: back to the queue unless the write committed.
struct Requeue<'q> {
    queue: &'q PokeQueue,
    batch: Option<Vec<String>>,
}

impl Drop for Requeue<'_> {
    fn drop(&mut self) {
        if let Some(batch) = self.batch.take() {
            self.queue.lock_queue().extend(batch);
        }
    }
}

/// Operators' callbacks waiting to be written, and the one writer at a time.
#[derive(Debug, Default)]
pub(crate) struct PokeQueue {
    queue: std::sync::Mutex<Vec<String>>,
    writer: tokio::sync::Mutex<()>,
}

impl PokeQueue {
    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
