//! Merchants' operator credentials for live mode: set (checked by their connector, sealed with
//! the vault), shown without their secrets, removed, checked against the operator; which
//! connector carries a live payment (operators' callbacks are `callbacks.rs`'s). Credentials are live settings:
//! test keys can neither see nor change them. Connectors are found in `kumbu_rails::Registry`:
//! nothing here names an operator.

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::{ErrorCode, FailureCode, Field, Mode, Operator, Rejection, Timestamp};
use kumbu_rails::connector::{Connector, Duty, Opened, Outbound, Outgoing, SettingsError, Summary};
use kumbu_store::OperatorCredentialRow;
use secrecy::SecretString;
use std::sync::Arc;

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

impl Engine {
    /// Refuses a test key before anything about operator credentials is read: they are live
    /// settings.
    pub fn connectors_allowed(&self, auth: &AuthContext) -> Result<(), EngineError> {
        live_only(auth).map_err(EngineError::Rejected)
    }
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

fn settings_rejection(e: SettingsError) -> Rejection {
    let field = match e.field {
        "target_environment" => Field::TargetEnvironment,
        "callback_host" => Field::CallbackHost,
        "disbursement" => Field::DisbursementKeys,
        "collection" | "settings" => Field::CollectionKeys,
        other => Field::ConnectorSetting(other),
    };
    Rejection::field(ErrorCode::ParameterInvalid, field, e.message)
}

fn row_id(merchant_id: &str, op: Operator) -> String {
    format!("{merchant_id}/{}", op.code())
}

fn summary_of(s: Summary, op: Operator) -> ConnectorSummary {
    ConnectorSummary {
        operator: op,
        target_environment: s.target_environment,
        callback_host: s.callback_host,
        products: s.products,
        api_users: s.api_users,
        created_at: None,
        updated_at: None,
    }
}

impl Engine {
    /// The connector that carries live payments for `op`, if Kumbu has one.
    pub(crate) fn connector_for(&self, op: Operator) -> Option<&Arc<dyn Connector>> {
        self.inner.connectors.for_operator(op)
    }

    /// The connector for `op`, or why a live payment through it is refused.
    fn connector(&self, op: Operator) -> Result<&Arc<dyn Connector>, Rejection> {
        self.connector_for(op).ok_or_else(|| {
            Rejection::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operator,
                format!(
                    "Kumbu has no live connector for {} yet; it has one for {}",
                    op.code(),
                    self.live_operators()
                ),
            )
        })
    }

    /// The operators some connector carries, for messages (their codes, comma-separated).
    pub(crate) fn live_operators(&self) -> String {
        let codes: Vec<&str> = self
            .connector_operators()
            .into_iter()
            .map(Operator::code)
            .collect();
        codes.join(", ")
    }

    /// The operators live money can move through (a connector carries them).
    pub fn connector_operators(&self) -> Vec<Operator> {
        self.inner.connectors.operators()
    }

    /// Sets (or replaces) a merchant's credentials for an operator, sealed at rest. `settings`
    /// is the connector's own shape (JSON), checked by the connector. Returns what may be shown
    /// of them, and whether they are new.
    pub async fn set_connector(
        &self,
        auth: &AuthContext,
        op: Operator,
        settings: serde_json::Value,
    ) -> Result<(ConnectorSummary, bool), EngineError> {
        let auth = &auth.or_key("connector.set", op.code(), String::new());
        live_only(auth)?;
        self.put_connector_as(&auth.merchant_id, op, settings, Some(auth))
            .await
    }

    /// [`Engine::set_connector`] for the operator of the gateway (the CLI), by merchant id.
    pub async fn put_connector(
        &self,
        merchant_id: &str,
        op: Operator,
        settings: serde_json::Value,
    ) -> Result<(ConnectorSummary, bool), EngineError> {
        self.put_connector_as(merchant_id, op, settings, None).await
    }

    /// Stores the credentials, and the audit line `caller` carries (a person), in one
    /// transaction.
    async fn put_connector_as(
        &self,
        merchant_id: &str,
        op: Operator,
        settings: serde_json::Value,
        caller: Option<&AuthContext>,
    ) -> Result<(ConnectorSummary, bool), EngineError> {
        let connector = self.connector(op)?;
        let checked = connector.settings(settings).map_err(settings_rejection)?;
        if self.store().merchant(merchant_id).await?.is_none() {
            return Err(EngineError::not_found("merchant", merchant_id));
        }
        let id = row_id(merchant_id, op);
        let sealed = self.seal(
            &kumbu_store::OPERATOR_CREDENTIALS.context(&id),
            secrecy::ExposeSecret::expose_secret(&checked.sealed),
        );
        let mut summary = summary_of(checked.summary, op);
        let now = self.now();
        let mut tx = self.begin().await?;
        let created = tx
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
        if let Some(a) = caller {
            self.audit_as(&mut tx, a).await?;
        }
        self.commit(tx).await?;
        // Tokens issued for the old credentials must not outlive them (in this process; others
        // keep theirs until the operator refuses one, then fetch a fresh one with the new keys).
        connector.forget(&id);
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
        let auth = &auth.or_key("connector.removed", op.code(), String::new());
        live_only(auth)?;
        let mut tx = self.begin().await?;
        if !tx
            .delete_operator_credentials(&auth.merchant_id, op)
            .await?
        {
            tx.rollback().await?;
            return Err(EngineError::not_found("connector", op.code()));
        }
        self.audit_as(&mut tx, auth).await?;
        self.commit(tx).await?;
        if let Some(c) = self.connector_for(op) {
            c.forget(&row_id(&auth.merchant_id, op));
        }
        Ok(())
    }

    /// A merchant's credentials for `op`, opened; `None` when not configured.
    pub(crate) async fn credentials(
        &self,
        merchant_id: &str,
        op: Operator,
    ) -> Result<Option<Opened>, EngineError> {
        let Some(row) = self.store().operator_credentials(merchant_id, op).await? else {
            return Ok(None);
        };
        let plain = self.open(
            &kumbu_store::OPERATOR_CREDENTIALS.context(&row.id),
            &row.sealed,
        )?;
        let opened = Opened {
            key: row.id,
            settings: SecretString::from(plain),
        };
        // Settings that do not read (sealed by another version) are an error of the store, as
        // they always were: never "no credentials", which would fail payments they could carry.
        if let Some(c) = self.connector_for(op) {
            c.read(&opened).map_err(|e| {
                EngineError::Store(kumbu_store::StoreError::Corrupt(format!(
                    "operator credentials: {}",
                    e.message
                )))
            })?;
        }
        Ok(Some(opened))
    }

    /// A merchant's credentials for `op` if they may be used for `duty`.
    pub(crate) async fn credentials_for(
        &self,
        connector: &dyn Connector,
        merchant_id: &str,
        op: Operator,
        duty: Duty,
    ) -> Result<Option<Opened>, EngineError> {
        Ok(self
            .credentials(merchant_id, op)
            .await?
            .filter(|c| connector.can(c, duty)))
    }

    /// Refuses a live payment to `op` unless a connector can carry it for the merchant.
    pub(crate) async fn require_connector(
        &self,
        merchant_id: &str,
        op: Operator,
    ) -> Result<(), EngineError> {
        let connector = self.connector(op)?;
        if self
            .credentials_for(connector.as_ref(), merchant_id, op, Duty::Collect)
            .await?
            .is_some()
        {
            return Ok(());
        }
        Err(EngineError::field(
            ErrorCode::ConnectorNotConfigured,
            Field::Operator,
            format!(
                "live {} payments need this merchant's {} collection credentials: set them with PUT /v1/connectors/{} (a live key) or `kumbu connector set --merchant {merchant_id} --operator {}`; see docs/operators/{}.md",
                op.code(),
                connector.name(),
                op.code(),
                op.code(),
                connector.slug()
            ),
        ))
    }

    /// Of `ops`, those whose live payments a connector can carry for the merchant (it has
    /// usable collection credentials for them), in the same order.
    pub(crate) async fn live_collectable(
        &self,
        merchant_id: &str,
        ops: &[Operator],
    ) -> Result<Vec<Operator>, EngineError> {
        let mut usable = Vec::with_capacity(ops.len());
        for op in ops {
            let Some(connector) = self.connector_for(*op) else {
                continue;
            };
            if self
                .credentials_for(connector.as_ref(), merchant_id, *op, Duty::Collect)
                .await?
                .is_some()
            {
                usable.push(*op);
            }
        }
        Ok(usable)
    }

    /// Why a live page in `currency` has nothing to offer the merchant's payers: what to set up,
    /// or that Kumbu cannot take that currency live yet.
    pub(crate) fn nothing_live_to_offer(
        &self,
        merchant_id: &str,
        currency: kumbu_core::Currency,
        ops: &[Operator],
    ) -> EngineError {
        let codes = |ops: &[Operator]| -> String {
            ops.iter().map(|o| o.code()).collect::<Vec<_>>().join(", ")
        };
        let carried: Vec<Operator> = ops
            .iter()
            .copied()
            .filter(|o| self.connector_for(*o).is_some())
            .collect();
        match carried.first() {
            Some(first) => EngineError::field(
                ErrorCode::ConnectorNotConfigured,
                Field::Operators,
                format!(
                    "this merchant cannot take live {currency} payments yet: set its collection credentials for {} with PUT /v1/connectors/{} (a live key) or `kumbu connector set --merchant {merchant_id} --operator {}`; see docs/operators/{}.md",
                    codes(&carried),
                    first.code(),
                    first.code(),
                    self.connector_for(*first).map_or("", |c| c.slug())
                ),
            ),
            None => EngineError::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operators,
                format!(
                    "Kumbu has no live connector for {} ({currency}) yet (it has one for {}); use a test key (sk_test_…) to try it in the sandbox",
                    codes(ops),
                    self.live_operators()
                ),
            ),
        }
    }

    /// Refuses live money out through `op` (a refund of one of its payments, a payout) unless
    /// its connector can carry it for the merchant; returns the operator reference for it.
    pub(crate) async fn require_disbursement(
        &self,
        merchant_id: &str,
        op: Operator,
        duty: Duty,
        what: &str,
    ) -> Result<String, EngineError> {
        let Some(connector) = self.connector_for(op) else {
            return Err(EngineError::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operator,
                format!(
                    "Kumbu has no live connector for {}, so no live {what}; it has one for {}",
                    op.code(),
                    self.live_operators()
                ),
            ));
        };
        if !connector.disburses() {
            return Err(EngineError::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operator,
                format!(
                    "Kumbu's {} connector sends no money out, so no live {what} to {}: refund the payer from the operator's own merchant portal, or pay them through another operator; docs/operators/{}.md says why",
                    connector.name(),
                    op.code(),
                    connector.slug()
                ),
            ));
        }
        if self
            .credentials_for(connector.as_ref(), merchant_id, op, duty)
            .await?
            .is_none()
        {
            return Err(EngineError::field(
                ErrorCode::ConnectorNotConfigured,
                Field::Operator,
                format!(
                    "live {what} through {} need credentials this merchant has not set (MTN: disbursement keys; M-Pesa, for refunds: the initiator and its security credential): set them with PUT /v1/connectors/{} (docs/operators/{}.md)",
                    connector.name(),
                    op.code(),
                    connector.slug()
                ),
            ));
        }
        Ok(connector.new_reference())
    }

    /// What the operator says of money out (a refund, a payout), reserved for this process:
    /// sends it (`sent` false) or asks its status. Both workers call this, after committing the
    /// object as "may have been sent".
    pub(crate) async fn disbursement_news(
        &self,
        op: Operator,
        merchant_id: &str,
        out: Outgoing<'_>,
        sent: bool,
    ) -> Result<Outbound, EngineError> {
        let duty = match out {
            Outgoing::Refund { .. } => Duty::Refund,
            Outgoing::Payout(_) => Duty::Disburse,
        };
        let creds = match self.connector_for(op) {
            Some(c) => self
                .credentials_for(c.as_ref(), merchant_id, op, duty)
                .await?
                .map(|creds| (c.clone(), creds)),
            None => None,
        };
        let now = self.now();
        Ok(match (creds, sent) {
            (Some((c, creds)), false) => c.disburse(out, &creds, now).await,
            (Some((c, creds)), true) => c.disbursement_status(out, &creds, now).await,
            // Never sent (nobody left it `processing`): it can fail, nothing was charged.
            (None, false) => Outbound::Failed {
                code: FailureCode::ProviderUnavailable,
                operator_code: "NO_DISBURSEMENT_CREDENTIALS".to_owned(),
            },
            // Sent already: never given up on for want of credentials; asked later.
            (None, true) => Outbound::Undecided,
        })
    }

    /// Asks the operator for a token with every product's credentials of every merchant (or of
    /// one): what `kumbu connector check` prints.
    pub async fn check_connectors(
        &self,
        merchant_id: Option<&str>,
    ) -> Result<Vec<ConnectorCheck>, EngineError> {
        let mut out = Vec::new();
        for row in self.store().list_operator_credentials(merchant_id).await? {
            let (Some(connector), Some(creds)) = (
                self.connector_for(row.operator),
                self.credentials(&row.merchant_id, row.operator).await?,
            ) else {
                continue;
            };
            for check in connector.check(&creds, self.now()).await {
                out.push(ConnectorCheck {
                    merchant_id: row.merchant_id.clone(),
                    operator: row.operator,
                    product: check.product,
                    problem: check.problem,
                });
            }
        }
        Ok(out)
    }
}
