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

/// `POST /v1/payout`'s body.
#[derive(Debug, Serialize)]
pub struct PayoutRequest<'a> {
    /// `XOF`.
    pub currency: &'a str,
    /// Whole francs the payee receives, as text.
    pub receive_amount: &'a str,
    /// The payee's number, E.164.
    pub mobile: &'a str,
    /// Ours: what the payout is found by.
    pub client_reference: &'a str,
    /// What the payee reads, at most 40 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reason: Option<&'a str>,
}

/// A payout, as Wave answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct Payout {
    /// `pt-…`.
    pub id: String,
    /// `processing`, `succeeded`, `failed`, `reversed`.
    pub status: String,
    /// Why it failed.
    #[serde(default)]
    pub payout_error: Option<PayoutError>,
}

/// Why a payout failed.
#[derive(Debug, Clone, Deserialize)]
pub struct PayoutError {
    /// Wave's code (`recipient-limit-exceeded`, `insufficient-funds`, …).
    #[serde(default)]
    pub error_code: Option<String>,
}

/// `GET /v1/payouts/search`'s answer.
#[derive(Debug, Deserialize)]
pub struct PayoutSearch {
    /// The payouts with that `client_reference`.
    #[serde(default)]
    pub result: Vec<Payout>,
}
