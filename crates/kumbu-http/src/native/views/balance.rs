//! Balances as shown, per currency, from the ledger.

use kumbu_engine::Balance;
use serde::Serialize;
use utoipa::ToSchema;

/// Money in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceLine {
    /// ISO 4217 code.
    pub currency: String,
    /// Debited, not yet settled (net of fees), minor units.
    pub pending: i64,
    /// Settled and available, minor units: money the gateway holds for you, what payouts draw on.
    pub available: i64,
    /// Reported from elsewhere (payment records, ingested bank payments), minor units: money a
    /// bank or you hold. Never paid out.
    pub reported: i64,
}

impl From<&Balance> for BalanceLine {
    fn from(b: &Balance) -> Self {
        Self {
            currency: b.currency.code().to_owned(),
            pending: b.pending,
            available: b.available,
            reported: b.reported,
        }
    }
}

/// The merchant's balance, from the ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    /// Always `balance`.
    pub object: &'static str,
    /// `true` for the live balance.
    pub livemode: bool,
    /// One line per currency with activity.
    pub balances: Vec<BalanceLine>,
}
