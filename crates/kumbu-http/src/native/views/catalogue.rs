//! The operator catalogue as shown: operators, their phone formats and fees.

use kumbu_core::OperatorInfo;
use serde::Serialize;
use utoipa::ToSchema;

/// How phone numbers of an operator look.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneFormat {
    /// e.g. +225.
    pub dial_code: Option<String>,
    /// Allowed national number lengths.
    pub national_digits: Vec<usize>,
    /// A valid example.
    pub example: Option<String>,
}

/// A fee schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeView {
    /// Percentage in basis points (100 = 1 %).
    pub percent_bps: u32,
    /// Fixed part, minor units.
    pub fixed: i64,
    /// Minimum fee, minor units.
    pub min: i64,
    /// Maximum fee, minor units.
    pub max: Option<i64>,
}

/// A rail of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    /// Always `operator`.
    pub object: &'static str,
    /// Code to use in `payer.operator`.
    pub operator: String,
    /// Commercial name.
    pub name: String,
    /// ISO 3166 country (null: any, for the mock operator).
    pub country: Option<String>,
    /// Currencies collected.
    pub currencies: Vec<String>,
    /// mobile_money_push or bank_reference.
    pub kind: String,
    /// Smallest amount, minor units.
    pub min_amount: i64,
    /// Largest amount, minor units.
    pub max_amount: i64,
    /// Payer phone format.
    pub phone_format: PhoneFormat,
    /// Fee schedule.
    pub fee: FeeView,
    /// Usable with test keys only.
    pub test_only: bool,
}

impl From<&OperatorInfo> for OperatorView {
    fn from(i: &OperatorInfo) -> Self {
        let kind = match i.kind {
            kumbu_core::RailKind::MobileMoneyPush => "mobile_money_push",
            kumbu_core::RailKind::BankReference => "bank_reference",
            kumbu_core::RailKind::External => "external",
        };
        Self {
            object: "operator",
            operator: i.operator.code().to_owned(),
            name: i.name.to_owned(),
            country: i.country.map(|c| c.code().to_owned()),
            currencies: i.currencies.iter().map(|c| c.code().to_owned()).collect(),
            kind: kind.to_owned(),
            min_amount: i.min_amount,
            max_amount: i.max_amount,
            phone_format: PhoneFormat {
                dial_code: i.country.map(|c| format!("+{}", c.dial_code())),
                national_digits: i
                    .country
                    .map(|c| c.national_lengths().to_vec())
                    .unwrap_or_default(),
                example: i.country.map(|c| c.example_phone().to_owned()),
            },
            fee: FeeView {
                percent_bps: i.fee.percent_bps,
                fixed: i.fee.fixed,
                min: i.fee.min,
                max: i.fee.max,
            },
            test_only: i.test_only,
        }
    }
}

/// The operator catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorList {
    /// Always `list`.
    pub object: &'static str,
    /// Every operator.
    pub data: Vec<OperatorView>,
    /// Never: the catalogue is one page.
    pub has_more: bool,
}
