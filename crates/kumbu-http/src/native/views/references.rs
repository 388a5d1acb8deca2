//! Bank references' wire types (Multicaixa, ERV): bodies and the reference as shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/references` and `PUT /v1/references/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceBody {
    /// Required amount in AOA minor units (1 to 9999999999, i.e. 0.01 to 99,999,999.99 AOA);
    /// omitted, any amount is accepted.
    #[schema(value_type = Option<crate::openapi::vocab::ReferenceAmount>)]
    pub amount: Option<i64>,
    /// ISO 8601 date (valid until 23:59:59 GMT+1 that day) or date-time; omitted, it never ends.
    #[schema(example = "2026-12-31")]
    #[schema(value_type = Option<crate::openapi::vocab::EndDatetime>)]
    pub end_datetime: Option<String>,
    /// Up to 10 string pairs, copied onto each payment as its metadata.
    #[serde(default)]
    #[schema(value_type = crate::openapi::vocab::CustomFields)]
    pub custom_fields: std::collections::BTreeMap<String, String>,
}

/// A Multicaixa bank reference.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceView {
    /// The 9-digit reference, zero-padded.
    #[schema(example = "904800000")]
    pub id: String,
    /// Always `reference`.
    pub object: &'static str,
    /// The merchant's Multicaixa entity, which payers key in with the reference.
    pub entity: Option<i64>,
    /// Required amount in minor units, or null for any.
    pub amount: Option<i64>,
    /// Always `AOA`.
    pub currency: &'static str,
    /// Last instant it can be paid (RFC 3339), or null.
    pub end_at: Option<String>,
    /// Copied onto each payment.
    pub custom_fields: std::collections::BTreeMap<String, String>,
    /// `active`, `paid`, `expired` or `deleted`.
    pub status: String,
    /// `true` in live mode.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl ReferenceView {
    /// The view of `r` as of `now`.
    pub fn of(r: &kumbu_core::Reference, entity: Option<i64>, now: kumbu_core::Timestamp) -> Self {
        Self {
            id: format!("{:09}", r.id),
            object: "reference",
            entity,
            amount: r.amount,
            currency: "AOA",
            end_at: r.end_at.map(|t| t.to_rfc3339()),
            custom_fields: r.custom_fields.clone(),
            status: r.status_at(now).as_str().to_owned(),
            livemode: r.mode.is_live(),
            created_at: r.created_at.to_rfc3339(),
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}

/// A page of references, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceList {
    /// Always `list`.
    pub object: &'static str,
    /// The references.
    pub data: Vec<ReferenceView>,
    /// Whether more follow (pass the last id as `starting_after`).
    pub has_more: bool,
}

/// Body of `POST /v1/sandbox/references/{id}/pay`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayReferenceBody {
    /// Amount paid, in AOA minor units.
    #[schema(value_type = crate::openapi::vocab::ReferenceAmount)]
    pub amount: i64,
}
