//! Wire types several resources share.

use serde::Serialize;
use utoipa::ToSchema;

/// A deleted object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// The id.
    pub id: String,
    /// The object type.
    pub object: &'static str,
    /// Always `true`.
    pub deleted: bool,
}
