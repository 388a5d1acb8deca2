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
    /// The next N Cameroon prompts (`mp/pay`) are lost on the way: answered 500, nobody
    /// prompted, the payToken still `INITIATED`.
    pub lose_next_prompts: u32,
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
    pub mp: HashMap<String, MpPayment>,
    /// Faults in force.
    pub faults: Faults,
    /// Counters.
    pub stats: Stats,
}

/// What paying with a number does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Paid; notified.
    Pay,
    /// Refused on Orange's side (declined, no funds, an error).
    Refuse,
    /// The payer never confirms: the payment stays pending, then expires.
    NoAnswer,
    /// Paid; no notification is ever sent (only `transactionstatus` tells).
    PaySilently,
    /// Paid; the notification is sent twice.
    PayNotifyingTwice,
}

/// The outcome for a number (any format: its last three digits decide).
pub fn outcome_for(number: &str) -> Outcome {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match digits.get(digits.len().saturating_sub(3)..).unwrap_or("") {
        "039" | "049" | "069" => Outcome::Refuse,
        "059" => Outcome::NoAnswer,
        "129" => Outcome::PaySilently,
        "139" => Outcome::PayNotifyingTwice,
        _ => Outcome::Pay,
    }
}

/// One payment of the mp API, from `init` on.
#[derive(Debug, Clone)]
pub struct MpPayment {
    /// When `init` made its token.
    pub initiated: Instant,
    /// What `pay` asked, once it did.
    pub pay: Option<MpPay>,
}

/// What `pay` asked, and what became of it.
#[derive(Debug, Clone)]
pub struct MpPay {
    /// The merchant's order id.
    pub order_id: String,
    /// Amount, in francs.
    pub amount: i64,
    /// The payer's number.
    pub subscriber: String,
    /// The merchant's channel number.
    pub channel_user: String,
    /// Where the notification goes.
    pub notif_url: String,
    /// Shown to the payer.
    pub description: String,
    /// Orange's transaction id.
    pub txnid: String,
    /// What the payer does (by number).
    pub outcome: Outcome,
    /// Whether the number waits for a person (`…009`), and their answer once given.
    pub manual: Option<Option<bool>>,
    /// When `pay` was called.
    pub at: Instant,
}

impl MpPay {
    /// Orange's status name at `now`.
    pub fn status_at(&self, now: Instant, approval: Duration, window: Duration) -> &'static str {
        let since = now.saturating_duration_since(self.at);
        match (self.manual, self.outcome) {
            (Some(Some(true)), _) => "SUCCESSFULL",
            (Some(Some(false)), _) => "FAILED",
            (Some(None), _) | (None, Outcome::NoAnswer) if since >= window => "EXPIRED",
            (Some(None), _) | (None, Outcome::NoAnswer) => "PENDING",
            (None, _) if since < approval => "PENDING",
            (None, Outcome::Refuse) => "FAILED",
            (None, Outcome::Pay | Outcome::PaySilently | Outcome::PayNotifyingTwice) => {
                "SUCCESSFULL"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_the_last_three_digits() {
        assert_eq!(outcome_for("+225 07 00 00 07 89"), Outcome::Pay);
        assert_eq!(outcome_for("2250700000049"), Outcome::Refuse);
        assert_eq!(outcome_for("0700000059"), Outcome::NoAnswer);
        assert_eq!(outcome_for("237690000129"), Outcome::PaySilently);
        assert_eq!(outcome_for("237690000139"), Outcome::PayNotifyingTwice);
        assert_eq!(outcome_for(""), Outcome::Pay);
    }
}
