//! The simulated Orange's memory: tokens, web payments, faults and counters. Kept in process
//! memory (a restart forgets everything).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A web payment's status, as `transactionstatus` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Created; the payer has not opened the payment page.
    Initiated,
    /// The payer opened the page (or the payment waits on their phone).
    Pending,
    /// Paid.
    Success,
    /// Refused (declined, no funds, an error).
    Failed,
    /// Nobody paid within the payment window.
    Expired,
}

impl Status {
    /// Orange's name for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Initiated => "INITIATED",
            Status::Pending => "PENDING",
            Status::Success => "SUCCESS",
            Status::Failed => "FAILED",
            Status::Expired => "EXPIRED",
        }
    }

    /// Whether it can change no more.
    pub const fn is_final(self) -> bool {
        match self {
            Status::Success | Status::Failed | Status::Expired => true,
            Status::Initiated | Status::Pending => false,
        }
    }
}

/// One `webpayment`, as Orange keeps it.
#[derive(Debug, Clone)]
pub struct WebPayment {
    /// The merchant's order id (unique per merchant key).
    pub order_id: String,
    /// Amount, in the currency's units (XOF and XAF have no minor units).
    pub amount: i64,
    /// `XOF`, `XAF`, or `OUV` (Orange's sandbox currency).
    pub currency: String,
    /// Where the payer goes after paying or failing.
    pub return_url: String,
    /// Where the payer goes if they give up.
    pub cancel_url: String,
    /// Where Orange posts the notification.
    pub notif_url: String,
    /// The page's language (`fr`, `en`, …).
    pub lang: String,
    /// The merchant's label.
    pub reference: String,
    /// The secret echoed in the notification, for the merchant to check.
    pub notif_token: String,
    /// Where it stands (expiry is applied when read: [`WebPayment::status_at`]).
    pub status: Status,
    /// Orange's transaction id, once paid or refused on the payer's side (`MP…`).
    pub txnid: Option<String>,
    /// The number that paid (typed on the page).
    pub payer: Option<String>,
    /// When it was made.
    pub created: Instant,
}

impl WebPayment {
    /// Its status at `now`: open ones expire after `window`.
    pub fn status_at(&self, now: Instant, window: Duration) -> Status {
        if !self.status.is_final() && now.saturating_duration_since(self.created) >= window {
            return Status::Expired;
        }
        self.status
    }
}

/// Faults injected into the simulated Orange (`PUT /_simulator/faults`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every answer of Orange's API, in milliseconds.
    pub latency_ms: u64,
    /// The next N API calls (token, webpayment, transactionstatus) answer 500; a webpayment
    /// registers nothing.
    pub fail_next: u32,
    /// The next N webpayments are registered, then their answer hangs for `hang_ms`.
    pub hang_next: u32,
    /// How long a hung answer hangs (default 30 s).
    pub hang_ms: u64,
    /// Every notification is sent twice.
    pub duplicate_notifications: bool,
    /// Every notification is sent again this many milliseconds later.
    pub late_notification_ms: u64,
    /// Every notification is preceded by a forged one: `SUCCESS`, with a wrong `notif_token`.
    pub forged_notifications: bool,
}

/// Counters, for tests and for the operator of the simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Tokens issued.
    pub tokens: u64,
    /// Web payments registered.
    pub webpayments: u64,
    /// Web payments refused (bad body, duplicate order id, unknown merchant key).
    pub refused: u64,
    /// Cameroon's mp payments prompted (`mp/pay`).
    pub mp_payments: u64,
    /// Status calls answered (`transactionstatus`, `mp/paymentstatus`).
    pub status_queries: u64,
    /// Payment pages shown.
    pub pages_shown: u64,
    /// Payments paid on the page.
    pub paid: u64,
    /// Payments refused on the page (declined, or the number's outcome).
    pub declined: u64,
    /// Notifications answered 2xx.
    pub notifications_delivered: u64,
    /// Notifications that failed (refused, timed out, unreachable).
    pub notifications_failed: u64,
    /// Notifications still to be sent.
    pub notifications_pending: u64,
    /// Calls refused for their credentials.
    pub unauthorized: u64,
}

/// Everything the simulator holds.
#[derive(Debug, Default)]
pub struct State {
    /// Issued access tokens and until when they work.
    pub tokens: HashMap<String, Instant>,
    /// Web payments by `pay_token`.
    pub payments: HashMap<String, WebPayment>,
    /// `pay_token` by (merchant key, order id).
    pub orders: HashMap<(String, String), String>,
    /// Cameroon's mp payments by `payToken`.
    pub mp: HashMap<String, super::push::MpPayment>,
    /// Faults in force.
    pub faults: Faults,
    /// Counters.
    pub stats: Stats,
}
