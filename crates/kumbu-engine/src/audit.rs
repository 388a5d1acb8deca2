//! The audit log: who changed what, when and from where. Each line is written in the same
//! transaction as the change it records, so the log never claims what did not happen nor
//! misses what did.

use crate::error::EngineError;
use crate::Engine;
use kumbu_store::{AuditEntry, StoreTx};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person signed in to the dashboard (their e-mail is what the log shows).
    Person {
        /// `usr_…`
        id: String,
        /// Their address.
        email: String,
        /// The client address of the request.
        source: String,
    },
    /// An API key (by its record id, never the secret).
    Key {
        /// `key_…`
        id: String,
    },
    /// The `kumbu` command line on the server.
    Command,
    /// Someone not signed in, at a page before sign-in (a forgotten password asked for): who
    /// they are is not known, only where from.
    Visitor {
        /// The client address of the request.
        source: String,
    },
}

impl Actor {
    /// The log's "who".
    fn name(&self) -> String {
        match self {
            Actor::Person { email, .. } => email.clone(),
            Actor::Key { id } => id.clone(),
            Actor::Command => "kumbu (command line)".to_owned(),
            Actor::Visitor { .. } => "someone not signed in".to_owned(),
        }
    }

    /// The log's "from where".
    fn source(&self) -> Option<String> {
        match self {
            Actor::Person { source, .. } | Actor::Visitor { source } => Some(source.clone()),
            Actor::Key { .. } | Actor::Command => None,
        }
    }
}

impl Engine {
    /// Writes a line of `merchant_id`'s audit log in `tx`: `action` (a stable dotted name such
    /// as `person.invited`) on `subject`, with `detail` in words.
    pub(crate) async fn audit(
        &self,
        tx: &mut StoreTx,
        merchant_id: &str,
        actor: &Actor,
        action: &str,
        subject: Option<&str>,
        detail: String,
    ) -> Result<(), EngineError> {
        let entry = AuditEntry {
            seq: 0,
            actor: actor.name(),
            action: action.to_owned(),
            subject: subject.map(str::to_owned),
            detail,
            source: actor.source(),
            at: self.now(),
        };
        tx.insert_audit(merchant_id, &entry).await?;
        Ok(())
    }

    /// Writes in `tx` the audit line `auth` carries, if any (a person's command outside
    /// [`Engine::idempotent`], which writes its own).
    pub(crate) async fn audit_as(
        &self,
        tx: &mut StoreTx,
        auth: &crate::AuthContext,
    ) -> Result<(), EngineError> {
        match &auth.audit {
            Some(a) => {
                let subject = (!a.subject.is_empty()).then_some(a.subject.as_str());
                self.audit(
                    tx,
                    &auth.merchant_id,
                    &a.actor,
                    a.action,
                    subject,
                    a.detail.clone(),
                )
                .await
            }
            None => Ok(()),
        }
    }

    /// A merchant's audit log, newest first, before the line `before`.
    pub async fn audit_log(
        &self,
        merchant_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, EngineError> {
        Ok(self
            .store()
            .audit_log(merchant_id, before, limit.clamp(1, 1000))
            .await?)
    }
}
