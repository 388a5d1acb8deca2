//! A merchant's customer: who pays, remembered so payments can name them.

use crate::clock::Timestamp;
use crate::mode::Mode;
use crate::operator::Operator;
use crate::phone::Msisdn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A customer of a merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// `cu_…`
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Their mobile-money number.
    pub phone: Option<Msisdn>,
    /// Their operator.
    pub operator: Option<Operator>,
    /// ISO 3166 alpha-2 country, e.g. `CV`.
    pub country: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Merchant key-value data.
    pub metadata: BTreeMap<String, String>,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}
