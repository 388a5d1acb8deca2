//! Wave's Checkout API bodies, as Wave writes them (connectors.md §1.4).

use serde::{Deserialize, Serialize};

/// `POST /v1/checkout/sessions`'s body.
#[derive(Debug, Serialize)]
pub struct SessionRequest<'a> {
    /// Whole francs, as text (`"1000"`).
    pub amount: &'a str,
    /// `XOF`.
    pub currency: &'a str,
    /// Where the payer goes after paying.
    pub success_url: &'a str,
    /// Where the payer goes when paying failed.
    pub error_url: &'a str,
    /// Ours: what Wave's webhooks name the session by.
    pub client_reference: &'a str,
}

/// A checkout session, as Wave answers it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// `cos-…`.
    pub id: String,
    /// Whole francs, as text.
    #[serde(default)]
    pub amount: Option<String>,
    /// `XOF`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `open`, `complete`, `expired`.
    pub checkout_status: String,
    /// `processing`, `cancelled`, `succeeded`.
    #[serde(default)]
    pub payment_status: Option<String>,
    /// Where the payer pays.
    pub wave_launch_url: String,
    /// Wave's transaction id, once paid.
    #[serde(default)]
    pub transaction_id: Option<String>,
}

/// Wave's error body: `{"code", "message"}`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// `request-validation-error`, `no-matching-api-key`, …
    #[serde(default)]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// A webhook's envelope: `{"id", "type", "data"}`.
#[derive(Debug, Deserialize)]
pub struct Event {
    /// `checkout.session.completed`, `checkout.session.payment_failed`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The session (for checkout events).
    #[serde(default)]
    pub data: Option<EventData>,
}

/// What a checkout event names.
#[derive(Debug, Deserialize)]
pub struct EventData {
    /// The session's `client_reference`: ours.
    #[serde(default)]
    pub client_reference: Option<String>,
}
