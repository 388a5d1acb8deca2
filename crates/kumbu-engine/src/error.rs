//! Engine errors: a [`Rejection`] the client can fix, or a store failure that is ours.

use kumbu_core::{ErrorCode, Field, Rejection};
use kumbu_store::StoreError;

/// Why an engine call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request was refused by a rule (a 4xx).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The database failed (a 5xx; details go to the log only).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The client-facing message of an error (internal details never included).
pub(crate) fn message_of(e: &EngineError) -> String {
    match e {
        EngineError::Rejected(r) => r.message.clone(),
        EngineError::Store(_) => "internal error".to_owned(),
    }
}

impl EngineError {
    /// Shorthand for a field rejection.
    pub fn field(code: ErrorCode, field: Field, message: impl Into<String>) -> Self {
        EngineError::Rejected(Rejection::field(code, field, message))
    }

    /// Shorthand for a 404 on an object id.
    pub fn not_found(what: &str, id: &str) -> Self {
        EngineError::Rejected(Rejection::field(
            ErrorCode::ResourceMissing,
            Field::Id,
            format!("No {what} `{id}`: it does not exist, or belongs to another merchant or mode."),
        ))
    }

    /// Shorthand for a `starting_after` cursor that is not one of the caller's objects.
    /// `Ok` unless `starting_after` is given and is not an id of the listed kind (`prefix`),
    /// in which case it cannot be one of the caller's `what`: [`EngineError::unknown_cursor`].
    pub(crate) fn check_cursor(
        starting_after: Option<&str>,
        prefix: kumbu_core::IdPrefix,
        what: &str,
    ) -> Result<(), Self> {
        match starting_after {
            Some(a) if !kumbu_core::ids::has_shape(a, prefix) => Err(Self::unknown_cursor(what, a)),
            Some(_) | None => Ok(()),
        }
    }

    pub fn unknown_cursor(what: &str, after: &str) -> Self {
        EngineError::Rejected(Rejection::field(
            ErrorCode::ResourceMissing,
            Field::Id,
            format!("starting_after `{after}` is not one of your {what}"),
        ))
    }

    /// The code this error is answered with.
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::Rejected(r) => r.code,
            EngineError::Store(StoreError::Unavailable(_)) => ErrorCode::ServiceUnavailable,
            EngineError::Store(
                StoreError::Conflict(_)
                | StoreError::Corrupt(_)
                | StoreError::Database(_)
                | StoreError::Config(_),
            ) => ErrorCode::InternalError,
        }
    }
}
